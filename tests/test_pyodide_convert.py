"""The converter under Pyodide (Python 3.14, no numpy) under Node: the four reference models in
every form torch writes convert to exactly the graphs and .wtm plans CPython produces."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import wasm_torch
import zoo_cache
from browser_util import require_tool
from wasm_torch.ir import dump
from wasm_torch.plan import build_plan, write_plan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["resnet18", "mobilenet_v2", "bert_tiny", "lstm2"]
FORMS = ["trace", "script", "export", "decomposed"]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), ROOT],
                   check=True, capture_output=True, cwd=ROOT)
    (whl,) = out.glob("wasm_torch-*.whl")
    return str(whl)


def test_reference_models_convert_identically_in_pyodide(wheel, tmp_path):
    require_tool("/usr/bin/node")
    jobs, expected, plans, timings = [], {}, {}, {}
    for name in MODELS:
        for form in FORMS:
            path, inputs, _, refusal = zoo_cache.reference_case(name, form)
            if refusal:
                continue
            shapes = [tuple(a.shape) for a in inputs]
            dtypes = [str(a.dtype) for a in inputs]
            key = f"{name}.{form}"
            shutil.copy(path, tmp_path / path.name)
            jobs.append([key, path.name, shapes, dtypes])
            t0 = time.perf_counter()
            g = wasm_torch.load(str(path), shapes, dtypes).graph
            timings[key] = time.perf_counter() - t0
            expected[key] = hashlib.sha256(dump(g).encode()).hexdigest()
            plans[key] = hashlib.sha256(write_plan(build_plan(g))).hexdigest()
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    r = subprocess.run(["node", "tests/node/pyodide_run.mjs", wheel, str(tmp_path), "tests/pyodide_convert.py"],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    for key in expected:
        assert "error" not in got[key], f"{key} in Pyodide: {got[key]['error']}"
        assert got[key]["sha256"] == expected[key], f"{key}: Pyodide's graph differs from CPython's"
        assert got[key]["plan_sha256"] == plans[key], f"{key}: Pyodide's .wtm plan differs from CPython's"
        print(f"{key}: convert {timings[key]:.2f} s CPython, {got[key]['seconds']:.2f} s Pyodide")
    assert len(expected) >= 12
