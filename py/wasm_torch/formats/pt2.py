"""Read a `torch.export.save` archive (.pt2) without torch: the program JSON, weights, constants
and sample inputs (formats.md §3).

Weights are whole untyped storages (`data/weights/weight_N`); each state_dict entry is a view on
one of them (sizes, strides and storage offset in elements, dtype in the export schema's own
numbering). Several entries may share a storage (tied weights, views): they share one memoryview.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from typing import Any

from ..dtypes import EXPORT, itemsize
from ..errors import FormatError, SecurityError, UnsupportedError, WasmTorchError
from .tensor import MAX_ELEMENTS, TensorData
from .zipreader import ZipArchive

# Bound on one JSON member (the program, a payload config). Real programs are a few MB, most of it
# stack traces; a larger claim is a broken or hostile file.
MAX_JSON_BYTES = 256 * 1024 * 1024
# A 0-byte weight file stands for zeros (torch fills them in); refuse to allocate more than this.
MAX_ZERO_FILL_BYTES = 64 * 1024 * 1024

WEIGHTS_DIR = "data/weights"
CONSTANTS_DIR = "data/constants"


@dataclass
class Pt2Archive:
    name: str
    program: dict[str, Any]
    weights: dict[str, TensorData]
    constants: dict[str, TensorData]
    # The example (args, kwargs) saved with the program, flattened to its tensors; None if absent.
    sample_inputs: list[TensorData] | None = None
    warnings: list[str] = field(default_factory=list)
    filename: str = ""


def read_pt2(data: bytes | bytearray | memoryview, filename: str = "model.pt2",
             model_name: str | None = None) -> Pt2Archive:
    """Parse a .pt2 archive. `model_name` picks a program when the archive holds several."""
    za = ZipArchive(data, filename)
    if za.has("archive_format") and bytes(za.read("archive_format", 64)).strip() != b"pt2":
        raise FormatError(f"{filename}: archive_format is not 'pt2'")
    name = _model_name(za, filename, model_name)
    program = _read_json(za, f"models/{name}.json", filename)
    if not isinstance(program, dict) or not isinstance(program.get("graph_module"), dict):
        raise FormatError(f"{filename}: models/{name}.json has no graph_module")
    warnings: list[str] = []
    weights = _read_payloads(za, WEIGHTS_DIR, name, filename, warnings)
    constants = _read_payloads(za, CONSTANTS_DIR, name, filename, warnings)
    samples = _read_sample_inputs(za, name, filename, warnings)
    return Pt2Archive(name, program, weights, constants, samples, warnings, filename)


def _model_name(za: ZipArchive, filename: str, wanted: str | None) -> str:
    names = sorted(n[len("models/"):-len(".json")] for n in za.names
                   if n.startswith("models/") and n.endswith(".json") and n.count("/") == 1)
    if wanted is not None:
        if wanted not in names:
            raise FormatError(f"{filename}: no program named {wanted!r} (found {names})")
        return wanted
    if not names:
        raise FormatError(f"{filename}: no models/*.json program in this .pt2 archive")
    if "model" in names or len(names) == 1:
        return "model" if "model" in names else names[0]
    raise FormatError(f"{filename}: the archive holds several programs {names}; choose one by name")


def _read_json(za: ZipArchive, member: str, filename: str) -> Any:
    raw = za.read(member, MAX_JSON_BYTES)
    try:
        return json.loads(bytes(raw))
    except (ValueError, RecursionError) as e:
        raise FormatError(f"{filename}: {member} is not valid JSON ({e})") from None


def _read_payloads(za: ZipArchive, folder: str, name: str, filename: str,
                   warnings: list[str]) -> dict[str, TensorData]:
    kind = folder.rsplit("/", 1)[1]
    config_member = f"{folder}/{name}_{kind}_config.json"
    legacy = f"{folder}/{name}.pt"
    if not za.has(config_member):
        if za.has(legacy):
            # torch <= 2.6 wrote the state dict as one torch.save zip.
            return _legacy_state_dict(za, legacy, filename, warnings)
        return {}
    config = _read_json(za, config_member, filename)
    entries = config.get("config") if isinstance(config, dict) else None
    if not isinstance(entries, dict):
        raise FormatError(f"{filename}: {config_member} has no 'config' mapping")
    storages: dict[str, memoryview] = {}
    out: dict[str, TensorData] = {}
    for fqn, payload in entries.items():
        where = f"{filename}: {config_member} entry {fqn!r}"
        if not isinstance(payload, dict) or not isinstance(payload.get("path_name"), str):
            raise FormatError(f"{where} has no path_name")
        member = _payload_member(folder, payload["path_name"], where)
        if kind == "constants" and not payload["path_name"].startswith("tensor_"):
            # custom_obj_N / opaque objects are pickled Python objects: never loaded.
            warnings.append(f"constant {fqn!r} ({payload['path_name']}) is not a tensor; skipped")
            continue
        if not za.has(member):
            raise FormatError(f"{where}: the archive has no member {member}")
        if payload.get("use_pickle"):
            out[fqn] = _pickled_tensor(za, member, where, warnings)
            continue
        meta = payload.get("tensor_meta")
        if not isinstance(meta, dict):
            raise FormatError(f"{where} has no tensor_meta")
        if member not in storages:
            storages[member] = _storage(za, member, meta, where)
        out[fqn] = tensor_from_meta(meta, storages[member], where, fqn)
    return out


def _payload_member(folder: str, path_name: str, where: str) -> str:
    """The zip member of a payload; path_name must stay inside its folder."""
    joined = posixpath.normpath(posixpath.join(folder, path_name))
    if (not path_name or path_name.startswith("/") or "\\" in path_name or "\0" in path_name
            or not joined.startswith(folder + "/")):
        raise SecurityError(f"{where}: path_name {path_name!r} points outside {folder}/")
    return joined


def _storage(za: ZipArchive, member: str, meta: dict[str, Any], where: str) -> memoryview:
    raw = za.read(member)
    if len(raw):
        return raw
    # torch writes an empty file for a tensor it can recreate as zeros (empty tensors).
    dtype = export_dtype(meta.get("dtype"), where)
    sizes = [_static_int(s, where, "sizes") for s in _list(meta.get("sizes"), where, "sizes")]
    numel = 1
    for d in sizes:
        numel *= max(d, 0)
    nbytes = numel * itemsize(dtype)
    if nbytes > MAX_ZERO_FILL_BYTES:
        raise FormatError(f"{where}: an empty storage file for {sizes} elements of {dtype}")
    return memoryview(bytearray(nbytes))


def tensor_from_meta(meta: dict[str, Any], storage: memoryview, where: str, name: str = "") -> TensorData:
    """A TensorData view described by an export TensorMeta (static sizes only)."""
    dtype = export_dtype(meta.get("dtype"), where)
    sizes = [_static_int(s, where, "sizes") for s in _list(meta.get("sizes"), where, "sizes")]
    strides = [_static_int(s, where, "strides") for s in _list(meta.get("strides"), where, "strides")]
    offset = _static_int(meta.get("storage_offset", {"as_int": 0}), where, "storage_offset")
    if meta.get("layout", 7) != 7:
        raise UnsupportedError(f"{where}: layout {meta.get('layout')} (only strided tensors are supported)")
    if len(storage) % itemsize(dtype):
        raise FormatError(f"{where}: storage of {len(storage)} bytes is not a multiple of the "
                          f"{dtype} item size")
    return TensorData(dtype, sizes, storage, strides, offset, name=name)


def export_dtype(code: Any, where: str) -> str:
    if not isinstance(code, int) or code not in EXPORT:
        raise UnsupportedError(f"{where}: export dtype code {code!r} is not supported")
    return EXPORT[code]


def _list(v: Any, where: str, what: str) -> list[Any]:
    if not isinstance(v, list) or len(v) > 64:
        raise FormatError(f"{where}: {what} is not a list of at most 64 entries")
    return v


def _static_int(v: Any, where: str, what: str) -> int:
    if isinstance(v, dict) and isinstance(v.get("as_int"), int) and not isinstance(v["as_int"], bool):
        n = v["as_int"]
        if abs(n) > MAX_ELEMENTS:
            raise FormatError(f"{where}: {what} value {n} is out of range")
        return n
    raise FormatError(f"{where}: {what} holds {v!r}, expected a static integer")


def _torch_save(za: ZipArchive, member: str, where: str, warnings: list[str]) -> Any:
    from .torch_save import read_torch_save  # imported late: it pulls in the unpickler

    try:
        obj, notes = read_torch_save(za.read(member), f"{za.filename}:{member}")
    except WasmTorchError as e:
        raise type(e)(f"{where}: {e}") from None
    warnings.extend(notes)
    return obj


def _pickled_tensor(za: ZipArchive, member: str, where: str, warnings: list[str]) -> TensorData:
    obj = _torch_save(za, member, where, warnings)
    if not isinstance(obj, TensorData):
        raise UnsupportedError(f"{where}: pickled payload is a {type(obj).__name__}, not a plain tensor")
    return obj


def _legacy_state_dict(za: ZipArchive, member: str, filename: str,
                       warnings: list[str]) -> dict[str, TensorData]:
    obj = _torch_save(za, member, f"{filename}: {member}", warnings)
    if not isinstance(obj, dict):
        raise FormatError(f"{filename}: {member} is not a state dict")
    out = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, TensorData)}
    skipped = [k for k in obj if k not in out]
    if skipped:
        warnings.append(f"{member}: non-tensor entries skipped: {', '.join(map(str, skipped[:5]))}")
    return out


def _read_sample_inputs(za: ZipArchive, name: str, filename: str,
                        warnings: list[str]) -> list[TensorData] | None:
    member = f"data/sample_inputs/{name}.pt"
    if not za.has(member):
        return None
    try:
        obj = _torch_save(za, member, f"{filename}: {member}", warnings)
    except WasmTorchError as e:
        # Sample inputs only help pick shapes; a file without usable ones still converts.
        warnings.append(f"sample inputs not read: {e}")
        return None
    tensors: list[TensorData] = []
    _flatten(obj, tensors, 0)
    return tensors


def _flatten(obj: Any, out: list[TensorData], depth: int) -> None:
    """Tensors of a pytree in torch's flattening order (tuples/lists in order, dicts by key order)."""
    if depth > 32:
        raise FormatError("sample inputs are nested too deeply")
    if isinstance(obj, TensorData):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _flatten(v, out, depth + 1)
    elif isinstance(obj, dict):
        for v in obj.values():
            _flatten(v, out, depth + 1)
