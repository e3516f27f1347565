"""Hostile files (tests/hostile/, written by tools/make_hostile.py) are refused quickly and safely."""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import time
from pathlib import Path

import pytest
from wasm_torch import inspect
from wasm_torch.errors import FormatError, SecurityError
from wasm_torch.formats import read_torch_save

HOSTILE = Path(__file__).parent / "hostile"
EXPECTED: dict[str, str] = json.loads((HOSTILE / "expected.json").read_text())


def _load_maker():
    path = Path(__file__).parent.parent / "tools" / "make_hostile.py"
    spec = importlib.util.spec_from_file_location("make_hostile", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


maker = _load_maker()


def load_any(data: bytes, filename: str):
    """The whole loading path a user's file takes: detection, reader, frontend."""
    return inspect(data, name=filename)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_is_refused(name):
    canary = maker.canary_path(name)
    if os.path.exists(canary):
        os.remove(canary)
    data = (HOSTILE / name).read_bytes()
    start = time.perf_counter()
    with pytest.raises((SecurityError, FormatError)) as info:
        load_any(data, name)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert EXPECTED[name] in message and name in message and "\n" not in message
    assert not os.path.exists(canary)


def test_corpus_is_what_the_script_writes(tmp_path):
    maker.main(str(tmp_path))
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in HOSTILE.iterdir() if p.is_file())  # plans/ has its own maker
    for name in written:
        assert (tmp_path / name).read_bytes() == (HOSTILE / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(maker.LIVE_PAYLOADS))
def test_payloads_are_live_under_plain_pickle(name, tmp_path):
    # The corpus means something only if plain pickle would run it; try each on a private canary.
    canary = str(tmp_path / "canary")
    try:
        pickle.loads(maker.LIVE_PAYLOADS[name](canary))
    except Exception:  # some payloads fail after their side effect
        pass
    deadline = time.monotonic() + 5
    while not os.path.exists(canary) and time.monotonic() < deadline:
        time.sleep(0.02)  # Popen runs touch asynchronously
    assert os.path.exists(canary)


def test_memo_index_bomb_costs_nothing():
    # LONG_BINPUT 0x08000000: the C unpickler would allocate 2 GB for its memo table.
    data = maker.torch_save_zip(b"\x80\x02Nr\x00\x00\x00\x08.")
    start = time.perf_counter()
    assert read_torch_save(data, "memo.pt") == (None, [])
    assert time.perf_counter() - start < 1


def _tensor_pickle(tail: bytes) -> bytes:
    pid = maker.storage_pid("FloatStorage", "0", 4)
    return maker.torch_save_zip(b"\x80\x02" + maker.tensor(pid, 0, (4,), (1,)) + tail + b".",
                                {"0": bytes(16)})


def test_build_cannot_reshape_a_checked_tensor():
    fine = _tensor_pickle(b"")
    assert read_torch_save(fine, "t.pt")[0].shape == (4,)
    hostile = _tensor_pickle(b"}" + maker.string("shape") + maker.tup(maker.integer(1000)) + b"sb")
    with pytest.raises(FormatError, match="t.pt: data.pkl: tensor: refusing .* malformed state"):
        read_torch_save(hostile, "t.pt")


def test_build_cannot_shadow_methods():
    items = maker.glob("collections", "OrderedDict") + b")R}" + maker.string("items") + b"Nsb"
    with pytest.raises(FormatError, match="t.pt: data.pkl: OrderedDict: refusing pickled attributes"):
        read_torch_save(maker.torch_save_zip(maker.proto2(items)), "t.pt")
    stub = maker.glob("__torch__", "M") + b")\x81}" + maker.string("__setstate__") + b"Nsb"
    with pytest.raises(FormatError, match="t.pt: data.pkl: __torch__.M: .* would shadow a method"):
        read_torch_save(maker.torch_save_zip(maker.proto2(stub)), "t.pt")
