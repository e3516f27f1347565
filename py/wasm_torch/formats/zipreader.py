"""A bounded, zero-copy reader for the zip archives torch writes (PyTorchStreamWriter).

The central directory is parsed by hand rather than with `zipfile` so that STORED members (all
tensor data) come back as slices of the caller's buffer without a copy, and so that every size
and offset is checked against the buffer before it is used. DEFLATED members (TorchScript
`code/`) are inflated in bounded steps, so a zip bomb is refused after a few KB of output.
"""

from __future__ import annotations

import struct
import zlib

from ..errors import FormatError, UnsupportedError

# Largest inflated member (code, JSON, pickles), and all members of one archive together.
# torch STORES tensor data; only archives re-zipped by other tools have deflated storages.
MAX_INFLATED = 256 * 1024 * 1024
MAX_INFLATED_TOTAL = 1024 * 1024 * 1024
# Compressed bytes handed to zlib per step: keeps each step's work and output small.
_CHUNK = 64 * 1024

_EOCD = struct.Struct("<4s4H2IH")
_EOCD64_LOCATOR = struct.Struct("<4sIQI")
_EOCD64 = struct.Struct("<4sQ2H2I4Q")
_CENTRAL = struct.Struct("<4s6H3I5H2I")
_LOCAL = struct.Struct("<4s5H3I2H")
_U32_MAX = 0xFFFFFFFF


class _Entry:
    __slots__ = ("name", "method", "crc", "csize", "usize", "header")

    def __init__(self, name: str, method: int, crc: int, csize: int, usize: int, header: int):
        self.name, self.method, self.crc = name, method, crc
        self.csize, self.usize, self.header = csize, usize, header


