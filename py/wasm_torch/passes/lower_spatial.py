"""More vision ops for the wasm backend (plan op codes 70..89), next to passes/lower_vision.py.

    conv_transpose2d (any stride, padding, output_padding, dilation, groups)   CONV_TRANSPOSE2D (NHWC)
    constant_pad_nd, reflection_pad2d, replication_pad2d, _pad_circular        PAD, in the layout the
        input is stored in; a zero constant pad read only by convolutions is folded into their padding
    adaptive_max_pool2d (indices unused)                                      ADAPTIVE_MAX_POOL2D
    upsample_nearest1d/2d, upsample_linear1d, upsample_bilinear2d,            UPSAMPLE2D (NHWC; the
    _upsample_nearest_exact1d/2d, upsample_bicubic2d
        1-d ones on [N, C, L] viewed as NHWC [N, C, L, 1])
    group_norm (instance norm is group_norm with one channel per group)       GROUP_NORM (NCHW, or NHWC
        after a convolution)
    layer_norm over several trailing dims                                     RESHAPE + LAYER_NORM
    pixel_shuffle, pixel_unshuffle                                            RESHAPE + TRANSPOSE
The 1-d convolutions, pools, pads and batch norm reach these as 2-d ops (passes/lift_1d.py).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from ..formats.tensor import TensorData
from ..ir import Node
from ..plan import OpCode, PlanOp
from .layout import NHWC_AXES, nhwc_shape
from .lower_vision import used
from .lower_wasm import _Reject as Reject

PAD_MODES = {"constant_pad_nd": 0, "reflection_pad2d": 1, "reflection_pad1d": 1, "replication_pad2d": 2,
             "replication_pad1d": 2, "_pad_circular": 3}
UPSAMPLE_FLAG_ALIGN = 1
UPSAMPLE_FLAG_LINEAR = 2
UPSAMPLE_FLAG_SHORTCUT = 4  # torch's 2-d nearest kernel: out == in copies, out == 2 in halves
UPSAMPLE_FLAG_EXACT = 8  # nearest-exact
UPSAMPLE_FLAG_FMA = 16  # nearest-exact's source index rounded once (torch's 1-d kernel)
UPSAMPLE_FLAG_CUBIC = 32
GROUP_NORM_FLAG_WEIGHT = 1
GROUP_NORM_FLAG_BIAS = 2
GROUP_NORM_FLAG_NHWC = 4


def _f32(v: float) -> float:
    return struct.unpack("<f", struct.pack("<f", v))[0]


def _ints(v: Any, n: int, default: list[int] | None = None) -> list[int]:
    v = [v] if isinstance(v, int) else list(v or default or [])
    return v * n if len(v) == 1 else v


def _op(c: Any, code: OpCode, inputs: list[str], outputs: list[str], n: Node, params: tuple,
        name: str | None = None) -> None:
    c.ops.append(PlanOp(code, inputs, outputs, name or n.op, n.source, params=params))


def _nhwc_out(c: Any, name: str) -> str:
    c.extra[name] = nhwc_shape(tuple(c.g.values[name].shape))
    return name


def _conv_transpose2d(c: Any, n: Node) -> None:
    a = n.args
    if len(c.shape(a["input"])) != 4:
        raise Reject(f"conv_transpose2d ({len(c.shape(a['input']))}-d input)")
    x = c.layout.to_nhwc(c, c.tensor(a["input"], "input", n.op))
    inputs, flags = [x, c.const(a["weight"], "weight", n.op, (4,))], 0
    if a["bias"] is not None:
        inputs.append(c.const(a["bias"], "bias", n.op, (1,)))
        flags = 1
    stride, padding = _ints(a["stride"], 2), _ints(a["padding"], 2)
    dilation, out_pad = _ints(a["dilation"], 2), _ints(a["output_padding"], 2)
    params = (flags, a["groups"], *stride, padding[0], padding[1], padding[0], padding[1], *dilation, *out_pad)
    _op(c, OpCode.CONV_TRANSPOSE2D, inputs, [_nhwc_out(c, n.outputs[0])], n, params)


def _pad(c: Any, n: Node) -> None:
    """Pads list (before, after) pairs from the last torch dim backwards; PAD takes one pair per
    dim of the bytes as stored (NHWC when the input is)."""
    a = n.args
    out = n.outputs[0]
    if out in c.layout.zero_pad:
        return  # folded into the convolutions reading it
    pads = list(a["pad"] if "pad" in a else a["padding"])
    shape = c.shape(a["self"])
    rank = len(shape)
    if len(pads) % 2 or len(pads) // 2 > rank:
        raise Reject(f"{n.op} (pads {pads} of a {rank}-d input)")
    value = float(a.get("value", 0) or 0)
    per_dim = [0] * (2 * rank)
    axes = NHWC_AXES if c.layout.node_nhwc else tuple(range(rank))
    for i in range(len(pads) // 2):
        d = axes[rank - 1 - i]
        per_dim[2 * d], per_dim[2 * d + 1] = pads[2 * i], pads[2 * i + 1]
    x = c.tensor(a["self"], "self", n.op)
    if c.layout.node_nhwc:
        _nhwc_out(c, out)
    params = (PAD_MODES[n.op], _f32(value), *per_dim, *[0] * (16 - 2 * rank))
    _op(c, OpCode.PAD, [x], [out], n, params, "pad")


def _adaptive_max_pool2d(c: Any, n: Node) -> None:
    if used(c, n.outputs[1]):
        raise Reject("adaptive_max_pool2d (the indices are used)")
    if len(c.shape(n.args["self"])) != 4:
        raise Reject(f"adaptive_max_pool2d ({len(c.shape(n.args['self']))}-d input)")
    x = c.layout.to_nhwc(c, c.tensor(n.args["self"], "self", n.op))
    _op(c, OpCode.ADAPTIVE_MAX_POOL2D, [x], [_nhwc_out(c, n.outputs[0])], n, ())


def _scale(v: Any) -> float:
    return _f32(1.0 / v) if v is not None and v > 0 else 0.0


def _upsample(c: Any, n: Node) -> None:
    """Scales are passed as torch uses them (1 / scale_factor in float32; 0 = in / out)."""
    a = n.args
    linear, exact = "linear" in n.op, "exact" in n.op
    flags = (UPSAMPLE_FLAG_LINEAR if linear else 0) | (UPSAMPLE_FLAG_ALIGN if a.get("align_corners") else 0)
    if exact:
        flags |= UPSAMPLE_FLAG_EXACT | (UPSAMPLE_FLAG_FMA if n.op.endswith("1d") else 0)
    if "bicubic" in n.op:
        flags |= UPSAMPLE_FLAG_CUBIC
    shape = c.shape(a["self"])
    out = n.outputs[0]
    if n.op.endswith("1d"):
        if len(shape) != 3:
            raise Reject(f"{n.op} ({len(shape)}-d input)")
        x = c.tensor(a["self"], "self", n.op)
        # [N, C, L] is NHWC [N, C, L, 1]: the height axis keeps its size, so it maps i -> i
        view, result = f"{out}_nhwc_in", f"{out}_nhwc"
        c.extra[view] = (*shape, 1)
        c.extra[result] = (*c.g.values[out].shape, 1)
        _op(c, OpCode.RESHAPE, [x], [view], n, (), "reshape")
        _op(c, OpCode.UPSAMPLE2D, [view], [result], n, (flags, 0.0, _scale(a["scales"])), "upsample")
        _op(c, OpCode.RESHAPE, [result], [out], n, (), "reshape")
        return
    if len(shape) != 4:
        raise Reject(f"{n.op} ({len(shape)}-d input)")
    x = c.layout.to_nhwc(c, c.tensor(a["self"], "self", n.op))
    if not linear and not exact and "bicubic" not in n.op:
        flags |= UPSAMPLE_FLAG_SHORTCUT
    params = (flags, _scale(a["scales_h"]), _scale(a["scales_w"]))
    _op(c, OpCode.UPSAMPLE2D, [x], [_nhwc_out(c, out)], n, params, "upsample")


def _affine(c: Any, n: Node, size: int) -> tuple[list[str], int]:
    """weight and bias of a norm as 1-d constants of `size` elements (views of the same bytes)."""
    inputs, flags = [], 0
    for bit, key in ((1, "weight"), (2, "bias")):
        ref = n.args[key]
        if ref is None:
            continue
        name = c.const(ref, key, n.op, tuple(range(1, 9)))
        data = c.g.constants[name]
        if data.shape != (size,):
            view = f"{name}_flat"
            if view not in c.folded:
                c.folded[view] = TensorData(data.dtype, (size,), data.raw(), name=view)
                c.extra[view] = (size,)
            name = view
        inputs.append(name)
        flags |= bit
    return inputs, flags


def _group_norm(c: Any, n: Node) -> None:
    a = n.args
    shape = c.shape(a["input"])
    x = c.tensor(a["input"], "input", n.op)
    inputs, flags = _affine(c, n, shape[1])
    if c.layout.node_nhwc:  # after a convolution: normalise the NHWC bytes
        flags |= GROUP_NORM_FLAG_NHWC
        _nhwc_out(c, n.outputs[0])
    _op(c, OpCode.GROUP_NORM, [x] + inputs, [n.outputs[0]], n, (flags, a["num_groups"], _f32(a["eps"])))


def _layer_norm(c: Any, n: Node, fallback: Callable | None, base: dict) -> None:
    """Over several trailing dims: LAYER_NORM of the rows those dims flatten into."""
    a = n.args
    shape = c.shape(a["input"])
    dims = list(a["normalized_shape"])
    if len(dims) <= 1 or fallback is None or list(shape[len(shape) - len(dims):]) != dims:
        if fallback is None:
            raise Reject("layer_norm")
        return fallback(c, n)
    x = c.tensor(a["input"], "input", n.op)
    size = math.prod(dims)
    rows, out = f"{n.outputs[0]}_rows", n.outputs[0]
    c.extra[rows] = (*shape[:len(shape) - len(dims)], size)
    c.extra[f"{out}_normed"] = c.extra[rows]
    inputs, flags = _affine(c, n, size)
    _op(c, OpCode.RESHAPE, [x], [rows], n, (), "reshape")
    _op(c, OpCode.LAYER_NORM, [rows] + inputs, [f"{out}_normed"], n, (flags, _f32(a["eps"])))
    _op(c, OpCode.RESHAPE, [f"{out}_normed"], [out], n, (), "reshape")


def _pixel_shuffle(c: Any, n: Node) -> None:
    """[B, C r r, H, W] -> [B, C, r, r, H, W] -> permute -> [B, C, H, r, W, r] (unshuffle: inverse)."""
    a = n.args
    shape = c.shape(a["self"])
    if len(shape) < 3:
        raise Reject(f"{n.op} ({len(shape)}-d input)")
    x = c.tensor(a["self"], "self", n.op)
    b = math.prod(shape[:-3])
    ch, h, w = shape[-3:]
    if n.op == "pixel_shuffle":
        r = a["upscale_factor"]
        split, perm = (b, ch // (r * r), r, r, h, w), (0, 1, 4, 2, 5, 3)
    else:
        r = a["downscale_factor"]
        split, perm = (b, ch, h // r, r, w // r, r), (0, 1, 3, 5, 2, 4)
    out = n.outputs[0]
    c.extra[f"{out}_split"] = split
    c.extra[f"{out}_moved"] = tuple(split[p] for p in perm)
    _op(c, OpCode.RESHAPE, [x], [f"{out}_split"], n, (), "reshape")
    _op(c, OpCode.TRANSPOSE, [f"{out}_split"], [f"{out}_moved"], n, (*perm, 0, 0), "transpose")
    _op(c, OpCode.RESHAPE, [f"{out}_moved"], [out], n, (), "reshape")


LOWER: dict[str, Callable] = {
    "conv_transpose2d": _conv_transpose2d, "adaptive_max_pool2d": _adaptive_max_pool2d,
    "upsample_nearest2d": _upsample, "upsample_bilinear2d": _upsample, "upsample_nearest1d": _upsample,
    "upsample_linear1d": _upsample, "_upsample_nearest_exact1d": _upsample, "_upsample_nearest_exact2d": _upsample,
    "upsample_bicubic2d": _upsample,
    "group_norm": _group_norm, "pixel_shuffle": _pixel_shuffle,
    "pixel_unshuffle": _pixel_shuffle, **{op: _pad for op in PAD_MODES}}
# wrapped lowerings: (c, node, the table's lowering before, lower_wasm's table)
WRAP: dict[str, Callable] = {"layer_norm": _layer_norm}
