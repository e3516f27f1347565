"""The wasm backend's further vision ops (plan op codes 70..89, passes/lower_spatial.py and
passes/lift_1d.py) against torch on random odd shapes, through both module variants and 1 and 2
threads: 1-d convolutions and pools lifted to 2-d, transposed convolutions, pads (and zero pads
folded into convolutions), max pooling with indices, adaptive max pooling, upsampling, pixel
(un)shuffle, batch norm of 3-d inputs, layer norm over several dims, group and instance norm."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

import numpy as np
import pytest
import torch
from parity import assert_plan_matches
from wasm_torch.errors import WasmTorchError
from wasm_torch.model import load
from wasm_torch.plan import OpCode, build_plan, read_plan, write_plan
from wasm_torch.runtime.wasm import run_plan

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the wasm backend runs under Node")
F = torch.nn.functional
RUNS = (("st", 1), ("mt", 1), ("mt", 2))


class Fn(torch.nn.Module):
    def __init__(self, fn: Callable, **modules: torch.nn.Module):
        super().__init__()
        self.fn = fn
        self.mods = torch.nn.ModuleDict(modules)

    def forward(self, *xs):
        return self.fn(self.mods, *xs)


def _run(tmp_path, module: torch.nn.Module, *xs: torch.Tensor, what: str = "") -> list[OpCode]:
    """Export, plan, round-trip, run against torch; returns the plan's op codes."""
    module = module.eval()
    with torch.no_grad():
        for p in module.parameters():  # norm weights and biases away from their 1 / 0 defaults
            if p.dim() == 1:
                p.uniform_(0.5, 1.5)
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(module, xs), str(path))
    plan = build_plan(load(str(path)).graph)
    data = write_plan(plan)
    assert read_plan(data).summary() == plan.summary()
    with torch.no_grad():
        out = module(*xs)
    refs = [t.numpy() for t in (out if isinstance(out, tuple) else (out,))]
    assert_plan_matches(data, [x.numpy() for x in xs], refs, what or plan.summary(), RUNS)
    return [op.code for op in plan.ops]


@pytest.mark.parametrize("n, c, length, oc, k, stride, pad, dil, groups, mode", [
    (1, 3, 17, 6, 5, 2, 2, 1, 3, "zeros"), (2, 4, 9, 4, 3, 1, 3, 3, 1, "reflect"),
    (3, 2, 7, 5, 1, 1, 0, 1, 1, "zeros"), (1, 6, 33, 6, 3, 3, 1, 1, 6, "circular"),
    (2, 5, 8, 3, 2, 1, 1, 1, 1, "replicate")])
def test_conv1d_matches_torch(tmp_path, n, c, length, oc, k, stride, pad, dil, groups, mode):
    conv = torch.nn.Conv1d(c, oc, k, stride=stride, padding=pad, dilation=dil, groups=groups,
                           padding_mode=mode, bias=k != 2)
    head = torch.nn.Conv1d(oc, 2, 3, padding=1)
    def fn(m, x):
        h = m["conv"](x)
        return m["head"](F.relu(h)), h.mean(-1), F.relu(m["head"](h))

    codes = _run(tmp_path, Fn(fn, conv=conv, head=head), torch.randn(n, c, length))
    assert codes.count(OpCode.CONV2D) == 3 and codes.count(OpCode.CLAMP) == 1


@pytest.mark.parametrize("n, c, size, oc, k, stride, pad, out_pad, dil, groups, bias", [
    (1, 4, (5, 7), 6, 3, 2, 1, 1, 1, 1, True), (2, 6, (3, 4), 4, 3, 1, 2, 0, 2, 2, True),
    (1, 4, (6, 5), 2, (2, 3), (2, 1), 0, 0, 1, 1, False), (3, 3, (1, 9), 3, 4, 3, (0, 1), (0, 2), 1, 3, True),
    (1, 2, (7, 7), 5, 1, 1, 0, 0, 1, 1, True)])
