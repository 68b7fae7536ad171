#!/usr/bin/env bash
# Install jupyterlab-classroom into ./.venv and start JupyterLab with the classroom.
# Extra arguments go to `jupyter lab` (for example --port=8899 or --ip=0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_venv
log "installing jupyterlab-classroom (builds the JupyterLab extension with Node.js)"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet .
args=()
[ "$(id -u)" = 0 ] && args+=(--allow-root)
log "starting JupyterLab: open the Classroom from the left sidebar or the command palette"
exec "$VENV/bin/jupyter" lab "${args[@]}" "$@"
