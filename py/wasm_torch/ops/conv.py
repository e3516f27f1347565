"""Convolutions: 1-d and 2-d, grouped, strided, dilated, and their transposes.

Canonical ops (ATen names and schemas): conv1d, conv2d, conv_transpose1d, conv_transpose2d.
Explicit padding only; string padding ("same"/"valid") and padding_mode are resolved by the
lowerings into int padding, plus a constant_pad_nd when "same" needs more on one side.

Spellings lowered onto them: `_convolution` (TorchScript traced, 13 args, and its 12-arg
`.deprecated` overload), `_convolution_mode` (traced string padding), `convolution` (core ATen),
`conv1d.padding` / `conv2d.padding` (string padding), `conv_transpose2d.input`.
"""

from __future__ import annotations

from ..dtypes import is_float
from ..errors import ShapeError, UnsupportedError
from ..ir import Graph, Ref, TensorMeta
from .common import emit, expand_ints
from .registry import A, define, lowering

_CANONICAL = {(1, False): "conv1d", (2, False): "conv2d", (1, True): "conv_transpose1d",
              (2, True): "conv_transpose2d"}


def _geometry(a: A, n: int) -> tuple[tuple[int, ...], tuple[int, ...], bool]:
    """Check a conv call; returns (input shape, weight shape, unbatched)."""
    x, w = a.input, a.weight
    if not isinstance(x, TensorMeta) or not isinstance(w, TensorMeta):
        raise ShapeError("input and weight must be tensors")
    if len(w.shape) != n + 2:
        raise ShapeError(f"weight must be {n + 2}-d, got shape {list(w.shape)}")
    if len(x.shape) not in (n + 1, n + 2):
        raise ShapeError(f"input must be {n + 1}-d or {n + 2}-d, got shape {list(x.shape)}")
    if not is_float(x.dtype) or x.dtype != w.dtype:
        raise ShapeError(f"input ({x.dtype}) and weight ({w.dtype}) must share one float dtype")
    if a.groups < 1:
        raise ShapeError(f"groups must be positive, got {a.groups}")
    unbatched = len(x.shape) == n + 1
    shape = (1, *x.shape) if unbatched else tuple(x.shape)
    return shape, tuple(w.shape), unbatched


def _out_channels(a: A, shape: tuple[int, ...], w: tuple[int, ...], transposed: bool) -> int:
    g = a.groups
    if transposed:
        cin, cout = w[0], w[1] * g
    else:
        cin, cout = w[1] * g, w[0]
        if w[0] % g:
            raise ShapeError(f"{w[0]} output channels are not divisible by groups={g}")
    if shape[1] != cin or cin % g:
        raise ShapeError(f"input has {shape[1]} channels, weight {list(w)} with groups={g} "
                         f"expects {cin}")
    bias = a.bias
    if bias is not None and (not isinstance(bias, TensorMeta) or tuple(bias.shape) != (cout,)):
        raise ShapeError(f"bias must have shape [{cout}]")
    return cout


def _conv_infer(n: int, transposed: bool):
    def infer(a: A) -> TensorMeta:
        shape, w, unbatched = _geometry(a, n)
        cout = _out_channels(a, shape, w, transposed)
        stride = expand_ints(a.stride, n, "stride")
        padding = expand_ints(a.padding, n, "padding")
        dilation = expand_ints(a.dilation, n, "dilation")
        if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
            raise ShapeError("stride and dilation must be positive and padding non-negative")
        spatial = []
        for i in range(n):
            size, k, s, p, d = shape[2 + i], w[2 + i], stride[i], padding[i], dilation[i]
            if transposed:
                extra = expand_ints(a.output_padding, n, "output_padding")[i]
                if extra < 0 or (extra >= s and extra >= d):
                    raise ShapeError(f"output_padding {extra} must be smaller than stride or dilation")
                out = (size - 1) * s - 2 * p + d * (k - 1) + extra + 1
            else:
                out = (size + 2 * p - d * (k - 1) - 1) // s + 1
            if out < 1:
                raise ShapeError(f"input {list(shape)} is too small for kernel {list(w)} "
                                 f"(stride {stride}, padding {padding}, dilation {dilation})")
            spatial.append(out)
        out_shape = (cout, *spatial) if unbatched else (shape[0], cout, *spatial)
        return TensorMeta(a.input.dtype, out_shape)

    return infer


