import pytest
import torch
import torch.nn.functional as F
from parity import parity
from wasm_torch.errors import ShapeError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry

r = torch.randn


@pytest.mark.parametrize("x_shape,out_features,bias", [
    ((2, 17), 7, True), ((3, 5, 16), 1, False), ((7,), 3, True), ((2, 3, 4, 9), 17, True), ((1, 1), 1, False),
])
def test_linear(x_shape, out_features, bias):
    x = r(x_shape)
    w = r(out_features, x_shape[-1])
    parity("linear", F.linear, [x, w, r(out_features) if bias else None])


def test_linear_vector_weight():
    parity("linear", F.linear, [r(3, 5), r(5), None])
    parity("linear", F.linear, [r(2, 3, 5), r(5), r(())])


@pytest.mark.parametrize("a,b", [
    ((7,), (7,)), ((3,), (3, 5)), ((4, 3), (3,)), ((2, 5, 3), (3,)), ((3,), (2, 3, 4)), ((4, 3), (3, 17)),
    ((2, 4, 3), (2, 3, 5)), ((2, 1, 4, 3), (5, 3, 7)), ((1, 3), (6, 3, 1)), ((2, 3, 1, 4, 3), (3, 2)),
])
def test_matmul(a, b):
    parity("matmul", torch.matmul, [r(a), r(b)])


def test_matmul_int():
    parity("matmul", torch.matmul, [torch.randint(-5, 5, (3, 4)), torch.randint(-5, 5, (4, 2))])


def test_product_spellings():
    parity("mm", torch.mm, [r(3, 4), r(4, 17)])
    parity("bmm", torch.bmm, [r(2, 3, 4), r(2, 4, 5)])
    parity("mv", torch.mv, [r(3, 4), r(4)])
    parity("dot", torch.dot, [r(7), r(7)])
    parity("vdot", torch.vdot, [r(7), r(7)])
    parity("outer", torch.outer, [r(3), r(5)])
    parity("ger", torch.ger, [r(1), r(4)])


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1), (0, -1.5), (1, 0.25)])
def test_addmm_family(beta, alpha):
    parity("addmm", torch.addmm, [r(5), r(3, 4), r(4, 5)], beta=beta, alpha=alpha)
    parity("addmm", torch.addmm, [r(3, 1), r(3, 4), r(4, 5)], beta=beta, alpha=alpha)
    parity("baddbmm", torch.baddbmm, [r(2, 3, 5), r(2, 3, 4), r(2, 4, 5)], beta=beta, alpha=alpha)
    parity("baddbmm", torch.baddbmm, [r(1, 5), r(3, 1, 4), r(3, 4, 5)], beta=beta, alpha=alpha)
    parity("addmv", torch.addmv, [r(3), r(3, 4), r(4)], beta=beta, alpha=alpha)
    parity("addbmm", torch.addbmm, [r(3, 5), r(2, 3, 4), r(2, 4, 5)], beta=beta, alpha=alpha)


def test_addmm_beta_zero_ignores_nan():
    s = torch.full((3, 5), float("nan"))
    parity("addmm", torch.addmm, [s, r(3, 4), r(4, 5)], beta=0)


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 5, 4), (2, 3, 7, 4)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("i,j->ij", [(3,), (5,)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("b...,b->...", [(3, 2, 4), (3,)]),
    ("ij->ji", [(3, 4)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("ij,ij->", [(1, 4), (3, 4)]),
    ("Ab,ba", [(2, 3), (3, 2)]),
])
def test_einsum(equation, shapes):
    parity("einsum", torch.einsum, [equation, [r(s) for s in shapes]])


def _lower(op, shapes, *args, dtypes=None):
    g = Graph()
    dtypes = dtypes or ["float32"] * len(shapes)
    refs = [g.add_input(f"in{i}", TensorMeta(d, s)) for i, (s, d) in enumerate(zip(shapes, dtypes))]
    return registry.lower_call(g, op, [*refs, *args], {}, "test")


def test_linalg_errors():
    with pytest.raises(ShapeError, match="cannot be multiplied"):
        _lower("matmul", [(3, 4), (5, 2)])
    with pytest.raises(ShapeError, match="2-d"):
        _lower("mm", [(3, 4), (4,)])
    with pytest.raises(ShapeError, match="one dtype"):
        _lower("matmul", [(3, 4), (4, 2)], dtypes=["float32", "float64"])
    g = Graph()
    refs = [g.add_input(f"in{i}", TensorMeta("float32", s)) for i, s in enumerate([(3, 4), (5, 2)])]
    with pytest.raises(ShapeError, match="sizes 4 and 5"):
        registry.lower_call(g, "einsum", ["ij,jk->ik", refs], {}, "test")
    with pytest.raises(ShapeError, match="2 operands"):
        registry.lower_call(g, "einsum", ["ij,jk->ik", refs[:1]], {}, "test")
