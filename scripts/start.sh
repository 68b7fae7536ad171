#!/usr/bin/env bash
# Install jupyterlab-classroom into ./.venv (only when something changed) and
# start JupyterLab with the classroom, saying what each step does and how long
# it may take.
# Extra arguments go to `jupyter lab` (for example --port=8899 or --ip=0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

stamp="$VENV/.jupyterlab-classroom-installed"
if [ -x "$VENV/bin/jupyter" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(source_fingerprint)" ]; then
  log "jupyterlab-classroom is installed and up to date in $VENV"
else
  started=$(date +%s)
  step 1 4 "a Python virtual environment in $VENV (seconds)"
  ensure_venv
  if ! "$VENV/bin/python" -c 'import tomllib' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet tomli # reads pyproject.toml on Python 3.10
  fi
  step 2 4 "Python packages: JupyterLab, aiortc, numpy and the rest" \
    "(1 to 3 minutes the first time, depending on the network; pip shows each download)"
  requirements >"$VENV/.jupyterlab-classroom-requirements.txt"
  "$VENV/bin/pip" install --progress-bar on -r "$VENV/.jupyterlab-classroom-requirements.txt"
  step 3 4 "building the JupyterLab extension with Node.js and installing it" \
    "(2 to 4 minutes on 2 cores the first time: npm packages, then TypeScript and the bundle)"
  # The build tools are in the environment already (step 2): no isolated
  # build environment to download again. jlpm comes with JupyterLab there.
  PATH="$VENV/bin:$PATH" with_progress \
    "$VENV/bin/pip" install --no-build-isolation --no-deps .
  source_fingerprint >"$stamp"
  log "installed in $(($(date +%s) - started)) s; later starts skip all this until the sources change"
fi
args=()
[ "$(id -u)" = 0 ] && args+=(--allow-root)
step 4 4 "starting JupyterLab (a few seconds): open the Classroom from the left sidebar or the command palette"
exec "$VENV/bin/jupyter" lab "${args[@]}" "$@"
