"""Kernel selection for matrix products, called by passes/lower_wasm.py through LOWER (canonical
op -> lowering function). Everything lands on GEMM (a constant operand, packed at load) or MATMUL
(two activations), plus free RESHAPEs, TRANSPOSE and BINARY:

    matmul                       torch.matmul's rank rules: a 1-d operand gains a dim of 1 that
                                 the result drops (a reshape each way); batch dims broadcast; a
                                 permute swapping b's last two dims is folded into MATMUL
    linear                       GEMM with the bias fused when weight and bias are constants,
                                 else GEMM / MATMUL (weight read as [N, K]) + BINARY add
    addmm, baddbmm               the product, then BINARY mul by alpha and add of beta * self
                                 (self dropped when beta is 0, as torch ignores it)
    einsum                       pairwise contractions: each operand's subscripts summed away
                                 alone become a GEMM with a ones vector; then batch / kept /
                                 contracted subscripts are permuted and reshaped into one MATMUL
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from ..formats.tensor import TensorData
from ..ir import Node, Ref
from ..ops.common import broadcast
from ..plan import GEMM_FLAG_KN, OpCode, PlanOp
from . import lower_transformer as lt
from . import lower_wasm as lw
from .lower_sequence import _fresh, _shape

_MUL, _ADD = 2, 0  # wt_vbinary_op codes (include/wt_elementwise.h)


def _emit(c: lw._Ctx, n: Node, code: OpCode, inputs: list[str], shape: tuple[int, ...], **kw: Any) -> str:
    out = _fresh(c, f"{n.outputs[0]}_{code.name.lower()}", shape)
    c.ops.append(PlanOp(code, inputs, [out], n.op, n.source, **kw))
    return out


def _reshape(c: lw._Ctx, n: Node, x: str, shape: tuple[int, ...]) -> str:
    return x if _shape(c, x) == shape else _emit(c, n, OpCode.RESHAPE, [x], shape)


def _transpose(c: lw._Ctx, n: Node, x: str, perm: list[int]) -> str:
    shape = _shape(c, x)
    out = tuple(shape[p] for p in perm)
    moved = [d for d in perm if shape[d] != 1]
    if moved == sorted(moved):  # only size-1 dims move: the bytes are already in order
        return _reshape(c, n, x, out)
    if len(shape) > lt.MAX_RANK:
        raise lw._Reject(f"{n.op} (a permute of rank {len(shape)} above {lt.MAX_RANK})")
    return _emit(c, n, OpCode.TRANSPOSE, [x], out, params=tuple(perm + [0] * (8 - len(perm))))


def _scale(c: lw._Ctx, n: Node, x: str, factor: Any) -> str:
    if factor == 1:
        return x
    if not lt._number(factor):
        raise lw._Reject(f"{n.op} (a scale factor that is not a number)")
    return _emit(c, n, OpCode.BINARY, [x], _shape(c, x), params=(_MUL, 0, lt._f32(factor)))


def _add(c: lw._Ctx, n: Node, x: str, y: str) -> str:
    shape = tuple(broadcast(_shape(c, x), _shape(c, y)))
    if len(shape) > lt.MAX_RANK:
        raise lw._Reject(f"{n.op} (rank {len(shape)} above {lt.MAX_RANK})")
    return _emit(c, n, OpCode.BINARY, [x, y], shape, params=(_ADD, 0, 0.0))


def _finish(c: lw._Ctx, n: Node, x: str) -> None:
    """Makes x the node's output: renames the op that just produced x, else a zero-copy alias."""
    out = n.outputs[0]
    last = c.ops[-1] if c.ops else None
    if last is not None and last.outputs == [x] and x in c.extra and _shape(c, x) == _shape(c, out):
        last.outputs = [out]
        del c.extra[x]
    else:
        c.ops.append(PlanOp(OpCode.RESHAPE, [x], [out], n.op, n.source))


def _operand(c: lw._Ctx, ref: Any, what: str, op: str) -> str:
    """A float32 graph value (activation or constant), or a value the lowering added (a str)."""
    if isinstance(ref, str):
        return ref
    if isinstance(ref, Ref) and ref.name in c.transposed:
        raise lw._Reject(f"{op} ({what} is a permuted constant read outside a matrix product)")
    return c.tensor(ref, what, op)


