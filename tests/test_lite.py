"""The JupyterLite site end to end in headless Chromium: the example notebook opened in the Notebook app, every
cell run through the in-page kernel API, its outputs checked against torch; then a model uploaded into the
file browser (the contents API, what the upload button calls) loaded by name from a cell. Once with and once
without COOP/COEP."""

from __future__ import annotations

import base64
import io
import json
import random
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from browser_util import OFFLINE, require_module, start_chromium, stop_chromium, wait_for
from parity import close
from wasm_torch.cli import main
from wasm_torch.errors import WasmTorchError
from wasm_torch.lite import kernels_base
from wasm_torch.serve import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "wasm_torch_lite.ipynb"
SAMPLE = ROOT / "py" / "wasm_torch" / "samples" / "tiny_cnn.pt2"
# Generous: a cold kernel boots in 10-20 s on an idle machine, several times that on a loaded one.
KERNEL_TIMEOUT = 240.0

# Waits for the notebook the page opened and its kernel (autoStartDefaultKernel starts it), then defines
# RUN(code): one execute request on that kernel; window.CELL becomes {status, out, t} once the cell finished
# (out: its streams and rich outputs, HTML preferred; t: ms since navigation started).
OPEN_NOTEBOOK = """
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  while (!window.jupyterapp) await sleep(50);
  const app = window.jupyterapp;
  await app.restored;
  let panel;
  while (!(panel = app.shell.currentWidget)?.sessionContext) await sleep(50);
  await panel.context.ready;
  await panel.sessionContext.ready;
  while (!panel.sessionContext.session?.kernel) await sleep(50);
  const kernel = panel.sessionContext.session.kernel;
  const rich = (data) => data['text/html'] ?? data['text/plain'];
  window.RUN = (code) => {
    window.CELL = null;
    const fut = kernel.requestExecute({ code }), out = [];
    fut.onIOPub = (m) => {
      const t = m.header.msg_type, c = m.content;
      if (t === 'stream') out.push(c.text);
      else if (t === 'execute_result' || t === 'display_data') out.push(rich(c.data) + '\\n');
      else if (t === 'error') out.push(`ERROR ${c.ename}: ${c.evalue}\\n${c.traceback.join('\\n')}`);
    };
    fut.done.then((r) => { window.CELL = { status: r.content.status, out: out.join(''), t: performance.now() }; },
                  (e) => { window.CELL = { status: 'error', out: out.join('') + String(e) }; });
  };
  const cells = [];
  for (const c of panel.content.model.cells) cells.push({ type: c.type, source: c.sharedModel.getSource() });
  window.NB = { path: panel.context.path, kernel: kernel.name, cells, coi: self.crossOriginIsolated,
                cores: navigator.hardwareConcurrency };
})().catch((e) => { window.NB = { error: `${e}\\n${e.stack}` }; });
"""
UPLOAD = """
window.UPLOADED = null;
window.jupyterapp.serviceManager.contents.save(arguments[0], { type: 'file', format: 'base64', content: arguments[1] })
  .then((m) => { window.UPLOADED = { path: m.path }; }, (e) => { window.UPLOADED = { error: String(e) }; });
"""


@pytest.fixture(scope="session")
def lite_site(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The JupyterLite site (tools/build_lite.py) built once per session into a temporary folder."""
    require_module("jupyterlite_core")
    require_module("jupyterlite_pyodide_kernel")
    sys.path.insert(0, str(ROOT / "tools"))
    from build_lite import build_lite

    return str(build_lite(tmp_path_factory.mktemp("lite") / "site"))


def test_notebook_is_stored_without_outputs() -> None:
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)


def test_kernels_url_from_the_kernel_worker() -> None:
    worker = "https://host/course/lite/extensions/@jupyterlite/pyodide-kernel-extension/static/coincident.worker.8c.js"
    assert kernels_base(worker) == "https://host/course/lite/wasm-torch/"
    assert kernels_base(worker, "assets/wt") == "https://host/course/lite/assets/wt/"
    assert kernels_base(worker, "/wt/") == "https://host/wt/"
    assert kernels_base("http://a/b.js", "https://cdn.example/wt") == "https://cdn.example/wt/"
    with pytest.raises(WasmTorchError, match="pass url="):
        kernels_base("http://127.0.0.1/worker/converter.mjs")


def test_install_kernels_outside_pyodide_says_where_it_runs() -> None:
    import asyncio

    import wasm_torch

    with pytest.raises(WasmTorchError, match="inside Pyodide"):
        asyncio.run(wasm_torch.install_kernels())


@pytest.mark.parametrize("isolation", [True, False], ids=["coop-coep", "plain"])
def test_lite_command_serves_the_site_with_the_headers(lite_site: str, isolation: bool) -> None:
    cmd = [sys.executable, "-m", "wasm_torch.cli", "lite", lite_site, "--no-build", "--port", "0"]
    proc = subprocess.Popen(cmd + ([] if isolation else ["--no-isolation"]), stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip().removeprefix("Serving on ")
        assert url.startswith("http://127.0.0.1:") and url.endswith("/"), url
        assert proc.stdout.readline().strip() == f"{url}notebooks/index.html?path={NOTEBOOK.name}"
        for path in ("jupyter-lite.json", "wasm-torch/runtime/pyodide_bridge.mjs",
                     "wasm-torch/kernels/wasm-torch-kernels-mt.worker.js", f"files/{NOTEBOOK.name}"):
            with urllib.request.urlopen(url + path) as r:
                assert (r.headers["Cross-Origin-Embedder-Policy"] == "require-corp") is isolation, path
                assert (r.headers["Cross-Origin-Opener-Policy"] == "same-origin") is isolation, path
    finally:
        proc.terminate()
        proc.wait(10)


def test_lite_without_a_site_says_how_to_build_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lite", str(tmp_path), "--no-build"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "without --no-build" in err


def run_cell(drv: Any, code: str) -> dict[str, Any]:
    drv.execute_script("RUN(arguments[0])", code)
    r = wait_for(drv, "window.CELL", KERNEL_TIMEOUT)
    assert r["status"] == "ok", f"cell failed:\n{code}\n{r['out']}"
    return r


def reference(nonce: int) -> np.ndarray:
    """torch's output for the notebook's input: uniform(-1, 1) draws from random.Random(nonce), as float32."""
    rng = random.Random(nonce)
    x = torch.tensor([rng.uniform(-1, 1) for _ in range(3 * 32 * 32)], dtype=torch.float64)
    with torch.no_grad():
        return torch.export.load(SAMPLE).module()(x.float().reshape(1, 3, 32, 32)).numpy()


def uploaded_model() -> tuple[str, torch.Tensor, np.ndarray]:
    """A .pt2 file unlike the sample (base64), an input and torch's output for it."""
    m = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.Tanh()).eval()
    x = torch.randn(2, 8)
    buf = io.BytesIO()
    torch.export.save(torch.export.export(m, (x,)), buf)
    with torch.no_grad():
        return base64.b64encode(buf.getvalue()).decode(), x, m(x).numpy()


