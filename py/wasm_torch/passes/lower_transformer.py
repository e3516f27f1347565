"""Kernel selection for the sequence/transformer ops (plan op codes 20..39), called by
passes/lower_wasm.py through LOWER (canonical op -> lowering function).

    index(table, [ids])          EMBEDDING: table a float32 [V, D] tensor, ids int64 (model input
                                 or constant); ids are range-checked at run time (negative ids
                                 fail too, as nn.Embedding's do)
    arange, full (numbers only)  folded into a plan constant (a small creation op, no weight
                                 arithmetic)
    add/sub/mul/div              BINARY with broadcasting, or with a number (alpha 1, no rounding)
    gelu, sigmoid, tanh, silu, exp, sqrt, rsqrt, neg, abs, hardswish, hardsigmoid, leaky_relu
                                 UNARY (reciprocal: BINARY 1 / x)
    layer_norm (last dim)        LAYER_NORM
    softmax, log_softmax (last)  SOFTMAX
    (matmul of two activations: passes/lower_linalg.py)
    permute of an activation     TRANSPOSE (a strided copy, rank <= 6)
    slice, split_with_sizes      SLICE (one per output)
    expand                       EXPAND (RESHAPE when the shape does not change)
    reshape of int64, bool       RESHAPE
(the last four on float32, int64 and bool values)
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from ..formats.tensor import TensorData
from ..ir import Node, Ref
from ..plan import OpCode, PlanOp
from . import lower_wasm as lw

MAX_RANK = 6          # strided copies and broadcasting (include/wt_elementwise.h, WT_VBINARY_MAX_RANK)
MAX_FOLDED = 1 << 16  # elements of a creation op folded into a constant

_BINARY = {"add": 0, "sub": 1, "mul": 2, "div": 3}
# wt_vunary_op codes (include/wt_elementwise.h)
_UNARY = {"sigmoid": 3, "tanh": 4, "silu": 5, "hardswish": 8, "hardsigmoid": 9, "exp": 12, "abs": 13,
          "neg": 14, "sqrt": 15, "rsqrt": 16}
_LEAKY_RELU, _GELU, _GELU_TANH = 2, 6, 7


def _f32(v: Any) -> float:
    try:
        return struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:
        return math.copysign(math.inf, v)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _emit(c: lw._Ctx, code: OpCode, n: Node, inputs: list[str], params: tuple = (), name: str | None = None,
          output: str | None = None) -> None:
    c.ops.append(PlanOp(code, inputs, [output or n.outputs[0]], name or n.op, n.source, params=params))


def _out_dtype(c: lw._Ctx, n: Node) -> None:
    dtype = c.g.values[n.outputs[0]].dtype
    if dtype != "float32":
        raise lw._Reject(f"{n.op} (result is {dtype})")


def _embedding(c: lw._Ctx, n: Node) -> None:
    table = c.tensor(n.args["self"], "self", "index")
    indices = n.args["indices"]
    if len(c.shape(n.args["self"])) != 2 or len(indices) != 1 or not isinstance(indices[0], Ref):
        raise lw._Reject("index (only table[ids] with a 2-d table and one index tensor)")
    ids = indices[0]
    if c.g.values[ids.name].dtype != "int64":
        raise lw._Reject(f"index (ids are {c.g.values[ids.name].dtype}, not int64)")
    if len(c.shape(ids)) + 1 > MAX_RANK:
        raise lw._Reject("index (ids of rank above 5)")
    _emit(c, OpCode.EMBEDDING, n, [table, ids.name], name="embedding")


def _fold(c: lw._Ctx, n: Node, values: list[Any]) -> None:
    meta = c.g.values[n.outputs[0]]
    fmt = {"float32": "f", "int64": "q", "bool": "?", "int32": "i", "uint8": "B"}.get(meta.dtype)
    if fmt is None or len(values) > MAX_FOLDED:
        raise lw._Reject(f"{n.op} ({meta.dtype}, {len(values)} elements)")
    data = struct.pack(f"<{len(values)}{fmt}", *values)
    c.folded[n.outputs[0]] = TensorData(meta.dtype, tuple(meta.shape), data, name=n.outputs[0])


def _arange(c: lw._Ctx, n: Node) -> None:
    a = n.args
    start, end, step = a.get("start", 0), a["end"], a.get("step", 1)
    if not all(_number(v) for v in (start, end, step)) or step == 0:
        raise lw._Reject("arange (bounds are not numbers)")
    count = math.prod(c.g.values[n.outputs[0]].shape)
    integer = c.g.values[n.outputs[0]].dtype in ("int64", "int32", "uint8")
    _fold(c, n, [int(start + i * step) if integer else start + i * step for i in range(count)])


def _full(c: lw._Ctx, n: Node) -> None:
    value = n.args["fill_value"]
    if not _number(value) and not isinstance(value, bool):
        raise lw._Reject("full (fill value is not a number)")
    if c.g.values[n.outputs[0]].dtype == "bool":
        _fold(c, n, [bool(value)] * math.prod(c.g.values[n.outputs[0]].shape))
        return
    integer = c.g.values[n.outputs[0]].dtype == "int64"
    if integer and value != int(value):
        raise lw._Reject("full (fractional int64 fill)")
    _fold(c, n, [int(value) if integer else value] * math.prod(c.g.values[n.outputs[0]].shape))


def _binary(c: lw._Ctx, n: Node) -> None:
    a = n.args
    _out_dtype(c, n)
    if a.get("alpha", 1) != 1:
        raise lw._Reject(f"{n.op} (alpha={a['alpha']})")
    if a.get("rounding_mode") is not None:
        raise lw._Reject(f"{n.op} (rounding_mode={a['rounding_mode']!r})")
    x, y = a["self"], a["other"]
    if n.op == "add" and isinstance(x, Ref) and isinstance(y, Ref) and c.shape(x) == c.shape(y):
        lw._add(c, n)  # same shapes: the 1.0 ADD op
        return
    op = _BINARY[n.op]
    if isinstance(x, Ref) and isinstance(y, Ref):
        inputs = [c.tensor(x, "self", n.op), c.tensor(y, "other", n.op)]
        if max(len(c.shape(x)), len(c.shape(y))) > MAX_RANK:
            raise lw._Reject(f"{n.op} (rank above {MAX_RANK})")
        _emit(c, OpCode.BINARY, n, inputs, (op, 0, 0.0))
    elif isinstance(x, Ref) and _number(y):
        _emit(c, OpCode.BINARY, n, [c.tensor(x, "self", n.op)], (op, 0, _f32(y)))
    elif isinstance(y, Ref) and _number(x):
        _emit(c, OpCode.BINARY, n, [c.tensor(y, "other", n.op)], (op, 1, _f32(x)))
    else:
        raise lw._Reject(f"{n.op} (no tensor operand)")


def _unary(c: lw._Ctx, n: Node) -> None:
    x = c.tensor(n.args["self"], "self", n.op)
    _out_dtype(c, n)
    if n.op == "gelu":
        approximate = n.args["approximate"]
        if approximate not in ("none", "tanh"):
            raise lw._Reject(f"gelu (approximate={approximate!r})")
        params: tuple = (_GELU if approximate == "none" else _GELU_TANH, 0.0, 0.0)
    elif n.op == "reciprocal":  # 1 / x, as torch computes it
        _emit(c, OpCode.BINARY, n, [x], (_BINARY["div"], 1, 1.0))
        return
    elif n.op == "leaky_relu":
        slope = n.args["negative_slope"]
        if not _number(slope) or math.isnan(slope):
            raise lw._Reject("leaky_relu (slope is not a number)")
        params = (_LEAKY_RELU, _f32(slope), 0.0)
    else:
        params = (_UNARY[n.op], 0.0, 0.0)
    _emit(c, OpCode.UNARY, n, [x], params)


def _last_dim(c: lw._Ctx, ref: Ref, dim: int, op: str) -> None:
    rank = len(c.shape(ref))
    if rank == 0 or dim % rank != rank - 1:
        raise lw._Reject(f"{op} (over dim {dim} of rank {rank}: only the last dim)")


def _layer_norm(c: lw._Ctx, n: Node) -> None:
    a = n.args
    x = c.tensor(a["input"], "input", "layer_norm")
    shape = c.shape(a["input"])
    if not shape or list(a["normalized_shape"]) != [shape[-1]]:
        raise lw._Reject(f"layer_norm (normalized_shape {list(a['normalized_shape'])}: only the last dim)")
    inputs, flags = [x], 0
    for bit, key in ((1, "weight"), (2, "bias")):
        if a[key] is not None:
            inputs.append(c.tensor(a[key], key, "layer_norm"))
            flags |= bit
    _emit(c, OpCode.LAYER_NORM, n, inputs, (flags, _f32(a["eps"])))


def _softmax(c: lw._Ctx, n: Node) -> None:
    x = c.tensor(n.args["self"], "self", n.op)
    _out_dtype(c, n)
    _last_dim(c, n.args["self"], n.args["dim"], n.op)
    _emit(c, OpCode.SOFTMAX, n, [x], (1 if n.op == "log_softmax" else 0,))


def _producer(c: lw._Ctx, name: str) -> PlanOp | None:
    for op in reversed(c.ops):
        if name in op.outputs:
            return op
    return None


def _alias(c: lw._Ctx, n: Node, x: str) -> None:
    _emit(c, OpCode.RESHAPE, n, [x], name=n.op)


def _permute(c: lw._Ctx, n: Node) -> None:
    x = n.args["self"]
    if c.is_const(x):
        lw._permute(c, n)  # a transposed weight, folded into a GEMM
        return
    name = c.value(x, "self", "permute")
    rank = len(c.shape(x))
    perm = [d % rank for d in n.args["dims"]] if rank else []
    if rank > MAX_RANK:
        raise lw._Reject(f"permute (rank {rank} above {MAX_RANK})")
    moved = [d for d in perm if c.shape(x)[d] != 1]
    if moved == sorted(moved):  # only size-1 dims move: the bytes are already in order
        _alias(c, n, name)
        return
    _emit(c, OpCode.TRANSPOSE, n, [name], tuple(perm + [0] * (8 - rank)))


def _slice_bounds(size: int, start: Any, end: Any) -> tuple[int, int]:
    start = 0 if start is None else start
    end = size if end is None else end
    start = max(0, min(size, start + size if start < 0 else start))
    end = max(start, min(size, end + size if end < 0 else end))
    return start, end


def _slice_to(c: lw._Ctx, n: Node, x: Ref, dim: int, start: int, step: int, output: str) -> None:
    name = c.value(x, "self", n.op)
    shape = c.shape(x)
    if len(shape) > MAX_RANK:
        raise lw._Reject(f"{n.op} (rank {len(shape)} above {MAX_RANK})")
    out = tuple(c.g.values[output].shape)
    if out == shape:
        c.ops.append(PlanOp(OpCode.RESHAPE, [name], [output], n.op, n.source))
    else:
        _emit(c, OpCode.SLICE, n, [name], (dim, start, step), output=output)


def _slice(c: lw._Ctx, n: Node) -> None:
    a = n.args
    shape = c.shape(a["self"])
    if not shape or not isinstance(a["step"], int) or a["step"] < 1:
        raise lw._Reject("slice (0-d input or step < 1)")
    dim = a["dim"] % len(shape)
    start, _ = _slice_bounds(shape[dim], a["start"], a["end"])
    _slice_to(c, n, a["self"], dim, start, a["step"], n.outputs[0])


def _split_with_sizes(c: lw._Ctx, n: Node) -> None:
    shape = c.shape(n.args["self"])
    if not shape:
        raise lw._Reject("split_with_sizes (0-d input)")
    dim, start = n.args["dim"] % len(shape), 0
    for size, output in zip(n.args["split_sizes"], n.outputs):
        _slice_to(c, n, n.args["self"], dim, start, 1, output)
        start += size


def _expand(c: lw._Ctx, n: Node) -> None:
    x = c.value(n.args["self"], "self", "expand")
    out = tuple(c.g.values[n.outputs[0]].shape)
    if out == c.shape(n.args["self"]):
        _alias(c, n, x)
    elif len(out) > MAX_RANK:
        raise lw._Reject(f"expand (rank {len(out)} above {MAX_RANK})")
    else:
        _emit(c, OpCode.EXPAND, n, [x])


def _reshape(c: lw._Ctx, n: Node) -> None:
    x = n.args["self"]
    if isinstance(x, Ref) and c.g.values[x.name].dtype != "float32":
        _alias(c, n, c.value(x, "self", "reshape"))
    else:
        lw._reshape(c, n)


def drop_unused(ops: list[PlanOp], keep: set[str]) -> list[PlanOp]:
    """Drops ops no later op or output reads (a transpose folded into a matmul)."""
    needed = set(keep)
    kept = []
    for op in reversed(ops):
        if any(o in needed for o in op.outputs):
            kept.append(op)
            needed.update(op.inputs)
    return kept[::-1]


LOWER: dict[str, Callable[[lw._Ctx, Node], None]] = {
    "index": _embedding, "arange": _arange, "full": _full, "add": _binary, "sub": _binary, "mul": _binary,
    "div": _binary, "gelu": _unary, "reciprocal": _unary, "leaky_relu": _unary, **{op: _unary for op in _UNARY},
    "layer_norm": _layer_norm, "softmax": _softmax, "log_softmax": _softmax,
    "permute": _permute, "slice": _slice, "split_with_sizes": _split_with_sizes, "expand": _expand,
    "reshape": _reshape,
}