class ZipArchive:
    """Members of a zip whose entries all sit under one top folder (`root`).

    Member names given to `has`/`read` and listed in `names` are relative to `root`.
    """

    def __init__(self, data: bytes | bytearray | memoryview, filename: str):
        self.filename = filename
        buf = data if isinstance(data, memoryview) else memoryview(data)
        self._buf = buf.cast("B") if buf.format != "B" or buf.ndim != 1 else buf
        self._entries: dict[str, _Entry] = {}
        self.root = ""
        self._inflated = 0
        self._parse()

    @property
    def names(self) -> list[str]:
        return list(self._entries)

    def has(self, member: str) -> bool:
        return member in self._entries

    def size(self, member: str) -> int:
        """Declared uncompressed size of a member."""
        return self._entry(member).usize

    def read(self, member: str, max_size: int | None = None) -> memoryview:
        """The member's bytes: a zero-copy slice when STORED, a bounded inflate when DEFLATED.

        `max_size` bounds the result; DEFLATED members are also bounded by MAX_INFLATED each and
        MAX_INFLATED_TOTAL for the whole archive.
        """
        e = self._entry(member)
        limit = max_size
        if e.method == 8:
            limit = min(MAX_INFLATED if max_size is None else max_size, MAX_INFLATED)
        if limit is not None and e.usize > limit:
            raise self._error(member, f"declares {e.usize} bytes, more than the limit of {limit}")
        if e.method == 8 and self._inflated + e.usize > MAX_INFLATED_TOTAL:
            raise self._error(member, f"would take the archive past {MAX_INFLATED_TOTAL} inflated bytes")
        start = self._data_offset(e)
        raw = self._buf[start: start + e.csize]
        if e.method == 0:
            if e.csize != e.usize:
                raise self._error(member, f"is stored with {e.csize} bytes but declares {e.usize}")
            out = raw
        else:
            out = memoryview(self._inflate(e, raw))
            self._inflated += len(out)
        if zlib.crc32(out) != e.crc:
            raise self._error(member, "fails its CRC-32 check (corrupt or truncated file)")
        return out

    # -- parsing -------------------------------------------------------------------------------

    def _error(self, member: str, what: str) -> FormatError:
        return FormatError(f"{self.filename}: zip member {self.root}/{member} {what}")

    def _entry(self, member: str) -> _Entry:
        try:
            return self._entries[member]
        except KeyError:
            raise FormatError(f"{self.filename}: zip has no member {self.root}/{member}") from None

    def _fail(self, what: str) -> FormatError:
        return FormatError(f"{self.filename}: not a readable zip archive: {what}")

    def _parse(self) -> None:
        buf, n = self._buf, len(self._buf)
        # The end record sits in the last 22 bytes plus at most a 65535-byte comment.
        tail_start = max(0, n - _EOCD.size - 0xFFFF)
        pos = bytes(buf[tail_start:]).rfind(b"PK\x05\x06")
        if pos < 0 or tail_start + pos + _EOCD.size > n:
            raise self._fail("no end-of-central-directory record (truncated?)")
        eocd = tail_start + pos
        _, disk, cd_disk, _, count, cd_size, cd_offset, _ = _EOCD.unpack_from(buf, eocd)
        if count == 0xFFFF or cd_size == _U32_MAX or cd_offset == _U32_MAX:
            count, cd_size, cd_offset = self._zip64_end(eocd)
        elif disk or cd_disk:
            raise self._fail("multi-disk archives are not supported")
        if cd_offset + cd_size > n:
            raise self._fail(f"central directory ({cd_offset}+{cd_size}) lies past the end of the file ({n})")
        entries, names = [], set()
        pos = cd_offset
        for _ in range(count):
            if pos + _CENTRAL.size > cd_offset + cd_size:
                raise self._fail("central directory is truncated")
            (sig, _, _, flags, method, _, _, crc, csize, usize, nlen, elen, clen, _, _, _,
             header) = _CENTRAL.unpack_from(buf, pos)
            if sig != b"PK\x01\x02":
                raise self._fail(f"bad central directory entry at byte {pos}")
            name_end = pos + _CENTRAL.size + nlen
            if name_end + elen + clen > cd_offset + cd_size:
                raise self._fail("central directory is truncated")
            raw_name = bytes(buf[pos + _CENTRAL.size: name_end])
            name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
            if _U32_MAX in (csize, usize, header):
                usize, csize, header = _zip64_extra(buf[name_end: name_end + elen], usize, csize, header,
                                                    lambda what, nm=name: self._fail(f"{nm}: {what}"))
            pos = name_end + elen + clen
            if name.endswith("/"):
                continue  # directory entry; torch writes none, other tools may
            if flags & 0x1:
                raise UnsupportedError(f"{self.filename}: zip member {name} is encrypted")
            if method not in (0, 8):
                raise UnsupportedError(f"{self.filename}: zip member {name} uses compression method "
                                       f"{method} (only stored and deflate are supported)")
            if name in names:
                raise self._fail(f"member {name} appears twice")
            names.add(name)
            entries.append(_Entry(name, method, crc, csize, usize, header))
        self._set_root(entries)

    def _zip64_end(self, eocd: int) -> tuple[int, int, int]:
        loc = eocd - _EOCD64_LOCATOR.size
        if loc < 0:
            raise self._fail("zip64 end-of-central-directory locator is missing")
        sig, _, rec, _ = _EOCD64_LOCATOR.unpack_from(self._buf, loc)
        if sig != b"PK\x06\x07" or rec + _EOCD64.size > loc:
            raise self._fail("zip64 end-of-central-directory locator is invalid")
        sig, _, _, _, disk, cd_disk, _, count, cd_size, cd_offset = _EOCD64.unpack_from(self._buf, rec)
        if sig != b"PK\x06\x06":
            raise self._fail("zip64 end-of-central-directory record is invalid")
        if disk or cd_disk:
            raise self._fail("multi-disk archives are not supported")
        return count, cd_size, cd_offset

    def _set_root(self, entries: list[_Entry]) -> None:
        if not entries:
            raise self._fail("it has no members")
        roots = {e.name.split("/", 1)[0] for e in entries}
        if len(roots) != 1 or any("/" not in e.name for e in entries):
            shown = ", ".join(sorted(roots)[:3])
            raise self._fail(f"members must share one top folder, found {shown}")
        self.root = roots.pop()
        cut = len(self.root) + 1
        self._entries = {e.name[cut:]: e for e in entries}

    def _data_offset(self, e: _Entry) -> int:
        member = e.name[len(self.root) + 1:]
        if e.header + _LOCAL.size > len(self._buf):
            raise self._error(member, "has a local header past the end of the file (truncated?)")
        sig, _, _, _, _, _, _, _, _, nlen, elen = _LOCAL.unpack_from(self._buf, e.header)
        if sig != b"PK\x03\x04":
            raise self._error(member, f"has no local header at byte {e.header}")
        start = e.header + _LOCAL.size + nlen + elen
        if start + e.csize > len(self._buf):
            raise self._error(member, f"data ({start}+{e.csize}) lies past the end of the file "
                                      f"({len(self._buf)} bytes; truncated?)")
        return start

    def _inflate(self, e: _Entry, src: memoryview) -> bytearray:
        member = e.name[len(self.root) + 1:]
        d = zlib.decompressobj(-15)
        out = bytearray()
        pos = 0
        try:
            while not d.eof:
                if d.unconsumed_tail:
                    chunk = d.unconsumed_tail
                elif pos < len(src):
                    chunk, pos = src[pos: pos + _CHUNK], pos + _CHUNK
                else:
                    raise self._error(member, "ends in the middle of its deflate stream (truncated?)")
                # max_length stops zlib one byte past the declared size: a bomb never gets further.
                out += d.decompress(chunk, e.usize - len(out) + 1)
                if len(out) > e.usize:
                    raise self._error(member, f"inflates past its declared size of {e.usize} bytes")
        except zlib.error as exc:
            raise self._error(member, f"has a corrupt deflate stream ({exc})") from None
        if len(out) != e.usize:
            raise self._error(member, f"inflates to {len(out)} bytes but declares {e.usize}")
        return out


def _zip64_extra(extra: memoryview, usize: int, csize: int, header: int, fail) -> tuple[int, int, int]:
    """Replace saturated 32-bit fields with their values from the zip64 extra field (id 1)."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<2H", extra, pos)
        body = extra[pos + 4: pos + 4 + size]
        pos += 4 + size
        if tag != 1:
            continue
        values, i = [], 0
        for saturated in (usize == _U32_MAX, csize == _U32_MAX, header == _U32_MAX):
            if saturated:
                if i + 8 > len(body):
                    raise fail("zip64 extra field is truncated")
                values.append(struct.unpack_from("<Q", body, i)[0])
                i += 8
            else:
                values.append(None)
        return tuple(v if v is not None else old for v, old in zip(values, (usize, csize, header)))
    raise fail("32-bit size fields are saturated but there is no zip64 extra field")
