"""Lowerings for ATen spellings that only TorchScript archives hold: fused fast paths that
`torch.jit.trace` records under no_grad and that scripted modules take in eval mode."""

from __future__ import annotations

from ..ir import Graph, Ref
from ..ops import registry
from ..ops.registry import A, lowering

_ENCODER_LAYER = (
    "_transformer_encoder_layer_fwd(Tensor src, int embed_dim, int num_heads, Tensor qkv_weight, "
    "Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, bool use_gelu, bool norm_first, float eps, "
    "Tensor norm_weight_1, Tensor norm_bias_1, Tensor norm_weight_2, Tensor norm_bias_2, "
    "Tensor ffn_weight_1, Tensor ffn_bias_1, Tensor ffn_weight_2, Tensor ffn_bias_2, "
    "Tensor? mask=None, int? mask_type=None) -> Tensor")


@lowering(_ENCODER_LAYER)
def _transformer_encoder_layer(g: Graph, a: A, src: str) -> Ref:
    """nn.TransformerEncoderLayer's fused path, as ATen's transformer_encoder_layer_forward
    composes it: self-attention, residual, layer norm, feed-forward (relu or exact gelu)."""

    def call(op: str, *args: object) -> Ref:
        return registry.lower_call(g, op, list(args), {}, src)[0]

    def norm(x: Ref, i: int) -> Ref:
        return call("layer_norm", x, [a.embed_dim], a[f"norm_weight_{i}"], a[f"norm_bias_{i}"], a.eps)

    x = norm(a.src, 1) if a.norm_first else a.src
    x = call("_native_multi_head_attention", x, x, x, a.embed_dim, a.num_heads, a.qkv_weight, a.qkv_bias,
             a.proj_weight, a.proj_bias, a.mask, False, True, a.mask_type)
    x = call("add", x, a.src)
    if not a.norm_first:
        x = norm(x, 1)
    residual = x
    if a.norm_first:
        x = norm(x, 2)
    x = call("linear", x, a.ffn_weight_1, a.ffn_bias_1)
    x = call("gelu" if a.use_gelu else "relu", x)
    x = call("add", call("linear", x, a.ffn_weight_2, a.ffn_bias_2), residual)
    return x if a.norm_first else norm(x, 2)
