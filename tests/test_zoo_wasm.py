"""Every zoo entry, in every form torch saves it (traced and scripted .pt, the torch.export .pt2
and its core-ATen decomposition), converted to a .wtm plan and run on the kernel module under Node
against torch's outputs: the single-threaded module at 1 thread and the threaded one at 1 and 2
threads. One Node process per configuration runs the whole zoo (tests/node/run_plans.mjs).

Cases the wasm backend cannot run yet are in NOT_YET ("entry-form" -> what is missing), as strict
xfails: a case that starts passing fails the run until it is removed from the dict.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zoo_cache
from models import zoo
from wasm_torch.plan import build_plan, write_plan
from wasm_torch.runtime.wasm import node_executable, plan_dtype

RUNNER = Path(__file__).resolve().parent / "node" / "run_plans.mjs"
CONFIGS = (("st", 1), ("mt", 1), ("mt", 2))

NOT_YET = {
    "transformer_encoder-script": "_native_multi_head_attention",
}


def _cases() -> list[tuple[str, str]]:
    """(entry, form) for every form torch saved."""
    return [(e.name, form) for e in zoo.ZOO.values() for form in e.forms
            if form not in zoo_cache.manifest()["entries"][e.name]["errors"]]


def _convert(name: str, form: str, out: Path) -> dict[str, Any]:
    """Writes the case's plan and inputs under out/; returns its manifest record."""
    folder = zoo_cache.zoo_dir() / name
    info = zoo_cache.manifest()["entries"][name]
    inputs = zoo_cache.load_arrays(folder, "in", info["n_inputs"])
    model = zoo_cache.convert(folder / zoo.FILE_NAMES[form], inputs)
    out.mkdir()
    (out / "model.wtm").write_bytes(write_plan(build_plan(model.graph)))
    files = []
    for i, x in enumerate(inputs):
        files.append(str(out / f"input_{i}.npy"))
        np.save(files[-1], np.asarray(x, dtype=plan_dtype(x), order="C"))  # (ascontiguousarray makes 0-d 1-d)
    return {"name": f"{name}-{form}", "plan": str(out / "model.wtm"), "inputs": files}


@pytest.fixture(scope="module")
def zoo_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """{case: conversion error} and {(variant, threads): {case: (out dir, runner report)}}."""
    root = tmp_path_factory.mktemp("zoo_wasm")
    errors: dict[str, Exception] = {}
    plans = []
    for name, form in _cases():
        try:
            plans.append(_convert(name, form, root / f"{name}-{form}"))
        except Exception as exc:  # reported by that case's test
            errors[f"{name}-{form}"] = exc
    runs = {}
    for variant, threads in CONFIGS:
        config = root / f"{variant}{threads}"
        entries = []
        for p in plans:
            (config / p["name"]).mkdir(parents=True)
            entries.append({**p, "out_dir": str(config / p["name"])})
        manifest = config / "manifest.json"
        manifest.write_text(json.dumps({"variant": variant, "threads": threads, "plans": entries}))
        r = subprocess.run([node_executable(), str(RUNNER), str(manifest)], capture_output=True, text=True)
        assert r.returncode == 0, f"run_plans.mjs ({variant}, {threads} threads): {r.stderr[-3000:]}"
        report = json.loads(r.stdout.strip().splitlines()[-1])
        runs[(variant, threads)] = {n: (config / n, rec) for n, rec in report.items()}
    return {"errors": errors, "runs": runs}


def _params() -> list:
    return [pytest.param(name, form, id=f"{name}-{form}",
                         marks=[pytest.mark.xfail(reason=NOT_YET[f"{name}-{form}"], strict=True)]
                         if f"{name}-{form}" in NOT_YET else []) for name, form in _cases()]


@pytest.mark.parametrize("name, form", _params())
def test_zoo_wasm(zoo_runs: dict[str, Any], name: str, form: str) -> None:
    case = f"{name}-{form}"
    if case in zoo_runs["errors"]:
        raise zoo_runs["errors"][case]
    info = zoo_cache.manifest()["entries"][name]
    expected = zoo_cache.load_arrays(zoo_cache.zoo_dir() / name, "out", info["n_outputs"])
    for (variant, threads), report in zoo_runs["runs"].items():
        out_dir, record = report[case]
        what = f"{case} ({variant}, {threads} thread{'s' if threads > 1 else ''})"
        assert "error" not in record, f"{what}: {record.get('error')}"
        got = zoo_cache.load_arrays(out_dir, "output", record["outputs"])
        zoo_cache.check_outputs(got, expected, what)


def test_not_yet_names_zoo_cases() -> None:
    assert set(NOT_YET) <= {f"{n}-{f}" for n, f in _cases()}, set(NOT_YET)
    assert all(why.strip() for why in NOT_YET.values())
