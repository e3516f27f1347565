"""Elementwise arithmetic, comparison, logic, math and dtype conversion, with broadcasting and torch
type promotion (Python numbers in tensor slots are "wrapped numbers", as in `x + 1`).

References compute in the dtype torch computes in (the promoted dtype, half types widened to
float32) and leave the final rounding to the runtime, which casts to the inferred dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..dtypes import is_float, is_int, result_type
from ..errors import ShapeError, WasmTorchError
from ..formats.tensor import np_dtype
from ..ir import Graph, Ref, TensorMeta
from . import registry
from .common import array_meta, broadcast, elementwise_meta, emit, float_dtype, opmath, shape_of
from .registry import A, alias, define, lowering


def np_() -> Any:
    import numpy as np

    return np


@dataclass(frozen=True)
class Kind:
    """How an elementwise op's output and compute dtypes follow from its promoted input dtype."""

    out: Callable[[str, A], str]
    compute: Callable[[str, A], str]


ARITH = Kind(lambda d, a: d, lambda d, a: opmath(d))
EXACT = Kind(lambda d, a: d, lambda d, a: d)  # exact in the input dtype (abs, floor, round...)
FLOAT = Kind(lambda d, a: float_dtype(d), lambda d, a: opmath(float_dtype(d)))
COMPARE = Kind(lambda d, a: "bool", lambda d, a: d)
LOGICAL = Kind(lambda d, a: "bool", lambda d, a: "bool")  # operands cast to bool = "is nonzero"
PREDICATE = Kind(lambda d, a: "bool", lambda d, a: float_dtype(d))  # isnan, isinf, isfinite

# Checks of an op's arguments and promoted dtype, run by inference. Their ShapeErrors get the op
# name and source prepended by the registry.
Check = Callable[[A, str], None]


def integral(a: A, dtype: str) -> None:
    if dtype != "bool" and not is_int(dtype):
        raise ShapeError(f"needs integer or bool tensors, got {dtype}")


def floating(a: A, dtype: str) -> None:
    if not is_float(dtype):
        raise ShapeError(f"needs a floating-point tensor, got {dtype}")


def operands(values: list[Any], dtype: str) -> list[Any]:
    """Arrays and Python numbers as numpy arrays of one dtype (torch computes in a common dtype)."""
    np = np_()
    dt = np_dtype(dtype)
    return [np.asarray(v).astype(dt, copy=False) for v in values]


def pointwise(schema: str, fn: Callable[..., Any], kind: Kind, tensors: tuple[str, ...] = ("self",),
              check: Check | None = None, inplace_too: bool = True) -> None:
    """Define an elementwise op over the `tensors` arguments: they broadcast and promote together;
    the reference is fn(np, *operands_in_compute_dtype, a)."""

    def infer(a: A) -> TensorMeta:
        ops = [a[n] for n in tensors]
        dtype = result_type(*ops)
        if check:
            check(a, dtype)
        return elementwise_meta(*ops, dtype=kind.out(dtype, a))

    def ref(a: A) -> Any:
        np = np_()
        values = [a[n] for n in tensors]
        xs = operands(values, kind.compute(result_type(*map(array_meta, values)), a))
        with np.errstate(all="ignore"):
            return fn(np, *xs, a)

    define(schema, infer, ref)
    if inplace_too:
        inplace(schema)


def inplace(schema: str) -> None:
    """Register the `op_` twin of a spelling. The frontend rebinds the name to the result, which keeps
    self's dtype and shape, as torch's in-place ops do."""
    head, paren, rest = schema.partition("(")
    name, dot, overload = head.partition(".")

    def lower(g: Graph, a: A, src: str) -> Ref:
        out = registry.lower_call(g, name, [], dict(a), src, overload)[0]
        want, got = g.meta(a.self), g.meta(out)
        if got.shape != want.shape:
            raise ShapeError(f"{name}_: result shape {list(got.shape)} is not self's {list(want.shape)}"
                             f"{' at ' + src if src else ''}")
        return cast(g, out, want.dtype, src)

    lowering(f"{name}_{dot}{overload}{paren}{rest}")(lower)


def spell(schema: str, target: str, **fixed: Any) -> None:
    """Another name for a canonical op (plus fixed arguments), and its in-place twin."""
    alias(schema, target, **fixed)
    inplace(schema)


