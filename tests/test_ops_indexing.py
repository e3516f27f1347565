"""Parity of the indexing ops (ops/indexing.py) and of every spelling lowered onto them, against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from parity import close, lower_metas, parity, to_numpy
from wasm_torch.errors import ShapeError, UnsupportedError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry
from wasm_torch.runtime.reference import run_graph

aten = torch.ops.aten
CANONICAL = {"index", "index_put", "gather", "scatter", "scatter_reduce", "sort", "topk", "reshape"}


def r(*shape: int) -> torch.Tensor:
    return torch.randn(shape)


def ids(high: int, *shape: int, low: int | None = None, dtype: torch.dtype = torch.int64) -> torch.Tensor:
    """Random indices in [low, high); low defaults to -high (negative indices wrap)."""
    return torch.randint(-high if low is None else low, high, shape, dtype=dtype)


def unique_ids(size: int, shape: tuple[int, ...], dim: int) -> torch.Tensor:
    """Indices along `dim` without repeats within each line (plain scatter is undefined on repeats)."""
    full = list(shape)
    full[dim] = size
    return torch.rand(full).argsort(dim=dim).narrow(dim, 0, shape[dim])


def lower(op: str, *args: object, overload: str = "", **kwargs: object) -> Graph:
    return lower_metas(op, *args, overload=overload, **kwargs)[0]


def f32(*shape: int) -> TensorMeta:
    return TensorMeta("float32", shape)


def i64(*shape: int) -> TensorMeta:
    return TensorMeta("int64", shape)


def exported(target: str) -> str:
    """The spelling that `lower_call(name, overload=...)` resolves an export target to."""
    name, _, overload = target.partition(".")
    return target if target in registry.LOWERINGS and overload != "default" else name


def inplace(fn):
    """torch's in-place ops write into their input, which parity shares with our run: copy first."""

    def call(*args, **kwargs):
        if args:
            return fn(args[0].clone(), *args[1:], **kwargs)
        return fn(**{**kwargs, "self": kwargs["self"].clone()})

    return call


# ---------------------------------------------------------------------------------------------
# index (advanced indexing)

INDEX_CASES = [
    lambda: [ids(3, 4)],                                    # front, negative indices
    lambda: [None, ids(7, 4)],                              # None in front
    lambda: [None, None, ids(5, 2, 3)],                     # 2-d index tensor at the back
    lambda: [ids(3, 4, 1), ids(7, 1, 3)],                   # broadcasting, adjacent
    lambda: [None, ids(7, 4, 1), ids(5, 3)],                # adjacent after a None
    lambda: [ids(3, 4), None, ids(5, 4)],                   # separated by a None: result dims first
    lambda: [ids(3, 2, 1), None, ids(5, 3)],
    lambda: [ids(3)],                                   # 0-d index drops the dim
    lambda: [ids(3), None, ids(5, 2)],
    lambda: [None, ids(7, 0)],                              # empty index
    lambda: [ids(3, 4, dtype=torch.int32), ids(7, 4, dtype=torch.int32)],
    lambda: [ids(3, 2), ids(7, 2), ids(5, 2)],              # every dim indexed
]


@pytest.mark.parametrize("make", INDEX_CASES)
def test_index(make):
    x = r(3, 7, 5)
    parity("index", aten.index.Tensor, [x, make()])


def test_index_dtypes_and_twin():
    parity("index", aten.index.Tensor, [torch.randint(0, 9, (2, 17)), [None, ids(17, 3)]])
    parity("index", aten.index.Tensor, [torch.rand(7) > 0.5, [ids(7, 7)]])
    parity("index.Tensor_hacked_twin", aten.index.Tensor_hacked_twin, [r(3, 7), [ids(3, 2), ids(7, 2)]])


def test_index_bool_mask_is_unsupported():
    with pytest.raises(UnsupportedError, match="boolean mask"):
        lower("index", f32(3, 4), [TensorMeta("bool", (3, 4))])
    with pytest.raises(UnsupportedError, match="boolean mask"):
        lower("index", f32(3, 4), [None, TensorMeta("uint8", (4,))])


