"""torch.save files: the zip format (default since 1.6) and the legacy non-zip stream (formats.md §2)."""

from __future__ import annotations

import struct
from collections import deque
from typing import Any

from ..errors import FormatError, UnsupportedError
from .detect import LEGACY_MAGIC, is_legacy_torch_save, is_tar, is_zip, refuse_tar
from .tensor import MAX_ELEMENTS, TensorData
from .unpickler import InertObject, PickleContext, load_from_stream, load_pickle
from .zipreader import ZipArchive

# state_dict_candidates looks this deep into checkpoints.
_MAX_WALK_DEPTH = 32


def read_torch_save(data: bytes | bytearray | memoryview, filename: str) -> tuple[Any, list[str]]:
    """The object a torch.save file holds (tensors as TensorData) and the warnings raised."""
    buf = memoryview(data).cast("B")
    if is_zip(buf):
        return _read_zip(ZipArchive(buf, filename))
    if is_legacy_torch_save(buf):
        return _read_legacy(buf, filename)
    if is_tar(buf):
        raise refuse_tar(filename)
    raise FormatError(f"{filename}: not a torch.save file (neither a zip nor the legacy pickle stream)")


def load_zip_pickle(z: ZipArchive, ctx: PickleContext, name: str, allow_empty: bool = False) -> Any:
    """Unpickle `<root>/<name>` with its storages in `<root>/<name minus .pkl>/<key>`."""
    folder = name[:-4] if name.endswith(".pkl") else name

    def storages(key: str, itemsize: int, numel: int) -> memoryview:
        return z.read(f"{folder}/{key}", max_size=numel * itemsize)

    return load_pickle(z.read(name), ctx, name, storages, folder, allow_empty)


def check_byteorder(z: ZipArchive) -> None:
    if z.has("byteorder"):
        order = bytes(z.read("byteorder", max_size=16)).strip()
        if order != b"little":
            raise UnsupportedError(f"{z.filename}: byteorder is {order[:16]!r}; only little-endian "
                                   "files are supported")


def _read_zip(z: ZipArchive) -> tuple[Any, list[str]]:
    if not z.has("data.pkl"):
        raise FormatError(f"{z.filename}: zip has no {z.root}/data.pkl, so it is not a torch.save archive")
    check_byteorder(z)
    ctx = PickleContext(z.filename)
    return load_zip_pickle(z, ctx, "data.pkl"), ctx.warnings


class _Stream:
    """A read-only file over a memoryview, for pickle (copies only what each read returns)."""

    def __init__(self, buf: memoryview):
        self.buf, self.pos = buf, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.buf) if n is None or n < 0 else min(len(self.buf), self.pos + n)
        out = bytes(self.buf[self.pos:end])
        self.pos = end
        return out

    def readline(self) -> bytes:
        # Pickle text lines (GLOBAL, INT, ...) are short; bound the search.
        window = bytes(self.buf[self.pos:self.pos + 65536])
        cut = window.find(b"\n")
        return self.read(len(window) if cut < 0 else cut + 1)


