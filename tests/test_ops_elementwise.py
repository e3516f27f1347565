"""Parity of elementwise ops and every spelling that lowers onto them (ops/elementwise.py)."""

import operator

import pytest
import torch
from op_inputs import HALF_TOL, inplace, rand
from parity import parity
from wasm_torch.errors import ShapeError, WasmTorchError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry

f32, f64, f16, i64, i32, i8, u8, b = (torch.float32, torch.float64, torch.float16, torch.int64, torch.int32,
                                      torch.int8, torch.uint8, torch.bool)
aten = torch.ops.aten


def tol_for(*tensors):
    return HALF_TOL if any(isinstance(t, torch.Tensor) and t.dtype == f16 for t in tensors) else 1e-4


def torch_allows(fn, *args, **kwargs) -> bool:
    try:
        fn(*args, **kwargs)
    except (RuntimeError, TypeError, ZeroDivisionError):
        return False
    return True


# --- binary arithmetic ------------------------------------------------------------------------------

BINARY = [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div),
          ("remainder", torch.remainder), ("fmod", torch.fmod), ("pow", torch.pow), ("atan2", torch.atan2),
          ("maximum", torch.maximum), ("minimum", torch.minimum)]
BROADCAST = [((7,), (7,)), ((3, 1, 5), (4, 1)), ((2, 7, 1), (17,)), ((1,), (3, 7)), ((), (2, 3)),
             ((2, 3), ())]


@pytest.mark.parametrize("op,fn", BINARY)
@pytest.mark.parametrize("shapes", BROADCAST)
def test_binary_broadcast(op, fn, shapes):
    x = rand(*shapes[0], special=op != "pow")
    y = rand(*shapes[1], nonzero=True, scale=1.0 if op == "pow" else 3.0)
    parity(op, fn, [x.abs() if op == "pow" else x, y])


DTYPES = [(i64, i64), (i32, i64), (u8, i8), (b, i64), (b, b), (f16, f16), (f16, f32), (i64, f32), (i32, f16),
          (f64, f32)]


@pytest.mark.parametrize("op,fn", BINARY)
@pytest.mark.parametrize("dx,dy", DTYPES)
def test_binary_promotion(op, fn, dx, dy):
    x = rand(2, 3, 7, dtype=dx, low=-4 if op == "pow" else -9, high=5 if op == "pow" else 10)
    y = rand(3, 7, dtype=dy, nonzero=True, low=0 if op == "pow" else -9, high=4 if op == "pow" else 10)
    if not torch_allows(fn, x, y):
        pytest.skip("torch rejects these dtypes")
    parity(op, fn, [x, y], tol=tol_for(x, y))


SCALARS = [(i64, 2), (i64, 2.5), (i32, -3), (u8, 3), (f16, 2.5), (f32, 3), (b, 3), (b, 1.5), (f32, True)]


@pytest.mark.parametrize("op,fn", [b for b in BINARY if b[0] not in ("atan2", "maximum", "minimum")])
@pytest.mark.parametrize("dx,scalar", SCALARS)
def test_binary_wrapped_number(op, fn, dx, scalar):
    x = rand(3, 17, dtype=dx, low=0 if op == "pow" else -9)
    if not torch_allows(fn, x, scalar):
        pytest.skip("torch rejects this combination")
    parity(op, fn, [x, scalar], tol=tol_for(x))


@pytest.mark.parametrize("op,fn", [("add", torch.add), ("mul", torch.mul), ("div", torch.div),
                                   ("maximum", torch.maximum), ("eq", torch.eq)])
def test_zero_dim_tensors_do_not_promote_dimensioned_ones(op, fn):
    # A 0-d float64 tensor leaves a float32 tensor float32; a 0-d float tensor lifts an int tensor.
    parity(op, fn, [rand(3, 7), torch.tensor(1.25, dtype=f64)])
    parity(op, fn, [rand(3, 7, dtype=i32), torch.tensor(2.5)])
    parity(op, fn, [rand(3, 7, dtype=f16), torch.tensor(3, dtype=i64)], tol=HALF_TOL)
    parity(op, fn, [torch.tensor(1.5), torch.tensor(2.0, dtype=f64)])


