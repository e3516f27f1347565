import pytest
import torch
import torch.nn.functional as F
from parity import parity
from wasm_torch.errors import ShapeError, UnsupportedError, WasmTorchError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry

# (batch, in channels, out channels, spatial size, kernel, stride, padding, dilation, groups, bias)
CASES_2D = [
    (2, 3, 8, (17, 17), (3, 3), 1, 1, 1, 1, True),
    (1, 3, 4, (7, 9), (7, 7), 2, 3, 1, 1, False),
    (3, 4, 6, (7, 7), (3, 1), (2, 1), (1, 0), 1, 2, True),
    (2, 6, 6, (17, 13), (3, 3), 2, 1, 1, 6, True),  # depthwise
    (2, 4, 4, (9, 9), (3, 3), 1, 2, 2, 1, True),  # dilated
    (1, 1, 1, (1, 1), (1, 1), 1, 0, 1, 1, False),
    (2, 8, 4, (3, 5), (2, 3), (1, 2), (0, 1), (2, 1), 4, True),
]
CASES_1D = [
    (2, 3, 5, (17,), (3,), 1, 1, 1, 1, True),
    (3, 4, 6, (7,), (5,), 2, 2, 1, 2, False),
    (1, 6, 6, (9,), (3,), 1, 2, 2, 6, True),
    (2, 1, 3, (1,), (1,), 1, 0, 1, 1, True),
]


