"""One-line parity checks of a canonical op against real PyTorch (tinygrad's helper_test_op idea).

    parity("conv2d", F.conv2d, [x, w, b], stride=2, padding=1)

Tensor positional/keyword arguments become graph inputs; everything else is passed as is to both
torch and our lowering (so the canonical schema's argument names are torch's). Checks the inferred
shape and dtype against torch's, and the reference values with the project's one tolerance formula.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry
from wasm_torch.runtime.reference import run_graph

TORCH_TO_NAME = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32", torch.int16: "int16",
    torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool",
}


def close(ours: np.ndarray, ref: np.ndarray, tol: float = 1e-4) -> tuple[bool, float]:
    """The project's tolerance: max|ours - torch| <= tol * max(1, max|torch|); exact for ints/bools."""
    ref = np.asarray(ref)
    ours = np.asarray(ours)
    if ours.shape != ref.shape:
        return False, float("inf")
    if ref.size == 0:
        return True, 0.0
    if ref.dtype.kind in "biu":
        diff = float(np.max(np.abs(ours.astype(np.int64) - ref.astype(np.int64))))
        return diff == 0, diff
    r = ref.astype(np.float64)
    o = ours.astype(np.float64)
    both_nan = np.isnan(r) & np.isnan(o)
    same_inf = np.isinf(r) & (o == r)
    with np.errstate(invalid="ignore"):  # inf - inf where both sides agree on the infinity
        d = np.where(both_nan | same_inf, 0.0, np.abs(o - r))
    diff = float(np.nan_to_num(np.max(d), nan=np.inf))
    finite = r[np.isfinite(r)]
    scale = max(1.0, float(np.max(np.abs(finite))) if finite.size else 1.0)
    return diff <= tol * scale, diff


def to_numpy(t: torch.Tensor) -> np.ndarray:
    if t.dtype == torch.bfloat16:
        t = t.float()
    return t.detach().contiguous().numpy()


def flatten_outputs(out: Any) -> list[torch.Tensor | None]:
    if out is None or isinstance(out, torch.Tensor):  # None: an undefined tensor output
        return [out]
    flat: list[torch.Tensor] = []
    for o in out:
        flat += flatten_outputs(o)
    return flat


def parity(op: str, torch_fn: Any, args: list[Any], tol: float = 1e-4, **kwargs: Any) -> list[np.ndarray]:
    """Run `op` through our lowering + reference and `torch_fn` on the same inputs; assert they agree."""
    g = Graph()
    feeds: list[np.ndarray] = []

    def wrap(v: Any) -> Any:
        if isinstance(v, torch.Tensor):
            ref = g.add_input(f"in{len(feeds)}", TensorMeta(TORCH_TO_NAME[v.dtype], tuple(v.shape)))
            feeds.append(to_numpy(v))
            return ref
        if isinstance(v, (list, tuple)) and any(isinstance(x, torch.Tensor) for x in v):
            return [wrap(x) for x in v]
        if isinstance(v, torch.dtype):
            return TORCH_TO_NAME[v]
        return v

    pos = [wrap(v) for v in args]
    kw = {k: wrap(v) for k, v in kwargs.items()}
    outs = registry.lower_call(g, op, pos, kw, source="parity")
    with torch.no_grad():
        expected = flatten_outputs(torch_fn(*args, **kwargs))
    assert len(expected) == len(outs), f"{op}: {len(outs)} outputs, torch gives {len(expected)}"
    assert [r is None for r in outs] == [e is None for e in expected], f"{op}: None outputs differ"
    outs, expected = [r for r in outs if r is not None], [e for e in expected if e is not None]
    g.outputs = [r.name for r in outs]
    got = run_graph(g, feeds)
    for i, (r, e, o) in enumerate(zip(outs, expected, got)):
        meta = g.values[r.name]
        assert meta.shape == tuple(e.shape), f"{op} output {i}: inferred shape {meta.shape}, torch {tuple(e.shape)}"
        assert meta.dtype == TORCH_TO_NAME[e.dtype], f"{op} output {i}: inferred {meta.dtype}, torch {e.dtype}"
        ok, diff = close(o, to_numpy(e), tol)
        assert ok, f"{op} output {i}: max abs diff {diff} (shape {tuple(e.shape)})"
    return got


