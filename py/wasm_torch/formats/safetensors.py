"""safetensors: 8-byte header length, JSON header, flat little-endian buffer (formats.md §4)."""

from __future__ import annotations

import json
import struct
from typing import Any

from ..dtypes import SAFETENSORS, itemsize
from ..errors import FormatError
from .tensor import MAX_ELEMENTS, TensorData

# The reference implementation refuses headers over 100 MB too.
MAX_HEADER = 100 * 1024 * 1024


def read_safetensors(data: bytes | bytearray | memoryview,
                     filename: str) -> tuple[dict[str, TensorData], dict[str, str]]:
    """Tensors by name (zero-copy views; aliases from save_model resolved) and __metadata__."""
    buf = memoryview(data).cast("B")
    if len(buf) < 8:
        raise FormatError(f"{filename}: safetensors file is {len(buf)} bytes, too short for a header")
    (n,) = struct.unpack_from("<Q", buf, 0)
    if n > len(buf) - 8:
        raise FormatError(f"{filename}: safetensors header length {n} is longer than the file "
                          f"({len(buf)} bytes)")
    if n > MAX_HEADER:
        raise FormatError(f"{filename}: safetensors header length {n} exceeds the limit of {MAX_HEADER}")
    header = _parse_header(bytes(buf[8:8 + n]), filename)
    body = buf[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise FormatError(f"{filename}: safetensors __metadata__ must map strings to strings")

    tensors: dict[str, TensorData] = {}
    ranges: list[tuple[int, int, str]] = []
    for name, info in header.items():
        t, begin, end = _tensor(name, info, body, filename)
        tensors[name] = t
        if end > begin:
            ranges.append((begin, end, name))
    ranges.sort()
    for (_, prev_end, prev), (begin, _, name) in zip(ranges, ranges[1:]):
        if begin < prev_end:
            raise FormatError(f"{filename}: safetensors tensors {prev!r} and {name!r} overlap "
                              f"(bytes {begin}..{prev_end})")

    # save_model drops tied duplicates and records {"dropped name": "kept name"} in __metadata__.
    for alias, target in metadata.items():
        if alias not in tensors and target in tensors:
            t = tensors[target]
            tensors[alias] = TensorData(t.dtype, t.shape, t.storage, t.strides, t.offset, name=alias)
    return tensors, metadata


def _parse_header(text: bytes, filename: str) -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            raise FormatError(f"{filename}: safetensors header repeats a key")
        return out

    try:
        header = json.loads(text.decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"{filename}: safetensors header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise FormatError(f"{filename}: safetensors header is not a JSON object")
    return header


def _tensor(name: str, info: Any, body: memoryview, filename: str) -> tuple[TensorData, int, int]:
    where = f"{filename}: safetensors tensor {name!r}"
    if not isinstance(info, dict):
        raise FormatError(f"{where} has no dtype/shape/data_offsets")
    dtype = SAFETENSORS.get(info.get("dtype")) if isinstance(info.get("dtype"), str) else None
    if dtype is None:
        raise FormatError(f"{where} has unknown dtype {str(info.get('dtype'))[:20]!r}")
    shape, offsets = info.get("shape"), info.get("data_offsets")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise FormatError(f"{where} has invalid shape {str(shape)[:60]}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)):
        raise FormatError(f"{where} has invalid data_offsets {str(offsets)[:60]}")
    begin, end = offsets
    if not 0 <= begin <= end <= len(body):
        raise FormatError(f"{where} has data_offsets [{begin}, {end}] outside the data buffer "
                          f"({len(body)} bytes)")
    numel = 1
    for d in shape:
        numel *= d
    if numel > MAX_ELEMENTS:
        raise FormatError(f"{where} has {numel} elements, more than the limit of {MAX_ELEMENTS}")
    if end - begin != numel * itemsize(dtype):
        raise FormatError(f"{where} spans {end - begin} bytes but shape {shape} of {dtype} needs "
                          f"{numel * itemsize(dtype)}")
    return TensorData(dtype, shape, body[begin:end], name=name), begin, end