@pytest.mark.parametrize("alpha", [2, -1, 0.5])
@pytest.mark.parametrize("op,fn", [("add", torch.add), ("sub", torch.sub), ("rsub", torch.rsub)])
def test_alpha(op, fn, alpha):
    parity(op, fn, [rand(2, 7), rand(7)], alpha=alpha)
    if isinstance(alpha, int):
        parity(op, fn, [rand(3, 1, dtype=i64), rand(17, dtype=i64)], alpha=alpha)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize("dx,dy", [(f32, f32), (i64, i64), (i32, i64), (u8, u8), (i64, f32), (f16, f16)])
def test_div_rounding_modes(mode, dx, dy):
    x = rand(3, 17, dtype=dx, special=True) * (4 if dx.is_floating_point else 1)
    y = rand(17, dtype=dy, nonzero=True)
    parity("div", torch.div, [x, y], tol=tol_for(x, y), rounding_mode=mode)
    parity("div", torch.div, [x, 3], tol=tol_for(x), rounding_mode=mode)
    parity("div", torch.div, [x, -2.5], tol=tol_for(x), rounding_mode=mode)


def test_integer_pow():
    base = torch.tensor([[-3, -2, -1, 0, 1, 2, 3]]).repeat(3, 1)
    exponent = torch.tensor([[-3], [-2], [5]])
    parity("pow", torch.pow, [base, exponent])
    parity("pow", torch.pow, [base, 3])
    parity("pow", torch.pow, [2, rand(7, dtype=i64, low=0, high=20)])
    parity("pow", torch.pow, [2.5, rand(7, dtype=i64, low=-5, high=5)])
    parity("pow", torch.pow, [rand(3, 7, dtype=b), 2])


@pytest.mark.parametrize("exponent", [2, 0.5, -1, 3, -0.5, 1.7, 0])
def test_float_pow_exponents(exponent):
    parity("pow", torch.pow, [rand(3, 17, special=True), exponent])
    parity("pow", torch.pow, [rand(7, dtype=f16).abs(), exponent], tol=HALF_TOL)


@pytest.mark.parametrize("weight", [0.3, 0.7, -0.2, 1.5])
def test_lerp(weight):
    parity("lerp", torch.lerp, [rand(2, 7), rand(7), weight])
    parity("lerp", torch.lerp, [rand(3, 17), rand(3, 17), torch.rand(3, 1) * 2 - 0.5])
    parity("lerp", torch.lerp, [rand(7, dtype=f16), rand(7, dtype=f16), weight], tol=HALF_TOL)


def x7():
    return rand(3, 7, special=True)


def ints(*shape, **kwargs):
    return rand(*shape, dtype=i64, **kwargs)


