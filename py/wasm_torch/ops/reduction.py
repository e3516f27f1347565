"""Reductions: sums, means, products, extrema and their indices, variance, norms, cumulative ops,
any/all.

Dims follow torch: None or [] reduces every dim, negative dims wrap, and a 0-d tensor accepts dim
0 or -1. References accumulate in float64 (floats) or int64 (integers), at least as precise as
torch's CPU kernels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..dtypes import is_float
from ..errors import ShapeError
from ..formats.tensor import np_dtype
from ..ir import Graph, Ref, TensorMeta
from .common import emit, float_dtype, norm_dim, norm_dims
from .elementwise import np_
from .registry import A, define, lowering


def _dims(dim: int | list[int] | None, ndim: int) -> list[int]:
    """The reduced dims of an `int`, `int[]` or `int?` dim argument (None or [] = every dim)."""
    return [norm_dim(dim, ndim)] if isinstance(dim, int) else norm_dims(dim, ndim)


def reduced_shape(shape: tuple[int, ...], dims: list[int], keepdim: bool) -> tuple[int, ...]:
    return tuple(1 if i in dims else s for i, s in enumerate(shape) if keepdim or i not in dims)


def _needs_float(dtype: str) -> str:
    if not is_float(dtype):
        raise ShapeError(f"needs a floating-point input or dtype, got {dtype}")
    return dtype


def _widening_dtype(a: A) -> str:
    """sum/prod/cumsum: the dtype argument, else integers and bools widen to int64."""
    return a.dtype or (a.self.dtype if is_float(a.self.dtype) else "int64")


def _acc(np: Any, x: Any, dtype: str | None = None) -> Any:
    """The input converted to `dtype` first (as torch does), then to the accumulation type."""
    if dtype:
        x = x.astype(np_dtype(dtype))
    return x.astype(np.float64 if x.dtype.kind == "f" else np.int64)


def reduction(schema: str, out_dtype: Callable[[A], str], fn: Callable[..., Any]) -> None:
    """Define a reduction over `a.dim` (with `a.keepdim` when the schema has one); the reference is
    fn(np, x, axes, keepdim, a) with numpy axes (None for a 0-d input)."""
    def infer(a: A) -> TensorMeta:
        dims = _dims(a.dim, len(a.self.shape))
        return TensorMeta(out_dtype(a), reduced_shape(a.self.shape, dims, a.get("keepdim", False)))

    def ref(a: A) -> Any:
        np = np_()
        x = a.self
        axes = tuple(_dims(a.dim, x.ndim)) if x.ndim else None
        with np.errstate(all="ignore"):
            return fn(np, x, axes, a.get("keepdim", False), a)

    define(schema, infer, ref)


def _var(np: Any, x: Any, axes: Any, keepdim: bool, a: A) -> Any:
    x = x.astype(np.float64)
    n = x.size if axes is None else math.prod(x.shape[d] for d in axes)
    correction = 1 if a.correction is None else a.correction
    deviation = x - np.mean(x, axis=axes, keepdims=True)
    return np.sum(deviation * deviation, axis=axes, keepdims=keepdim) / max(0, n - correction)


def _vector_norm(np: Any, x: Any, axes: Any, keepdim: bool, a: A) -> Any:
    x = np.abs(_acc(np, x, a.dtype).astype(np.float64))
    p = float(a.ord)
    if p == math.inf:
        return np.max(x, axis=axes, keepdims=keepdim)
    if p == -math.inf:
        return np.min(x, axis=axes, keepdims=keepdim)
    if p == 0:
        return np.sum(x != 0, axis=axes, keepdims=keepdim).astype(np.float64)
    return np.sum(x ** p, axis=axes, keepdims=keepdim) ** (1 / p)


def _logsumexp(np: Any, x: Any, axes: Any, keepdim: bool, a: A) -> Any:
    x = x.astype(np.float64)
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isinf(m), 0, m)  # as torch: all -inf (or +inf) slices must not give nan
    out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=axes)


def _argext(fn: str) -> Callable[..., Any]:
    def ref(np: Any, x: Any, axes: Any, keepdim: bool, a: A) -> Any:
        if a.dim is None:  # over the flattened tensor
            return np.asarray(getattr(np, fn)(x.reshape(-1))).reshape((1,) * x.ndim if keepdim else ())
        if not x.ndim:
            return np.zeros((), np.int64)
        return getattr(np, fn)(x, axis=axes[0], keepdims=keepdim)

    return ref


def _truthy_dtype(a: A) -> str:
    return "uint8" if a.self.dtype == "uint8" else "bool"  # torch keeps uint8 for any/all


_DIM_LIST = "(Tensor self, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor"
# ATen's dim_IntList / dim overloads with dim defaulting to None, so that they cover .default too.
reduction(f"sum.dim_IntList{_DIM_LIST}", _widening_dtype,
          lambda np, x, ax, k, a: np.sum(_acc(np, x, a.dtype), axis=ax, keepdims=k))
reduction(f"mean.dim{_DIM_LIST}",
          lambda a: _needs_float(a.dtype or a.self.dtype),
          lambda np, x, ax, k, a: np.mean(_acc(np, x, a.dtype), axis=ax, keepdims=k))
reduction("prod(Tensor self, int? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
          _widening_dtype, lambda np, x, ax, k, a: np.prod(_acc(np, x, a.dtype), axis=ax, keepdims=k))
reduction("amax(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor", lambda a: a.self.dtype,
          lambda np, x, ax, k, a: np.max(x, axis=ax, keepdims=k))
reduction("amin(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor", lambda a: a.self.dtype,
          lambda np, x, ax, k, a: np.min(x, axis=ax, keepdims=k))
for _name in ("argmax", "argmin"):
    reduction(f"{_name}(Tensor self, int? dim=None, bool keepdim=False) -> Tensor", lambda a: "int64",
              _argext(_name))
reduction("logsumexp(Tensor self, int[1] dim, bool keepdim=False) -> Tensor",
          lambda a: float_dtype(a.self.dtype), _logsumexp)
reduction("any.dims(Tensor self, int[1]? dim=None, bool keepdim=False) -> Tensor", _truthy_dtype,
          lambda np, x, ax, k, a: np.any(x != 0, axis=ax, keepdims=k))
reduction("all.dims(Tensor self, int[1]? dim=None, bool keepdim=False) -> Tensor", _truthy_dtype,
          lambda np, x, ax, k, a: np.all(x != 0, axis=ax, keepdims=k))
reduction("count_nonzero.dim_IntList(Tensor self, int[1]? dim=None) -> Tensor", lambda a: "int64",
          lambda np, x, ax, k, a: np.sum(x != 0, axis=ax))
reduction("linalg_vector_norm(Tensor self, Scalar ord=2, int[1]? dim=None, bool keepdim=False, *, "
          "ScalarType? dtype=None) -> Tensor",
          lambda a: _needs_float(a.dtype or a.self.dtype), _vector_norm)


# --- max/min: full reductions, (values, indices) along a dim, and the binary form ----------------

def _extremum_dim_infer(a: A) -> list[TensorMeta]:
    shape = reduced_shape(a.self.shape, _dims(a.dim, len(a.self.shape)), a.keepdim)
    return [TensorMeta(a.self.dtype, shape), TensorMeta("int64", shape)]


def _extremum_dim_ref(values: str, indices: str) -> Callable[[A], list[Any]]:
    def ref(a: A) -> list[Any]:
        np = np_()
        x = a.self
        if not x.ndim:
            return [x, np.zeros((), np.int64)]
        d = norm_dim(a.dim, x.ndim)
        return [getattr(np, values)(x, axis=d, keepdims=a.keepdim),
                getattr(np, indices)(x, axis=d, keepdims=a.keepdim)]

    return ref


for _name, _full, _binary, _idx in (("max", "amax", "maximum", "argmax"),
                                    ("min", "amin", "minimum", "argmin")):
    define(f"{_name}.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
           _extremum_dim_infer, _extremum_dim_ref(_name, _idx))
    lowering(f"{_name}(Tensor self) -> Tensor")(lambda g, a, src, op=_full: emit(g, op, src, a.self))
    lowering(f"{_name}.other(Tensor self, Tensor other) -> Tensor")(
        lambda g, a, src, op=_binary: emit(g, op, src, a.self, a.other))


# --- var/std and their fused mean forms ------------------------------------------------------------

def _with_mean(op: str) -> Callable[[Graph, A, str], list[Ref]]:
    """var_mean/std_mean: two nodes, the statistic and the mean over the same dims."""

    def lower(g: Graph, a: A, src: str) -> list[Ref]:
        correction = a.correction if "correction" in a else int(a.unbiased)
        dim, keepdim = a.get("dim"), a.get("keepdim", False)
        stat = emit(g, op, src, a.self, dim, correction=correction, keepdim=keepdim)
        return stat + emit(g, "mean", src, a.self, dim, keepdim)

    return lower


def _unbiased(op: str) -> Callable[[Graph, A, str], list[Ref]]:
    def lower(g: Graph, a: A, src: str) -> list[Ref]:
        return emit(g, op, src, a.self, a.get("dim"), correction=int(a.unbiased),
                    keepdim=a.get("keepdim", False))

    return lower


_CORRECTION = "(Tensor self, int[1]? dim=None, *, Scalar? correction=None, bool keepdim=False)"
for _name, _fn in (("var", _var), ("std", lambda np, x, ax, k, a: np.sqrt(_var(np, x, ax, k, a)))):
    # `var(x, False)` must bind `unbiased`, not `dim` (an int[1] slot takes a bool), so this
    # spelling is registered before the canonical op and is tried first.
    lowering(f"{_name}(Tensor self, bool unbiased=True) -> Tensor")(_unbiased(_name))
    reduction(f"{_name}.correction{_CORRECTION} -> Tensor",
              lambda a: _needs_float(a.self.dtype), _fn)
    lowering(f"{_name}.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> Tensor")(
        _unbiased(_name))
    for _schema in (f"{_name}_mean(Tensor self, bool unbiased=True) -> (Tensor, Tensor)",
                    f"{_name}_mean.correction{_CORRECTION} -> (Tensor, Tensor)",
                    f"{_name}_mean.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) "
                    "-> (Tensor, Tensor)"):
        lowering(_schema)(_with_mean(_name))


# --- norm spellings -------------------------------------------------------------------------------

def _norm(g: Graph, a: A, src: str) -> list[Ref]:
    p = a.get("p")
    if p is None or p == "fro":
        p = 2
    if not isinstance(p, (int, float)):
        raise ShapeError(f"norm: p={p!r} is not supported{' at ' + src if src else ''}")
    return emit(g, "linalg_vector_norm", src, a.self, p, a.get("dim"), a.get("keepdim", False),
                dtype=a.get("dtype"))


for _schema in ("norm.Scalar(Tensor self, Scalar p=2) -> Tensor",
                "norm.ScalarOpt_dim(Tensor self, Scalar? p, int[1] dim, bool keepdim=False) -> Tensor",
                "norm.ScalarOpt_dtype(Tensor self, Scalar? p, *, ScalarType dtype) -> Tensor",
                "norm.ScalarOpt_dim_dtype(Tensor self, Scalar? p, int[1] dim, bool keepdim, *, "
                "ScalarType dtype) -> Tensor",
                "frobenius_norm.dim(Tensor self, int[1] dim, bool keepdim=False) -> Tensor"):
    lowering(_schema)(_norm)


# --- cumulative -----------------------------------------------------------------------------------

def _cumulative(name: str) -> None:
    def infer(a: A) -> TensorMeta:
        norm_dim(a.dim, len(a.self.shape))
        return TensorMeta(_widening_dtype(a), a.self.shape)

    def ref(a: A) -> Any:
        np = np_()
        x = _acc(np, a.self, a.dtype)
        return getattr(np, name)(x, axis=norm_dim(a.dim, x.ndim)) if x.ndim else x

    define(f"{name}(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor", infer, ref)


_cumulative("cumsum")
_cumulative("cumprod")