def test_conv_transpose2d_matches_torch(tmp_path, n, c, size, oc, k, stride, pad, out_pad, dil, groups, bias):
    up = torch.nn.ConvTranspose2d(c, oc, k, stride=stride, padding=pad, output_padding=out_pad, groups=groups,
                                  dilation=dil, bias=bias)
    codes = _run(tmp_path, Fn(lambda m, x: F.relu6(m["up"](x)), up=up), torch.randn(n, c, *size))
    assert codes.count(OpCode.CONV_TRANSPOSE2D) == 1 and OpCode.CLAMP not in codes


@pytest.mark.parametrize("n, c, length, oc, k, stride, pad, out_pad, groups", [
    (2, 3, 7, 4, 4, 2, 1, 0, 1), (1, 4, 5, 4, 3, 3, 0, 1, 4), (3, 2, 1, 6, 5, 1, 2, 0, 2)])
def test_conv_transpose1d_matches_torch(tmp_path, n, c, length, oc, k, stride, pad, out_pad, groups):
    up = torch.nn.ConvTranspose1d(c, oc, k, stride=stride, padding=pad, output_padding=out_pad, groups=groups)
    _run(tmp_path, Fn(lambda m, x: m["up"](x), up=up), torch.randn(n, c, length))


def test_pads_match_torch(tmp_path):
    """Every mode on NCHW inputs, on NHWC values (after a convolution), 1-d, 3-d and crops."""
    conv = torch.nn.Conv2d(3, 5, 3)

    def fn(m, x, s):
        h = m["conv"](x)
        return (F.pad(x, (1, 2)), F.pad(x, (1, 2, 0, 3), value=0.5), F.pad(x, (1, 1, 2, 0), mode="reflect"),
                F.pad(x, (2, 1, 1, 2), mode="replicate"), F.pad(x, (3, 1, 1, 2), mode="circular"),
                F.pad(h, (1, 0, 2, 1), mode="reflect"), F.pad(h, (2, 2, 1, 1), mode="replicate"),
                F.pad(h, (1, 3, 2, 2), mode="circular"), F.pad(h, (0, 1, 1, 0), value=-2.0),
                F.pad(h, (-1, 1, 0, -2)), F.pad(s, (2, 3), mode="reflect"), F.pad(s, (0, 2), mode="replicate"),
                F.pad(s, (3, 1), mode="circular"), F.pad(s, (1, 1, 1, 1, 1, 1)), F.pad(s, (-2, 1)),
                F.pad(h, (0, 0, 1, 0, 2, 1), value=1.5), F.pad(h, (1, 1, 0, 0, 0, 0, 1, 0)))

    codes = _run(tmp_path, Fn(fn, conv=conv), torch.randn(2, 3, 7, 9), torch.randn(3, 4, 11))
    assert codes.count(OpCode.PAD) == 17


def test_zero_pads_fold_into_convolutions(tmp_path):
    """A zero constant pad that only convolutions read is their padding (asymmetric too)."""
    a, b = torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(3, 2, (2, 3), stride=2)
    c = torch.nn.Conv1d(4, 4, 4, padding="same")

    def fn(m, x, s):
        p = F.pad(x, (0, 1, 2, 0))
        return m["a"](p), m["b"](p), m["c"](s)

    codes = _run(tmp_path, Fn(fn, a=a, b=b, c=c), torch.randn(1, 3, 9, 8), torch.randn(2, 4, 13))
    assert OpCode.PAD not in codes and codes.count(OpCode.CONV2D) == 3