def _product(c: lw._Ctx, n: Node, a: Ref | str, b: Ref | str, b_nk: bool = False) -> str:
    """a @ b with torch.matmul's rank rules (b_nk: b is stored [..., N, K], i.e. a @ b^T); a and b
    are graph values or values the lowering added."""
    if isinstance(b, Ref) and (b.name in c.transposed or (c.is_const(b) and len(c.shape(b)) == 2)):
        x = _operand(c, a, "self", n.op)
        if not _shape(c, x):
            raise lw._Reject(f"{n.op} (0-d input)")
        w, flags = c.weight(b, "other", n.op)
        if b_nk:
            if b.name in c.transposed:
                raise lw._Reject(f"{n.op} (a transposed constant read as [N, K])")
            flags = 0
        n_out = _shape(c, w)[1 if flags & GEMM_FLAG_KN else 0]
        return _emit(c, n, OpCode.GEMM, [x, w], (*_shape(c, x)[:-1], n_out), flags=flags)
    x, y = _operand(c, a, "self", n.op), _operand(c, b, "other", n.op)
    sa, sb = _shape(c, x), _shape(c, y)
    if not sa or not sb:
        raise lw._Reject(f"{n.op} (0-d operand)")
    x = _reshape(c, n, x, (1, *sa)) if len(sa) == 1 else x
    if len(sb) == 1:
        y = _reshape(c, n, y, (*sb, 1) if not b_nk else (1, *sb))
    sa2, sb2 = _shape(c, x), _shape(c, y)
    if max(len(sa2), len(sb2)) > lt.MAX_RANK:
        raise lw._Reject(f"{n.op} (ranks {len(sa)} and {len(sb)}: at most {lt.MAX_RANK})")
    flags = 1 if b_nk else 0
    n_out = sb2[-2] if b_nk else sb2[-1]
    if not b_nk:
        prod = lt._producer(c, y)
        rb = len(sb2)
        if prod is not None and prod.code == OpCode.TRANSPOSE and \
                list(prod.params[:rb]) == list(range(rb - 2)) + [rb - 1, rb - 2]:
            y, flags = prod.inputs[0], 1  # read the untransposed [.., N, K] directly
    batch = tuple(broadcast(sa2[:-2], sb2[:-2]))
    out = _emit(c, n, OpCode.MATMUL, [x, y], (*batch, sa2[-2], n_out), params=(flags,))
    final = (*batch, *sa[-2:-1], *(() if len(sb) == 1 else (n_out,)))
    return _reshape(c, n, out, final)


def _matmul(c: lw._Ctx, n: Node) -> None:
    _finish(c, n, _product(c, n, n.args["self"], n.args["other"]))


def _linear(c: lw._Ctx, n: Node) -> None:
    a = n.args
    if c.is_const(a["weight"]) and (a["bias"] is None or c.is_const(a["bias"])):
        lw._linear(c, n)  # bias fused into the packed GEMM
        return
    out = _product(c, n, a["input"], a["weight"], b_nk=True)
    if a["bias"] is not None:
        out = _add(c, n, out, _operand(c, a["bias"], "bias", "linear"))
    _finish(c, n, out)


def _addmm(c: lw._Ctx, n: Node) -> None:
    a = n.args
    m1, m2 = ("mat1", "mat2") if n.op == "addmm" else ("batch1", "batch2")
    width = c.g.values[n.outputs[0]].shape[-1]
    if n.op == "addmm" and a["beta"] == 1 and a["alpha"] == 1 and c.is_const(a["self"]) and \
            c.shape(a["self"]) in ((width,), (1, width)) and (c.is_const(a[m2]) or a[m2].name in c.transposed):
        lw._addmm(c, n)  # bias fused into the packed GEMM
        return
    out = _scale(c, n, _product(c, n, a[m1], a[m2]), a["alpha"])
    if a["beta"] != 0:
        out = _add(c, n, out, _scale(c, n, _operand(c, a["self"], "self", n.op), a["beta"]))
    _finish(c, n, out)


# ---- einsum -----------------------------------------------------------------------------------


def _subscripts(equation: str, ranks: list[int]) -> tuple[list[str], str]:
    """Per-operand subscripts and the output's, with '...' spelled as one character per broadcast
    dim (aligned at the right), and torch's implicit output when there is no '->'."""
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    terms = lhs.split(",")
    ell_rank = max((r - len(t.replace("...", "")) for t, r in zip(terms, ranks) if "..." in t), default=0)
    ell = "".join(chr(0x3B1 + i) for i in range(ell_rank))  # characters no equation uses

    def spell(term: str, rank: int) -> str:
        pre, dots, post = term.partition("...")
        return pre + (ell[ell_rank - (rank - len(pre) - len(post)):] if dots else "") + post

    spelled = [spell(t, r) for t, r in zip(terms, ranks)]
    if arrow:
        return spelled, rhs.replace("...", ell)
    once = sorted(ch for ch in "".join(terms).replace(".", "") if lhs.count(ch) == 1)
    return spelled, ell + "".join(once)


