#!/usr/bin/env bash
# Installs everything wasm-torch needs on a fresh Debian machine, unconditionally (no "is it there
# already?" guards: a fresh machine has none of it), and prints the seconds each stage took.
#   tools/setup.sh          everything for the tests: apt (emscripten, chromium, chromedriver), .venv with torch
#                           and the dev extra (incl. the JupyterLite build: jupyterlite-core/-pyodide-kernel 0.8.6),
#                           npm, kernels
#   tools/setup.sh --site   what building the site needs (tools/main.sh): apt emscripten, a .venv without torch,
#                           npm, kernels
set -euo pipefail
cd "$(dirname "$0")/.."
SITE=0
[ "${1:-}" = "--site" ] && SITE=1

stage() {  # stage NAME COMMAND...: run and time one stage
  local name=$1 t0=$SECONDS
  shift
  echo "== setup: $name"
  "$@"
  echo "== setup: $name took $((SECONDS - t0)) s"
}

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

apt_packages() {
  $SUDO apt-get update -q </dev/null
  if [ "$SITE" = 1 ]; then
    $SUDO apt-get install -y -q emscripten make </dev/null
  else
    $SUDO apt-get install -y -q emscripten chromium chromium-driver make </dev/null
  fi
}

python_env() {
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip </dev/null
  if [ "$SITE" = 1 ]; then
    .venv/bin/pip install -q -e '.[site]' </dev/null
  else
    # torch==2.13.0 exactly: the CPU wheel; anything else pulls several GB of CUDA.
    .venv/bin/pip install -q torch==2.13.0 </dev/null
    .venv/bin/pip install -q -e '.[dev]' </dev/null
  fi
}

npm_packages() {
  npm ci --no-audit --no-fund </dev/null
}

kernels() {
  make -C wasm_kernels -j2 </dev/null
}

stage "apt packages" apt_packages
stage "python venv (.venv)" python_env
stage "npm packages" npm_packages
stage "kernel module (emcc)" kernels
