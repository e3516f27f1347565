"""The wasm backend's vision path: CNNs converted to plans (NHWC layout, batch norm folded into
convolutions at load, fused clamps, pooling) run on the kernel module under Node, in both module
variants and with 1 and 2 threads, against torch."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from parity import assert_plan_matches
from wasm_torch.model import load
from wasm_torch.plan import OpCode, build_plan, read_plan, write_plan
from wasm_torch.runtime.wasm import run_plan
from zoo_cache import reference_case

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the wasm backend runs under Node")
F = torch.nn.functional
RUNS = (("st", 1), ("mt", 1), ("mt", 2))


class Small(torch.nn.Module):
    """conv+bn+relu6, depthwise+bn, residual add+relu, standalone bn, avg pool, flatten (NCHW),
    global mean, linear: the ops of the sample and the reference nets at odd sizes."""

    def __init__(self, c: int, classes: int, k: int, stride: int, bias: bool):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, c, k, stride=stride, padding=k // 2, bias=bias)
        self.bn = torch.nn.BatchNorm2d(c)
        self.dw = torch.nn.Conv2d(c, c, 3, padding=1, groups=c, bias=not bias)
        self.dwbn = torch.nn.BatchNorm2d(c)
        self.grouped = torch.nn.Conv2d(c, c, (3, 1), padding=(1, 0), groups=c // 2 if c % 2 == 0 else 1)
        self.post = torch.nn.BatchNorm2d(c)
        self.fc = torch.nn.Linear(c, classes)
        for bn in (self.bn, self.dwbn, self.post):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.uniform_(-0.5, 0.5)

    def forward(self, x):
        h = F.relu6(self.bn(self.conv(x)))
        h = torch.relu(h + self.dwbn(self.dw(h)))
        h = self.post(h + self.grouped(h))          # batch norm after an add: standalone
        p = F.max_pool2d(h, 3, 2, padding=1, ceil_mode=True)
        q = F.avg_pool2d(h, 2, ceil_mode=True, count_include_pad=False)
        return self.fc(p.mean((2, 3))), F.adaptive_avg_pool2d(q, (2, 3)).flatten(1), q.flatten(1)


def _export(module: torch.nn.Module, x: torch.Tensor, path) -> str:
    torch.export.save(torch.export.export(module.eval(), (x,)), str(path))
    return str(path)


def _check(plan: bytes, inputs: list[np.ndarray], refs: list[np.ndarray], what: str, runs=RUNS) -> None:
    assert_plan_matches(plan, inputs, refs, what, runs)


@pytest.mark.parametrize("batch, c, size, k, stride, bias", [
    (1, 4, (17, 9), 3, 1, True), (2, 6, (11, 13), 7, 2, False), (3, 3, (7, 7), 1, 1, True),
    (1, 8, (33, 5), 1, 2, False)])
def test_small_cnns_match_torch(tmp_path, batch, c, size, k, stride, bias):
    module = Small(c, 5, k, stride, bias).eval()
    x = torch.randn(batch, 3, *size)
    plan = build_plan(load(_export(module, x, tmp_path / "small.pt2")).graph)
    codes = [op.code for op in plan.ops]
    assert codes.count(OpCode.CONV2D) == 3 and codes.count(OpCode.BATCH_NORM) == 1, plan.summary()
    assert OpCode.CLAMP not in codes, "relu/relu6 fuse into the conv and the add"
    data = write_plan(plan)
    assert read_plan(data).summary() == plan.summary()
    with torch.no_grad():
        refs = [t.numpy() for t in module(x)]
    _check(data, [x.numpy()], refs, f"small k{k} s{stride}")


@pytest.mark.parametrize("form", ["export", "decomposed"])
@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_reference_cnns_match_torch(name, form):
    path, inputs, refs, refused = reference_case(name, form)
    assert not refused, refused
    plan = build_plan(load(str(path)).graph)
    assert sum(op.code == OpCode.LAYOUT for op in plan.ops) == 1, "one layout change, at the input"
    _check(write_plan(plan), inputs, refs, f"{name} {form}", (("st", 1), ("mt", 2)))


def test_sample_matches_torch():
    import os

    import wasm_torch

    path = os.path.join(os.path.dirname(wasm_torch.__file__), "samples", "tiny_cnn.pt2")
    x = torch.randn(1, 3, 32, 32)
    ref = torch.export.load(path).module()(x).detach().numpy()
    _check(write_plan(build_plan(load(path).graph)), [x.numpy()], [ref], "tiny_cnn")


def test_no_allocation_over_1000_cnn_forward_calls(tmp_path):
    module = Small(4, 3, 3, 2, True).eval()
    x = torch.randn(2, 3, 9, 11)
    plan = write_plan(build_plan(load(_export(module, x, tmp_path / "small.pt2")).graph))
    results = []
    for variant, threads in RUNS:
        stats: dict = {}
        results.append(run_plan(plan, [x.numpy()], threads, variant, repeat=1000, stats=stats))
        assert stats["alloc_calls_during_forward"] == 0 and stats["wasm_memory_growth"] == 0, (variant, stats)
    # rows split across threads run the same kernels on the same rows: identical bits
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)
