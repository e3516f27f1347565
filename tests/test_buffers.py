"""Model inputs in every accepted form (runtime/buffers.py, shared by the Node and Pyodide wasm paths):
the bytes the kernels get, the errors that name the input, and outputs without numpy."""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np
import pytest
import wasm_torch
from browser_util import require_tool
from wasm_torch.errors import WasmTorchError
from wasm_torch.runtime import buffers
from wasm_torch.runtime.buffers import input_bytes, output_value

X = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
IDS = np.array([[3, -1, 7]], dtype=np.int64)
MASK = np.array([True, False, True])

SAME = [  # (input, shape, dtype, the array whose bytes the kernels must get)
    (X, (2, 3), "float32", X),
    (X.astype(np.float64), (2, 3), "float32", X),
    (np.asfortranarray(X), (2, 3), "float32", X),
    (X.tolist(), (2, 3), "float32", X),
    (tuple(map(tuple, X.tolist())), (2, 3), "float32", X),
    (memoryview(X), (2, 3), "float32", X),
    (memoryview(X.tobytes()).cast("f", [2, 3]), (2, 3), "float32", X),
    (memoryview(np.ascontiguousarray(X.T)).cast("B").cast("f", [3, 2]).tolist(), (3, 2), "float32", X.T),
    (memoryview(np.arange(12, dtype=np.float32).reshape(2, 6)[:, ::2]), (2, 3), "float32",
     np.arange(12, dtype=np.float32).reshape(2, 6)[:, ::2]),
    (array("f", X.ravel().tolist()), (2, 3), "float32", X),
    (array("d", X.ravel().tolist()), (2, 3), "float32", X),
    (X.tobytes(), (2, 3), "float32", X),
    (bytearray(X.tobytes()), (2, 3), "float32", X),
    (2.5, (), "float32", np.float32(2.5)),
    (IDS, (1, 3), "int64", IDS),
    (IDS.astype(np.int32), (1, 3), "int64", IDS),
    (IDS.tolist(), (1, 3), "int64", IDS),
    (array("i", [3, -1, 7]), (1, 3), "int64", IDS),
    (array("q", [3, -1, 7]), (1, 3), "int64", IDS),
    (memoryview(IDS), (1, 3), "int64", IDS),
    (MASK, (3,), "bool", MASK),
    ([True, False, True], (3,), "bool", MASK),
    ([1, 0, 1], (3,), "bool", MASK),
    (memoryview(MASK), (3,), "bool", MASK),
    (MASK.tobytes(), (3,), "bool", MASK),
]


@pytest.mark.parametrize("x, shape, dtype, expected", SAME, ids=[f"{type(c[0]).__name__}-{i}" for i, c in
                                                                  enumerate(SAME)])
def test_input_bytes(x, shape, dtype, expected):
    assert bytes(input_bytes(x, "x", shape, dtype)) == np.ascontiguousarray(expected).tobytes()


BAD = [  # (input, shape, dtype, message)
    (X, (3, 2), "float32", "input 'x': shape [2, 3], expected [3, 2]"),
    (IDS, (1, 3), "float32", "input 'x': dtype int64, expected float32"),
    (np.zeros((2, 3), np.uint8), (2, 3), "float32", "input 'x': dtype uint8, expected float32"),
    (X, (2, 3), "int64", "input 'x': dtype float32, expected int64"),
    ([[1.0, 2.0], [3.0]], (2, 2), "float32", "input 'x': ragged nested lists"),
    ([[1.0, [2.0]]], (1, 2), "float32", "input 'x': ragged nested lists (lists and numbers mixed at depth 2)"),
    ([[1, 2.5]], (1, 2), "int64", "input 'x': float value 2.5, expected int64 values"),
    ([2, 0], (2,), "bool", "input 'x': int value 2, expected bool values"),
    (["a"], (1,), "float32", "input 'x': str value 'a', expected float32 values"),
    (array("f", [1.0] * 5), (2, 3), "float32", "input 'x': shape [5], expected [2, 3] (or flat with 6 elements)"),
    (array("f", [1.0] * 6), (2, 3), "int64", "input 'x': float values (format 'f'), expected int64"),
    (array("Q", [2**64 - 1]), (1,), "int64", "input 'x': a value does not fit in int64"),
    (bytes(20), (2, 3), "float32", "input 'x': 20 bytes, expected 24 (float32 [2, 3])"),
    (memoryview(X.astype(">f4")), (2, 3), "float32", "input 'x': big-endian buffer (format '>f')"),
    ({"x": 1}, (1,), "float32", "input 'x': a dict is not an input"),
    (X, (2, 3), "float16", "input 'x': dtype float16 is not a wasm plan dtype"),
]


@pytest.mark.parametrize("x, shape, dtype, message", BAD, ids=[m.split(": ", 1)[1][:30] for *_, m in BAD])
def test_input_errors_name_the_input(x, shape, dtype, message):
    with pytest.raises(WasmTorchError) as info:
        input_bytes(x, "x", shape, dtype)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("shape, dtype, data", [((2, 3), "float32", X), ((1, 3), "int64", IDS), ((3,), "bool", MASK),
                                               ((), "float32", np.float32(1.5)), ((0, 3), "float32",
                                                                                  np.zeros((0, 3), np.float32))])
def test_outputs_without_numpy_are_shaped_memoryviews(monkeypatch, shape, dtype, data):
    raw = bytearray(np.ascontiguousarray(data).tobytes())
    with_numpy = output_value(raw, shape, dtype)
    assert isinstance(with_numpy, np.ndarray) and with_numpy.shape == shape and np.array_equal(with_numpy, data)
    monkeypatch.setattr(buffers, "numpy_module", lambda: None)
    view = output_value(raw, shape, dtype)
    assert isinstance(view, memoryview)
    # zero-size shapes come back flat: memoryview cannot take a zero in a shape
    assert view.tolist() == (np.asarray(data).tolist() if 0 not in shape else [])


def test_wasm_backend_on_cpython_takes_the_same_inputs():
    require_tool("/usr/bin/node")
    model = wasm_torch.load(Path(wasm_torch.__file__).parent / "samples" / "tiny_cnn.pt2")
    model.backend = "wasm"
    (shape,) = [tuple(model.graph.values[v].shape) for v in model.graph.inputs]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    expected = model(x)
    assert np.array_equal(model(x.tolist()), expected)
    assert np.array_equal(model(memoryview(x.tobytes())), expected)
    with pytest.raises(WasmTorchError, match="the model takes 1 inputs, 2 given"):
        model(x, x)