@pytest.mark.parametrize("isolate", [True, False], ids=["coop-coep", "plain"])
def test_example_notebook(lite_site: str, isolate: bool) -> None:
    srv, url = serve_in_thread(lite_site, isolate=isolate)
    drv = start_chromium(OFFLINE)
    try:
        t0 = time.monotonic()
        drv.get(f"{url}notebooks/index.html?path={NOTEBOOK.name}")
        drv.execute_script(OPEN_NOTEBOOK)
        page = wait_for(drv, "window.NB", KERNEL_TIMEOUT)
        assert "error" not in page, page
        assert page["path"] == NOTEBOOK.name and page["kernel"] == "python"
        assert page["coi"] is isolate
        outs = []
        for cell in page["cells"]:
            if cell["type"] == "code":
                outs.append(run_cell(drv, cell["source"]))
        text = "".join(o["out"] for o in outs)

        m = re.search(r"nonce (\d+) backend (\S+) threads (\d+)", text)
        assert m, text
        nonce, backend, threads = int(m[1]), m[2], int(m[3])
        assert str(nonce) not in NOTEBOOK.read_text()
        assert backend == "wasm"
        expected = min(page["cores"], 8) if isolate else 1
        assert threads == expected, text
        # Pyodide and the kernel module variant for those threads came from this site (nothing else resolves)
        served = {path for path, _ in srv.served}
        kernel = "wasm-torch-kernels-mt.wasm" if threads > 1 else "wasm-torch-kernels.wasm"
        assert {"/static/pyodide/pyodide.asm.wasm", f"/wasm-torch/kernels/{kernel}"} <= served, sorted(served)
        assert ("threads are off" in text) is (not isolate and page["cores"] > 1), text
        logits = np.array([[float(v) for v in re.findall(r"<td class='logit'>([^<]+)</td>", text)]], np.float32)
        ok, diff = close(logits, reference(nonce))
        assert ok, f"notebook output vs torch: max diff {diff}\n{text}"
        first = next(o["t"] for o in outs if "per model(x)" in o["out"])
        per_call = re.search(r"then ([\d.]+) ms per model\(x\)", text)[1]
        print(f"\n[lite {'coop-coep' if isolate else 'plain'}] page load -> first model result {first / 1000:.1f} s, "
              f"{per_call} ms per model(x), threads {threads}, whole run {time.monotonic() - t0:.1f} s")

        data, x, want = uploaded_model()
        drv.execute_script(UPLOAD, "uploaded_mlp.pt2", data)
        up = wait_for(drv, "window.UPLOADED", KERNEL_TIMEOUT)
        assert up == {"path": "uploaded_mlp.pt2"}, up
        r = run_cell(drv, f"import json\nup = wasm_torch.load('uploaded_mlp.pt2')\n"
                          f"print(json.dumps(up({json.dumps(x.tolist())}).tolist()), up.backend)")
        values, up_backend = r["out"].rsplit(" ", 1)
        assert up_backend.strip() == "wasm"
        ok, diff = close(np.array(json.loads(values), np.float32), want)
        assert ok, f"uploaded model vs torch: max diff {diff}"
    finally:
        stop_chromium(drv)
        srv.shutdown()
