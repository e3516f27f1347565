"""Shape ops: views, slicing, splitting, joining, broadcasting and reordering of dims.

Canonical ops (the set later passes and the wasm kernels implement):

    reshape(self, shape)                       same elements in the same order, new shape
    permute(self, dims)                        reorder dims
    slice(self, dim, start, end, step)         strided window on one dim
    split_with_sizes(self, split_sizes, dim)   consecutive pieces along one dim (a list of outputs)
    cat(tensors, dim)                          join along one dim, with torch's dtype promotion
    expand(self, size)                         broadcast to a larger shape
    flip(self, dims)                           reverse dims
    slice_scatter(self, src, dim, start, end, step)   self with one slice replaced by src

Spellings lowered onto them:
    reshape        view, _unsafe_view, _reshape_alias, view_as, reshape_as, flatten, unflatten,
                   squeeze (all overloads), unsqueeze
    permute        transpose, t, numpy_T, swapaxes, swapdims, movedim, moveaxis
    slice          narrow, select (+ reshape), diagonal (permute + reshape + slice), as_strided
                   when it is provably a view of contiguous data (reshape + slice + permute)
    split_with_sizes   split, chunk, unsafe_split(_with_sizes), unsafe_chunk, tensor_split
                   (sections; indices use slice), unbind (+ reshape)
    cat            concat, concatenate, stack (reshape + cat), roll (slice + cat)
    expand         expand_as, broadcast_to, broadcast_tensors, copy (+ _to_copy when the dtype
                   changes), repeat, tile, repeat_interleave with an int count (reshape + expand +
                   reshape)
    slice_scatter  select_scatter (+ reshape)
    (no node)      contiguous, detach, detach_ lower to their input (clone, alias, lift_fresh(_copy)
                   too, in activation.py); _assert_tensor_metadata checks the static shape and lowers
                   to nothing

Lowerings emit resolved arguments (no -1, no None, no negative dims) and skip nodes that would
not change anything. A canonical op written directly by a frontend (TorchScript
`torch.reshape(x, [-1, 4])`, `torch.slice(x, 1, 0, 9223372036854775807)`) keeps torch's
conventions, which every inference and reference here accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..dtypes import result_type
from ..errors import ShapeError, UnsupportedError
from ..ir import Graph, Ref, TensorMeta
from .common import broadcast, emit, infer_reshape, norm_dim, numel
from .registry import A, LowerFn, alias, define, lowering


def _np():
    import numpy as np

    return np


# ---------------------------------------------------------------------------------------------
# Shape arithmetic shared with indexing.py (stdlib only)


def dim_list(dims: list[int], ndim: int) -> list[int]:
    """Normalise an explicit dim list; unlike reductions, [] means no dim. Rejects repeats."""
    out = [norm_dim(d, ndim) for d in dims]
    if len(set(out)) != len(out):
        raise ShapeError(f"dims {list(dims)} repeat a dim")
    return out


def one_dim(shape: tuple[int, ...], dim: int) -> int:
    """Normalise the dim of an op that needs an actual dim (torch rejects 0-d tensors there)."""
    if not shape:
        raise ShapeError("cannot be applied to a 0-dim tensor")
    return norm_dim(dim, len(shape))


def slice_bounds(size: int, start: int | None, end: int | None, step: int) -> tuple[int, int, int]:
    """torch's slice clamping for a dim of `size`: (start, end, length); None/huge/negative allowed."""
    if step <= 0:
        raise ShapeError(f"slice step must be positive, got {step}")
    start = 0 if start is None else start + size if start < 0 else start
    end = size if end is None else end + size if end < 0 else end
    start = min(max(start, 0), size)
    end = min(max(end, start), size)
    return start, end, (end - start + step - 1) // step


def expand_shape(shape: tuple[int, ...], size: list[int]) -> tuple[int, ...]:
    """Target of expand: new dims lead, -1 keeps a size, only size-1 dims may grow."""
    lead = len(size) - len(shape)
    if lead < 0:
        raise ShapeError(f"expand to {list(size)} has fewer dims than the tensor's {list(shape)}")
    out = []
    for i, s in enumerate(size):
        cur = shape[i - lead] if i >= lead else None
        if s == -1 and cur is not None:
            s = cur
        if s < 0 or (cur is not None and cur not in (1, s)):
            raise ShapeError(f"cannot expand shape {list(shape)} to {list(size)}")
        out.append(s)
    return tuple(out)


