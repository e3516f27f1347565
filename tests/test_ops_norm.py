import pytest
import torch
from parity import parity
from wasm_torch.errors import ShapeError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry

aten = torch.ops.aten
SHAPES = [(2, 3), (2, 3, 7), (4, 3, 7, 9), (1, 5, 1, 1), (3, 1, 17)]


def _bn_params(c, affine=True):
    w, b = (torch.randn(c), torch.randn(c)) if affine else (None, None)
    return w, b, torch.randn(c), torch.rand(c) + 0.5


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval(shape, affine):
    x = torch.randn(shape) * 3 + 1
    w, b, rm, rv = _bn_params(shape[1], affine)
    parity("batch_norm", torch.batch_norm, [x, w, b, rm, rv, False, 0.1, 1e-5, True])
    parity("_native_batch_norm_legit_no_training", aten._native_batch_norm_legit_no_training,
           [x, w, b, rm, rv, 0.1, 1e-3])
    parity("native_batch_norm", aten.native_batch_norm, [x, w, b, rm, rv, False, 0.1, 1e-5])
    parity("_native_batch_norm_legit", aten._native_batch_norm_legit, [x, w, b, rm, rv, False, 0.1, 1e-5])


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 7), (3, 2, 5, 4)])
def test_batch_norm_training(shape):
    x = torch.randn(shape) * 2 - 1
    w, b, rm, rv = _bn_params(shape[1])
    parity("batch_norm", torch.batch_norm, [x, w, b, rm.clone(), rv.clone(), True, 0.1, 1e-5, False])
    parity("batch_norm", torch.batch_norm, [x, None, b, None, None, True, 0.1, 1e-5, False])
    parity("native_batch_norm", aten.native_batch_norm, [x, w, b, rm.clone(), rv.clone(), True, 0.1, 1e-5])
    parity("_native_batch_norm_legit", aten._native_batch_norm_legit,
           [x, w, None, rm.clone(), rv.clone(), True, 0.1, 1e-5])
    parity("_native_batch_norm_legit.no_stats", aten._native_batch_norm_legit.no_stats,
           [x, w, b, True, 0.1, 1e-5])


@pytest.mark.parametrize("shape,normalized", [
    ((2, 5, 16), [16]), ((3, 7), [7]), ((2, 3, 4, 5), [4, 5]), ((17,), [17]), ((2, 1, 1), [1, 1]),
])
def test_layer_norm(shape, normalized):
    x = torch.randn(shape) * 2 + 3
    w, b = torch.randn(normalized), torch.randn(normalized)
    parity("layer_norm", torch.layer_norm, [x, normalized, w, b])
    parity("layer_norm", torch.layer_norm, [x, normalized, None, None, 1e-3])
    parity("native_layer_norm", aten.native_layer_norm, [x, normalized, w, b, 1e-5])
    parity("native_layer_norm", aten.native_layer_norm, [x, normalized, None, b, 1e-6])


@pytest.mark.parametrize("shape,groups", [((2, 6, 7, 9), 3), ((3, 4, 17), 4), ((1, 6), 2), ((2, 8, 3, 3), 1)])
def test_group_norm(shape, groups):
    x = torch.randn(shape) * 2 + 1
    c = shape[1]
    w, b = torch.randn(c), torch.randn(c)
    parity("group_norm", torch.group_norm, [x, groups, w, b, 1e-5, True])
    parity("group_norm", torch.group_norm, [x, groups])
    hw = x.numel() // (shape[0] * c)
    parity("native_group_norm", aten.native_group_norm, [x, w, b, shape[0], c, hw, groups, 1e-5])
    parity("native_group_norm", aten.native_group_norm, [x, None, None, shape[0], c, hw, groups, 1e-3])


@pytest.mark.parametrize("shape", [(2, 3, 7), (4, 3, 7, 9), (1, 2, 5)])
def test_instance_norm(shape):
    x = torch.randn(shape) * 2 + 1
    w, b, rm, rv = _bn_params(shape[1])
    parity("instance_norm", torch.instance_norm, [x, w, b, None, None, True, 0.1, 1e-5, False])
    stats = [rm.clone(), rv.clone()]  # updated in place by torch, ignored by the output
    parity("instance_norm", torch.instance_norm, [x, None, None, *stats, True, 0.1, 1e-5, False])
    parity("instance_norm", torch.instance_norm, [x, w, b, rm, rv, False, 0.1, 1e-5, False])


@pytest.mark.parametrize("shape,normalized", [((2, 5, 16), [16]), ((3, 7), [7]), ((2, 3, 4, 5), [4, 5])])
def test_rms_norm(shape, normalized):
    x = torch.randn(shape)
    parity("rms_norm", torch.rms_norm, [x, normalized, torch.randn(normalized)])
    parity("rms_norm", torch.rms_norm, [x, normalized, None, 1e-3])
    parity("rms_norm", torch.rms_norm, [x * 1e-4, normalized])  # eps=None: finfo(float32).eps


def _lower(op, shapes, *args):
    g = Graph()
    refs = [g.add_input(f"in{i}", TensorMeta("float32", s)) for i, s in enumerate(shapes)]
    return registry.lower_call(g, op, [*refs, *args], {}, "test")


def test_norm_errors():
    with pytest.raises(ShapeError, match="evaluation mode"):
        _lower("batch_norm", [(2, 3)], None, None, None, None, False, 0.1, 1e-5, False)
    with pytest.raises(ShapeError, match="weight must have shape"):
        _lower("batch_norm", [(2, 3), (4,)], None, None, None, True, 0.1, 1e-5, False)
    with pytest.raises(ShapeError, match="normalized_shape"):
        _lower("layer_norm", [(2, 3)], [4])
    with pytest.raises(ShapeError, match="groups"):
        _lower("group_norm", [(2, 6, 3)], 4)
