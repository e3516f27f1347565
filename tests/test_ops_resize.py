import pytest
import torch
import torch.nn.functional as F
from parity import parity
from wasm_torch.errors import ShapeError, UnsupportedError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry

aten = torch.ops.aten

# (input spatial size, scale factor): odd sizes, up and down, and 1.1 on 7 (size kept, scale not 1)
SCALED = [((7, 9), (2.0, 2.0)), ((3, 17), (1.7, 0.5)), ((1, 7), (3.0, 2.3)), ((17, 7), (0.3, 1.1)),
          ((6, 5), (1.5, 0.4)), ((7, 10), (2.05, 2.2))]
SIZED = [((7, 9), (14, 5)), ((3, 17), (8, 17)), ((1, 1), (3, 2)), ((17, 7), (7, 16))]


@pytest.mark.parametrize("size,scales", SCALED)
def test_upsample_scales(size, scales):
    x = torch.randn(2, 3, *size)
    x1 = torch.randn(2, 3, size[1])
    parity("upsample_nearest2d.vec", aten.upsample_nearest2d.vec, [x, None, list(scales)])
    parity("_upsample_nearest_exact2d.vec", aten._upsample_nearest_exact2d.vec, [x, None, list(scales)])
    parity("upsample_nearest1d.vec", aten.upsample_nearest1d.vec, [x1, None, [scales[1]]])
    parity("_upsample_nearest_exact1d.vec", aten._upsample_nearest_exact1d.vec, [x1, None, [scales[1]]])
    for align in (False, True):
        parity("upsample_bilinear2d.vec", aten.upsample_bilinear2d.vec, [x, None, align, list(scales)])
        parity("upsample_bicubic2d.vec", aten.upsample_bicubic2d.vec, [x, None, align, list(scales)])
        parity("upsample_linear1d.vec", aten.upsample_linear1d.vec, [x1, None, align, [scales[1]]])


@pytest.mark.parametrize("size,out", SIZED)
def test_upsample_sizes(size, out):
    x = torch.randn(1, 2, *size)
    x1 = torch.randn(3, 1, size[1])
    parity("upsample_nearest2d", aten.upsample_nearest2d, [x, list(out)])
    parity("upsample_nearest2d", aten.upsample_nearest2d.vec, [x, list(out), None])  # traced F.interpolate
    parity("_upsample_nearest_exact2d", aten._upsample_nearest_exact2d, [x, list(out)])
    parity("upsample_nearest1d", aten.upsample_nearest1d, [x1, [out[1]]])
    parity("_upsample_nearest_exact1d", aten._upsample_nearest_exact1d, [x1, [out[1]]])
    for align in (False, True):
        parity("upsample_bilinear2d", aten.upsample_bilinear2d, [x, list(out), align])
        parity("upsample_bilinear2d", aten.upsample_bilinear2d.vec, [x, list(out), align, None])
        parity("upsample_bicubic2d", aten.upsample_bicubic2d, [x, list(out), align])
        parity("upsample_linear1d", aten.upsample_linear1d, [x1, [out[1]], align])


def test_upsample_explicit_scales_and_uint8():
    x = torch.randn(2, 2, 5, 7)
    parity("upsample_nearest2d", aten.upsample_nearest2d, [x, [8, 9], 1.7, 1.3])
    parity("upsample_bilinear2d", aten.upsample_bilinear2d, [x, [8, 9], False, 1.7, 1.3])
    parity("upsample_bicubic2d", aten.upsample_bicubic2d, [x, [8, 9], False, 1.7, 1.3])
    img = torch.randint(0, 255, (1, 3, 5, 7), dtype=torch.uint8)
    parity("upsample_nearest2d.vec", aten.upsample_nearest2d.vec, [img, None, [2.0, 1.5]])


@pytest.mark.parametrize("mode,kw", [("nearest", {}), ("nearest-exact", {}),
                                     ("bilinear", {"align_corners": False}),
                                     ("bicubic", {"align_corners": True})])
