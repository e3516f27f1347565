#!/usr/bin/env bash
# The main job until the site lands: set up a light venv, then inspect and run the built-in sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --light
.venv/bin/wasm-torch inspect
.venv/bin/wasm-torch run
