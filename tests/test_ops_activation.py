"""Parity of activations, softmax and eval-time no-ops (ops/activation.py)."""

import pytest
import torch
import torch.nn.functional as F
from op_inputs import HALF_TOL, rand
from parity import parity
from wasm_torch.errors import ShapeError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry

f32, f16, f64, i64 = torch.float32, torch.float16, torch.float64, torch.int64
aten = torch.ops.aten
SHAPES = [(17,), (3, 7), (2, 3, 7), ()]

POINTWISE = [
    # (spelling, torch fn, kwargs)
    ("relu", torch.relu, {}),
    ("sigmoid", torch.sigmoid, {}),
    ("tanh", torch.tanh, {}),
    ("silu", F.silu, {}),
    ("gelu", F.gelu, {}),
    ("gelu", F.gelu, {"approximate": "tanh"}),
    ("gelu", F.gelu, {"approximate": "none"}),
    ("hardswish", F.hardswish, {}),
    ("hardsigmoid", F.hardsigmoid, {}),
    ("leaky_relu", F.leaky_relu, {}),
    ("leaky_relu", F.leaky_relu, {"negative_slope": 0.2}),
    ("elu", F.elu, {}),
    ("elu", F.elu, {"alpha": 0.5}),
    ("elu", aten.elu, {"alpha": 0.7, "scale": 2.0, "input_scale": 1.5}),
    ("selu", torch.selu, {}),
    ("celu", torch.celu, {}),
    ("celu", torch.celu, {"alpha": 0.7}),
    ("softplus", F.softplus, {}),
    ("softplus", F.softplus, {"beta": 2.0, "threshold": 1.0}),
    ("mish", F.mish, {}),
    ("log_sigmoid", aten.log_sigmoid, {}),
    ("hardtanh", F.hardtanh, {}),
    ("hardtanh", F.hardtanh, {"min_val": -2.0, "max_val": 3.0}),
    ("relu6", F.relu6, {}),
    ("rrelu", F.rrelu, {}),
    ("rrelu", aten.rrelu, {"lower": 0.1, "upper": 0.4}),
]


@pytest.mark.parametrize("op,fn,kwargs", POINTWISE, ids=[f"{p[0]}-{i}" for i, p in enumerate(POINTWISE)])
@pytest.mark.parametrize("shape", SHAPES)
def test_pointwise(op, fn, kwargs, shape):
    x = rand(*shape, special=True, scale=4.0)
    parity(op, fn, [x], **kwargs)


@pytest.mark.parametrize("op,fn,kwargs", POINTWISE, ids=[f"{p[0]}-{i}" for i, p in enumerate(POINTWISE)])
def test_pointwise_half(op, fn, kwargs):
    parity(op, fn, [rand(3, 17, dtype=f16, scale=4.0)], tol=HALF_TOL, **kwargs)
    parity(op, fn, [rand(7, dtype=f64, special=True)], **kwargs)


def test_around_kinks():
    # hardswish/hardsigmoid/relu6/hardtanh switch formula at -3, 3, 0, 6, +-1; softplus at its threshold.
    x = torch.tensor([-6.0, -3.0, -2.999, -1.0, -0.0, 0.0, 1.0, 2.999, 3.0, 6.0, 6.001, 19.9, 20.0, 20.1])
    for op, fn in [("hardswish", F.hardswish), ("hardsigmoid", F.hardsigmoid), ("relu6", F.relu6),
                   ("hardtanh", F.hardtanh), ("softplus", F.softplus), ("relu", torch.relu)]:
        parity(op, fn, [x])


@pytest.mark.parametrize("op,fn", [("relu", torch.relu), ("hardtanh", F.hardtanh), ("relu6", F.relu6),
                                   ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)])
def test_integer_inputs(op, fn):
    # relu/hardtanh/relu6 keep integers (bounds truncated to ints); sigmoid/tanh promote to float32.
    parity(op, fn, [rand(3, 17, dtype=i64)])
    if op == "hardtanh":
        parity(op, fn, [rand(3, 17, dtype=i64)], min_val=-0.5, max_val=2.5)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "silu", "gelu", "hardswish", "hardsigmoid",
                                  "leaky_relu", "elu", "selu", "celu", "mish", "hardtanh", "relu6", "rrelu"])
def test_inplace(name):
    parity(f"{name}_", lambda x: getattr(aten, f"{name}_")(x.clone()), [rand(3, 17, special=True)])


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ShapeError, match="approximate"):
        parity("gelu", F.gelu, [rand(3)], approximate="fast")


