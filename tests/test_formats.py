"""formats/: every tensor read without torch equals what torch itself loads from the same file."""

from __future__ import annotations

import argparse
import ast
import collections
import copy
import io
import pickle
import struct
import zipfile
import zlib

import numpy as np
import pytest
import safetensors.torch as st
import torch
from torch import nn
from wasm_torch.errors import FormatError
from wasm_torch.formats import (
    Device,
    DType,
    Placeholder,
    ScriptObject,
    Size,
    TensorData,
    ZipArchive,
    detect,
    read_safetensors,
    read_torch_save,
    read_torchscript,
    state_dict_candidates,
    zipreader,
)

DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8, torch.uint8,
          torch.int16, torch.int32, torch.int64, torch.bool, torch.complex64]
# Only the zip format and safetensors can hold these (torch.load of a legacy file fails on them).
V3_DTYPES = [torch.uint16, torch.float8_e4m3fn]


# -- comparison helpers -----------------------------------------------------------------------------

def assert_same(td: object, t: torch.Tensor) -> None:
    """Same dtype, shape, strides, offset and bytes as torch's tensor (torch.equal when it can)."""
    assert isinstance(td, TensorData), td
    assert td.dtype == str(t.dtype).removeprefix("torch."), (td, t.dtype)
    assert td.shape == tuple(t.shape)
    assert td.strides == t.stride() and td.offset == t.storage_offset(), (td.strides, t.stride())
    expect = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
    raw = bytes(td.raw())
    assert raw == expect
    if t.dtype not in V3_DTYPES and t.numel():
        assert torch.equal(torch.frombuffer(bytearray(raw), dtype=t.dtype).reshape(t.shape), t)


