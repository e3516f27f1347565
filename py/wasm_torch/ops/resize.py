"""Resampling and padding: upsample (nearest, nearest-exact, linear, bilinear, bicubic), pads,
pixel shuffle.

Canonical ops (ATen names and schemas):
    upsample_nearest1d/2d, _upsample_nearest_exact1d/2d, upsample_linear1d, upsample_bilinear2d,
    upsample_bicubic2d      explicit output_size plus the optional scales the kernel maps with
    constant_pad_nd         negative pads crop
    reflection_pad1d/2d, replication_pad1d/2d, _pad_circular
    pixel_shuffle, pixel_unshuffle

Spellings lowered onto them: every `<upsample>.vec(input, output_size, [align_corners,]
scale_factors)` (F.interpolate, traced and exported), `pad(self, pad, mode, value)` and
`_pad_enum(self, pad, mode, value)`.

The scales matter: with scale_factor given, torch maps output index i to input i / scale rather
than i * in / out, so `.vec` keeps the user's scale next to the computed output size.
"""

from __future__ import annotations

from ..dtypes import is_float
from ..errors import ShapeError, UnsupportedError
from ..ir import Graph, Ref, TensorMeta
from .common import emit
from .registry import A, define, lowering

# name -> (spatial dims, mode, takes align_corners)
_UPSAMPLE = {
    "upsample_nearest1d": (1, "nearest", False),
    "upsample_nearest2d": (2, "nearest", False),
    "_upsample_nearest_exact1d": (1, "nearest_exact", False),
    "_upsample_nearest_exact2d": (2, "nearest_exact", False),
    "upsample_linear1d": (1, "linear", True),
    "upsample_bilinear2d": (2, "linear", True),
    "upsample_bicubic2d": (2, "cubic", True),
}
_SCALES = {1: ["scales"], 2: ["scales_h", "scales_w"]}


def _upsample_infer(name: str):
    n, mode, _ = _UPSAMPLE[name]

    def infer(a: A) -> TensorMeta:
        x = a.self
        if len(x.shape) != n + 2 or 0 in x.shape[1:]:
            raise ShapeError(f"input must be a non-empty {n + 2}-d tensor, got {list(x.shape)}")
        if not is_float(x.dtype) and not (mode.startswith("nearest") and x.dtype == "uint8"):
            raise ShapeError(f"unsupported dtype {x.dtype}")
        size = list(a.output_size)
        if len(size) != n or min(size) < 1:
            raise ShapeError(f"output_size must be {n} positive ints, got {size}")
        return TensorMeta(x.dtype, (*x.shape[:2], *size))

    return infer


# ---------------------------------------------------------------------------------------------
# Reference. Index and weight arithmetic follows ATen's UpSample.h in the kernel's opmath type
# (float32 unless the input is float64), so the chosen input pixels match torch bit for bit.


def _scale_value(scale: float | None, in_size: int, out_size: int, ft):
    """compute_scales_value: 1/scale when the caller gave one, else in/out."""
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(in_size) / ft(out_size)


def _area_scale(in_size: int, out_size: int, align_corners: bool, scale: float | None, ft):
    if align_corners:
        return ft(in_size - 1) / ft(out_size - 1) if out_size > 1 else ft(0)
    return _scale_value(scale, in_size, out_size, ft)