SPELLINGS = [
    # (spelling, torch fn, args, kwargs)
    ("add.Tensor", aten.add.Tensor, lambda: [rand(3, 7), rand(7)], {"alpha": 2}),
    ("add.Scalar", aten.add.Scalar, lambda: [rand(3, 7, dtype=i64), 2, 3], {}),
    ("add_", inplace("add_"), lambda: [rand(3, 7), rand(7)], {"alpha": 0.5}),
    ("add_", inplace("add_"), lambda: [rand(3, 7, dtype=f16), rand(3, 7)], {}),  # keeps self's float16
    ("sub.Scalar", aten.sub.Scalar, lambda: [rand(3, 7), 2.5, 2], {}),
    ("sub_", inplace("sub_"), lambda: [rand(3, 7, dtype=i64), 4], {}),
    ("subtract", torch.subtract, lambda: [rand(3, 7), rand(3, 1)], {"alpha": 3}),
    ("rsub", torch.rsub, lambda: [rand(3, 7), 1.0], {}),
    ("rsub.Tensor", aten.rsub.Tensor, lambda: [rand(3, 7), rand(7)], {"alpha": 2}),
    ("rsub.Scalar", aten.rsub.Scalar, lambda: [rand(3, 7, dtype=i32), 5, 2], {}),
    ("mul.Scalar", aten.mul.Scalar, lambda: [rand(3, 7), 0.5], {}),
    ("mul_", inplace("mul_"), lambda: [rand(3, 7), rand(1, 7)], {}),
    ("multiply", torch.multiply, lambda: [rand(3, 7, dtype=i64), rand(7, dtype=i64)], {}),
    ("div.Tensor", aten.div.Tensor, lambda: [rand(3, 7, dtype=i64), rand(7, dtype=i64, nonzero=True)], {}),
    ("div.Scalar", aten.div.Scalar, lambda: [rand(3, 7), 3], {}),
    ("div.Tensor_mode", aten.div.Tensor_mode, lambda: [ints(3, 7), ints(7, nonzero=True)],
     {"rounding_mode": "floor"}),
    ("div.Scalar_mode", aten.div.Scalar_mode, lambda: [ints(3, 7), -3], {"rounding_mode": "trunc"}),
    ("div_", inplace("div_"), lambda: [rand(3, 7), rand(7, nonzero=True)], {"rounding_mode": "floor"}),
    ("divide", torch.divide, lambda: [rand(3, 7), rand(7, nonzero=True)], {"rounding_mode": "trunc"}),
    ("true_divide", torch.true_divide, lambda: [ints(3, 7), ints(7, nonzero=True)], {}),
    ("floor_divide", torch.floor_divide, lambda: [ints(3, 7), ints(7, nonzero=True)], {}),
    ("floor_divide", torch.floor_divide, lambda: [x7(), 2.0], {}),
    ("floor_divide.Scalar", aten.floor_divide.Scalar, lambda: [rand(3, 7, dtype=i64), -2], {}),
    ("floor_divide_", inplace("floor_divide_"), lambda: [rand(3, 7, dtype=i64), 3], {}),
    ("remainder.Scalar", aten.remainder.Scalar, lambda: [rand(3, 7, dtype=i64), 3], {}),
    ("remainder.Scalar_Tensor", aten.remainder.Scalar_Tensor, lambda: [5, ints(3, 7, nonzero=True)], {}),
    ("remainder_", inplace("remainder_"), lambda: [x7(), -2.5], {}),
    ("fmod.Scalar", aten.fmod.Scalar, lambda: [x7(), 1.5], {}),
    ("pow.Tensor_Scalar", aten.pow.Tensor_Scalar, lambda: [x7(), 2], {}),
    ("pow.Scalar", aten.pow.Scalar, lambda: [2, rand(3, 7, dtype=i64, low=0)], {}),
    ("pow.Tensor_Tensor", aten.pow.Tensor_Tensor, lambda: [rand(3, 7).abs(), rand(7)], {}),
    ("pow_", inplace("pow_"), lambda: [x7(), 2], {}),
    ("arctan2", torch.arctan2, lambda: [x7(), rand(7)], {}),
    ("lerp.Scalar", aten.lerp.Scalar, lambda: [rand(3, 7), rand(7), 0.25], {}),
    ("lerp.Tensor", aten.lerp.Tensor, lambda: [rand(3, 7), rand(7), torch.rand(3, 1)], {}),
    ("lerp_", inplace("lerp_"), lambda: [rand(3, 7), rand(7), 0.75], {}),
    ("maximum", torch.maximum, lambda: [x7(), x7()], {}),
    ("minimum", torch.minimum, lambda: [rand(3, 7, dtype=b), rand(7, dtype=b)], {}),
]


@pytest.mark.parametrize("op,fn,make,kwargs", SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_arithmetic_spellings(op, fn, make, kwargs):
    args = make()
    parity(op, fn, args, tol=tol_for(*args), **kwargs)


# --- comparison, logic, bitwise ---------------------------------------------------------------------

COMPARISONS = [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le), ("gt", torch.gt),
               ("ge", torch.ge)]


@pytest.mark.parametrize("op,fn", COMPARISONS)
def test_comparisons(op, fn):
    x = rand(3, 1, 7, special=True).round()
    parity(op, fn, [x, rand(5, 7).round()])
    parity(op, fn, [x, 0])
    parity(op, fn, [rand(3, 7, dtype=i64), 2.5])
    parity(op, fn, [rand(3, 7, dtype=i64), rand(7, dtype=i32)])
    parity(op, fn, [rand(3, 7, dtype=f16).round(), rand(7).round()])
    parity(op, fn, [rand(17, dtype=b), True])
    parity(f"{op}.Scalar", getattr(aten, op).Scalar, [rand(3, 7, dtype=u8), 4])
    parity(f"{op}.Tensor", getattr(aten, op).Tensor, [rand(2, 7).round(), torch.tensor(1.0)])
    parity(f"{op}_", inplace(f"{op}_"), [rand(3, 7).round(), 1.0])


