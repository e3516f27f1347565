"""Kernel selection for advanced indexing (plan op codes 94..96), called by passes/lower_wasm.py
through LOWER (canonical op -> lowering function). Index tensors are int64 (model inputs, constants
or computed); the runtime range-checks them every forward (negative indices wrap, but not in
gather, as torch).

    index(x, [None.., i0, i1.., None..])  INDEX over the run of adjacent indexed dims (the index
                                 tensors broadcast together); indexed dims apart are permuted to
                                 the front first (where torch puts their result); table[ids] on a
                                 2-d table stays EMBEDDING; index_select arrives as this form
    index_put (accumulate or not) INDEX_PUT: y = x with the indexed positions written (or added)
                                 from values broadcast to the indexed shape
    gather                       GATHER along one dim
    slice_scatter                INDEX_PUT with a constant arange
INDEX and GATHER move int64 and bool elements too; INDEX_PUT writes float32.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..formats.tensor import TensorData
from ..ir import Node, Ref
from ..plan import OpCode, PlanOp
from . import lower_transformer as lt
from . import lower_wasm as lw
from .lower_dtype import DTYPES
from .lower_linalg import _transpose
from .lower_sequence import _fresh

MAX_RANK = 6  # WT_INDEXING_MAX_RANK
MAX_INDICES = 6  # WT_MAX_OPERANDS minus x and values


def _indices(c: lw._Ctx, n: Node, indices: list[Any]) -> tuple[list[int], list[str]]:
    """(indexed dims, index tensors) of an index list of int64 tensors and Nones."""
    at = [i for i, r in enumerate(indices) if r is not None]
    if not at or len(at) > MAX_INDICES:
        raise lw._Reject(f"{n.op} ({len(at)} index tensors, at most {MAX_INDICES})")
    names = []
    for i in at:
        ref = indices[i]
        dtype = c.g.values[ref.name].dtype if isinstance(ref, Ref) else None
        if dtype != "int64":
            raise lw._Reject(f"{n.op} (a {dtype or 'non-tensor'} index: only int64 index tensors)")
        if len(c.shape(ref)) > MAX_RANK:
            raise lw._Reject(f"{n.op} (an index of rank {len(c.shape(ref))})")
        names.append(ref.name)
    return at, names


def _adjacent(at: list[int]) -> bool:
    return at == list(range(at[0], at[-1] + 1))


def _data(c: lw._Ctx, n: Node, ref: Any, what: str, dtypes: tuple[str, ...] = DTYPES) -> str:
    """The tensor an op reads or writes elements of (float32 through the layout pass)."""
    dtype = c.g.values[ref.name].dtype if isinstance(ref, Ref) else None
    if dtype not in dtypes:
        raise lw._Reject(f"{n.op} ({what} is {dtype or 'not a tensor'})")
    if len(c.shape(ref)) > MAX_RANK or len(c.g.values[n.outputs[0]].shape) > MAX_RANK:
        raise lw._Reject(f"{n.op} (rank above {MAX_RANK})")
    return c.value(ref, what, n.op)


def _arange(c: lw._Ctx, n: Node, start: int, step: int, count: int) -> str:
    """A constant int64 index start, start + step, ..."""
    name = _fresh(c, f"{n.outputs[0]}_index", (count,))
    c.dtypes[name] = "int64"
    c.folded[name] = TensorData("int64", (count,), struct.pack(f"<{count}q", *range(start, start + step * count, step)),
                                name=name)
    return name


def _index(c: lw._Ctx, n: Node) -> None:
    indices = n.args["indices"]
    if len(c.shape(n.args["self"])) == 2 and len(indices) == 1 and isinstance(indices[0], Ref):
        lt.LOWER["index"](c, n)  # table[ids]: EMBEDDING
        return
    x = _data(c, n, n.args["self"], "self")
    at, names = _indices(c, n, indices)
    first = at[0]
    if not _adjacent(at):  # torch puts the broadcast index dims first, then the others in order
        rank = len(c.shape(n.args["self"]))
        x, first = _transpose(c, n, x, at + [d for d in range(rank) if d not in at]), 0
        if x in c.extra:
            c.dtypes[x] = c.g.values[n.args["self"].name].dtype
    c.ops.append(PlanOp(OpCode.INDEX, [x, *names], [n.outputs[0]], n.op, n.source, params=(first,)))


def _index_put(c: lw._Ctx, n: Node) -> None:
    a = n.args
    x = _data(c, n, a["self"], "self", ("float32",))
    values = c.tensor(a["values"], "values", n.op)
    at, names = _indices(c, n, a["indices"])
    if not _adjacent(at):
        raise lw._Reject(f"{n.op} (index tensors on dims that are not adjacent)")
    first = at[0]
    c.ops.append(PlanOp(OpCode.INDEX_PUT, [x, values, *names], [n.outputs[0]], n.op, n.source,
                        params=(first, 1 if a["accumulate"] else 0)))


def _gather(c: lw._Ctx, n: Node) -> None:
    x = _data(c, n, n.args["self"], "self")
    index = n.args["index"]
    rank = len(c.shape(n.args["self"]))
    if c.g.values[index.name].dtype != "int64" or len(c.shape(index)) != rank or rank == 0:
        raise lw._Reject("gather (an index that is not int64 of the input's rank >= 1)")
    c.ops.append(PlanOp(OpCode.GATHER, [x, index.name], [n.outputs[0]], n.op, n.source,
                        params=(n.args["dim"] % rank,)))


def _slice_index(c: lw._Ctx, n: Node, shape: tuple[int, ...], dim: int, count: int) -> str:
    """The positions slice(start, end, step) picks along dim, count of them."""
    a = n.args
    if not shape or not isinstance(a["step"], int) or a["step"] < 1:
        raise lw._Reject(f"{n.op} (0-d input or step < 1)")
    first, _ = lt._slice_bounds(shape[dim], a["start"], a["end"])
    return _arange(c, n, first, a["step"], count)


def _slice_scatter(c: lw._Ctx, n: Node) -> None:
    a = n.args
    x = _data(c, n, a["self"], "self", ("float32",))
    src = c.tensor(a["src"], "src", n.op)
    shape = c.shape(a["self"])
    dim = a["dim"] % len(shape) if shape else 0
    index = _slice_index(c, n, shape, dim, c.shape(a["src"])[dim] if shape else 0)
    c.ops.append(PlanOp(OpCode.INDEX_PUT, [x, src, index], [n.outputs[0]], n.op, n.source, params=(dim, 0)))


LOWER: dict[str, Callable[[lw._Ctx, Node], None]] = {
    "index": _index, "index_put": _index_put, "gather": _gather, "slice_scatter": _slice_scatter}
