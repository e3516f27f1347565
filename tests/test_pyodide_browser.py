"""The Python half in real Pyodide, in a module Worker of headless Chromium, booted as the site boots it
(wheel from site.json, runtime/pyodide_bridge.mjs's installKernels): the four reference models' files
read and converted exactly as on CPython, the hostile files refused with CPython's errors, and model(x)
run on the kernel module (2 threads on a cross-origin isolated page, the single-threaded module on a
plain one) matching torch, for memoryview and nested-list inputs. One Pyodide boot and one batch of
Python per page (tests/browser/pyodide_jobs.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wasm_torch
import zoo_cache
from browser_util import start_chromium, stop_chromium, wait_for
from wasm_torch.ir import dump
from wasm_torch.plan import build_plan, write_plan
from wasm_torch.serve import serve_in_thread

TESTS = Path(__file__).resolve().parent
MODELS = ["resnet18", "mobilenet_v2", "bert_tiny", "lstm2"]
FORMS = ["trace", "script", "export", "decomposed"]
RUN_FORM = "export"
HOSTILE = sorted(json.loads((TESTS / "hostile" / "expected.json").read_text()))
PLANS = json.loads((TESTS / "hostile" / "plans" / "expected.json").read_text())
VALID_PLAN = json.loads((TESTS / "hostile" / "plans" / "valid_mlp.json").read_text())
DTYPES = {"f": np.float32, "q": np.int64, "?": np.bool_}


def _cases() -> dict[str, tuple[Path, list[np.ndarray], list[np.ndarray]]]:
    cases = {}
    for name in MODELS:
        for form in FORMS:
            path, inputs, outputs, refusal = zoo_cache.reference_case(name, form)
            if not refusal:
                cases[f"{name}.{form}"] = (path, inputs, outputs)
    return cases


@pytest.fixture(scope="module")
def site(site_dist: str) -> dict[str, Any]:
    """The built site plus the test page, its worker and the data (model files linked, inputs as raw bytes)."""
    root = Path(site_dist)
    for name in ("pyodide.html", "pyodide_worker.mjs"):
        shutil.copy(TESTS / "browser" / name, root / name)
    data = root / "pyodide_data"
    data.mkdir(exist_ok=True)
    if not (data / "hostile").exists():
        os.symlink(TESTS / "hostile", data / "hostile")
    cases = _cases()
    convert, run = [], {}
    for key, (path, inputs, _) in cases.items():
        if not (data / path.name).exists():
            os.symlink(path, data / path.name)
        convert.append([key, f"pyodide_data/{path.name}", [list(a.shape) for a in inputs],
                        [str(a.dtype) for a in inputs]])
        if key.endswith(f".{RUN_FORM}"):
            run[key] = []
            for i, a in enumerate(inputs):
                (data / f"{key}.in_{i}.bin").write_bytes(np.ascontiguousarray(a).tobytes())
                run[key].append([f"pyodide_data/{key}.in_{i}.bin", list(a.shape), str(a.dtype)])
    isolated, url = serve_in_thread(site_dist, isolate=True)
    plain, plain_url = serve_in_thread(site_dist, isolate=False)
    yield {"url": url, "plain": plain_url, "cases": cases, "convert": convert, "run": run}
    isolated.shutdown()
    plain.shutdown()


@pytest.fixture(scope="module")
def drv() -> Any:
    d = start_chromium()
    yield d
    stop_chromium(d)


def run_page(drv: Any, url: str, threads: int, jobs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open the test page, wait for Pyodide + wheel + kernels, run the job batch; (boot report, result)."""
    drv.get(f"{url}pyodide.html?threads={threads}")
    ready = wait_for(drv, "window.READY", 180)
    assert ready["type"] == "ready", ready["error"]
    code = f"JOBS = {json.dumps(jobs)!r}\n" + (TESTS / "browser" / "pyodide_jobs.py").read_text()
    drv.execute_script("runPython(arguments[0])", code)
    got = wait_for(drv, "window.RESULT", 600)
    assert "error" not in got, got["error"]
    return ready, json.loads(got["result"])


