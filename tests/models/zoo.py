"""The op-coverage zoo: small torch modules, each exercising one op family or one piece of model
plumbing that real checkpoints contain. Sizes are tiny (odd where it matters) so each runs in
milliseconds; `tests/zoo_cache.py` saves every entry in each form torch can produce.

An entry names the forms torch refuses for it, with torch's reason, in `refused`: the tests report
those as skipped with that reason instead of pretending the form exists.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

# traced .pt, scripted .pt, torch.export .pt2, and that .pt2 after run_decompositions() (core ATen).
FORMS = ("trace", "script", "export", "decomposed")
FILE_NAMES = {"trace": "trace.pt", "script": "script.pt", "export": "export.pt2",
              "decomposed": "decomposed.pt2"}

TRACE_ONLY_TENSORS = "torch.jit.trace takes only tensors (and nests of them) as inputs"


@dataclass(frozen=True)
class Entry:
    name: str
    factory: Callable[[], nn.Module]
    # Example call arguments: tensors become model inputs; Python scalars are forward arguments that
    # every form folds into the graph (their default value equals the example value).
    inputs: Callable[[], tuple[Any, ...]]
    refused: dict[str, str] = field(default_factory=dict)
    # Also write a second random init in every weight-file flavour (weight-swap tests).
    swap: bool = False

    @property
    def forms(self) -> tuple[str, ...]:
        return tuple(f for f in FORMS if f not in self.refused)


ZOO: dict[str, Entry] = {}


def entry(name: str, inputs: Callable[[], tuple[Any, ...]], refused: dict[str, str] | None = None,
          swap: bool = False) -> Callable[[type[nn.Module]], type[nn.Module]]:
    def deco(cls: type[nn.Module]) -> type[nn.Module]:
        assert name not in ZOO, name
        ZOO[name] = Entry(name, cls, inputs, dict(refused or {}), swap)
        return cls

    return deco


def rand(*shape: int) -> torch.Tensor:
    return torch.randn(*shape)


def ints(low: int, high: int, *shape: int) -> torch.Tensor:
    return torch.randint(low, high, shape, dtype=torch.int64)


def away_from_zero(*shape: int) -> torch.Tensor:
    """Divisors: |v| in [0.5, 1.5] with random sign, so quotients stay well conditioned."""
    return (torch.rand(*shape) + 0.5) * torch.where(torch.rand(*shape) < 0.5, -1.0, 1.0)


# ------------------------------------------------------------------------------------ convolution
@entry("conv2d_variants", lambda: (rand(2, 4, 9, 11),))
class Conv2dVariants(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.strided = nn.Conv2d(4, 6, 3, stride=2, padding=1)
        self.dilated_grouped = nn.Conv2d(6, 6, 3, padding=2, dilation=2, groups=2)
        self.rect = nn.Conv2d(6, 4, (1, 3), stride=(1, 2), padding=(0, 1), bias=False)
        self.same = nn.Conv2d(4, 4, 3, padding="same")
        self.valid = nn.Conv2d(4, 3, 2, padding="valid")

    def forward(self, x):
        return self.valid(self.same(self.rect(self.dilated_grouped(self.strided(x)))))


@entry("conv2d_padding_modes", lambda: (rand(1, 3, 6, 7),))
class Conv2dPaddingModes(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.zeros = nn.Conv2d(3, 2, 3, padding=1, padding_mode="zeros")
        self.reflect = nn.Conv2d(3, 2, 3, padding=(1, 2), padding_mode="reflect")
        self.replicate = nn.Conv2d(3, 2, 3, padding=2, stride=2, padding_mode="replicate")
        self.circular = nn.Conv2d(3, 2, 3, padding=1, padding_mode="circular")

    def forward(self, x):
        return self.zeros(x), self.reflect(x), self.replicate(x), self.circular(x)


@entry("conv1d_variants", lambda: (rand(2, 3, 17),))
class Conv1dVariants(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.grouped = nn.Conv1d(3, 6, 5, stride=2, padding=2, groups=3)
        self.reflect = nn.Conv1d(6, 4, 3, dilation=3, padding=3, padding_mode="reflect")
        self.circular = nn.Conv1d(4, 4, 3, padding=1, padding_mode="circular")
        self.replicate = nn.Conv1d(4, 4, 2, padding=1, padding_mode="replicate", bias=False)
        self.pointwise = nn.Conv1d(4, 2, 1)

    def forward(self, x):
        return self.pointwise(self.replicate(self.circular(self.reflect(self.grouped(x)))))


@entry("conv_transpose2d", lambda: (rand(1, 4, 5, 7),))
class ConvTranspose2dVariants(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1)
        self.dilated_grouped = nn.ConvTranspose2d(6, 4, 3, padding=2, dilation=2, groups=2)
        self.rect = nn.ConvTranspose2d(4, 2, (2, 3), stride=(2, 1), bias=False)

    def forward(self, x):
        return self.rect(self.dilated_grouped(self.up(x)))


@entry("conv_transpose1d", lambda: (rand(2, 3, 7),))
class ConvTranspose1dVariants(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose1d(3, 4, 4, stride=2, padding=1)
        self.depthwise = nn.ConvTranspose1d(4, 4, 3, stride=3, groups=4, output_padding=1)

    def forward(self, x):
        return self.depthwise(self.up(x))


@entry("depthwise_block", lambda: (rand(2, 8, 9, 9),))
class DepthwiseBlock(nn.Module):
    """MobileNet-style: depthwise 3x3 + BN + ReLU6, pointwise 1x1 + BN, channel multiplier 2."""

    def __init__(self) -> None:
        super().__init__()
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.pw = nn.Conv2d(8, 16, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.dw_mult = nn.Conv2d(16, 32, 3, padding=1, groups=16)

    def forward(self, x):
        y = F.relu6(self.bn1(self.dw(x)))
        return self.dw_mult(self.bn2(self.pw(y)))


# ----------------------------------------------------------------------------------- linear algebra
@entry("linear_family", lambda: (rand(2, 3, 7), rand(2, 7, 4)))
class LinearFamily(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(7, 5)
        self.fc_nobias = nn.Linear(5, 3, bias=False)
        self.bias = nn.Parameter(torch.randn(4))

    def forward(self, x, y):
        a = self.fc_nobias(self.fc(x))
        b = torch.matmul(x, y)
        c = torch.bmm(x, y)
        d = torch.addmm(self.bias, x[0], y[0], beta=0.5, alpha=2.0)
        e = torch.baddbmm(b, x, y, beta=0.5, alpha=2.0)
        f = x @ self.fc.weight.t()                      # 3-D @ 2-D
        v = torch.matmul(x[0, 0], y[0])                 # 1-D @ 2-D
        mv = torch.matmul(y[0].t(), x[0, 1])            # 2-D @ 1-D
        dot = torch.matmul(x[0, 0], x[1, 2])            # 1-D @ 1-D
        mm = torch.mm(x[1], y[1])
        return a, b + c, d, e, f, v, mv, dot, mm


@entry("matmul_broadcast_einsum", lambda: (rand(2, 1, 3, 7), rand(4, 7, 5), rand(3), rand(5)))
class MatmulBroadcastEinsum(nn.Module):
    def forward(self, q, k, u, w):
        return (torch.matmul(q, k),                             # batch dims broadcast to [2, 4]
                torch.einsum("bhij,hjk->bhik", q.expand(2, 4, 3, 7), k),
                torch.einsum("bhij->bj", q),
                torch.einsum("i,j->ij", u, w),
                torch.einsum("...ij,...jk", q[0], k))


# -------------------------------------------------------------------------------------- elementwise
@entry("elementwise_binary", lambda: (rand(2, 3, 1, 5), away_from_zero(3, 4, 1)))
class ElementwiseBinary(nn.Module):
    def forward(self, a, b):
        return (a + b, a - b, a * b, a / b,
                torch.div(a, b, rounding_mode="floor"), torch.div(a, b, rounding_mode="trunc"),
                torch.remainder(a, b), torch.fmod(a, b), a // b,
                torch.pow(a.abs() + 0.5, b), torch.maximum(a, b), torch.minimum(a, b),
                a + 2, 3 - a, a * 0.5, 2 / b, a ** 2, 2 ** a, torch.add(a, b, alpha=2),
                torch.sub(a, b, alpha=0.5), torch.rsub(a, b), torch.hypot(a, b))


@entry("int_arithmetic", lambda: (ints(-9, 10, 2, 5), ints(1, 4, 5) * torch.tensor([1, -1, 1, -1, 1])))
class IntArithmetic(nn.Module):
    def forward(self, i, j):
        return (i + j, i - 1, i * j, i // j, torch.div(i, j, rounding_mode="trunc"),
                torch.remainder(i, j), torch.fmod(i, j), i / j, i * 2.5, i.float() * 0.5,
                torch.maximum(i, j), -i, i.abs(), i & 6, i | j, i ^ j)


@entry("comparisons_logical", lambda: (ints(-2, 3, 2, 3, 4).float(), ints(-2, 3, 3, 1).float()))
class ComparisonsLogical(nn.Module):
    def forward(self, a, b):
        lt, gt = a < b, a > 0.5
        return (a == b, a != b, lt, a <= b, gt, a >= b, torch.eq(a, 1), torch.ne(b, 0),
                torch.logical_and(lt, gt), torch.logical_or(lt, gt), torch.logical_xor(lt, gt),
                torch.logical_not(lt), ~gt, lt & gt, lt | gt, torch.where(lt, a, b),
                lt.any(), gt.all(dim=1), torch.isnan(a / a), torch.isinf(a / b))


# ------------------------------------------------------------------------------------- activations
@entry("activations_a", lambda: (rand(2, 17) * 3,))
class ActivationsA(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.relu6 = nn.ReLU6()
        self.gelu_tanh = nn.GELU(approximate="tanh")

    def forward(self, x):
        return (F.relu(x), self.relu6(x), F.relu6(x), F.hardtanh(x, -0.5, 2.0), F.gelu(x),
                self.gelu_tanh(x), F.silu(x), torch.sigmoid(x), torch.tanh(x), x.relu())


@entry("activations_b", lambda: (rand(2, 4, 5) * 3,))
class ActivationsB(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.prelu_channel = nn.PReLU(4)
        self.prelu_single = nn.PReLU()
        with torch.no_grad():
            self.prelu_channel.weight.uniform_(-0.5, 0.5)

    def forward(self, x):
        return (F.hardswish(x), F.hardsigmoid(x), F.leaky_relu(x, 0.2), F.leaky_relu(x),
                F.elu(x, alpha=1.3), F.elu(x), F.softplus(x), F.softplus(x, beta=2.0, threshold=5.0),
                self.prelu_channel(x), self.prelu_single(x), F.mish(x), F.selu(x), F.logsigmoid(x))


@entry("softmax_family", lambda: (rand(3, 4, 7),))
class SoftmaxFamily(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.softmax = nn.Softmax(dim=-2)

    def forward(self, x):
        return (torch.softmax(x, dim=-1), F.softmax(x * 10, dim=1), F.log_softmax(x, dim=0),
                self.softmax(x), x.log_softmax(-1), F.softmax(x, dim=2, dtype=torch.float32))


# ---------------------------------------------------------------------------------- normalisation
@entry("norms", lambda: (rand(2, 4, 5, 7) * 2 + 1, rand(2, 4, 7)))
class Norms(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bn2d = nn.BatchNorm2d(4)
        self.bn1d = nn.BatchNorm1d(4, affine=False)
        self.ln = nn.LayerNorm([5, 7])
        self.ln_plain = nn.LayerNorm(7, elementwise_affine=False, eps=1e-6)
        self.gn = nn.GroupNorm(2, 4)
        self.in2d = nn.InstanceNorm2d(4, affine=True)
        self.in1d_running = nn.InstanceNorm1d(4, track_running_stats=True)
        self.rms = nn.RMSNorm(7, eps=1e-6)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(0.5, 1.5)

    def forward(self, x, s):
        return (self.bn2d(x), self.bn1d(s), self.ln(x), self.ln_plain(s), self.gn(x), self.in2d(x),
                self.in1d_running(s), self.rms(s), F.rms_norm(x, (7,)), F.normalize(s, dim=-1))


# ------------------------------------------------------------------------------------------ pooling
@entry("pools_2d", lambda: (rand(2, 3, 9, 11),))
class Pools2d(nn.Module):
    def forward(self, x):
        vals, idx = F.max_pool2d(x, 2, return_indices=True)
        return (F.max_pool2d(x, 3, 2, 1), F.max_pool2d(x, 3, 2, ceil_mode=True),
                F.max_pool2d(x, 2, 1, dilation=2), vals, idx,
                F.avg_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                F.avg_pool2d(x, 2, ceil_mode=True), F.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
                F.avg_pool2d(x, (2, 3), (1, 2)), F.avg_pool2d(x, 2, divisor_override=3),
                F.adaptive_avg_pool2d(x, (4, 3)), F.adaptive_avg_pool2d(x, 1),
                F.adaptive_max_pool2d(x, (2, 5)))


@entry("pools_1d", lambda: (rand(2, 4, 13),))
class Pools1d(nn.Module):
    def forward(self, x):
        return (F.max_pool1d(x, 3, 2, 1), F.max_pool1d(x, 2, ceil_mode=True),
                F.avg_pool1d(x, 3, 2, 1, count_include_pad=False), F.avg_pool1d(x, 4, ceil_mode=True),
                F.adaptive_avg_pool1d(x, 5), F.adaptive_max_pool1d(x, 3))


# ------------------------------------------------------------------------------------ shape plumbing
@entry("shape_ops", lambda: (rand(2, 3, 4, 5),))
class ShapeOps(nn.Module):
    def forward(self, x):
        u = x.unsqueeze(0)
        return (torch.flatten(x, 1), x.flatten(1, 2), x.view(2, -1, 5), x.reshape(6, 20),
                x.permute(0, 2, 3, 1).contiguous(), x.transpose(1, 3), u.squeeze(0),
                x[:, :1].squeeze(1), x.unsqueeze(-1), x[0, 0].t(), x.movedim(1, -1),
                x.unflatten(3, (5, 1)), x.view(-1))


@entry("slicing", lambda: (rand(3, 6, 8), torch.tensor([4, 0, 2])))
class Slicing(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("gather_idx", torch.randint(0, 8, (3, 6, 2)))

    def forward(self, x, idx):
        return (x[:, 1:3], x[..., ::3], x[:, -2:], x[1], x[:, :, 0], x[:, 2:100], x[-1, -3:-1, 1:7:2],
                x.narrow(2, 1, 4), x.select(1, -1), torch.index_select(x, 1, idx),
                torch.gather(x, 2, self.gather_idx), x[:, None, 0], x[None])


@entry("cat_stack_split", lambda: (rand(2, 5, 3), rand(2, 1, 3)))
class CatStackSplit(nn.Module):
    def forward(self, x, y):
        a, b = x.split(3, dim=1)
        c, d, e = torch.split(x, [1, 3, 1], dim=1)
        f, g = x.chunk(2, dim=-1)
        h0, h1 = x.unbind(0)
        return (torch.cat([x, y], dim=1), torch.cat((x, y, x), -2), torch.stack([x, x * 2], dim=1),
                torch.stack([h0, h1], -1), a, b, c, d, e, f, g, h0 + h1, torch.hstack([x, y]))


@entry("expand_repeat", lambda: (rand(2, 1, 4, 1),))
class ExpandRepeat(nn.Module):
    def forward(self, x):
        return (x.expand(2, 3, 4, 5), x.expand(-1, 2, -1, 3), x.expand_as(torch.zeros(2, 2, 4, 2)),
                x.repeat(1, 2, 1, 3), x.repeat(2, 1, 1, 1, 1), torch.roll(x, 2, 2),
                torch.roll(x, (1, -1), (0, 2)), torch.roll(x, 3), torch.flip(x, [0, 2]),
                x.repeat_interleave(2, dim=2), x.tile((2,)))


@entry("embedding", lambda: (ints(0, 20, 2, 5),))
class Embedding(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 6, padding_idx=0)
        self.table = nn.Parameter(torch.randn(20, 3))

    def forward(self, ids):
        return self.emb(ids), F.embedding(ids, self.table), self.emb(ids[:, 0])


# -------------------------------------------------------------------------------------- reductions
@entry("reductions", lambda: (rand(2, 3, 5, 7),))
class Reductions(nn.Module):
    def forward(self, x):
        mx, imx = x.max(dim=1)
        mn, imn = torch.min(x, -1, keepdim=True)
        return (x.mean(dim=(2, 3), keepdim=True), x.mean(), x.sum(1), x.sum(), x.sum(-1, keepdim=True),
                x.amax(-1), x.amin((1, 2)), x.argmax(-1), x.argmax(), torch.argmin(x, 1, keepdim=True),
                mx, imx, mn, imn, x.max(), x.var(dim=1), x.var(dim=(2, 3), unbiased=False),
                torch.var(x, 3, correction=0, keepdim=True), x.std(dim=2), x.std(),
                x.norm(p=2, dim=-1), torch.norm(x), x.norm(p=1, dim=(1, 2)),
                torch.linalg.vector_norm(x, dim=-1), x.cumsum(dim=2), torch.cumsum(x, 0),
                x.prod(dim=1), torch.logsumexp(x, -1))


# -------------------------------------------------------------------------------------- attention
@entry("sdpa_masks", lambda: (rand(2, 2, 5, 4), rand(2, 2, 7, 4), rand(2, 2, 7, 4), rand(2, 1, 5, 7)))
class SdpaMasks(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("bool_mask", torch.rand(5, 7) > 0.3)

    def forward(self, q, k, v, float_mask):
        return (F.scaled_dot_product_attention(q, k, v),
                F.scaled_dot_product_attention(q, k, v, attn_mask=self.bool_mask),
                F.scaled_dot_product_attention(q, k, v, attn_mask=float_mask),
                F.scaled_dot_product_attention(q, k[:, :, :5], v[:, :, :5], is_causal=True),
                F.scaled_dot_product_attention(q, k, v, scale=0.3))


@entry("multihead_attention", lambda: (rand(2, 5, 8), rand(2, 3, 6), rand(2, 3, 5)))
class MultiheadAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(8, 4, batch_first=True, kdim=6, vdim=5)
        self.register_buffer("mask", torch.triu(torch.full((5, 5), float("-inf")), diagonal=1))

    def forward(self, x, key, value):
        a, w = self.self_attn(x, x, x, attn_mask=self.mask)
        b, _ = self.cross_attn(a, key, value, need_weights=False)
        return a, w, b


@entry("transformer_encoder", lambda: (rand(2, 5, 8),))
class TransformerEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.post_norm = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.pre_norm = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu",
                                                   batch_first=True, norm_first=True)

    def forward(self, x):
        return self.pre_norm(self.post_norm(x))


# ----------------------------------------------------------------------------------- recurrent nets
@entry("lstm", lambda: (rand(2, 3, 5), rand(4, 2, 6), rand(4, 2, 6)), swap=True)
class Lstm(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.plain = nn.LSTM(12, 3)

    def forward(self, x, h0, c0):
        y, (h, c) = self.lstm(x, (h0, c0))
        z, _ = self.plain(y)
        return y, h, c, z


@entry("gru", lambda: (rand(3, 2, 5),))
class Gru(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(5, 6, num_layers=2, bidirectional=True)
        self.batch_first = nn.GRU(12, 3, batch_first=True)

    def forward(self, x):
        y, h = self.gru(x)
        z, hz = self.batch_first(y.transpose(0, 1))
        return y, h, z, hz


@entry("rnn_cells", lambda: (rand(3, 4), rand(3, 6), rand(3, 6)))
class RnnCells(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm_cell = nn.LSTMCell(4, 6)
        self.gru_cell = nn.GRUCell(4, 6)
        self.rnn_cell = nn.RNNCell(4, 6, nonlinearity="relu")
        self.rnn = nn.RNN(4, 6, batch_first=True)

    def forward(self, x, h, c):
        h1, c1 = self.lstm_cell(x, (h, c))
        y, hn = self.rnn(x.unsqueeze(1).repeat(1, 3, 1))
        return h1, c1, self.gru_cell(x, h), self.rnn_cell(x), y, hn


@entry("rnn_state", lambda: (rand(1, 3, 4), rand(1, 1, 6)))
class RnnState(nn.Module):
    """(x, h) -> (y, h_new): the streaming pattern where the caller carries the hidden state."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 6, batch_first=True)
        self.head = nn.Linear(6, 2)

    def forward(self, x, h):
        y, h_new = self.gru(x, h)
        return self.head(y), h_new