def _split_meta(meta: TensorMeta, sizes: list[int], dim: int) -> list[TensorMeta]:
    shape = tuple(meta.shape)
    d = one_dim(shape, dim)
    if any(s < 0 for s in sizes) or sum(sizes) != shape[d]:
        raise ShapeError(f"split sizes {list(sizes)} do not sum to the size {shape[d]} of dim {d}")
    return [TensorMeta(meta.dtype, shape[:d] + (s,) + shape[d + 1:]) for s in sizes]


def _cat_parts(tensors: list[Any]) -> list[Any]:
    # torch still skips 1-d empty tensors ("legacy" torch.empty(0)) whatever the other shapes are.
    return [t for t in tensors if tuple(t.shape) != (0,)]


def _cat_meta(a: A) -> TensorMeta:
    if not a.tensors or not all(isinstance(t, TensorMeta) for t in a.tensors):
        raise ShapeError("expects a non-empty list of tensors")
    dtype = result_type(*a.tensors)
    parts = _cat_parts(a.tensors)
    if not parts:
        return TensorMeta(dtype, (0,))
    base = tuple(parts[0].shape)
    if not base:
        raise ShapeError("a zero-dimensional tensor cannot be concatenated")
    d = norm_dim(a.dim, len(base))
    for t in parts:
        if len(t.shape) != len(base) or any(x != y for i, (x, y) in enumerate(zip(t.shape, base)) if i != d):
            raise ShapeError(f"shapes {[list(t.shape) for t in parts]} differ outside dim {d}")
    return TensorMeta(dtype, base[:d] + (sum(t.shape[d] for t in parts),) + base[d + 1:])


def _slice_key(shape: tuple[int, ...], dim: int, start: int | None, end: int | None, step: int) -> tuple:
    d = one_dim(shape, dim)
    s, e, _ = slice_bounds(shape[d], start, end, step)
    return (slice(None),) * d + (slice(s, e, step),)


def _sliced_shape(shape: tuple[int, ...], dim: int, start: int | None, end: int | None,
                  step: int) -> tuple[int, ...]:
    d = one_dim(shape, dim)
    return shape[:d] + (slice_bounds(shape[d], start, end, step)[2],) + shape[d + 1:]


def _permutation(dims: list[int], ndim: int) -> list[int]:
    out = dim_list(dims, ndim)
    if len(out) != ndim:
        raise ShapeError(f"dims {list(dims)} are not a permutation of {ndim} dims")
    return out


def _permuted(shape: tuple[int, ...], dims: list[int]) -> tuple[int, ...]:
    return tuple(shape[d] for d in _permutation(dims, len(shape)))


def _slice_scatter_meta(a: A) -> TensorMeta:
    want = _sliced_shape(tuple(a.self.shape), a.dim, a.start, a.end, a.step)
    if tuple(a.src.shape) != want:
        raise ShapeError(f"src shape {list(a.src.shape)} does not match the slice shape {list(want)}")
    return a.self


def _slice_scatter_ref(a: A) -> Any:
    out = a.self.copy()
    out[_slice_key(a.self.shape, a.dim, a.start, a.end, a.step)] = a.src
    return out


def _flip_meta(a: A) -> TensorMeta:
    dim_list(a.dims, len(a.self.shape))
    return a.self


def _flip_ref(a: A) -> Any:
    dims = dim_list(a.dims, a.self.ndim)
    return _np().flip(a.self, tuple(dims)) if dims and a.self.ndim else a.self


def _split_ref(a: A) -> list[Any]:
    np = _np()
    d = one_dim(a.self.shape, a.dim)
    return np.split(a.self, np.cumsum(a.split_sizes)[:-1].astype(np.int64), axis=d)


def _cat_ref(a: A) -> Any:
    np = _np()
    parts = _cat_parts(a.tensors)
    return np.concatenate(parts, axis=norm_dim(a.dim, parts[0].ndim)) if parts else np.zeros((0,))


define("reshape(Tensor self, SymInt[] shape) -> Tensor",
       lambda a: TensorMeta(a.self.dtype, infer_reshape(tuple(a.self.shape), list(a.shape))),
       lambda a: a.self.reshape(infer_reshape(a.self.shape, list(a.shape))))
define("permute(Tensor self, int[] dims) -> Tensor",
       lambda a: TensorMeta(a.self.dtype, _permuted(a.self.shape, a.dims)),
       lambda a: a.self.transpose(_permutation(a.dims, a.self.ndim)))
define("slice.Tensor(Tensor self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor",
       lambda a: TensorMeta(a.self.dtype, _sliced_shape(tuple(a.self.shape), a.dim, a.start, a.end, a.step)),
       lambda a: a.self[_slice_key(a.self.shape, a.dim, a.start, a.end, a.step)])