def _tensors(n, cin, cout, size, kernel, groups, bias, transposed=False):
    x = torch.randn(n, cin, *size)
    w = torch.randn(cin, cout // groups, *kernel) if transposed else torch.randn(cout, cin // groups, *kernel)
    return x, w, torch.randn(cout) if bias else None


@pytest.mark.parametrize("case", CASES_2D)
def test_conv2d(case):
    n, cin, cout, size, kernel, stride, padding, dilation, groups, bias = case
    x, w, b = _tensors(n, cin, cout, size, kernel, groups, bias)
    parity("conv2d", F.conv2d, [x, w, b, stride, padding, dilation, groups])


@pytest.mark.parametrize("case", CASES_1D)
def test_conv1d(case):
    n, cin, cout, size, kernel, stride, padding, dilation, groups, bias = case
    x, w, b = _tensors(n, cin, cout, size, kernel, groups, bias)
    parity("conv1d", F.conv1d, [x, w, b], stride=stride, padding=padding, dilation=dilation, groups=groups)


def test_conv_unbatched():
    parity("conv2d", F.conv2d, [torch.randn(3, 7, 9), torch.randn(4, 3, 3, 3), torch.randn(4)], padding=1)
    parity("conv1d", F.conv1d, [torch.randn(3, 7), torch.randn(4, 3, 3), None], stride=2)


# (batch, in, out, size, kernel, stride, padding, output_padding, groups, dilation, bias)
CASES_T2D = [
    (2, 4, 3, (7, 7), (3, 3), 2, 1, 1, 1, 1, True),
    (1, 4, 6, (3, 5), (4, 2), (2, 3), (1, 0), (0, 2), 2, 1, False),
    (2, 3, 3, (5, 5), (3, 3), 1, 0, 0, 3, 2, True),
    (1, 2, 5, (1, 1), (1, 1), 1, 0, 0, 1, 1, True),
    (2, 4, 4, (4, 3), (3, 3), 3, 2, (2, 1), 1, (1, 2), True),
]


@pytest.mark.parametrize("case", CASES_T2D)
def test_conv_transpose2d(case):
    n, cin, cout, size, kernel, stride, padding, outpad, groups, dilation, bias = case
    x, w, b = _tensors(n, cin, cout, size, kernel, groups, bias, transposed=True)
    parity("conv_transpose2d", F.conv_transpose2d, [x, w, b, stride, padding, outpad, groups, dilation])


@pytest.mark.parametrize("case", [
    (2, 4, 3, (17,), (3,), 2, 1, 1, 1, 1, True),
    (1, 6, 4, (7,), (5,), 3, 2, 2, 2, 1, False),
    (3, 2, 2, (1,), (1,), 1, 0, 0, 1, 1, True),
    (1, 2, 2, (7,), (3,), 2, 0, 1, 2, 2, True),
])
def test_conv_transpose1d(case):
    n, cin, cout, size, kernel, stride, padding, outpad, groups, dilation, bias = case
    x, w, b = _tensors(n, cin, cout, size, kernel, groups, bias, transposed=True)
    parity("conv_transpose1d", F.conv_transpose1d, [x, w, b, stride, padding, outpad, groups, dilation])


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kernel,dilation", [((3, 3), 1), ((4, 4), 1), ((2, 5), (1, 2)), ((4, 3), (3, 1))])
def test_conv2d_string_padding(kernel, dilation):
    x, w, b = _tensors(2, 3, 4, (11, 9), kernel, 1, True)
    parity("conv2d", F.conv2d, [x, w, b], padding="same", dilation=dilation)
    parity("conv2d", F.conv2d, [x, w, b], padding="valid", dilation=dilation, stride=2)
    parity("_convolution_mode", torch.ops.aten._convolution_mode, [x, w, b, [1, 1], "same", list(
        dilation) if isinstance(dilation, tuple) else [dilation] * 2, 1])


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kernel", [3, 4])
def test_conv1d_string_padding(kernel):
    x, w, b = _tensors(2, 4, 6, (17,), (kernel,), 2, False)
    parity("conv1d", F.conv1d, [x, w, b], padding="same", groups=2)
    parity("conv1d", F.conv1d, [x, w, b], padding="valid", groups=2)


def test_traced_convolution_spellings():
    x, w, b = _tensors(2, 4, 6, (7, 9), (3, 3), 2, True)
    args = [x, w, b, [2, 1], [1, 1], [1, 2], False, [0, 0], 2]
    parity("_convolution", torch._convolution, args + [False, False, True, True])
    parity("_convolution", torch._convolution, args + [False, False, True])  # .deprecated
    parity("convolution", torch.ops.aten.convolution.default, args)
    x1, w1, b1 = _tensors(3, 4, 2, (17,), (3,), 1, True)
    parity("_convolution", torch._convolution,
           [x1, w1, b1, [2], [1], [1], False, [0], 1, False, False, True, True])
    parity("convolution", torch.ops.aten.convolution.default, [x1, w1, None, [1], [0], [2], False, [0], 1])


def test_traced_transposed_convolution():
    x, w, b = _tensors(2, 4, 6, (5, 7), (3, 3), 2, True, transposed=True)
    args = [x, w, b, [2, 2], [1, 0], [1, 1], True, [1, 0], 2]
    parity("convolution", torch.ops.aten.convolution.default, args)
    parity("_convolution", torch._convolution, args + [False, False, True, True])
    x1, w1, b1 = _tensors(2, 3, 3, (9,), (4,), 1, False, transposed=True)
    parity("convolution", torch.ops.aten.convolution.default, [x1, w1, b1, [3], [1], [1], True, [2], 1])


def _lower(op, metas, *args, **kwargs):
    g = Graph()
    refs = [g.add_input(f"in{i}", TensorMeta("float32", s)) for i, s in enumerate(metas)]
    return registry.lower_call(g, op, [*refs, *args], kwargs, "test")


def test_conv_errors():
    with pytest.raises(ShapeError, match="channels"):
        _lower("conv2d", [(1, 3, 8, 8), (4, 2, 3, 3)])
    with pytest.raises(ShapeError, match="too small"):
        _lower("conv2d", [(1, 3, 2, 2), (4, 3, 3, 3)])
    with pytest.raises(ShapeError, match="strided"):
        _lower("conv2d", [(1, 3, 8, 8), (4, 3, 3, 3)], None, 2, "same")
    with pytest.raises(UnsupportedError, match="3-d convolution"):
        _lower("convolution", [(1, 3, 4, 4, 4), (4, 3, 1, 1, 1)], None, [1], [0], [1], False, [0], 1)
    with pytest.raises(WasmTorchError):
        _lower("conv2d", [(1, 3, 8, 8), (4, 3, 3, 3)], None, 1, 0, 1, "x")
