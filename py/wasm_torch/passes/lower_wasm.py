"""Kernel selection for the wasm backend: canonical graph nodes -> plan ops (plan.OpCode).

Every node either maps onto kernel ops or is reported: one pass collects every unsupported op
with its source location and raises a single UnsupportedError, so the user sees the whole list.
There is no fallback: an op the kernels lack makes conversion fail.

Supported (float32 only; passes/lower_linalg.py takes the other matrix-product cases):
    linear                     GEMM (weight [N, K] a constant, bias a constant or None)
    addmm(b, x, W)             GEMM + bias, beta = alpha = 1, b a constant [N] or [1, N]
    relu, clamp (number bounds) CLAMP (fused into a preceding GEMM by passes/fuse.py)
    add (same shapes, alpha 1) ADD
    reshape (view, flatten)    RESHAPE: zero-copy, the output aliases the input's bytes
    permute([1, 0]) of a constant, when only GEMMs read it: folded into the GEMM's weight layout
A constant returned as an output is copied into the arena (COPY).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any

from ..errors import UnsupportedError
from ..ir import Graph, Node, Ref
from ..plan import DTYPE_CODES, GEMM_FLAG_KN, MAX_RANK, OpCode, PlanOp
from .layout import NHWC_TO_NCHW


class _Reject(Exception):
    """A node the kernels cannot run; the message says why ("add (broadcast [2, 3] + [3])")."""


@dataclass
class Lowered:
    ops: list[PlanOp]
    inputs: list[tuple[str, str]]           # (value, user-facing name)
    outputs: list[tuple[str, str]]
    shapes: dict[str, tuple[int, ...]]      # every value the ops, inputs and outputs name
    constants: dict[str, Any]               # constant value -> TensorData
    dtypes: dict[str, str] = field(default_factory=dict)  # values that are not float32


@dataclass
class _Ctx:
    g: Graph
    ops: list[PlanOp] = field(default_factory=list)
    # permute([1, 0]) of a constant: output -> (the constant, the permute node)
    transposed: dict[str, tuple[str, Node]] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, tuple[int, ...]] = field(default_factory=dict)  # values the lowering adds (COPY targets)
    folded: dict[str, Any] = field(default_factory=dict)  # constants the lowering adds (arange) -> TensorData
    dtypes: dict[str, str] = field(default_factory=dict)  # values the lowering adds that are not float32
    layout: Any = None  # passes/layout.py's Layout: which activations are stored NHWC (vision ops)

    def shape(self, ref: Ref) -> tuple[int, ...]:
        return tuple(self.g.values[ref.name].shape)

    def is_const(self, ref: Any) -> bool:
        return isinstance(ref, Ref) and ref.name in self.g.constants

    def tensor(self, ref: Any, what: str, op: str) -> str:
        """A float32 tensor operand the kernels read directly (an activation or a constant)."""
        if not isinstance(ref, Ref):
            raise _Reject(f"{op} ({what} is a number)")
        if ref.name in self.transposed:
            raise _Reject(f"permute (its result feeds {op}, not a matrix product)")
        dtype = self.g.values[ref.name].dtype
        if dtype != "float32":
            raise _Reject(f"{op} ({what} is {dtype})")
        if self.layout is not None and ref.name not in self.g.constants:
            return self.layout.operand(self, ref.name)  # in the layout the node runs in
        return ref.name

    def value(self, ref: Any, what: str, op: str) -> str:
        """A tensor operand of any plan dtype: float32 as `tensor` gives it, the others as they are."""
        if isinstance(ref, Ref) and self.g.values[ref.name].dtype in DTYPE_CODES.keys() - {"float32"}:
            return ref.name
        return self.tensor(ref, what, op)

    def const(self, ref: Any, what: str, op: str, ranks: tuple[int, ...]) -> str:
        name = self.tensor(ref, what, op)
        if name not in self.g.constants:
            raise _Reject(f"{op} ({what} is not a constant)")
        if len(self.shape(ref)) not in ranks:
            raise _Reject(f"{op} ({what} has shape {list(self.shape(ref))})")
        return name

    def weight(self, ref: Any, what: str, op: str) -> tuple[str, int]:
        """A matrix-product weight: (constant, flags) for [K, N] storage or a folded transpose."""
        if isinstance(ref, Ref) and ref.name in self.transposed:
            return self.transposed[ref.name][0], 0
        return self.const(ref, what, op, (2,)), GEMM_FLAG_KN

    def emit(self, code: OpCode, node: Node, inputs: list[str], name: str | None = None, **attrs: Any) -> None:
        self.ops.append(PlanOp(code, inputs, [node.outputs[0]], name or node.op, node.source, **attrs))


def _linear(c: _Ctx, n: Node) -> None:
    a = n.args
    x = c.tensor(a["input"], "input", "linear")
    w = c.const(a["weight"], "weight", "linear", (2,))
    b = [] if a["bias"] is None else [c.const(a["bias"], "bias", "linear", (1,))]
    if not c.shape(a["input"]):
        raise _Reject("linear (0-d input)")
    c.emit(OpCode.GEMM, n, [x, w] + b)


def _addmm(c: _Ctx, n: Node) -> None:
    a = n.args
    if a["beta"] != 1 or a["alpha"] != 1:
        raise _Reject(f"addmm (beta={a['beta']}, alpha={a['alpha']})")
    x = c.tensor(a["mat1"], "mat1", "addmm")
    w, flags = c.weight(a["mat2"], "mat2", "addmm")
    bias = c.const(a["self"], "self", "addmm", (1, 2))
    out = tuple(c.g.values[n.outputs[0]].shape)
    if c.shape(a["self"]) not in ((out[-1],), (1, out[-1])):
        raise _Reject(f"addmm (self {list(c.shape(a['self']))} is not a bias vector of {out[-1]})")
    c.emit(OpCode.GEMM, n, [x, w, bias], flags=flags)


def _bound(v: Any, what: str, op: str, default: float) -> float:
    """A clamp bound as torch applies it to a float32 tensor: converted to float32."""
    if v is None:
        return default
    if not isinstance(v, (int, float)) or isinstance(v, bool) or math.isnan(v):
        raise _Reject(f"{op} ({what} bound {v!r} is not a number)")
    try:
        return struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:  # beyond float32's range: an infinity, as torch's conversion gives
        return math.copysign(math.inf, v)


def _clamp(c: _Ctx, n: Node) -> None:
    x = c.tensor(n.args["self"], "self", n.op)
    if n.op == "relu":
        lo, hi = 0.0, math.inf
    else:
        lo, hi = _bound(n.args["min"], "min", n.op, -math.inf), _bound(n.args["max"], "max", n.op, math.inf)
    c.emit(OpCode.CLAMP, n, [x], min=lo, max=hi)


def _add(c: _Ctx, n: Node) -> None:
    a = n.args
    if a["alpha"] != 1:
        raise _Reject(f"add (alpha={a['alpha']})")
    x, y = c.tensor(a["self"], "self", "add"), c.tensor(a["other"], "other", "add")
    if c.shape(a["self"]) != c.shape(a["other"]):
        raise _Reject(f"add (broadcast {list(c.shape(a['self']))} + {list(c.shape(a['other']))})")
    c.emit(OpCode.ADD, n, [x, y])


def _reshape(c: _Ctx, n: Node) -> None:
    c.emit(OpCode.RESHAPE, n, [c.tensor(n.args["self"], "self", "reshape")])


def _permute(c: _Ctx, n: Node) -> None:
    x = n.args["self"]
    dims = [d % 2 for d in n.args["dims"]] if c.is_const(x) and len(c.shape(x)) == 2 else None
    if dims != [1, 0] or c.g.values[x.name].dtype != "float32":
        raise _Reject("permute")
    c.transposed[n.outputs[0]] = (x.name, n)


_LOWER = {"linear": _linear, "addmm": _addmm, "relu": _clamp, "clamp": _clamp, "add": _add,
          "reshape": _reshape, "permute": _permute}


def lower_for_wasm(g: Graph) -> Lowered:
    """Raises UnsupportedError listing every op (with its source) the wasm kernels cannot run."""
    from .batch_norm_stats import decompose_batch_norm
    from .layout import plan_layout
    from .lift_1d import lift_1d
    from .lower_attention import LOWER as ATTENTION
    from .lower_dtype import DTYPES
    from .lower_dtype import install as install_dtype
    from .lower_indexing import LOWER as INDEXING
    from .lower_linalg import LOWER as LINALG
    from .lower_sequence import LOWER as SEQUENCE
    from .lower_transformer import LOWER, drop_unused
    from .lower_vision import install

    table = install(install_dtype({**_LOWER, **LOWER, **SEQUENCE, **LINALG, **ATTENTION, **INDEXING}), _LOWER)
    g = lift_1d(decompose_batch_norm(g))  # 1-d convolutions, pools, pads as 2-d ones
    c = _Ctx(g, layout=plan_layout(g))
    for i, name in enumerate(g.inputs):
        meta = g.values[name]
        if meta.dtype not in DTYPES:  # the ops reading an input check its dtype
            user = g.input_names[i] if i < len(g.input_names) else name
            c.problems.append((f"input {user} ({meta.dtype})", ""))
    for node in g.nodes:
        lower = table.get(node.op)
        if lower is None:
            c.problems.append((node.op, node.source))
            continue
        try:
            c.layout.begin(node)
            lower(c, node)
        except _Reject as e:
            c.problems.append((str(e), node.source))
    outputs = []
    for i, name in enumerate(g.outputs):
        user = g.output_names[i] if i < len(g.output_names) else f"output_{i}"
        if name in c.transposed:
            c.problems.append(("permute (returned as an output)", c.transposed[name][1].source))
        elif g.values[name].dtype not in DTYPES:
            c.problems.append((f"output {user} ({g.values[name].dtype})", ""))
        elif _in_weights(c, name):
            name = _copy_out(c, name)
        elif name in c.layout.nhwc:  # returned in torch's layout
            name = c.layout.convert(c, name, NHWC_TO_NCHW)
        outputs.append((name, user))
    inputs = [(n, g.input_names[i] if i < len(g.input_names) else n) for i, n in enumerate(g.inputs)]
    c.ops = drop_unused(c.ops, {n for n, _ in outputs})  # e.g. a transpose folded into a matmul
    used = {n for op in c.ops for n in op.inputs + op.outputs} | {n for n, _ in inputs + outputs}
    shapes = {n: c.extra[n] if n in c.extra else tuple(g.values[n].shape) for n in used}
    c.problems += [(f"value {n} (rank {len(s)} above {MAX_RANK})", "") for n, s in shapes.items() if len(s) > MAX_RANK]
    if c.problems:
        raise UnsupportedError("the wasm backend cannot run this model", list(dict.fromkeys(c.problems)))
    constants = {n: d for n, d in {**g.constants, **c.folded}.items() if n in used}
    dtypes = {n: c.dtypes.get(n, g.values[n].dtype if n in g.values else "float32") for n in used}
    return Lowered(c.ops, inputs, outputs, shapes, constants, {n: d for n, d in dtypes.items() if d != "float32"})


def _in_weights(c: _Ctx, name: str) -> bool:
    """A constant, or a reshape of one: its bytes live in the weights, not the arena."""
    producers = {op.outputs[0]: op for op in c.ops}
    while name in producers and producers[name].code == OpCode.RESHAPE:
        name = producers[name].inputs[0]
    return name in c.g.constants or name in c.folded


def _copy_out(c: _Ctx, name: str) -> str:
    copy, i = f"{name}_out", 1
    while copy in c.g.values or copy in c.extra:
        copy, i = f"{name}_out{i}", i + 1
    c.extra[copy] = tuple(c.g.values[name].shape)
    dtype = c.g.values[name].dtype
    c.dtypes[copy] = dtype
    # COPY moves float32; a CAST to the same dtype copies the others
    c.ops.append(PlanOp(OpCode.COPY if dtype == "float32" else OpCode.CAST, [name], [copy], "copy", f"output {name}"))
    return copy