@pytest.mark.parametrize("spelling,fn", [("greater", torch.greater), ("greater_equal", torch.greater_equal),
                                         ("less", torch.less), ("less_equal", torch.less_equal),
                                         ("not_equal", torch.not_equal)])
def test_comparison_aliases(spelling, fn):
    parity(spelling, fn, [rand(3, 7).round(), rand(7).round()])


LOGIC_INPUTS = [lambda: (rand(3, 7, special=True), rand(7, dtype=i64, low=-1, high=2)),
                lambda: (rand(3, 7, dtype=b), rand(3, 7, dtype=b)),
                lambda: (rand(2, 1, 7, dtype=u8, high=2), rand(3, 7, dtype=f16))]


@pytest.mark.parametrize("name", ["and", "or", "xor"])
@pytest.mark.parametrize("make", LOGIC_INPUTS)
def test_logical(name, make):
    x, y = make()
    fn = getattr(torch, f"logical_{name}")
    parity(f"logical_{name}", fn, [x, y])
    if torch.broadcast_shapes(x.shape, y.shape) == x.shape:
        parity(f"logical_{name}_", inplace(f"logical_{name}_"), [x, y])


@pytest.mark.parametrize("dtype", [f32, i64, b, u8, f16])
def test_logical_not(dtype):
    x = rand(3, 17, dtype=dtype, special=True, low=-1, high=2)
    parity("logical_not", torch.logical_not, [x])
    parity("logical_not_", inplace("logical_not_"), [x])


BITWISE_INPUTS = [lambda: (rand(3, 7, dtype=i64, low=-100, high=100), rand(7, dtype=i64, low=-100, high=100)),
                  lambda: (rand(3, 7, dtype=b), rand(3, 7, dtype=b)),
                  lambda: (rand(3, 7, dtype=b), rand(7, dtype=i32)),
                  lambda: (rand(2, 3, 7, dtype=u8, high=255), 3),
                  lambda: (rand(3, 7, dtype=i32), rand(7, dtype=i8))]


@pytest.mark.parametrize("name", ["and", "or", "xor"])
@pytest.mark.parametrize("make", BITWISE_INPUTS)
def test_bitwise(name, make):
    x, y = make()
    parity(f"bitwise_{name}", getattr(torch, f"bitwise_{name}"), [x, y])
    parity(f"__{name}__", getattr(operator, f"__{name}__"), [x, y])
    if torch_allows(inplace(f"__i{name}__"), x, y):
        parity(f"__i{name}__", inplace(f"__i{name}__"), [x, y])


@pytest.mark.parametrize("dtype", [i64, i32, u8, b])
def test_bitwise_not(dtype):
    parity("bitwise_not", torch.bitwise_not, [rand(3, 17, dtype=dtype, high=200)])


def test_bitwise_rejects_floats():
    with pytest.raises(ShapeError, match="bitwise_and"):
        parity("bitwise_and", torch.bitwise_and, [rand(3), rand(3)])


# --- where, masked_fill, clamp ----------------------------------------------------------------------

WHERE = [
    lambda: [rand(3, 1, 7, dtype=b), rand(5, 7), rand(7)],
    lambda: [rand(7, dtype=b), rand(3, 7, dtype=f16), rand(3, 7)],
    lambda: [rand(3, 7, dtype=b), rand(3, 7, dtype=i64), 2.5],  # ScalarOther promotes int to float
    lambda: [rand(3, 7, dtype=b), -1, rand(3, 7, dtype=i32)],  # ScalarSelf
    lambda: [rand(3, 7, dtype=b), 1.0, 0],  # Scalar
    lambda: [rand(3, 7, dtype=b), 1, 0],
    lambda: [rand(3, 7, dtype=b), True, False],
    lambda: [torch.tensor(True), rand(2, 7), torch.tensor(2.5)],
    lambda: [rand(3, 7, dtype=b), rand(3, 7, dtype=f16), 0.5],
]


@pytest.mark.parametrize("make", WHERE)
def test_where(make):
    args = make()
    parity("where", torch.where, args, tol=tol_for(*args))
    parity("where.self", torch.where, args, tol=tol_for(*args))


