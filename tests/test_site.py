"""The site end to end in headless Chromium: the page (sample, file input, a real drop event, .npy inputs,
unsupported and corrupt files, the page without COOP/COEP) and the JS API from a test page, with every
output compared to torch's."""

from __future__ import annotations

import gzip
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import zoo_cache
from browser_util import start_chromium, stop_chromium, wait_for
from parity import close
from wasm_torch.cli import main
from wasm_torch.serve import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "py" / "wasm_torch" / "samples" / "tiny_cnn.pt2"
SCREENSHOTS = ROOT / "build" / "screenshots"
MODELS = ["resnet18", "mobilenet_v2", "bert_tiny", "lstm2"]


@pytest.fixture(scope="module")
def site(site_dist: str) -> dict[str, str]:
    for page in ("api_test.html", "load_only.html"):
        shutil.copy(ROOT / "tests" / "browser" / page, Path(site_dist) / page)
    isolated, url = serve_in_thread(site_dist, isolate=True)
    plain, plain_url = serve_in_thread(site_dist, isolate=False)
    yield {"dir": site_dist, "url": url, "plain": plain_url, "server": isolated}
    isolated.shutdown()
    plain.shutdown()


@pytest.fixture(scope="module")
def drv() -> Any:
    d = start_chromium()
    d.set_window_size(1400, 1600)
    yield d
    stop_chromium(d)


def open_page(drv: Any, url: str, autorun: bool = False) -> None:
    drv.get(url)
    wait_for(drv, "window.APP && APP.state === 'idle' ? 1 : null", 60)
    # the tests choose each run's inputs, so the run-on-load (random inputs) is off unless asked for
    drv.execute_script(f"document.getElementById('autorun').checked = {json.dumps(autorun)}")


def settle(drv: Any, states: tuple[str, ...], timeout: float = 180) -> str:
    js = json.dumps(list(states))
    return wait_for(drv, f"{js}.includes(window.APP.state) ? APP.state : null", timeout)


def choose_model(drv: Any, path: Path) -> str:
    drv.find_element("id", "file").send_keys(str(path))
    return settle(drv, ("ready", "error"))


def run_on(drv: Any, inputs: list[Path], runs: int = 2) -> list[dict[str, Any]]:
    drv.execute_script("const s = document.getElementById('input-kind'); s.value = 'npy';"
                       "s.dispatchEvent(new Event('change'));"
                       f"document.getElementById('runs').value = {runs};")
    drv.find_element("id", "input-file").send_keys("\n".join(str(p) for p in inputs))
    drv.find_element("id", "run").click()
    assert settle(drv, ("done", "error")) == "done", drv.execute_script("return APP.error")
    return drv.execute_script("return APP.lastOutputs")


def npy_inputs(arrays: list[np.ndarray], folder: Path) -> list[Path]:
    paths = []
    for i, a in enumerate(arrays):
        paths.append(folder / f"in_{i}.npy")
        np.save(paths[-1], a)
    return paths


def assert_outputs(got: list[dict[str, Any]], refs: list[np.ndarray], what: str) -> None:
    assert len(got) == len(refs), what
    for i, (o, r) in enumerate(zip(got, refs)):
        assert o["shape"] == list(r.shape), f"{what} output {i}"
        ok, diff = close(np.asarray(o["data"], dtype=np.float32).reshape(r.shape), r)
        assert ok, f"{what} output {i} differs from torch by {diff}"


def sample_torch(x: np.ndarray) -> np.ndarray:
    return torch.export.load(str(SAMPLE)).module()(torch.from_numpy(x)).detach().numpy()