# ---------------------------------------------------------------------------------------------
# Reference: 1-d runs as 2-d with a height of 1; float64 accumulation.


# The params of the dummy height dim a 1-d conv gets (padding and output_padding are 0).
_HEIGHT_ONE = {"stride": 1, "dilation": 1}


def _as_2d(a: A, n: int, names: tuple[str, ...]) -> tuple:
    """Input/weight as batched 4-d float64 arrays and the int params as 2-d pairs."""
    import numpy as np

    x = np.asarray(a.input, dtype=np.float64)
    w = np.asarray(a.weight, dtype=np.float64)
    unbatched = x.ndim == n + 1
    if unbatched:
        x = x[None]
    params = [expand_ints(a[k], n, k) for k in names]
    if n == 1:
        x, w = x[:, :, None, :], w[:, :, None, :]
        params = [[_HEIGHT_ONE.get(k, 0), *p] for k, p in zip(names, params)]
    return x, w, unbatched, params


def _finish(out, a: A, n: int, unbatched: bool):
    if a.bias is not None:
        out = out + a.bias.astype(out.dtype).reshape(1, -1, 1, 1)
    if n == 1:
        out = out[:, :, 0]
    return out[0] if unbatched else out


def _conv2d_nchw(x, w, stride, padding, dilation, groups):
    """Grouped 2-d convolution of float64 arrays by im2col + one GEMM per group."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    n, c, _, _ = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = sliding_window_view(xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
    win = win[:, :, ::sh, ::sw, ::dh, ::dw]  # (n, c, ho, wo, kh, kw)
    ho, wo = win.shape[2], win.shape[3]
    og = o // groups
    cols = win.reshape(n, groups, cg, ho, wo, kh, kw).transpose(1, 0, 3, 4, 2, 5, 6)
    cols = cols.reshape(groups, n * ho * wo, cg * kh * kw)
    wmat = w.reshape(groups, og, cg * kh * kw).transpose(0, 2, 1)
    out = np.matmul(cols, wmat)  # (groups, n*ho*wo, og)
    return out.reshape(groups, n, ho, wo, og).transpose(1, 0, 4, 2, 3).reshape(n, o, ho, wo)


def _conv_transpose2d_nchw(x, w, stride, padding, output_padding, groups, dilation):
    """Transposed conv as GEMM (weight^T @ input) then col2im: one strided add per kernel tap."""
    import numpy as np

    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    cg = c // groups
    wmat = w.reshape(groups, cg, og * kh * kw).transpose(0, 2, 1)
    cols = np.matmul(wmat[None], x.reshape(n, groups, cg, h * wd))
    cols = cols.reshape(n, groups, og, kh, kw, h, wd)
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    full_w = (wd - 1) * sw + dw * (kw - 1) + 1 + opw
    full = np.zeros((n, groups, og, full_h, full_w))
    for i in range(kh):
        for j in range(kw):
            full[..., i * dh: i * dh + (h - 1) * sh + 1: sh, j * dw: j * dw + (wd - 1) * sw + 1: sw] += \
                cols[:, :, :, i, j]
    ho, wo = full_h - 2 * ph, full_w - 2 * pw
    return full[..., ph: ph + ho, pw: pw + wo].reshape(n, groups * og, ho, wo)


def _conv_ref(n: int):
    def ref(a: A):
        x, w, unbatched, (stride, padding, dilation) = _as_2d(a, n, ("stride", "padding", "dilation"))
        return _finish(_conv2d_nchw(x, w, stride, padding, dilation, a.groups), a, n, unbatched)

    return ref


def _conv_transpose_ref(n: int):
    def ref(a: A):
        x, w, unbatched, params = _as_2d(a, n, ("stride", "padding", "output_padding", "dilation"))
        stride, padding, output_padding, dilation = params
        out = _conv_transpose2d_nchw(x, w, stride, padding, output_padding, a.groups, dilation)
        return _finish(out, a, n, unbatched)

    return ref


define("conv1d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=[1], SymInt[1] padding=[0], "
       "SymInt[1] dilation=[1], SymInt groups=1) -> Tensor", _conv_infer(1, False), _conv_ref(1))
define("conv2d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=[1, 1], "
       "SymInt[2] padding=[0, 0], SymInt[2] dilation=[1, 1], SymInt groups=1) -> Tensor",
       _conv_infer(2, False), _conv_ref(2))
define("conv_transpose1d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=[1], "
       "SymInt[1] padding=[0], SymInt[1] output_padding=[0], SymInt groups=1, "
       "SymInt[1] dilation=[1]) -> Tensor",
       _conv_infer(1, True), _conv_transpose_ref(1))
define("conv_transpose2d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=[1, 1], "
       "SymInt[2] padding=[0, 0], SymInt[2] output_padding=[0, 0], SymInt groups=1, "
       "SymInt[2] dilation=[1, 1]) -> Tensor", _conv_infer(2, True), _conv_transpose_ref(2))


# ---------------------------------------------------------------------------------------------
# Spellings


def _spatial_dims(g: Graph, a: A, op: str, src: str) -> int:
    if not isinstance(a.weight, Ref):
        raise ShapeError(f"{op}: weight must be a tensor at {src}")
    n = len(g.meta(a.weight).shape) - 2
    if n not in (1, 2):
        raise UnsupportedError(f"{op} with a {n + 2}-d weight ({n}-d convolution)", [(op, src)])
    return n


def _lower_convolution(g: Graph, a: A, src: str) -> list[Ref]:
    """`_convolution` / `convolution`: the op is chosen by the weight's rank and `transposed`."""
    n = _spatial_dims(g, a, "convolution", src)
    op = _CANONICAL[(n, bool(a.transposed))]
    args = dict(input=a.input, weight=a.weight, bias=a.bias, stride=a.stride, padding=a.padding,
                dilation=a.dilation, groups=a.groups)
    if a.transposed:
        args["output_padding"] = a.output_padding
    return emit(g, op, src, **args)