def _ones(c: lw._Ctx, n: Node, count: int) -> str:
    name = _fresh(c, f"{n.outputs[0]}_ones", (1, count))
    c.folded[name] = TensorData("float32", (1, count), struct.pack(f"<{count}f", *[1.0] * count), name=name)
    return name


def _sum_out(c: lw._Ctx, n: Node, x: str, subs: str, keep: str) -> tuple[str, str]:
    """Sums x over the subscripts not in keep: a permute putting them last, then a GEMM with ones."""
    gone = [ch for ch in subs if ch not in keep]
    if not gone:
        return x, subs
    kept = [ch for ch in subs if ch in keep]
    shape = _shape(c, x)
    x = _transpose(c, n, x, [subs.index(ch) for ch in kept + gone])
    size = {ch: shape[subs.index(ch)] for ch in subs}
    total = math.prod(size[ch] for ch in gone)
    x = _reshape(c, n, x, (*(size[ch] for ch in kept), total))
    y = _emit(c, n, OpCode.GEMM, [x, _ones(c, n, total)], (*(size[ch] for ch in kept), 1))
    return _reshape(c, n, y, tuple(size[ch] for ch in kept)), "".join(kept)


def _contract(c: lw._Ctx, n: Node, x: str, xs: str, y: str, ys: str, keep: str) -> tuple[str, str]:
    """x (subscripts xs) times y (ys) summed over the shared subscripts not in keep."""
    x, xs = _sum_out(c, n, x, xs, keep + ys)
    y, ys = _sum_out(c, n, y, ys, keep + xs)
    batch = [ch for ch in xs if ch in ys and ch in keep]
    inner = [ch for ch in xs if ch in ys and ch not in keep]
    left = [ch for ch in xs if ch not in ys]
    right = [ch for ch in ys if ch not in xs]
    sx, sy = _shape(c, x), _shape(c, y)
    size_x = {ch: sx[xs.index(ch)] for ch in xs}
    size_y = {ch: sy[ys.index(ch)] for ch in ys}
    if any(size_x[ch] != size_y[ch] for ch in inner):
        raise lw._Reject(f"{n.op} (a summed subscript broadcast between operands)")
    if len(batch) + 2 > lt.MAX_RANK:
        raise lw._Reject(f"{n.op} ({len(batch)} batch subscripts: at most {lt.MAX_RANK - 2})")
    k = math.prod(size_x[ch] for ch in inner)
    x = _transpose(c, n, x, [xs.index(ch) for ch in batch + left + inner])
    x = _reshape(c, n, x, (*(size_x[ch] for ch in batch), math.prod(size_x[ch] for ch in left), k))
    y = _transpose(c, n, y, [ys.index(ch) for ch in batch + inner + right])
    y = _reshape(c, n, y, (*(size_y[ch] for ch in batch), k, math.prod(size_y[ch] for ch in right)))
    out = _product(c, n, x, y)
    sizes = [max(size_x[ch], size_y[ch]) for ch in batch] + [size_x[ch] for ch in left] + \
        [size_y[ch] for ch in right]
    return _reshape(c, n, out, tuple(sizes)), "".join(batch + left + right)


def _einsum(c: lw._Ctx, n: Node) -> None:
    refs = n.args["tensors"]
    names = [_operand(c, r, "tensors", "einsum") for r in refs]
    terms, out = _subscripts(n.args["equation"], [len(_shape(c, x)) for x in names])
    if any(len(set(t)) != len(t) for t in terms):
        raise lw._Reject("einsum (a subscript repeated within one operand: a diagonal)")
    x, xs = names[0], terms[0]
    for i in range(1, len(names)):
        keep = out + "".join(terms[i + 1:])
        x, xs = _contract(c, n, x, xs, names[i], terms[i], keep)
    x, xs = _sum_out(c, n, x, xs, out)
    x = _transpose(c, n, x, [xs.index(ch) for ch in out])
    _finish(c, n, _reshape(c, n, x, tuple(c.g.values[n.outputs[0]].shape)))


LOWER: dict[str, Callable[[lw._Ctx, Node], None]] = {
    "matmul": _matmul, "linear": _linear, "addmm": _addmm, "baddbmm": _addmm, "einsum": _einsum}
