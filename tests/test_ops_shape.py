"""Parity of the shape ops (ops/shape.py) and of every spelling lowered onto them, against torch."""

from __future__ import annotations

import pytest
import torch
from parity import lower_metas, parity
from wasm_torch.errors import ShapeError, UnsupportedError
from wasm_torch.ir import Graph, Ref, TensorMeta
from wasm_torch.ops import registry

aten = torch.ops.aten
BIG = 9223372036854775807  # TorchScript's "to the end"
CANONICAL = {"reshape", "permute", "slice", "split_with_sizes", "cat", "expand", "flip", "slice_scatter"}


def r(*shape: int) -> torch.Tensor:
    return torch.randn(shape)


lower = lower_metas


def m(*shape: int) -> TensorMeta:
    return TensorMeta("float32", shape)


def exported(target: str) -> str:
    """The spelling that `lower_call(name, overload=...)` resolves an export target to."""
    name, _, overload = target.partition(".")
    return target if target in registry.LOWERINGS and overload != "default" else name


# ---------------------------------------------------------------------------------------------
# reshape and its spellings

RESHAPES = [((2, 3, 4), [6, -1]), ((7,), [7, 1]), ((1, 17), [-1]), ((3, 0, 2), [0, 6]), ((), [1]),
            ((2, 1, 3), [3, 2]), ((5, 3, 1), [1, -1, 3, 1]), ((1,), [])]


@pytest.mark.parametrize("shape,target", RESHAPES)
def test_reshape_view(shape, target):
    x = r(*shape)
    parity("reshape", aten.reshape, [x, target])
    parity("view", aten.view, [x, target])
    parity("_unsafe_view", aten._unsafe_view, [x, target])


def test_reshape_like():
    parity("view_as", aten.view_as, [r(2, 6), r(3, 4)])
    parity("reshape_as", aten.reshape_as, [r(3, 1, 7), r(7, 3)])
    parity("_reshape_alias", aten._reshape_alias, [r(6, 4), [4, 6], [6, 1]])


@pytest.mark.parametrize("start,end", [(0, -1), (1, -1), (1, 2), (-3, -2), (2, 2), (0, 0), (3, 3)])
def test_flatten(start, end):
    x = r(2, 3, 1, 5)
    parity("flatten", aten.flatten.using_ints, [x, start, end])
    parity("flatten.using_ints", aten.flatten.using_ints, [x], start_dim=start, end_dim=end)


def test_flatten_defaults_and_0d():
    parity("flatten", aten.flatten.using_ints, [r(2, 7, 3)])
    parity("flatten", aten.flatten.using_ints, [r(2, 7, 3), 1])
    parity("flatten", aten.flatten.using_ints, [r()])


@pytest.mark.parametrize("dim,sizes", [(1, [3, -1]), (-1, [2, 2]), (0, [1, 3]), (1, [12]), (2, [1, 4, 1])])
def test_unflatten(dim, sizes):
    x = r(3, 12, 4)
    parity("unflatten", aten.unflatten.int, [x, dim, sizes])
    parity("unflatten.int", aten.unflatten.int, [x, dim, sizes])


@pytest.mark.parametrize("shape", [(1, 3, 1, 7), (2, 1), (1,), (), (17, 3)])
def test_squeeze(shape):
    x = r(*shape)
    parity("squeeze", aten.squeeze.default, [x])
    for d in range(-len(shape), len(shape)) if shape else (0, -1):
        parity("squeeze", aten.squeeze.dim, [x, d])
        parity("squeeze.dim", aten.squeeze.dim, [x, d])
    if len(shape) >= 2:
        parity("squeeze", aten.squeeze.dims, [x, [0, -1]])
        parity("squeeze.dims", aten.squeeze.dims, [x, [-1, 0]])
    parity("squeeze.dims", aten.squeeze.dims, [x, []])


@pytest.mark.parametrize("shape", [(3, 7), (17,), (), (2, 1, 3)])
def test_unsqueeze(shape):
    x = r(*shape)
    for d in range(-len(shape) - 1, len(shape) + 1):
        parity("unsqueeze", aten.unsqueeze, [x, d])