# --- dtype conversion -----------------------------------------------------------------------------

def cast(g: Graph, x: Ref, dtype: str | None, src: str) -> Ref:
    """`x` converted to `dtype`; no node when it already has it (or dtype is None)."""
    if dtype is None or g.meta(x).dtype == dtype:
        return x
    return emit(g, "_to_copy", src, x, dtype=dtype)[0]


def _to_copy_ref(a: A) -> Any:
    np = np_()
    with np.errstate(all="ignore"):  # float -> int truncates toward zero, like torch
        return a.self.astype(np_dtype(a.dtype or array_meta(a.self).dtype))


_TO_COPY = ("_to_copy(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
            "bool? pin_memory=None, bool non_blocking=False, MemoryFormat? memory_format=None) -> Tensor")
# Registered before the op itself so that this spelling, tried first, drops no-op copies.
lowering(_TO_COPY)(lambda g, a, src: cast(g, a.self, a.dtype, src))
define(_TO_COPY, lambda a: TensorMeta(a.dtype or a.self.dtype, a.self.shape), _to_copy_ref)


def _to(g: Graph, a: A, src: str) -> Ref:
    other = a.get("other")
    if other is not None and not isinstance(other, Ref):
        raise WasmTorchError(f"to: 'other' is {other!r}, expected a tensor{' at ' + src if src else ''}")
    return cast(g, a.self, g.meta(other).dtype if other is not None else a.get("dtype"), src)


# Overload order matters: ScalarType slots only take dtype names, so `to(x, "float32")`,
# `to(x, device, "float32")`, `to(x, y)` and `to(x, device)` each bind exactly one of these.
for _schema in (
    "to.dtype(Tensor self, ScalarType dtype, bool non_blocking=False, bool copy=False, "
    "MemoryFormat? memory_format=None) -> Tensor",
    "to.device(Tensor self, Device device, ScalarType dtype, bool non_blocking=False, bool copy=False, "
    "MemoryFormat? memory_format=None) -> Tensor",
    "to.other(Tensor self, Tensor other, bool non_blocking=False, bool copy=False, "
    "MemoryFormat? memory_format=None) -> Tensor",
    "to.dtype_layout(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
    "bool? pin_memory=None, bool non_blocking=False, bool copy=False, "
    "MemoryFormat? memory_format=None) -> Tensor",
    "to.prim_Device(Tensor self, Device? device, ScalarType? dtype=None, bool non_blocking=False, "
    "bool copy=False) -> Tensor",
    "type_as(Tensor self, Tensor other) -> Tensor",
):
    lowering(_schema)(_to)

for _suffix, _dtype in (("Byte", "uint8"), ("Char", "int8"), ("Short", "int16"), ("Int", "int32"),
                        ("Long", "int64"), ("Half", "float16"), ("Float", "float32"), ("Double", "float64")):
    lowering(f"_cast_{_suffix}(Tensor self, bool non_blocking=False) -> Tensor")(
        lambda g, a, src, d=_dtype: cast(g, a.self, d, src))


# --- binary arithmetic ----------------------------------------------------------------------------

def _add(np: Any, x: Any, y: Any, a: A) -> Any:
    return x + y * a.alpha if a.alpha != 1 else x + y


def _sub(np: Any, x: Any, y: Any, a: A) -> Any:
    return x - y * a.alpha if a.alpha != 1 else x - y


def _div(np: Any, x: Any, y: Any, a: A) -> Any:
    if a.rounding_mode is None:
        return x / y
    if a.rounding_mode == "floor":
        return np.floor_divide(x, y)  # numpy's float floor division is torch's div_floor_floating
    if x.dtype.kind == "f":
        return np.trunc(x / y)
    q = np.floor_divide(x, y)  # integer division rounding toward zero, exactly
    return q + ((q < 0) & (q * y != x))


def _check_rounding(a: A, dtype: str) -> None:
    if a.rounding_mode not in (None, "trunc", "floor"):
        raise ShapeError(f"rounding_mode must be None, 'trunc' or 'floor', got {a.rounding_mode!r}")


