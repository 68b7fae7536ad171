#!/usr/bin/env bash
# Install everything the tests need (Python packages into ./.venv, npm packages,
# JupyterHub's configurable-http-proxy, Debian's chromium) and run every test:
# the front-end unit tests, then pytest (core, server, hub, media and browser
# tests).
# Extra arguments go to pytest (for example -k chat or -x).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
started=$(date +%s)

ensure_chromium
ensure_venv
export PATH="$VENV/bin:$PATH"
log "installing jupyterlab-classroom in development mode with its test dependencies"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -e ".[test]"
"$VENV/bin/jupyter" labextension develop --overwrite . >/dev/null
ensure_proxy

log "front-end unit tests"
(cd labextension && jlpm test)

log "pytest (set-up took $(( $(date +%s) - started )) s)"
run_isolated python -m pytest "$@"
