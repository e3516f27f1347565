"""Model files for the conversion tests, written by real torch once per machine and cached.

The zoo (tests/models/zoo.py) is generated whole, in every form each entry allows, under
tests/.cache/zoo/<hash of the zoo source + torch version>/, together with the example inputs and
torch's outputs as .npy. The reference models (tests/models/reference.py) are big, so each of their
forms is generated lazily, on first use, under tests/.cache/reference/<hash>/.

Every write goes to a temporary name first and is renamed into place, so an interrupted or
concurrent generation never leaves a half-written cache that looks complete.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import json
import multiprocessing
import os
import shutil
import tempfile
import time
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from models import reference, zoo

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
# Weight-swap files: a second random init of the same architecture, in each flavour users have.
WEIGHT_FILES = {"safetensors": "weights.safetensors", "state_dict": "state_dict.pt",
                "legacy": "legacy.pt", "checkpoint": "checkpoint.pt"}


def _hash(*sources: Any) -> str:
    """Names a cache by what produced it: torch's version and the source of the given modules and
    generator functions (so editing the checking code below does not regenerate anything)."""
    h = hashlib.sha256(torch.__version__.encode())
    for src in sources:
        h.update(inspect.getsource(src).encode())
    return h.hexdigest()[:16]


def _seed(name: str) -> int:
    return zlib.crc32(name.encode())


# ----------------------------------------------------------------------------------- torch side
def flatten(out: Any) -> list[torch.Tensor]:
    """Model outputs in pytree order (tuples, lists, dict values), as wasm-torch flattens them."""
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    flat: list[torch.Tensor] = []
    for o in out:
        flat += flatten(o)
    return flat


def tensors(args: tuple[Any, ...]) -> list[torch.Tensor]:
    return [a for a in args if isinstance(a, torch.Tensor)]


def build(e: zoo.Entry, reinit: bool = False) -> tuple[torch.nn.Module, tuple[Any, ...]]:
    """The entry's model (eval mode, seeded; `reinit` gives a second, different init) and inputs."""
    torch.manual_seed(_seed(e.name) + (1 if reinit else 0))
    model = e.factory()
    # Fresh BatchNorm statistics are 0/1, which would hide a wrong or missing normalisation.
    for m in model.modules():
        if isinstance(getattr(m, "running_mean", None), torch.Tensor):
            m.running_mean.normal_(0.0, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    torch.manual_seed(_seed(e.name) + 2)
    return model.eval(), e.inputs()


def _torch_outputs(model: torch.nn.Module, args: tuple[Any, ...]) -> list[np.ndarray]:
    with torch.no_grad():
        return [t.detach().contiguous().numpy() for t in flatten(model(*args))]


def _save_forms(model: torch.nn.Module, args: tuple[Any, ...], forms: tuple[str, ...],
                out: Path) -> dict[str, str]:
    """Save `model` in each of `forms` under `out`; returns {form: error} for the ones torch refused."""
    errors: dict[str, str] = {}
    ep = None
    for form in forms:
        path = out / zoo.FILE_NAMES[form]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if form == "trace":
                    torch.jit.save(torch.jit.trace(model, tuple(tensors(args)), strict=False,
                                                   check_trace=False), str(path))
                elif form == "script":
                    torch.jit.save(torch.jit.script(model), str(path))
                elif form == "export":
                    ep = torch.export.export(model, args)
                    torch.export.save(ep, str(path))
                else:
                    ep = ep if ep is not None else torch.export.export(model, args)
                    torch.export.save(ep.run_decompositions(), str(path))
        except Exception as exc:  # torch's own failure: recorded, reported by the test
            errors[form] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}"
    return errors


def _save_arrays(out: Path, prefix: str, arrays: list[np.ndarray]) -> None:
    for i, a in enumerate(arrays):
        np.save(out / f"{prefix}_{i}.npy", a)


