"""Vision ops for the wasm backend: canonical nodes -> plan ops CONV2D, BATCH_NORM, MAX_POOL2D,
AVG_POOL2D, ADAPTIVE_AVG_POOL2D, ADD_CLAMP (NHWC activations; passes/layout.py decides where).

    conv2d (any kernel, stride, padding, dilation, groups; depthwise included)   CONV2D
    batch_norm (eval) right after a conv2d whose result it alone reads            folded into CONV2D
    batch_norm (eval, 2-d or 4-d input, constant parameters)                      BATCH_NORM
    max_pool2d, max_pool2d_with_indices (indices unused)                          MAX_POOL2D
    max_pool2d_with_indices, indices read (int64, NCHW as torch's)                MAX_POOL2D_INDICES
    avg_pool2d                                                                    AVG_POOL2D
    adaptive_avg_pool2d, mean over H and W of a 4-d tensor                       ADAPTIVE_AVG_POOL2D
    relu, clamp, add (same shapes) on NHWC values                                 CLAMP, ADD_CLAMP
    add/sub/mul/div of 4-d activations broadcasting, or with a number, in NHWC    BINARY on the NHWC bytes
    sigmoid, silu, hardswish, gelu, ... (layout.ACTIVATION_OPS) on NHWC values    UNARY on the NHWC bytes
    cat of NHWC values                                                            CAT along the NHWC dim
    reshape of an NHWC value with H = W = 1                                       RESHAPE (same bytes)
Batch norm is folded by the runtime at load: the plan keeps its parameters byte for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..formats.tensor import TensorData
from ..ir import Node, Ref
from ..plan import OpCode, PlanOp
from .layout import ACTIVATION_OPS, NHWC_AXES, nhwc_shape
from .lower_wasm import _Reject as Reject

CONV_FLAG_BIAS = 1
CONV_FLAG_BN = 2


def _pair(v: Any, what: str, op: str, default: list[int] | None = None) -> list[int]:
    if isinstance(v, int) and not isinstance(v, bool):
        v = [v]
    v = list(v) if v is not None else []
    if not v and default is not None:
        v = list(default)
    if len(v) == 1:
        v = v * 2
    if len(v) != 2 or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v):
        raise Reject(f"{op} ({what} {v!r})")
    return v


def _bn_params(c: Any, node: Node) -> list[str]:
    a = node.args
    if a["training"]:
        raise Reject("batch_norm (training mode)")
    channels = c.shape(a["input"])[1]
    return [_filled(c, channels, k == "weight") if a[k] is None and k in ("weight", "bias")
            else c.const(a[k], k, "batch_norm", (1,)) for k in ("weight", "bias", "running_mean", "running_var")]


def _filled(c: Any, n: int, one: bool) -> str:
    """A missing affine parameter (affine=False) as the constant it stands for: ones or zeros."""
    name = f"bn_{'ones' if one else 'zeros'}_{n}"
    if name not in c.folded:
        c.folded[name] = TensorData("float32", (n,), struct.pack(f"<{n}f", *[float(one)] * n), name=name)
        c.extra[name] = (n,)
    return name


def _conv2d(c: Any, n: Node) -> None:
    a = n.args
    if len(c.shape(a["input"])) != 4:
        raise Reject(f"conv2d ({len(c.shape(a['input']))}-d input)")
    source, *pad = c.layout.zero_pad.get(a["input"].name, (a["input"].name, 0, 0, 0, 0))
    x = c.layout.to_nhwc(c, c.tensor(Ref(source), "input", "conv2d"))
    w = c.const(a["weight"], "weight", "conv2d", (4,))
    stride, dilation = _pair(a["stride"], "stride", "conv2d"), _pair(a["dilation"], "dilation", "conv2d")
    if isinstance(a["padding"], str):
        raise Reject(f"conv2d (padding {a['padding']!r})")
    padding = _pair(a["padding"], "padding", "conv2d")
    top, left, bottom, right = padding[0] + pad[0], padding[1] + pad[1], padding[0] + pad[2], padding[1] + pad[3]
    inputs, flags, eps = [x, w], 0, 0.0
    if a["bias"] is not None:
        inputs.append(c.const(a["bias"], "bias", "conv2d", (1,)))
        flags |= CONV_FLAG_BIAS
    out = n.outputs[0]
    bn = c.layout.fold.get(out)
    if bn is not None:
        inputs += _bn_params(c, bn)
        flags |= CONV_FLAG_BN
        eps = float(bn.args["eps"])
        out = bn.outputs[0]
    c.extra[out] = nhwc_shape(tuple(c.g.values[out].shape))
    params = (flags, a["groups"], *stride, top, left, bottom, right, *dilation, eps)
    name = "conv2d+batch_norm" if bn is not None else "conv2d"
    c.ops.append(_op(OpCode.CONV2D, inputs, out, name, n.source, params))


def _batch_norm(c: Any, n: Node) -> None:
    if id(n) in c.layout.folded:
        return
    rank = len(c.shape(n.args["input"]))
    if rank not in (2, 4):
        raise Reject(f"batch_norm ({rank}-d input)")
    x = c.tensor(n.args["input"], "input", "batch_norm")
    if rank == 4:
        x = c.layout.to_nhwc(c, x)
        c.extra[n.outputs[0]] = nhwc_shape(c.shape(n.args["input"]))
    c.ops.append(_op(OpCode.BATCH_NORM, [x] + _bn_params(c, n), n.outputs[0], "batch_norm", n.source,
                     (float(n.args["eps"]),)))


def _pool_input(c: Any, n: Node) -> str:
    op = n.op
    if len(c.shape(n.args["self"])) != 4:
        raise Reject(f"{op} ({len(c.shape(n.args['self']))}-d input)")
    out = n.outputs[0]
    c.extra[out] = nhwc_shape(tuple(c.g.values[out].shape))
    return c.layout.to_nhwc(c, c.tensor(n.args["self"], "self", op))


def used(c: Any, name: str) -> bool:
    """Does an op or the graph's outputs read value `name`?"""
    return name in c.g.outputs or any(r.name == name for m in c.g.nodes for r in m.input_refs())


