"""Creation ops (full, arange, linspace, eye) and the triangle masks tril/triu.

Sizes and range bounds must be static: a shape that depends on tensor data is refused. dtypes
default as in torch (float32; int64 for all-integer aranges; the fill value's type for full);
layout, device, pin_memory and memory_format are accepted and ignored.
"""

from __future__ import annotations

import math
from typing import Any

from ..dtypes import is_float, is_int, scalar_dtype
from ..errors import ShapeError, UnsupportedError
from ..formats.tensor import np_dtype
from ..ir import Graph, Ref, TensorMeta
from .common import array_meta, emit
from .elementwise import inplace, np_
from .registry import A, define, lowering

_OPTIONS = "ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None"
_LIKE = ", MemoryFormat? memory_format=None) -> Tensor"


def _static(op: str, what: str, v: Any) -> Any:
    """A size or bound known at conversion time (inference sees tensors as TensorMeta)."""
    if isinstance(v, TensorMeta):
        raise UnsupportedError(f"{op}: {what} depends on tensor data "
                               "(data-dependent shapes are not supported)")
    return v


def _size(op: str, size: list[Any]) -> tuple[int, ...]:
    for d in size:
        if not isinstance(_static(op, "the size", d), int) or d < 0:
            raise ShapeError(f"invalid size {size}")
    return tuple(size)


# --- full and the spellings that fill a shape with one value --------------------------------------

def _fill_dtype(a: A) -> str:
    v = a.fill_value if isinstance(a.fill_value, TensorMeta) else array_meta(a.fill_value)
    if a.dtype:
        return a.dtype
    if isinstance(v, TensorMeta):  # a 0-d tensor used as the fill value: its kind of number
        return "bool" if v.dtype == "bool" else "int64" if is_int(v.dtype) else "float32"
    return scalar_dtype(v)


def _full_ref(a: A) -> Any:
    np = np_()
    with np.errstate(all="ignore"):  # the value converts to the dtype as torch's does (truncating)
        return np.full(tuple(a.size), a.fill_value, dtype=np_dtype(_fill_dtype(a)))


define(f"full(SymInt[] size, Scalar fill_value, *, {_OPTIONS}) -> Tensor",
       lambda a: TensorMeta(_fill_dtype(a), _size("full", a.size)), _full_ref)


def _fill(g: Graph, src: str, size: Any, value: Any, dtype: str) -> list[Ref]:
    return emit(g, "full", src, list(size), value, dtype=dtype)


for _name, _value in (("zeros", 0), ("ones", 1), ("empty", 0)):  # empty: any content will do
    _memory = ", MemoryFormat? memory_format=None" if _name == "empty" else ""
    lowering(f"{_name}(SymInt[] size, *, {_OPTIONS}{_memory}) -> Tensor")(
        lambda g, a, src, v=_value: _fill(g, src, a.size, v, a.dtype or "float32"))
    lowering(f"{_name}_like(Tensor self, *, {_OPTIONS}{_LIKE}")(
        lambda g, a, src, v=_value: _fill(g, src, g.meta(a.self).shape, v, a.dtype or g.meta(a.self).dtype))
    lowering(f"new_{_name}(Tensor self, SymInt[] size, *, {_OPTIONS}) -> Tensor")(
        lambda g, a, src, v=_value: _fill(g, src, a.size, v, a.dtype or g.meta(a.self).dtype))
lowering(f"full_like(Tensor self, Scalar fill_value, *, {_OPTIONS}{_LIKE}")(
    lambda g, a, src: _fill(g, src, g.meta(a.self).shape, a.fill_value, a.dtype or g.meta(a.self).dtype))
lowering(f"new_full(Tensor self, SymInt[] size, Scalar fill_value, *, {_OPTIONS}) -> Tensor")(
    lambda g, a, src: _fill(g, src, a.size, a.fill_value, a.dtype or g.meta(a.self).dtype))
# `t[...] = v` and `t.fill_(v)`: the frontends turn the in-place form into this functional one.
lowering("fill.Scalar(Tensor self, Scalar value) -> Tensor")(
    lambda g, a, src: _fill(g, src, g.meta(a.self).shape, a.value, g.meta(a.self).dtype))
lowering("fill.Tensor(Tensor self, Tensor value) -> Tensor")(
    lambda g, a, src: _fill(g, src, g.meta(a.self).shape, a.value, g.meta(a.self).dtype))
