"""The .pt2 reader and the torch.export frontend against real torch.export archives.

Each model is exported as is (TRAINING IR) and after run_decompositions() (core ATen), read back
without torch, converted, run on the numpy reference runtime and compared with the torch module.
The four reference models are covered in both .pt2 forms by tests/test_reference_models.py.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import shutil
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from parity import close, flatten_outputs, to_numpy
from wasm_torch.errors import FormatError, SecurityError, ShapeError, UnsupportedError
from wasm_torch.formats import pt2
from wasm_torch.formats.pt2 import read_pt2
from wasm_torch.frontends import symexpr
from wasm_torch.frontends.export import convert_pt2
from wasm_torch.runtime.reference import run_graph

FORMS = ("export", "decomposed")


# -- models -------------------------------------------------------------------------------------


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)
        for bn in (self.bn1, self.bn2):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 1.5)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(x + self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Transformer(nn.Module):
    def __init__(self, d=16, heads=2):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff1, self.ff2 = nn.Linear(d, 32), nn.Linear(32, d)

    def forward(self, x):
        x = self.ln1(x + self.attn(x, x, x, need_weights=False)[0])
        return self.ln2(x + self.ff2(F.gelu(self.ff1(x))))


class Lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 7, batch_first=True)
        self.head = nn.Linear(7, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class CondOnBuffer(nn.Module):
    """torch.cond whose predicate depends only on a buffer: decided at conversion time."""

    def __init__(self, sign: float):
        super().__init__()
        self.register_buffer("flag", torch.tensor([sign, 0.5]))
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        return torch.cond(self.flag.sum() > 0, lambda t: self.lin(t).relu(), lambda t: -t, (x,))

    def eager(self, x):  # the same without torch.cond, which eager torch runs through dynamo (slow)
        return self.lin(x).relu() if self.flag.sum() > 0 else -x


class CondOnData(nn.Module):
    def forward(self, x):
        return torch.cond(x.sum() > 0, lambda t: t.relu(), lambda t: t.neg(), (x,))


class CondOnShape(nn.Module):
    def forward(self, x):
        return torch.cond(x.shape[0] > 4, lambda t: t + 1, lambda t: t * 2, (x,))

    def eager(self, x):
        return x + 1 if x.shape[0] > 4 else x * 2


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(11, 6)
        self.dec = nn.Linear(6, 11, bias=False)
        self.dec.weight = self.emb.weight

    def forward(self, ids):
        return self.dec(torch.tanh(self.emb(ids)))


class Constants(nn.Module):
    """A non-persistent buffer and a plain tensor attribute (both go to data/constants)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("shift", torch.arange(5, dtype=torch.float32), persistent=False)
        self.scale = torch.tensor([0.5, -1.0, 2.0, 3.0, 1.5])
        self.lin = nn.Linear(5, 5)

    def forward(self, x):
        return self.lin(x) * self.scale + self.shift


class MultiIO(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(13, 4)
        self.lin = nn.Linear(4, 3)

    def forward(self, x, ids):
        e = self.emb(ids)
        return self.lin(x + e.mean(1)), (e.sum(-1), x.softmax(-1))


class Dynamic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 4)

    def forward(self, x):
        b = x.shape[0]
        return self.lin(x).reshape(b * 2, 2) + x.shape[0]


def _rand(*shape: int) -> torch.Tensor:
    return torch.randn(*shape)


# name -> (factory, example inputs, dynamic_shapes)
MODELS: dict[str, tuple[Callable[[], nn.Module], Callable[[], tuple[Any, ...]], Any]] = {
    "cnn": (Cnn, lambda: (_rand(2, 3, 9, 9),), None),
    "transformer": (Transformer, lambda: (_rand(2, 5, 16),), None),
    "lstm": (Lstm, lambda: (_rand(3, 5, 6),), None),
    "cond_true": (lambda: CondOnBuffer(1.0), lambda: (_rand(3, 4),), None),
    "cond_false": (lambda: CondOnBuffer(-1.0), lambda: (_rand(3, 4),), None),
    "tied": (Tied, lambda: (torch.randint(0, 11, (2, 7)),), None),
    "constants": (Constants, lambda: (_rand(3, 5),), None),
    "multi_io": (MultiIO, lambda: (_rand(2, 4), torch.randint(0, 13, (2, 3))), None),
    "dynamic": (Dynamic, lambda: (_rand(3, 6),), ({0: torch.export.Dim("batch", min=1, max=16)},)),
}