@pytest.mark.parametrize("n, c, size", [(1, 3, (9, 11)), (2, 5, (7, 7)), (3, 1, (4, 13))])
def test_pools_match_torch(tmp_path, n, c, size):
    def fn(m, x, s):
        vals, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
        v2, i2 = F.max_pool2d(x, 2, 1, dilation=(1, 2), ceil_mode=True, return_indices=True)
        v1, i1 = F.max_pool1d(s, 3, 2, 1, return_indices=True)
        return (vals, idx, v2, i2, F.adaptive_max_pool2d(x, (2, 5)), F.adaptive_max_pool2d(F.relu(x), 1),
                F.adaptive_max_pool2d(x, (size[0], 3)), v1, i1, F.max_pool1d(s, 2, ceil_mode=True),
                F.avg_pool1d(s, 3, 2, 1, count_include_pad=False), F.avg_pool1d(s, 4, ceil_mode=True),
                F.adaptive_avg_pool1d(s, 5), F.adaptive_max_pool1d(s, 3))

    _run(tmp_path, Fn(fn), torch.randn(n, c, *size), torch.randn(n, c + 1, size[1] + 2))


@pytest.mark.parametrize("size", [(4, 5), (1, 7), (6, 3)])
def test_upsample_matches_torch(tmp_path, size):
    conv = torch.nn.Conv2d(2, 3, 1)

    def fn(m, x, s):
        h = m["conv"](x)
        return (F.interpolate(x, scale_factor=2.0), F.interpolate(h, size=(7, 9)), F.interpolate(h, size=size),
                F.interpolate(x, scale_factor=(1.5, 2.5)), F.interpolate(x, size=(3, 11)),
                F.interpolate(h, scale_factor=2.0, mode="bilinear"),
                F.interpolate(x, size=(9, 11), mode="bilinear", align_corners=True),
                F.interpolate(x, size=(3, 2), mode="bilinear"), F.interpolate(x, size=(1, 1), mode="bilinear",
                                                                              align_corners=True),
                F.interpolate(h, scale_factor=(1.4, 0.7), mode="bilinear"),
                F.interpolate(s, scale_factor=3.0), F.interpolate(s, size=5),
                F.interpolate(s, size=11, mode="linear", align_corners=True),
                F.interpolate(s, scale_factor=1.7, mode="linear"),
                F.interpolate(h, scale_factor=1.5, mode="nearest-exact"),
                F.interpolate(x, size=(5, 3), mode="nearest-exact"),
                F.interpolate(s, scale_factor=2.3, mode="nearest-exact"),
                F.interpolate(s, size=4, mode="nearest-exact"), F.interpolate(h, scale_factor=2.0, mode="bicubic"),
                F.interpolate(x, size=(9, 11), mode="bicubic", align_corners=True),
                F.interpolate(x, size=(3, 2), mode="bicubic"), F.interpolate(h, size=(1, 4), mode="bicubic"))

    _run(tmp_path, Fn(fn, conv=conv), torch.randn(2, 2, *size), torch.randn(3, 4, size[1] + 1))


@pytest.mark.parametrize("r, shape", [(2, (1, 8, 3, 5)), (3, (2, 18, 4, 1)), (2, (2, 3, 4, 6, 2))])
def test_pixel_shuffle_matches_torch(tmp_path, r, shape):
    x = torch.randn(*shape)
    _run(tmp_path, Fn(lambda m, x: (F.pixel_shuffle(x, r), F.pixel_unshuffle(F.pixel_shuffle(x, r), r))), x)