MASKED_FILL = [
    lambda: [rand(3, 7), rand(3, 7, dtype=b), -1e9],
    lambda: [rand(2, 3, 7), rand(1, 7, dtype=b), float("-inf")],
    lambda: [rand(3, 7, dtype=i64), rand(3, 7, dtype=b), 1.5],  # truncates to self's dtype
    lambda: [rand(3, 7, dtype=i64), rand(7, dtype=b), torch.tensor(7.9)],
    lambda: [rand(7), rand(2, 7, dtype=b), 0.5],  # the out-of-place op broadcasts self too
    lambda: [rand(3, 7, dtype=b), rand(3, 7, dtype=b), 0],
    lambda: [rand(3, 7, dtype=f16), rand(3, 7, dtype=b), torch.tensor(2, dtype=i64)],
]


@pytest.mark.parametrize("make", MASKED_FILL)
def test_masked_fill(make):
    x, mask, value = make()
    overload = "Tensor" if isinstance(value, torch.Tensor) else "Scalar"
    parity("masked_fill", torch.masked_fill, [x, mask, value])
    parity(f"masked_fill.{overload}", getattr(aten.masked_fill, overload), [x, mask, value])
    if mask.dim() <= x.dim() and torch_allows(inplace("masked_fill_"), x, mask, value):
        parity("masked_fill_", inplace("masked_fill_"), [x, mask, value])


def test_masked_fill_value_must_be_0d():
    with pytest.raises(ShapeError, match="masked_fill"):
        parity("masked_fill", torch.masked_fill, [rand(3), rand(3, dtype=b), rand(3)])


CLAMP = [
    lambda: ([x7()], {"min": -1.0, "max": 1.0}),
    lambda: ([x7()], {"min": 0.5}),
    lambda: ([x7()], {"max": 6}),
    lambda: ([x7()], {"min": 3, "max": -2}),  # min > max: max wins
    lambda: ([rand(3, 7, dtype=i64)], {"min": -2, "max": 4}),  # int stays int
    lambda: ([rand(3, 7, dtype=i64)], {"min": 0.5}),  # a float bound promotes
    lambda: ([rand(3, 7)], {"min": rand(7), "max": rand(3, 1) + 3}),
    lambda: ([rand(7)], {"min": rand(2, 7)}),  # tensor bounds broadcast
    lambda: ([rand(3, 7, dtype=f16)], {"min": rand(7)}),  # float16 and a float32 tensor bound: float32
    lambda: ([rand(3, 7, dtype=f16)], {"min": -1, "max": 1.5}),
]


@pytest.mark.parametrize("make", CLAMP)
def test_clamp(make):
    args, kwargs = make()
    tensors = any(isinstance(v, torch.Tensor) for v in kwargs.values())
    parity("clamp", torch.clamp, args, tol=tol_for(*args), **kwargs)
    parity("clip", torch.clip, args, tol=tol_for(*args), **kwargs)
    overload = "Tensor" if tensors else "default"
    parity(f"clamp.{overload}", getattr(aten.clamp, overload), args, tol=tol_for(*args), **kwargs)
    if torch_allows(inplace("clamp_"), *args, **kwargs):
        parity("clamp_", inplace("clamp_"), args, tol=tol_for(*args), **kwargs)


def test_clamp_positional_and_one_sided_spellings():
    x = x7()
    parity("clamp", torch.clamp, [x, 0, 6])
    parity("clamp", torch.clamp, [x, None, 6])
    parity("clamp_min", torch.clamp_min, [x, 0.5])
    parity("clamp_max", torch.clamp_max, [rand(3, 7, dtype=i64), 2])
    parity("clamp_min.Tensor", aten.clamp_min.Tensor, [x, rand(7)])
    parity("clamp_max.Tensor", aten.clamp_max.Tensor, [x, rand(3, 1)])
    parity("clamp_min_", inplace("clamp_min_"), [x, 0.0])
    parity("clamp_max_", inplace("clamp_max_"), [x, 0.0])
    with pytest.raises(ShapeError, match="clamp"):
        parity("clamp", torch.clamp, [x])


# --- unary math -------------------------------------------------------------------------------------