# ---------------------------------------------------------------------------------------------
# permute and its spellings


@pytest.mark.parametrize("dims", [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 3, 1], [-1, 0, -3, 2], [1, 0, 3, 2]])
def test_permute(dims):
    x = r(2, 3, 7, 1)
    parity("permute", aten.permute, [x, dims])
    parity("permute", aten.permute, [x], dims=dims)


def test_permute_0d_and_int_dtype():
    parity("permute", aten.permute, [r(), []])
    parity("permute", aten.permute, [torch.randint(0, 9, (3, 4)), [1, 0]])


@pytest.mark.parametrize("d0,d1", [(0, 1), (1, 2), (-1, 0), (2, -2), (1, 1)])
def test_transpose_swap(d0, d1):
    x = r(3, 1, 7)
    parity("transpose", aten.transpose.int, [x, d0, d1])
    parity("transpose.int", aten.transpose.int, [x, d0, d1])
    parity("swapaxes", aten.swapaxes, [x, d0, d1])
    parity("swapdims", aten.swapdims, [x, d0, d1])


def test_transpose_0d():
    parity("transpose", aten.transpose.int, [r(), 0, -1])


@pytest.mark.parametrize("shape", [(3, 7), (17,), (), (1, 4)])
def test_t(shape):
    parity("t", aten.t, [r(*shape)])


@pytest.mark.parametrize("shape", [(3, 7, 2), (17,), (), (2, 1, 3, 4)])
def test_numpy_t(shape):
    parity("numpy_T", aten.numpy_T, [r(*shape)])


@pytest.mark.parametrize("src,dst", [(0, 2), (-1, 0), (1, 1), ([0, 1], [2, 3]), ([3, 0], [0, -1]), ([], [])])
def test_movedim(src, dst):
    x = r(2, 3, 5, 7)
    parity("movedim", aten.movedim.intlist if isinstance(src, list) else aten.movedim.int, [x, src, dst])
    parity("moveaxis", aten.moveaxis.intlist if isinstance(src, list) else aten.moveaxis.int, [x, src, dst])
    if isinstance(src, list):
        parity("movedim.intlist", aten.movedim.intlist, [x, src, dst])
    else:
        parity("movedim.int", aten.movedim.int, [x, src, dst])


# ---------------------------------------------------------------------------------------------
# slice and its spellings

SLICES = [(1, 0, BIG, 1), (1, None, None, 1), (1, 2, -3, 2), (-2, -5, None, 3), (1, 10, 2, 1),
          (1, 17, BIG, 1), (0, -100, 100, 4), (2, 1, 3, 1), (-1, 0, 1, 5), (0, None, -1, 1), (1, -1, None, 1)]


@pytest.mark.parametrize("dim,start,end,step", SLICES)
def test_slice(dim, start, end, step):
    x = r(3, 17, 4)
    parity("slice", aten.slice.Tensor, [x, dim, start, end, step])
    parity("slice", aten.slice.Tensor, [x], dim=dim, start=start, end=end, step=step)


def test_slice_defaults():
    parity("slice", aten.slice.Tensor, [r(7, 3)])
    parity("slice", aten.slice.Tensor, [r(7, 3), 1])
    parity("slice", aten.slice.Tensor, [r(0, 3), 0, 1, 5])


@pytest.mark.parametrize("dim,start,length", [(0, 0, 3), (1, 2, 4), (-1, -3, 2), (1, 7, 0), (0, -7, 7),
                                              (1, 0, 7)])
def test_narrow(dim, start, length):
    parity("narrow", aten.narrow, [r(7, 7, 3), dim, start, length])


@pytest.mark.parametrize("dim,index", [(0, 0), (0, -1), (1, 16), (-1, -3), (2, 2), (-3, 1)])
def test_select(dim, index):
    x = r(2, 17, 3)
    parity("select", aten.select.int, [x, dim, index])
    parity("select.int", aten.select.int, [x, dim, index])


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (2, 3, 4), (1, 7), (0, 3)])
@pytest.mark.parametrize("offset", [0, 1, -1, 2, -3, 9])
def test_diagonal(shape, offset):
    x = r(*shape)
    parity("diagonal", aten.diagonal, [x, offset])
    if len(shape) == 3:
        parity("diagonal", aten.diagonal, [x, offset, 2, 0])
        parity("diagonal", aten.diagonal, [x, offset, -1, 1])
    else:
        parity("diagonal", aten.diagonal, [x, offset, 1, 0])