def _along(np, v, axis: int, ndim: int):
    """Reshape a per-output-index vector to broadcast along `axis`."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.asarray(v).reshape(shape)


def _resample(np, x, axis: int, out_size: int, scale: float | None, mode: str, align_corners: bool,
              ft, one_d: bool):
    """Resample one axis. torch's 1-d and 2-d kernels differ in two details reproduced here: the
    2-d nearest kernel copies when out == in and halves indices when out == 2 * in, whatever the
    scale (nearest_idx); the 1-d nearest-exact kernel is compiled with a fused multiply-add."""
    in_size = x.shape[axis]
    last = in_size - 1
    if mode == "nearest":
        if not one_d and out_size in (in_size, 2 * in_size):
            return np.take(x, np.arange(out_size) // (out_size // in_size), axis)
        s = _scale_value(scale, in_size, out_size, ft)
        idx = np.floor(s * np.arange(out_size, dtype=ft)).astype(np.int64)
        return np.take(x, np.minimum(idx, last), axis)
    if mode == "nearest_exact":
        s = _scale_value(scale, in_size, out_size, ft)
        d = np.arange(out_size, dtype=ft)
        if one_d:
            # one rounding of s * (d + 0.5) - 0.5; the float64 product of two floats is exact
            src = (np.float64(s) * (d.astype(np.float64) + 0.5) - 0.5).astype(ft)
        else:
            src = s * (d + ft(0.5)) - ft(0.5)
        idx = np.floor(np.maximum(src, ft(0)) + ft(0.5)).astype(np.int64)
        return np.take(x, np.minimum(idx, last), axis)
    if mode == "linear" and out_size == in_size:
        return x  # ATen copies when the size is unchanged, whatever the scale
    s = _area_scale(in_size, out_size, align_corners, scale, ft)
    d = np.arange(out_size, dtype=ft)
    src = s * d if align_corners else s * (d + ft(0.5)) - ft(0.5)
    if mode == "linear":
        src = np.maximum(src, ft(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), last)
    lam = np.clip(src - i0.astype(ft), ft(0), ft(1))
    if mode == "linear":
        i1 = i0 + (i0 < last)
        taps = [(i0, ft(1) - lam), (i1, lam)]
    else:
        a = ft(-0.75)
        t, u = lam, ft(1) - lam

        def near(v):  # cubic_convolution1, |v| <= 1
            return ((a + 2) * v - (a + 3)) * v * v + 1

        def far(v):  # cubic_convolution2, 1 < |v| < 2
            return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

        weights = [far(t + 1), near(t), near(u), far(u + 1)]
        taps = [(np.clip(i0 - 1 + j, 0, last), w) for j, w in enumerate(weights)]
    out = 0
    for idx, w in taps:
        out = out + np.take(x, idx, axis) * _along(np, w.astype(np.float64), axis, x.ndim)
    return out


def _upsample_ref(name: str):
    n, mode, has_align = _UPSAMPLE[name]

    def ref(a: A):
        import numpy as np

        x = a.self
        ft = np.float64 if x.dtype == np.float64 else np.float32
        if not mode.startswith("nearest"):
            x = x.astype(np.float64)
        align = bool(a.align_corners) if has_align else False
        for i, key in enumerate(_SCALES[n]):
            x = _resample(np, x, x.ndim - n + i, a.output_size[i], a[key], mode, align, ft, n == 1)
        return x

    return ref


def _upsample_schemas(name: str) -> tuple[str, str]:
    n, _, has_align = _UPSAMPLE[name]
    align = "bool align_corners, " if has_align else ""
    scales = ", ".join(f"float? {s}=None" for s in _SCALES[n])
    return (f"{name}(Tensor self, SymInt[{n}] output_size, {align}{scales}) -> Tensor",
            f"{name}.vec(Tensor input, SymInt[]? output_size, {align}float[]? scale_factors) -> Tensor")


def _lower_upsample_vec(name: str):
    """`.vec`: output_size, or floor(size * scale) keeping the scales for the index mapping."""
    n, _, has_align = _UPSAMPLE[name]

    def lower(g: Graph, a: A, src: str) -> list[Ref]:
        shape = g.meta(a.input).shape
        if len(shape) != n + 2:
            raise ShapeError(f"{name}: input must be {n + 2}-d, got {list(shape)} at {src}")
        if (a.output_size is None) == (a.scale_factors is None):
            raise ShapeError(f"{name}: give exactly one of output_size and scale_factors at {src}")
        if a.output_size is not None:
            size, scales = list(a.output_size), [None] * n
        else:
            scales = list(a.scale_factors)
            if len(scales) != n:
                raise ShapeError(f"{name}: {n} scale factors expected, got {scales} at {src}")
            size = [int(d * s) for d, s in zip(shape[2:], scales)]
        kw = dict(zip(_SCALES[n], scales))
        if has_align:
            kw["align_corners"] = a.align_corners
        return emit(g, name, src, a.input, size, **kw)

    return lower


for _name in _UPSAMPLE:
    _canonical, _vec = _upsample_schemas(_name)
    define(_canonical, _upsample_infer(_name), _upsample_ref(_name))
    lowering(_vec)(_lower_upsample_vec(_name))


# ---------------------------------------------------------------------------------------------
# Padding. `pad` lists (before, after) pairs starting from the last dim; negative values crop.


def _padded_shape(shape: tuple[int, ...], pad: list[int]) -> tuple[int, ...]:
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise ShapeError(f"padding {list(pad)} does not fit a {len(shape)}-d input")
    out = list(shape)
    for i in range(len(pad) // 2):
        axis = len(shape) - 1 - i
        out[axis] += pad[2 * i] + pad[2 * i + 1]
        if out[axis] < 0:
            raise ShapeError(f"padding {list(pad)} leaves dim {axis} of {list(shape)} negative")
    return tuple(out)


def _constant_pad_infer(a: A) -> TensorMeta:
    return TensorMeta(a.self.dtype, _padded_shape(a.self.shape, list(a.pad)))


def _crop(x, pad: list[int]):
    """Apply the negative pads (crops); returns the cropped array and the non-negative pads."""
    index = [slice(None)] * x.ndim
    for i in range(len(pad) // 2):
        lo, hi = pad[2 * i], pad[2 * i + 1]
        index[x.ndim - 1 - i] = slice(max(-lo, 0), x.shape[x.ndim - 1 - i] - max(-hi, 0))
    return x[tuple(index)], [max(p, 0) for p in pad]


def _constant_pad_ref(a: A):
    import numpy as np

    x, pad = _crop(a.self, list(a.pad))
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return np.pad(x, widths, constant_values=np.asarray(a.value).astype(x.dtype))


# mode -> which input index an output position i reads, for an axis of size n (pads >= 0 here)
_INDEX_PADS = {
    "reflect": lambda np, i, n: np.where(np.abs(i) >= n, 2 * (n - 1) - np.abs(i), np.abs(i)),
    "replicate": lambda np, i, n: np.clip(i, 0, n - 1),
    "circular": lambda np, i, n: i % n,
}


def _index_pad_infer(op: str, mode: str, dims: int | None, key: str):
    def infer(a: A) -> TensorMeta:
        shape, pad = a.self.shape, list(a[key])
        k = len(pad) // 2
        if (dims is not None and len(pad) != 2 * dims) or len(pad) % 2 or k < 1 or \
                len(shape) not in (k + 1, k + 2):
            raise ShapeError(f"padding {pad} needs a {k + 1}-d or {k + 2}-d input, got {list(shape)}")
        for i in range(k):
            size, lo, hi = shape[-1 - i], pad[2 * i], pad[2 * i + 1]
            limit = size - 1 if mode == "reflect" else size
            if size < 1 or max(lo, hi) > limit:
                raise ShapeError(f"padding {pad} is too large for input {list(shape)} ({mode})")
        return TensorMeta(a.self.dtype, _padded_shape(shape, pad))

    return infer


def _index_pad_ref(mode: str, key: str):
    def ref(a: A):
        import numpy as np

        x, pad = _crop(a.self, list(a[key]))
        for i in range(len(pad) // 2):
            axis = x.ndim - 1 - i
            n = x.shape[axis]
            idx = np.arange(-pad[2 * i], n + pad[2 * i + 1])
            x = np.take(x, _INDEX_PADS[mode](np, idx, n), axis)
        return x

    return ref


define("constant_pad_nd(Tensor self, SymInt[] pad, Scalar value=0) -> Tensor",
       _constant_pad_infer, _constant_pad_ref)
for _mode, _prefix in (("reflect", "reflection"), ("replicate", "replication")):
    for _k in (1, 2):
        _op = f"{_prefix}_pad{_k}d"
        define(f"{_op}(Tensor self, SymInt[{2 * _k}] padding) -> Tensor",
               _index_pad_infer(_op, _mode, _k, "padding"), _index_pad_ref(_mode, "padding"))
define("_pad_circular(Tensor self, SymInt[] pad) -> Tensor",
       _index_pad_infer("_pad_circular", "circular", None, "pad"), _index_pad_ref("circular", "pad"))


def _emit_pad(g: Graph, x: Ref, pad: list[int], mode: str, value: float | None, src: str) -> list[Ref]:
    if mode == "constant":
        return emit(g, "constant_pad_nd", src, x, pad, 0 if value is None else value)
    if mode not in _INDEX_PADS:
        raise ShapeError(f"pad: unknown mode {mode!r} at {src}")
    if value is not None:
        raise ShapeError(f"pad: mode {mode!r} takes no value at {src}")
    if mode == "circular":
        return emit(g, "_pad_circular", src, x, pad)
    k = len(pad) // 2
    if k not in (1, 2) or len(pad) % 2:
        raise UnsupportedError(f"{mode} padding of {len(pad) // 2} dims", [("pad", src)])
    prefix = "reflection" if mode == "reflect" else "replication"
    return emit(g, f"{prefix}_pad{k}d", src, x, pad)


@lowering('pad(Tensor self, SymInt[] pad, str mode="constant", float? value=None) -> Tensor')
def _lower_pad(g: Graph, a: A, src: str) -> list[Ref]:
    return _emit_pad(g, a.self, list(a.pad), a.mode, a.value, src)


# ATen's at::padding_mode enumeration.
_PAD_ENUM = ("reflect", "replicate", "circular", "constant")


@lowering("_pad_enum(Tensor self, SymInt[] pad, int mode, float? value=None) -> Tensor")
def _lower_pad_enum(g: Graph, a: A, src: str) -> list[Ref]:
    if not 0 <= a.mode < len(_PAD_ENUM):
        raise ShapeError(f"_pad_enum: unknown mode {a.mode} at {src}")
    return _emit_pad(g, a.self, list(a.pad), _PAD_ENUM[a.mode], a.value, src)


# ---------------------------------------------------------------------------------------------
# Pixel shuffle: (*, C*r*r, H, W) <-> (*, C, H*r, W*r)


def _pixel_shuffle_infer(a: A) -> TensorMeta:
    shape, r = a.self.shape, a.upscale_factor
    if len(shape) < 3 or r < 1 or shape[-3] % (r * r):
        raise ShapeError(f"channels of {list(shape)} not divisible by {r}*{r}")
    return TensorMeta(a.self.dtype, (*shape[:-3], shape[-3] // (r * r), shape[-2] * r, shape[-1] * r))


def _pixel_unshuffle_infer(a: A) -> TensorMeta:
    shape, r = a.self.shape, a.downscale_factor
    if len(shape) < 3 or r < 1 or shape[-2] % r or shape[-1] % r:
        raise ShapeError(f"height and width of {list(shape)} not divisible by {r}")
    return TensorMeta(a.self.dtype, (*shape[:-3], shape[-3] * r * r, shape[-2] // r, shape[-1] // r))


def _pixel_shuffle_ref(a: A):
    x, r = a.self, a.upscale_factor
    *lead, c, h, w = x.shape
    k = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def _pixel_unshuffle_ref(a: A):
    x, r = a.self, a.downscale_factor
    *lead, c, h, w = x.shape
    k = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.transpose(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


define("pixel_shuffle(Tensor self, int upscale_factor) -> Tensor", _pixel_shuffle_infer, _pixel_shuffle_ref)
define("pixel_unshuffle(Tensor self, int downscale_factor) -> Tensor",
       _pixel_unshuffle_infer, _pixel_unshuffle_ref)
