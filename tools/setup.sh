#!/usr/bin/env bash
# Installs everything wasm-torch needs on a fresh Debian machine, unconditionally (no "is it there
# already?" guards: a fresh machine has none of it), and prints the seconds each stage took.
#   tools/setup.sh          everything: apt (emscripten, chromium, chromedriver), .venv with torch, npm, kernels
#   tools/setup.sh --light  only what the CLI needs: .venv with the package and numpy
set -euo pipefail
cd "$(dirname "$0")/.."
LIGHT=0
[ "${1:-}" = "--light" ] && LIGHT=1

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
  $SUDO apt-get install -y -q emscripten chromium chromium-driver make </dev/null
}

python_env() {
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip </dev/null
  if [ "$LIGHT" = 1 ]; then
    .venv/bin/pip install -q -e '.[reference]' </dev/null
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

if [ "$LIGHT" = 1 ]; then
  stage "python venv (.venv)" python_env
else
  stage "apt packages" apt_packages
  stage "python venv (.venv) with torch" python_env
  stage "npm packages" npm_packages
  stage "kernel module (emcc)" kernels
fi