# Exporting costs ~1 s per model and form, so the files are cached per machine, keyed by this
# file's source and the torch version (tests/.cache is git-ignored).
CACHE = Path(__file__).resolve().parent / ".cache" / "frontend_export"


@functools.cache
def cache_dir() -> Path:
    key = hashlib.sha256(torch.__version__.encode() + Path(__file__).read_bytes()).hexdigest()[:16]
    folder = CACHE / key
    if not folder.exists():
        for old in CACHE.glob("*"):  # files of earlier versions of this test file
            shutil.rmtree(old, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def build(name: str) -> nn.Module:
    torch.manual_seed(0)
    return MODELS[name][0]().eval()


_PROGRAMS: dict[str, Any] = {}  # name -> ExportedProgram, so a second form does not re-export


def exported(name: str, model: nn.Module, inputs: tuple[Any, ...], dynamic: Any = None,
             form: str = "export") -> Path:
    """`model` saved by torch.export ("export") or after run_decompositions() ("decomposed")."""
    path = cache_dir() / f"{name}.{form}.pt2"
    if not path.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if name not in _PROGRAMS:
                _PROGRAMS[name] = torch.export.export(model, inputs, dynamic_shapes=dynamic)
            program = _PROGRAMS[name] if form == "export" else _PROGRAMS[name].run_decompositions()
            # Written under a temporary name first: a concurrent or interrupted run never leaves a
            # half-written file under the final name.
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            torch.export.save(program, tmp)
            os.replace(tmp, path)
    return path


def saved(name: str, form: str) -> tuple[Path, nn.Module]:
    """A MODELS entry's .pt2 in `form` and the torch module it holds."""
    model = build(name)
    _, inputs, dynamic = MODELS[name]
    return exported(name, model, inputs(), dynamic, form), model


def convert(path: Path, **kwargs: Any):
    return convert_pt2(read_pt2(path.read_bytes(), path.name), **kwargs)


def check_parity(g, model: nn.Module, inputs: tuple[Any, ...]) -> None:
    feeds = [to_numpy(t).copy() for t in inputs]  # copies: a model may write to its inputs
    with torch.no_grad():
        expected = flatten_outputs(getattr(model, "eager", model)(*inputs))
    got = run_graph(g, feeds)
    assert len(got) == len(expected)
    for i, (o, e) in enumerate(zip(got, expected)):
        ok, diff = close(o, to_numpy(e))
        assert ok, f"output {i}: max abs diff {diff}"


# -- parity -------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", [n for n in MODELS if n != "dynamic"])
def test_model_parity(name: str, form: str) -> None:
    path, model = saved(name, form)
    g = convert(path)
    torch.manual_seed(1)
    inputs = MODELS[name][1]()
    check_parity(g, model, inputs)


@pytest.mark.parametrize("form", FORMS)
def test_dynamic_batch(form: str) -> None:
    path, model = saved("dynamic", form)
    g = convert(path)  # no shapes given: the export hint (3)
    assert g.values[g.inputs[0]].shape == (3, 6)
    check_parity(g, model, (_rand(3, 6),))
    for batch in (1, 5, 16):
        g = convert(path, input_shapes=[(batch, 6)])
        assert g.values[g.inputs[0]].shape == (batch, 6)
        check_parity(g, model, (_rand(batch, 6),))
    g = convert(path, input_shapes={"x": [7, 6]})
    assert g.values[g.outputs[0]].shape == (14, 2)


def test_dynamic_shape_errors() -> None:
    path, _ = saved("dynamic", "export")
    with pytest.raises(ShapeError, match=r"outside the range \[1, 16\]"):
        convert(path, input_shapes=[(17, 6)])
    with pytest.raises(ShapeError, match="dim 1 is 6 in the exported program"):
        convert(path, input_shapes=[(4, 5)])
    with pytest.raises(ShapeError, match="has 2 dims"):
        convert(path, input_shapes=[(4,)])
    with pytest.raises(ShapeError, match="exported as float32"):
        convert(path, input_dtypes=["int64"])
    with pytest.raises(ShapeError, match="unknown inputs"):
        convert(path, input_shapes={"y": (4, 6)})


class Halves(nn.Module):
    def forward(self, x, y):
        return x[:, : y.shape[1]] * 2 + y


@pytest.mark.parametrize("form", FORMS)
def test_derived_dims(form: str) -> None:
    d, b = torch.export.Dim("d", max=64), torch.export.Dim("b", max=64)
    path = exported("halves", Halves(), (_rand(3, 8), _rand(3, 4)), ({0: b, 1: 2 * d}, {0: b, 1: d}), form)
    # Only x's shape given: d is solved from 2*d = 10.
    g = convert(path, input_shapes={"x": (2, 10)})
    assert [g.values[n].shape for n in g.inputs] == [(2, 10), (2, 5)]
    check_parity(g, Halves(), (_rand(2, 10), _rand(2, 5)))
    with pytest.raises(ShapeError, match="not a valid value of 2"):
        convert(path, input_shapes={"x": (2, 9)})
    with pytest.raises(ShapeError, match="must be"):
        convert(path, input_shapes=[(2, 10), (2, 4)])


@pytest.mark.parametrize("form", FORMS)
def test_cond_on_shape(form: str) -> None:
    path = exported("cond_shape", CondOnShape(), (_rand(6, 3),), ({0: torch.export.Dim("n", min=2, max=32)},),
                    form)
    for n in (3, 6):  # each size takes a different branch
        x = _rand(n, 3)
        check_parity(convert(path, input_shapes=[x.shape]), CondOnShape(), (x,))


def test_cond_data_dependent() -> None:
    path = exported("cond_data", CondOnData(), (_rand(3),))
    with pytest.raises(UnsupportedError, match="data-dependent predicate") as info:
        convert(path)
    assert any("node cond" in loc for _, loc in info.value.problems)


def test_buffer_mutation_noted() -> None:
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("calls", torch.zeros(1))

        def forward(self, x):
            self.calls.add_(1)
            return x * 3

    path = exported("counter", Counter(), (_rand(2, 3),))
    notes: list[str] = []
    g = convert(path, notes=notes)  # TRAINING IR: an in-place add_ on the buffer
    assert notes == ["node add_ (Counter) updates 'calls'; the update is not kept between calls"]
    check_parity(g, Counter(), (_rand(2, 3),))
    notes.clear()
    # core ATen: a functional add and a buffer_mutation output
    g = convert(exported("counter", Counter(), (_rand(2, 3),), form="decomposed"), notes=notes)
    assert notes == ["the program updates buffer 'calls'; the update is not kept between calls"]
    check_parity(g, Counter(), (_rand(2, 3),))


class InPlace(nn.Module):
    def forward(self, x):
        y = x * 2
        torch.relu_(y)
        z = y.view(-1)
        z.add_(1)  # through a view: y sees it too
        w = y * 1
        w[0, 1:3] = x[1, :2]  # select + slice + copy_: scattered back into w
        w.transpose(0, 1)[1] = x[:, 0]  # through a transpose
        v = y[1]  # a view read after the write below: recomputed from the new y
        y[1, 0] = -1.0
        h = x.half()
        h.mul_(x)  # stays float16 though x is float32
        return z * 3, y + 1, w, v * 1, h, x.add_(1)


class WriteThroughReshape(nn.Module):
    def forward(self, x):
        y = x * 2
        y.reshape(-1).add_(1)  # reshape may copy: whether y changes cannot be known in general
        return y + 1


def test_inplace_ops() -> None:
    check_parity(convert(exported("inplace", InPlace(), (_rand(2, 3),))), InPlace(), (_rand(2, 3),))
    path = exported("write_reshape", WriteThroughReshape(), (_rand(2, 3),))
    with pytest.raises(UnsupportedError, match="writes memory that 'mul' reads later"):
        convert(path)
    # The functional program of the same model converts.
    path = exported("write_reshape", WriteThroughReshape(), (_rand(2, 3),), form="decomposed")
    check_parity(convert(path), WriteThroughReshape(), (_rand(2, 3),))


# -- archive reading ----------------------------------------------------------------------------


def test_archive_contents() -> None:
    path, model = saved("tied", "export")
    a = read_pt2(path.read_bytes(), path.name)
    assert a.name == "model" and a.program["verifiers"] == ["TRAINING"]
    assert a.sample_inputs is not None and a.sample_inputs[0].dtype == "int64"
    assert a.sample_inputs[0].shape == (2, 7)
    w = a.weights["emb.weight"]
    assert w.dtype == "float32" and w.shape == (11, 6)
    assert np.array_equal(w.numpy(), model.emb.weight.detach().numpy())

    path, model = saved("constants", "export")
    a = read_pt2(path.read_bytes(), path.name)
    assert set(a.constants) == {"shift", "scale"}
    assert a.constants["scale"].tolist() == [0.5, -1.0, 2.0, 3.0, 1.5]
    g = convert(path)
    assert sorted(g.param_names.values()) == ["lin.bias", "lin.weight", "scale", "shift"]


def test_views_and_shared_storages() -> None:
    class Views(nn.Module):
        def __init__(self):
            super().__init__()
            big = torch.arange(20, dtype=torch.float32)
            self.a = nn.Parameter(big[4:12])
            self.b = nn.Parameter(big[12:20].view(2, 4))
            self.t = nn.Parameter(torch.arange(6.0).reshape(2, 3).t())  # strides (1, 3)
            self.e = nn.Parameter(torch.zeros(0, 3))

        def forward(self, x):
            return x + self.a.sum() + self.b.sum(0).sum() + self.t.sum() + self.e.sum()

    model = Views()
    path = exported("views", model, (_rand(2),))
    a = read_pt2(path.read_bytes(), path.name)
    for fqn in ("a", "b", "t", "e"):
        assert np.array_equal(a.weights[fqn].numpy(), getattr(model, fqn).detach().numpy()), fqn
    assert a.weights["t"].strides == (1, 3)
    assert a.weights["e"].shape == (0, 3)


# -- errors and hostile files -------------------------------------------------------------------


def rewrite(path: Path, out: Path, member: str, edit: Callable[[Any], None],
            members: dict[str, bytes | None] | None = None) -> Path:
    """Copy a .pt2, applying `edit` to the JSON of one member, then adding (or, for None, dropping)
    `members` (names relative to the root folder)."""
    members = members or {}
    with zipfile.ZipFile(path) as zin:
        root = zin.namelist()[0].split("/")[0]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zout:
            for info in zin.infolist():
                name = info.filename.removeprefix(f"{root}/")
                if name in members:
                    continue
                data = zin.read(info)
                if name == member:
                    obj = json.loads(data)
                    edit(obj)
                    data = json.dumps(obj).encode()
                zout.writestr(info.filename, data)
            for name, data in members.items():
                if data is not None:
                    zout.writestr(f"{root}/{name}", data)
    out.write_bytes(buf.getvalue())
    return out


def _nodes(program: dict[str, Any]) -> list[dict[str, Any]]:
    return program["graph_module"]["graph"]["nodes"]


def _retarget(index: int, target: str) -> Callable[[Any], None]:
    def edit(program: dict[str, Any]) -> None:
        _nodes(program)[index]["target"] = target

    return edit


def test_error_names_node_and_module(tmp_path: Path) -> None:
    path, _ = saved("cnn", "export")
    bad = rewrite(path, tmp_path / "bad.pt2", "models/model.json",
                  _retarget(0, "torch.ops.mylib.evil.default"))
    with pytest.raises(UnsupportedError) as info:
        convert(bad)
    assert info.value.problems[0] == ("mylib.evil.default", "node conv2d (conv1: Conv2d)")
    assert "File " not in str(info.value)  # stack traces hold the author's paths: debug only
    with pytest.raises(UnsupportedError, match=r"node conv2d \(conv1: Conv2d\) \[File "):
        convert(bad, debug=True)


def test_all_problems_in_one_pass(tmp_path: Path) -> None:
    path, _ = saved("transformer", "export")

    def edit(program: dict[str, Any]) -> None:
        nodes = _nodes(program)
        nodes[1]["target"] = "torch.ops.mylib.first.default"
        nodes[-2]["target"] = "torch.ops.aten.relu.default"  # a known op with arguments it lacks
        nodes[-1]["target"] = "torch.ops.aten.no_such_op.default"

    with pytest.raises(UnsupportedError) as info:
        convert(rewrite(path, tmp_path / "three.pt2", "models/model.json", edit))
    ops = [op for op, _ in info.value.problems]
    assert len(ops) == 3, ops
    assert ops[0] == "mylib.first.default" and ops[2] == "aten.no_such_op.default", ops
    assert ops[1].startswith("aten.relu.default (relu: unexpected argument"), ops


@pytest.mark.parametrize("target", ["builtins.eval", "os.system", "torch.load"])
def test_non_torch_target_refused(tmp_path: Path, target: str) -> None:
    path, _ = saved("constants", "export")
    bad = rewrite(path, tmp_path / "evil.pt2", "models/model.json", _retarget(0, target))
    with pytest.raises(SecurityError, match=target):
        convert(bad)


@pytest.mark.parametrize("path_name", ["../../etc/passwd", "/etc/passwd", "../constants/tensor_0", ""])
def test_weight_path_escape_refused(tmp_path: Path, path_name: str) -> None:
    path, _ = saved("cnn", "export")

    def edit(config: dict[str, Any]) -> None:
        config["config"]["conv1.weight"]["path_name"] = path_name

    bad = rewrite(path, tmp_path / "escape.pt2", "data/weights/model_weights_config.json", edit)
    with pytest.raises(SecurityError, match="conv1.weight"):
        read_pt2(bad.read_bytes(), bad.name)


class Subclass(torch.Tensor):
    """A tensor subclass: torch.export.save pickles these (use_pickle), we refuse to rebuild them."""


def payload(obj: Any) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_legacy_state_dict(tmp_path: Path) -> None:
    """torch <= 2.6 stored the weights as one torch.save'd state dict, data/weights/model.pt."""
    path, model = saved("cnn", "export")
    legacy = rewrite(path, tmp_path / "legacy.pt2", "", lambda _: None, {
        "data/weights/model_weights_config.json": None, "data/weights/model.pt": payload(model.state_dict())})
    check_parity(convert(legacy), model, (_rand(2, 3, 9, 9),))


def test_pickled_payload(tmp_path: Path) -> None:
    path, _ = saved("cnn", "export")
    bias = torch.arange(5, dtype=torch.float32)

    def edit(config: dict[str, Any]) -> None:
        config["config"]["fc.bias"].update(path_name="weight_99", use_pickle=True)

    member = "data/weights/model_weights_config.json"
    good = rewrite(path, tmp_path / "pickled.pt2", member, edit, {"data/weights/weight_99": payload(bias)})
    assert read_pt2(good.read_bytes(), good.name).weights["fc.bias"].tolist() == bias.tolist()

    evil = {"data/weights/weight_99": payload(bias.as_subclass(Subclass))}
    bad = rewrite(path, tmp_path / "subclass.pt2", member, edit, evil)
    with pytest.raises(SecurityError, match="fc.bias"):
        read_pt2(bad.read_bytes(), bad.name)


def test_bad_weight_view_and_json_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = saved("cnn", "export")

    def edit(config: dict[str, Any]) -> None:
        config["config"]["fc.bias"]["tensor_meta"]["storage_offset"] = {"as_int": 3}

    bad = rewrite(path, tmp_path / "oob.pt2", "data/weights/model_weights_config.json", edit)
    with pytest.raises(FormatError, match="fc.bias"):
        read_pt2(bad.read_bytes(), bad.name)
    monkeypatch.setattr(pt2, "MAX_JSON_BYTES", 1000)
    with pytest.raises(FormatError, match="limit"):
        read_pt2(path.read_bytes(), path.name)


def test_symexpr() -> None:
    env = {"s0": 3, "s1": 5}
    assert symexpr.evaluate("Mul(Integer(2), Symbol('s0', positive=True, integer=True))", env) == 6
    assert symexpr.evaluate("FloorDiv(Add(Symbol('s1'), Integer(1)), Integer(4))", env) == 1
    assert symexpr.evaluate("2*s0 + s1 % 2", env) == 7
    assert symexpr.evaluate("StrictGreaterThan(Symbol('s0'), Integer(4))", env) is False
    assert symexpr.symbols("Max(s0, Symbol('u1'))") == {"s0", "u1"}
    assert symexpr.pretty("Mul(Integer(2), Symbol('s94', positive=True, integer=True))") == "2*s94"
    with pytest.raises(symexpr.Unresolved):
        symexpr.evaluate("Symbol('u0')", env)
    with pytest.raises(FormatError):
        symexpr.evaluate("__import__('os').system('x')", env)
    with pytest.raises(FormatError, match="int64 range"):
        symexpr.evaluate("Pow(Integer(10), Integer(100000000))", env)
    with pytest.raises(FormatError, match="int64 range"):
        symexpr.evaluate("s0 * 10**30", env)