def lower_metas(op: str, *args: Any, overload: str = "", **kwargs: Any) -> tuple[Graph, list]:
    """Lower one call on a fresh graph where TensorMeta arguments (also inside lists) become inputs;
    for tests of inference and lowering alone, with no values."""
    g = Graph()

    def wrap(v: Any) -> Any:
        if isinstance(v, TensorMeta):
            return g.add_input(f"in{len(g.inputs)}", v)
        if isinstance(v, list) and any(isinstance(x, TensorMeta) for x in v):
            return [wrap(x) for x in v]
        return v

    outs = registry.lower_call(g, op, [wrap(a) for a in args], {k: wrap(v) for k, v in kwargs.items()},
                               "test", overload)
    return g, outs


def assert_plan_matches(plan: bytes, inputs: list[np.ndarray], refs: list[np.ndarray], what: str,
                        runs: tuple[tuple[str, int], ...] = (("st", 1), ("mt", 2))) -> None:
    """Run a .wtm plan on the kernel module (variant, threads per run), twice each, and compare every
    output's dtype, shape and values; the second forward must allocate nothing and grow no memory."""
    from wasm_torch.runtime.wasm import run_plan

    for variant, threads in runs:
        stats: dict[str, Any] = {}
        outs = run_plan(plan, inputs, threads, variant, repeat=2, stats=stats)
        assert stats["alloc_calls_during_forward"] == 0 and stats["wasm_memory_growth"] == 0, f"{what}: {stats}"
        assert len(outs) == len(refs), what
        for i, (o, r) in enumerate(zip(outs, refs)):
            assert o.dtype == r.dtype and o.shape == r.shape, \
                f"{what} output {i}: {o.dtype}{list(o.shape)}, torch {r.dtype}{list(r.shape)}"
            ok, diff = close(o, r)
            assert ok, f"{what} {variant} x{threads}: output {i} differs by {diff}"


class Fn(torch.nn.Module):
    """A module running fn(self, *inputs); keyword tensors become buffers (constants once exported)."""

    def __init__(self, fn: Any, **buffers: torch.Tensor):
        super().__init__()
        self.fn = fn
        for name, value in buffers.items():
            self.register_buffer(name, value)

    def forward(self, *xs: Any) -> Any:
        return self.fn(self, *xs)


def export_plan(module: torch.nn.Module, args: tuple, tmp_path: Any, decompose: bool = False) -> bytes:
    """The .wtm plan of a module as a user gets it: torch.export (core ATen after run_decompositions
    when `decompose`) -> .pt2 file -> load -> plan."""
    from wasm_torch.model import load
    from wasm_torch.plan import build_plan, write_plan

    path = tmp_path / "m.pt2"
    ep = torch.export.export(module.eval(), args)
    torch.export.save(ep.run_decompositions() if decompose else ep, str(path))
    return write_plan(build_plan(load(str(path)).graph))


def check_module_plan(module: torch.nn.Module, args: tuple, tmp_path: Any, what: str = "",
                      codes: Any = (), runs: tuple[tuple[str, int], ...] = (("st", 1), ("mt", 2)),
                      decompose: bool = False) -> bytes:
    """Export a module, check its plan uses the op `codes` (one or several), and compare the plan's outputs with the
    module's on `args` (assert_plan_matches). Returns the plan."""
    from wasm_torch.plan import read_plan

    plan = export_plan(module, args, tmp_path, decompose)
    missing = ({codes} if isinstance(codes, int) else set(codes)) - {op.code for op in read_plan(plan).ops}
    assert not missing, f"{what}: the plan has no {sorted(missing)}"
    with torch.no_grad():
        out = module(*args)
    refs = [t.numpy() for t in (out if isinstance(out, (tuple, list)) else (out,))]
    assert_plan_matches(plan, [a.numpy() for a in args], refs, what or type(module).__name__, runs)
    return plan