@pytest.mark.parametrize("n, c, size", [(2, 4, (5, 7)), (1, 6, (1, 9)), (3, 3, (4, 4))])
def test_norms_match_torch(tmp_path, n, c, size):
    mods = dict(bn1d=torch.nn.BatchNorm1d(c, affine=False), bn1d_affine=torch.nn.BatchNorm1d(c),
                ln=torch.nn.LayerNorm(list(size)), ln3=torch.nn.LayerNorm([c, *size], elementwise_affine=False),
                gn=torch.nn.GroupNorm(c // 3 if c % 3 == 0 else 2 if c % 2 == 0 else 1, c),
                gn_plain=torch.nn.GroupNorm(1, c, affine=False), in2d=torch.nn.InstanceNorm2d(c, affine=True),
                in1d=torch.nn.InstanceNorm1d(c), in1d_running=torch.nn.InstanceNorm1d(c, track_running_stats=True))
    for name in ("bn1d", "bn1d_affine", "in1d_running"):
        mods[name].running_mean.uniform_(-1, 1)
        mods[name].running_var.uniform_(0.5, 2)

    def fn(m, x, s):
        return (m["bn1d"](s), m["bn1d_affine"](s), m["ln"](x), m["ln3"](x), m["gn"](x), m["gn_plain"](s),
                m["in2d"](x), m["in1d"](s), m["in1d_running"](s))

    _run(tmp_path, Fn(fn, **mods), torch.randn(n, c, *size) * 2 + 1, torch.randn(n, c, size[1] + 2))


def _bad_plan_module() -> tuple[torch.nn.Module, torch.Tensor]:
    up = torch.nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
    gn = torch.nn.GroupNorm(2, 4)

    def fn(m, x):
        h = m["up"](x)
        v, i = F.max_pool2d(h, 2, return_indices=True)
        return (F.pad(h, (1, 1, 2, 0), mode="reflect"), v, i, F.adaptive_max_pool2d(h, 3),
                F.interpolate(h, scale_factor=2.0, mode="bilinear"), m["gn"](x))

    return Fn(fn, up=up, gn=gn), torch.randn(1, 4, 5, 6)


# (op code, its params with one field made bad, the runtime's reason)
_PAD = (1, 0.0, 0, 0, 2, 0, 1, 1, 0, 0) + (0,) * 8  # NHWC: H before 2, W 1 and 1
_BAD = [
    (OpCode.CONV_TRANSPOSE2D, (4, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1), "unknown flags 0x4"),
    (OpCode.CONV_TRANSPOSE2D, (1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1), "output_padding 2, 1 not below"),
    (OpCode.CONV_TRANSPOSE2D, (1, 2, 0, 2, 1, 1, 1, 1, 1, 1, 0, 1), "stride 0 out of range"),
    (OpCode.CONV_TRANSPOSE2D, (1, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1), "groups 3 do not match"),
    (OpCode.CONV_TRANSPOSE2D, (1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0), "the output has shape"),
    (OpCode.PAD, (7,) + _PAD[1:], "unknown pad mode 7"),
    (OpCode.PAD, _PAD[:4] + (3,) + _PAD[5:], "padded by 3, 0 on dim 1"),
    (OpCode.PAD, _PAD[:8] + (1, 0) + _PAD[10:], "padded by 1, 0 on dim 3"),
    (OpCode.PAD, _PAD[:4] + (12, -10) + _PAD[6:], "pads 12, -10 do not fit dim 1 of size 10"),
    (OpCode.PAD, _PAD[:16] + (1, 0), "pads of dim 7 beyond rank 4"),
    (OpCode.MAX_POOL2D_INDICES, (0, 2, 2, 2, 0, 0, 1, 1, 0), "kernel 0 out of range"),
    (OpCode.MAX_POOL2D_INDICES, (2, 2, 1, 2, 0, 0, 1, 1, 0), "the output has shape"),
    (OpCode.UPSAMPLE2D, (64, 0.5, 0.5), "unknown flags 0x40"),
    (OpCode.UPSAMPLE2D, (2, -1.0, 0.5), "scale -1 is not"),
    (OpCode.GROUP_NORM, (3, 3, 1e-5), "3 groups do not divide 4 channels"),
    (OpCode.GROUP_NORM, (1, 2, 1e-5), "3 inputs, the flags 0x1 call for 2"),
    (OpCode.GROUP_NORM, (3, 2, float("nan")), "eps nan"),
    (OpCode.GROUP_NORM, (11, 2, 1e-5), "unknown flags 0xb"),
    (OpCode.GROUP_NORM, (7, 2, 1e-5), "input 1 has shape [4], expected [6]"),  # channels last: 6
]


@pytest.mark.parametrize("code, params, message", _BAD, ids=[f"{c.name}-{m}" for c, _, m in _BAD])
def test_bad_fields_are_rejected(tmp_path, code, params, message):
    module, x = _bad_plan_module()
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(module.eval(), (x,)), str(path))
    plan = build_plan(load(str(path)).graph)
    next(op for op in plan.ops if op.code == code).params = params
    with pytest.raises(WasmTorchError, match=re.escape(message)):
        run_plan(write_plan(plan), [x.numpy()], 1, "st")