def test_interpolate_exact_index_boundaries(mode, kw):
    """Sizes where in/out makes the source coordinate land exactly on an integer."""
    for size, out in (((2, 2), (41, 47)), ((4, 3), (82, 6))):
        x = torch.randn(1, 1, *size)
        op = {"nearest": "upsample_nearest2d", "nearest-exact": "_upsample_nearest_exact2d",
              "bilinear": "upsample_bilinear2d", "bicubic": "upsample_bicubic2d"}[mode]
        extra = [kw["align_corners"]] if kw else []
        parity(op, lambda t, o, *rest: F.interpolate(t, size=o, mode=mode, **kw), [x, list(out), *extra])
    x1 = torch.randn(2, 1, 2)
    if mode.startswith("nearest"):
        op = "upsample_nearest1d" if mode == "nearest" else "_upsample_nearest_exact1d"
        for out in (41, 47, 55, 83):
            parity(op, lambda t, o: F.interpolate(t, size=o, mode=mode), [x1, [out]])


@pytest.mark.parametrize("pad", [[1, 2], [0, 3, 2, 1], [-1, 2, 1, -2], [2, 2, 1, 1, 1, 0]])
def test_constant_pad(pad):
    x = torch.randn(2, 3, 5, 7)
    parity("constant_pad_nd", aten.constant_pad_nd, [x, pad])
    parity("constant_pad_nd", aten.constant_pad_nd, [x, pad, 2.5])
    parity("pad", aten.pad, [x, pad, "constant", -1.0])
    parity("pad", aten.pad, [x, pad])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 3, 7), [2, 3]), ((3, 7), [1, 0]), ((2, 3, 5, 7), [1, 2, 3, 0]),
                                       ((3, 5, 4), [3, 2, 1, 4]), ((1, 2, 17), [-2, 5])])
def test_index_pads(mode, shape, pad):
    x = torch.randn(shape)
    parity("pad", aten.pad, [x, pad, mode])
    enum = {"reflect": 0, "replicate": 1, "circular": 2}[mode]
    parity("_pad_enum", aten._pad_enum, [x, pad, enum])
    if mode == "circular":
        parity("_pad_circular", aten._pad_circular, [x, pad])


@pytest.mark.parametrize("shape", [(2, 3, 7), (3, 17)])
def test_reflection_and_replication_pads(shape):
    x, y = torch.randn(shape), torch.randn(*shape[:-1], 5, shape[-1])
    parity("reflection_pad1d", aten.reflection_pad1d, [x, [2, 3]])
    parity("reflection_pad2d", aten.reflection_pad2d, [y, [1, 2, 4, 0]])
    parity("replication_pad1d", aten.replication_pad1d, [x, [4, -1]])
    parity("replication_pad2d", aten.replication_pad2d, [y, [1, 5, 0, 2]])


def test_pad_enum_constant():
    parity("_pad_enum", aten._pad_enum, [torch.randn(2, 3, 4), [1, 2], 3, 7.0])


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 5), 2), ((9, 1, 1), 3), ((2, 3, 4, 4, 2), 1),
                                     ((1, 18, 7, 3), 3)])
def test_pixel_shuffle(shape, r):
    x = torch.randn(shape)
    parity("pixel_shuffle", torch.pixel_shuffle, [x, r])
    y = torch.randn(*shape[:-2], shape[-2] * r, shape[-1] * r)
    parity("pixel_unshuffle", torch.pixel_unshuffle, [y, r])


def _lower(op, shape, *args):
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", shape))
    return registry.lower_call(g, op, [x, *args], {}, "test")


def test_resize_errors():
    with pytest.raises(ShapeError, match="too large"):
        _lower("reflection_pad1d", (2, 3, 4), [4, 0])
    with pytest.raises(ShapeError, match="needs a"):
        _lower("pad", (2, 3, 4, 5, 6), [1, 1], "reflect")
    with pytest.raises(UnsupportedError, match="3 dims"):
        _lower("pad", (2, 3, 4, 5, 6), [1, 1, 1, 1, 1, 1], "replicate")
    with pytest.raises(ShapeError, match="exactly one"):
        _lower("upsample_nearest2d", (1, 1, 4, 4), [8, 8], [2.0, 2.0])
    with pytest.raises(ShapeError, match="divisible"):
        _lower("pixel_shuffle", (1, 6, 2, 2), 2)
