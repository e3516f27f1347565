"""Normalisation: batch, layer, group and RMS norm.

Canonical ops (ATen names and schemas): batch_norm, layer_norm, group_norm, rms_norm.

Spellings lowered onto them:
    batch_norm     _native_batch_norm_legit_no_training, native_batch_norm, _native_batch_norm_legit
                   (+ .no_stats): (out, save_mean, save_invstd)
    layer_norm     native_layer_norm: (out, mean, rstd)
    group_norm     native_group_norm: (out, mean, rstd)
    instance_norm  group_norm with one group per channel (input statistics), or batch_norm with the
                   running statistics (use_input_stats=False)

The extra outputs of the native_* spellings are what torch returns: zero-size tensors in
evaluation mode, else the statistics, built from mean/var/rsqrt so that a model that ignores them
(every eval model) loses them to dead-code elimination.
"""

from __future__ import annotations

from ..dtypes import is_float
from ..errors import ShapeError
from ..formats.tensor import TensorData
from ..ir import Graph, Ref, TensorMeta
from .common import emit
from .registry import A, define, lower_call, lowering


def _check_param(v: object, shape: tuple[int, ...], what: str) -> None:
    if v is not None and (not isinstance(v, TensorMeta) or tuple(v.shape) != tuple(shape)):
        got = list(v.shape) if isinstance(v, TensorMeta) else v
        raise ShapeError(f"{what} must have shape {list(shape)}, got {got}")


def _float_input(a: A) -> TensorMeta:
    x = a.input
    if not isinstance(x, TensorMeta) or not is_float(x.dtype):
        raise ShapeError(f"input must be a floating-point tensor, got {x}")
    return x


def _batch_norm_infer(a: A) -> TensorMeta:
    x = _float_input(a)
    if len(x.shape) < 2:
        raise ShapeError(f"input must have at least 2 dims (N, C, ...), got {list(x.shape)}")
    c = x.shape[1]
    for name in ("weight", "bias", "running_mean", "running_var"):
        _check_param(a[name], (c,), name)
    if not a.training and (a.running_mean is None or a.running_var is None):
        raise ShapeError("running_mean and running_var must be given in evaluation mode")
    return x


def _layer_norm_dims(a: A) -> int:
    """How many trailing dims are normalised; checks them against normalized_shape."""
    x = _float_input(a)
    k = len(a.normalized_shape)
    if not 1 <= k <= len(x.shape) or tuple(x.shape[len(x.shape) - k:]) != tuple(a.normalized_shape):
        raise ShapeError(f"normalized_shape {list(a.normalized_shape)} does not end input {list(x.shape)}")
    _check_param(a.weight, tuple(a.normalized_shape), "weight")
    _check_param(a.get("bias"), tuple(a.normalized_shape), "bias")  # rms_norm has none
    return k


def _layer_norm_infer(a: A) -> TensorMeta:
    _layer_norm_dims(a)
    return a.input


def _group_norm_infer(a: A) -> TensorMeta:
    x = _float_input(a)
    if len(x.shape) < 2 or a.num_groups < 1 or x.shape[1] % a.num_groups:
        raise ShapeError(f"{a.num_groups} groups do not divide the channels of input {list(x.shape)}")
    _check_param(a.weight, (x.shape[1],), "weight")
    _check_param(a.bias, (x.shape[1],), "bias")
    return x


# ---------------------------------------------------------------------------------------------
# Reference (float64)


def _normalise(np, x, axes: tuple[int, ...], eps: float, mean=None, var=None):
    if mean is None:
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _affine(np, y, weight, bias, shape: tuple[int, ...]):
    if weight is not None:
        y = y * np.asarray(weight, dtype=np.float64).reshape(shape)
    if bias is not None:
        y = y + np.asarray(bias, dtype=np.float64).reshape(shape)
    return y


def _batch_norm_ref(a: A):
    import numpy as np

    x = np.asarray(a.input, dtype=np.float64)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    axes = (0, *range(2, x.ndim))
    if a.training:
        y = _normalise(np, x, axes, a.eps)
    else:
        mean = np.asarray(a.running_mean, dtype=np.float64).reshape(shape)
        var = np.asarray(a.running_var, dtype=np.float64).reshape(shape)
        y = _normalise(np, x, axes, a.eps, mean, var)
    return _affine(np, y, a.weight, a.bias, shape)


def _layer_norm_ref(a: A):
    import numpy as np

    x = np.asarray(a.input, dtype=np.float64)
    k = len(a.normalized_shape)
    y = _normalise(np, x, tuple(range(x.ndim - k, x.ndim)), a.eps)
    return _affine(np, y, a.weight, a.bias, tuple(a.normalized_shape))


def _group_norm_ref(a: A):
    import numpy as np

    x = np.asarray(a.input, dtype=np.float64)
    grouped = x.reshape(x.shape[0], a.num_groups, -1)
    y = _normalise(np, grouped, (2,), a.eps).reshape(x.shape)
    return _affine(np, y, a.weight, a.bias, (1, x.shape[1]) + (1,) * (x.ndim - 2))


def _rms_norm_ref(a: A):
    import numpy as np

    x = np.asarray(a.input, dtype=np.float64)
    k = len(a.normalized_shape)
    eps = a.eps if a.eps is not None else _default_eps(np, a.input.dtype)
    y = x / np.sqrt((x * x).mean(axis=tuple(range(x.ndim - k, x.ndim)), keepdims=True) + eps)
    return _affine(np, y, a.weight, None, tuple(a.normalized_shape))


