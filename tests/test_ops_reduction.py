"""Parity of reductions and every spelling that lowers onto them (ops/reduction.py)."""

import math

import pytest
import torch
from op_inputs import HALF_TOL, rand
from parity import parity
from wasm_torch.errors import ShapeError

f32, f16, f64, i64, i32, u8, b = (torch.float32, torch.float16, torch.float64, torch.int64, torch.int32,
                                  torch.uint8, torch.bool)
aten = torch.ops.aten

# (input shape, dim) pairs: every dim form torch accepts, negative dims, 0-d inputs.
DIMS = [((2, 3, 7), None), ((2, 3, 7), 1), ((2, 3, 7), -1), ((2, 3, 7), [0, 2]), ((2, 3, 7), [-1, -2]),
        ((17,), 0), ((3, 7), [0, 1]), ((), 0), ((), None), ((1, 5, 1), [0, -1])]


def tol_for(x, dtype=None):
    return HALF_TOL * 4 if f16 in (x.dtype, dtype) else 1e-4


@pytest.mark.parametrize("shape,dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [f32, f16, i64, b])
def test_sum(shape, dim, keepdim, dtype):
    x = rand(*shape, dtype=dtype)
    if dim is None:
        parity("sum", torch.sum, [x], tol=tol_for(x))
    else:
        parity("sum", torch.sum, [x], tol=tol_for(x), dim=dim, keepdim=keepdim)
        parity("sum.dim_IntList", aten.sum.dim_IntList, [x, dim if isinstance(dim, list) else [dim], keepdim],
               tol=tol_for(x))


@pytest.mark.parametrize("shape,dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [f32, f16, f64])
def test_mean(shape, dim, keepdim, dtype):
    x = rand(*shape, dtype=dtype)
    if dim is None:
        parity("mean", torch.mean, [x], tol=tol_for(x))
    else:
        parity("mean", torch.mean, [x, dim, keepdim], tol=tol_for(x))
        dims = dim if isinstance(dim, list) else [dim]
        parity("mean.dim", aten.mean.dim, [x, dims, keepdim], tol=tol_for(x))


def test_sum_and_mean_dtype_and_defaults():
    parity("sum", torch.sum, [rand(3, 7, dtype=i32)])  # int32 sums to int64
    parity("sum", torch.sum, [rand(3, 7, dtype=u8)], dtype=f32)
    parity("sum", torch.sum, [rand(3, 7, dtype=f16)], dtype=f32)
    parity("sum", torch.sum, [rand(3, 7)], dim=1, dtype=i64)
    parity("sum.default", aten.sum.default, [rand(3, 7, dtype=b)])
    parity("sum.dim_IntList", aten.sum.dim_IntList, [rand(2, 3, 7), []])  # core ATen's full reduction
    parity("mean", torch.mean, [rand(3, 7, dtype=i64)], dtype=f32)
    parity("mean", torch.mean, [rand(3, 7)], dim=[], keepdim=False)
    parity("mean.default", aten.mean.default, [rand(3, 7)])
    with pytest.raises(ShapeError, match="mean"):
        parity("mean", torch.mean, [rand(3, dtype=i64)])


@pytest.mark.parametrize("shape,dim", [((2, 3, 7), None), ((2, 3, 7), 1), ((2, 3, 7), -1), ((17,), 0),
                                       ((), 0)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [f32, i32, b])
def test_prod(shape, dim, keepdim, dtype):
    x = rand(*shape, dtype=dtype, scale=1.0, low=-2, high=3)
    if dim is None:
        parity("prod", torch.prod, [x])
        parity("prod", torch.prod, [x], dtype=f64)
    else:
        parity("prod", torch.prod, [x, dim, keepdim])
        parity("prod.dim_int", aten.prod.dim_int, [x, dim, keepdim])


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("shape,dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [f32, i64, b])
def test_amax_amin(op, shape, dim, keepdim, dtype):
    x = rand(*shape, dtype=dtype, special=True)
    parity(op, getattr(torch, op), [x, [] if dim is None else dim, keepdim])


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("shape,dim", [((2, 3, 7), 1), ((2, 3, 7), -1), ((17,), 0), ((3, 7), -2), ((), 0)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [f32, f16, i64])
def test_max_min_dim(op, shape, dim, keepdim, dtype):
    x = rand(*shape, dtype=dtype, special=True)
    if x.numel() > 4:
        x.view(-1)[[1, 3]] = x.view(-1)[0].clone()  # ties: torch returns the first index
    parity(op, getattr(torch, op), [x, dim, keepdim])
    parity(f"{op}.dim", getattr(aten, op).dim, [x, dim], keepdim=keepdim)


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_full_and_binary(op):
    fn = getattr(torch, op)
    parity(op, fn, [rand(2, 3, 7, special=True)])
    parity(f"{op}.default", getattr(aten, op).default, [rand(17, dtype=i64)])
    parity(op, fn, [rand(3, 7, special=True), rand(7)])  # max.other is maximum
    parity(f"{op}.other", getattr(aten, op).other, [rand(3, 7, dtype=i64), rand(3, 1, dtype=i32)])


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("shape,dim", [((2, 3, 7), None), ((2, 3, 7), 1), ((2, 3, 7), -1), ((17,), 0),
                                       ((), None), ((), 0)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [f32, i64, u8])
def test_argmax_argmin(op, shape, dim, keepdim, dtype):
    x = rand(*shape, dtype=dtype, low=-3, high=3)  # small ints: many ties
    parity(op, getattr(torch, op), [x], dim=dim, keepdim=keepdim)


VAR_DIMS = [((2, 3, 7), None), ((2, 3, 7), [1]), ((2, 3, 7), [-1, 0]), ((17,), [0]), ((3, 1), [1])]


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("shape,dim", VAR_DIMS)
@pytest.mark.parametrize("correction", [None, 0, 1, 2, 1.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_var_std_correction(op, shape, dim, correction, keepdim):
    x = rand(*shape)
    parity(op, getattr(torch, op), [x, dim], correction=correction, keepdim=keepdim)
    parity(f"{op}.correction", getattr(aten, op).correction, [x, dim], correction=correction, keepdim=keepdim)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_unbiased_spellings(op):
    fn = getattr(torch, op)
    parity(op, fn, [rand(3, 7)])
    parity(op, fn, [rand(3, 7), False])  # var(self, bool unbiased): must not bind as dim
    parity(op, fn, [rand(3, 7), True])
    parity(op, fn, [rand(2, 3, 7), [1], True, True])  # TorchScript's var.dim
    parity(f"{op}.dim", getattr(aten, op).dim, [rand(2, 3, 7), [-1], False])
    parity(op, fn, [rand(3, 7, dtype=f16), [1]], tol=HALF_TOL)
    with pytest.raises(ShapeError, match=op):
        parity(op, fn, [rand(7, dtype=i64)])


@pytest.mark.parametrize("op", ["var_mean", "std_mean"])
def test_var_mean_std_mean(op):
    fn = getattr(torch, op)
    parity(op, fn, [rand(3, 7)])
    parity(op, fn, [rand(3, 7), False])
    parity(op, fn, [rand(2, 3, 7), [1]])
    parity(op, fn, [rand(2, 3, 7), [1], True, True])
    parity(op, fn, [rand(2, 3, 7), [0, -1]], correction=0, keepdim=True)
    parity(f"{op}.correction", getattr(aten, op).correction, [rand(3, 7), [1]], correction=2)


@pytest.mark.parametrize("ord", [2, 1, math.inf, -math.inf, 0, 3, 0.5])
@pytest.mark.parametrize("shape,dim", [((2, 3, 7), None), ((2, 3, 7), [1]), ((2, 3, 7), [-1, 0]), ((17,), 0),
                                       ((), None)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_linalg_vector_norm(ord, shape, dim, keepdim):
    x = rand(*shape)
    if x.numel() > 3:
        x.view(-1)[:2] = 0  # ord 0 counts nonzeros
    parity("linalg_vector_norm", torch.linalg.vector_norm, [x, ord, dim, keepdim])


def test_linalg_vector_norm_dtypes():
    parity("linalg_vector_norm", torch.linalg.vector_norm, [rand(3, 7, dtype=f16)], tol=HALF_TOL)
    parity("linalg_vector_norm", torch.linalg.vector_norm, [rand(3, 7, dtype=f16)], dtype=f32)
    parity("linalg_vector_norm.default", aten.linalg_vector_norm.default, [rand(3, 7), 2, [-1], True])
    with pytest.raises(ShapeError, match="linalg_vector_norm"):
        parity("linalg_vector_norm", torch.linalg.vector_norm, [rand(3, dtype=i64)])


def test_norm_spellings():
    x = rand(2, 3, 7)
    parity("norm", torch.norm, [x])  # norm.Scalar, p=2
    parity("norm.Scalar", aten.norm.Scalar, [x, 1])
    parity("norm", lambda x, p, d, k: torch.norm(x, p, d, k), [x, 2, [1], True])  # norm.ScalarOpt_dim
    parity("norm.ScalarOpt_dim", aten.norm.ScalarOpt_dim, [x, None, [-1]])
    parity("norm.ScalarOpt_dim", aten.norm.ScalarOpt_dim, [x, math.inf, [0, 2], False])
    parity("norm.ScalarOpt_dtype", aten.norm.ScalarOpt_dtype, [rand(3, 7, dtype=f16), 2], dtype=f32)
    parity("norm.ScalarOpt_dim_dtype", aten.norm.ScalarOpt_dim_dtype, [x, 3, [1], True], dtype=f64)
    parity("frobenius_norm", aten.frobenius_norm.dim, [x, [1, 2]])
    parity("frobenius_norm.dim", aten.frobenius_norm.dim, [x, [-1], True])


CUMULATIVE = {"cumsum": lambda *args, **kw: parity("cumsum", torch.cumsum, *args, **kw),
              "cumprod": lambda *args, **kw: parity("cumprod", torch.cumprod, *args, **kw)}


@pytest.mark.parametrize("op", CUMULATIVE)
@pytest.mark.parametrize("shape,dim", [((2, 3, 7), 1), ((2, 3, 7), -1), ((17,), 0), ((3, 7), -2), ((), 0)])
@pytest.mark.parametrize("dtype", [f32, f16, i32, b])
def test_cumulative(op, shape, dim, dtype):
    x = rand(*shape, dtype=dtype, scale=1.0, low=-2, high=3)
    CUMULATIVE[op]([x, dim], tol=tol_for(x))
    CUMULATIVE[op]([x, dim], dtype=f64)


@pytest.mark.parametrize("shape,dim", [((2, 3, 7), [1]), ((2, 3, 7), [-1, 0]), ((17,), [0]), ((3, 7), 1),
                                       ((), [0])])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [f32, f16, i64])
def test_logsumexp(shape, dim, keepdim, dtype):
    x = rand(*shape, dtype=dtype, scale=10.0)
    parity("logsumexp", torch.logsumexp, [x, dim, keepdim], tol=tol_for(x))


def test_logsumexp_infinities():
    x = rand(4, 7)
    x[0] = float("-inf")
    x[1, 2] = float("inf")
    x[2, :3] = float("-inf")
    parity("logsumexp", torch.logsumexp, [x, [1]])


@pytest.mark.parametrize("op", ["any", "all"])
@pytest.mark.parametrize("shape,dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [b, f32, u8, i64])
def test_any_all(op, shape, dim, keepdim, dtype):
    x = rand(*shape, dtype=dtype, special=True, low=0, high=2)
    fn = getattr(torch, op)
    if dim is None:
        parity(op, fn, [x])
    else:
        parity(op, fn, [x, dim, keepdim])
        if isinstance(dim, int):
            parity(f"{op}.dim", getattr(aten, op).dim, [x, dim, keepdim])
        parity(f"{op}.dims", getattr(aten, op).dims, [x, dim if isinstance(dim, list) else [dim], keepdim])


@pytest.mark.parametrize("shape,dim", [((2, 3, 7), None), ((2, 3, 7), 1), ((2, 3, 7), [0, -1]), ((17,), 0),
                                       ((), None)])
@pytest.mark.parametrize("dtype", [f32, i64, b])
def test_count_nonzero(shape, dim, dtype):
    x = rand(*shape, dtype=dtype, special=True, low=-1, high=2)
    parity("count_nonzero", torch.count_nonzero, [x], dim=dim)