define("split_with_sizes(Tensor self, SymInt[] split_sizes, int dim=0) -> Tensor[]",
       lambda a: _split_meta(a.self, a.split_sizes, a.dim), _split_ref)
define("cat(Tensor[] tensors, int dim=0) -> Tensor", _cat_meta, _cat_ref)
define("expand(Tensor self, SymInt[] size, *, bool implicit=False) -> Tensor",
       lambda a: TensorMeta(a.self.dtype, expand_shape(tuple(a.self.shape), a.size)),
       lambda a: _np().broadcast_to(a.self, expand_shape(a.self.shape, a.size)))
define("flip(Tensor self, int[] dims) -> Tensor", _flip_meta, _flip_ref)
define("slice_scatter(Tensor self, Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, "
       "SymInt step=1) -> Tensor", _slice_scatter_meta, _slice_scatter_ref)


# ---------------------------------------------------------------------------------------------
# Emitting canonical nodes from lowerings (also used by indexing.py)


def shape_of_ref(g: Graph, x: Any) -> tuple[int, ...]:
    if not isinstance(x, Ref):
        raise ShapeError(f"expected a tensor, got {x!r}")
    return tuple(g.meta(x).shape)


def reshape(g: Graph, x: Ref, shape: list[int] | tuple[int, ...], src: str) -> Ref:
    if shape_of_ref(g, x) == tuple(shape):
        return x
    return emit(g, "reshape", src, x, list(shape))[0]


def permute(g: Graph, x: Ref, dims: list[int], src: str) -> Ref:
    if list(dims) == list(range(len(dims))):
        return x
    return emit(g, "permute", src, x, list(dims))[0]


def slice_(g: Graph, x: Ref, dim: int, start: int | None, end: int | None, step: int, src: str) -> Ref:
    shape = shape_of_ref(g, x)
    d = one_dim(shape, dim)
    s, e, n = slice_bounds(shape[d], start, end, step)
    if n == shape[d]:
        return x
    return emit(g, "slice", src, x, d, s, e, step)[0]


def split(g: Graph, x: Ref, sizes: list[int], dim: int, src: str) -> list[Ref]:
    d = one_dim(shape_of_ref(g, x), dim)
    if len(sizes) == 1:
        _split_meta(g.meta(x), sizes, d)
        return [x]
    return emit(g, "split_with_sizes", src, x, list(sizes), d)


def expand(g: Graph, x: Ref, size: list[int], src: str) -> Ref:
    target = expand_shape(shape_of_ref(g, x), size)
    if target == shape_of_ref(g, x):
        return x
    return emit(g, "expand", src, x, list(target))[0]


def cat(g: Graph, xs: list[Ref], dim: int, src: str) -> Ref:
    if len(xs) == 1:
        return xs[0]
    return emit(g, "cat", src, list(xs), dim)[0]


def spellings(*schemas: str) -> Callable[[LowerFn], LowerFn]:
    """Register one lowering under several spellings; its shape errors name the spelling and source."""

    def deco(fn: LowerFn) -> LowerFn:
        for schema in schemas:
            lowering(schema)(_naming_errors(fn, schema[:schema.index("(")]))
        return fn

    return deco


def _naming_errors(fn: LowerFn, name: str) -> LowerFn:
    def lower(g: Graph, a: A, src: str) -> Ref | list[Ref]:
        try:
            return fn(g, a, src)
        except ShapeError as e:
            where = f" at {src}" if src else ""
            if where and str(e).endswith(where):
                raise  # already located by the canonical op's inference
            raise ShapeError(f"{name}: {e}{where}") from None

    return lower


# ---------------------------------------------------------------------------------------------
# No-ops


# clone, alias, lift_fresh and lift_fresh_copy are activation.py's, with dropout.
@spellings("contiguous(Tensor self, *, MemoryFormat memory_format=0) -> Tensor",
           "detach(Tensor self) -> Tensor",
           "detach_(Tensor self) -> Tensor")
def _lower_noop(g: Graph, a: A, src: str) -> Ref:
    return a.self


@spellings("_assert_tensor_metadata(Tensor a, SymInt[]? size=None, SymInt[]? stride=None, "
           "ScalarType? dtype=None, *, Device? device=None, Layout? layout=None) -> ()")
def _lower_assert_metadata(g: Graph, a: A, src: str) -> list[Ref]:
    if a.size is not None and all(isinstance(s, int) for s in a.size):
        if tuple(a.size) != shape_of_ref(g, a.a):
            raise ShapeError(f"the tensor has shape {list(shape_of_ref(g, a.a))}, the model asserts {a.size}")
    return []


# ---------------------------------------------------------------------------------------------
# reshape spellings


