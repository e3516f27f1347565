"""Indexing ops: advanced indexing, gather/scatter along a dim, sorting and top-k.

Canonical ops (the set later passes and the wasm kernels implement):

    index(self, indices)                          advanced indexing: a list of int index tensors
                                                  or None (a whole dim), placed as torch places them
    index_put(self, indices, values, accumulate)  write (or add) values at an advanced index;
                                                  bool masks allowed (the output shape is self's)
    gather(self, dim, index)                      out[i][j] = self[i][index[i][j]] (dim=1)
    scatter(self, dim, index, src)                self with out[i][index[i][j]] = src[i][j]; src
                                                  may be a number
    scatter_reduce(self, dim, index, src, reduce, include_self)
                                                  sum / prod / mean / amax / amin into self
    sort(self, dim, descending) -> (values, indices)          stable; NaN sorts as the largest
    topk(self, k, dim, largest, sorted) -> (values, indices)  always sorted; ties give the lowest
                                                  index first (torch leaves their order unspecified)

Spellings lowered onto them:
    index           index.Tensor_hacked_twin, index_select, embedding, take (+ reshape)
    index_put       index_put_, index_put.hacked_twin
    scatter         scatter.value, scatter_ (src and value)
    scatter_reduce  scatter_add(_), scatter.reduce / scatter.value_reduce (add, multiply)
    sort            sort.stable, argsort, argsort.stable (the indices output)

Advanced indexing with a boolean mask has a data-dependent shape and raises UnsupportedError.
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError, UnsupportedError
from ..ir import Graph, Ref, TensorMeta
from .common import broadcast, emit, norm_dim, numel
from .registry import A, alias, define
from .shape import reshape, shape_of_ref, spellings

_INT_INDEX = ("int64", "int32")
_MASK = ("bool", "uint8")  # torch treats uint8 index tensors as (deprecated) masks
# scatter_reduce's reduce -> the numpy ufunc that accumulates it
_REDUCERS = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _np():
    import numpy as np

    return np


# ---------------------------------------------------------------------------------------------
# Inference


def _index_slots(shape: tuple[int, ...], indices: list[Any], masks_ok: bool) -> list[tuple[int, ...] | None]:
    """Index shape per dim of self (None: whole dim). A mask covers as many dims as it has."""
    slots: list[tuple[int, ...] | None] = []
    for t in indices:
        if t is None:
            slots.append(None)
        elif not isinstance(t, TensorMeta):
            raise ShapeError(f"indices must be tensors or None, got {t!r}")
        elif t.dtype in _MASK:
            if not masks_ok or not t.shape:
                raise UnsupportedError("data-dependent output shape", [("index with a boolean mask", "")])
            d = len(slots)
            if tuple(t.shape) != tuple(shape[d:d + len(t.shape)]):
                raise ShapeError(f"mask of shape {list(t.shape)} does not match dims {d}.. of {list(shape)}")
            slots += [(-1,)] * len(t.shape)
        elif t.dtype not in _INT_INDEX:
            raise ShapeError(f"tensors used as indices must be int64, int32 or bool, not {t.dtype}")
        else:
            slots.append(tuple(t.shape))
    if len(slots) > len(shape):
        raise ShapeError(f"too many indices ({len(slots)}) for a {len(shape)}-d tensor")
    return slots


def index_shape(shape: tuple[int, ...], slots: list[tuple[int, ...] | None]) -> tuple[int, ...]:
    """torch's advanced-indexing result shape: adjacent index tensors put their broadcast shape
    where they stand; index tensors separated by a whole dim put it first."""
    pos = [i for i, s in enumerate(slots) if s is not None]
    if not pos:
        return shape
    b = broadcast(*(slots[i] for i in pos))
    for i in pos:
        if shape[i] == 0 and numel(b):
            raise ShapeError(f"index into dim {i} of size 0")
    if pos == list(range(pos[0], pos[-1] + 1)):
        return shape[:pos[0]] + b + shape[pos[-1] + 1:]
    return b + tuple(s for i, s in enumerate(shape) if i not in pos)


def _index_meta(a: A) -> TensorMeta:
    shape = tuple(a.self.shape)
    return TensorMeta(a.self.dtype, index_shape(shape, _index_slots(shape, a.indices, masks_ok=False)))


def _index_put_meta(a: A) -> TensorMeta:
    shape = tuple(a.self.shape)
    slots = _index_slots(shape, a.indices, masks_ok=True)
    if not any(s == (-1,) for s in slots) and isinstance(a["values"], TensorMeta):
        target = index_shape(shape, slots)
        if broadcast(target, tuple(a["values"].shape)) != target:
            raise ShapeError(f"values of shape {list(a['values'].shape)} do not fit the indexed shape "
                             f"{list(target)}")
    return a.self


def _check_dim_index(a: A, src_shape: tuple[int, ...] | None = None) -> int:
    """gather/scatter: index has self's rank and fits inside self (and src) outside `dim`."""
    shape, ishape = tuple(a.self.shape), tuple(a.index.shape)
    if a.index.dtype not in _INT_INDEX:
        raise ShapeError(f"index must be int64 or int32, not {a.index.dtype}")
    if max(len(ishape), 1) != max(len(shape), 1):
        raise ShapeError(f"index of shape {list(ishape)} must have the rank of self {list(shape)}")
    d = norm_dim(a.dim, len(shape))
    for k, n in enumerate(ishape):
        if shape and k != d and n > shape[k] or src_shape and n > src_shape[k]:
            raise ShapeError(f"index of shape {list(ishape)} is larger than self {list(shape)} "
                             f"or src {list(src_shape or ())} outside dim {d}")
    return d