_CONV_ARGS = ("Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, SymInt[] padding, "
              "SymInt[] dilation, bool transposed, SymInt[] output_padding, SymInt groups")
lowering(f"convolution({_CONV_ARGS}) -> Tensor")(_lower_convolution)
lowering(f"_convolution({_CONV_ARGS}, bool benchmark, bool deterministic, bool cudnn_enabled, "
         "bool allow_tf32) -> Tensor")(_lower_convolution)
lowering(f"_convolution.deprecated({_CONV_ARGS}, bool benchmark, bool deterministic, "
         "bool cudnn_enabled) -> Tensor")(_lower_convolution)


def _lower_string_padding(g: Graph, a: A, src: str) -> list[Ref]:
    """padding="valid" is 0; "same" pads d*(k-1) in total, the odd one on the right (as torch)."""
    n = _spatial_dims(g, a, "conv", src)
    if a.padding not in ("same", "valid"):
        raise ShapeError(f"conv{n}d: padding must be 'same' or 'valid', got {a.padding!r} at {src}")
    stride = expand_ints(a.stride, n, "stride")
    dilation = expand_ints(a.dilation, n, "dilation")
    kernel = g.meta(a.weight).shape[2:]
    x, padding = a.input, [0] * n
    if a.padding == "same":
        if any(s != 1 for s in stride):
            raise ShapeError(f"conv{n}d: padding='same' is not supported for strided convolutions at {src}")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        padding = [t // 2 for t in totals]
        extra = [t % 2 for t in totals]
        if any(extra):
            # constant_pad_nd lists (left, right) pairs from the last dim backwards.
            pads = [v for e in reversed(extra) for v in (0, e)]
            x = emit(g, "constant_pad_nd", src, x, pads)[0]
    return emit(g, f"conv{n}d", src, x, a.weight, a.bias, stride, padding, dilation, a.groups)


lowering("conv1d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=[1], "
         'str padding="valid", SymInt[1] dilation=[1], SymInt groups=1) -> Tensor')(_lower_string_padding)
lowering("conv2d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=[1, 1], "
         'str padding="valid", SymInt[2] dilation=[1, 1], SymInt groups=1) -> Tensor')(_lower_string_padding)
lowering("_convolution_mode(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, str padding, "
         "SymInt[] dilation, SymInt groups) -> Tensor")(_lower_string_padding)
