"""Shape helpers shared by op definitions (stdlib only: inference runs inside Pyodide)."""

from __future__ import annotations

from ..dtypes import is_float, result_type
from ..errors import ShapeError
from ..ir import Graph, Ref, TensorMeta


def shape_of(v: object) -> tuple[int, ...]:
    """Shape of a tensor meta, or () for a Python number."""
    return tuple(v.shape) if isinstance(v, TensorMeta) else ()


def broadcast(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        size = 1
        for s in shapes:
            d = s[i - ndim + len(s)] if i - ndim + len(s) >= 0 else 1
            if d != 1:
                if size not in (1, d):
                    raise ShapeError(f"shapes {[list(x) for x in shapes]} do not broadcast")
                size = d
        out.append(size)
    return tuple(out)


def norm_dim(dim: int, ndim: int) -> int:
    """Wrap a negative dim; a 0-d tensor accepts dims 0 and -1, as in torch."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise ShapeError(f"dim {dim} out of range for a {ndim}-d tensor")
    return dim % n


def norm_dims(dims: list[int] | None, ndim: int) -> list[int]:
    """Normalise a dim list; None or [] means every dim (torch's reduction convention)."""
    if not dims:
        return list(range(ndim))
    out = [norm_dim(d, ndim) for d in dims]
    if len(set(out)) != len(out):
        raise ShapeError(f"dim {dims} repeats a dim")
    return out


def numel(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def elementwise_meta(*operands: object, dtype: str | None = None) -> TensorMeta:
    """Broadcast shape + torch type promotion (or a fixed dtype, e.g. bool for comparisons)."""
    return TensorMeta(dtype or result_type(*operands), broadcast(*(shape_of(o) for o in operands)))


def infer_reshape(shape: tuple[int, ...], target: list[int]) -> tuple[int, ...]:
    """Resolve one -1 in a reshape target and check the element count."""
    total = numel(shape)
    if target.count(-1) > 1:
        raise ShapeError(f"only one dimension can be -1 in {target}")
    known = numel(tuple(d for d in target if d != -1))
    if -1 in target:
        if known == 0 or total % known:
            raise ShapeError(f"shape {target} is invalid for input of size {total}")
        target = [total // known if d == -1 else d for d in target]
    if numel(tuple(target)) != total or any(d < 0 for d in target):
        raise ShapeError(f"shape {target} is invalid for input of size {total}")
    return tuple(target)


def emit(g: Graph, op: str, src: str, *positional: object, **keywords: object) -> list[Ref]:
    """Add a canonical node from a lowering: bind against the op's schema (filling defaults)."""
    from . import registry

    args = registry.OPS[op].schema.bind(list(positional), keywords, src)
    return g.add_node(op, dict(args), src)


def expand_ints(values: list[int], n: int, what: str) -> list[int]:
    """An int list for `n` spatial dims; a single value repeats (ATen's expand_param_if_needed)."""
    if len(values) == 1:
        return list(values) * n
    if len(values) != n:
        raise ShapeError(f"{what} needs 1 or {n} values, got {list(values)}")
    return list(values)


def float_dtype(dtype: str) -> str:
    """Result dtype of a floating-point function (sqrt, true division...): ints and bools give float32."""
    return dtype if is_float(dtype) else "float32"


def opmath(dtype: str) -> str:
    """The dtype torch computes in for `dtype` (its "opmath" type): half types widen to float32."""
    return "float32" if dtype in ("float16", "bfloat16") else dtype


def array_meta(x: object) -> object:
    """A numpy array as a TensorMeta (Python numbers pass through): lets references promote like infer."""
    if hasattr(x, "dtype") and hasattr(x, "shape"):
        return TensorMeta("bool" if x.dtype.kind == "b" else x.dtype.name, tuple(x.shape))
    return x