# ---------------------------------------------------------------------------------------------
# index_put


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put(accumulate):
    x = r(3, 7, 5)
    perm = torch.randperm(7)[:4]
    parity("index_put", aten.index_put, [x, [None, perm], r(3, 4, 5), accumulate])
    t = torch.tensor
    # negative indices with broadcast values; a None between indices; broadcast index tensors
    parity("index_put", aten.index_put, [x, [None, perm - 7], r(5), accumulate])
    parity("index_put", aten.index_put, [x, [t([0, -1]), None, t([4, 0])], r(2, 7), accumulate])
    parity("index_put", aten.index_put, [x, [t([[0], [2]]), t([1, 3, 6])], t(2.5), accumulate])
    # bool masks: the output shape is still self's
    parity("index_put", aten.index_put, [x, [r(3, 7) > 0], r(5), accumulate])
    parity("index_put", aten.index_put, [x, [None, t([True, False] * 3 + [True])], t(1.0), accumulate])
    parity("index_put_", inplace(aten.index_put_), [x, [ids(3, 2, low=0)], r(1, 5), accumulate])


def test_index_put_accumulates_repeats():
    t = torch.tensor
    parity("index_put", aten.index_put, [r(4, 3), [t([1, 1, 3, 1, -3])], r(5, 3), True])
    ints = torch.randint(0, 9, (40,))
    parity("index_put", aten.index_put, [torch.randint(0, 9, (17,)), [ids(17, 40)], ints, True])
    parity("index_put.hacked_twin", aten.index_put.hacked_twin, [r(4, 3), [t([2, 2])], r(2, 3), True])
    parity("index_put_.hacked_twin", inplace(aten.index_put_.hacked_twin), [r(4, 3), [t([0])], r(3), False])


# ---------------------------------------------------------------------------------------------
# index_select, embedding, take


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_index_select(dim):
    x = r(3, 7, 5)
    size = x.shape[dim]
    parity("index_select", aten.index_select, [x, dim, ids(size, 6, low=0)])
    parity("index_select", aten.index_select, [x, dim, ids(size, low=0)])
    parity("index_select", aten.index_select, [x, dim, ids(size, 4, low=0, dtype=torch.int32)])
    parity("index_select", aten.index_select, [x, dim, ids(size, 0, low=0)])


def test_embedding():
    w = r(17, 5)
    parity("embedding", aten.embedding, [w, ids(17, 2, 7, low=0)])
    parity("embedding", aten.embedding, [w, ids(17, 3, low=0), 0, False, False])  # TorchScript's full call
    parity("embedding", aten.embedding, [w, ids(17, low=0)], padding_idx=3)
    parity("embedding", aten.embedding, [w, ids(17, 2, 3, 1, low=0, dtype=torch.int32)])


def test_take():
    parity("take", aten.take, [r(3, 7), ids(21, 2, 5)])
    parity("take", aten.take, [r(17), ids(17)])


# ---------------------------------------------------------------------------------------------
# gather


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(dim):
    x = r(3, 7, 5)
    size = x.shape[dim]
    parity("gather", aten.gather, [x, dim, ids(size, 3, 7, 5, low=0)])
    parity("gather", aten.gather, [x, dim, ids(size, 2, 4, 1, low=0)])          # smaller than self elsewhere
    parity("gather", aten.gather, [x, dim, ids(size, 3, 9, 5, low=0)[:, :7] if dim == 1 else
                                   ids(size, 1, 1, 5, low=0)])
    parity("gather", aten.gather, [x, dim, ids(size, 3, 0, 5, low=0)])          # empty
    parity("gather", aten.gather, [x, dim, ids(size, 3, 7, 5, low=0, dtype=torch.int32)], sparse_grad=False)


