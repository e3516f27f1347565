#!/usr/bin/env bash
# Sets everything up (tools/setup.sh), then runs every test: Python, kernels under Node,
# Pyodide under Node, and headless Chromium. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
t0=$SECONDS
echo "== tests: pytest"
.venv/bin/ruff check py tests tools
.venv/bin/pytest -q -p no:cacheprovider --durations=15 "$@"
echo "== tests took $((SECONDS - t0)) s"