@entry("vad_state", lambda: (rand(1, 64), rand(2, 1, 8)))
class VadState(nn.Module):
    """Silero-VAD-like: audio chunk + stacked (h, c) state -> speech probability + new state."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Conv1d(1, 8, 5, stride=2)
        self.cell = nn.LSTMCell(8, 8)
        self.head = nn.Linear(8, 1)

    def forward(self, x, state):
        f = F.relu(self.enc(x.unsqueeze(1))).mean(-1)
        h, c = self.cell(f, (state[0], state[1]))
        return torch.sigmoid(self.head(h)), torch.stack([h, c])


# -------------------------------------------------------------------------------- resize and padding
@entry("upsample", lambda: (rand(1, 2, 4, 5), rand(2, 3, 6)))
class Upsample(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="bilinear")

    def forward(self, x, s):
        return (F.interpolate(x, scale_factor=2.0, mode="nearest"), F.interpolate(x, size=(7, 9)),
                F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False),
                F.interpolate(x, size=(9, 11), mode="bilinear", align_corners=True),
                F.interpolate(x, size=(3, 3), mode="bilinear"), self.up(x),
                F.interpolate(s, scale_factor=3.0, mode="nearest"),
                F.interpolate(s, size=11, mode="linear", align_corners=True))


@entry("pad", lambda: (rand(1, 2, 4, 5), rand(2, 3, 6)))
class Pad(nn.Module):
    def forward(self, x, s):
        return (F.pad(x, (1, 2)), F.pad(x, (1, 2, 0, 3), value=0.5), F.pad(x, (1, 1, 2, 0), mode="reflect"),
                F.pad(x, (2, 1, 1, 2), mode="replicate"), F.pad(x, (1, 1, 1, 1), mode="circular"),
                F.pad(s, (2, 3), mode="reflect"), F.pad(s, (0, 2), mode="replicate"),
                F.pad(x, (-1, 1, 0, -2)), nn.functional.pad(s, (1, 1, 1, 1, 1, 1)))


# ----------------------------------------------------------------------------- selection and math
@entry("where_mask_clamp", lambda: (rand(2, 3, 5), rand(3, 1)))
class WhereMaskClamp(nn.Module):
    def forward(self, x, y):
        m = x > y
        lo, hi = y - 0.5, y + 0.5
        return (torch.where(m, x, y), torch.where(m, x, 0.0), torch.where(m, 1.0, -1.0),
                x.masked_fill(m, -1e4), x.masked_fill(~m, float("-inf")), torch.clamp(x, -0.5, 0.5),
                x.clamp(min=0.0), x.clamp(max=0.2), torch.clamp_min(x, -0.1), torch.clamp_max(x, 0.1),
                torch.clamp(x, lo, hi), x.clamp(min=lo))


@entry("unary_math", lambda: (rand(3, 7) * 2, rand(3, 7)))
class UnaryMath(nn.Module):
    def forward(self, x, y):
        p = x.abs() + 0.1
        return (x.abs(), -x, torch.neg(x), x.pow(3), p.pow(0.5), p.sqrt(), p.rsqrt(), x.exp(), p.log(),
                torch.erf(x), x.sin(), x.cos(), torch.atan2(x, y), x.floor(), (x * 3).round(),
                torch.round(x, decimals=2), x.ceil(), x.trunc(), x.sign(), p.reciprocal(), p.log1p(),
                x.expm1(), x.square(), p.log2(), x.tan().clamp(-10, 10), x.sin().asin(), x.atan())


@entry("type_conversions", lambda: (rand(2, 5) * 4, ints(-3, 4, 2, 5)))
class TypeConversions(nn.Module):
    def forward(self, x, i):
        return (x.long(), x.int(), x.to(torch.int32), x.to(torch.bool), i.float(), i != 0, i.to(x.dtype) * x,
                x.half().float(), x.double(), i.type_as(x), x.to(torch.int64).to(torch.float32),
                (x > 0).float(), (i > 0).long(), x.to(torch.uint8))


@entry("creation", lambda: (rand(2, 6),))
class Creation(nn.Module):
    def forward(self, x):
        n = x.size(1)
        return (torch.arange(n), torch.arange(0, 10, 3), torch.arange(1.0, 2.0, 0.25),
                torch.arange(n, dtype=torch.float32) * x, torch.zeros(3, 4), torch.ones(2, dtype=torch.int64),
                torch.full((2, 3), 7.0), torch.zeros_like(x), torch.ones_like(x) + x, torch.full_like(x, 2),
                x.new_zeros(3), x.new_ones((2, 2)), torch.linspace(0, 1, 5), torch.eye(3),
                torch.tril(torch.ones(4, 4)), torch.triu(x, 1), x.new_full((2,), -1.5))


# ------------------------------------------------------------------------------ transformer plumbing
@entry("gpt2_block", lambda: (ints(0, 50, 2, 7),), swap=True)
class Gpt2Block(nn.Module):
    """GPT-2 layout: token + position embeddings, causal mask built from arange/ge and masked_fill,
    fused qkv split, tanh GELU MLP, tied LM head."""

    def __init__(self, vocab: int = 50, d: int = 16, heads: int = 2, ctx: int = 8) -> None:
        super().__init__()
        self.h, self.d = heads, d
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)
        self.ln_f = nn.LayerNorm(d)

    def forward(self, ids):
        b, t = ids.shape
        x = self.wte(ids) + self.wpe(torch.arange(t).unsqueeze(0))
        q, k, v = self.c_attn(self.ln_1(x)).split(self.d, dim=2)
        q = q.view(b, t, self.h, -1).transpose(1, 2)
        k = k.view(b, t, self.h, -1).transpose(1, 2)
        v = v.view(b, t, self.h, -1).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        pos = torch.arange(t)
        causal = pos.unsqueeze(1).ge(pos.unsqueeze(0))
        att = att.masked_fill(causal.logical_not(), float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, self.d)
        x = x + self.c_proj(y)
        x = x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return self.ln_f(x) @ self.wte.weight.t()


class LlamaRMSNorm(nn.Module):
    """The Hugging Face spelling: pow/mean/rsqrt by hand, computed in float32."""

    def __init__(self, d: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(d) + 0.5)
        self.eps = eps

    def forward(self, x):
        x32 = x.to(torch.float32)
        var = x32.pow(2).mean(-1, keepdim=True)
        return self.weight * (x32 * torch.rsqrt(var + self.eps)).to(x.dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


@entry("llama_block", lambda: (rand(2, 6, 16),))
class LlamaBlock(nn.Module):
    """LLaMA layout: RMSNorm, rotary embeddings (sin/cos, slicing, neg, cat), grouped-query attention
    (kv heads widened with repeat_interleave and with expand), SwiGLU MLP."""

    def __init__(self, d: int = 16, heads: int = 4, kv_heads: int = 2) -> None:
        super().__init__()
        self.h, self.kv, self.hd = heads, kv_heads, d // heads
        self.attn_norm = nn.RMSNorm(d, eps=1e-6)
        self.ffn_norm = LlamaRMSNorm(d)
        self.wq = nn.Linear(d, heads * self.hd, bias=False)
        self.wk = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.wv = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.wo = nn.Linear(heads * self.hd, d, bias=False)
        self.w1 = nn.Linear(d, 24, bias=False)
        self.w2 = nn.Linear(24, d, bias=False)
        self.w3 = nn.Linear(d, 24, bias=False)
        inv_freq = 1.0 / (10000.0 ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, x):
        b, t, _ = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.wk(h).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.wv(h).view(b, t, self.kv, self.hd).transpose(1, 2)
        freqs = torch.outer(torch.arange(t, dtype=torch.float32), self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.h // self.kv
        k = k.repeat_interleave(rep, dim=1)
        v = v[:, :, None].expand(b, self.kv, rep, t, self.hd).reshape(b, self.h, t, self.hd)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.wo(att.transpose(1, 2).reshape(b, t, -1))
        h = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


def _bert_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    mask = torch.ones(2, 6, dtype=torch.int64)
    mask[0, 4:] = 0  # the first sequence is padded
    return ints(1, 30, 2, 6), mask


@entry("bert_attention_mask", _bert_inputs)
class BertAttentionMask(nn.Module):
    """BERT layout: the int64 attention_mask input becomes an additive mask via eq/logical_not/where."""

    def __init__(self, d: int = 8, heads: int = 2) -> None:
        super().__init__()
        self.h, self.d = heads, d
        self.tok = nn.Embedding(30, d)
        self.pos = nn.Embedding(16, d)
        self.ln = nn.LayerNorm(d, eps=1e-12)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.pool = nn.Linear(d, d)

    def forward(self, input_ids, attention_mask):
        b, s = input_ids.shape
        x = self.ln(self.tok(input_ids) + self.pos(torch.arange(s, device=input_ids.device)))
        keep = attention_mask.eq(0).logical_not()[:, None, None, :]
        bias = torch.where(keep, 0.0, -1e9)
        q, k, v = self.qkv(x).view(b, s, 3, self.h, -1).permute(2, 0, 3, 1, 4).unbind(0)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.d // self.h) + bias, dim=-1)
        x = x + self.out((att @ v).transpose(1, 2).reshape(b, s, self.d))
        return x, torch.tanh(self.pool(x[:, 0]))


@entry("advanced_indexing", lambda: (rand(3, 6, 4), torch.tensor([4, 1]), rand(3, 2, 4)))
class AdvancedIndexing(nn.Module):
    def forward(self, x, idx, upd):
        y = x.clone()
        y[:, idx] = upd
        z = x.index_put((idx % 3,), torch.ones(6, 4), accumulate=True)  # a repeated index adds twice
        w = x.clone()
        w[0, idx, 1] = 5.0
        rows = torch.arange(3)
        return (x[:, idx], x[idx - 3], x[:, idx, 1:3], y, z, w, x[rows, rows + 1], x[rows, idx[:1]])


# -------------------------------------------------------------------------------- model interfaces
@entry("multi_input", lambda: (rand(2, 5), ints(0, 10, 2, 3), rand(1)))
class MultiInput(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.fc = nn.Linear(5, 4)

    def forward(self, x, ids, scale):
        return self.emb(ids).mean(1) + self.fc(x) * scale


@entry("nested_outputs", lambda: (rand(2, 3),))
class NestedOutputs(nn.Module):
    def forward(self, x):
        return x + 1, [x * 2, x.sum(0)], (x.exp(), (x.t(), x.max(dim=1)[1]))


@entry("dict_outputs", lambda: (rand(2, 3),))
class DictOutputs(nn.Module):
    """Hugging Face style: a dict of named outputs (flattened in insertion order)."""

    def forward(self, x):
        return {"logits": x * 2, "hidden": x.relu(), "probs": x.softmax(-1)}


@entry("scalar_arg", lambda: (rand(2, 12), 16000), refused={"trace": TRACE_ONLY_TENSORS})
class ScalarArg(nn.Module):
    """forward(x, sr: int): a Python int argument that the graph folds (the export specialises it)."""

    def forward(self, x, sr: int = 16000):
        frames = sr // 8000 + 1
        return x.view(x.size(0), -1, frames).mean(-1) * (sr / 1000.0)


@entry("shape_arith", lambda: (rand(3, 4, 6),))
class ShapeArith(nn.Module):
    """Shape arithmetic that tracing records as tensor ops (size, NumToTensor, Int, floor_divide)."""

    def forward(self, x):
        y = x.view(x.size(0), -1)
        half = int(y.shape[1] // 2)
        z = x.reshape(x.shape[0] * x.shape[1], x.shape[2] // 2, 2)
        w = x.flatten(1).view(-1, x.size(2) * 2)
        return y[:, :half] * y[:, half:], z, w, torch.floor_divide(x, 0.7), x.new_zeros(x.size(0), half)


@entry("tiny_cnn", lambda: (rand(3, 3, 12, 12),), swap=True)
class TinyCnn(nn.Module):
    """conv-BN-ReLU stem, a residual block, max/adaptive pooling and a linear head, batch 3."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x)
        x = F.relu(x + self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


@entry("mlp", lambda: (rand(4, 10),), swap=True)
class Mlp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 16),
                                 nn.Tanh(), nn.Linear(16, 3))

    def forward(self, x):
        return self.net(x)


@entry("vit_patch", lambda: (rand(2, 3, 8, 8),))
class VitPatch(nn.Module):
    """Patch embedding conv, flatten/transpose, a class token expanded over the batch, cat, learned
    position embeddings, LayerNorm, class-token head."""

    def __init__(self, d: int = 8) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, d, 4, stride=4)
        self.cls = nn.Parameter(torch.randn(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, 5, d))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, 3)

    def forward(self, x):
        p = self.patch(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(x.shape[0], -1, -1), p], dim=1) + self.pos
        return self.head(self.norm(t)[:, 0])


@entry("pixel_ops", lambda: (rand(1, 8, 3, 5),))
class PixelOps(nn.Module):
    """Super-resolution and ShuffleNet plumbing: pixel (un)shuffle and channel shuffle."""

    def forward(self, x):
        b, c, h, w = x.shape
        shuffled = x.view(b, 2, c // 2, h, w).transpose(1, 2).reshape(b, c, h, w)
        return F.pixel_shuffle(x, 2), F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2), shuffled