# One line per op, with the spelling as a literal (tests/test_coverage.py reads parity() calls).
UNARY = {
    "abs": lambda x, tol: parity("abs", torch.abs, [x], tol=tol),
    "neg": lambda x, tol: parity("neg", torch.neg, [x], tol=tol),
    "sign": lambda x, tol: parity("sign", torch.sign, [x], tol=tol),
    "sqrt": lambda x, tol: parity("sqrt", torch.sqrt, [x], tol=tol),
    "rsqrt": lambda x, tol: parity("rsqrt", torch.rsqrt, [x], tol=tol),
    "exp": lambda x, tol: parity("exp", torch.exp, [x], tol=tol),
    "exp2": lambda x, tol: parity("exp2", torch.exp2, [x], tol=tol),
    "expm1": lambda x, tol: parity("expm1", torch.expm1, [x], tol=tol),
    "log": lambda x, tol: parity("log", torch.log, [x], tol=tol),
    "log2": lambda x, tol: parity("log2", torch.log2, [x], tol=tol),
    "log10": lambda x, tol: parity("log10", torch.log10, [x], tol=tol),
    "log1p": lambda x, tol: parity("log1p", torch.log1p, [x], tol=tol),
    "erf": lambda x, tol: parity("erf", torch.erf, [x], tol=tol),
    "erfc": lambda x, tol: parity("erfc", torch.erfc, [x], tol=tol),
    "sin": lambda x, tol: parity("sin", torch.sin, [x], tol=tol),
    "cos": lambda x, tol: parity("cos", torch.cos, [x], tol=tol),
    "tan": lambda x, tol: parity("tan", torch.tan, [x], tol=tol),
    "asin": lambda x, tol: parity("asin", torch.asin, [x], tol=tol),
    "acos": lambda x, tol: parity("acos", torch.acos, [x], tol=tol),
    "atan": lambda x, tol: parity("atan", torch.atan, [x], tol=tol),
    "sinh": lambda x, tol: parity("sinh", torch.sinh, [x], tol=tol),
    "cosh": lambda x, tol: parity("cosh", torch.cosh, [x], tol=tol),
    "asinh": lambda x, tol: parity("asinh", torch.asinh, [x], tol=tol),
    "acosh": lambda x, tol: parity("acosh", torch.acosh, [x], tol=tol),
    "atanh": lambda x, tol: parity("atanh", torch.atanh, [x], tol=tol),
    "floor": lambda x, tol: parity("floor", torch.floor, [x], tol=tol),
    "ceil": lambda x, tol: parity("ceil", torch.ceil, [x], tol=tol),
    "round": lambda x, tol: parity("round", torch.round, [x], tol=tol),
    "trunc": lambda x, tol: parity("trunc", torch.trunc, [x], tol=tol),
    "frac": lambda x, tol: parity("frac", torch.frac, [x], tol=tol),
    "reciprocal": lambda x, tol: parity("reciprocal", torch.reciprocal, [x], tol=tol),
    "isnan": lambda x, tol: parity("isnan", torch.isnan, [x], tol=tol),
    "isinf": lambda x, tol: parity("isinf", torch.isinf, [x], tol=tol),
    "isfinite": lambda x, tol: parity("isfinite", torch.isfinite, [x], tol=tol),
    "bitwise_not": lambda x, tol: parity("bitwise_not", torch.bitwise_not, [x], tol=tol),
    "logical_not": lambda x, tol: parity("logical_not", torch.logical_not, [x], tol=tol),
    "square": lambda x, tol: parity("square", torch.square, [x], tol=tol),
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype,shape", [(f32, (7, 17)), (f32, ()), (f16, (3, 7)), (f64, (17,)),
                                         (i64, (2, 3, 7)), (i32, (7,)), (u8, (7,)), (b, (3, 7))])
def test_unary(name, dtype, shape):
    x = rand(*shape, dtype=dtype, special=True, scale=0.9 if name in ("asin", "acos", "atanh") else 3.0)
    if not torch_allows(getattr(torch, name), x):
        pytest.skip("torch rejects this dtype")
    UNARY[name](x, tol_for(x))


@pytest.mark.parametrize("name", ["abs", "neg", "sqrt", "exp", "floor", "round", "sign", "square",
                                  "reciprocal", "sin", "trunc", "frac"])
def test_unary_inplace(name):
    x = rand(3, 17, special=True)
    parity(f"{name}_", inplace(f"{name}_"), [x])


@pytest.mark.parametrize("spelling,fn", [("absolute", torch.absolute), ("negative", torch.negative),
                                         ("sgn", torch.sgn), ("fix", torch.fix), ("arcsin", torch.arcsin),
                                         ("arccos", torch.arccos), ("arctan", torch.arctan),
                                         ("arcsinh", torch.arcsinh), ("arccosh", torch.arccosh),
                                         ("arctanh", torch.arctanh)])