def test_no_allocation_over_1000_forward_calls(tmp_path):
    """Every op of this family, 1000 forwards: no allocation, no memory growth, and the same bits
    at 1 and 2 threads."""
    module, x = _bad_plan_module()
    s = torch.randn(2, 3, 9)
    conv = torch.nn.Conv1d(3, 4, 3, padding=1, padding_mode="reflect")
    full = Fn(lambda m, x, s: (*m["all"](x), m["conv"](s), F.pixel_shuffle(x, 2),
                               F.layer_norm(x, x.shape[-2:]), F.interpolate(s, size=13)), all=module, conv=conv)
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(full.eval(), (x, s)), str(path))
    plan = write_plan(build_plan(load(str(path)).graph))
    results = []
    for variant, threads in RUNS:
        stats: dict = {}
        results.append(run_plan(plan, [x.numpy(), s.numpy()], threads, variant, repeat=1000, stats=stats))
        assert stats["alloc_calls_during_forward"] == 0 and stats["wasm_memory_growth"] == 0, (variant, stats)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def test_huge_dims_of_an_empty_pad_are_a_limit_error(tmp_path):
    """An empty tensor may have huge dims; the pad's index tables would wrap 32-bit sizes."""
    x = torch.randn(3, 5)
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(Fn(lambda m, x: F.pad(x, (1, 2))).eval(), (x,)), str(path))
    plan = build_plan(load(str(path)).graph)
    pad = next(op for op in plan.ops if op.code == OpCode.PAD)
    plan.values[pad.inputs[0]].shape = (0, 2**30)
    plan.values[pad.outputs[0]].shape = (0, 2**30 + 3)
    with pytest.raises(WasmTorchError, match=re.escape("index tables above")):
        run_plan(write_plan(plan), [np.zeros((0, 2**30), np.float32)], 1, "st")


@pytest.mark.parametrize("shape", [(1, 3, 7, 9), (2, 3, 5, 4)])
def test_activations_keep_values_nhwc(tmp_path, shape):
    """Activations between convolutions run on the NHWC bytes: no layout change in between."""
    convs = {f"c{i}": torch.nn.Conv2d(3 if i == 0 else 4, 4, 3, padding=1) for i in range(4)}
    acts = [F.silu, F.hardswish, lambda h: F.gelu(h, approximate="tanh"), torch.sigmoid, torch.tanh,
            lambda h: F.leaky_relu(h, 0.2), F.elu, F.mish, F.softplus, F.hardsigmoid, F.selu]

    def fn(m, x):
        h = m["c0"](x)
        for i, act in enumerate(acts):
            h = act(h)
            if i % 4 == 3:
                h = m[f"c{i // 4 + 1}"](h)
        return h

    codes = _run(tmp_path, Fn(fn, **convs), torch.randn(*shape))
    assert codes.count(OpCode.LAYOUT) == 2 and codes.count(OpCode.CONV2D) == 3, codes