AS_STRIDED = [
    ((4, 6), [4, 3], [6, 1], 2),        # a column window
    ((4, 6), [2, 12], [12, 1], 0),      # a reshape
    ((4, 6), [6, 4], [1, 6], 0),        # a transpose
    ((17,), [5], [3], 1),               # step 3
    ((2, 3, 4), [2, 2, 2], [12, 4, 2], 1),
    ((2, 3, 4), [3, 1, 4], [4, 99, 1], 8),  # size-1 dims take any stride
    ((3, 7), [1], [1], 20),
    ((3, 7), [], [], 5),
    ((3, 7), [0, 2], [1, 1], 0),
    ((6, 5), [3, 2], [10, 2], None),
]


@pytest.mark.parametrize("shape,size,stride,offset", AS_STRIDED)
def test_as_strided(shape, size, stride, offset):
    parity("as_strided", aten.as_strided, [r(*shape), size, stride, offset])


def test_as_strided_refuses_unprovable():
    for size, stride in (([3, 3], [1, 1]), ([2, 4], [0, 1]), ([4, 4], [4, 1])):  # overlap, broadcast, outside
        with pytest.raises(UnsupportedError, match="as_strided"):
            lower("as_strided", m(3, 4), size, stride)
    g = Graph()
    xt = registry.lower_call(g, "t", [g.add_input("x", m(3, 4))], {})[0]
    with pytest.raises(UnsupportedError, match="as_strided"):  # torch addresses t()'s storage, not ours
        registry.lower_call(g, "as_strided", [xt, [4, 3], [3, 1]], {}, "test")


# ---------------------------------------------------------------------------------------------
# split_with_sizes and its spellings


@pytest.mark.parametrize("shape,size,dim", [((7, 3), 2, 0), ((2, 17), 4, -1), ((3, 5), 5, 1), ((3, 5), 9, 1),
                                            ((0, 3), 2, 0), ((1, 3, 7), 1, 2)])
def test_split_int(shape, size, dim):
    x = r(*shape)
    parity("split", aten.split.Tensor, [x, size, dim])
    parity("split.Tensor", aten.split.Tensor, [x, size, dim])
    parity("unsafe_split", aten.unsafe_split.Tensor, [x, size, dim])


@pytest.mark.parametrize("sizes,dim", [([2, 5], 1), ([7], -1), ([0, 3, 4], 1), ([1, 1, 5], -1)])
def test_split_sizes(sizes, dim):
    x = r(3, 7)
    parity("split", aten.split.sizes, [x, sizes, dim])
    parity("split.sizes", aten.split.sizes, [x, sizes, dim])
    parity("split_with_sizes", aten.split_with_sizes, [x, sizes, dim])
    parity("unsafe_split_with_sizes", aten.unsafe_split_with_sizes, [x, sizes, dim])


def test_split_default_dim():
    parity("split", aten.split.Tensor, [r(7, 2), 3])
    parity("split_with_sizes", aten.split_with_sizes, [r(7, 2), [3, 4]])


@pytest.mark.parametrize("shape,chunks,dim", [((5, 2), 3, 0), ((6, 2), 4, 0), ((2, 2), 4, 0),
                                              ((3, 17), 5, -1), ((0, 3), 3, 0), ((7,), 1, 0), ((7, 3), 7, 0)])
def test_chunk(shape, chunks, dim):
    x = r(*shape)
    parity("chunk", aten.chunk, [x, chunks, dim])
    parity("unsafe_chunk", aten.unsafe_chunk, [x, chunks, dim])


@pytest.mark.parametrize("arg", [3, 1, 8, [2, 5], [5, 2], [-2, 100], [], [0, 0, 3]])
def test_tensor_split(arg):
    x = r(7, 3)
    fn = aten.tensor_split.sections if isinstance(arg, int) else aten.tensor_split.indices
    parity("tensor_split", fn, [x, arg])
    parity("tensor_split", fn, [x.t().contiguous(), arg, -1])


