"""The CLI as a user runs it: exit codes, one-line errors, outputs, and the hostile corpus."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTILE = os.path.join(ROOT, "tests", "hostile")
EXPECTED = json.load(open(os.path.join(HOSTILE, "expected.json")))
MEMORY_LIMIT = 1 << 30  # the CLI must refuse every hostile file within 1 GiB of address space


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def cli(*args: str, limit: bool = False, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wasm_torch.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, preexec_fn=_limit_memory if limit else None)


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if os.path.exists(os.path.join(HOSTILE, n))))
def test_hostile_file_exit_2_one_line(name):
    canaries = [f"/tmp/wasm_torch_canary_{os.path.splitext(name)[0]}"]
    t0 = time.time()
    r = cli("inspect", os.path.join(HOSTILE, name), limit=True, timeout=30)
    assert time.time() - t0 < 30
    assert r.returncode == 2, (r.returncode, r.stdout[-500:], r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wasm-torch: error: "), r.stderr[-2000:]
    assert EXPECTED[name] in lines[0]
    assert not any(os.path.exists(c) for c in canaries)


def test_sample_inspect_json_and_table():
    r = cli("inspect", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["schema"] == "wasm-torch.inspect/1" and s["format"] == "pt2" and s["ok"]
    assert s["inputs"] == [{"name": "x", "shape": [1, 3, 32, 32], "dtype": "float32"}]
    assert s["outputs"][0]["shape"] == [1, 10]
    assert s["op_histogram"]["conv2d"] == 3
    r = cli("inspect")
    assert r.returncode == 0 and "conv2d" in r.stdout and "params" in r.stdout


def test_run_sample_output_files(tmp_path):
    x = np.random.default_rng(1).standard_normal((1, 3, 32, 32)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    r = cli("run", "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"))
    assert r.returncode == 0, r.stderr
    y = np.load(tmp_path / "y.npy")
    assert y.shape == (1, 10) and np.isfinite(y).all()
    r = cli("run", "--input", str(tmp_path / "x.npy"), "--output-dir", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "output_0.npy"), y)


def test_run_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    sample = os.path.join(ROOT, "py", "wasm_torch", "samples", "tiny_cnn.pt2")
    ep = torch.export.load(sample)
    x = torch.randn(1, 3, 32, 32)
    np.save(tmp_path / "x.npy", x.numpy())
    r = cli("run", sample, "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"))
    assert r.returncode == 0, r.stderr
    with torch.no_grad():
        ref = ep.module()(x).numpy()
    y = np.load(tmp_path / "y.npy")
    assert np.max(np.abs(y - ref)) <= 1e-4 * max(1.0, np.max(np.abs(ref)))


@pytest.mark.parametrize("args, message", [
    (["inspect", "/nonexistent/model.pt2"], "cannot read"),
    (["run", "--input", "/nonexistent/x.npy"], "not a readable .npy"),
    (["run", "--input-shape", "1,3,9,9"], "static"),
])
def test_bad_input_exit_2(args, message):
    r = cli(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("wasm-torch: error: ") and message in lines[-1]


def test_multiple_outputs_need_output_dir(tmp_path):
    torch = pytest.importorskip("torch")

    class Two(torch.nn.Module):
        def forward(self, x):
            return x + 1, (x * 2,)

    path = tmp_path / "two.pt2"
    torch.export.save(torch.export.export(Two(), (torch.randn(2, 3),)), path)
    np.save(tmp_path / "x.npy", np.ones((2, 3), np.float32))
    r = cli("run", str(path), "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"))
    assert r.returncode == 2 and "--output-dir" in r.stderr
    r = cli("run", str(path), "--input", str(tmp_path / "x.npy"), "--output-dir", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "o" / "output_1.npy"), np.full((2, 3), 2, np.float32))


def test_wasm_backend_without_a_built_kernel_module_says_how_to_build_it():
    r = subprocess.run([sys.executable, "-m", "wasm_torch.cli", "run", "--backend", "wasm"], capture_output=True,
                       text=True, timeout=60, cwd=ROOT, env={**os.environ, "WASM_TORCH_KERNELS": "/nonexistent"})
    assert r.returncode == 2
    assert "make -C wasm_kernels" in r.stderr.strip().splitlines()[-1]