def _read_legacy(buf: memoryview, filename: str) -> tuple[Any, list[str]]:
    # magic, protocol, sys_info, the object, the storage keys, then each storage's raw bytes.
    stream, ctx = _Stream(buf), PickleContext(filename)

    def header(what: str) -> Any:
        return load_from_stream(stream, ctx, what, None, legacy=True)

    if header("magic number") != LEGACY_MAGIC:
        raise FormatError(f"{filename}: legacy torch.save stream has a wrong magic number")
    if header("protocol version") != 1001:
        raise FormatError(f"{filename}: legacy torch.save protocol is not 1001")
    sys_info = header("sys_info")
    if not isinstance(sys_info, dict) or sys_info.get("little_endian") is not True:
        raise UnsupportedError(f"{filename}: legacy torch.save file is not little-endian ({sys_info!r:.80})")

    # The storages come after the object, so read the object twice: once to learn each storage's
    # element size, then for real once the raw bytes are located.
    object_start = stream.pos
    sizes: dict[str, int] = {}

    def scan(key: str, itemsize: int, numel: int) -> None:
        if sizes.setdefault(key, itemsize) != itemsize:
            raise FormatError(f"{filename}: legacy storage {key} is used with two element sizes")

    load_from_stream(stream, ctx, "object", scan, folder="", legacy=True)
    keys = header("storage keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise FormatError(f"{filename}: legacy storage key list is malformed")
    raws = _legacy_storages(buf, stream.pos, keys, sizes, filename)

    def resolve(key: str, itemsize: int, numel: int) -> memoryview:
        if key not in raws:
            raise FormatError(f"{filename}: legacy storage {key} has no data")
        return raws[key]

    stream.pos = object_start
    return load_from_stream(stream, ctx, "object", resolve, folder="", legacy=True), ctx.warnings


def _legacy_storages(buf: memoryview, pos: int, keys: list[str], sizes: dict[str, int],
                     filename: str) -> dict[str, memoryview]:
    raws: dict[str, memoryview] = {}
    for key in keys:
        if key not in sizes:
            raise FormatError(f"{filename}: legacy storage {key} is listed but never used")
        if pos + 8 > len(buf):
            raise FormatError(f"{filename}: legacy storage {key} is missing (file truncated)")
        (numel,) = struct.unpack_from("<q", buf, pos)
        if not 0 <= numel <= MAX_ELEMENTS:
            raise FormatError(f"{filename}: legacy storage {key} claims {numel} elements "
                              f"(the limit is {MAX_ELEMENTS})")
        nbytes = numel * sizes[key]
        pos += 8
        if pos + nbytes > len(buf):
            raise FormatError(f"{filename}: legacy storage {key} needs {nbytes} bytes but only "
                              f"{len(buf) - pos} remain (file truncated)")
        raws[key] = buf[pos:pos + nbytes]
        pos += nbytes
    return raws


# -- finding the weights in a checkpoint --------------------------------------------------------

def state_dict_candidates(obj: Any) -> list[tuple[str, dict[str, TensorData]]]:
    """Every state_dict-like mapping inside a loaded torch.save object, shallowest first.

    A candidate is a dict of name -> tensor (the object itself, or nested under any key such as
    state_dict/model/ema), or an nn.Module tree pickled whole by torch.save(model). The key path
    is dotted ("" for the object itself, "model", "checkpoint.ema", "models.0").
    """
    out: list[tuple[str, dict[str, TensorData]]] = []
    seen: set[int] = set()
    queue: deque[tuple[str, Any, int]] = deque([("", obj, 0)])
    while queue:
        path, item, depth = queue.popleft()
        if id(item) in seen or depth > _MAX_WALK_DEPTH:
            continue
        seen.add(id(item))
        found = _as_state_dict(item)
        if found:
            out.append((path, found))
            continue
        for key, child in _named_children(item):
            queue.append((f"{path}.{key}" if path else str(key), child, depth + 1))
    return out


def _as_state_dict(item: Any) -> dict[str, TensorData] | None:
    if isinstance(item, InertObject) and isinstance(item.__dict__.get("_parameters"), dict):
        return _module_state_dict(item) or None
    if not isinstance(item, dict) or not item:
        return None
    tensors = {}
    for k, v in dict.items(item):
        if not isinstance(k, str):
            return None
        if isinstance(v, TensorData):
            tensors[k] = v
        elif not k.endswith("_extra_state"):
            return None
    return tensors or None


def _module_state_dict(module: InertObject) -> dict[str, TensorData]:
    """state_dict of an nn.Module pickled whole: parameters and persistent buffers, recursively."""
    out: dict[str, TensorData] = {}
    stack: list[tuple[str, Any, int]] = [("", module, 0)]
    while stack:
        prefix, mod, depth = stack.pop()
        if not isinstance(mod, InertObject) or depth > _MAX_WALK_DEPTH:
            continue
        attrs = mod.__dict__
        skip = attrs.get("_non_persistent_buffers_set") or set()
        for group in ("_parameters", "_buffers"):
            for name, t in dict.items(attrs.get(group) or {}):
                if isinstance(name, str) and isinstance(t, TensorData) and name not in skip:
                    out[prefix + name] = t
        children = attrs.get("_modules")
        if isinstance(children, dict):
            stack.extend((f"{prefix}{name}.", child, depth + 1)
                         for name, child in reversed(list(dict.items(children))) if isinstance(name, str))
    return out


def _named_children(item: Any) -> list[tuple[Any, Any]]:
    if isinstance(item, dict):
        return [(k, v) for k, v in dict.items(item) if isinstance(k, (str, int))]
    if isinstance(item, (list, tuple)):
        return list(enumerate(item))
    if isinstance(item, InertObject):
        return list(item.__dict__.items())
    return []
