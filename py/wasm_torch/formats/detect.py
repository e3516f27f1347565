"""Tell the model file formats apart by content, never by extension (formats.md §0)."""

from __future__ import annotations

import struct

from ..errors import FormatError
from .zipreader import ZipArchive

# The legacy torch.save stream opens with a pickled magic number (LONG1 of 0x1950a86a20f9469cfc6c).
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_MAGIC_OPS = b"\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"

KINDS = ("torchscript", "torch_save", "pt2", "safetensors", "legacy_torch_save")


def is_zip(data: bytes | memoryview) -> bool:
    return bytes(data[:4]) in (b"PK\x03\x04", b"PK\x05\x06")


def is_legacy_torch_save(data: bytes | memoryview) -> bool:
    # A PROTO opcode, then the magic (protocol 2 by default; torch.save accepts others).
    head = bytes(data[:16])
    return head[:1] == b"\x80" and head.find(_LEGACY_MAGIC_OPS) in (2, 11)


def is_tar(data: bytes | memoryview) -> bool:
    return bytes(data[257:262]) == b"ustar"


def refuse_tar(filename: str) -> FormatError:
    return FormatError(f"{filename}: is a tar archive: the pre-0.4 torch.save format is not supported "
                       "(load it with an old torch and save it again)")


def is_safetensors(data: bytes | memoryview) -> bool:
    if len(data) < 10:
        return False
    (n,) = struct.unpack("<Q", bytes(data[:8]))
    return 2 <= n <= len(data) - 8 and bytes(data[8:9]) == b"{"


def zip_kind(z: ZipArchive) -> str | None:
    """Which torch archive a zip is, from its members; None when it is none of them."""
    if z.has("archive_format"):
        fmt = bytes(z.read("archive_format", max_size=64)).strip()
        if fmt == b"pt2":
            return "pt2"
        raise FormatError(f"{z.filename}: zip declares archive_format {fmt[:20]!r}, not pt2")
    if z.has("serialized_exported_program.json"):
        return "pt2"  # written by torch 2.1-2.4, before archive_format existed
    if not z.has("data.pkl"):
        return None
    if z.has("constants.pkl") or z.has("bytecode.pkl") or any(n.startswith("code/") for n in z.names):
        return "torchscript"
    return "torch_save"


def detect(data: bytes | bytearray | memoryview, filename: str) -> str:
    """One of KINDS, from the file's bytes. FormatError naming the file otherwise."""
    if is_zip(data):
        kind = zip_kind(ZipArchive(data, filename))
        if kind is None:
            raise FormatError(f"{filename}: is a zip archive but not a PyTorch one "
                              "(no data.pkl and no archive_format)")
        return kind
    if is_legacy_torch_save(data):
        return "legacy_torch_save"
    if is_tar(data):
        raise refuse_tar(filename)
    if is_safetensors(data):
        return "safetensors"
    if len(data) >= 8 and bytes(data[8:9]) == b"{":
        (n,) = struct.unpack("<Q", bytes(data[:8]))
        raise FormatError(f"{filename}: looks like safetensors but its header length {n} is longer "
                          f"than the file ({len(data)} bytes)")
    raise FormatError(f"{filename}: unrecognized format (not a TorchScript, torch.save, .pt2 or "
                      "safetensors file)")
