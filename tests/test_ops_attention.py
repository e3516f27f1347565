import pytest
import torch
import torch.nn.functional as F
from parity import parity
from wasm_torch.errors import ShapeError, UnsupportedError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry

sdpa = F.scaled_dot_product_attention
r = torch.randn


@pytest.mark.parametrize("b,h,l,s,e,ev", [(2, 3, 7, 7, 8, 8), (1, 2, 1, 17, 4, 4), (2, 1, 17, 3, 16, 5),
                                          (3, 4, 3, 1, 8, 8)])
def test_sdpa_basic(b, h, l, s, e, ev):
    q, k, v = r(b, h, l, e), r(b, h, s, e), r(b, h, s, ev)
    parity("scaled_dot_product_attention", sdpa, [q, k, v])
    parity("scaled_dot_product_attention", sdpa, [q, k, v], scale=0.3)
    parity("scaled_dot_product_attention", sdpa, [q, k, v], is_causal=True)


@pytest.mark.parametrize("mask_shape", [(7, 5), (2, 1, 1, 5), (2, 3, 7, 5), (1, 5)])
def test_sdpa_masks(mask_shape):
    q, k, v = r(2, 3, 7, 8), r(2, 3, 5, 8), r(2, 3, 5, 8)
    keep = torch.rand(mask_shape) > 0.3
    parity("scaled_dot_product_attention", sdpa, [q, k, v, keep])
    parity("scaled_dot_product_attention", sdpa, [q, k, v, r(mask_shape)])
    additive = torch.zeros(mask_shape).masked_fill(~keep, float("-inf"))
    parity("scaled_dot_product_attention", sdpa, [q, k, v, additive])


def test_sdpa_fully_masked_rows_are_zero():
    q, k, v = r(2, 2, 4, 8), r(2, 2, 6, 8), r(2, 2, 6, 8)
    keep = torch.ones(4, 6, dtype=torch.bool)
    keep[1] = False
    out = parity("scaled_dot_product_attention", sdpa, [q, k, v, keep])[0]
    assert (out[:, :, 1] == 0).all()
    additive = torch.zeros(4, 6)
    additive[2] = float("-inf")
    parity("scaled_dot_product_attention", sdpa, [q, k, v, additive])


def test_sdpa_gqa_and_ranks():
    q = r(2, 4, 5, 8)
    for heads in (2, 1):
        k, v = r(2, heads, 7, 8), r(2, heads, 7, 8)
        parity("scaled_dot_product_attention", sdpa, [q, k, v], enable_gqa=True)
        parity("scaled_dot_product_attention", sdpa, [q, k, v], enable_gqa=True, is_causal=True)
    parity("scaled_dot_product_attention", sdpa, [r(3, 5, 8), r(3, 7, 8), r(3, 7, 4)])  # no head dim
    parity("scaled_dot_product_attention", sdpa, [r(2, 1, 3, 5, 8), r(2, 4, 3, 7, 8), r(2, 4, 3, 7, 8)])


def _mha_args(b, length, e, heads, same=True):
    q = r(b, length, e)
    k, v = (q, q) if same else (r(b, length, e), r(b, length, e))
    return [q, k, v, e, heads, r(3 * e, e) * 0.3, r(3 * e), r(e, e) * 0.3, r(e)]


@pytest.mark.parametrize("b,length,e,heads", [(2, 5, 8, 2), (1, 7, 6, 3), (3, 1, 16, 4), (2, 17, 4, 1)])
@pytest.mark.parametrize("same", [True, False])
def test_native_mha(b, length, e, heads, same):
    mha = torch.ops.aten._native_multi_head_attention
    args = _mha_args(b, length, e, heads, same)
    parity("_native_multi_head_attention", mha, args + [None, False])  # traced no_grad MHA: (out, None)
    parity("_native_multi_head_attention", mha, args)  # need_weights: averaged over heads
    parity("_native_multi_head_attention", mha, args + [None, True, False])


@pytest.mark.parametrize("need_weights", [False, True])
def test_native_mha_masks(need_weights):
    mha = torch.ops.aten._native_multi_head_attention
    b, length, e, heads = 2, 5, 8, 2
    args = _mha_args(b, length, e, heads)
    padding = torch.zeros(b, length, dtype=torch.bool)
    padding[0, 3:] = True
    causal = torch.triu(torch.ones(length, length, dtype=torch.bool), 1)
    full = torch.rand(b, heads, length, length) > 0.6
    full[1, 0, 2] = True  # a fully masked row: NaN, as in torch
    float_padding = torch.zeros(b, length).masked_fill(padding, float("-inf"))
    for mask, mask_type in ((padding, 1), (causal, 0), (full, 2), (float_padding, 1)):
        parity("_native_multi_head_attention", mha, args + [mask, need_weights, True, mask_type])


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("use_gelu", [False, True])
def test_transformer_encoder_layer(norm_first, use_gelu):
    b, length, e, heads, ff = 2, 7, 8, 2, 12
    x = r(b, length, e)
    weights = [r(3 * e, e) * 0.3, r(3 * e), r(e, e) * 0.3, r(e)]
    norms = [r(e), r(e), r(e), r(e)]
    ffn = [r(ff, e) * 0.3, r(ff), r(e, ff) * 0.3, r(e)]
    args = [x, e, heads, *weights, use_gelu, norm_first, 1e-5, *norms, *ffn]
    layer = torch._transformer_encoder_layer_fwd
    parity("_transformer_encoder_layer_fwd", layer, args)
    padding = torch.zeros(b, length, dtype=torch.bool)
    padding[1, 4:] = True
    parity("_transformer_encoder_layer_fwd", layer, args + [padding, 1])


def _lower(op, shapes, *args, **kwargs):
    g = Graph()
    refs = [g.add_input(f"in{i}", TensorMeta("float32", s)) for i, s in enumerate(shapes)]
    return registry.lower_call(g, op, [*refs, *args], kwargs, "test")


def test_attention_errors():
    with pytest.raises(UnsupportedError, match="dropout"):
        _lower("scaled_dot_product_attention", [(1, 2, 3, 4)] * 3, None, 0.1)
    with pytest.raises(ShapeError, match="do not match"):
        _lower("scaled_dot_product_attention", [(1, 2, 3, 4), (1, 2, 3, 5), (1, 2, 3, 4)])
    with pytest.raises(ShapeError, match="multiple"):
        _lower("scaled_dot_product_attention", [(1, 3, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)], enable_gqa=True)
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", (1, 3, 6)))
    w = [g.add_input(f"w{i}", TensorMeta("float32", s)) for i, s in enumerate([(18, 6), (18,), (6, 6), (6,)])]
    with pytest.raises(ShapeError, match="divisible"):
        registry.lower_call(g, "_native_multi_head_attention", [x, x, x, 6, 4, *w], {}, "test")
    with pytest.raises(ShapeError, match="qkv_weight"):
        registry.lower_call(g, "_native_multi_head_attention", [x, x, x, 6, 2, w[2], *w[1:]], {}, "test")