def _max_pool2d(c: Any, n: Node) -> None:
    """MAX_POOL2D, or MAX_POOL2D_INDICES when the indices of max_pool2d_with_indices are read."""
    a = n.args
    x = _pool_input(c, n)
    k = _pair(a["kernel_size"], "kernel_size", n.op)
    params = (*k, *_pair(a["stride"], "stride", n.op, k), *_pair(a["padding"], "padding", n.op),
              *_pair(a["dilation"], "dilation", n.op), int(bool(a["ceil_mode"])))
    if len(n.outputs) > 1 and used(c, n.outputs[1]):
        c.ops.append(PlanOp(OpCode.MAX_POOL2D_INDICES, [x], n.outputs[:2], "max_pool2d", n.source, params=params))
        return
    c.ops.append(_op(OpCode.MAX_POOL2D, [x], n.outputs[0], "max_pool2d", n.source, params))


def _avg_pool2d(c: Any, n: Node) -> None:
    a = n.args
    x = _pool_input(c, n)
    k = _pair(a["kernel_size"], "kernel_size", n.op)
    divisor = a["divisor_override"] or 0
    params = (*k, *_pair(a["stride"], "stride", n.op, k), *_pair(a["padding"], "padding", n.op),
              int(bool(a["ceil_mode"])), int(bool(a["count_include_pad"])), divisor)
    c.ops.append(_op(OpCode.AVG_POOL2D, [x], n.outputs[0], "avg_pool2d", n.source, params))


def _adaptive_avg_pool2d(c: Any, n: Node) -> None:
    x = _pool_input(c, n)
    c.ops.append(_op(OpCode.ADAPTIVE_AVG_POOL2D, [x], n.outputs[0], n.op, n.source, ()))


def _mean(c: Any, n: Node, fallback: Callable | None, base: dict[str, Callable]) -> None:
    """mean over H and W of a 4-d tensor: the global average pool (core ATen's spelling)."""
    a = n.args
    shape = c.shape(a["self"])
    dims = sorted(d % 4 for d in (a.get("dim") or [])) if len(shape) == 4 else None
    if dims != [2, 3] or a.get("dtype") is not None:
        if fallback is None:
            raise Reject("mean")
        return fallback(c, n)
    c.layout.node_nhwc = True  # read the input as it is stored (NHWC)
    x = c.layout.to_nhwc(c, c.tensor(a["self"], "self", "mean"))
    # [N, 1, 1, C] NHWC holds the same bytes as torch's [N, C, 1, 1] (keepdim) or [N, C]
    out = n.outputs[0]
    pooled = f"{out}_pooled"
    c.extra[pooled] = (shape[0], 1, 1, shape[1])
    c.ops.append(_op(OpCode.ADAPTIVE_AVG_POOL2D, [x], pooled, "mean", n.source, ()))
    c.ops.append(_op(OpCode.RESHAPE, [pooled], out, "mean", n.source, None))


