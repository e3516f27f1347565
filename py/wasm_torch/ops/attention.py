"""Attention: scaled_dot_product_attention and the fused nn.MultiheadAttention fast path.

Canonical ops (ATen names and schemas):
    scaled_dot_product_attention   bool masks keep True, float masks add, is_causal is the
        top-left lower triangle, enable_gqa repeats key/value heads; a row with every key masked
        gives zeros (what torch 2.13 returns on CPU), not NaN
    _native_multi_head_attention   what traced nn.MultiheadAttention records under no_grad: packed
        in-projection, attention, out-projection; its mask is a "masked out" mask (non-zero
        means masked, float masks too), so a fully masked row gives NaN here, as in torch.
        Returns (out, weights) with need_weights (weights averaged over heads unless
        average_attn_weights=False), else (out, None).

Spelling lowered onto them: `_transformer_encoder_layer_fwd` (traced nn.TransformerEncoderLayer
under no_grad) becomes the fused attention plus layer_norm, linear, relu/gelu and add.
"""

from __future__ import annotations

from ..dtypes import is_float
from ..errors import ShapeError, UnsupportedError
from ..ir import Graph, Ref, TensorMeta
from .common import broadcast, emit, shape_of
from .registry import A, define, lower_call, lowering


def _tensor(v: object, what: str, min_rank: int) -> TensorMeta:
    if not isinstance(v, TensorMeta) or len(v.shape) < min_rank:
        raise ShapeError(f"{what} must be a tensor with at least {min_rank} dims, got {v!r}")
    return v


def _gqa_heads(q: tuple[int, ...], kv: tuple[int, ...], enable_gqa: bool) -> tuple[int, ...]:
    """key/value batch dims after GQA's head repeat (dim -3 grows to the query's head count)."""
    if not enable_gqa or len(q) < 3 or len(kv) < 3 or q[-3] == kv[-3]:
        return kv[:-2]
    if kv[-3] < 1 or q[-3] % kv[-3]:
        raise ShapeError(f"{q[-3]} query heads are not a multiple of {kv[-3]} key/value heads")
    return (*kv[:-3], q[-3])


def _sdpa_infer(a: A) -> TensorMeta:
    q = _tensor(a.query, "query", 2)
    k = _tensor(a.key, "key", 2)
    v = _tensor(a.value, "value", 2)
    if not is_float(q.dtype) or len({q.dtype, k.dtype, v.dtype}) != 1:
        raise ShapeError(f"query, key and value must share one float dtype, got "
                         f"{q.dtype}, {k.dtype}, {v.dtype}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"query {list(q.shape)}, key {list(k.shape)} and value {list(v.shape)} do not match")
    if a.dropout_p:
        raise UnsupportedError(f"scaled_dot_product_attention with dropout_p={a.dropout_p} (random)")
    batch = broadcast(q.shape[:-2], _gqa_heads(q.shape, k.shape, a.enable_gqa),
                      _gqa_heads(q.shape, v.shape, a.enable_gqa))
    scores = (*batch, q.shape[-2], k.shape[-2])
    mask = a.attn_mask
    if mask is not None:
        if a.is_causal:
            raise ShapeError("attn_mask and is_causal cannot both be set")
        if mask.dtype != "bool" and mask.dtype != q.dtype:
            raise ShapeError(f"attn_mask must be bool or {q.dtype}, got {mask.dtype}")
        if broadcast(mask.shape, scores) != scores:
            raise ShapeError(f"attn_mask {list(mask.shape)} does not broadcast to the scores {list(scores)}")
    return TensorMeta(q.dtype, (*batch, q.shape[-2], v.shape[-1]))


def _softmax(np, s, safe: bool):
    """Softmax over the last dim; `safe` turns all -inf rows into zeros instead of NaN."""
    top = np.max(s, axis=-1, keepdims=True)
    if safe:
        top = np.where(np.isneginf(top), 0.0, top)
    with np.errstate(invalid="ignore"):  # -inf - -inf: the NaN rows torch gives too
        e = np.exp(s - top)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(total == 0, 1.0, total) if safe else e / total


def _sdpa_ref(a: A):
    import numpy as np

    q, k, v = (np.asarray(t, dtype=np.float64) for t in (a.query, a.key, a.value))
    if a.enable_gqa and q.ndim >= 3 and k.ndim >= 3 and q.shape[-3] != k.shape[-3]:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
        v = np.repeat(v, q.shape[-3] // v.shape[-3], axis=-3)
    scale = a.scale if a.scale is not None else 1.0 / np.sqrt(q.shape[-1])
    s = np.matmul(q, np.swapaxes(k, -1, -2)) * scale
    keep = None
    if a.is_causal:
        keep = np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=bool))
    elif a.attn_mask is not None and a.attn_mask.dtype == np.bool_:
        keep = a.attn_mask
    elif a.attn_mask is not None:
        s = s + a.attn_mask.astype(np.float64)
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    return np.matmul(_softmax(np, s, safe=True), v)


define("scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, "
       "float dropout_p=0., bool is_causal=False, *, float? scale=None, bool enable_gqa=False) -> Tensor",
       _sdpa_infer, _sdpa_ref)


# ---------------------------------------------------------------------------------------------
# _native_multi_head_attention


