# Shared by scripts/start.sh and scripts/test.sh.
VENV=$(realpath -m "${CLASSROOM_VENV:-.venv}")

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# "[2/4] what this step does (how long it may take)", in bold.
step() {
  local n=$1 total=$2
  shift 2
  log "[$n/$total] $*"
}

# Run a long command that prints little (a Node.js build inside pip), saying
# every 30 s that it is still at work and for how long, then how long it took.
with_progress() {
  local started status=0 ticker
  started=$(date +%s)
  (
    while sleep 30; do
      log "    … still at work ($(($(date +%s) - started)) s so far)"
    done
  ) &
  ticker=$!
  "$@" || status=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  log "    done in $(($(date +%s) - started)) s"
  return "$status"
}

# The package's requirements, read from pyproject.toml: what building it
# needs ([build-system] and the jupyter-builder hook) and what it runs with.
requirements() {
  "$VENV/bin/python" - <<'EOF'
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
with open("pyproject.toml", "rb") as f:
    project = tomllib.load(f)
hook = project["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]
print("\n".join(project["build-system"]["requires"] + hook["dependencies"] + project["project"]["dependencies"]))
EOF
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    echo "error: '$*' needs root; run it as root or install sudo" >&2
    return 1
  fi
}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating a Python virtual environment in $VENV"
    python3 -m venv "$VENV"
  fi
  if ! command -v node >/dev/null 2>&1; then
    log "installing Node.js with apt-get (needed to build the JupyterLab extension; about a minute)"
    as_root apt-get update -qq
    as_root apt-get install -y -qq nodejs npm
  fi
}

# configurable-http-proxy (npm), the proxy of the JupyterHub the hub tests
# run, installed into the virtual environment's bin/.
ensure_proxy() {
  if [ ! -x "$VENV/bin/configurable-http-proxy" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      as_root apt-get update -qq
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq npm
    fi
    log "installing configurable-http-proxy (JupyterHub's proxy, for the hub tests)"
    npm install --global --silent --no-fund --no-audit --prefix "$VENV" configurable-http-proxy@4
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    log "installing Debian's chromium for the browser tests"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium
  fi
  if ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq util-linux iproute2
  fi
  # The tests of media without UDP drop it inside their own namespace.
  if ! command -v iptables >/dev/null 2>&1 && [ ! -x /usr/sbin/iptables ]; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq iptables
  fi
}

# Run a command in a private network namespace that has only loopback, so
# tests that open sockets (servers, browsers, WebRTC peers) reach nothing but
# 127.0.0.1. Without the privileges for that, run it as it is.
run_isolated() {
  if [ "$(id -u)" = 0 ]; then
    unshare --net sh -c 'ip link set lo up && exec "$@"' sh "$@"
  elif unshare --user --map-root-user --net true 2>/dev/null; then
    unshare --user --map-root-user --net sh -c 'ip link set lo up && exec "$@"' sh "$@"
  else
    log "cannot create a private network namespace; running on the host network (loopback only)"
    "$@"
  fi
}

# A fingerprint of everything that goes into the installed package, so an
# unchanged checkout starts without reinstalling (and without a network).
source_fingerprint() {
  local paths=() p
  for p in pyproject.toml jupyter-config jupyter_classroom labextension/package.json \
    labextension/yarn.lock labextension/src labextension/style labextension/schema; do
    [ -e "$p" ] && paths+=("$p")
  done
  find "${paths[@]}" -type f ! -path '*/__pycache__/*' ! -path 'jupyter_classroom/labextension/*' \
    ! -name '_version.py' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