def _pow(np: Any, x: Any, y: Any, a: A) -> Any:
    if x.dtype.kind == "f":
        if y.ndim == 0 and y == -0.5:  # torch's scalar fast path: rsqrt, so (-0) ** -0.5 = -inf
            return 1 / np.sqrt(x)
        return np.power(x, y)
    # Integer powers with negative exponents: torch gives 1 for base 1, +-1 for base -1, else 0.
    r = np.power(x, np.where(y < 0, 0, y))
    neg = np.where(x == 1, 1, np.where(x == -1, np.where(y % 2 == 0, 1, -1), 0)).astype(r.dtype)
    return np.where(y < 0, neg, r)


def _lerp(np: Any, x: Any, y: Any, w: Any, a: A) -> Any:
    return np.where(np.abs(w) < 0.5, x + w * (y - x), y - (y - x) * (1 - w))


_SELF_OTHER = ("self", "other")
_DIV = Kind(lambda d, a: d if a.rounding_mode else float_dtype(d),
            lambda d, a: opmath(d if a.rounding_mode else float_dtype(d)))

pointwise("add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", _add, ARITH, _SELF_OTHER)
pointwise("sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", _sub, ARITH, _SELF_OTHER)
pointwise("mul.Tensor(Tensor self, Tensor other) -> Tensor", lambda np, x, y, a: x * y, ARITH, _SELF_OTHER)
# ATen's div.Tensor_mode, with rounding_mode defaulting to None so that it also covers div.Tensor.
pointwise("div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode=None) -> Tensor", _div, _DIV,
          _SELF_OTHER, _check_rounding)
pointwise("remainder.Tensor(Tensor self, Tensor other) -> Tensor",
          lambda np, x, y, a: np.remainder(x, y), ARITH, _SELF_OTHER)
pointwise("fmod.Tensor(Tensor self, Tensor other) -> Tensor", lambda np, x, y, a: np.fmod(x, y), ARITH,
          _SELF_OTHER)
pointwise("pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor", _pow, ARITH, ("self", "exponent"))
pointwise("atan2(Tensor self, Tensor other) -> Tensor", lambda np, x, y, a: np.arctan2(x, y), FLOAT,
          _SELF_OTHER)
pointwise("hypot(Tensor self, Tensor other) -> Tensor", lambda np, x, y, a: np.hypot(x, y), FLOAT,
          _SELF_OTHER)
pointwise("maximum(Tensor self, Tensor other) -> Tensor", lambda np, x, y, a: np.maximum(x, y), ARITH,
          _SELF_OTHER)
pointwise("minimum(Tensor self, Tensor other) -> Tensor", lambda np, x, y, a: np.minimum(x, y), ARITH,
          _SELF_OTHER)
pointwise("lerp.Tensor(Tensor self, Tensor end, Tensor weight) -> Tensor", _lerp, ARITH,
          ("self", "end", "weight"))

spell("add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", "add")
spell("sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", "sub")
spell("subtract.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", "sub")
spell("multiply.Tensor(Tensor self, Tensor other) -> Tensor", "mul")
spell("divide.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode=None) -> Tensor", "div")
spell("true_divide.Tensor(Tensor self, Tensor other) -> Tensor", "div")
spell("floor_divide(Tensor self, Tensor other) -> Tensor", "div", rounding_mode="floor")
spell("lerp.Scalar(Tensor self, Tensor end, Scalar weight) -> Tensor", "lerp")


def _rsub(g: Graph, a: A, src: str) -> list[Ref]:
    return emit(g, "sub", src, a.other, a.self, alpha=a.alpha)


lowering("rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor")(_rsub)
lowering("rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor")(_rsub)


# --- comparison, logic, bitwise -------------------------------------------------------------------

for _name, _fn in (("eq", "equal"), ("ne", "not_equal"), ("lt", "less"), ("le", "less_equal"),
                   ("gt", "greater"), ("ge", "greater_equal")):
    pointwise(f"{_name}.Tensor(Tensor self, Tensor other) -> Tensor",
              lambda np, x, y, a, f=_fn: getattr(np, f)(x, y), COMPARE, _SELF_OTHER)
for _spelling, _name in (("greater", "gt"), ("greater_equal", "ge"), ("less", "lt"), ("less_equal", "le"),
                         ("not_equal", "ne")):
    spell(f"{_spelling}.Tensor(Tensor self, Tensor other) -> Tensor", _name)