@pytest.mark.parametrize("shape,dim", [((3, 7), 0), ((3, 7), 1), ((2, 1, 3), -2), ((0, 3), 0), ((4,), 0)])
def test_unbind(shape, dim):
    x = r(*shape)
    parity("unbind", aten.unbind.int, [x, dim])
    parity("unbind.int", aten.unbind.int, [x, dim])


# ---------------------------------------------------------------------------------------------
# cat and its spellings


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_cat(dim):
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for i, s in enumerate(shapes):
        s[dim] = (1, 7, 0)[i]
    xs = [r(*s) for s in shapes]
    parity("cat", aten.cat, [xs, dim])
    parity("concat", aten.concat, [xs, dim])
    parity("concatenate", aten.concatenate, [xs, dim])


def test_cat_promotion_and_legacy_empty():
    parity("cat", aten.cat, [[r(2, 3), torch.randint(0, 5, (1, 3))]])
    parity("cat", aten.cat, [[r(2, 3), torch.empty(0), r(1, 3)]])
    parity("cat", aten.cat, [[r(2, 3), torch.empty(0, dtype=torch.float64)], 1])
    parity("cat", aten.cat, [[torch.empty(0), torch.empty(0)]])
    parity("cat", aten.cat, [[r(17)]])
    parity("cat", aten.cat, [[torch.ones(2, dtype=torch.bool), torch.zeros(3, dtype=torch.bool)]])


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_stack(dim):
    xs = [r(3, 7) for _ in range(3)]
    parity("stack", aten.stack, [xs, dim])
    parity("stack", aten.stack, [[r(1, 1), torch.randint(0, 3, (1, 1))], dim])


def test_stack_0d():
    parity("stack", aten.stack, [[r(), r()]])


@pytest.mark.parametrize("shifts,dims", [([1], [0]), ([-1, 2], [0, 1]), ([5], []), ([3], [-1]),
                                         ([17, 0], [1, 0]), ([-8], []), ([2, 1], [1, 1])])
def test_roll(shifts, dims):
    parity("roll", aten.roll, [r(3, 7), shifts, dims])


def test_roll_defaults_and_empty():
    parity("roll", aten.roll, [r(2, 3), [2]])
    parity("roll", aten.roll, [r(0, 3), [1], [0]])
    parity("roll", aten.roll, [r(), [1]])


# ---------------------------------------------------------------------------------------------
# expand and its spellings


@pytest.mark.parametrize("shape,size", [((3, 1), [3, 7]), ((1,), [2, 3, 17]), ((2, 1, 3), [-1, 4, -1]),
                                        ((1, 3), [2, 5, -1, 3]), ((), [3, 2]), ((3, 1), [3, 0]),
                                        ((2, 3), [2, 3])])
def test_expand(shape, size):
    x = r(*shape)
    parity("expand", aten.expand, [x, size])
    parity("expand", aten.expand, [x, size], implicit=False)
    parity("broadcast_to", aten.broadcast_to, [x, size])


def test_expand_as_and_broadcast_tensors():
    parity("expand_as", aten.expand_as, [r(3, 1), r(2, 3, 7)])
    parity("broadcast_tensors", aten.broadcast_tensors, [[r(3, 1), r(2, 1, 7), r(7)]])
    parity("broadcast_tensors", aten.broadcast_tensors, [[r(3, 1)]])


def test_copy():
    parity("copy", aten.copy, [r(3, 7), r(7)])
    parity("copy", aten.copy, [r(2, 3), torch.tensor(0.5)])
    parity("copy", aten.copy, [r(2, 3), torch.randint(0, 9, (2, 3))])
    parity("copy", aten.copy, [torch.randint(0, 9, (2, 1, 3)), r(3)], non_blocking=False)


@pytest.mark.parametrize("shape,repeats", [((2, 3), [2, 1]), ((3,), [2, 3]), ((1, 7), [3, 1, 2]),
                                           ((2, 3), [1, 1]), ((), [4]), ((2, 3), [0, 2]),
                                           ((3, 1, 2), [2, 2, 2])])
