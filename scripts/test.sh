#!/usr/bin/env bash
# Install everything the tests need (Python packages into ./.venv, npm packages,
# JupyterHub's configurable-http-proxy, Debian's chromium) and check everything:
# the linters and the type checker (scripts/lint.sh), the front-end unit tests,
# then pytest (core, server, hub, media and browser tests). A failed step does
# not stop the later ones; the run fails if any step did, with pytest's own
# exit status when pytest failed. A failed test is never run again.
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

lint=passed
bash scripts/lint.sh || lint=failed

log "front-end unit tests"
frontend=passed
(cd labextension && jlpm test) || frontend=failed

log "pytest (set-up took $(($(date +%s) - started)) s)"
# -p no:rerunfailures: a test that passes on a second try is a race, and CI
# must show it, whatever a plugin or a marker asks for.
status=0
run_isolated python -m pytest -p no:rerunfailures "$@" || status=$?

minutes=$((($(date +%s) - started + 59) / 60))
log "lint $lint, front-end unit tests $frontend, pytest exit status $status ($minutes min)"
if [ "$status" != 0 ]; then
  exit "$status"
fi
if [ "$lint" != passed ] || [ "$frontend" != passed ]; then
  exit 1
fi
