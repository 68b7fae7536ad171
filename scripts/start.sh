#!/usr/bin/env bash
# Install jupyterlab-classroom into ./.venv (only when something changed) and
# start JupyterLab with the classroom.
# Extra arguments go to `jupyter lab` (for example --port=8899 or --ip=0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

stamp="$VENV/.jupyterlab-classroom-installed"
if [ -x "$VENV/bin/jupyter" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(source_fingerprint)" ]; then
  log "jupyterlab-classroom is installed and up to date in $VENV"
else
  ensure_venv
  log "installing jupyterlab-classroom (builds the JupyterLab extension with Node.js)"
  "$VENV/bin/pip" install --quiet .
  source_fingerprint >"$stamp"
fi
args=()
[ "$(id -u)" = 0 ] && args+=(--allow-root)
log "starting JupyterLab: open the Classroom from the left sidebar or the command palette"
exec "$VENV/bin/jupyter" lab "${args[@]}" "$@"