lowering(f"scalar_tensor(Scalar s, *, {_OPTIONS}) -> Tensor")(
    lambda g, a, src: _fill(g, src, [], a.s, a.dtype or "float32"))


# --- arange ---------------------------------------------------------------------------------------

def _arange_dtype(a: A) -> str:
    return a.dtype or ("int64" if all(isinstance(v, int) for v in (a.start, a.end, a.step)) else "float32")


def _arange_len(a: A) -> int:
    """torch's length rule: exact integer arithmetic on the truncated bounds for int64, else
    ceil((end - start) / step) in double precision (even for other integer dtypes)."""
    start, end, step = (_static("arange", "a bound", v) for v in (a.start, a.end, a.step))
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise ShapeError(f"bounds must be finite, got {start}, {end}, {step}")
    int64 = _arange_dtype(a) == "int64"
    s, e, t = (int(v) for v in (start, end, step)) if int64 else (start, end, step)
    if t == 0:
        raise ShapeError("step must be nonzero")
    if (t > 0 and e < s) or (t < 0 and e > s):
        raise ShapeError(f"the range {start} -> {end} goes against step {step}")
    if int64:
        n = e - s + t - (1 if t > 0 else -1)
        return abs(n) // abs(t)  # n and t have the same sign here: a C division of two ints
    return math.ceil((float(end) - float(start)) / float(step))


def _arange_ref(a: A) -> Any:
    np = np_()
    i = np.arange(_arange_len(a), dtype=np.int64)
    if is_int(_arange_dtype(a)):  # torch accumulates integers in int64 with truncated bounds
        return int(a.start) + int(a.step) * i
    return float(a.start) + float(a.step) * i


_ARANGE = f"arange.start_step(Scalar start, Scalar end, Scalar step=1, *, {_OPTIONS}) -> Tensor"
define(_ARANGE, lambda a: TensorMeta(_arange_dtype(a), (_arange_len(a),)), _arange_ref)
lowering(f"arange(Scalar end, *, {_OPTIONS}) -> Tensor")(
    lambda g, a, src: emit(g, "arange", src, 0, a.end, dtype=a.dtype))


# --- linspace, eye --------------------------------------------------------------------------------

def _linspace_infer(a: A) -> TensorMeta:
    _static("linspace", "a bound", a.start)
    _static("linspace", "a bound", a.end)
    if a.steps < 0:
        raise ShapeError(f"steps must be >= 0, got {a.steps}")
    return TensorMeta(a.dtype or "float32", (a.steps,))


def _linspace_ref(a: A) -> Any:
    """torch's kernel: start + step*i for the first half, end - step*(n-1-i) for the rest; integer
    outputs truncate bounds and results and use a double step, float outputs compute in their dtype."""
    np = np_()
    dtype, n = a.dtype or "float32", a.steps
    if n <= 1:
        return np.full((n,), a.start)
    if is_float(dtype):
        t = np_dtype("float32" if dtype in ("float16", "bfloat16") else dtype).type
        start, end = t(a.start), t(a.end)
        step = (end - start) / t(n - 1)
    else:
        start, end = int(a.start), int(a.end)
        step = (float(end) - float(start)) / (n - 1)
        t = np.float64
    i = np.arange(n)
    return np.where(i < n // 2, start + step * i.astype(t), end - step * (n - 1 - i).astype(t))


define(f"linspace(Scalar start, Scalar end, int steps, *, {_OPTIONS}) -> Tensor", _linspace_infer,
       _linspace_ref)

define(f"eye.m(SymInt n, SymInt m, *, {_OPTIONS}) -> Tensor",
       lambda a: TensorMeta(a.dtype or "float32", _size("eye", [a.n, a.m])),
       lambda a: np_().eye(a.n, a.m))
lowering(f"eye(SymInt n, *, {_OPTIONS}) -> Tensor")(
    lambda g, a, src: emit(g, "eye", src, a.n, a.n, dtype=a.dtype))


# --- tril, triu -----------------------------------------------------------------------------------

def _triangle_infer(a: A) -> TensorMeta:
    if len(a.self.shape) < 2:
        raise ShapeError(f"needs at least 2 dims, got shape {list(a.self.shape)}")
    return a.self


for _name in ("tril", "triu"):
    define(f"{_name}(Tensor self, int diagonal=0) -> Tensor", _triangle_infer,
           lambda a, f=_name: getattr(np_(), f)(a.self, a.diagonal))
    inplace(f"{_name}(Tensor self, int diagonal=0) -> Tensor")