@spellings("view(Tensor self, SymInt[] size) -> Tensor",
           "_unsafe_view(Tensor self, SymInt[] size) -> Tensor",
           "_reshape_alias(Tensor self, SymInt[] size, SymInt[] stride) -> Tensor")
def _lower_view(g: Graph, a: A, src: str) -> Ref:
    return reshape(g, a.self, infer_reshape(shape_of_ref(g, a.self), list(a.size)), src)


@spellings("view_as(Tensor self, Tensor other) -> Tensor",
           "reshape_as(Tensor self, Tensor other) -> Tensor")
def _lower_view_as(g: Graph, a: A, src: str) -> Ref:
    return reshape(g, a.self, infer_reshape(shape_of_ref(g, a.self), list(shape_of_ref(g, a.other))), src)


@spellings("flatten.using_ints(Tensor self, int start_dim=0, int end_dim=-1) -> Tensor")
def _lower_flatten(g: Graph, a: A, src: str) -> Ref:
    shape = shape_of_ref(g, a.self)
    if not shape:
        return reshape(g, a.self, [1], src)
    s, e = norm_dim(a.start_dim, len(shape)), norm_dim(a.end_dim, len(shape))
    if s > e:
        raise ShapeError(f"start_dim {a.start_dim} comes after end_dim {a.end_dim}")
    return reshape(g, a.self, shape[:s] + (numel(shape[s:e + 1]),) + shape[e + 1:], src)


@spellings("unflatten.int(Tensor self, int dim, SymInt[] sizes) -> Tensor")
def _lower_unflatten(g: Graph, a: A, src: str) -> Ref:
    shape = shape_of_ref(g, a.self)
    d = one_dim(shape, a.dim)
    sizes = infer_reshape((shape[d],), list(a.sizes))
    return reshape(g, a.self, shape[:d] + sizes + shape[d + 1:], src)


@spellings("squeeze(Tensor self) -> Tensor",
           "squeeze.dim(Tensor self, int dim) -> Tensor",
           "squeeze.dims(Tensor self, int[] dim) -> Tensor")
def _lower_squeeze(g: Graph, a: A, src: str) -> Ref:
    shape = shape_of_ref(g, a.self)
    if "dim" not in a:
        dims = range(len(shape))
    else:
        dims = dim_list(a.dim if isinstance(a.dim, list) else [a.dim], len(shape))
    drop = {d for d in dims if shape and shape[d] == 1}
    return reshape(g, a.self, [s for i, s in enumerate(shape) if i not in drop], src)


@spellings("unsqueeze(Tensor self, int dim) -> Tensor")
def _lower_unsqueeze(g: Graph, a: A, src: str) -> Ref:
    shape = shape_of_ref(g, a.self)
    d = norm_dim(a.dim, len(shape) + 1)
    return reshape(g, a.self, shape[:d] + (1,) + shape[d:], src)


# ---------------------------------------------------------------------------------------------
# permute spellings


def _swap(ndim: int, d0: int, d1: int) -> list[int]:
    d0, d1 = norm_dim(d0, ndim), norm_dim(d1, ndim)
    perm = list(range(ndim))
    if ndim:  # a 0-d tensor accepts dims 0 and -1 and stays as it is
        perm[d0], perm[d1] = perm[d1], perm[d0]
    return perm


@spellings("transpose.int(Tensor self, int dim0, int dim1) -> Tensor",
           "swapdims(Tensor self, int dim0, int dim1) -> Tensor")
def _lower_transpose(g: Graph, a: A, src: str) -> Ref:
    return permute(g, a.self, _swap(len(shape_of_ref(g, a.self)), a.dim0, a.dim1), src)


@spellings("swapaxes(Tensor self, int axis0, int axis1) -> Tensor")
def _lower_swapaxes(g: Graph, a: A, src: str) -> Ref:
    return permute(g, a.self, _swap(len(shape_of_ref(g, a.self)), a.axis0, a.axis1), src)


@spellings("t(Tensor self) -> Tensor")
def _lower_t(g: Graph, a: A, src: str) -> Ref:
    ndim = len(shape_of_ref(g, a.self))
    if ndim > 2:
        raise ShapeError(f"expects a tensor with <= 2 dims, got {ndim}")
    return permute(g, a.self, list(range(ndim))[::-1], src)


@spellings("numpy_T(Tensor self) -> Tensor")
def _lower_numpy_t(g: Graph, a: A, src: str) -> Ref:
    return permute(g, a.self, list(range(len(shape_of_ref(g, a.self))))[::-1], src)