def test_gather_small():
    parity("gather", aten.gather, [r(17), 0, ids(17, 40, low=0)])
    parity("gather", aten.gather, [torch.tensor(5.0), 0, torch.tensor(0)])
    parity("gather", aten.gather, [torch.randint(0, 9, (2, 3)), 1, ids(3, 2, 2, low=0)])


# ---------------------------------------------------------------------------------------------
# scatter family


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter(dim):
    x = r(3, 7, 5)
    shape = [2, 3, 4]
    shape[dim] = min(shape[dim], x.shape[dim])
    index = unique_ids(x.shape[dim], tuple(shape), dim)
    parity("scatter", aten.scatter.src, [x, dim, index, r(3, 4, 5)])                  # src larger than index
    parity("scatter", aten.scatter.value, [x, dim, index, 1.5])
    parity("scatter.value", aten.scatter.value, [x, dim, index, -2])
    parity("scatter_", inplace(aten.scatter_.src), [x, dim, index, r(*shape)])
    parity("scatter_", inplace(aten.scatter_.value), [x, dim, index, 0.25])


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_reduce_spellings(reduce):
    x, index = r(3, 7), ids(7, 3, 9, low=0)
    parity("scatter", aten.scatter.reduce, [x, 1, index, r(3, 9)], reduce=reduce)
    parity("scatter.reduce", aten.scatter.reduce, [x, 1, index, r(3, 9)], reduce=reduce)
    parity("scatter", aten.scatter.value_reduce, [x, 1, index, 1.5], reduce=reduce)
    parity("scatter_", inplace(aten.scatter_.reduce), [x, 1, index, r(3, 9)], reduce=reduce)


def test_scatter_add():
    x = r(3, 7)
    parity("scatter_add", aten.scatter_add, [x, 1, ids(7, 3, 20, low=0), r(3, 20)])
    parity("scatter_add", aten.scatter_add, [x, 0, ids(3, 2, 7, low=0), r(4, 7)])
    parity("scatter_add", aten.scatter_add, [torch.randint(0, 5, (17,)), 0, ids(17, 30, low=0),
                                             torch.randint(0, 5, (30,))])
    parity("scatter_add_", inplace(aten.scatter_add_), [x, -1, ids(7, 3, 4, low=0), r(3, 4)])


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    x = r(3, 7)
    parity("scatter_reduce", aten.scatter_reduce.two, [x, 1, ids(7, 3, 11, low=0), r(3, 11), reduce],
           include_self=include_self)
    parity("scatter_reduce", aten.scatter_reduce.two, [x, 0, ids(3, 2, 7, low=0), r(2, 7), reduce],
           include_self=include_self)
    xi, si = torch.randint(-9, 9, (17,)), torch.randint(-9, 9, (23,))
    parity("scatter_reduce", aten.scatter_reduce.two, [xi, 0, ids(17, 23, low=0), si, reduce],
           include_self=include_self)


# ---------------------------------------------------------------------------------------------
# sort, argsort, topk


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort(dim, descending):
    x = r(3, 17, 4)
    parity("sort", aten.sort.default, [x, dim, descending])
    parity("argsort", aten.argsort.default, [x, dim, descending])
    ties = torch.randint(0, 3, (3, 17, 4))  # only the stable sort defines the order of ties
    parity("sort", aten.sort.stable, [ties], stable=True, dim=dim, descending=descending)
    parity("sort.stable", aten.sort.stable, [ties.float()], stable=True, dim=dim, descending=descending)
    parity("argsort", aten.argsort.stable, [ties], stable=True, dim=dim, descending=descending)
    parity("argsort.stable", aten.argsort.stable, [ties], stable=True, dim=dim, descending=descending)


def test_sort_defaults_nan_bool_0d():
    parity("sort", aten.sort.default, [r(7, 3)])
    nan = torch.tensor([3.0, float("nan"), 1.0, 3.0, float("nan"), -2.0])
    for descending in (False, True):
        parity("sort", aten.sort.stable, [nan], stable=True, descending=descending)
    parity("sort", aten.sort.stable, [torch.rand(9) > 0.5], stable=True, descending=True)
    parity("sort", aten.sort.default, [torch.tensor(3.0)])
    parity("argsort", aten.argsort.default, [r(1)])