for _name in ("and", "or", "xor"):
    pointwise(f"logical_{_name}(Tensor self, Tensor other) -> Tensor",
              lambda np, x, y, a, f=f"logical_{_name}": getattr(np, f)(x, y), LOGICAL, _SELF_OTHER)
    pointwise(f"bitwise_{_name}.Tensor(Tensor self, Tensor other) -> Tensor",
              lambda np, x, y, a, f=f"bitwise_{_name}": getattr(np, f)(x, y), ARITH, _SELF_OTHER,
              integral)
    alias(f"__{_name}__.Tensor(Tensor self, Tensor other) -> Tensor", f"bitwise_{_name}")
    lowering(f"__i{_name}__.Tensor(Tensor self, Tensor other) -> Tensor")(
        lambda g, a, src, f=f"bitwise_{_name}_": registry.lower_call(g, f, [], dict(a), src))


# --- selection: where, masked_fill, clamp ---------------------------------------------------------

def _where_ref(a: A) -> Any:
    np = np_()
    x, y = operands([a.self, a.other], result_type(array_meta(a.self), array_meta(a.other)))
    return np.where(np.asarray(a.condition).astype(bool), x, y)


define("where.self(Tensor condition, Tensor self, Tensor other) -> Tensor",
       lambda a: TensorMeta(result_type(a.self, a.other),
                            broadcast(shape_of(a.condition), shape_of(a.self), shape_of(a.other))),
       _where_ref)


def _masked_fill_infer(a: A) -> TensorMeta:
    if shape_of(a.value):
        raise ShapeError(f"value must be a number or a 0-d tensor, "
                         f"got shape {list(a.value.shape)}")
    return TensorMeta(a.self.dtype, broadcast(a.self.shape, shape_of(a.mask)))


def _masked_fill_ref(a: A) -> Any:
    np = np_()
    with np.errstate(all="ignore"):  # the value converts to self's dtype as torch's does (truncating)
        value = np.asarray(a.value).astype(a.self.dtype)
    return np.where(np.asarray(a.mask).astype(bool), value, a.self)


define("masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor", _masked_fill_infer,
       _masked_fill_ref)
inplace("masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor")


def _clamp(np: Any, x: Any, a: A) -> Any:
    # torch applies min then max, so max wins when min > max.
    if a.min is not None:
        x = np.maximum(x, np.asarray(a.min).astype(x.dtype))
    if a.max is not None:
        x = np.minimum(x, np.asarray(a.max).astype(x.dtype))
    return x


def _clamp_infer(a: A) -> TensorMeta:
    if a.min is None and a.max is None:
        raise ShapeError("at least one of min and max must be given")
    return elementwise_meta(*(v for v in (a.self, a.min, a.max) if v is not None))


def _clamp_ref(a: A) -> Any:
    np = np_()
    dtype = opmath(result_type(*(array_meta(v) for v in (a.self, a.min, a.max))))
    return _clamp(np, operands([a.self], dtype)[0], a)


# One canonical clamp for both ATen overloads: Scalar bounds are wrapped numbers in Tensor slots.
_CLAMP = "clamp.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor"
define(_CLAMP, _clamp_infer, _clamp_ref)
inplace(_CLAMP)
spell("clip.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor", "clamp")
for _overload, _type in (("", "Scalar"), (".Tensor", "Tensor")):
    spell(f"clamp_min{_overload}(Tensor self, {_type} min) -> Tensor", "clamp")
    spell(f"clamp_max{_overload}(Tensor self, {_type} max) -> Tensor", "clamp")


# --- unary math -----------------------------------------------------------------------------------

def erf64(np: Any, x: Any) -> Any:
    """erf in float64, exactly (numpy has none; math.erf is correctly rounded)."""
    return np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64))


def _keep_ints(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any, A], Any]:
    """floor/ceil/trunc/round return integer tensors unchanged."""
    return lambda np, x, a: x if x.dtype.kind in "biu" else fn(np, x)


def _sign(np: Any, x: Any, a: A) -> Any:
    if x.dtype.kind == "b":
        return x
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)  # sign(nan) = 0 in torch