def _mha_infer(a: A) -> list[TensorMeta]:
    q = _tensor(a.query, "query", 3)
    k = _tensor(a.key, "key", 3)
    v = _tensor(a.value, "value", 3)
    e, h = a.embed_dim, a.num_head
    if len(q.shape) != 3 or q.shape[2] != e or len(k.shape) != 3 or tuple(k.shape) != tuple(v.shape) or \
            k.shape[0] != q.shape[0] or k.shape[2] != e:
        raise ShapeError(f"query {list(q.shape)}, key {list(k.shape)}, value {list(v.shape)} must be "
                         f"(batch, length, {e})")
    if h < 1 or e % h:
        raise ShapeError(f"embed_dim {e} is not divisible by num_head {h}")
    expected = {"qkv_weight": (3 * e, e), "qkv_bias": (3 * e,), "proj_weight": (e, e), "proj_bias": (e,)}
    for name, shape in expected.items():
        if shape_of(a[name]) != shape:
            raise ShapeError(f"{name} must have shape {list(shape)}, got {shape_of(a[name])}")
    b, length, source = q.shape[0], q.shape[1], k.shape[1]
    if a.mask is not None:
        mask = a.mask.shape
        full = (b, h, length, source)
        if (a.mask_type == 1 and tuple(mask) != (b, source)) or \
                (a.mask_type != 1 and broadcast(mask, full) != full):
            raise ShapeError(f"mask {list(mask)} (mask_type {a.mask_type}) does not fit scores {list(full)}")
    out = TensorMeta(q.dtype, tuple(q.shape))
    if not a.need_weights:
        return [out]
    weights = (b, length, source) if a.average_attn_weights else (b, h, length, source)
    return [out, TensorMeta(q.dtype, weights)]


def _mha_ref(a: A):
    import numpy as np

    e, h = a.embed_dim, a.num_head
    d = e // h
    w, bias = np.asarray(a.qkv_weight, np.float64), np.asarray(a.qkv_bias, np.float64)

    def heads(x, i):  # project with the i-th third of the packed weights: (B, T, E) -> (B, H, T, d)
        y = np.matmul(np.asarray(x, np.float64), w[i * e:(i + 1) * e].T) + bias[i * e:(i + 1) * e]
        return y.reshape(y.shape[0], y.shape[1], h, d).transpose(0, 2, 1, 3)

    q, k, v = heads(a.query, 0), heads(a.key, 1), heads(a.value, 2)
    s = np.matmul(q, np.swapaxes(k, -1, -2)) / np.sqrt(d)
    if a.mask is not None:
        masked = np.asarray(a.mask) != 0
        if a.mask_type == 1:  # key padding mask (B, S)
            masked = masked[:, None, None, :]
        s = np.where(masked, -np.inf, s)
    p = _softmax(np, s, safe=False)
    ctx = np.matmul(p, v).transpose(0, 2, 1, 3).reshape(q.shape[0], q.shape[2], e)
    out = np.matmul(ctx, np.asarray(a.proj_weight, np.float64).T) + np.asarray(a.proj_bias, np.float64)
    if not a.need_weights:
        return [out]
    return [out, p.mean(axis=1) if a.average_attn_weights else p]


_MHA = ("_native_multi_head_attention(Tensor query, Tensor key, Tensor value, int embed_dim, int num_head, "
        "Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, Tensor? mask=None, "
        "bool need_weights=True, bool average_attn_weights=True, int? mask_type=None) -> (Tensor, Tensor)")


# Registered before the op itself so that this lowering, not the plain node, binds the ATen
# spelling: torch returns None as the second output without need_weights, and so do we.
@lowering(_MHA)
def _lower_mha(g: Graph, a: A, src: str) -> list[Ref | None]:
    outs = emit(g, "_native_multi_head_attention", src, **a)
    return outs if a.need_weights else [*outs, None]


define(_MHA, _mha_infer, _mha_ref)


# ---------------------------------------------------------------------------------------------
# _transformer_encoder_layer_fwd: traced nn.TransformerEncoderLayer under no_grad, one call for
# the whole layer. Lowered onto the fused attention plus canonical norm/linear ops, in torch's
# order: [norm1] -> attention -> + src -> [norm1] -> [norm2] -> linear, relu|gelu, linear
# -> + residual -> [norm2], the bracketed norms before (norm_first) or after their block.


@lowering("_transformer_encoder_layer_fwd(Tensor src, int embed_dim, int num_heads, Tensor qkv_weight, "
          "Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, bool use_gelu, bool norm_first, float eps, "
          "Tensor norm_weight_1, Tensor norm_bias_1, Tensor norm_weight_2, Tensor norm_bias_2, "
          "Tensor ffn_weight_1, Tensor ffn_bias_1, Tensor ffn_weight_2, Tensor ffn_bias_2, "
          "Tensor? mask=None, int? mask_type=None) -> Tensor")
def _lower_encoder_layer(g: Graph, a: A, src: str) -> list[Ref]:
    def norm(x: Ref, i: int) -> Ref:
        return emit(g, "layer_norm", src, x, [a.embed_dim], a[f"norm_weight_{i}"], a[f"norm_bias_{i}"],
                    a.eps)[0]

    def add(x: Ref, y: Ref) -> Ref:
        return lower_call(g, "add", [x, y], {}, src)[0]

    x = norm(a.src, 1) if a.norm_first else a.src
    x = emit(g, "_native_multi_head_attention", src, x, x, x, a.embed_dim, a.num_heads, a.qkv_weight,
             a.qkv_bias, a.proj_weight, a.proj_bias, a.mask, False, True, a.mask_type)[0]
    x = add(x, a.src)
    if not a.norm_first:
        x = norm(x, 1)
    residual = x
    y = norm(x, 2) if a.norm_first else x
    y = emit(g, "linear", src, y, a.ffn_weight_1, a.ffn_bias_1)[0]
    y = lower_call(g, "gelu" if a.use_gelu else "relu", [y], {}, src)[0]
    y = emit(g, "linear", src, y, a.ffn_weight_2, a.ffn_bias_2)[0]
    y = add(y, residual)
    return [y if a.norm_first else norm(y, 2)]