def _scatter_meta(a: A) -> TensorMeta:
    src = a.src if isinstance(a.src, TensorMeta) else None
    if src is not None and max(len(src.shape), 1) != max(len(a.self.shape), 1):
        raise ShapeError(f"src of shape {list(src.shape)} must have the rank of self {list(a.self.shape)}")
    _check_dim_index(a, tuple(src.shape) if src is not None else None)
    if a.get("reduce", "sum") not in _REDUCERS:
        raise ShapeError(f"reduce must be one of {list(_REDUCERS)}, got {a.reduce!r}")
    return a.self


def _gather_meta(a: A) -> TensorMeta:
    _check_dim_index(a)
    return TensorMeta(a.self.dtype, tuple(a.index.shape))


def _sort_meta(a: A) -> list[TensorMeta]:
    norm_dim(a.dim, len(a.self.shape))
    return [a.self, TensorMeta("int64", tuple(a.self.shape))]


def _topk_meta(a: A) -> list[TensorMeta]:
    shape = list(a.self.shape)
    d = norm_dim(a.dim, len(shape))
    size = shape[d] if shape else 1
    if not 0 <= a.k <= size:
        raise ShapeError(f"k {a.k} out of range for a dim of size {size}")
    if shape:
        shape[d] = a.k
    return [TensorMeta(a.self.dtype, tuple(shape)), TensorMeta("int64", tuple(shape))]


# ---------------------------------------------------------------------------------------------
# References


def _bounds(idx: Any, size: int, dim: int, negative_ok: bool) -> Any:
    np = _np()
    idx = np.asarray(idx).astype(np.int64)
    low = -size if negative_ok else 0
    if idx.size and (idx.min() < low or idx.max() >= size):
        bad = idx[(idx < low) | (idx >= size)].flat[0]
        raise ShapeError(f"index {bad} is out of bounds for dim {dim} of size {size}")
    return idx


def _index_key(x: Any, indices: list[Any]) -> tuple:
    """numpy index tuple with torch's meaning (numpy places advanced indices the same way)."""
    key: list[Any] = []
    for t in indices:
        if t is None:
            key.append(slice(None))
        elif t.dtype in (_np().bool_, _np().uint8):
            key += list(t.astype(bool).nonzero())
        else:
            key.append(_bounds(t, x.shape[len(key)], len(key), negative_ok=True))
    return tuple(key)