def _save_weights(model: torch.nn.Module, args: tuple[Any, ...], out: Path) -> None:
    from safetensors.torch import save_file, save_model

    out.mkdir()
    sd = model.state_dict()
    shared = len({t.untyped_storage().data_ptr() for t in sd.values()}) < len(sd)
    if shared:  # tied weights: save_model drops the duplicates, as Hugging Face does
        save_model(model, str(out / WEIGHT_FILES["safetensors"]))
    else:
        save_file(sd, str(out / WEIGHT_FILES["safetensors"]))
    torch.save(sd, out / WEIGHT_FILES["state_dict"])
    torch.save(sd, out / WEIGHT_FILES["legacy"], _use_new_zipfile_serialization=False)
    # A training checkpoint: the optimiser state comes from one step on a copy, so that the saved
    # weights stay the ones the expected outputs were computed with.
    trainee = copy.deepcopy(model).train()
    opt = torch.optim.SGD(trainee.parameters(), lr=0.1, momentum=0.9)
    sum(t.float().sum() for t in flatten(trainee(*args))).backward()
    opt.step()
    torch.save({"epoch": 3, "model_state_dict": sd, "optimizer": opt.state_dict()},
               out / WEIGHT_FILES["checkpoint"])
    _save_arrays(out, "out", _torch_outputs(model, args))


def _generate_entry(e: zoo.Entry, out: Path) -> dict[str, Any]:
    out.mkdir()
    model, args = build(e)
    _save_arrays(out, "in", [t.numpy() for t in tensors(args)])
    outputs = _torch_outputs(model, args)
    _save_arrays(out, "out", outputs)
    info: dict[str, Any] = {"n_inputs": len(tensors(args)), "n_outputs": len(outputs),
                            "errors": _save_forms(model, args, e.forms, out)}
    if e.swap:
        _save_weights(build(e, reinit=True)[0], args, out / "swap")
    return info


def _prune_siblings(keep: Path) -> None:
    """Drop caches of older sources (a reference set is ~400 MB); leave in-progress temporaries."""
    for old in keep.parent.iterdir():
        if old != keep and ".tmp-" not in old.name:
            shutil.rmtree(old, ignore_errors=True)


