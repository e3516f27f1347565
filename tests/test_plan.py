"""Execution plans (.wtm): torch models converted, run on the real kernel module under Node (both
module variants) and compared with torch; the memory plan; fusion; round trips; unsupported ops;
the CLI; and the hostile plan corpus through the Python reader (tests/node/plan.test.mjs runs it
through the C runtime)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from parity import close
from wasm_torch.errors import FormatError, UnsupportedError, WasmTorchError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.model import load
from wasm_torch.plan import SPACE_ARENA, OpCode, align, build_plan, read_plan, write_plan
from wasm_torch.runtime.wasm import run_plan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLANS = os.path.join(ROOT, "tests", "hostile", "plans")
EXPECTED = json.load(open(os.path.join(PLANS, "expected.json")))

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the wasm backend runs under Node")


class MLP(torch.nn.Module):
    """flatten -> linear+relu -> linear+hardtanh -> residual add -> relu (not fusable) -> linear -> view."""

    def __init__(self, features: int, hidden: int, out: int):
        super().__init__()
        self.fc1 = torch.nn.Linear(features, hidden)
        self.fc2 = torch.nn.Linear(hidden, hidden)
        self.fc3 = torch.nn.Linear(hidden, out, bias=False)

    def forward(self, x):
        h = torch.relu(self.fc1(x.flatten(1)))
        h = torch.relu(h + torch.nn.functional.hardtanh(self.fc2(h), -0.5, 0.75))
        return self.fc3(h).view(-1)


class Products(torch.nn.Module):
    """matmul with a constant and with a transposed one, addmm, relu6 of a product that has another
    user (so it stays a separate op), a constant returned as an output."""

    def __init__(self, k: int, n: int):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(k, n))
        self.v = torch.nn.Parameter(torch.randn(n, n))
        self.b = torch.nn.Parameter(torch.randn(n))

    def forward(self, x):
        h = x @ self.w
        m = h @ self.v.t()
        a = torch.addmm(self.b, h, self.v.t())
        return a + m, torch.nn.functional.relu6(m), self.b


def _export(module: torch.nn.Module, x: torch.Tensor, path) -> str:
    torch.export.save(torch.export.export(module.eval(), (x,)), str(path))
    return str(path)


def _torch_outputs(module: torch.nn.Module, x: torch.Tensor) -> list[np.ndarray]:
    with torch.no_grad():
        out = module(x)
    return [t.detach().numpy() for t in (out if isinstance(out, tuple) else (out,))]


def _check(outs: list[np.ndarray], refs: list[np.ndarray], what: str) -> None:
    assert len(outs) == len(refs), what
    for i, (o, r) in enumerate(zip(outs, refs)):
        ok, diff = close(o, r)
        assert ok, f"{what}: output {i} differs by {diff}"


@pytest.mark.parametrize("batch, features, hidden, out", [(1, 1, 1, 1), (3, 7, 17, 3), (5, 17, 3, 7), (2, 3, 7, 17)])
def test_mlp_matches_torch(tmp_path, batch, features, hidden, out):
    module = MLP(features, hidden, out)
    x = torch.randn(batch, 1, features)
    plan = write_plan(build_plan(load(_export(module, x, tmp_path / "mlp.pt2")).graph))
    refs = _torch_outputs(module, x)
    for variant in ("st", "mt"):
        _check(run_plan(plan, [x.numpy()], variant=variant), refs, f"mlp {variant}")


def test_products_and_constant_output_match_torch(tmp_path):
    module = Products(7, 17)
    x = torch.randn(3, 7)
    plan = build_plan(load(_export(module, x, tmp_path / "products.pt2")).graph)
    codes = [op.code for op in plan.ops]
    assert codes.count(OpCode.GEMM) == 3 and OpCode.COPY in codes and OpCode.CLAMP in codes
    refs = _torch_outputs(module, x)
    for variant in ("st", "mt"):
        _check(run_plan(write_plan(plan), [x.numpy()], variant=variant), refs, f"products {variant}")


def test_threads_and_no_allocation_over_1000_forward_calls(tmp_path):
    module = MLP(17, 33, 7)
    # 129 rows: every GEMM is above WT_SERIAL_WORK, so 2 threads really split it across the pool
    x = torch.randn(129, 1, 17)
    plan = write_plan(build_plan(load(_export(module, x, tmp_path / "mlp.pt2")).graph))
    results = []
    for variant, threads in (("st", 1), ("mt", 1), ("mt", 2)):
        stats: dict = {}
        results.append(run_plan(plan, [x.numpy()], threads, variant, repeat=1000, stats=stats)[0])
        assert stats["forward_calls"] == 1000
        assert stats["alloc_calls_during_forward"] == 0, (variant, threads, stats)
        assert stats["wasm_memory_growth"] == 0, (variant, threads, stats)
        assert stats["memory"]["threads"] == threads
    _check(results[:1], _torch_outputs(module, x), "mlp")
    # the GEMM splits by whole column panels and row blocks: every thread count gives the same bits
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_fusion_only_when_the_gemm_result_has_one_user(tmp_path):
    plan = build_plan(load(_export(MLP(3, 7, 2), torch.randn(2, 1, 3), tmp_path / "mlp.pt2")).graph)
    names = [op.name for op in plan.ops]
    assert names == ["reshape", "linear+relu", "linear+clamp", "add", "relu", "linear", "reshape"], names
    gemm = plan.ops[2]
    assert (gemm.min, gemm.max) == (-0.5, 0.75)


def _live_arena_buffers(plan):
    """Per arena buffer (reshape aliases merged): (offset, size, first step, last step)."""
    root = {}
    for op in plan.ops:
        if op.code == OpCode.RESHAPE:
            root[op.outputs[0]] = root.get(op.inputs[0], op.inputs[0])
    span = {}
    for name, _ in plan.inputs:
        span[root.get(name, name)] = [-1, len(plan.ops)]
    for step, op in enumerate(plan.ops):
        for name in op.inputs + op.outputs:
            r = root.get(name, name)
            lo, hi = span.get(r, [step, step])
            span[r] = [min(lo, step), max(hi, step)]
    for name, _ in plan.outputs:
        span[root.get(name, name)][1] = len(plan.ops)
    return [(plan.values[r].offset, align(plan.values[r].nbytes), lo, hi) for r, (lo, hi) in span.items()
            if plan.values[r].space == SPACE_ARENA]


def test_arena_reuses_memory_and_never_overlaps_live_values(tmp_path):
    class Deep(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList(torch.nn.Linear(33, 33) for _ in range(8))

        def forward(self, x):
            for layer in self.layers:
                x = x + torch.relu(layer(x))
            return x

    plan = build_plan(load(_export(Deep(), torch.randn(4, 33), tmp_path / "deep.pt2")).graph)
    assert plan.arena_bytes * 3 < plan.activation_bytes(), (plan.arena_bytes, plan.activation_bytes())
    buffers = _live_arena_buffers(plan)
    assert max(o + s for o, s, _, _ in buffers) <= plan.arena_bytes
    for i, (o1, s1, a1, b1) in enumerate(buffers):
        for o2, s2, a2, b2 in buffers[i + 1:]:
            if a1 <= b2 and a2 <= b1:  # alive at the same step
                assert o1 + s1 <= o2 or o2 + s2 <= o1, "live buffers share arena bytes"


def test_round_trip_is_exact(tmp_path):
    plan = build_plan(load(_export(Products(3, 5), torch.randn(2, 3), tmp_path / "p.pt2")).graph)
    data = write_plan(plan)
    back = read_plan(data)
    assert back.summary() == plan.summary()
    assert write_plan(back) == data
    assert {n: bytes(w) for n, w in back.weights.items() if n in plan.weights} == \
        {n: bytes(w) for n, w in plan.weights.items()}


def test_unsupported_ops_are_all_listed_with_their_source(tmp_path):
    class Odd(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 2)

        def forward(self, x):  # float64 has no kernels beyond casts: every op computing in it is listed
            h = torch.cumsum(torch.sin(self.fc(x)), 1).double()
            return torch.add(h, torch.floor(h), alpha=2).float()

    path = _export(Odd(), torch.randn(3, 4), tmp_path / "odd.pt2")
    with pytest.raises(UnsupportedError) as e:
        build_plan(load(path).graph)
    ops = [op for op, _ in e.value.problems]
    assert ops == ["floor (self is float64)", "add (result is float64)"], ops
    assert all(src for _, src in e.value.problems)
    r = _cli("convert", path, "-o", str(tmp_path / "odd.wtm"))
    assert r.returncode == 2 and not (tmp_path / "odd.wtm").exists()
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "floor (self is float64) at node floor (Odd)" in lines[0] and "add" in lines[0]


def test_dead_code_is_dropped_before_lowering():
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", (2, 3)))
    g.add_node("sin", {"self": x})  # unused, and the kernels have no sin
    (y,) = g.add_node("relu", {"self": x})
    g.outputs = [y.name]
    plan = build_plan(g)
    assert [op.code for op in plan.ops] == [OpCode.CLAMP]


def test_clamp_bounds_are_float32():
    """torch compares a float32 tensor with its bounds converted to float32; a bound past float32's
    range (which torch refuses at run time) becomes an infinity."""
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", (4,)))
    (y,) = g.add_node("clamp", {"self": x, "min": 0.1, "max": 1e300})
    g.outputs = [y.name]
    plan = build_plan(g)
    (op,) = plan.ops
    assert op.min == float(np.float32(0.1)) and op.max == np.inf
    assert read_plan(write_plan(plan)).summary() == plan.summary()
    x = np.array([-1, 0.1, 0.2, np.inf], np.float32)
    np.testing.assert_array_equal(run_plan(write_plan(plan), [x])[0], torch.clamp(torch.from_numpy(x), min=0.1))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wasm_torch.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_cli_convert_then_run_on_wasm(tmp_path):
    module = MLP(7, 17, 3)
    x = torch.randn(3, 1, 7)
    path = _export(module, x, tmp_path / "mlp.pt2")
    np.save(tmp_path / "x.npy", x.numpy())
    ref = _torch_outputs(module, x)
    r = _cli("convert", path, "-o", str(tmp_path / "mlp.wtm"))
    assert r.returncode == 0 and "arena" in r.stdout, r.stderr
    for args in (["run", str(tmp_path / "mlp.wtm"), "--backend", "wasm"],
                 ["run", path, "--backend", "wasm", "--threads", "2"]):
        r = _cli(*args, "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"))
        assert r.returncode == 0, r.stderr
        _check([np.load(tmp_path / "y.npy")], ref, " ".join(args))
    r = _cli("run", str(tmp_path / "mlp.wtm"))
    assert r.returncode == 2 and "--backend wasm" in r.stderr
    r = _cli("run", str(tmp_path / "mlp.wtm"), "--backend", "wasm", "--input", str(tmp_path / "x.npy"),
             "--input", str(tmp_path / "x.npy"))
    assert r.returncode == 2 and "takes 1 inputs, 2 given" in r.stderr


def test_cli_run_profile_prints_a_table_of_ops():
    sample = os.path.join(ROOT, "py", "wasm_torch", "samples", "tiny_cnn.pt2")
    r = _cli("run", sample, "--backend", "wasm", "--profile")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.split()[:1] == ["op"])
    assert lines[head].split() == ["op", "label", "shape", "ms", "%"]
    rows = lines[head + 1:-1]
    assert [ln.split()[0] for ln in rows].count("conv2d") == 3, r.stdout
    ms = [float(ln.split()[-2]) for ln in rows]
    assert ms == sorted(ms, reverse=True) and min(ms) >= 0
    assert sum(float(ln.split()[-1]) for ln in rows) == pytest.approx(100, abs=1)
    assert lines[-1].startswith("total ") and lines[-1].endswith(f"over {len(rows)} steps")
    r = _cli("run", sample, "--profile")
    assert r.returncode == 2 and "--backend wasm" in r.stderr


def test_hostile_corpus_is_up_to_date(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    try:
        from make_hostile_plans import write_corpus
    finally:
        sys.path.pop(0)
    write_corpus(str(tmp_path))
    names = sorted(os.listdir(tmp_path))
    assert names == sorted(n for n in os.listdir(PLANS) if n != "README.md")
    for name in names:
        assert (tmp_path / name).read_bytes() == open(os.path.join(PLANS, name), "rb").read(), \
            f"{name} is stale: run tools/make_hostile_plans.py"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_plan_python_reader(name):
    data = open(os.path.join(PLANS, name), "rb").read()
    if EXPECTED[name]["reader"]:
        with pytest.raises(FormatError):
            read_plan(data, name)
    else:
        read_plan(data, name)  # framing is fine; the C runtime's op checks reject it


@pytest.mark.parametrize("name", ["gemm_output_shape.wtm", "bad_op_code.wtm", "value_past_arena.wtm"])
def test_hostile_plan_through_the_runtime(name):
    with pytest.raises(WasmTorchError, match=EXPECTED[name]["message"].replace("^", r"\^")):
        run_plan(open(os.path.join(PLANS, name), "rb").read(), [np.zeros((3, 2, 4), np.float32)])


def test_valid_corpus_plan_runs():
    case = json.load(open(os.path.join(PLANS, "valid_mlp.json")))
    x = np.array(case["input"], np.float32).reshape(case["input_shape"])
    (y,) = run_plan(open(os.path.join(PLANS, "valid_mlp.wtm"), "rb").read(), [x])
    _check([y], [np.array(case["output"]).reshape(case["output_shape"])], "valid_mlp")


def test_python_reader_never_raises_anything_but_format_error():
    import hashlib
    import random

    valid = open(os.path.join(PLANS, "valid_mlp.wtm"), "rb").read()
    rand = random.Random(0)
    loaded = 0
    for _ in range(500):
        data = bytearray(valid[:rand.randrange(64, len(valid) + 1)] if rand.random() < 0.1 else valid)
        for _ in range(rand.randint(1, 4)):
            data[rand.randrange(64, len(data))] = rand.randrange(256)
        data[32:64] = hashlib.sha256(data[64:]).digest()
        try:
            read_plan(bytes(data))
            loaded += 1
        except FormatError:
            pass
    assert 0 < loaded < 500
