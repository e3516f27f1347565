"""Attention and RMS norm on the wasm backend (plan op codes 92..93, passes/lower_attention.py):
scaled_dot_product_attention over odd shapes with broadcast batch dims, float and bool masks
(broadcast, with fully masked rows), is_causal (square and not), explicit scales and grouped-query heads;
rms_norm over one or several trailing dims, with and without a weight, default eps; exported to
.pt2 and run on the kernel module under Node (1 and 2 threads) against torch, allocating nothing
in forward."""

from __future__ import annotations

import shutil

import pytest
import torch
import torch.nn.functional as F
from parity import Fn, check_module_plan
from wasm_torch.errors import WasmTorchError
from wasm_torch.model import load
from wasm_torch.plan import OpCode, build_plan, read_plan, write_plan
from wasm_torch.runtime.wasm import run_plan

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the wasm backend runs under Node")


# (q shape, k shape, v's last dim): batch dims broadcast between q and k/v
SDPA = [((1, 1, 3), (1, 5, 3), 2), ((1, 71, 8), (1, 40, 8), 5), ((37, 4), (37, 4), 3),
        ((2, 3, 7, 5), (2, 3, 17, 5), 9), ((3, 1, 4, 8), (2, 4, 8), 3), ((2, 5, 1, 4), (2, 5, 33, 4), 4),
        ((4, 6, 16), (4, 6, 16), 16), ((2, 3, 5, 7), (3, 5, 7), 1)]


@pytest.mark.parametrize("sq, sk, ev", SDPA)
def test_sdpa_plain_causal_scaled(sq, sk, ev, tmp_path):
    torch.manual_seed(sum(sq) + sum(sk))
    q, k, v = torch.randn(*sq), torch.randn(*sk), torch.randn(*sk[:-1], ev)
    module = Fn(lambda m, q, k, v: (F.scaled_dot_product_attention(q, k, v),
                                    F.scaled_dot_product_attention(q, k, v, is_causal=True),
                                    F.scaled_dot_product_attention(q * 3, k, v, scale=0.37)))
    check_module_plan(module, (q, k, v), tmp_path, f"sdpa {sq} {sk}", OpCode.SDPA)


@pytest.mark.parametrize("mask_shape", [(7, 17), (1, 17), (7, 1), (2, 1, 7, 17), (3, 7, 17), (1, 1, 1, 17)])
def test_sdpa_float_masks(mask_shape, tmp_path):
    torch.manual_seed(len(mask_shape))
    q, k, v = torch.randn(2, 3, 7, 5), torch.randn(2, 3, 17, 5), torch.randn(2, 3, 17, 9)
    mask = torch.randn(*mask_shape)
    blocked = torch.where(torch.rand(*mask_shape) > 0.6, float("-inf"), mask)
    if len(mask_shape) >= 2 and mask_shape[-1] > 1:
        blocked[..., 0, :] = float("-inf")  # a row with every key masked: zeros, as torch gives
    module = Fn(lambda m, q, k, v, x: (F.scaled_dot_product_attention(q, k, v, attn_mask=x),
                                       F.scaled_dot_product_attention(q, k, v, attn_mask=m.blocked)),
                blocked=blocked)
    check_module_plan(module, (q, k, v, mask), tmp_path, f"sdpa mask {mask_shape}", OpCode.SDPA)


@pytest.mark.parametrize("heads, kv_heads, mask_shape", [(4, 2, None), (6, 3, (6, 5, 7)), (3, 1, (2, 1, 5, 7))])
def test_sdpa_grouped_query_heads(heads, kv_heads, mask_shape, tmp_path):
    torch.manual_seed(heads)
    q, k, v = torch.randn(2, heads, 5, 4), torch.randn(2, kv_heads, 7, 4), torch.randn(2, kv_heads, 7, 3)
    mask = torch.randn(*mask_shape) if mask_shape else None
    module = Fn(lambda m, q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True))
    check_module_plan(module, (q, k, v), tmp_path, f"sdpa gqa {heads}/{kv_heads}", OpCode.SDPA)


@pytest.mark.parametrize("shape, dims, weight, eps", [((3, 7), 1, True, 1e-6), ((2, 5, 17), 1, False, None),
                                                      ((2, 3, 4, 5), 2, True, 1e-3), ((1, 33), 1, True, None),
                                                      ((4, 3, 5), 3, False, 1e-5)])
def test_rms_norm(shape, dims, weight, eps, tmp_path):
    torch.manual_seed(sum(shape))
    norm = torch.nn.RMSNorm(shape[-dims:], eps=eps, elementwise_affine=weight)
    if weight:
        torch.nn.init.uniform_(norm.weight, 0.5, 1.5)
    check_module_plan(norm, (torch.randn(*shape) * 3,), tmp_path, f"rms_norm {shape}", OpCode.RMS_NORM)


@pytest.mark.parametrize("mask_shape", [(7, 17), (2, 1, 7, 17), (3, 1, 17), (1, 7, 1)])
def test_sdpa_bool_masks(mask_shape, tmp_path):
    torch.manual_seed(10 + len(mask_shape))
    q, k, v = torch.randn(2, 3, 7, 5), torch.randn(2, 3, 17, 5), torch.randn(2, 3, 17, 9)
    keep = torch.rand(*mask_shape) > 0.4
    keep[..., 0, :] = False  # a row with every key masked: zeros, as torch gives
    module = Fn(lambda m, q, k, v, x: (F.scaled_dot_product_attention(q, k, v, attn_mask=m.keep),
                                       F.scaled_dot_product_attention(q, k, v, attn_mask=x > 0)), keep=keep)
    check_module_plan(module, (q, k, v, torch.randn(*mask_shape)), tmp_path, f"sdpa bool mask {mask_shape}",
                      OpCode.SDPA)


@pytest.mark.parametrize("code, params, message", [
    (OpCode.SDPA, (2, 0.5), "unknown flags 0x2"),
    (OpCode.SDPA, (0, float("inf")), "the scale must be finite"),
    (OpCode.RMS_NORM, (3, 1e-6), "row length 3 is not a product of x's trailing dims"),
    (OpCode.RMS_NORM, (5, -1.0), "eps must be finite and >= 0"),
])
def test_bad_attention_fields_are_rejected(code, params, message, tmp_path):
    module = Fn(lambda m, q, k: (F.scaled_dot_product_attention(q, k, k), m.norm(q)))
    module.norm = torch.nn.RMSNorm(5)
    q, k = torch.randn(2, 3, 5), torch.randn(2, 4, 5)
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(module.eval(), (q, k)), str(path))
    plan = read_plan(write_plan(build_plan(load(str(path)).graph)))
    next(op for op in plan.ops if op.code == code).params = params
    with pytest.raises(WasmTorchError, match=message):
        run_plan(write_plan(plan), [q.numpy(), k.numpy()], 1, "st")
