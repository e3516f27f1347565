"""Activations, softmax and eval-time no-ops.

Pointwise activations reuse the elementwise machinery (promotion, compute dtype, in-place twins).
Their references evaluate torch's formulas in float64; the runtime rounds to the output dtype.
"""

from __future__ import annotations

import math
from typing import Any

from ..dtypes import is_float
from ..errors import ShapeError
from ..ir import Graph, Ref, TensorMeta
from .common import emit, norm_dim, numel
from .elementwise import EXACT, FLOAT, erf64, inplace, np_, pointwise, spell
from .registry import A, define, lowering


def _f64(fn: Any) -> Any:
    """A reference fn(np, x, a) evaluated on float64 (the runtime rounds to the output dtype)."""
    return lambda np, x, a: fn(np, x.astype(np.float64), a)


def _gelu(np: Any, x: Any, a: A) -> Any:
    if a.approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + erf64(np, x / math.sqrt(2)))


def _check_gelu(a: A, dtype: str) -> None:
    if a.approximate not in ("none", "tanh"):
        raise ShapeError(f"approximate must be 'none' or 'tanh', got {a.approximate!r}")


def _softplus(np: Any, x: Any, beta: Any, threshold: Any) -> Any:
    return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


pointwise("relu(Tensor self) -> Tensor", lambda np, x, a: np.maximum(x, x.dtype.type(0)), EXACT)
pointwise("sigmoid(Tensor self) -> Tensor", _f64(lambda np, x, a: 1 / (1 + np.exp(-x))), FLOAT)
pointwise("tanh(Tensor self) -> Tensor", lambda np, x, a: np.tanh(x), FLOAT)
pointwise("silu(Tensor self) -> Tensor", _f64(lambda np, x, a: x / (1 + np.exp(-x))), FLOAT)
pointwise("gelu(Tensor self, *, str approximate='none') -> Tensor", _f64(_gelu), FLOAT, check=_check_gelu)
pointwise("hardswish(Tensor self) -> Tensor",
          _f64(lambda np, x, a: x * np.minimum(np.maximum(x + 3, 0), 6) / 6), FLOAT)
pointwise("hardsigmoid(Tensor self) -> Tensor",
          _f64(lambda np, x, a: np.minimum(np.maximum(x + 3, 0), 6) / 6), FLOAT)
pointwise("leaky_relu(Tensor self, Scalar negative_slope=0.01) -> Tensor",
          _f64(lambda np, x, a: np.where(x > 0, x, x * a.negative_slope)), FLOAT)
pointwise("elu(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1) -> Tensor",
          _f64(lambda np, x, a: np.where(x > 0, x, np.expm1(x * a.input_scale) * a.alpha) * a.scale), FLOAT)
pointwise("softplus(Tensor self, Scalar beta=1, Scalar threshold=20) -> Tensor",
          _f64(lambda np, x, a: _softplus(np, x, a.beta, a.threshold)), FLOAT)
pointwise("mish(Tensor self) -> Tensor", _f64(lambda np, x, a: x * np.tanh(_softplus(np, x, 1, 20))), FLOAT)
pointwise("log_sigmoid(Tensor self) -> Tensor",
          _f64(lambda np, x, a: np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))), FLOAT, inplace_too=False)

# selu and celu are elu with fixed coefficients, exactly as ATen implements them.
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
spell("selu(Tensor self) -> Tensor", "elu", alpha=_SELU_ALPHA, scale=_SELU_SCALE)
_CELU = "celu(Tensor self, Scalar alpha=1.0) -> Tensor"
_RRELU = ("rrelu(Tensor self, Scalar lower=0.125, Scalar upper=0.3333333333333333, bool training=False, "
          "Generator? generator=None) -> Tensor")
lowering(_CELU)(lambda g, a, src: emit(g, "elu", src, a.self, a.alpha, 1, 1 / a.alpha))
# In eval mode rrelu is leaky_relu with the mean of its slope range.
lowering(_RRELU)(lambda g, a, src: emit(g, "leaky_relu", src, a.self, (a.lower + a.upper) / 2))
inplace(_CELU)
inplace(_RRELU)


def _clamp_to(g: Graph, x: Ref, lo: Any, hi: Any, src: str) -> list[Ref]:
    """hardtanh/relu6 are clamp; on integer tensors torch converts the bounds to the tensor's type."""
    if not is_float(g.meta(x).dtype):
        lo, hi = (int(v) if isinstance(v, float) else v for v in (lo, hi))
    return emit(g, "clamp", src, x, lo, hi)


lowering("hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1) -> Tensor")(
    lambda g, a, src: _clamp_to(g, a.self, a.min_val, a.max_val, src))