def _default_eps(np, dtype) -> float:
    """eps=None: the machine epsilon of the type torch computes in (float32 below float64)."""
    return float(np.finfo(np.float64 if dtype == np.float64 else np.float32).eps)


define("batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
       "bool training, float momentum, float eps, bool cudnn_enabled) -> Tensor",
       _batch_norm_infer, _batch_norm_ref)
define("layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, Tensor? bias=None, "
       "float eps=1e-05, bool cudnn_enable=True) -> Tensor", _layer_norm_infer, _layer_norm_ref)
define("group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, "
       "bool cudnn_enabled=True) -> Tensor", _group_norm_infer, _group_norm_ref)
define("rms_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, float? eps=None) -> Tensor",
       _layer_norm_infer, _rms_norm_ref)


# ---------------------------------------------------------------------------------------------
# Multi-output spellings


def _call(g: Graph, name: str, src: str, *args: object, overload: str = "", **kw: object) -> Ref:
    return lower_call(g, name, list(args), kw, src, overload)[0]


def _stats(g: Graph, x: Ref, dims: list[int], eps: float, keepdim: bool, src: str) -> list[Ref]:
    """mean and 1/sqrt(biased variance + eps) over `dims`."""
    mean = _call(g, "mean", src, x, dims, keepdim, overload="dim")
    var = _call(g, "var", src, x, dims, correction=0, keepdim=keepdim, overload="correction")
    return [mean, _call(g, "rsqrt", src, _call(g, "add", src, var, eps))]


def _empty(g: Graph, dtype: str) -> Ref:
    return g.add_constant(g.new_name("empty"), TensorData(dtype, (0,), b""))


def _native_batch_norm(g: Graph, a: A, src: str, running_mean: Ref | None, running_var: Ref | None,
                       training: bool) -> list[Ref]:
    out = emit(g, "batch_norm", src, a.input, a.weight, a.bias, running_mean, running_var, training,
               a.momentum, a.eps, False)
    if training:
        ndim = len(g.meta(a.input).shape)
        return out + _stats(g, a.input, [0, *range(2, ndim)], a.eps, False, src)
    dtype = g.meta(running_mean).dtype
    return out + [_empty(g, dtype), _empty(g, dtype)]


@lowering("_native_batch_norm_legit_no_training(Tensor input, Tensor? weight, Tensor? bias, "
          "Tensor running_mean, Tensor running_var, float momentum, float eps) -> (Tensor, Tensor, Tensor)")
def _lower_bn_no_training(g: Graph, a: A, src: str) -> list[Ref]:
    return _native_batch_norm(g, a, src, a.running_mean, a.running_var, False)


@lowering("native_batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, "
          "Tensor? running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)")
def _lower_native_bn(g: Graph, a: A, src: str) -> list[Ref]:
    return _native_batch_norm(g, a, src, a.running_mean, a.running_var, a.training)


lowering("_native_batch_norm_legit(Tensor input, Tensor? weight, Tensor? bias, Tensor running_mean, "
         "Tensor running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)")(
    _lower_native_bn)


@lowering("_native_batch_norm_legit.no_stats(Tensor input, Tensor? weight, Tensor? bias, bool training, "
          "float momentum, float eps) -> (Tensor, Tensor, Tensor)")
def _lower_bn_no_stats(g: Graph, a: A, src: str) -> list[Ref]:
    return _native_batch_norm(g, a, src, None, None, True)


@lowering("native_layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight, Tensor? bias, "
          "float eps) -> (Tensor, Tensor, Tensor)")
def _lower_native_layer_norm(g: Graph, a: A, src: str) -> list[Ref]:
    out = emit(g, "layer_norm", src, a.input, a.normalized_shape, a.weight, a.bias, a.eps)
    ndim = len(g.meta(a.input).shape)
    dims = list(range(ndim - len(a.normalized_shape), ndim))
    return out + _stats(g, a.input, dims, a.eps, True, src)


@lowering("native_group_norm(Tensor input, Tensor? weight, Tensor? bias, SymInt N, SymInt C, SymInt HxW, "
          "int group, float eps) -> (Tensor, Tensor, Tensor)")
def _lower_native_group_norm(g: Graph, a: A, src: str) -> list[Ref]:
    meta = g.meta(a.input)
    if tuple(meta.shape[:2]) != (a.N, a.C) or a.N * a.C * a.HxW != meta.numel:
        raise ShapeError(f"native_group_norm: N={a.N}, C={a.C}, HxW={a.HxW} do not describe input "
                         f"{list(meta.shape)} at {src}")
    out = emit(g, "group_norm", src, a.input, a.group, a.weight, a.bias, a.eps)
    grouped = _call(g, "reshape", src, a.input, [a.N, a.group, -1])
    return out + _stats(g, grouped, [2], a.eps, False, src)


@lowering("instance_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, "
          "Tensor? running_var, bool use_input_stats, float momentum, float eps, "
          "bool cudnn_enabled) -> Tensor")
def _lower_instance_norm(g: Graph, a: A, src: str) -> list[Ref]:
    if not a.use_input_stats:
        return emit(g, "batch_norm", src, a.input, a.weight, a.bias, a.running_mean, a.running_var, False,
                    a.momentum, a.eps, False)
    shape = g.meta(a.input).shape
    if len(shape) < 3:
        raise ShapeError(f"instance_norm: input {list(shape)} has no spatial dims at {src}")
    return emit(g, "group_norm", src, a.input, shape[1], a.weight, a.bias, a.eps)
