"""The dtype-aware path of the wasm backend (plan op codes 50..69, passes/lower_dtype.py) and the
float ops it routes to UNARY / BINARY / SOFTMAX: small modules over random shapes (broadcasting,
int64 and bool values, numbers on either side) converted to plans and run on the kernel module
under Node, single-threaded and on 2 threads, against torch, allocating nothing during forward;
run-time integer division by zero; plans with bad dtype-op fields rejected by the runtime."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from parity import check_module_plan, export_plan
from wasm_torch.errors import WasmTorchError
from wasm_torch.plan import OpCode, read_plan, write_plan
from wasm_torch.runtime.wasm import run_plan

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the wasm backend runs under Node")
RUNS = (("st", 1), ("mt", 2))
SHAPES = [((1,), (1,)), ((7,), ()), ((3, 5), (5,)), ((2, 3, 1), (4,)), ((2, 1, 4, 3), (5, 1, 3)),
          ((3, 1, 2, 1, 2), (1, 3, 1, 2, 1))]
BIG = [((2, 9001), (9001,)), ((10007,), ())]  # rows longer than a task's chunk: threads share them


def _codes(plan: bytes) -> set[OpCode]:
    return {op.code for op in read_plan(plan).ops}


class Compare(torch.nn.Module):
    def forward(self, a, b, i, j):
        lt, ge = a < b, a >= b
        return (lt, a <= b, a > 0.25, ge, a == b, a != b, i == j, i < j, i > 1, 2 >= i, a < i,
                lt & ge, lt | (i == 0), lt ^ ge, ~lt, torch.logical_not(i), torch.logical_and(a, i),
                torch.logical_or(lt, j), torch.logical_xor(a, b), torch.where(lt, a, b), torch.where(lt, i, 7),
                torch.where(ge, 1.5, a), a.masked_fill(lt, -1e4), i.masked_fill(ge, -3), torch.isnan(a / a),
                torch.isinf(1 / a), torch.isfinite(1 / a), lt.any(), ge.all(-1), (lt == ge), lt + ge, lt * ge,
                torch.maximum(lt, ge), torch.isnan(i), torch.isfinite(j), lt.amax(-1), ge.amin(0),
                *lt.max(-1), *ge.min(0))


@pytest.mark.parametrize("xs, ys", SHAPES + BIG)
def test_comparisons_logical_where_match_torch(tmp_path, xs, ys):
    a = torch.randn(xs).round()  # rounded: equal pairs occur
    a[..., 0] = 0.0              # 0 / 0 and 1 / 0
    b = torch.randn(ys).round()
    i, j = torch.randint(-3, 4, xs), torch.randint(-3, 4, ys)
    plan = check_module_plan(Compare(), (a, b, i, j), tmp_path)
    assert {OpCode.ELEMWISE, OpCode.WHERE, OpCode.MAP, OpCode.REDUCE} <= _codes(plan)


class IntArith(torch.nn.Module):
    def forward(self, i, j):
        return (i + j, i - 2 * j, i * j, i // j, torch.div(i, j, rounding_mode="trunc"), i % j, torch.fmod(i, j),
                i / j, i * 2.5, torch.maximum(i, j), torch.minimum(i, j * 3), -i, i.abs(), i.sign(), i & j, i | 6,
                i ^ j, ~i, torch.add(i, j, alpha=3), torch.sub(i, j, alpha=-2), i ** 2, 3 - i, 7 // j, i.sum(),
                i.clamp(-3, 20), i.clamp(max=j), i.clamp(min=0),
                i.sum(-1), i.prod(0), i.amax(-1), i.argmin(0), torch.cumsum(i, -1), (i > 0).sum(), i.float(),
                (i * 1.7).long(), i.bool())


@pytest.mark.parametrize("xs, ys", [s for s in SHAPES if s[0]] + BIG)
def test_int64_arithmetic_matches_torch(tmp_path, xs, ys):
    i = torch.randint(-50, 50, xs)
    j = torch.randint(1, 9, ys) * torch.where(torch.rand(ys) < 0.5, -1, 1)  # no zero divisors
    check_module_plan(IntArith(), (i, j), tmp_path)


class FloatBinary(torch.nn.Module):
    def forward(self, a, b):
        return (torch.div(a, b, rounding_mode="floor"), torch.div(a, b, rounding_mode="trunc"), a // 0.7,
                torch.remainder(a, b), a % -1.5, torch.fmod(a, b), a.abs() ** b, 2 ** a, a ** 3, a.abs() ** 0.5,
                a ** 2, torch.atan2(a, b), torch.hypot(a, b), torch.maximum(a, b), torch.minimum(a, b * 0.1),
                torch.add(a, b, alpha=2), torch.sub(a, b, alpha=0.5), torch.add(a, 1.5, alpha=2),
                a.clamp(b - 0.5, b + 0.5), a.clamp(min=b), a.clamp(max=b))


@pytest.mark.parametrize("xs, ys", SHAPES)
def test_float_binary_ops_match_torch(tmp_path, xs, ys):
    b = (torch.rand(ys) + 0.5) * torch.where(torch.rand(ys) < 0.5, -1.0, 1.0)
    check_module_plan(FloatBinary(), (torch.randn(xs) * 3, b), tmp_path)


class Unary(torch.nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.prelu, self.prelu1 = torch.nn.PReLU(channels), torch.nn.PReLU()
        with torch.no_grad():
            self.prelu.weight.uniform_(-1, 1)

    def forward(self, x):
        p = x.abs() + 0.1
        u = x.clamp(-0.99, 0.99)
        return (x.floor(), x.ceil(), x.trunc(), (x * 4).round(), x.round(decimals=2), x.sign(), x.square(),
                torch.erf(x), F.mish(x), F.logsigmoid(x), F.elu(x, 1.3), F.selu(x), F.softplus(x),
                F.softplus(x, 2.0, 3.0), p.log(), p.log2(), p.log10(), p.log1p(), x.expm1(), x.sin(), x.cos(),
                u.tan(), u.asin(), u.acos(), x.atan(), x.sinh(), x.cosh(), self.prelu(x), self.prelu1(x),
                x.asinh(), (p + 1).acosh(), u.atanh(), x.erfc(), x.exp2(), x.frac())


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (2, 5, 3), (2, 3, 4, 5)])
def test_unary_math_and_activations_match_torch(tmp_path, shape):
    x = torch.randn(shape) * 3
    x.view(-1)[0] = 2.5  # a half: round to even
    plan = check_module_plan(Unary(shape[1]), (x,), tmp_path)
    assert {OpCode.UNARY, OpCode.MAP} <= _codes(plan)


class Mixers(torch.nn.Module):
    def forward(self, x, y, w):
        return (torch.lerp(x, y, 0.3), torch.lerp(x, y, 0.8), torch.lerp(x, y, w), F.glu(x, -1), F.glu(y, 0),
                torch.count_nonzero(x.round()), torch.count_nonzero(x.round(), -1), torch.count_nonzero(w > 0.5, 0))


@pytest.mark.parametrize("xs, ws", [((2, 4), (4,)), ((4, 6), (4, 6)), ((2, 2, 2), (2, 1, 1))])
def test_lerp_glu_count_nonzero_match_torch(tmp_path, xs, ws):
    check_module_plan(Mixers(), (torch.randn(xs), torch.randn(xs), torch.rand(ws)), tmp_path)


class Casts(torch.nn.Module):
    def forward(self, x, i, m):
        return (x.long(), x.bool(), i.float(), i.bool(), m.float(), m.long(), (x * 1e3).long().float(),
                x.to(torch.float32), i.to(torch.int64), m.to(torch.bool), x.type_as(i), i.type_as(x),
                x.int(), x.double(), (x * 1e3).half(), x.half().float(), x.abs().to(torch.uint8), i.int(),
                i.to(torch.uint8), m.double(), i.int().long(), x.double().long(), (x * 1e-6).half(),
                x.int() > 2, x.abs().to(torch.uint8).sum(-1), torch.arange(5, dtype=torch.uint8) == 2,
                i.int().transpose(0, -1), i.to(torch.uint8)[..., :1])


@pytest.mark.parametrize("shape", [(1,), (3, 17), (2, 3, 4)])
def test_casts_match_torch(tmp_path, shape):
    x = torch.randn(shape) * 10
    x.view(-1)[0] = 0.0
    plan = check_module_plan(Casts(), (x, torch.randint(-3, 3, shape), torch.rand(shape) < 0.5), tmp_path)
    assert OpCode.CAST in _codes(plan)


class Reduce(torch.nn.Module):
    def __init__(self, dims: list[int], keepdim: bool):
        super().__init__()
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        d, k = self.dims, self.keepdim
        out = [x.sum(d, keepdim=k), x.mean(d, keepdim=k), x.amax(d, keepdim=k), x.amin(d, keepdim=k),
               x.var(d, keepdim=k), x.var(d, correction=0, keepdim=k), x.std(d, keepdim=k),
               torch.linalg.vector_norm(x, 2, d, keepdim=k), torch.linalg.vector_norm(x, 1, d, keepdim=k),
               torch.linalg.vector_norm(x, math.inf, d, keepdim=k), torch.linalg.vector_norm(x, 3, d, keepdim=k),
               torch.logsumexp(x, d, keepdim=k), (x > 0).any(d, keepdim=k), (x > -1).all(d, keepdim=k)]
        if len(d) == 1:
            out += [x.prod(d[0], keepdim=k), *x.max(d[0], keepdim=k), *x.min(d[0], keepdim=k),
                    x.argmax(d[0], keepdim=k), x.argmin(d[0], keepdim=k), torch.cumsum(x, d[0]),
                    torch.cumprod(x, d[0])]
        return tuple(out)


@pytest.mark.parametrize("shape, dims", [((7,), [0]), ((1, 5), [0]), ((3, 5), [1]), ((3, 5), [0, 1]),
                                         ((2, 3, 5), [1]), ((2, 3, 5), [0, 2]), ((2, 3, 4, 5), [1, 2]),
                                         ((2, 3, 4, 5), [0, 3]), ((2, 3, 4, 5), [-1]), ((3, 1, 17), [0, 1, 2]),
                                         ((3, 4099), [0])])  # columns past a task's chunk: threads share them
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.filterwarnings("ignore:var\\(\\)|std\\(\\):UserWarning")  # one element: NaN, as torch
def test_reductions_match_torch(tmp_path, shape, dims, keepdim):
    plan = check_module_plan(Reduce(dims, keepdim), (torch.randn(shape),), tmp_path)
    assert OpCode.REDUCE in _codes(plan)


class FullReduce(torch.nn.Module):
    def forward(self, x):
        n = torch.where(torch.arange(x.shape[-1]) == 0, math.nan, x)  # a NaN in every row
        return (x.sum(), x.mean(), x.amax(), x.argmax(), x.std(), torch.linalg.vector_norm(x), x.max(), x.min(),
                x.var(correction=x.numel()), x.var(correction=x.numel() + 2), n.amax(), n.argmax(), n.sum(),
                torch.linalg.vector_norm(n, math.inf), n.std(-1))


@pytest.mark.parametrize("shape", [(1,), (17,), (3, 33), (2, 3, 4, 5)])
@pytest.mark.filterwarnings("ignore:var\\(\\)|std\\(\\):UserWarning")  # too few elements: inf or NaN, as torch
def test_full_reductions_match_torch(tmp_path, shape):
    check_module_plan(FullReduce(), (torch.randn(shape),), tmp_path)


class Softmax(torch.nn.Module):
    def forward(self, x):
        return tuple(f(x, d) for d in range(x.dim()) for f in (torch.softmax, torch.log_softmax))


@pytest.mark.parametrize("shape", [(5,), (3, 7), (2, 3, 5), (2, 3, 1, 4), (3, 2, 4099)])
def test_softmax_over_every_dim_matches_torch(tmp_path, shape):
    x = torch.randn(shape) * 3
    x.view(-1)[::7] = -math.inf  # masked entries, as attention masks leave them
    plan = check_module_plan(Softmax(), (x,), tmp_path)
    assert (OpCode.SOFTMAX_DIM in _codes(plan)) == (len(shape) > 1) and OpCode.TRANSPOSE not in _codes(plan)


class Creation(torch.nn.Module):
    def forward(self, x):
        return (torch.linspace(-1, 2, 7) * x[..., :1], torch.linspace(0, 1, 1), torch.eye(3, 5), torch.eye(4),
                x.tril(), x.triu(1), x.tril(-1), torch.ones(3, 3).triu(), (x > 0).tril())


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (2, 5, 3)])
def test_creation_ops_match_torch(tmp_path, shape):
    check_module_plan(Creation(), (torch.randn(shape),), tmp_path)


class FloorDiv(torch.nn.Module):
    def forward(self, i, j):
        return i // j


def test_integer_division_by_zero_fails_forward(tmp_path):
    plan = export_plan(FloorDiv(), (torch.ones(2, 3, dtype=torch.int64), torch.ones(3, dtype=torch.int64)), tmp_path)
    i = np.arange(6).reshape(2, 3)
    for variant, threads in RUNS:
        with pytest.raises(WasmTorchError, match="integer division by zero"):
            run_plan(plan, [i, np.array([1, 0, 2])], threads, variant)
    np.testing.assert_array_equal(run_plan(plan, [i, np.array([-1, 2, -4])])[0], i // np.array([-1, 2, -4]))


class Mixed(torch.nn.Module):
    def forward(self, x, i):
        return ((x > 0) & (i > 0), torch.linalg.vector_norm(x, 3, 1), torch.where(x > 0, x, 0.0), x.cumsum(0),
                x.isnan(), *torch.topk(x, 2), torch.softmax(x, 0))


def _int_value(plan, op):
    return next(n for n, v in plan.values.items() if v.dtype == "int64" and v.shape == (2, 3))


# op code, how to break its record, the runtime's reason
BAD_FIELDS = {
    "elemwise op": (OpCode.ELEMWISE, lambda plan, op: setattr(op, "params", (99,)), "elemwise op 99 unknown"),
    "elemwise dtypes": (OpCode.ELEMWISE, lambda plan, op: op.inputs.__setitem__(1, _int_value(plan, op)),
                        "inputs of dtypes"),
    "reduce dims": (OpCode.REDUCE, lambda plan, op: setattr(op, "params", (op.params[0], 1, 9, op.params[3])),
                    r"dims \[1, 9\) invalid"),
    "reduce op": (OpCode.REDUCE, lambda plan, op: setattr(op, "params", (99, *op.params[1:])), "reduce op 99 unknown"),
    "norm order": (OpCode.REDUCE, lambda plan, op: setattr(op, "params", (*op.params[:3], 0.0)), "parameter 0 invalid"),
    "reduce nan": (OpCode.REDUCE, lambda plan, op: setattr(op, "params", (*op.params[:3], math.nan)),
                   "parameter nan invalid"),
    "where condition": (OpCode.WHERE, lambda plan, op: op.inputs.__setitem__(0, op.inputs[1]),
                        "the condition is float32"),
    "scan dim": (OpCode.SCAN, lambda plan, op: setattr(op, "params", (0, 5)), "scan op 0 over dim 5 of rank 2"),
    "map dtype": (OpCode.MAP, lambda plan, op: op.inputs.__setitem__(0, _int_value(plan, op)),
                  "map op 5 does not take int64"),
    "topk k": (OpCode.TOPK, lambda plan, op: setattr(op, "params", (9, 1)),
               "k = 9 of a rank-2 input whose last dim is 3"),
    "topk flags": (OpCode.TOPK, lambda plan, op: setattr(op, "params", (2, 6)), "unknown flags 0x6"),
    "softmax dim": (OpCode.SOFTMAX_DIM, lambda plan, op: setattr(op, "params", (2, 0)),
                    "dim 2 / flags 0x0 invalid for rank 2"),
}


@pytest.mark.parametrize("field", BAD_FIELDS)
def test_bad_dtype_op_fields_are_rejected(tmp_path, field):
    code, breaks, message = BAD_FIELDS[field]
    plan = read_plan(export_plan(Mixed(), (torch.randn(2, 3), torch.randint(-2, 2, (2, 3))), tmp_path))
    breaks(plan, next(o for o in plan.ops if o.code == code))
    with pytest.raises(WasmTorchError, match=message):
        run_plan(write_plan(plan), [np.zeros((2, 3), np.float32), np.zeros((2, 3), np.int64)])


class IntMoves(torch.nn.Module):
    def forward(self, i):
        m = i > 0
        return (i[:, 1:], i[..., ::2], i.transpose(0, -1), m.permute(2, 0, 1), i[:, :1].expand(-1, 3, -1),
                m[0], i.sum((0, 2)), m.any((0, 2)), i.amax((0, 2), keepdim=True), i.unsqueeze(1).flatten(0, 1))


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 5, 1), (1, 2, 7)])
def test_int64_and_bool_strided_copies_match_torch(tmp_path, shape):
    plan = check_module_plan(IntMoves(), (torch.randint(-5, 5, shape),), tmp_path)
    assert {OpCode.SLICE, OpCode.TRANSPOSE, OpCode.EXPAND} <= _codes(plan)


class TopK(torch.nn.Module):
    def __init__(self, dim: int, k: int):
        super().__init__()
        self.dim, self.k = dim, k

    def forward(self, x, i):
        d, k = self.dim, self.k
        return (*torch.topk(x, k, d), *torch.topk(x, k, d, largest=False), *torch.sort(x, d),
                *torch.sort(x, d, descending=True), torch.argsort(x, d), *torch.topk(i * 1000 + x.argsort(d), k, d),
                *torch.sort(i, stable=True, dim=d), *torch.sort(i, stable=True, dim=d, descending=True))


@pytest.mark.parametrize("shape, dim, k", [((7,), 0, 3), ((3, 17), -1, 5), ((3, 17), 0, 2), ((2, 5, 4), 1, 5),
                                           ((2, 1, 33), 2, 1), ((4, 6), 1, 0)])
def test_topk_and_sort_match_torch(tmp_path, shape, dim, k):
    x = torch.randn(shape)
    if shape[dim] > 1:  # one NaN per line (it ranks as the largest; torch orders several NaNs as it likes)
        x.select(dim, 1).fill_(math.nan)
    plan = check_module_plan(TopK(dim, k), (x, torch.randint(-2, 3, shape)), tmp_path)  # ties in i: stable order
    assert OpCode.TOPK in _codes(plan)