def test_sample_button_runs_on_load_then_matches_torch(site, drv, tmp_path):
    open_page(drv, site["url"], autorun=True)
    assert drv.execute_script("return APP.runtime") == {"crossOriginIsolated": True, "threads": 2, "variant": "mt"}
    assert not drv.find_element("id", "notice-threads").is_displayed()
    drv.find_element("id", "sample").click()
    assert settle(drv, ("done", "error")) == "done", drv.execute_script("return APP.error")
    assert drv.execute_script("return APP.timings.runs") == 10  # timed results with no further click
    x = np.random.default_rng(1).standard_normal((1, 3, 32, 32)).astype(np.float32)
    got = run_on(drv, npy_inputs([x], tmp_path))
    assert_outputs(got, [sample_torch(x)], "sample")
    summary = drv.find_element("id", "summary-card").text
    assert "tiny_cnn.pt2" in summary and "conv2d" in summary and "[1, 3, 32, 32]" in summary
    assert drv.find_element("id", "top5").text.count("\n") == 5  # header + 5 classes
    assert "conv2d" in drv.find_element("id", "profile").text


@pytest.mark.parametrize("name", MODELS)
def test_reference_models_pt_and_pt2_through_the_page(site, drv, tmp_path, name):
    open_page(drv, site["url"])
    for form in ("trace", "export"):
        path, inputs, refs, refusal = zoo_cache.reference_case(name, form)
        assert not refusal, refusal
        drv.execute_script("APP.events = []")
        assert choose_model(drv, path) == "ready", f"{path.name}: {drv.execute_script('return APP.error')}"
        stages = set(drv.execute_script("return APP.events.map((e) => e.stage)"))
        assert {"read", "convert", "plan", "load"} <= stages, f"{path.name}: progress stages {stages}"
        assert drv.execute_script("return APP.source") == "converted"
        got = run_on(drv, npy_inputs(inputs, tmp_path), runs=1)
        assert_outputs(got, refs, path.name)
        if name == "resnet18" and form == "export":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            drv.save_screenshot(str(SCREENSHOTS / "site-resnet18.png"))


def test_real_drop_event(site, drv, tmp_path):
    path, inputs, refs, _ = zoo_cache.reference_case("lstm2", "decomposed")
    shutil.copy(path, Path(site["dir"]) / "dropped.pt2")
    open_page(drv, site["url"])
    drv.execute_script("""
        fetch('dropped.pt2').then((r) => r.arrayBuffer()).then((bytes) => {
          const dt = new DataTransfer();
          dt.items.add(new File([bytes], 'lstm2.decomposed.pt2'));
          const drop = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
          document.getElementById('drop').dispatchEvent(drop);
        });""")
    assert settle(drv, ("ready", "error")) == "ready", drv.execute_script("return APP.error")
    assert "lstm2.decomposed.pt2" in drv.find_element("id", "summary-card").text
    assert_outputs(run_on(drv, npy_inputs(inputs, tmp_path), runs=1), refs, "dropped lstm2")


def test_unsupported_model_lists_its_ops_on_the_page(site, drv, tmp_path):
    class Exotic(torch.nn.Module):
        def forward(self, x):
            return torch.special.bessel_j0(x) + torch.fft.fft(x).real

    path = tmp_path / "exotic.pt2"
    torch.export.save(torch.export.export(Exotic(), (torch.randn(4, 8),)), str(path))
    open_page(drv, site["url"])
    assert choose_model(drv, path) == "error"
    error = drv.find_element("id", "error").text
    assert "exotic.pt2" in error and "special_bessel_j0" in error
    table = drv.find_element("id", "unsupported").text
    assert "aten.special_bessel_j0.default" in table and "aten.fft_fft.default" in table
    assert "node special_bessel_j0 (Exotic)" in table


def test_corrupt_file_shows_an_error_and_the_page_keeps_working(site, drv, tmp_path):
    path = tmp_path / "broken.pt2"
    path.write_bytes(b"PK\x03\x04" + os.urandom(3000))
    open_page(drv, site["url"])
    assert choose_model(drv, path) == "error"
    error = drv.find_element("id", "error")
    assert error.is_displayed() and "broken.pt2" in error.text
    drv.find_element("id", "sample").click()
    assert settle(drv, ("ready", "error")) == "ready", drv.execute_script("return APP.error")
    assert not drv.find_element("id", "error").is_displayed()