@pytest.mark.parametrize("shape,weights", [((2, 3, 7), 3), ((2, 3, 7), 1), ((3, 17), 17), ((2, 5, 3, 3), 5),
                                           ((17,), 1), ((), 1)])
def test_prelu(shape, weights):
    parity("prelu", F.prelu, [rand(*shape, special=True), torch.rand(weights) - 0.3])


def test_prelu_rejects_weight_count():
    with pytest.raises(ShapeError, match="prelu"):
        parity("prelu", F.prelu, [rand(2, 3, 7), torch.rand(4)])


@pytest.mark.parametrize("shape,dim", [((3, 8), -1), ((4, 7), 0), ((2, 6, 3), 1), ((2, 3, 4), -1), ((2,), 0)])
def test_glu(shape, dim):
    parity("glu", F.glu, [rand(*shape, special=True)], dim=dim)


def test_glu_rejects_odd_size():
    with pytest.raises(ShapeError, match="glu"):
        parity("glu", F.glu, [rand(3, 7)])


SOFTMAX = [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]


@pytest.mark.parametrize("op,fn", SOFTMAX)
@pytest.mark.parametrize("shape,dim", [((17,), 0), ((3, 7), -1), ((3, 7), 0), ((2, 3, 7), 1), ((2, 3, 7), -3),
                                       ((), 0), ((1, 5), -1)])
def test_softmax(op, fn, shape, dim):
    parity(op, fn, [rand(*shape, scale=5.0)], dim=dim)
    parity(f"{op}.int", getattr(aten, op).int, [rand(*shape, scale=5.0), dim])


@pytest.mark.parametrize("op,fn", SOFTMAX)
def test_softmax_dtypes_and_infinities(op, fn):
    x = rand(3, 7)
    x[0] = float("-inf")  # a fully masked row gives nan, as in torch
    x[1, :3] = float("-inf")
    parity(op, fn, [x, -1])
    parity(op, fn, [rand(3, 7), 1], dtype=f64)
    parity(op, fn, [rand(3, 7, dtype=f16), -1], tol=HALF_TOL)
    parity(op, fn, [rand(3, 7, dtype=f16), -1], dtype=f32)
    parity(op, fn, [rand(3, 7, dtype=i64), 0], dtype=f32)
    private = getattr(aten, f"_{op}")
    parity(f"_{op}", private, [rand(2, 3, 7), 1, False])
    parity(f"_{op}.default", private, [rand(2, 3, 7), -1, False])


def test_softmax_rejects_integer_without_dtype():
    with pytest.raises(ShapeError, match="softmax"):
        parity("softmax", torch.softmax, [rand(3, dtype=i64), 0])


def test_half_to_float_gives_float32():
    g = Graph()
    x = g.add_input("x", TensorMeta("float16", (3, 7)))
    (out,) = registry.lower_call(g, "_softmax", [x, -1, True], {})
    assert g.meta(out) == TensorMeta("float32", (3, 7))


NO_OPS = [
    ("dropout", lambda x: F.dropout(x, 0.5, False), [0.5, False]),
    ("dropout", lambda x: F.dropout(x, 0.5, False), [0.5, True]),  # inference: identity whatever train says
    ("dropout_", lambda x: F.dropout(x, 0.5, False), [0.1, False]),
    ("feature_dropout", lambda x: x, [0.5, False]),
    ("alpha_dropout", lambda x: x, [0.5, False]),
    ("feature_alpha_dropout_", lambda x: x, [0.5, False]),
    ("clone", torch.clone, []),
    ("alias", aten.alias, []),
    ("lift_fresh_copy", aten.lift_fresh_copy, []),
    ("lift_fresh", aten.lift_fresh, []),
]


@pytest.mark.parametrize("op,fn,extra", NO_OPS, ids=[n[0] for n in NO_OPS])
def test_eval_no_ops_return_their_input(op, fn, extra):
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", (2, 3)))
    assert registry.lower_call(g, op, [x, *extra], {}) == [x]
    assert g.nodes == []
    parity(op, lambda x, *rest: fn(x), [rand(2, 3, 7), *extra])


def test_clone_memory_format():
    parity("clone", torch.clone, [rand(2, 3)], memory_format=torch.contiguous_format)


def test_native_dropout_in_eval():
    parity("native_dropout", lambda x, p, train: aten.native_dropout(x, p, False), [rand(3, 7), 0.5, False])