def test_repeat(shape, repeats):
    parity("repeat", aten.repeat, [r(*shape), repeats])


@pytest.mark.parametrize("shape,dims", [((2, 3), [2]), ((3,), [2, 3]), ((1, 7), [3, 1, 2]),
                                        ((2, 3, 4), [2, 1])])
def test_tile(shape, dims):
    parity("tile", aten.tile, [r(*shape), dims])


@pytest.mark.parametrize("shape,repeats,dim", [((2, 3), 2, 0), ((2, 3), 3, 1), ((2, 3), 2, None),
                                               ((7,), 1, 0), ((2, 3, 4), 3, -2), ((2, 3), 0, 1),
                                               ((), 3, None)])
def test_repeat_interleave(shape, repeats, dim):
    x = r(*shape)
    parity("repeat_interleave", aten.repeat_interleave.self_int, [x, repeats, dim])
    parity("repeat_interleave.self_int", aten.repeat_interleave.self_int, [x, repeats], dim=dim)


# ---------------------------------------------------------------------------------------------
# flip, slice_scatter, select_scatter


@pytest.mark.parametrize("dims", [[0], [1, 2], [-1], [0, 1, 2], []])
def test_flip(dims):
    parity("flip", aten.flip, [r(3, 7, 2), dims])


def test_flip_0d_and_int():
    parity("flip", aten.flip, [r(), [0]])
    parity("flip", aten.flip, [torch.randint(-5, 5, (4, 3)), [-1, 0]])


@pytest.mark.parametrize("dim,start,end,step", [(0, 0, 2, 1), (1, 1, None, 2), (1, None, -2, 3),
                                                (-1, 3, BIG, 1), (1, 5, 2, 1)])
def test_slice_scatter(dim, start, end, step):
    x = r(3, 7)
    piece = torch.ops.aten.slice.Tensor(x, dim, start, end, step)
    parity("slice_scatter", aten.slice_scatter, [x, r(*piece.shape), dim, start, end, step])


@pytest.mark.parametrize("dim,index", [(0, 1), (1, -1), (-1, 0), (0, -3)])
def test_select_scatter(dim, index):
    x = r(3, 7)
    src = r(7) if dim == 0 else r(3)
    parity("select_scatter", aten.select_scatter, [x, src, dim, index])


# ---------------------------------------------------------------------------------------------
# no-ops


def test_noops_emit_nothing():
    x = r(3, 7)
    for op, fn in (("contiguous", aten.contiguous), ("clone", aten.clone), ("alias", aten.alias),
                   ("detach", aten.detach), ("detach_", aten.detach_), ("lift_fresh", aten.lift_fresh),
                   ("lift_fresh_copy", aten.lift_fresh_copy)):
        parity(op, fn, [x])
        g, outs = lower(op, m(3, 7))
        assert outs == [Ref("in0")] and not g.nodes
    parity("clone", aten.clone, [x], memory_format=torch.contiguous_format)
    g, outs = lower("contiguous", m(3, 7), memory_format=0)  # TorchScript's spelling
    assert outs[0].name == "in0" and not g.nodes


def test_assert_tensor_metadata():
    g, outs = lower("_assert_tensor_metadata", m(3, 7), [3, 7], None, "float32", overload="default")
    assert outs == [] and not g.nodes
    lower("_assert_tensor_metadata", m(3, 7), dtype="float32", device="cpu", layout=None)
    with pytest.raises(ShapeError, match="_assert_tensor_metadata"):
        lower("_assert_tensor_metadata", m(3, 7), [7, 3])


# ---------------------------------------------------------------------------------------------
# export targets (keyword arguments named by the schema, as .pt2 files give them)