lowering("relu6(Tensor self) -> Tensor")(lambda g, a, src: _clamp_to(g, a.self, 0, 6, src))
inplace("hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1) -> Tensor")
inplace("relu6(Tensor self) -> Tensor")


# --- prelu, glu -----------------------------------------------------------------------------------

def _prelu_infer(a: A) -> TensorMeta:
    x, w = a.self, a.weight
    channels = x.shape[1] if len(x.shape) >= 2 else 1
    if numel(w.shape) not in (1, channels):
        raise ShapeError(f"{numel(w.shape)} weights for {channels} channels")
    return TensorMeta(x.dtype, x.shape)


def _prelu_ref(a: A) -> Any:
    np = np_()
    x, w = a.self.astype(np.float64), a.weight.astype(np.float64).reshape(-1)
    if w.size > 1:  # one weight per channel, dim 1
        w = w.reshape((-1,) + (1,) * (x.ndim - 2))
    else:
        w = w.reshape(())
    return np.where(x > 0, x, w * x)


define("prelu(Tensor self, Tensor weight) -> Tensor", _prelu_infer, _prelu_ref)


def _glu_infer(a: A) -> TensorMeta:
    x = a.self
    d = norm_dim(a.dim, len(x.shape))
    if not x.shape or x.shape[d] % 2:
        raise ShapeError(f"dim {a.dim} of shape {list(x.shape)} must have an even size")
    return TensorMeta(x.dtype, x.shape[:d] + (x.shape[d] // 2,) + x.shape[d + 1:])


def _glu_ref(a: A) -> Any:
    np = np_()
    x = a.self.astype(np.float64)
    first, second = np.split(x, 2, axis=norm_dim(a.dim, x.ndim))
    return first / (1 + np.exp(-second))


define("glu(Tensor self, int dim=-1) -> Tensor", _glu_infer, _glu_ref)


# --- softmax --------------------------------------------------------------------------------------

def _softmax_infer(a: A) -> TensorMeta:
    norm_dim(a.dim, len(a.self.shape))
    dtype = a.dtype or a.self.dtype
    if not is_float(dtype):
        raise ShapeError(f"needs a floating-point dtype, got {dtype}")
    return TensorMeta(dtype, a.self.shape)


def _softmax_parts(a: A) -> tuple[Any, Any]:
    """(x - max, sum(exp(x - max))) along the softmax dim, in float64."""
    np = np_()
    x = a.self.astype(np.float64)
    axis = norm_dim(a.dim, x.ndim) if x.ndim else None
    with np.errstate(all="ignore"):
        shifted = x - np.max(x, axis=axis, keepdims=True)
        return shifted, np.sum(np.exp(shifted), axis=axis, keepdims=True)


def _softmax_ref(a: A) -> Any:
    np = np_()
    shifted, total = _softmax_parts(a)
    with np.errstate(all="ignore"):
        return np.exp(shifted) / total


def _log_softmax_ref(a: A) -> Any:
    np = np_()
    shifted, total = _softmax_parts(a)
    with np.errstate(all="ignore"):
        return shifted - np.log(total)


define("softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor", _softmax_infer, _softmax_ref)
define("log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor", _softmax_infer,
       _log_softmax_ref)
lowering("_softmax(Tensor self, int dim, bool half_to_float) -> Tensor")(
    lambda g, a, src: emit(g, "softmax", src, a.self, a.dim, "float32" if a.half_to_float else None))
lowering("_log_softmax(Tensor self, int dim, bool half_to_float) -> Tensor")(
    lambda g, a, src: emit(g, "log_softmax", src, a.self, a.dim, "float32" if a.half_to_float else None))


# --- eval-time no-ops -----------------------------------------------------------------------------

def _identity(g: Graph, a: A, src: str) -> Ref:
    return a.get("input", a.get("self"))


# The converter targets inference: dropout is the identity whatever its train flag says, as after
# model.eval() (a model traced in training mode still records train=True).
for _name in ("dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout"):
    lowering(f"{_name}(Tensor input, float p, bool train) -> Tensor")(_identity)
    lowering(f"{_name}_(Tensor input, float p, bool train) -> Tensor")(_identity)
for _schema in ("clone(Tensor self, *, MemoryFormat? memory_format=None) -> Tensor",
                "alias(Tensor self) -> Tensor", "lift_fresh(Tensor self) -> Tensor",
                "lift_fresh_copy(Tensor self) -> Tensor"):
    lowering(_schema)(_identity)


@lowering("native_dropout(Tensor input, float p, bool? train) -> (Tensor, Tensor)")
def _native_dropout(g: Graph, a: A, src: str) -> list[Ref]:
    """Eval-mode native_dropout: the input and an all-true mask."""
    mask = emit(g, "full", src, list(g.meta(a.input).shape), True, dtype="bool")[0]
    return [a.input, mask]
