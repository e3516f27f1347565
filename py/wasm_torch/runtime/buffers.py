"""Model inputs and outputs as raw bytes in the plan's dtypes, with or without numpy.

The wasm backend (under Node on CPython, in-process in Pyodide) feeds the kernels each input as
the C-contiguous bytes of its dtype (float32, int64 or bool). Accepted inputs:
  - numpy arrays (and anything with `__array__`, e.g. torch tensors) when numpy is importable;
  - buffers (memoryview, array.array, ...) holding numbers ('f', 'd', 'q', 'i', '?', ...) in the
    input's shape, or flat with as many elements;
  - raw bytes (bytes, bytearray, format 'B') already in the input's dtype, as many as it takes;
  - nested lists / tuples of Python numbers (a bare number for a rank-0 input).
Outputs come back as numpy arrays when numpy is importable, otherwise as memoryviews in the
output's shape (`.tolist()` gives nested lists).
"""

from __future__ import annotations

import math
from array import array
from typing import Any

from ..dtypes import DTYPES
from ..errors import WasmTorchError

# The plan's input/output dtypes -> which kinds of values convert to them
_KIND = {"float32": "float", "int64": "int", "bool": "bool"}
_NUMPY_KINDS = {"float": "f", "int": "iu", "bool": "b"}
_RAW = ("B", "c")
_FLOAT_CODES = {2: "e", 4: "f", 8: "d"}
_INT_CODES = {1: "b", 2: "h", 4: "i", 8: "q"}


def numpy_module() -> Any:
    """numpy if this interpreter has it (Pyodide usually does not), else None."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _fail(name: str, message: str) -> WasmTorchError:
    return WasmTorchError(f"input {name!r}: {message}")


def _check_shape(name: str, got: tuple[int, ...], shape: tuple[int, ...]) -> None:
    if got != shape:
        raise _fail(name, f"shape {list(got)}, expected {list(shape)}")


def input_bytes(x: Any, name: str, shape: tuple[int, ...], dtype: str) -> memoryview:
    """One input as C-contiguous bytes of `dtype` (a view of x's own memory when nothing converts)."""
    shape = tuple(shape)
    if dtype not in _KIND:
        raise _fail(name, f"dtype {dtype} is not a wasm plan dtype (float32, int64, bool)")
    np = numpy_module()
    if np is not None and (isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "__array__")):
        return _from_numpy(np, np.asarray(x), name, shape, dtype)
    if isinstance(x, (list, tuple, int, float)):
        return _from_nested(x, name, shape, dtype)
    try:
        view = memoryview(x)
    except TypeError:
        raise _fail(name, f"a {type(x).__name__} is not an input: pass nested lists, a memoryview or "
                          f"array.array, bytes in the model's dtype, or a numpy array") from None
    return _from_buffer(view, name, shape, dtype)


def _from_numpy(np: Any, arr: Any, name: str, shape: tuple[int, ...], dtype: str) -> memoryview:
    from ..formats.tensor import np_dtype

    _check_shape(name, tuple(arr.shape), shape)
    if arr.dtype.kind not in _NUMPY_KINDS[_KIND[dtype]]:
        raise _fail(name, f"dtype {arr.dtype}, expected {dtype}")
    return memoryview(np.ascontiguousarray(arr, dtype=np_dtype(dtype))).cast("B")


def _contiguous_bytes(view: memoryview) -> memoryview:
    if view.c_contiguous:
        try:
            return view.cast("B")
        except (TypeError, ValueError):  # only native formats cast ('<f' does not): copy below
            pass
    return memoryview(view.tobytes())


def _from_buffer(view: memoryview, name: str, shape: tuple[int, ...], dtype: str) -> memoryview:
    nbytes = math.prod(shape) * DTYPES[dtype][0]
    if view.format[:1] in (">", "!"):
        raise _fail(name, f"big-endian buffer (format {view.format!r})")
    code = view.format.lstrip("@=<")
    if code in _RAW:
        if view.nbytes != nbytes:
            raise _fail(name, f"{view.nbytes} bytes, expected {nbytes} ({dtype} {list(shape)})")
        return _contiguous_bytes(view)
    if code in "efd":
        kind, src = "float", _FLOAT_CODES.get(view.itemsize)
    elif code in "bhilqn":
        kind, src = "int", _INT_CODES.get(view.itemsize)
    elif code in "HILQN":
        kind, src = "int", _INT_CODES.get(view.itemsize, "").upper()
    elif code == "?":
        kind, src = "bool", "?"
    else:
        raise _fail(name, f"unsupported buffer format {view.format!r}")
    if tuple(view.shape) != shape and not (view.ndim == 1 and view.shape[0] == math.prod(shape)):
        raise _fail(name, f"shape {list(view.shape)}, expected {list(shape)} (or flat with {math.prod(shape)} "
                          f"elements)")
    if kind != _KIND[dtype]:
        raise _fail(name, f"{kind} values (format {view.format!r}), expected {dtype}")
    raw = _contiguous_bytes(view)
    target = DTYPES[dtype][1]
    if src == target:
        return raw
    try:
        return memoryview(array(target, raw.cast(src))).cast("B")
    except OverflowError:
        raise _fail(name, f"a value does not fit in {dtype}") from None


def _from_nested(x: Any, name: str, shape: tuple[int, ...], dtype: str) -> memoryview:
    got: list[int] = []
    level = [x]
    while level and all(isinstance(v, (list, tuple)) for v in level):
        n = len(level[0])
        if any(len(v) != n for v in level):
            raise _fail(name, f"ragged nested lists (lengths {sorted({len(v) for v in level})} at depth {len(got)})")
        got.append(n)
        level = [e for v in level for e in v]
    if any(isinstance(v, (list, tuple)) for v in level):
        raise _fail(name, f"ragged nested lists (lists and numbers mixed at depth {len(got)})")
    _check_shape(name, tuple(got), shape)
    kind = _KIND[dtype]
    bad = next((v for v in level if not isinstance(v, (int, float)) or (kind != "float" and isinstance(v, float))
                or (kind == "bool" and v not in (0, 1))), None)
    if bad is not None:
        raise _fail(name, f"{type(bad).__name__} value {bad!r}, expected {dtype} values")
    try:
        return memoryview(array("B" if kind == "bool" else DTYPES[dtype][1], level)).cast("B")
    except OverflowError:
        raise _fail(name, f"a value does not fit in {dtype}") from None


def input_names(g: Any) -> list[str]:
    return [g.input_names[i] if i < len(g.input_names) else v for i, v in enumerate(g.inputs)]


def graph_inputs(g: Any, inputs: list[Any]) -> list[memoryview]:
    """Every input of graph g as bytes (input_bytes), after checking the count."""
    if len(inputs) != len(g.inputs):
        raise WasmTorchError(f"the model takes {len(g.inputs)} inputs, {len(inputs)} given")
    return [input_bytes(x, name, tuple(g.values[v].shape), g.values[v].dtype)
            for x, name, v in zip(inputs, input_names(g), g.inputs)]


def output_value(buf: bytearray, shape: tuple[int, ...], dtype: str) -> Any:
    """An output's bytes as a numpy array, or without numpy a memoryview of its shape (flat when
    the shape has a zero: memoryview cannot take one)."""
    np = numpy_module()
    if np is not None:
        from ..formats.tensor import np_dtype

        return np.frombuffer(buf, dtype=np_dtype(dtype)).reshape(shape)
    fmt = DTYPES[dtype][1]
    return memoryview(buf).cast(fmt) if 0 in shape else memoryview(buf).cast(fmt, list(shape))
