#!/usr/bin/env bash
# The main job: install what is needed (tools/setup.sh --site), build the site (tools/build_site.py) and
# serve it on http://127.0.0.1:${PORT:-8000}/ with the headers WebAssembly threads need. Open the URL and
# click "Try the sample model", or drop a .pt2 / .pt file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --site
t0=$SECONDS
.venv/bin/python tools/build_site.py site/dist
echo "== site built in $((SECONDS - t0)) s"
exec .venv/bin/wasm-torch serve site/dist --port "${PORT:-8000}"