@spellings("movedim.int(Tensor self, int source, int destination) -> Tensor",
           "movedim.intlist(Tensor self, int[] source, int[] destination) -> Tensor",
           "moveaxis.int(Tensor self, int source, int destination) -> Tensor",
           "moveaxis.intlist(Tensor self, int[] source, int[] destination) -> Tensor")
def _lower_movedim(g: Graph, a: A, src: str) -> Ref:
    ndim = len(shape_of_ref(g, a.self))
    source = dim_list(a.source if isinstance(a.source, list) else [a.source], ndim)
    dest = dim_list(a.destination if isinstance(a.destination, list) else [a.destination], ndim)
    if len(source) != len(dest):
        raise ShapeError(f"source {a.source} and destination {a.destination} differ in length")
    perm: list[int | None] = [None] * ndim
    for s, d in zip(source, dest):
        perm[d] = s
    rest = iter(i for i in range(ndim) if i not in source)
    return permute(g, a.self, [next(rest) if p is None else p for p in perm], src)


# ---------------------------------------------------------------------------------------------
# slice spellings


@spellings("narrow(Tensor self, int dim, SymInt start, SymInt length) -> Tensor")
def _lower_narrow(g: Graph, a: A, src: str) -> Ref:
    shape = shape_of_ref(g, a.self)
    d = one_dim(shape, a.dim)
    if not -shape[d] <= a.start <= shape[d]:
        raise ShapeError(f"start {a.start} out of range for a dim of size {shape[d]}")
    start = a.start % shape[d] if a.start < 0 else a.start
    if a.length < 0 or start + a.length > shape[d]:
        raise ShapeError(f"start {a.start} + length {a.length} exceeds the size {shape[d]} of dim {d}")
    return slice_(g, a.self, d, start, start + a.length, 1, src)


def select(g: Graph, x: Ref, dim: int, index: int, src: str) -> Ref:
    shape = shape_of_ref(g, x)
    d = one_dim(shape, dim)
    if not -shape[d] <= index < shape[d]:
        raise ShapeError(f"index {index} out of range for dim {d} of size {shape[d]}")
    i = index % shape[d]
    return reshape(g, slice_(g, x, d, i, i + 1, 1, src), shape[:d] + shape[d + 1:], src)


@spellings("select.int(Tensor self, int dim, SymInt index) -> Tensor")
def _lower_select(g: Graph, a: A, src: str) -> Ref:
    return select(g, a.self, a.dim, a.index, src)


@spellings("diagonal(Tensor self, int offset=0, int dim1=0, int dim2=1) -> Tensor")
def _lower_diagonal(g: Graph, a: A, src: str) -> Ref:
    shape = shape_of_ref(g, a.self)
    d1, d2 = one_dim(shape, a.dim1), one_dim(shape, a.dim2)
    if d1 == d2:
        raise ShapeError(f"dim1 {a.dim1} and dim2 {a.dim2} are the same dim")
    rest = [i for i in range(len(shape)) if i not in (d1, d2)]
    rows, cols = shape[d1], shape[d2]
    # The diagonal of a row-major rows x cols matrix is every (cols+1)-th element of its flat view.
    if a.offset >= 0:
        start, length = a.offset, max(0, min(rows, cols - a.offset))
    else:
        start, length = -a.offset * cols, max(0, min(rows + a.offset, cols))
    end = start + (length - 1) * (cols + 1) + 1 if length else start
    x = permute(g, a.self, rest + [d1, d2], src)
    flat = reshape(g, x, [shape[i] for i in rest] + [rows * cols], src)
    return slice_(g, flat, -1, start, end, cols + 1, src)


# Canonical ops whose torch result may be a non-contiguous or offset view of its input.
_VIEW_OPS = ("permute", "slice", "expand", "split_with_sizes")


def _plain_storage(g: Graph, x: Ref) -> bool:
    """True when torch would hold `x` contiguously from storage offset 0 (as_strided addresses storage)."""
    if x.name in g.constants:
        data = g.constants[x.name]
        return getattr(data, "offset", 0) == 0 and data.is_contiguous()
    producer = next((n for n in reversed(g.nodes) if x.name in n.outputs), None)
    if producer is None:
        return True
    if producer.op == "reshape":
        return _plain_storage(g, producer.args["self"])
    return producer.op not in _VIEW_OPS


