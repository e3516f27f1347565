import pytest
import torch
from parity import parity
from wasm_torch.errors import ShapeError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry

aten = torch.ops.aten

# (input shape, kernel, stride, padding, dilation, ceil_mode)
MAX_2D = [
    ((2, 3, 17, 17), 3, 2, 1, 1, False),
    ((2, 3, 17, 17), 3, 2, 1, 1, True),
    ((1, 2, 7, 9), (2, 3), [], 0, 1, True),
    ((3, 1, 7, 7), 3, 3, 1, 2, True),
    ((2, 4, 8, 5), (3, 2), (2, 1), (1, 1), (1, 2), False),
    ((2, 3, 1, 1), 1, 1, 0, 1, False),
    ((4, 6, 6), 2, 2, 0, 1, True),  # unbatched
    ((1, 1, 3, 7), 2, 2, 1, 1, True),
]


@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX_2D)
def test_max_pool2d(shape, k, s, p, d, ceil):
    x = torch.randn(shape)
    parity("max_pool2d", aten.max_pool2d, [x, k, s, p, d, ceil])
    parity("max_pool2d_with_indices", aten.max_pool2d_with_indices, [x, k, s, p, d, ceil])


@pytest.mark.parametrize("shape,k,s,p,d,ceil", [
    ((2, 3, 17), 3, 2, 1, 1, True), ((1, 2, 7), 2, [], 0, 1, False), ((3, 1, 9), 3, 2, 1, 3, True),
    ((2, 1), 1, 1, 0, 1, False), ((2, 4, 8), 4, 3, 2, 1, True),
])
def test_max_pool1d(shape, k, s, p, d, ceil):
    x = torch.randn(shape)
    parity("max_pool1d", aten.max_pool1d, [x, k, s, p, d, ceil])
    parity("max_pool1d_with_indices", aten.max_pool1d_with_indices, [x, k, s, p, d, ceil])


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # NaN - NaN in the comparison
def test_max_pool_nan_and_inf():
    x = torch.randn(2, 2, 7, 7)
    x[0, 0, 1, 1] = x[0, 0, 1, 2] = float("nan")
    x[1, 1, :3, :3] = float("-inf")
    x[1, 0, 2, 2] = x[1, 0, 2, 3] = 50.0  # ties: the first one wins
    for ceil in (False, True):
        parity("max_pool2d_with_indices", aten.max_pool2d_with_indices, [x, 3, 2, 1, 1, ceil])
    parity("adaptive_max_pool2d", aten.adaptive_max_pool2d, [x, [3, 2]])


# (input shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_2D = [
    ((2, 3, 17, 17), 3, 2, 1, False, True, None),
    ((2, 3, 17, 17), 3, 2, 1, True, False, None),
    ((1, 2, 7, 9), (2, 3), [], (1, 1), True, True, None),
    ((3, 1, 7, 7), 3, 3, 1, True, False, None),
    ((2, 4, 8, 5), (3, 2), (2, 1), (1, 0), False, True, 5),
    ((2, 3, 1, 1), 1, 1, 0, False, True, None),
    ((4, 6, 6), 2, 2, 1, True, True, None),
]


@pytest.mark.parametrize("shape,k,s,p,ceil,cip,div", AVG_2D)
def test_avg_pool2d(shape, k, s, p, ceil, cip, div):
    parity("avg_pool2d", aten.avg_pool2d, [torch.randn(shape), k, s, p, ceil, cip, div])


@pytest.mark.parametrize("shape,k,s,p,ceil,cip", [
    ((2, 3, 17), 3, 2, 1, True, True), ((2, 3, 17), 3, 2, 1, True, False), ((1, 2, 7), 2, [], 0, False, True),
    ((3, 1), 1, 1, 0, False, True), ((2, 4, 9), 4, 3, 2, True, False),
])
def test_avg_pool1d(shape, k, s, p, ceil, cip):
    parity("avg_pool1d", aten.avg_pool1d, [torch.randn(shape), k, s, p, ceil, cip])


@pytest.mark.parametrize("shape,out", [
    ((2, 3, 17, 17), [1, 1]), ((2, 3, 7, 9), [3, 4]), ((1, 2, 5, 5), [7, 7]), ((3, 4, 13), [5, 1]),
    ((2, 2, 1, 3), [1, 5]),
])
def test_adaptive_2d(shape, out):
    x = torch.randn(shape)
    parity("adaptive_avg_pool2d", aten.adaptive_avg_pool2d, [x, out])
    parity("_adaptive_avg_pool2d", aten._adaptive_avg_pool2d, [x, out])
    parity("adaptive_max_pool2d", aten.adaptive_max_pool2d, [x, out])


@pytest.mark.parametrize("shape,out", [((2, 3, 17), 5), ((2, 3, 7), 7), ((1, 4, 3), 1), ((3, 5), 8)])
def test_adaptive_1d(shape, out):
    x = torch.randn(shape)
    parity("adaptive_avg_pool1d", aten.adaptive_avg_pool1d, [x, [out]])
    parity("adaptive_max_pool1d", aten.adaptive_max_pool1d, [x, [out]])


def _lower(op, shape, *args):
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", shape))
    return registry.lower_call(g, op, [x, *args], {}, "test")


def test_pool_errors():
    with pytest.raises(ShapeError, match="half of the kernel"):
        _lower("max_pool2d", (1, 1, 8, 8), 2, 2, 2)
    with pytest.raises(ShapeError, match="too small"):
        _lower("max_pool2d", (1, 1, 2, 2), 3)
    with pytest.raises(ShapeError, match="non-empty"):
        _lower("avg_pool2d", (1, 1, 0, 4), 2)


def test_integer_pools():
    x = torch.randint(-9, 9, (2, 3, 7, 5))
    parity("avg_pool2d", aten.avg_pool2d, [x, 3, 2, 1])
    parity("avg_pool1d", aten.avg_pool1d, [x[0], 3, 2, 1, True, False])
    parity("max_pool2d_with_indices", aten.max_pool2d_with_indices, [x, 3, 2, 1, 1, True])