EXPORT_CASES = [
    ("view.default", dict(self=r(2, 6), size=[3, -1])),
    ("_unsafe_view.default", dict(self=r(2, 6), size=[12])),
    ("reshape.default", dict(self=r(2, 6), shape=[-1, 2])),
    ("permute.default", dict(self=r(2, 6, 3), dims=[2, 0, 1])),
    ("transpose.int", dict(self=r(2, 6, 3), dim0=-1, dim1=0)),
    ("t.default", dict(self=r(2, 6))),
    ("unsqueeze.default", dict(self=r(2, 6), dim=-1)),
    ("squeeze.dim", dict(self=r(2, 1, 6), dim=1)),
    ("squeeze.dims", dict(self=r(1, 2, 1, 6), dim=[0, 2])),
    ("squeeze.default", dict(self=r(1, 2, 1, 6))),
    ("slice.Tensor", dict(self=r(2, 6), dim=1, start=None, end=BIG)),
    ("slice.Tensor", dict(self=r(2, 6), dim=1, start=1, end=-1, step=2)),
    ("select.int", dict(self=r(2, 6), dim=1, index=-2)),
    ("split.Tensor", dict(self=r(2, 7), split_size=3, dim=1)),
    ("split_with_sizes.default", dict(self=r(2, 7), split_sizes=[3, 4], dim=-1)),
    ("unbind.int", dict(self=r(2, 7))),
    ("chunk.default", dict(self=r(2, 7), chunks=3, dim=1)),
    ("cat.default", dict(tensors=[r(2, 7), r(2, 1)], dim=1)),
    ("stack.default", dict(tensors=[r(2, 7), r(2, 7)], dim=2)),
    ("expand.default", dict(self=r(2, 1), size=[3, -1, 5])),
    ("repeat.default", dict(self=r(2, 1), repeats=[1, 2, 3])),
    ("clone.default", dict(self=r(2, 1), memory_format=torch.contiguous_format)),
    ("flatten.using_ints", dict(self=r(2, 3, 4), start_dim=1)),
    ("unflatten.int", dict(self=r(2, 12), dim=1, sizes=[3, 4])),
    ("roll.default", dict(self=r(2, 7), shifts=[3], dims=[1])),
    ("flip.default", dict(self=r(2, 7), dims=[1])),
    ("narrow.default", dict(self=r(2, 7), dim=1, start=2, length=3)),
    ("repeat_interleave.self_int", dict(self=r(2, 7), repeats=2, dim=0)),
    ("as_strided.default", dict(self=r(4, 6), size=[3, 3], stride=[6, 2], storage_offset=1)),
    ("alias.default", dict(self=r(2, 7))),
    ("lift_fresh_copy.default", dict(self=r(2, 7))),
    ("detach.default", dict(self=r(2, 7))),
    ("contiguous.default", dict(self=r(2, 7))),
    ("slice_scatter.default", dict(self=r(2, 7), src=r(2, 3), dim=1, start=4)),
    ("select_scatter.default", dict(self=r(2, 7), src=r(7), dim=0, index=1)),
    ("diagonal.default", dict(self=r(3, 4), offset=1)),
    ("expand_as.default", dict(self=r(3, 1), other=r(3, 4))),
    ("view_as.default", dict(self=r(3, 4), other=r(4, 3))),
    ("copy.default", dict(self=r(3, 4), src=r(4))),
]


@pytest.mark.parametrize("target,kwargs", EXPORT_CASES, ids=[c[0] for c in EXPORT_CASES])
def test_export_targets(target, kwargs):
    name, _, overload = target.partition(".")
    assert registry.find_lowering(name, overload) or registry.find_lowering(name)
    parity(exported(target), getattr(getattr(aten, name), overload), [], **kwargs)


# ---------------------------------------------------------------------------------------------
# lowerings use only canonical ops; bad calls raise WasmTorchError subclasses

SPELLINGS = [
    ("view", m(2, 6), [3, 4]), ("flatten", m(2, 3, 4), 1), ("unflatten", m(2, 12), 1, [3, -1]),
    ("squeeze", m(1, 3)), ("unsqueeze", m(3), 0), ("transpose", m(2, 3), 0, 1), ("t", m(2, 3)),
    ("movedim", m(2, 3, 4), 0, 2), ("narrow", m(7, 3), 0, 1, 2), ("select", m(7, 3), 0, 1),
    ("diagonal", m(3, 4)), ("as_strided", m(4, 6), [3, 3], [6, 2], 1), ("split", m(7,), 2),
    ("chunk", m(7,), 3), ("unbind", m(3, 2)), ("tensor_split", m(7,), [2, 5]), ("stack", [m(3), m(3)]),
    ("roll", m(3, 4), [1], [0]), ("repeat", m(2, 3), [2, 2]), ("tile", m(2, 3), [2]),
    ("repeat_interleave", m(2, 3), 2), ("expand_as", m(3, 1), m(3, 4)), ("broadcast_to", m(3, 1), [3, 4]),
    ("select_scatter", m(2, 3), m(3), 0, 1), ("concat", [m(1, 3), m(2, 3)]),
]