def _round(np: Any, x: Any, a: A) -> Any:
    d = a.decimals
    if x.dtype.kind in "biu":
        return x
    if d == 0:
        return np.rint(x)  # half to even
    ten = x.dtype.type(10.0 ** abs(d))  # in the compute dtype, as torch's round_decimals kernel
    return np.rint(x * ten) / ten if d > 0 else np.rint(x / ten) * ten


_FLOAT_UNARY: dict[str, Callable[[Any, Any], Any]] = {
    "sqrt": lambda np, x: np.sqrt(x),
    "rsqrt": lambda np, x: 1 / np.sqrt(x),
    "exp": lambda np, x: np.exp(x),
    "exp2": lambda np, x: np.exp2(x),
    "expm1": lambda np, x: np.expm1(x),
    "log": lambda np, x: np.log(x),
    "log2": lambda np, x: np.log2(x),
    "log10": lambda np, x: np.log10(x),
    "log1p": lambda np, x: np.log1p(x),
    "erf": erf64,
    "erfc": lambda np, x: np.vectorize(math.erfc, otypes=[np.float64])(x.astype(np.float64)),
    "sin": lambda np, x: np.sin(x),
    "cos": lambda np, x: np.cos(x),
    "tan": lambda np, x: np.tan(x),
    "asin": lambda np, x: np.arcsin(x),
    "acos": lambda np, x: np.arccos(x),
    "atan": lambda np, x: np.arctan(x),
    "sinh": lambda np, x: np.sinh(x),
    "cosh": lambda np, x: np.cosh(x),
    "asinh": lambda np, x: np.arcsinh(x),
    "acosh": lambda np, x: np.arccosh(x),
    "atanh": lambda np, x: np.arctanh(x),
    "reciprocal": lambda np, x: 1 / x,
}
for _name, _f in _FLOAT_UNARY.items():
    pointwise(f"{_name}(Tensor self) -> Tensor", lambda np, x, a, f=_f: f(np, x), FLOAT)

pointwise("abs(Tensor self) -> Tensor", lambda np, x, a: np.abs(x), EXACT)
pointwise("neg(Tensor self) -> Tensor", lambda np, x, a: np.negative(x), EXACT)
pointwise("sign(Tensor self) -> Tensor", _sign, EXACT)
pointwise("floor(Tensor self) -> Tensor", _keep_ints(lambda np, x: np.floor(x)), EXACT)
pointwise("ceil(Tensor self) -> Tensor", _keep_ints(lambda np, x: np.ceil(x)), EXACT)
pointwise("trunc(Tensor self) -> Tensor", _keep_ints(lambda np, x: np.trunc(x)), EXACT)
# ATen's round.decimals, with decimals defaulting to 0 so that it also covers round.default.
pointwise("round.decimals(Tensor self, *, int decimals=0) -> Tensor", _round, ARITH)
pointwise("frac(Tensor self) -> Tensor", lambda np, x, a: x - np.trunc(x), EXACT, check=floating)
pointwise("bitwise_not(Tensor self) -> Tensor", lambda np, x, a: np.invert(x), EXACT,
          check=integral)
pointwise("logical_not(Tensor self) -> Tensor", lambda np, x, a: np.logical_not(x), LOGICAL)
pointwise("isnan(Tensor self) -> Tensor", lambda np, x, a: np.isnan(x), PREDICATE, inplace_too=False)
pointwise("isinf(Tensor self) -> Tensor", lambda np, x, a: np.isinf(x), PREDICATE, inplace_too=False)
pointwise("isfinite(Tensor self) -> Tensor", lambda np, x, a: np.isfinite(x), PREDICATE, inplace_too=False)

# square is pow(x, 2) in torch, which is what makes square(bool) an int64 tensor.
lowering("square(Tensor self) -> Tensor")(lambda g, a, src: emit(g, "pow", src, a.self, 2))
inplace("square(Tensor self) -> Tensor")
for _spelling, _name in (("absolute", "abs"), ("negative", "neg"), ("sgn", "sign"), ("fix", "trunc"),
                         ("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arcsinh", "asinh"),
                         ("arccosh", "acosh"), ("arctanh", "atanh")):
    spell(f"{_spelling}(Tensor self) -> Tensor", _name)
spell("arctan2(Tensor self, Tensor other) -> Tensor", "atan2")