def _index_put_ref(a: A) -> Any:
    np = _np()
    out = np.array(a.self, copy=True)
    key = _index_key(out, a.indices)
    values = np.asarray(a["values"]).astype(out.dtype)
    if a.accumulate:
        np.add.at(out, key, np.broadcast_to(values, out[key].shape))
    else:
        out[key] = values
    return out


def _dim_key(self: Any, index: Any, dim: int) -> tuple:
    """Index tuple addressing self[i][index[i][j]][k] (dim=1) for every position of index."""
    np = _np()
    key = list(np.indices(index.shape, sparse=True))
    key[dim] = _bounds(index, self.shape[dim], dim, negative_ok=False)
    return tuple(key)


def _gather_ref(a: A) -> Any:
    np = _np()
    x, index = np.atleast_1d(a.self), np.atleast_1d(a.index)
    return x[_dim_key(x, index, norm_dim(a.dim, x.ndim))].reshape(a.index.shape)


def _scatter_src(a: A, index: Any) -> Any:
    src = a.src
    if hasattr(src, "shape"):
        src = _np().atleast_1d(src)[tuple(slice(0, n) for n in index.shape)]
    return _np().broadcast_to(src, index.shape)


def _scatter_ref(a: A) -> Any:
    np = _np()
    out, index = np.array(np.atleast_1d(a.self), copy=True), np.atleast_1d(a.index)
    out[_dim_key(out, index, norm_dim(a.dim, out.ndim))] = _scatter_src(a, index)
    return out.reshape(a.self.shape)


def _reduce_identity(reduce: str, dtype: Any) -> Any:
    """Where a position starts when include_self=False: the reduction's neutral value."""
    np = _np()
    if reduce in ("sum", "mean", "prod"):
        return int(reduce == "prod")
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _scatter_reduce_ref(a: A) -> Any:
    np = _np()
    out, index = np.array(np.atleast_1d(a.self), copy=True), np.atleast_1d(a.index)
    key = _dim_key(out, index, norm_dim(a.dim, out.ndim))
    src = _scatter_src(a, index).astype(out.dtype)
    if not a.include_self:
        out[key] = _reduce_identity(a.reduce, out.dtype)
    getattr(np, _REDUCERS[a.reduce]).at(out, key, src)
    if a.reduce == "mean":
        count = np.ones(out.shape, np.int64) if a.include_self else np.zeros(out.shape, np.int64)
        np.add.at(count, key, 1)
        touched = count > 0
        if out.dtype.kind in "iu":
            out[touched] = np.floor_divide(out[touched], count[touched])
        else:
            out[touched] = out[touched] / count[touched]
    return out.reshape(a.self.shape)


def _stable_order(x: Any, axis: int, descending: bool) -> Any:
    """Stable argsort along axis with NaN as the largest value (numpy puts NaN last, as torch
    does when ascending); descending sorts the reversed data and reverses back, keeping ties in
    their original order like torch's stable descending sort."""
    np = _np()
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    order = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return x.shape[axis] - 1 - np.flip(order, axis)


def _sort_ref(a: A) -> list[Any]:
    np = _np()
    x = np.atleast_1d(a.self)
    d = norm_dim(a.dim, x.ndim)
    order = _stable_order(x, d, a.descending)
    return [np.take_along_axis(x, order, d).reshape(a.self.shape), order.reshape(a.self.shape)]


def _topk_ref(a: A) -> list[Any]:
    np = _np()
    x = np.atleast_1d(a.self)
    d = norm_dim(a.dim, x.ndim)
    order = np.take(_stable_order(x, d, a.largest), np.arange(a.k), axis=d)
    values = np.take_along_axis(x, order, d)
    if a.self.ndim == 0:
        return [values.reshape(()), order.reshape(())]
    return [values, order]


define("index.Tensor(Tensor self, Tensor?[] indices) -> Tensor", _index_meta,
       lambda a: a.self[_index_key(a.self, a.indices)])
define("index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor",
       _index_put_meta, _index_put_ref)
define("gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor",
       _gather_meta, _gather_ref)
define("scatter.src(Tensor self, int dim, Tensor index, Tensor src) -> Tensor", _scatter_meta, _scatter_ref)
define("scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, "
       "bool include_self=True) -> Tensor", _scatter_meta, _scatter_reduce_ref)
