"""The sequence/transformer path of the wasm backend (plan op codes 20..39): small modules with
embeddings (int64 ids), broadcasting arithmetic, unary ops, layer norm, softmax and attention,
converted to plans and run on the kernel module under Node (single-threaded, and 2 threads on the
threaded variant) against torch; run-time id checks; bert_tiny in both .pt2 forms."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from parity import assert_plan_matches, check_module_plan, export_plan
from wasm_torch.errors import UnsupportedError, WasmTorchError
from wasm_torch.model import load
from wasm_torch.plan import OpCode, build_plan, read_plan, write_plan
from wasm_torch.runtime.wasm import run_plan
from zoo_cache import reference_case

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the wasm backend runs under Node")
RUNS = (("st", 1), ("mt", 2))


class Attention(torch.nn.Module):
    """Embedding + position embedding (arange) -> pre-LN self-attention -> gelu MLP."""

    def __init__(self, vocab: int, d: int, heads: int):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.tok, self.pos = torch.nn.Embedding(vocab, d), torch.nn.Embedding(32, d)
        self.ln = torch.nn.LayerNorm(d)
        self.qkv, self.proj, self.ff = torch.nn.Linear(d, 3 * d), torch.nn.Linear(d, d), torch.nn.Linear(d, d)

    def forward(self, ids):
        b, s = ids.shape
        x = self.tok(ids) + self.pos(torch.arange(s).unsqueeze(0))
        q, k, v = self.qkv(self.ln(x)).view(b, s, 3, self.h, self.dh).permute(2, 0, 3, 1, 4).unbind(0)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dh), dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, s, -1))
        return x + self.ff(F.gelu(x))


@pytest.mark.parametrize("batch, seq, d, heads", [(1, 1, 4, 1), (2, 7, 12, 3), (3, 17, 8, 2)])
def test_attention_block_matches_torch(tmp_path, batch, seq, d, heads):
    plan = check_module_plan(Attention(17, d, heads), (torch.randint(0, 17, (batch, seq)),), tmp_path)
    codes = {op.code for op in read_plan(plan).ops}
    assert {OpCode.EMBEDDING, OpCode.MATMUL, OpCode.SOFTMAX, OpCode.LAYER_NORM} <= codes
    assert (OpCode.TRANSPOSE in codes) == (seq > 1), codes  # moving only size-1 dims is a zero-copy alias


class Elementwise(torch.nn.Module):
    """Broadcasting arithmetic with activations, constants and numbers (either side), every unary op."""

    def __init__(self, shape: tuple[int, ...]):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(shape[-1]))
        self.col = torch.nn.Parameter(torch.randn(shape[-2], 1))

    def forward(self, x, y):
        a = (x - y) * self.w / (self.col.abs() + 1) + 2.5
        b = 3 - torch.sigmoid(a) * torch.tanh(y) + 1 / (x.abs() + 1)
        u = [F.gelu(a), F.gelu(a, approximate="tanh"), F.silu(a), torch.exp(-a.abs()), torch.sqrt(b.abs()),
             torch.rsqrt(b.abs() + 0.5), -a, F.hardswish(a), F.hardsigmoid(a), F.leaky_relu(a, 0.03)]
        return sum(u[1:], u[0]), torch.log_softmax(b, -1), F.layer_norm(a, a.shape[-1:], eps=1e-3)


@pytest.mark.parametrize("xs, ys", [((1,), (1,)), ((3, 7), (7,)), ((2, 3, 17), (3, 1)), ((2, 1, 3, 5), (4, 1, 5))])
def test_broadcast_and_unary_ops_match_torch(tmp_path, xs, ys):
    shape = torch.broadcast_shapes(xs, ys)
    shape = (1,) * (2 - len(shape)) + shape
    check_module_plan(Elementwise(shape), (torch.randn(xs), torch.randn(ys)), tmp_path)


def test_out_of_range_ids_fail_forward(tmp_path):
    module = torch.nn.Embedding(5, 3)
    plan = export_plan(module, (torch.zeros(2, 3, dtype=torch.int64),), tmp_path)
    for ids in (np.array([[0, 1, 5], [0, 0, 0]]), np.array([[0, 1, 2], [-1, 0, 0]])):
        for variant, threads in RUNS:
            with pytest.raises(WasmTorchError, match=r"outside the table's rows \[0, 5\)"):
                run_plan(plan, [ids], threads, variant)
    ids = np.array([[4, 0, 3], [2, 2, 1]])
    np.testing.assert_array_equal(run_plan(plan, [ids])[0], module(torch.from_numpy(ids)).detach().numpy())


def test_unsupported_ops_are_reported(tmp_path):
    class M(torch.nn.Module):
        def forward(self, x):  # an unbatched conv1d ([C, L] input) has no kernel lowering
            return F.layer_norm(F.conv1d(x, torch.ones(2, 3, 1)), (4,))

    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(M(), (torch.randn(3, 4),)), str(path))
    with pytest.raises(UnsupportedError) as e:
        build_plan(load(str(path)).graph)
    assert [op for op, _ in e.value.problems] == ["conv1d"], e.value.problems


@pytest.mark.parametrize("form", ["export", "decomposed"])
def test_bert_tiny_matches_torch(form):
    path, inputs, outputs, refusal = reference_case("bert_tiny", form)
    assert not refusal, refusal
    assert_plan_matches(write_plan(build_plan(load(str(path)).graph)), inputs, outputs, f"bert_tiny {form}", RUNS)