def test_without_isolation_headers_runs_single_threaded_with_a_notice(site, drv, tmp_path):
    open_page(drv, site["plain"])
    assert drv.execute_script("return APP.runtime") == {"crossOriginIsolated": False, "threads": 1, "variant": "st"}
    notice = drv.find_element("id", "notice-threads")
    assert notice.is_displayed() and "Cross-Origin-Embedder-Policy: require-corp" in notice.text
    drv.find_element("id", "sample").click()
    assert settle(drv, ("ready", "error")) == "ready", drv.execute_script("return APP.error")
    x = np.zeros((1, 3, 32, 32), np.float32)
    assert_outputs(run_on(drv, npy_inputs([x], tmp_path), runs=1), [sample_torch(x)], "sample, no COOP/COEP")


def test_js_api_cache_and_wtm(site, drv):
    drv.get(site["url"] + "api_test.html")
    r = wait_for(drv, "window.RESULT", 180)
    assert "error" not in r, r.get("error")
    x = np.sin(np.arange(3 * 32 * 32, dtype=np.float64) * 0.37).astype(np.float32).reshape(1, 3, 32, 32)
    ref = sample_torch(x)
    first = r["first"]
    assert first["source"] == "converted" and first["converterStarted"] and first["threads"] == 2
    assert {"read", "boot", "convert", "plan", "load"} <= set(first["stages"])
    assert r["y1"]["shape"] == [1, 10] and r["y1"]["dtype"] == "float32"
    assert r["twoModels"]["threads"] == 2
    for what, y in (("converted", r["y1"]["data"]), ("cache", r["second"]["y"]), ("wtm", r["wtm"]["y"]),
                    ("second live model", r["twoModels"]["y"])):
        assert_outputs([{"shape": [1, 10], "data": y}], [ref], what)
    assert r["second"]["source"] == "cache" and r["second"]["converterStarted"] is False
    assert r["wtm"]["source"] == "wtm" and r["wtm"]["converterStarted"] is False
    assert "shape [1,3,32,31]" in r["shapeError"] and "[1,3,32,32]" in r["shapeError"]
    assert "shorter than its 64-byte envelope" in r["badPlan"]
    assert set(r["memory"]) == {"wasmBytes", "arenaBytes", "weightBytes"} and r["memory"]["arenaBytes"] > 0
    ops = {s["op"] for s in r["profile"]}
    assert "conv2d" in ops and math.isclose(sum(s["share"] for s in r["profile"]), 1, rel_tol=1e-6)