@pytest.mark.parametrize("n, c, size, groups", [(1, 6, (5, 7), 3), (2, 4, (1, 9), 4), (3, 9, (4, 4), 1)])
def test_group_norm_after_convolutions_runs_nhwc(tmp_path, n, c, size, groups):
    """conv - group_norm - silu - conv - instance_norm (a U-Net block) with no layout change."""
    mods = dict(a=torch.nn.Conv2d(3, c, 3, padding=1), gn=torch.nn.GroupNorm(groups, c),
                b=torch.nn.Conv2d(c, c, 1), inorm=torch.nn.InstanceNorm2d(c, affine=True))

    def fn(m, x):
        h = m["b"](F.silu(m["gn"](m["a"](x))))
        return m["inorm"](h * 3 + 100), F.group_norm(h, groups)

    codes = _run(tmp_path, Fn(fn, **mods), torch.randn(n, 3, *size))
    assert codes.count(OpCode.GROUP_NORM) == 3


def test_cat_of_nhwc_values_stays_nhwc(tmp_path):
    """Skip connections: cat of convolution results (and of a graph input) along any dim, in NHWC."""
    mods = dict(a=torch.nn.Conv2d(3, 4, 3, padding=1), b=torch.nn.Conv2d(3, 5, 1),
                up=torch.nn.ConvTranspose2d(4, 2, 2, stride=2), c=torch.nn.Conv2d(12, 3, 3, padding=1))

    def fn(m, x, big):
        a, b = m["a"](x), m["b"](x)
        skip = m["c"](torch.cat([a, F.relu(b), x], 1))
        return (torch.cat([m["up"](a), big], -3), torch.cat([a, a], 2), torch.cat([b, b, b], -1),
                torch.cat([a, a], 0), skip)

    x = torch.randn(2, 3, 5, 7)
    codes = _run(tmp_path, Fn(fn, **mods), x, torch.randn(2, 3, 10, 14))
    assert codes.count(OpCode.CAT) == 5 and codes.count(OpCode.LAYOUT) == 2 + 5, codes


def test_broadcasting_arithmetic_of_nhwc_values_stays_nhwc(tmp_path):
    """Squeeze-excite and friends: activations broadcasting among themselves, and numbers, in NHWC."""
    mods = dict(a=torch.nn.Conv2d(3, 6, 3, padding=1), fc1=torch.nn.Conv2d(6, 2, 1), fc2=torch.nn.Conv2d(2, 6, 1),
                row=torch.nn.Conv2d(6, 6, (5, 1)))

    def fn(m, x):
        h = m["a"](x)
        se = torch.sigmoid(m["fc2"](F.relu(m["fc1"](F.adaptive_avg_pool2d(h, 1)))))
        y = h * se
        z = (y - m["row"](y)) / (2.0 + F.relu(h)) + 0.5
        return 1.0 - z * 3.0, h + se, z

    codes = _run(tmp_path, Fn(fn, **mods), torch.randn(2, 3, 5, 7))
    assert codes.count(OpCode.LAYOUT) == 1 + 3, codes


@pytest.mark.parametrize("shape", [(2, 4, 5, 7), (1, 6, 9), (3, 5, 2, 2)])
def test_batch_norm_with_batch_or_computed_statistics(tmp_path, shape):
    """Training-mode statistics (decomposed instance norm) and running statistics computed by the
    graph: written out as REDUCE / BINARY / UNARY ops."""
    c = shape[1]
    w, b = torch.rand(c) + 0.5, torch.randn(c)
    mean, var = torch.randn(c), torch.rand(c) + 0.5

    def fn(m, x):
        return (F.batch_norm(x, None, None, w, b, training=True, eps=1e-3),
                F.batch_norm(x * 2.0, None, None, training=True),
                F.batch_norm(x, mean * 1.5, var.repeat(1) + 0.25, w * 2.0, None, eps=1e-4),
                F.instance_norm(x + 1.0), F.instance_norm(x, mean, var, w, b, use_input_stats=False))

    codes = _run(tmp_path, Fn(fn), torch.randn(*shape) * 2 + 1)
    assert OpCode.REDUCE in codes
