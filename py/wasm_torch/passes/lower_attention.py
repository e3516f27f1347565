"""Kernel selection for attention and RMS norm (plan op codes 92..93), called by
passes/lower_wasm.py through LOWER (canonical op -> lowering function).

    scaled_dot_product_attention SDPA: float masks (added), bool masks (keep where true), is_causal, scale (default
                                 1/sqrt(E)); batch dims broadcast in the kernel, so enable_gqa's
                                 head groups are free reshapes ([.., H, L, E] as [.., Hk, H/Hk,
                                 L, E] against k, v as [.., Hk, 1, S, E]); a mask of rank < 2
                                 gains leading dims of 1
    rms_norm                     RMS_NORM over the normalized trailing dims (eps None: float32's
                                 machine epsilon, as torch)
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..ir import Node
from ..plan import OpCode, PlanOp
from . import lower_transformer as lt
from . import lower_wasm as lw
from .lower_linalg import _emit, _finish, _reshape
from .lower_sequence import _shape

SDPA_CAUSAL = 1
MAX_RANK = 6  # WT_ATTENTION_MAX_RANK
FLOAT32_EPS = 2.0 ** -23


def _sdpa(c: lw._Ctx, n: Node) -> None:
    a = n.args
    q, k, v = (c.tensor(a[key], key, "scaled_dot_product_attention") for key in ("query", "key", "value"))
    sq, sk, sv = c.shape(a["query"]), c.shape(a["key"]), c.shape(a["value"])
    if min(len(sq), len(sk), len(sv)) < 2 or 0 in (sq[-2], sq[-1], sk[-2], sv[-1]):
        raise lw._Reject("scaled_dot_product_attention (empty or 1-d operands)")
    scale = a["scale"] if a["scale"] is not None else 1.0 / math.sqrt(sq[-1])
    if not lt._number(scale) or not math.isfinite(scale):
        raise lw._Reject(f"scaled_dot_product_attention (scale {scale!r})")
    inputs = [q, k, v]
    out_shape = tuple(c.g.values[n.outputs[0]].shape)
    if a["enable_gqa"] and len(sq) >= 3 and sq[-3] != sk[-3]:
        groups = sk[-3]
        inputs = [_reshape(c, n, q, (*sq[:-3], groups, sq[-3] // groups, *sq[-2:])),
                  _reshape(c, n, k, (*sk[:-3], groups, 1, *sk[-2:])),
                  _reshape(c, n, v, (*sv[:-3], groups, 1, *sv[-2:]))]
        out_shape = (*out_shape[:-3], groups, sq[-3] // groups, *out_shape[-2:])
    mask = a["attn_mask"]
    if mask is not None:
        dtype = c.g.values[mask.name].dtype
        if dtype not in ("float32", "bool"):
            raise lw._Reject(f"scaled_dot_product_attention (a {dtype} mask)")
        m = c.tensor(mask, "attn_mask", "scaled_dot_product_attention") if dtype == "float32" else mask.name
        shape = c.shape(mask)
        if len(shape) < 2:
            m = _reshape(c, n, m, (1,) * (2 - len(shape)) + shape)
        ms = _shape(c, m)
        if len(out_shape) > len(sq) and len(ms) >= 3:  # grouped heads: the mask's head dim splits like q's
            split = (groups, ms[-3] // groups) if ms[-3] > 1 else (1, 1)
            m = _reshape(c, n, m, (*ms[:-3], *split, *ms[-2:]))
        inputs.append(m)
    ranks = [len(_shape(c, x)) for x in inputs] + [len(out_shape)]
    if max(ranks) > MAX_RANK:
        raise lw._Reject(f"scaled_dot_product_attention (rank {max(ranks)} above {MAX_RANK})")
    flags = SDPA_CAUSAL if a["is_causal"] else 0
    y = _emit(c, n, OpCode.SDPA, inputs, out_shape, params=(flags, lt._f32(scale)))
    _finish(c, n, _reshape(c, n, y, tuple(c.g.values[n.outputs[0]].shape)))


def _rms_norm(c: lw._Ctx, n: Node) -> None:
    a = n.args
    x = c.tensor(a["input"], "input", "rms_norm")
    lt._out_dtype(c, n)
    count = math.prod(a["normalized_shape"])
    eps = FLOAT32_EPS if a["eps"] is None else a["eps"]
    if count < 1 or not lt._number(eps) or not eps >= 0 or math.isinf(eps):
        raise lw._Reject(f"rms_norm (normalized_shape {list(a['normalized_shape'])}, eps {eps!r})")
    inputs = [x] if a["weight"] is None else [x, c.tensor(a["weight"], "weight", "rms_norm")]
    c.ops.append(PlanOp(OpCode.RMS_NORM, inputs, [n.outputs[0]], n.op, n.source, params=(count, lt._f32(eps))))


LOWER: dict[str, Callable[[lw._Ctx, Node], None]] = {"scaled_dot_product_attention": _sdpa, "rms_norm": _rms_norm}
