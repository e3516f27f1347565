"""Pooling: max (with or without indices), average, adaptive average and adaptive max, 1-d and 2-d.

Canonical ops (ATen names and schemas): max_pool1d, max_pool2d, max_pool1d_with_indices,
max_pool2d_with_indices, avg_pool1d, avg_pool2d, adaptive_avg_pool1d, adaptive_avg_pool2d,
adaptive_max_pool1d, adaptive_max_pool2d. `_adaptive_avg_pool2d` is an alias.

torch's rules reproduced here: stride [] means the kernel size; with ceil_mode the last window
must start inside the input or its left padding; avg_pool's divisor counts the padding (but not
the ceil_mode overhang) when count_include_pad; adaptive windows are
[floor(i*in/out), ceil((i+1)*in/out)); max picks the first maximum in row-major window order,
except that a NaN wins and the last NaN wins over earlier ones; indices are flat positions in the
input's spatial plane (int64).
"""

from __future__ import annotations

from ..dtypes import is_float
from ..errors import ShapeError
from ..ir import TensorMeta
from .common import expand_ints
from .registry import A, alias, define

# ---------------------------------------------------------------------------------------------
# Shapes (stdlib only)


def _spatial(a: A, n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(leading dims, spatial dims) of a pooling input: batched or unbatched."""
    shape = tuple(a.self.shape)
    if len(shape) not in (n + 1, n + 2) or 0 in shape[-n - 1:]:
        raise ShapeError(f"input must be a non-empty {n + 1}-d or {n + 2}-d tensor, got {list(shape)}")
    return shape[:-n], shape[-n:]


def _window_params(a: A, n: int, dilation: bool) -> tuple[list[int], list[int], list[int], list[int]]:
    kernel = expand_ints(a.kernel_size, n, "kernel_size")
    stride = expand_ints(a.stride, n, "stride") if a.stride else kernel
    padding = expand_ints(a.padding, n, "padding")
    dil = expand_ints(a.dilation, n, "dilation") if dilation else [1] * n
    if min(kernel) < 1 or min(stride) < 1 or min(dil) < 1 or min(padding) < 0:
        raise ShapeError(f"kernel {kernel}, stride {stride} and dilation {dil} must be positive, "
                         f"padding {padding} non-negative")
    for k, p, d in zip(kernel, padding, dil):
        if p > ((k - 1) * d + 1) // 2:
            raise ShapeError(f"padding {padding} must be at most half of the kernel {kernel}")
    return kernel, stride, padding, dil


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window would start in the right padding
    if out < 1:
        raise ShapeError(f"input size {size} is too small for kernel {k} (padding {p}, dilation {d})")
    return out


def _pool_geometry(a: A, n: int, dilation: bool):
    lead, spatial = _spatial(a, n)
    kernel, stride, padding, dil = _window_params(a, n, dilation)
    outs = [_pool_out(spatial[i], kernel[i], stride[i], padding[i], dil[i], a.ceil_mode) for i in range(n)]
    return lead, spatial, outs, (kernel, stride, padding, dil)


def _max_pool_infer(n: int, with_indices: bool):
    def infer(a: A):
        lead, _, outs, _ = _pool_geometry(a, n, True)
        out = TensorMeta(a.self.dtype, (*lead, *outs))
        return [out, TensorMeta("int64", out.shape)] if with_indices else out

    return infer


def _avg_pool_infer(n: int):
    def infer(a: A) -> TensorMeta:
        lead, _, outs, _ = _pool_geometry(a, n, False)
        if a.get("divisor_override") == 0:
            raise ShapeError("divisor_override must not be zero")
        return TensorMeta(a.self.dtype, (*lead, *outs))

    return infer


def _adaptive_infer(n: int, with_indices: bool):
    def infer(a: A):
        lead, _ = _spatial(a, n)
        if not is_float(a.self.dtype):
            raise ShapeError(f"unsupported dtype {a.self.dtype}")
        size = expand_ints(a.output_size, n, "output_size")
        if min(size) < (1 if with_indices else 0):
            raise ShapeError(f"output_size {size} must be positive")
        out = TensorMeta(a.self.dtype, (*lead, *size))
        return [out, TensorMeta("int64", out.shape)] if with_indices else out

    return infer


# ---------------------------------------------------------------------------------------------
# Reference (numpy)


def _select(np, vals, axis: int):
    """torch's max over `axis`: first maximum, but a NaN wins and a later NaN wins over an earlier."""
    idx = np.argmax(vals, axis=axis)
    nan = np.isnan(vals) if vals.dtype.kind == "f" else None
    if nan is not None and nan.any():
        last_nan = vals.shape[axis] - 1 - np.argmax(np.flip(nan, axis=axis), axis=axis)
        idx = np.where(nan.any(axis=axis), last_nan, idx)
    picked = np.take_along_axis(vals, np.expand_dims(idx, axis), axis)
    return np.squeeze(picked, axis), idx


def _along(np, v, axis: int, ndim: int):
    """Reshape a per-output-index vector to broadcast along `axis`."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.asarray(v).reshape(shape)


def _windows(np, x, n: int, outs, params, fill):
    """Padded sliding windows: shape (*lead, *outs, *kernel)."""
    from numpy.lib.stride_tricks import sliding_window_view

    kernel, stride, padding, dil = params
    widths = [(0, 0)] * (x.ndim - n)
    for size, o, k, s, p, d in zip(x.shape[-n:], outs, kernel, stride, padding, dil):
        widths.append((p, max(0, (o - 1) * s + d * (k - 1) + 1 - size - p)))
    xp = np.pad(x, widths, constant_values=fill)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dil)]
    win = sliding_window_view(xp, spans, axis=tuple(range(x.ndim - n, x.ndim)))
    index = [slice(None)] * (x.ndim - n)
    index += [slice(0, (o - 1) * s + 1, s) for o, s in zip(outs, stride)]
    index += [slice(None, None, d) for d in dil]
    return win[tuple(index)]


def _max_pool_ref(n: int, with_indices: bool):
    def ref(a: A):
        import numpy as np

        x = a.self
        _, spatial, outs, params = _pool_geometry(a, n, True)
        kernel, stride, padding, dil = params
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        win = _windows(np, x, n, outs, params, fill)
        flat = win.reshape(*win.shape[:x.ndim], -1)
        vals, local = _select(np, flat, -1)
        if not with_indices:
            return vals
        taps = np.unravel_index(local, kernel)
        only_fill = vals == fill
        flat_index = np.zeros_like(local)
        for i in range(n):
            start = _along(np, np.arange(outs[i]) * stride[i] - padding[i], i - n, local.ndim)
            # torch scans from the first in-bounds tap, so a window of nothing but -inf points there
            first = -(-np.maximum(-start, 0) // dil[i])
            tap = np.where(only_fill, first, taps[i])
            flat_index = flat_index * spatial[i] + start + tap * dil[i]
        return vals, flat_index

    return ref


def _avg_pool_ref(n: int):
    def ref(a: A):
        import numpy as np

        x = a.self
        _, spatial, outs, params = _pool_geometry(a, n, False)
        win = _windows(np, x.astype(np.float64), n, outs, params, 0.0)
        sums = win.sum(axis=tuple(range(x.ndim, win.ndim)))
        divisor = a.get("divisor_override")
        if not divisor:
            divisor = _divisor(np, spatial, outs, params, a.count_include_pad)
        out = sums / divisor
        return np.trunc(out) if x.dtype.kind in "iu" else out  # integer pooling divides like C

    return ref


def _divisor(np, spatial, outs, params, count_include_pad: bool):
    """Per-window element count: padding included or not, never the ceil_mode overhang."""
    kernel, stride, padding, _ = params
    n = len(spatial)
    divisor = 1
    for i in range(n):
        start = np.arange(outs[i]) * stride[i] - padding[i]
        end = np.minimum(start + kernel[i], spatial[i] + padding[i])
        if count_include_pad:
            count = end - start
        else:
            count = np.minimum(end, spatial[i]) - np.maximum(start, 0)
        divisor = divisor * _along(np, count, i - n, n)
    return divisor


def _adaptive_bounds(size: int, out: int) -> list[tuple[int, int]]:
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _adaptive_avg_ref(n: int):
    def ref(a: A):
        import numpy as np

        x = a.self.astype(np.float64)
        for i, out in enumerate(expand_ints(a.output_size, n, "output_size")):
            axis = x.ndim - n + i
            weights = np.zeros((out, x.shape[axis]))
            for j, (s, e) in enumerate(_adaptive_bounds(x.shape[axis], out)):
                weights[j, s:e] = 1.0 / (e - s)
            x = np.moveaxis(np.tensordot(x, weights, axes=([axis], [1])), -1, axis)
        return x

    return ref


def _adaptive_max_ref(n: int):
    def ref(a: A):
        import numpy as np

        vals, flat = a.self, None
        trailing = 1  # elements of the spatial dims already reduced
        sizes = expand_ints(a.output_size, n, "output_size")
        for i in reversed(range(n)):
            axis = vals.ndim - n + i
            size = vals.shape[axis]
            pieces_v, pieces_i = [], []
            for s, e in _adaptive_bounds(size, sizes[i]):
                window = np.take(vals, np.arange(s, e), axis)
                v, j = _select(np, window, axis)
                pos = (s + j) * trailing
                if flat is not None:
                    pos = pos + np.squeeze(np.take_along_axis(
                        np.take(flat, np.arange(s, e), axis), np.expand_dims(j, axis), axis), axis)
                pieces_v.append(v)
                pieces_i.append(pos)
            vals, flat = np.stack(pieces_v, axis), np.stack(pieces_i, axis)
            trailing *= size
        return vals, flat.astype(np.int64)

    return ref


# ---------------------------------------------------------------------------------------------
# Registration

_MAX = ("Tensor self, int[{n}] kernel_size, int[{n}] stride=[], int[{n}] padding={p}, "
        "int[{n}] dilation={d}, bool ceil_mode=False")
for _n, _pad, _dil in ((1, "[0]", "[1]"), (2, "0", "1")):
    _args = _MAX.format(n=_n, p=_pad, d=_dil)
    define(f"max_pool{_n}d({_args}) -> Tensor", _max_pool_infer(_n, False), _max_pool_ref(_n, False))
    define(f"max_pool{_n}d_with_indices({_args}) -> (Tensor, Tensor)",
           _max_pool_infer(_n, True), _max_pool_ref(_n, True))
    define(f"adaptive_max_pool{_n}d(Tensor self, int[{_n}] output_size) -> (Tensor, Tensor)",
           _adaptive_infer(_n, True), _adaptive_max_ref(_n))

define("avg_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=[0], "
       "bool ceil_mode=False, bool count_include_pad=True) -> Tensor", _avg_pool_infer(1), _avg_pool_ref(1))
define("avg_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, "
       "bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor",
       _avg_pool_infer(2), _avg_pool_ref(2))
define("adaptive_avg_pool1d(Tensor self, int[1] output_size) -> Tensor",
       _adaptive_infer(1, False), _adaptive_avg_ref(1))
define("adaptive_avg_pool2d(Tensor self, SymInt[2] output_size) -> Tensor",
       _adaptive_infer(2, False), _adaptive_avg_ref(2))
alias("_adaptive_avg_pool2d(Tensor self, SymInt[2] output_size) -> Tensor", "adaptive_avg_pool2d")
