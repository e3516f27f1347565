"""The whole toolchain path, proven in CI: emcc-built wasm under Node, Pyodide under Node, and
the kernel module in a page of headless Chromium with cross-origin isolation (threads on)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile

import pytest
from browser_util import require_tool, start_chromium, stop_chromium, wait_for
from wasm_torch.serve import serve_in_thread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = os.path.join(ROOT, "py", "wasm_torch", "kernels")


def _require_kernels() -> None:
    if not os.path.exists(os.path.join(KERNELS, "wasm-torch-kernels-mt.wasm")):
        if os.environ.get("CI") == "true":
            pytest.fail("kernel module not built: tools/setup.sh runs `make -C wasm_kernels`")
        pytest.skip("kernel module not built (make -C wasm_kernels)")


def test_kernels_under_node():
    require_tool("/usr/bin/node")
    _require_kernels()
    tests = sorted(glob.glob("tests/node/*.test.mjs", root_dir=ROOT))
    r = subprocess.run(["node", "--test", *tests], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "# fail 0" in r.stdout


def test_pyodide_boots_under_node(tmp_path):
    require_tool("/usr/bin/node")
    if not os.path.exists(os.path.join(ROOT, "node_modules", "pyodide", "pyodide.asm.wasm")):
        pytest.fail("node_modules/pyodide missing: tools/setup.sh runs `npm ci`")
    script = tmp_path / "probe.py"
    script.write_text("import sys, json, zipfile, pickle, ast, zlib, struct\n"
                      "json.dumps({'version': sys.version.split()[0], 'platform': sys.platform})\n")
    r = subprocess.run(["node", "tests/node/pyodide_run.mjs", "", "", str(script)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    info = json.loads(r.stdout.strip().splitlines()[-1])
    assert info["platform"] == "emscripten"
    assert info["version"].startswith("3.14")


@pytest.fixture(scope="module")
def chromium():
    drv = start_chromium()
    yield drv
    stop_chromium(drv)


def test_kernels_in_isolated_page(chromium):
    _require_kernels()
    site = tempfile.mkdtemp(prefix="wasm-torch-smoke-")
    try:
        shutil.copy(os.path.join(ROOT, "tests", "browser", "kernels_smoke.html"), site)
        shutil.copytree(KERNELS, os.path.join(site, "kernels"))
        srv, url = serve_in_thread(site)
        try:
            chromium.get(url + "kernels_smoke.html")
            result = wait_for(chromium)
        finally:
            srv.shutdown()
    finally:
        shutil.rmtree(site, ignore_errors=True)
    assert "error" not in result, result
    assert result["crossOriginIsolated"] is True
    assert result["variants"]["wasm-torch-kernels"] == {"threads": 0, "ok": True}
    assert result["variants"]["wasm-torch-kernels-mt"] == {"threads": 1, "ok": True}