@pytest.mark.parametrize("case", SPELLINGS, ids=[c[0] for c in SPELLINGS])
def test_spellings_emit_canonical_ops(case):
    g, _ = lower(*case)
    assert g.nodes and {n.op for n in g.nodes} <= CANONICAL


def test_view_and_squeeze_lower_to_one_reshape():
    for case in (("view", m(2, 6), [3, -1]), ("squeeze", m(1, 3, 1)), ("flatten", m(2, 3, 4)),
                 ("unsqueeze", m(3), -1)):
        g, _ = lower(*case)
        assert [n.op for n in g.nodes] == ["reshape"] and -1 not in g.nodes[0].args["shape"]


BAD = [
    ("view", m(2, 6), [5, -1]), ("view", m(2, 6), [-1, -1]), ("reshape", m(2, 6), [7]),
    ("permute", m(2, 3), [0, 0]), ("permute", m(2, 3), [0]), ("transpose", m(2, 3), 0, 2), ("t", m(2, 3, 4)),
    ("slice", m(2, 3), 1, 0, 3, 0), ("slice", m(), 0), ("narrow", m(7,), 0, 5, 3),
    ("narrow", m(7,), 0, -8, 1),
    ("select", m(7,), 0, 7), ("select", m(), 0, 0), ("split", m(7,), [3, 3]), ("split", m(7,), 0),
    ("chunk", m(7,), 0), ("cat", [m(2, 3), m(2, 4)]), ("cat", [m(), m()]), ("stack", [m(2), m(3)]),
    ("expand", m(2, 3), [3, 3]), ("expand", m(2, 3), [-1, 2, 3]), ("expand", m(2, 3), [3]),
    ("repeat", m(2, 3), [2]), ("flip", m(2, 3), [0, -2]), ("unsqueeze", m(2), 2), ("squeeze", m(2), 1),
    ("movedim", m(2, 3), [0, 1], [0]), ("diagonal", m(3, 3), 0, 1, -1), ("flatten", m(2, 3, 4), 2, 1),
    ("unflatten", m(2, 12), 1, [5, -1]), ("roll", m(3,), [1, 2]),
    ("slice_scatter", m(3, 4), m(2, 4), 0, 0, 1), ("repeat_interleave", m(2, 3), -1),
    ("tensor_split", m(3,), 0), ("unbind", m(), 0), ("view_as", m(2, 3), m(7)),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_calls_raise_shape_errors(case):
    with pytest.raises(ShapeError, match="test"):
        lower(*case)


def test_data_dependent_repeat_interleave_is_unsupported():
    g = Graph()
    x, reps = g.add_input("x", m(3)), g.add_input("r", TensorMeta("int64", (3,)))
    with pytest.raises(UnsupportedError, match="repeat_interleave"):
        registry.lower_call(g, "repeat_interleave", [x, reps], {}, "test")
    with pytest.raises(UnsupportedError, match="repeat_interleave"):
        registry.lower_call(g, "repeat_interleave", [reps], {}, "test", "Tensor")


@pytest.mark.parametrize("shapes", [[(3,), (4,)], [(2, 3), (2, 1)], [(), (2,)], [(2, 1, 3), (2, 4, 3)]])
def test_hstack(shapes):
    parity("hstack", torch.hstack, [[torch.randn(s) for s in shapes]])


@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (1, 3)], [(), ()], [(1, 2, 3), (4, 2, 3)]])
def test_vstack(shapes):
    parity("vstack", torch.vstack, [[torch.randn(s) for s in shapes]])
    parity("row_stack", torch.row_stack, [[torch.randn(s) for s in shapes]])