@pytest.mark.parametrize("isolation", [True, False])
def test_serve_command_prints_the_url_and_sends_the_headers(site_dist, isolation):
    cmd = [sys.executable, "-m", "wasm_torch.cli", "serve", site_dist, "--port", "0"]
    proc = subprocess.Popen(cmd + ([] if isolation else ["--no-isolation"]), stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("Serving on http://127.0.0.1:") and line.endswith("/"), line
        with urllib.request.urlopen(line.removeprefix("Serving on ") + "wasm-torch.mjs") as r:
            assert r.headers["Content-Type"] == "text/javascript"
            assert (r.headers["Cross-Origin-Embedder-Policy"] == "require-corp") is isolation
            assert (r.headers["Cross-Origin-Opener-Policy"] == "same-origin") is isolation
        wasm = "pyodide/pyodide.asm.wasm"
        req = urllib.request.Request(line.removeprefix("Serving on ") + wasm, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as r:  # the precompressed twin, decoded to the very same bytes
            assert r.headers["Content-Encoding"] == "gzip" and r.headers["Content-Type"] == "application/wasm"
            assert gzip.decompress(r.read()) == (Path(site_dist) / wasm).read_bytes()
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_without_a_site_says_how_to_build_one(tmp_path, capsys):
    assert main(["serve", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "tools/build_site.py" in err


def load_only(drv: Any, site: dict[str, Any], query: str) -> tuple[dict[str, Any], list[str]]:
    """A fresh page loads one file and runs it on zeros; returns its result and the paths it fetched."""
    drv.get("about:blank")
    site["server"].served.clear()
    drv.get(site["url"] + "load_only.html?" + query)
    r = wait_for(drv, "window.RESULT", 120)
    assert "error" not in r, r.get("error")
    assert_outputs([{"shape": [1, 10], "data": r["y"]}], [sample_torch(np.zeros((1, 3, 32, 32), np.float32))], query)
    return r, [path for path, _ in site["server"].served]


def no_pyodide(fetched: list[str]) -> bool:
    return not [p for p in fetched if p.startswith(("/pyodide/", "/wheels/")) or "converter" in p]


def test_wtm_and_cached_plans_never_fetch_pyodide(site, drv):
    assert main(["convert", str(SAMPLE), "-o", str(Path(site["dir"]) / "sample.wtm")]) == 0
    r, fetched = load_only(drv, site, "src=/sample.wtm")
    assert r["source"] == "wtm" and r["converterStarted"] is False
    assert "/kernels/wasm-torch-kernels.wasm" in fetched and no_pyodide(fetched), fetched

    r, fetched = load_only(drv, site, "src=/samples/tiny_cnn.pt2&clear=1")
    assert r["source"] == "converted" and "/pyodide/pyodide.asm.wasm" in fetched
    r, fetched = load_only(drv, site, "src=/samples/tiny_cnn.pt2")  # a later visit: the plan cache
    assert r["source"] == "cache" and r["converterStarted"] is False and no_pyodide(fetched), fetched


def test_scripted_model_with_input_specs_and_a_weights_file(site, drv, tmp_path):
    """Options: shapes (and dtypes) for a scripted TorchScript file, and a safetensors weight swap."""
    open_page(drv, site["url"])
    path, inputs, refs, _ = zoo_cache.reference_case("bert_tiny", "script")
    spec = ",".join(map(str, inputs[0].shape)) + ":int64"
    drv.find_element("id", "options").click()
    drv.find_element("id", "input-shapes").send_keys(spec)
    assert choose_model(drv, path) == "ready", drv.execute_script("return APP.error")
    assert_outputs(run_on(drv, npy_inputs(inputs, tmp_path), runs=1), refs, f"bert_tiny script.pt ({spec})")

    folder = zoo_cache.zoo_dir() / "tiny_cnn"
    info = zoo_cache.manifest()["entries"]["tiny_cnn"]
    drv.find_element("id", "input-shapes").clear()
    drv.find_element("id", "weights").send_keys(str(folder / "swap" / zoo_cache.WEIGHT_FILES["safetensors"]))
    assert choose_model(drv, folder / "export.pt2") == "ready", drv.execute_script("return APP.error")
    got = run_on(drv, npy_inputs(zoo_cache.load_arrays(folder, "in", info["n_inputs"]), tmp_path), runs=1)
    assert_outputs(got, zoo_cache.load_arrays(folder / "swap", "out", info["n_outputs"]), "tiny_cnn + safetensors")


def png(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of an [H, W, 3] uint8 array (no filter, one IDAT)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_image_input_is_normalised_like_torchvision(site, drv, tmp_path):
    rgb = np.random.default_rng(3).integers(0, 256, (32, 32, 3), dtype=np.uint8)  # the sample's input size
    (tmp_path / "cat.png").write_bytes(png(rgb))
    open_page(drv, site["url"])
    drv.find_element("id", "sample").click()
    assert settle(drv, ("ready", "error")) == "ready", drv.execute_script("return APP.error")
    drv.execute_script("const s = document.getElementById('input-kind'); s.value = 'image';"
                       "s.dispatchEvent(new Event('change')); document.getElementById('runs').value = 1;")
    drv.find_element("id", "input-file").send_keys(str(tmp_path / "cat.png"))
    drv.find_element("id", "run").click()
    assert settle(drv, ("done", "error")) == "done", drv.execute_script("return APP.error")
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    x = ((rgb / 255.0 - mean) / std).astype(np.float32).transpose(2, 0, 1)[None]
    assert_outputs(drv.execute_script("return APP.lastOutputs"), [sample_torch(np.ascontiguousarray(x))], "image")