def test_unary_aliases(spelling, fn):
    x = rand(3, 17, special=True, scale=0.9)
    parity(spelling, fn, [x])
    parity(f"{spelling}_", inplace(f"{spelling}_"), [x])


@pytest.mark.parametrize("decimals", [0, 1, 2, -1, 3])
@pytest.mark.parametrize("dtype", [f32, f16, f64])
def test_round_decimals(decimals, dtype):
    x = (rand(7, 17, dtype=f64, special=True) * 37).to(dtype)
    parity("round", torch.round, [x], tol=tol_for(x), decimals=decimals)
    parity("round.decimals", aten.round.decimals, [x], tol=tol_for(x), decimals=decimals)


# --- dtype conversion -------------------------------------------------------------------------------

CONVERSIONS = [(f32, i64), (f32, i32), (f32, b), (f32, f16), (f32, f64), (f32, u8), (f16, f32), (i64, f32),
               (i64, f16), (i64, i32), (b, f32), (b, i64), (i32, b), (f64, i8), (u8, f32)]


def conversion_input(src):
    x = rand(3, 17, dtype=src, scale=40.0) if src.is_floating_point else rand(3, 17, dtype=src)
    return x.abs() if src.is_floating_point else x  # float -> uint8 of negatives is platform-defined


@pytest.mark.parametrize("src,dst", CONVERSIONS)
def test_to_dtype(src, dst):
    x = conversion_input(src)
    parity("to", torch.Tensor.to, [x, dst])  # TorchScript: torch.to(x, 6)
    parity("to", torch.Tensor.to, [x, dst, False, False])
    parity("to.dtype", aten.to.dtype, [x, dst])
    parity("_to_copy", aten._to_copy, [x], dtype=dst)
    parity("to", torch.Tensor.to, [x, "cpu", dst])  # to.device
    parity("to", torch.Tensor.to, [x], dtype=dst, device="cpu")  # to.dtype_layout
    parity("type_as", torch.Tensor.type_as, [x, torch.zeros(1, dtype=dst)])
    parity("to", torch.Tensor.to, [x, torch.zeros(2, dtype=dst)])  # to.other


def test_float_to_int_truncates_toward_zero():
    x = torch.tensor([[-2.7, -1.5, -0.5, 0.5, 1.5, 2.7, 100.9]])
    parity("to", torch.Tensor.to, [x, i64])
    parity("to", torch.Tensor.to, [x, i8])


@pytest.mark.parametrize("suffix,dtype", [("Byte", u8), ("Char", i8), ("Short", torch.int16), ("Int", i32),
                                          ("Long", i64), ("Half", f16), ("Float", f32), ("Double", f64)])
def test_cast_spellings(suffix, dtype):
    x = rand(3, 7, dtype=i64, low=0)
    parity(f"_cast_{suffix}", getattr(torch, f"_cast_{suffix}"), [x])


def test_noop_conversions_add_no_node():
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", (3, 7)))
    y = g.add_input("y", TensorMeta("float32", (7,)))
    for name, args, kwargs in [("to", [x, "float32"], {}), ("to", [x, "cpu"], {}), ("to", [x, y], {}),
                               ("to", [x, "cpu", None, False, False], {}), ("type_as", [x, y], {}),
                               ("_to_copy", [x], {"device": "cpu"}), ("_to_copy", [x], {"dtype": "float32"})]:
        assert registry.lower_call(g, name, args, kwargs) == [x]
    assert g.nodes == []
    with pytest.raises(WasmTorchError, match="other"):
        registry.lower_call(g, "to", [x, 3], {})


# --- error paths ------------------------------------------------------------------------------------

def test_inplace_cannot_broadcast_self():
    with pytest.raises(ShapeError, match="add_"):
        parity("add_", inplace("add_"), [rand(7), rand(3, 7)])


def test_div_rejects_unknown_rounding_mode():
    with pytest.raises(ShapeError, match="rounding_mode"):
        parity("div", torch.div, [rand(3), rand(3)], rounding_mode="ceil")


@pytest.mark.parametrize("a,b", [((3, 1, 5), (4, 1)), ((7,), ()), ((2, 17), (2, 17))])
def test_hypot(a, b):
    parity("hypot", torch.hypot, [torch.randn(a) * 3, torch.randn(b) * 3])
