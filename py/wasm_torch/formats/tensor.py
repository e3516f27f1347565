"""TensorData: a tensor read from a file, as a zero-copy view on its storage bytes."""

from __future__ import annotations

import struct
from typing import Any

from ..dtypes import DTYPES, itemsize
from ..errors import FormatError

# Bound on the elements of one tensor (and of any storage): 2**31 - 1 elements is the most a
# wasm32 runtime could address, and it stops absurd claims before anything is allocated.
MAX_ELEMENTS = 2**31 - 1


class TensorData:
    """dtype + shape + strides + offset (in elements) over a storage's raw little-endian bytes.

    Construction checks that every addressed element lies inside the storage, so later reads
    can never go out of bounds. `storage` is kept as a memoryview so views share memory.
    """

    __slots__ = ("dtype", "shape", "strides", "offset", "storage", "name")

    def __init__(self, dtype: str, shape: tuple[int, ...] | list[int], storage: Any,
                 strides: tuple[int, ...] | list[int] | None = None, offset: int = 0, name: str = ""):
        if dtype not in DTYPES:
            raise FormatError(f"{name or 'tensor'}: unknown dtype {dtype!r}")
        shape = tuple(int(d) for d in shape)
        if any(d < 0 for d in shape):
            raise FormatError(f"{name or 'tensor'}: negative size in shape {list(shape)}")
        if strides is None:
            strides = contiguous_strides(shape)
        strides = tuple(int(s) for s in strides)
        if len(strides) != len(shape):
            raise FormatError(f"{name or 'tensor'}: {len(shape)}-d shape with {len(strides)} strides")
        if offset < 0 or any(s < 0 for s in strides):
            raise FormatError(f"{name or 'tensor'}: negative offset or stride")
        numel = 1
        for d in shape:
            numel *= d
        if numel > MAX_ELEMENTS:
            raise FormatError(f"{name or 'tensor'}: {numel} elements exceeds the limit of {MAX_ELEMENTS}")
        mv = storage if isinstance(storage, memoryview) else memoryview(storage)
        mv = mv.cast("B") if mv.format != "B" or mv.ndim != 1 else mv
        avail = len(mv) // itemsize(dtype)
        if numel:
            last = offset + sum((d - 1) * s for d, s in zip(shape, strides))
            if last >= avail:
                raise FormatError(
                    f"{name or 'tensor'}: view (offset {offset}, shape {list(shape)}, strides "
                    f"{list(strides)}) reaches element {last} but its storage holds {avail}")
        self.dtype, self.shape, self.strides, self.offset = dtype, shape, strides, offset
        self.storage, self.name = mv, name

    def __setstate__(self, state: Any) -> None:
        # copy.copy restores through here, and so would a hostile pickle's BUILD on a tensor it
        # just rebuilt: both go through the constructor's checks again.
        slots = state[1] if isinstance(state, tuple) and len(state) == 2 else None
        if not isinstance(slots, dict) or set(slots) != set(self.__slots__):
            raise FormatError("tensor: refusing to overwrite a tensor's fields with malformed state")
        self.__init__(slots["dtype"], slots["shape"], slots["storage"], slots["strides"],
                      slots["offset"], slots["name"])

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.numel * itemsize(self.dtype)

    def is_contiguous(self) -> bool:
        return self.numel <= 1 or all(
            d == 1 or s == c for d, s, c in zip(self.shape, self.strides, contiguous_strides(self.shape)))

    def raw(self) -> memoryview:
        """Contiguous little-endian bytes: a zero-copy slice when possible, else a gathered copy."""
        size = itemsize(self.dtype)
        if self.is_contiguous():
            start = self.offset * size
            return self.storage[start: start + self.nbytes]
        out = bytearray(self.nbytes)
        pos = 0
        for idx in _element_offsets(self.shape, self.strides, self.offset):
            out[pos: pos + size] = self.storage[idx * size: idx * size + size]
            pos += size
        return memoryview(out)

    def tolist(self) -> list[Any]:
        """Python values in row-major order (floats for float16/bfloat16)."""
        raw = self.raw()
        fmt = DTYPES[self.dtype][1]
        if self.dtype == "bfloat16":
            vals = struct.unpack(f"<{self.numel}H", raw)
            widened = struct.pack(f"<{self.numel}I", *(v << 16 for v in vals))
            return list(struct.unpack(f"<{self.numel}f", widened))
        if fmt is None:
            raise FormatError(f"{self.name or 'tensor'}: cannot decode dtype {self.dtype}")
        return list(struct.unpack(f"<{self.numel}{fmt}", raw))

    def item(self) -> Any:
        if self.numel != 1:
            raise FormatError(f"{self.name or 'tensor'}: item() of a tensor with {self.numel} elements")
        return self.tolist()[0]

    def numpy(self) -> Any:
        """A numpy array (a copy) with the same values; bfloat16 comes back as float32."""
        import numpy as np

        raw = self.raw()
        if self.dtype == "bfloat16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            return u.view(np.float32).reshape(self.shape)
        return np.frombuffer(raw, dtype=np_dtype(self.dtype)).reshape(self.shape).copy()

    def __repr__(self) -> str:
        return f"TensorData({self.name or ''} {self.dtype}{list(self.shape)})"


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= max(d, 1)
    return tuple(reversed(strides))


def _element_offsets(shape: tuple[int, ...], strides: tuple[int, ...], offset: int):
    if not shape:
        yield offset
        return
    for i in range(shape[0]):
        yield from _element_offsets(shape[1:], strides[1:], offset + i * strides[0])


def np_dtype(dtype: str) -> Any:
    import numpy as np

    if dtype == "bfloat16":
        return np.float32
    return np.dtype({"bool": "?"}.get(dtype, dtype)).newbyteorder("<")


def from_numpy(arr: Any, name: str = "") -> TensorData:
    """Wrap a numpy array (used by the reference runtime and --weights from .npy)."""
    import numpy as np

    a = np.ascontiguousarray(arr)
    dtype = "bool" if a.dtype == np.bool_ else str(a.dtype)
    return TensorData(dtype, a.shape, memoryview(a.tobytes()), name=name)