@pytest.mark.parametrize("k,dim", [(1, -1), (3, -1), (7, 1), (0, 1), (2, 0), (4, 2)])
@pytest.mark.parametrize("largest", [True, False])
def test_topk(k, dim, largest):
    x = r(3, 7, 5)
    parity("topk", aten.topk, [x, k, dim, largest, True])
    parity("topk", aten.topk, [x, k], dim=dim, largest=largest)


def test_topk_default_and_0d():
    parity("topk", aten.topk, [r(2, 17), 5])
    parity("topk", aten.topk, [torch.tensor(3.0), 1])
    parity("topk", aten.topk, [torch.randperm(17), 4])


def test_topk_unsorted_returns_the_same_set():
    x = r(3, 17)
    g = Graph()
    outs = registry.lower_call(g, "topk", [g.add_input("x", f32(3, 17)), 5, 1, True, False], {})
    g.outputs = [o.name for o in outs]
    values, indices = run_graph(g, [x.numpy()])
    want = torch.topk(x, 5, 1, True, False)
    assert close(np.sort(values, 1), to_numpy(want.values.sort(1).values))[0]
    assert np.array_equal(np.take_along_axis(x.numpy(), indices, 1), values)


# ---------------------------------------------------------------------------------------------
# export targets (keyword arguments named by the schema, as .pt2 files give them)

EXPORT_CASES = [
    ("index.Tensor", lambda: dict(self=r(3, 7), indices=[None, ids(7, 2, 2)])),
    ("index_put.default", lambda: dict(self=r(3, 7), indices=[ids(3, 2)], values=r(7), accumulate=True)),
    ("index_put_.default", lambda: dict(self=r(3, 7), indices=[None, torch.tensor([1, 5])], values=r(3, 1))),
    ("embedding.default", lambda: dict(weight=r(17, 3), indices=ids(17, 2, 5, low=0))),
    ("index_select.default", lambda: dict(self=r(3, 7), dim=1, index=ids(7, 4, low=0))),
    ("gather.default", lambda: dict(self=r(3, 7), dim=1, index=ids(7, 3, 2, low=0))),
    ("scatter.src", lambda: dict(self=r(3, 7), dim=1, index=unique_ids(7, (3, 2), 1), src=r(3, 2))),
    ("scatter.value", lambda: dict(self=r(3, 7), dim=1, index=unique_ids(7, (3, 2), 1), value=3.0)),
    ("scatter.reduce", lambda: dict(self=r(3, 7), dim=1, index=ids(7, 3, 2, low=0), src=r(3, 2),
                                    reduce="multiply")),
    ("scatter_add.default", lambda: dict(self=r(3, 7), dim=0, index=ids(3, 5, 7, low=0), src=r(5, 7))),
    ("scatter_reduce.two", lambda: dict(self=r(3, 7), dim=0, index=ids(3, 5, 7, low=0), src=r(5, 7),
                                        reduce="amax", include_self=False)),
    ("sort.default", lambda: dict(self=r(3, 7), dim=0, descending=True)),
    ("sort.stable", lambda: dict(self=torch.randint(0, 3, (3, 7)), stable=True, dim=1)),
    ("argsort.default", lambda: dict(self=r(3, 7), descending=True)),
    ("argsort.stable", lambda: dict(self=torch.randint(0, 3, (3, 7)), stable=True, dim=0)),
    ("topk.default", lambda: dict(self=r(3, 7), k=2, dim=0, largest=False)),
    ("take.default", lambda: dict(self=r(3, 7), index=ids(21, 4))),
]


