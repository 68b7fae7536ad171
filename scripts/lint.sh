#!/usr/bin/env bash
# The linters and the type checker CI runs (scripts/test.sh calls this):
# ruff (lint and format) and mypy over the Python (the package, the tests,
# the scripts, the benchmarks and the screenshot script), and the front
# end's eslint and prettier (labextension's `lint:check`). Every tool runs
# even after one has failed, so a single run shows every finding; the exit
# status is 1 if any of them found something.
#
#   bash scripts/lint.sh          check
#   bash scripts/lint.sh --fix    apply ruff's fixes and formatting and the
#                                 front end's (`jlpm lint`), then report what is left
#
# The tools are the versions pinned in pyproject's test extras, from the
# virtual environment scripts/test.sh installs (./.venv, or $CLASSROOM_VENV).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

fix=false
case "$#:${1:-}" in
  0:) ;;
  1:--fix) fix=true ;;
  *)
    echo "usage: bash scripts/lint.sh [--fix]" >&2
    exit 2
    ;;
esac

[ -d "$VENV/bin" ] && export PATH="$VENV/bin:$PATH"

python_paths=()
for p in jupyter_classroom tests benchmarks scripts docs/images; do
  [ -d "$p" ] && python_paths+=("$p")
done
typed_paths=(jupyter_classroom tests scripts benchmarks docs/images)

failed=()

# step NAME WHAT COMMAND...: run one tool under a header; a failure is
# remembered, not fatal, so the tools after it still run.
step() {
  local name=$1 what=$2
  shift 2
  log "lint: $name ($what)"
  "$@"
  local status=$?
  if [ $status = 127 ]; then
    echo "(not installed? 'bash scripts/test.sh' installs the tools, or pip install -e '.[test]')" >&2
  fi
  [ $status = 0 ] || failed+=("$name")
}

# jlpm SCRIPT in labextension/, with its node packages installed first if the
# checkout has none yet (the Python build installs them too).
frontend() {
  (
    cd labextension || exit 1
    if [ ! -d node_modules ]; then
      jlpm install || exit
    fi
    jlpm "$@"
  )
}

if $fix; then
  step "ruff check --fix" "${python_paths[*]}" ruff check --fix "${python_paths[@]}"
  step "ruff format" "${python_paths[*]}" ruff format "${python_paths[@]}"
else
  step "ruff check" "${python_paths[*]}" ruff check "${python_paths[@]}"
  step "ruff format --check" "${python_paths[*]}" ruff format --check "${python_paths[@]}"
fi
step mypy "${typed_paths[*]}" mypy "${typed_paths[@]}"
if $fix; then
  step "eslint and prettier" "labextension: jlpm lint" frontend lint
else
  step "eslint and prettier" "labextension: jlpm lint:check" frontend lint:check
fi

if [ ${#failed[@]} -gt 0 ]; then
  summary=$(printf '%s, ' "${failed[@]}")
  log "lint: problems found by ${summary%, }"
  exit 1
fi
log "lint: clean"
