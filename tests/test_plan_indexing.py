"""Advanced indexing on the wasm backend (plan op codes 94..96, passes/lower_indexing.py): x[idx]
over adjacent runs of dims and dims apart, with broadcast, negative and computed int64 indices,
bool data, index_select, int64 slicing, index_put with and without accumulate (repeated indices
add up), slice_scatter and gather along every dim, over odd shapes, exported to .pt2 and run on
the kernel module under Node (1 and 2 threads) against torch, allocating nothing in forward; an
index out of range fails the forward pass."""

from __future__ import annotations

import shutil

import pytest
import torch
from parity import Fn, check_module_plan, export_plan
from wasm_torch.errors import WasmTorchError
from wasm_torch.plan import OpCode, read_plan, write_plan
from wasm_torch.runtime.wasm import run_plan

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the wasm backend runs under Node")


@pytest.mark.parametrize("shape", [(7, 5, 3), (1, 17, 2), (3, 1, 33), (2, 3, 4, 5)])
def test_index_forms(shape, tmp_path):
    torch.manual_seed(sum(shape))
    x = torch.randn(*shape)
    i0 = torch.randint(-shape[0], shape[0], (4,))
    i1 = torch.randint(-shape[1], shape[1], (3, 1))
    i2 = torch.randint(0, shape[2], (1, 2))
    rows = torch.arange(min(shape[0], shape[1]))
    module = Fn(lambda m, x, i0, i1, i2: (x[i0], x[:, i1], x[:, i1, i2], x[i0 % shape[0], None, 0],
                                          torch.index_select(x, 2, i2.flatten()), x[rows, rows], x[..., i2],
                                          x[:, m.const], (i1 * 2)[1:, :], x[:, m.const[:1]], x[i0[:, None], :, i2],
                                          (x > 0)[i0[:, None], :, i2[0]]),
                const=torch.tensor([0, shape[1] - 1, -1]))
    check_module_plan(module, (x, i0, i1, i2), tmp_path, f"index {shape}", {OpCode.INDEX})


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put(accumulate, tmp_path):
    torch.manual_seed(5)
    x, values = torch.randn(5, 7, 3), torch.randn(5, 4, 3)
    idx = torch.tensor([6, 0, -1, 2])  # -1 and 6 are one row: accumulate adds both
    module = Fn(lambda m, x, idx, values: (
        x.index_put((torch.arange(5)[:, None], idx), values, accumulate=accumulate),
        x.index_put((idx[:3] % 5,), torch.ones(7, 3), accumulate=accumulate),
        x.index_put((idx % 5, idx[:1] * 0), torch.tensor(2.5), accumulate=accumulate)))
    check_module_plan(module, (x, idx, values), tmp_path, f"index_put accumulate={accumulate}", {OpCode.INDEX_PUT})


def test_setitem_and_slice_scatter(tmp_path):
    torch.manual_seed(6)

    def fn(m, x, idx, upd):
        y = x.clone()
        y[:, idx] = upd
        w = x.clone()
        w[0, idx, 1] = 5.0
        z = x.clone()
        z[1:3, ::2] = upd[:2, :1]
        return y, w, z

    check_module_plan(Fn(fn), (torch.randn(3, 6, 4), torch.tensor([4, 1]), torch.randn(3, 2, 4)), tmp_path, "setitem",
         {OpCode.INDEX_PUT})


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_gather(dim, tmp_path):
    torch.manual_seed(7 + dim)
    x = torch.randn(3, 5, 7)
    size = list(x.shape)
    size[dim] = 4
    size[0] = min(size[0], 2)
    index = torch.randint(0, x.shape[dim], size)  # torch's gather takes no negative indices
    module = Fn(lambda m, x, index: (torch.gather(x, dim, index), torch.gather(x, dim, m.fixed)),
                fixed=torch.randint(0, x.shape[dim], size))
    check_module_plan(module, (x, index), tmp_path, f"gather dim {dim}", {OpCode.GATHER})


@pytest.mark.parametrize("gather, bad", [(False, [1, 5]), (False, [-6, 0]), (True, [[0, 5]] * 3),
                                         (True, [[0, -1]] * 3)])
def test_index_out_of_range_fails_forward(gather, bad, tmp_path):
    x = torch.randn(3, 5)
    if gather:
        module, index = Fn(lambda m, x, g: torch.gather(x, 1, g)), torch.tensor([[0, 4]] * 3)
    else:
        module, index = Fn(lambda m, x, i: x[:, i]), torch.tensor([1, 4])
    plan = export_plan(module, (x, index), tmp_path)
    with pytest.raises(WasmTorchError, match=r"out of bounds for a dimension of size 5"):
        run_plan(plan, [x.numpy(), torch.tensor(bad).numpy()], 1, "st")


@pytest.mark.parametrize("code, params, message", [
    (OpCode.INDEX, (2,), "2 indices from dim 2 of a rank-3 input"),
    (OpCode.INDEX_PUT, (1, 2), "accumulate must be 0 or 1"),
    (OpCode.INDEX_PUT, (3, 0), "1 indices from dim 3"),
    (OpCode.GATHER, (3,), "dim 3"),
])
def test_bad_indexing_fields_are_rejected(code, params, message, tmp_path):
    x, i = torch.randn(3, 5, 2), torch.tensor([1, 4])
    module = Fn(lambda m, x, i: (x[:, i, i[:1]], x.index_put((i % 3,), torch.tensor(1.0)),
                                 torch.gather(x, 0, m.index)), index=torch.zeros(2, 5, 2, dtype=torch.int64))
    plan = read_plan(export_plan(module, (x, i), tmp_path))
    next(op for op in plan.ops if op.code == code).params = params
    with pytest.raises(WasmTorchError, match=message):
        run_plan(write_plan(plan), [x.numpy(), i.numpy()], 1, "st")