@pytest.mark.parametrize("target,make", EXPORT_CASES, ids=[c[0] for c in EXPORT_CASES])
def test_export_targets(target, make):
    name, _, overload = target.partition(".")
    assert registry.find_lowering(name, overload) or registry.find_lowering(name)
    fn = getattr(getattr(aten, name), overload)
    parity(exported(target), inplace(fn) if name.endswith("_") else fn, [], **make())


# ---------------------------------------------------------------------------------------------
# lowerings use only canonical ops; bad calls raise ShapeError naming the source


SPELLINGS = [("index_select", f32(3, 4), 1, i64(2)), ("embedding", f32(9, 4), i64(2, 3)),
             ("take", f32(3, 4), i64(5)), ("scatter_add", f32(3, 4), 1, i64(3, 2), f32(3, 2)),
             ("argsort", f32(3, 4)), ("scatter", f32(3, 4), 1, i64(3, 2), 1.0)]


@pytest.mark.parametrize("case", SPELLINGS, ids=[c[0] for c in SPELLINGS])
def test_spellings_emit_canonical_ops(case):
    g = lower(*case)
    assert g.nodes and {n.op for n in g.nodes} <= CANONICAL


BAD = [
    ("index", f32(3, 4), [f32(2)]),                          # float indices
    ("index", f32(3, 4), [i64(2), i64(2), i64(2)]),          # too many indices
    ("index", f32(3, 4), [i64(2), i64(3)]),                  # indices do not broadcast
    ("index", f32(0, 4), [i64(2)]),                          # index into an empty dim
    ("index_put", f32(3, 4), [i64(2)], f32(3, 4)),           # values do not fit
    ("index_select", f32(3, 4), 0, i64(2, 2)),
    ("embedding", f32(3, 4, 5), i64(2)),
    ("gather", f32(3, 4), 1, i64(3)),                        # rank mismatch
    ("gather", f32(3, 4), 1, i64(5, 2)),                     # larger than self outside dim
    ("gather", f32(3, 4), 2, i64(3, 2)),
    ("scatter", f32(3, 4), 1, i64(3, 2), f32(3, 1)),         # src smaller than index
    ("scatter_reduce", f32(3, 4), 1, i64(3, 2), f32(3, 2), "median"),
    ("topk", f32(3, 4), 5),
    ("sort", f32(3, 4), 2),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_calls_raise_shape_errors(case):
    with pytest.raises(ShapeError, match="test"):
        lower(*case)
    with pytest.raises(ShapeError, match="scatter.*test"):
        lower("scatter", f32(3, 4), 1, i64(3, 2), f32(3, 2), overload="reduce", reduce="max")


@pytest.mark.parametrize("op,torch_fn,args", [
    ("index", aten.index.Tensor, lambda: [r(3, 4), [torch.tensor([3])]]),
    ("gather", aten.gather, lambda: [r(3, 4), 1, torch.tensor([[-1]])]),
    ("scatter", aten.scatter.src, lambda: [r(3, 4), 1, torch.tensor([[4]]), r(1, 1)]),
    ("index_put", aten.index_put, lambda: [r(3, 4), [torch.tensor([-4])], r(4)]),
    ("embedding", aten.embedding, lambda: [r(3, 4), torch.tensor([3])]),
], ids=lambda v: v if isinstance(v, str) else "")
def test_out_of_bounds_indices_raise(op, torch_fn, args):
    a = args()
    with pytest.raises((IndexError, RuntimeError)):
        torch_fn(*a)
    g, feeds = Graph(), []

    def wrap(v):
        if isinstance(v, list):
            return [wrap(x) for x in v]
        if isinstance(v, torch.Tensor):
            feeds.append(v.numpy())
            return g.add_input(f"in{len(feeds)}", TensorMeta(str(v.dtype).split(".")[1], tuple(v.shape)))
        return v

    g.outputs = [o.name for o in registry.lower_call(g, op, [wrap(v) for v in a], {})]
    with pytest.raises(ShapeError, match="out of bounds"):
        run_graph(g, feeds)