def assert_matches(ours: object, theirs: object) -> None:
    """A loaded checkpoint equals torch.load's, value by value."""
    if isinstance(theirs, torch.Tensor):
        assert_same(ours, theirs)
    elif isinstance(theirs, torch.device):
        assert ours == Device(theirs.type, theirs.index)
    elif isinstance(theirs, torch.Size):
        assert isinstance(ours, Size) and tuple(ours) == tuple(theirs)
    elif isinstance(theirs, torch.dtype):
        assert isinstance(ours, DType) and ours == str(theirs).removeprefix("torch.")
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            assert_matches(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_matches(a, b)
    else:
        assert type(ours) is type(theirs) and ours == theirs, (ours, theirs)


def module_tensors(obj: ScriptObject, prefix: str = "") -> dict[str, TensorData]:
    """Dotted name -> tensor attribute, walking TorchScript stub submodules."""
    out = {}
    for name, value in obj.__dict__.items():
        if isinstance(value, TensorData):
            out[prefix + name] = value
        elif isinstance(value, ScriptObject):
            out.update(module_tensors(value, f"{prefix}{name}."))
    return out


# -- sample models ----------------------------------------------------------------------------------

class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.pool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(8, 5)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = x + self.block(x)
        return self.fc(torch.flatten(self.pool(x), 1))


class Views(nn.Module):
    """Buffers that are views: slices with offsets, a transpose, and tied storage."""

    def __init__(self):
        super().__init__()
        big = torch.arange(20, dtype=torch.float32)
        self.register_buffer("a", big[4:12])
        self.register_buffer("b", big[12:20].view(2, 4))
        self.register_buffer("tt", torch.randn(3, 4).t())
        self.w = nn.Parameter(torch.randn(4, 3))

    def forward(self, x):
        return x @ self.tt + self.a.sum() + self.b.sum() + (x @ self.w).sum()


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.dec = nn.Embedding(10, 4), nn.Linear(4, 10, bias=False)
        self.dec.weight = self.emb.weight

    def forward(self, ids):
        return self.dec(self.emb(ids))


class Consts(nn.Module):
    def forward(self, x):
        return x * torch.tensor([1.0, 2.0, 3.0]) + torch.tensor(2, dtype=torch.int64)


class Lists(nn.Module):
    def __init__(self):
        super().__init__()
        self.sizes = [1, 2, 3]
        self.scales = [0.5, 1.5]
        self.flags = [True, False]
        self.names = ["a", "b"]
        self.table = {"k": 2}
        self.lin = nn.Linear(3, 3)

    def forward(self, x):
        return self.lin(x) * self.sizes[1] * self.scales[0] + self.table["k"]


class LSTMHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm, self.head = nn.LSTM(4, 8, batch_first=True), nn.Linear(8, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def transformer() -> nn.Module:
    return nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True,
                                      activation="gelu")


def checkpoint() -> dict:
    torch.manual_seed(0)
    sd = CNN().state_dict()
    t = torch.arange(20, dtype=torch.float32).reshape(4, 5)
    return {
        "model": sd, "ema": {"state_dict": Tied().state_dict()}, "epoch": 7, "name": "run-1",
        "lr": 0.125, "betas": (0.9, 0.999), "blob": b"\x00\xffbytes", "tags": {"a", "b"},
        "frozen": frozenset({1, 2}), "device": torch.device("cpu"), "cuda": torch.device("cuda", 1),
        "size": torch.Size([2, 3]), "c": 1 + 2j, "ba": bytearray(b"xy"), "dtype": torch.float16,
        "none": None, "views": [t, t.t(), t[1:, 2:]], "nested": [{"x": [1, (2, 3)]}],
        "dtypes": {str(d): torch.randn(3, 2).mul(5).to(d) for d in DTYPES},
        "scalar": torch.tensor(3.5), "empty": torch.zeros(0, 3),
    }


# -- files written by real torch, once per module ---------------------------------------------------

@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("formats")
    torch.manual_seed(0)
    out = {}

    def jit_save(name, module, example=None):
        module.eval()
        if example is None:
            scripted = torch.jit.script(module)
        else:
            scripted = torch.jit.trace(module, example, check_trace=False)
        path = d / name
        torch.jit.save(scripted, str(path))
        out[name] = (path, module)

    x_img = torch.randn(2, 3, 7, 7)
    jit_save("cnn.trace.pt", CNN(), x_img)
    jit_save("cnn.script.pt", CNN())
    jit_save("tf.trace.pt", transformer(), torch.randn(2, 5, 16))
    jit_save("tf.script.pt", transformer())
    jit_save("lstm.trace.pt", LSTMHead(), torch.randn(2, 6, 4))
    jit_save("lstm.script.pt", LSTMHead())
    jit_save("views.trace.pt", Views(), torch.randn(2, 4))
    jit_save("tied.script.pt", Tied())
    jit_save("consts.trace.pt", Consts(), torch.randn(3))
    jit_save("lists.script.pt", Lists())
    lite = torch.jit.script(Lists().eval())
    lite._save_for_lite_interpreter(str(d / "lists.ptl"))
    out["lists.ptl"] = (d / "lists.ptl", None)

    ck = checkpoint()
    torch.save(ck, d / "ckpt.pth")
    torch.save(ck, d / "ckpt.legacy.pth", _use_new_zipfile_serialization=False)
    torch.save({str(x): torch.randn(2, 3).mul(5).to(x) for x in V3_DTYPES}, d / "v3.pth")
    torch.save(Tied(), d / "whole.pth")
    ns = argparse.Namespace(lr=0.1, arch="cnn")
    torch.save({"args": ns, "np": np.float64(1.5), "sd": Tied().state_dict()}, d / "foreign.pth")
    buf = io.BytesIO()
    torch.save(CNN().state_dict(), buf)
    (d / "bytesio.pth").write_bytes(buf.getvalue())
    out["ckpt"] = ck

    tensors = {str(x).removeprefix("torch."): torch.randn(3, 2).mul(5).to(x) for x in DTYPES + V3_DTYPES
               if x is not torch.complex64}
    tensors["scalar"], tensors["empty"] = torch.tensor(1.5), torch.zeros(0, 4)
    st.save_file(tensors, d / "all.safetensors", metadata={"format": "pt", "note": "x"})
    out["st"] = tensors
    tied = Tied()
    st.save_model(tied, str(d / "tied.safetensors"))
    out["tied"] = tied
    out["dir"] = d
    return out


def read(files, name):
    path = files["dir"] / name
    return path.read_bytes(), path.name


# -- TorchScript ------------------------------------------------------------------------------------

TS = ["cnn.trace.pt", "cnn.script.pt", "tf.trace.pt", "tf.script.pt", "lstm.trace.pt", "lstm.script.pt",
      "views.trace.pt", "tied.script.pt", "consts.trace.pt", "lists.script.pt"]


@pytest.mark.parametrize("name", TS)
def test_torchscript_tensors_match_torch(files, name):
    data, fname = read(files, name)
    assert detect(data, fname) == "torchscript"
    arc = read_torchscript(data, fname)
    loaded = torch.jit.load(str(files[name][0]))
    ours = module_tensors(arc.module)
    expect = {**dict(loaded.named_parameters()), **dict(loaded.named_buffers())}
    assert (bool(expect) or name.startswith("consts")) and set(expect) <= set(ours)
    for key, t in expect.items():
        assert_same(ours[key], t)
    assert arc.version >= 3 and arc.filename == fname and not arc.lite
    assert arc.code and all(path.startswith("__torch__") and path.endswith(".py") for path in arc.code)
    for source in arc.code.values():
        ast.parse(source)
    assert type(arc.module).qualname.startswith("__torch__.")


@pytest.mark.parametrize("name,example", [("cnn.trace.pt", (2, 3, 7, 7)), ("lstm.trace.pt", (2, 6, 4)),
                                          ("consts.trace.pt", (3,))])
def test_traced_inputs_give_shapes(files, name, example):
    arc = read_torchscript(*read(files, name))
    (x,) = arc.traced_inputs
    assert x.dtype == "float32" and x.shape == example


def test_scripted_has_no_traced_inputs(files):
    assert read_torchscript(*read(files, "cnn.script.pt")).traced_inputs is None


def test_tensor_constants(files):
    arc = read_torchscript(*read(files, "consts.trace.pt"))
    values = sorted((c.dtype, tuple(c.tolist())) for c in arc.constants)
    assert values == [("float32", (1.0, 2.0, 3.0)), ("int64", (2,))]
    assert "CONSTANTS.c0" in "".join(arc.code.values())


def test_views_and_tied_weights_share_storage(files):
    views = module_tensors(read_torchscript(*read(files, "views.trace.pt")).module)
    assert views["a"].storage is views["b"].storage
    assert (views["a"].offset, views["b"].offset) == (4, 12)
    assert views["tt"].strides == (1, 4) and not views["tt"].is_contiguous()
    tied = module_tensors(read_torchscript(*read(files, "tied.script.pt")).module)
    assert tied["emb.weight"].storage is tied["dec.weight"].storage


def test_scripted_lists_and_lstm_flat_weights(files):
    mod = read_torchscript(*read(files, "lists.script.pt")).module
    assert (mod.sizes, mod.scales, mod.flags, mod.names) == ([1, 2, 3], [0.5, 1.5], [True, False], ["a", "b"])
    assert mod.table == {"k": 2}
    lstm = read_torchscript(*read(files, "lstm.script.pt")).module.lstm
    assert lstm._flat_weights_names[0] == "weight_ih_l0"
    assert [t.storage for t in lstm._flat_weights] == [
        getattr(lstm, n).storage for n in lstm._flat_weights_names]


def test_lite_interpreter_archive(files):
    data, fname = read(files, "lists.ptl")
    assert detect(data, fname) == "torchscript"
    arc = read_torchscript(data, fname)
    assert arc.lite and arc.module.sizes == [1, 2, 3] and "lin" in arc.module.__dict__


def test_version_under_dot_data(files):
    # gelu makes torch write the version as .data/version (formats.md §1.1).
    data, fname = read(files, "tf.trace.pt")
    z = ZipArchive(data, fname)
    assert not z.has("version")
    assert read_torchscript(data, fname).version == int(bytes(z.read(".data/version")))


# -- torch.save ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,kind", [("ckpt.pth", "torch_save"), ("ckpt.legacy.pth", "legacy_torch_save")])
def test_checkpoint_matches_torch_load(files, name, kind):
    data, fname = read(files, name)
    assert detect(data, fname) == kind
    obj, warnings = read_torch_save(data, fname)
    assert warnings == []
    assert_matches(obj, torch.load(files["dir"] / name, weights_only=False))
    assert obj["blob"] == b"\x00\xffbytes" and obj["tags"] == {"a", "b"} and obj["c"] == 1 + 2j
    assert obj["cuda"] == Device("cuda", 1) and repr(obj["dtype"]) == "torch.float16"
    t, tt, sub = obj["views"]
    assert t.storage is tt.storage is sub.storage
    assert tt.strides == (1, 5) and sub.offset == 7


def test_new_dtypes_use_rebuild_v3(files):
    obj, _ = read_torch_save(*read(files, "v3.pth"))
    for key, t in torch.load(files["dir"] / "v3.pth").items():
        assert_same(obj[key], t)


def test_zip_without_format_version_or_byteorder(files, tmp_path):
    src = zipfile.ZipFile(files["dir"] / "ckpt.pth")
    path = tmp_path / "old.pth"
    with zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            if info.filename.split("/", 1)[1] not in (".format_version", ".storage_alignment", "byteorder"):
                dst.writestr(info.filename, src.read(info.filename))
    data = path.read_bytes()
    assert detect(data, "old.pth") == "torch_save"
    obj, _ = read_torch_save(data, "old.pth")
    assert_matches(obj, torch.load(files["dir"] / "ckpt.pth", weights_only=False))


def test_bytesio_root_is_archive(files):
    data, fname = read(files, "bytesio.pth")
    assert ZipArchive(data, fname).root == "archive"
    obj, _ = read_torch_save(data, fname)
    for key, t in torch.load(files["dir"] / "bytesio.pth").items():
        assert_same(obj[key], t)


def test_state_dict_candidates(files):
    obj, _ = read_torch_save(*read(files, "ckpt.pth"))
    found = dict(state_dict_candidates(obj))
    assert list(found["model"]) == list(files["ckpt"]["model"])
    assert list(found["ema.state_dict"]) == ["emb.weight", "dec.weight"]
    assert "dtypes" in found
    sd, _ = read_torch_save(*read(files, "bytesio.pth"))
    assert state_dict_candidates(sd)[0] == ("", sd)


def test_whole_module_pickle(files):
    obj, warnings = read_torch_save(*read(files, "whole.pth"))
    assert type(obj).qualname.endswith("Tied") and isinstance(obj, Placeholder)
    assert any("torch.nn.modules.sparse.Embedding" in w for w in warnings)
    ((path, sd),) = state_dict_candidates(obj)
    expect = torch.load(files["dir"] / "whole.pth", weights_only=False).state_dict()
    assert path == "" and list(sd) == list(expect)
    for key, t in expect.items():
        assert_same(sd[key], t)


def test_foreign_classes_become_placeholders(files):
    obj, warnings = read_torch_save(*read(files, "foreign.pth"))
    args = obj["args"]
    assert type(args).qualname == "argparse.Namespace" and (args.lr, args.arch) == (0.1, "cnn")
    assert type(obj["np"]).qualname.startswith("numpy.")
    assert any("argparse.Namespace" in w for w in warnings) and any("numpy" in w for w in warnings)
    assert [p for p, _ in state_dict_candidates(obj)] == ["sd"]


def test_legacy_storage_views():
    # Pre-1.0 files name a view of a root storage: ('storage', type, root key, loc, numel, (view key,
    # offset, size)). Written by hand: modern torch cannot produce it.
    class View:
        def __reduce__(self):
            return torch._utils._rebuild_tensor_v2, (Root(), 0, (4,), (1,), False, collections.OrderedDict())

    class Root:
        pass

    class Writer(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Root):
                return ("storage", torch.FloatStorage, "1", "cpu", 8, ("2", 2, 4))
            return None

    def dump(obj, writer=pickle.Pickler):
        buf = io.BytesIO()
        writer(buf, protocol=2).dump(obj)
        return buf.getvalue()

    info = {"protocol_version": 1001, "little_endian": True}
    raw = struct.pack("<q8f", 8, *range(8))
    data = dump(0x1950A86A20F9469CFC6C) + dump(1001) + dump(info) + dump({"v": View()}, Writer) + dump(["1"])
    obj, _ = read_torch_save(data + raw, "old.pt")
    assert obj["v"].tolist() == [2.0, 3.0, 4.0, 5.0]
    with pytest.raises(FormatError, match="old.pt: legacy storage 1 needs 32 bytes but only 16 remain"):
        read_torch_save(data + raw[:24], "old.pt")


# -- safetensors --------------------------------------------------------------------------------------

def test_safetensors_all_dtypes(files):
    data, fname = read(files, "all.safetensors")
    assert detect(data, fname) == "safetensors"
    tensors, meta = read_safetensors(data, fname)
    assert meta == {"format": "pt", "note": "x"}
    assert set(tensors) == set(files["st"])
    for key, t in files["st"].items():
        assert_same(tensors[key], t)
        assert tensors[key].storage.obj is data  # zero-copy


def test_safetensors_save_model_aliases(files):
    tensors, meta = read_safetensors(*read(files, "tied.safetensors"))
    assert len(meta) == 1
    for key, t in files["tied"].state_dict().items():
        assert_same(tensors[key], t)
    assert tensors["emb.weight"].storage is tensors["dec.weight"].storage
    assert {tensors[k].name for k in tensors} == set(tensors)


# -- zip reader and detection -------------------------------------------------------------------------

def test_zip_stored_members_are_zero_copy(files):
    data, fname = read(files, "ckpt.pth")
    z = ZipArchive(data, fname)
    assert z.root == "ckpt" and z.has("data.pkl") and not z.has("code/x.py")
    assert z.read("data/0").obj is data
    with pytest.raises(FormatError, match="ckpt.pth: zip has no member ckpt/nope"):
        z.read("nope")


def test_zip_deflated_members_and_limits(tmp_path):
    path = tmp_path / "d.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("m/code/a.py", "x = 1\n" * 1000)
    z = ZipArchive(path.read_bytes(), "d.zip")
    assert bytes(z.read("code/a.py")) == b"x = 1\n" * 1000
    with pytest.raises(FormatError, match="d.zip: zip member m/code/a.py declares 6000 bytes, more than"):
        z.read("code/a.py", max_size=100)


def test_rezipped_archive_with_deflated_storages(files, tmp_path, monkeypatch):
    src = zipfile.ZipFile(files["dir"] / "bytesio.pth")
    path = tmp_path / "rezipped.pth"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    obj, _ = read_torch_save(path.read_bytes(), "rezipped.pth")
    for key, t in torch.load(files["dir"] / "bytesio.pth").items():
        assert_same(obj[key], t)
    monkeypatch.setattr(zipreader, "MAX_INFLATED_TOTAL", 2000)
    with pytest.raises(FormatError, match="rezipped.pth: zip member archive/.* past 2000 inflated"):
        read_torch_save(path.read_bytes(), "rezipped.pth")


def test_zip64_end_record_and_extra_fields(files):
    data = bytearray(read(files, "bytesio.pth")[0])
    eocd = data.rfind(b"PK\x05\x06")
    data[eocd + 8: eocd + 12] = b"\xff\xff\xff\xff"  # entry counts saturated: use the zip64 record
    obj, _ = read_torch_save(bytes(data), "zip64.pth")
    assert "fc.weight" in obj
    # One member whose central sizes and offset live in a zip64 extra field.
    body, name = b"hello", b"r/x"
    local = b"PK\x03\x04" + struct.pack("<5H3I2H", 20, 0, 0, 0, 0, zlib.crc32(body), 5, 5, 3, 0) + name + body
    extra = struct.pack("<2H3Q", 1, 24, 5, 5, 0)
    central = (b"PK\x01\x02" + struct.pack("<6H3I5H2I", 45, 45, 0, 0, 0, 0, zlib.crc32(body),
                                           0xFFFFFFFF, 0xFFFFFFFF, 3, len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
               + name + extra)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    assert bytes(ZipArchive(local + central + end, "z64.zip").read("x")) == b"hello"


def test_detect_kinds_and_unknown(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("m/archive_format", "pt2")
        zf.writestr("m/models/model.json", "{}")
    assert detect(buf.getvalue(), "m.pt2") == "pt2"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("m/readme.txt", "hi")
    with pytest.raises(FormatError, match="m.zip: is a zip archive but not a PyTorch one"):
        detect(buf.getvalue(), "m.zip")
    with pytest.raises(FormatError, match="x.bin: unrecognized format"):
        detect(b"hello world", "x.bin")


def test_tensordata_copy_revalidates():
    t = TensorData("float32", [2], bytearray(8), name="t")
    c = copy.copy(t)
    assert (c.shape, c.storage is t.storage) == ((2,), True)
    with pytest.raises(FormatError, match="malformed state"):
        t.__setstate__({"shape": (100,)})