@pytest.fixture(scope="module")
def isolated(site: dict[str, Any], drv: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every reference model file converted, the hostile corpus, model(x) on 2 threads."""
    return run_page(drv, site["url"], 2, {"convert": site["convert"], "hostile": HOSTILE, "plans": {},
                                          "run": site["run"], "checks": ""})


@pytest.fixture(scope="module")
def plain(site: dict[str, Any], drv: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """No cross-origin isolation: 2 threads asked, the single-threaded module given; model(x) and the checks."""
    jobs = [j for j in site["convert"] if j[0] in site["run"]]
    plans = {**{name: None for name in PLANS}, "valid_mlp.wtm": VALID_PLAN["input"]}
    return run_page(drv, site["plain"], 2, {"convert": jobs, "hostile": [], "plans": plans, "run": site["run"],
                                            "checks": f"lstm2.{RUN_FORM}"})


def test_format_readers_and_conversion_match_cpython(site: dict[str, Any], isolated: Any) -> None:
    _, result = isolated
    assert result["platform"] == "emscripten" and not result["numpy"]
    assert len(result["convert"]) == len(site["cases"]) >= 12
    for key, (path, inputs, _) in site["cases"].items():
        got = result["convert"][key]
        assert "error" not in got, f"{key} in Pyodide: {got['error']}"
        m = wasm_torch.load(path.read_bytes(), [list(a.shape) for a in inputs], [str(a.dtype) for a in inputs],
                            name=path.name)
        assert got["graph"] == hashlib.sha256(dump(m.graph).encode()).hexdigest(), f"{key}: graph differs"
        assert got["plan"] == hashlib.sha256(write_plan(build_plan(m.graph))).hexdigest(), f"{key}: plan differs"
        assert got["summary"] == m.summary(), f"{key}: summary differs"
        print(f"{key}: {got['seconds']:.2f} s in Pyodide")


def test_hostile_files_fail_as_on_cpython(isolated: Any) -> None:
    _, result = isolated
    assert sorted(result["hostile"]) == HOSTILE
    for name in HOSTILE:
        try:
            wasm_torch.inspect((TESTS / "hostile" / name).read_bytes(), name=name)
            expected = "accepted"
        except Exception as e:
            expected = f"{type(e).__name__}: {e}"
        assert result["hostile"][name] == expected, name


def check_runs(site: dict[str, Any], result: dict[str, Any], variant: str, threads: int) -> None:
    assert sorted(result["run"]) == sorted(site["run"])
    for key, run in result["run"].items():
        assert (run["backend"], run["variant"], run["threads"]) == ("wasm", variant, threads), key
        assert run["single"] and all(run["lists_match"]), key
        got = [np.frombuffer(base64.b64decode(o["data"]), DTYPES[o["format"]]).reshape(o["shape"])
               for o in run["outputs"]]
        zoo_cache.check_outputs(got, site["cases"][key][2], f"{key} in Pyodide ({variant}, {threads} threads)")
        print(f"{key}: first call {run['first_ms']:.0f} ms ({variant}, {threads} threads)")


def test_models_run_on_two_threads_when_isolated(site: dict[str, Any], isolated: Any) -> None:
    ready, result = isolated
    assert ready["crossOriginIsolated"] and ready["kernels"] == {"variant": "mt", "threads": 2}
    check_runs(site, result, "mt", 2)


def test_models_run_single_threaded_without_isolation(site: dict[str, Any], plain: Any) -> None:
    ready, result = plain
    assert not ready["crossOriginIsolated"] and ready["kernels"] == {"variant": "st", "threads": 1}
    check_runs(site, result, "st", 1)


def test_hostile_plans_are_refused_by_the_kernel_module_in_pyodide(plain: Any) -> None:
    _, result = plain
    got = result["plans"]
    for name, expected in PLANS.items():
        assert "error" in got[name], f"{name} was accepted"
        assert got[name]["error"].startswith("WasmTorchError: wasm backend: ") and expected["message"] in \
            got[name]["error"], f"{name}: {got[name]['error']}"
    (y,) = got["valid_mlp.wtm"]["outputs"]
    np.testing.assert_allclose(np.array(y).ravel(), VALID_PLAN["output"], rtol=1e-5, atol=1e-6)


def test_errors_and_kernel_api_in_pyodide(plain: Any) -> None:
    _, result = plain
    c = result["checks"]
    assert c["wrong_shape"].startswith("WasmTorchError: input '") and "shape [32, 64], expected [1, 32, 64]" in \
        c["wrong_shape"]
    assert c["wrong_count"] == "WasmTorchError: the model takes 1 inputs, 2 given"
    assert "int values (format 'q'), expected float32" in c["wrong_dtype"]
    assert "ragged nested lists" in c["ragged"]
    assert c["raw_bytes"] and c["flat_array"]
    assert c["kernel"]["threads"] == 1 and c["kernel"]["variant"] == "st" and c["kernel"]["same"]
    assert c["kernel"]["profile_ops"], c["kernel"]
    assert {"arenaBytes", "weightBytes", "wasmMemoryBytes", "threads"} <= set(c["kernel"]["memory"])
    assert c["disposed"] == "WasmTorchError: this model's plan was disposed"
    assert c["bad_plan"].startswith("WasmTorchError: wasm backend: "), c["bad_plan"]
    assert c["threads_clamped"] == [True, 1]
    assert "needs numpy" in c["reference_without_numpy"] and "installKernels" in c["reference_without_numpy"]
    backend, message = c["no_kernels"]
    assert backend == "wasm" and "needs the kernel module" in message and "installKernels" in message
    assert c["still_works"]