def _atomic_dir(final: Path, fill: Any) -> Path:
    """Create `final` by filling a temporary sibling and renaming it; a concurrent winner is kept."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=final.name + ".tmp-", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would make the cache private to whoever generated it
    try:
        fill(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / "manifest.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _generate_named(name: str, out: str) -> tuple[str, dict[str, Any]]:
    torch.set_num_threads(1)  # the pool already uses every core
    return name, _generate_entry(zoo.ZOO[name], Path(out))


_ZOO_GENERATOR = (flatten, tensors, build, _torch_outputs, _save_forms, _save_arrays, _save_weights,
                  _generate_entry, _generate_named)


@functools.cache
def zoo_dir() -> Path:
    """The cached zoo directory, generating it first when this machine has none for this source."""
    final = CACHE / "zoo" / _hash(zoo, *_ZOO_GENERATOR)
    if (final / "manifest.json").exists():
        return final

    def fill(tmp: Path) -> None:
        start = time.perf_counter()
        # Spawned workers: forking a process whose torch thread pools are running can deadlock.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(2, os.cpu_count() or 1), mp_context=ctx) as pool:
            done = dict(pool.map(_generate_named, zoo.ZOO, [str(tmp / n) for n in zoo.ZOO]))
        manifest = {"torch": torch.__version__, "seconds": round(time.perf_counter() - start, 1),
                    "entries": {n: done[n] for n in zoo.ZOO}}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))

    _atomic_dir(final, fill)
    _prune_siblings(final)
    return final


@functools.cache
def manifest() -> dict[str, Any]:
    return json.loads((zoo_dir() / "manifest.json").read_text())


def load_arrays(folder: Path, prefix: str, n: int) -> list[np.ndarray]:
    return [np.load(folder / f"{prefix}_{i}.npy") for i in range(n)]


# -------------------------------------------------------------------------- reference models
def reference_case(name: str, form: str) -> tuple[Path, list[np.ndarray], list[np.ndarray], str]:
    """(model file, inputs, torch outputs, torch's refusal or "") for one reference model form,
    generating only what is missing."""
    folder = CACHE / "reference" / _hash(reference, flatten, _torch_outputs, _save_forms, reference_case)
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        _prune_siblings(folder)
    io_dir = folder / f"{name}.io"
    model = args = None
    if not io_dir.exists():
        model, args = reference.get(name)

        def fill(tmp: Path) -> None:
            outputs = _torch_outputs(model, args)
            _save_arrays(tmp, "in", [a.numpy() for a in args])
            _save_arrays(tmp, "out", outputs)
            (tmp / "manifest.json").write_text(json.dumps({"n_inputs": len(args), "n_outputs": len(outputs)}))

        _atomic_dir(io_dir, fill)
    counts = json.loads((io_dir / "manifest.json").read_text())
    path = folder / f"{name}.{zoo.FILE_NAMES[form]}"
    refusal = folder / f"{name}.{form}.refused"
    if not path.exists() and not refusal.exists():
        if model is None:
            model, args = reference.get(name)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            errors = _save_forms(model, args, (form,), Path(tmp))
            if form in errors:
                refusal.write_text(errors[form])
            else:
                os.replace(Path(tmp) / zoo.FILE_NAMES[form], path)
    return (path, load_arrays(io_dir, "in", counts["n_inputs"]), load_arrays(io_dir, "out", counts["n_outputs"]),
            refusal.read_text() if refusal.exists() else "")


# -------------------------------------------------------------------------- wasm-torch side
def convert(path: Path, inputs: list[np.ndarray], weights: Path | None = None) -> Any:
    """wasm_torch.load for these example inputs (and a weight file to swap in)."""
    import wasm_torch

    return wasm_torch.load(str(path), input_shapes=[list(a.shape) for a in inputs],
                           input_dtypes=[str(a.dtype) for a in inputs],
                           weights=None if weights is None else str(weights))


def run(model: Any, inputs: list[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(a) for a in model.run(*inputs)]  # Model.run: always the flat output list


def check_outputs(got: list[np.ndarray], expected: list[np.ndarray], what: str) -> None:
    """Assert wasm-torch's flattened outputs match torch's: count, shape, dtype, values."""
    from parity import close

    assert len(got) == len(expected), f"{what}: {len(got)} outputs, torch gives {len(expected)}"
    for i, (o, e) in enumerate(zip(got, expected)):
        assert o.shape == e.shape, f"{what} output {i}: shape {list(o.shape)}, torch {list(e.shape)}"
        assert o.dtype == e.dtype, f"{what} output {i}: dtype {o.dtype}, torch {e.dtype}"
        ok, diff = close(o, e)
        assert ok, f"{what} output {i}: max abs diff {diff:.3g} (max |torch| {np.abs(e).max():.3g})"


# (entry, form, weights) -> canonical ops of the converted graph, for the cases that matched torch;
# or the exception a case failed with. Shared by test_zoo and test_coverage so each case runs once.
_outcomes: dict[tuple[str, str, str], frozenset[str] | Exception] = {}


def check_case(name: str, form: str, weights: str = "") -> frozenset[str]:
    """Convert one zoo entry form (optionally with a swapped weight file) and compare with torch."""
    key = (name, form, weights)
    if key not in _outcomes:
        try:
            _outcomes[key] = _check_case(name, form, weights)
        except Exception as exc:
            _outcomes[key] = exc
    got = _outcomes[key]
    if isinstance(got, Exception):
        raise got
    return got


def _check_case(name: str, form: str, weights: str) -> frozenset[str]:
    folder = zoo_dir() / name
    info = manifest()["entries"][name]
    if form in info["errors"]:
        raise AssertionError(f"torch could not save {name} as {form} ({info['errors'][form]}): "
                             f"record why in tests/models/zoo.py")
    inputs = load_arrays(folder, "in", info["n_inputs"])
    swap = folder / "swap"
    expected = load_arrays(swap if weights else folder, "out", info["n_outputs"])
    model = convert(folder / zoo.FILE_NAMES[form], inputs, swap / WEIGHT_FILES[weights] if weights else None)
    check_outputs(run(model, inputs), expected, f"{name} ({form}{', ' + weights if weights else ''})")
    return frozenset(n.op for n in model.graph.nodes)