@spellings("as_strided(Tensor self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None) -> Tensor")
def _lower_as_strided(g: Graph, a: A, src: str) -> Ref:
    """Rewrite as reshape + slices + permute when that is provably the same view, else refuse.

    With the non-unit output dims sorted by stride, the strides (and a final 1) must each divide the
    one before: the flat data then reshapes to a grid with exactly those strides, the storage
    offset splits into a start index per grid dim, and the view is a window of that grid.
    """
    x, size, stride = a.self, list(a.size), list(a.stride)
    offset = a.storage_offset or 0

    def refuse(why: str) -> UnsupportedError:
        return UnsupportedError(f"as_strided {why}", [(f"as_strided(size={size}, stride={stride}, "
                                                       f"storage_offset={offset})", src)])

    total = numel(shape_of_ref(g, x))
    if len(size) != len(stride) or min(size + stride + [offset], default=0) < 0:
        raise ShapeError(f"size {size}, stride {stride} and offset {offset} do not describe a view")
    if not _plain_storage(g, x):
        raise refuse("of a view of other data is not supported")
    flat = reshape(g, x, [total], src)
    if numel(tuple(size)) == 0:
        return reshape(g, slice_(g, flat, 0, 0, 0, 1, src), size, src)
    dims = [i for i, s in enumerate(size) if s > 1]
    order = sorted(dims, key=lambda i: -stride[i])
    grid = [stride[i] for i in order]
    if grid[-1:] != [1]:
        grid.append(1)
    if min(grid) <= 0 or any(s <= t or s % t for s, t in zip(grid, grid[1:])):
        raise refuse("with overlapping or non-nesting strides is not supported")
    outer = total // grid[0]
    extents = [outer] + [s // t for s, t in zip(grid, grid[1:])]
    starts, rem = [], offset
    for s in grid:
        starts.append(rem // s)
        rem %= s
    lengths = [size[i] for i in order] + [1] * (len(grid) - len(order))
    if any(st + n > e for st, n, e in zip(starts, lengths, extents)):
        raise refuse("reaching outside the tensor's data is not supported")
    x = reshape(g, slice_(g, flat, 0, 0, outer * grid[0], 1, src), extents, src)
    for k, (st, n) in enumerate(zip(starts, lengths)):
        x = slice_(g, x, k, st, st + n, 1, src)
    x = reshape(g, x, [size[i] for i in order], src)
    x = permute(g, x, [order.index(i) for i in dims], src)
    return reshape(g, x, size, src)


# ---------------------------------------------------------------------------------------------
# split spellings


def _even_split(size: int, split_size: int) -> list[int]:
    """Sizes of split(split_size): full pieces then the remainder; one piece for an empty dim."""
    if split_size < 0 or (split_size == 0 and size):
        raise ShapeError(f"split_size {split_size} is invalid for a dim of size {size}")
    if size == 0:
        return [0]
    return [split_size] * (size // split_size) + ([size % split_size] if size % split_size else [])


@spellings("split.Tensor(Tensor self, SymInt split_size, int dim=0) -> Tensor[]",
           "unsafe_split.Tensor(Tensor self, SymInt split_size, int dim=0) -> Tensor[]")
def _lower_split(g: Graph, a: A, src: str) -> list[Ref]:
    shape = shape_of_ref(g, a.self)
    return split(g, a.self, _even_split(shape[one_dim(shape, a.dim)], a.split_size), a.dim, src)


@spellings("split.sizes(Tensor self, SymInt[] split_size, int dim=0) -> Tensor[]")
def _lower_split_sizes(g: Graph, a: A, src: str) -> list[Ref]:
    return split(g, a.self, list(a.split_size), a.dim, src)


@spellings("split(Tensor self, int[] split_sizes, int dim=0) -> Tensor[]",
           "unsafe_split_with_sizes(Tensor self, SymInt[] split_sizes, int dim=0) -> Tensor[]")
def _lower_split_with_sizes(g: Graph, a: A, src: str) -> list[Ref]:
    return split(g, a.self, list(a.split_sizes), a.dim, src)


@spellings("chunk(Tensor self, int chunks, int dim=0) -> Tensor[]",
           "unsafe_chunk(Tensor self, int chunks, int dim=0) -> Tensor[]")
def _lower_chunk(g: Graph, a: A, src: str) -> list[Ref]:
    shape = shape_of_ref(g, a.self)
    size = shape[one_dim(shape, a.dim)]
    if a.chunks <= 0:
        raise ShapeError(f"chunks must be positive, got {a.chunks}")
    if size == 0:  # torch returns `chunks` empty pieces here, not one
        return split(g, a.self, [0] * a.chunks, a.dim, src)
    return split(g, a.self, _even_split(size, -(-size // a.chunks)), a.dim, src)


@spellings("tensor_split.sections(Tensor self, SymInt sections, int dim=0) -> Tensor[]")
def _lower_tensor_split_sections(g: Graph, a: A, src: str) -> list[Ref]:
    shape = shape_of_ref(g, a.self)
    size = shape[one_dim(shape, a.dim)]
    if a.sections <= 0:
        raise ShapeError(f"sections must be positive, got {a.sections}")
    q, r = divmod(size, a.sections)
    return split(g, a.self, [q + 1] * r + [q] * (a.sections - r), a.dim, src)


@spellings("tensor_split.indices(Tensor self, SymInt[] indices, int dim=0) -> Tensor[]")
def _lower_tensor_split_indices(g: Graph, a: A, src: str) -> list[Ref]:
    # Pieces may overlap or be empty (indices need not increase), so each one is its own slice.
    bounds = [None] + list(a.indices) + [None]
    return [slice_(g, a.self, a.dim, s, e, 1, src) for s, e in zip(bounds, bounds[1:])]


@spellings("unbind.int(Tensor self, int dim=0) -> Tensor[]")
def _lower_unbind(g: Graph, a: A, src: str) -> list[Ref]:
    shape = shape_of_ref(g, a.self)
    d = one_dim(shape, a.dim)
    pieces = split(g, a.self, [1] * shape[d], d, src) if shape[d] else []
    return [reshape(g, p, shape[:d] + shape[d + 1:], src) for p in pieces]


# ---------------------------------------------------------------------------------------------
# cat spellings

alias("concat(Tensor[] tensors, int dim=0) -> Tensor", "cat")
alias("concatenate(Tensor[] tensors, int dim=0) -> Tensor", "cat")


@spellings("stack(Tensor[] tensors, int dim=0) -> Tensor")
def _lower_stack(g: Graph, a: A, src: str) -> Ref:
    shapes = [shape_of_ref(g, t) for t in a.tensors]
    if not shapes or any(s != shapes[0] for s in shapes):
        raise ShapeError(f"expects a non-empty list of equal shapes, got {[list(s) for s in shapes]}")
    d = norm_dim(a.dim, len(shapes[0]) + 1)
    new = shapes[0][:d] + (1,) + shapes[0][d:]
    return emit(g, "cat", src, [reshape(g, t, new, src) for t in a.tensors], d)[0]


@spellings("hstack(Tensor[] tensors) -> Tensor")
def _lower_hstack(g: Graph, a: A, src: str) -> Ref:
    # 1-d tensors join end to end; anything else along dim 1 (0-d tensors count as 1-d).
    xs = [t if shape_of_ref(g, t) else reshape(g, t, [1], src) for t in a.tensors]
    if not xs:
        raise ShapeError("expects a non-empty list of tensors")
    return cat(g, xs, 0 if all(len(shape_of_ref(g, t)) == 1 for t in xs) else 1, src)


@spellings("vstack(Tensor[] tensors) -> Tensor", "row_stack(Tensor[] tensors) -> Tensor")
def _lower_vstack(g: Graph, a: A, src: str) -> Ref:
    # 0-d and 1-d tensors become rows (torch.atleast_2d), then everything joins along dim 0.
    if not a.tensors:
        raise ShapeError("expects a non-empty list of tensors")
    xs = []
    for t in a.tensors:
        shape = shape_of_ref(g, t)
        xs.append(reshape(g, t, [1, numel(shape)], src) if len(shape) < 2 else t)
    return cat(g, xs, 0, src)


@spellings("roll(Tensor self, SymInt[1] shifts, int[1] dims=[]) -> Tensor")
def _lower_roll(g: Graph, a: A, src: str) -> Ref:
    shape = shape_of_ref(g, a.self)
    if not a.dims:
        if len(a.shifts) != 1:
            raise ShapeError(f"shifts {a.shifts} need dims")
        flat = reshape(g, a.self, [numel(shape)], src)
        return reshape(g, _roll(g, flat, a.shifts[0], 0, src), shape, src)
    if len(a.shifts) != len(a.dims):
        raise ShapeError(f"shifts {a.shifts} and dims {a.dims} differ in length")
    x = a.self
    for shift, dim in zip(a.shifts, a.dims):
        x = _roll(g, x, shift, dim, src)
    return x


def _roll(g: Graph, x: Ref, shift: int, dim: int, src: str) -> Ref:
    shape = shape_of_ref(g, x)
    d = one_dim(shape, dim)
    n = shape[d]
    if n == 0 or shift % n == 0:
        return x
    cut = n - shift % n
    return cat(g, [slice_(g, x, d, cut, n, 1, src), slice_(g, x, d, 0, cut, 1, src)], d, src)


# ---------------------------------------------------------------------------------------------
# expand spellings


@spellings("expand_as(Tensor self, Tensor other) -> Tensor")
def _lower_expand_as(g: Graph, a: A, src: str) -> Ref:
    return expand(g, a.self, list(shape_of_ref(g, a.other)), src)


@spellings("broadcast_to(Tensor self, SymInt[] size) -> Tensor")
def _lower_broadcast_to(g: Graph, a: A, src: str) -> Ref:
    return expand(g, a.self, list(a.size), src)


@spellings("copy(Tensor self, Tensor src, bool non_blocking=False) -> Tensor")
def _lower_copy(g: Graph, a: A, src: str) -> Ref:
    """self's shape and dtype with src's values: how core ATen spells an in-place write such as
    `x[:, 0] = v` (a copy into the slice, then a scatter back)."""
    out = expand(g, a.src, list(shape_of_ref(g, a.self)), src)
    dtype = g.meta(a.self).dtype
    return out if g.meta(out).dtype == dtype else emit(g, "_to_copy", src, out, dtype=dtype)[0]


@spellings("broadcast_tensors(Tensor[] tensors) -> Tensor[]")
def _lower_broadcast_tensors(g: Graph, a: A, src: str) -> list[Ref]:
    target = list(broadcast(*(shape_of_ref(g, t) for t in a.tensors)))
    return [expand(g, t, target, src) for t in a.tensors]


def _repeat(g: Graph, x: Ref, repeats: list[int], src: str) -> Ref:
    """Tile: view each dim s as (1, s), broadcast the 1 to r, and merge (r, s) back into r*s."""
    shape = shape_of_ref(g, x)
    if len(repeats) < len(shape) or any(r < 0 for r in repeats):
        raise ShapeError(f"repeats {repeats} are negative or fewer than the tensor's {len(shape)} dims")
    padded = (1,) * (len(repeats) - len(shape)) + shape
    split_shape: list[int] = []
    grown: list[int] = []
    for r, s in zip(repeats, padded):
        split_shape += [s] if r == 1 else [1, s]
        grown += [s] if r == 1 else [r, s]
    x = expand(g, reshape(g, x, split_shape, src), grown, src)
    return reshape(g, x, [r * s for r, s in zip(repeats, padded)], src)


@spellings("repeat(Tensor self, SymInt[] repeats) -> Tensor")
def _lower_repeat(g: Graph, a: A, src: str) -> Ref:
    return _repeat(g, a.self, list(a.repeats), src)


@spellings("tile(Tensor self, SymInt[] dims) -> Tensor")
def _lower_tile(g: Graph, a: A, src: str) -> Ref:
    ndim = len(shape_of_ref(g, a.self))
    return _repeat(g, a.self, [1] * (ndim - len(a.dims)) + list(a.dims), src)


@spellings("repeat_interleave.self_int(Tensor self, SymInt repeats, int? dim=None, *, "
           "SymInt? output_size=None) -> Tensor")
def _lower_repeat_interleave(g: Graph, a: A, src: str) -> Ref:
    x, dim = a.self, a.dim
    if dim is None:
        x, dim = reshape(g, x, [numel(shape_of_ref(g, x))], src), 0
    shape = shape_of_ref(g, x)
    d = one_dim(shape, dim)
    if a.repeats < 0:
        raise ShapeError(f"repeats must be non-negative, got {a.repeats}")
    x = reshape(g, x, shape[:d + 1] + (1,) + shape[d + 1:], src)
    x = expand(g, x, list(shape[:d + 1] + (a.repeats,) + shape[d + 1:]), src)
    return reshape(g, x, shape[:d] + (shape[d] * a.repeats,) + shape[d + 1:], src)


@spellings("repeat_interleave.self_Tensor(Tensor self, Tensor repeats, int? dim=None, *, "
           "SymInt? output_size=None) -> Tensor",
           "repeat_interleave.Tensor(Tensor repeats, *, SymInt? output_size=None) -> Tensor")
def _lower_repeat_interleave_tensor(g: Graph, a: A, src: str) -> Ref:
    raise UnsupportedError("output shape depends on tensor values",
                           [("repeat_interleave with a tensor of repeats", src)])


# ---------------------------------------------------------------------------------------------
# slice_scatter spellings


@spellings("select_scatter(Tensor self, Tensor src, int dim, SymInt index) -> Tensor")
def _lower_select_scatter(g: Graph, a: A, src: str) -> Ref:
    shape = shape_of_ref(g, a.self)
    d = one_dim(shape, a.dim)
    if not -shape[d] <= a.index < shape[d]:
        raise ShapeError(f"index {a.index} out of range for dim {d} of size {shape[d]}")
    i = a.index % shape[d]
    piece = reshape(g, a.src, shape[:d] + (1,) + shape[d + 1:], src)
    return emit(g, "slice_scatter", src, a.self, piece, d, i, i + 1, 1)[0]