define("sort(Tensor self, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)",
       _sort_meta, _sort_ref)
define("topk(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True) -> "
       "(Tensor values, Tensor indices)", _topk_meta, _topk_ref)


# ---------------------------------------------------------------------------------------------
# Spellings

alias("index.Tensor_hacked_twin(Tensor self, Tensor[] indices) -> Tensor", "index")
alias("index_put_(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor",
      "index_put")
alias("index_put.hacked_twin(Tensor self, Tensor[] indices, Tensor values, bool accumulate=False) -> Tensor",
      "index_put")
alias("index_put_.hacked_twin(Tensor self, Tensor[] indices, Tensor values, bool accumulate=False) -> Tensor",
      "index_put")


@spellings("index_select(Tensor self, int dim, Tensor index) -> Tensor")
def _lower_index_select(g: Graph, a: A, src: str) -> Ref:
    shape, ishape = shape_of_ref(g, a.self), shape_of_ref(g, a.index)
    if len(ishape) > 1:
        raise ShapeError(f"index must be 0-d or 1-d, got shape {list(ishape)}")
    d = norm_dim(a.dim, len(shape))
    index = reshape(g, a.index, [numel(ishape)], src)  # a 0-d index keeps the dim, with size 1
    return emit(g, "index", src, a.self, [None] * d + [index])[0]


@spellings("embedding(Tensor weight, Tensor indices, SymInt padding_idx=-1, "
           "bool scale_grad_by_freq=False, bool sparse=False) -> Tensor")
def _lower_embedding(g: Graph, a: A, src: str) -> Ref:
    if len(shape_of_ref(g, a.weight)) != 2:
        raise ShapeError(f"weight must be 2-d, got shape {list(shape_of_ref(g, a.weight))}")
    return emit(g, "index", src, a.weight, [a.indices])[0]


@spellings("take(Tensor self, Tensor index) -> Tensor")
def _lower_take(g: Graph, a: A, src: str) -> Ref:
    flat = reshape(g, a.self, [numel(shape_of_ref(g, a.self))], src)
    return emit(g, "index", src, flat, [a.index])[0]


@spellings("scatter.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor",
           "scatter_.src(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
           "scatter_.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor")
def _lower_scatter(g: Graph, a: A, src: str) -> Ref:
    return emit(g, "scatter", src, a.self, a.dim, a.index, a["src"] if "src" in a else a.value)[0]


_SCATTER_REDUCE = {"add": "sum", "multiply": "prod"}


@spellings("scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
           "scatter_add_(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
           "scatter.reduce(Tensor self, int dim, Tensor index, Tensor src, *, str reduce) -> Tensor",
           "scatter_.reduce(Tensor self, int dim, Tensor index, Tensor src, *, str reduce) -> Tensor",
           "scatter.value_reduce(Tensor self, int dim, Tensor index, Scalar value, *, str reduce) -> Tensor",
           "scatter_.value_reduce(Tensor self, int dim, Tensor index, Scalar value, *, str reduce) -> Tensor")
def _lower_scatter_add(g: Graph, a: A, src: str) -> Ref:
    reduce = _SCATTER_REDUCE.get(a.get("reduce", "add"))
    if reduce is None:
        raise ShapeError(f"reduce must be 'add' or 'multiply', got {a.reduce!r}")
    values = a["src"] if "src" in a else a.value
    return emit(g, "scatter_reduce", src, a.self, a.dim, a.index, values, reduce, include_self=True)[0]


@spellings("sort.stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False) -> "
           "(Tensor values, Tensor indices)")
def _lower_sort_stable(g: Graph, a: A, src: str) -> list[Ref]:
    return emit(g, "sort", src, a.self, a.dim, a.descending)


@spellings("argsort(Tensor self, int dim=-1, bool descending=False) -> Tensor",
           "argsort.stable(Tensor self, *, bool stable, int dim=-1, bool descending=False) -> Tensor")
def _lower_argsort(g: Graph, a: A, src: str) -> Ref:
    return emit(g, "sort", src, a.self, a.dim, a.descending)[1]