def _op(code: OpCode, inputs: list[str], out: str, name: str, source: str, params: Any) -> PlanOp:
    return PlanOp(code, inputs, [out], name, source, params=params or ())


def _passthrough(original: str) -> Callable:
    """relu/clamp/add on NHWC values run as CLAMP / ADD_CLAMP on the NHWC bytes (so they fuse
    into the op before them); anything else goes to the lowering that owns the op."""

    def lower(c: Any, n: Node, fallback: Callable | None, base: dict[str, Callable]) -> None:
        if not c.layout.node_nhwc:
            if fallback is None:
                raise Reject(n.op)
            return fallback(c, n)
        c.extra[n.outputs[0]] = nhwc_shape(tuple(c.g.values[n.outputs[0]].shape))
        if original != "add":
            base[original](c, n)
        elif isinstance(n.args["other"], Ref) and c.shape(n.args["self"]) == c.shape(n.args["other"]):
            a, b = (c.tensor(n.args[k], k, "add") for k in ("self", "other"))
            c.ops.append(_op(OpCode.ADD_CLAMP, [a, b], n.outputs[0], "add", n.source, ()))
        elif fallback is not None:  # broadcasting, or a number: BINARY on the NHWC bytes
            fallback(c, n)
        else:
            raise Reject("add")

    return lower


def _activation(c: Any, n: Node, fallback: Callable | None, base: dict[str, Callable]) -> None:
    """An activation (or sub/mul/div, passes/layout.py's _nhwc_binary) of NHWC values runs on the
    NHWC bytes: same lowering, NHWC shapes."""
    if fallback is None:
        raise Reject(n.op)
    if c.layout.node_nhwc:
        c.extra[n.outputs[0]] = nhwc_shape(tuple(c.g.values[n.outputs[0]].shape))
    fallback(c, n)


def _cat(c: Any, n: Node, fallback: Callable | None, base: dict[str, Callable]) -> None:
    """cat of NHWC values: the same concatenation along the dim's position in the NHWC bytes."""
    if not c.layout.node_nhwc:
        if fallback is None:
            raise Reject("cat")
        return fallback(c, n)
    from .lower_sequence import _cat_to

    inputs = [c.tensor(r, "tensors", "cat") for r in n.args["tensors"]]
    out = n.outputs[0]
    c.extra[out] = nhwc_shape(tuple(c.g.values[out].shape))
    _cat_to(c, n, inputs, NHWC_AXES[n.args["dim"] % 4], out)


def _reshape(c: Any, n: Node, fallback: Callable | None, base: dict[str, Callable]) -> None:
    x = n.args["self"]
    if isinstance(x, Ref) and x.name in c.layout.nhwc and c.shape(x)[2:] == (1, 1):
        c.ops.append(_op(OpCode.RESHAPE, [x.name], n.outputs[0], "reshape", n.source, None))
        return
    if fallback is None:
        raise Reject("reshape")
    fallback(c, n)


# op -> lowering(c, node); those taking a fallback get the lowering the table had before
LOWER: dict[str, Callable] = {"conv2d": _conv2d, "batch_norm": _batch_norm, "max_pool2d": _max_pool2d,
                              "max_pool2d_with_indices": _max_pool2d, "avg_pool2d": _avg_pool2d,
                              "adaptive_avg_pool2d": _adaptive_avg_pool2d}
WRAP: dict[str, Callable] = {"mean": _mean, "reshape": _reshape, "relu": _passthrough("relu"),
                             "clamp": _passthrough("clamp"), "add": _passthrough("add"),
                             "cat": _cat, "sub": _activation, "mul": _activation, "div": _activation,
                             **{op: _activation for op in ACTIVATION_OPS}}


def install(table: dict[str, Callable], base: dict[str, Callable]) -> dict[str, Callable]:
    """The lowering table with the vision ops (and passes/lower_spatial.py's) added. relu, clamp,
    add/sub/mul/div, cat, the activations, reshape, mean and layer_norm are wrapped: the lowering
    they had before still handles the cases the wrapper does not take; `base` (lower_wasm's table)
    gives the CLAMP lowering of NHWC relu/clamp."""
    from . import lower_spatial

    out = {**table, **LOWER, **lower_spatial.LOWER}
    for op, wrap in {**WRAP, **lower_spatial.WRAP}.items():
        out[op] = (lambda w, f: lambda c, n: w(c, n, f, base))(wrap, out.get(op))
    return out
