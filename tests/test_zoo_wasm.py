"""Every zoo entry (its torch.export .pt2) converted to a .wtm plan and run on the kernel module
under Node against torch's outputs: the single-threaded module at 1 thread and the threaded one at
1 and 2 threads. One Node process per configuration runs the whole zoo (tests/node/run_plans.mjs).

Entries the wasm backend cannot run yet are in NOT_YET (entry -> what is missing), as strict
xfails: an entry that starts passing fails the run until it is removed from the dict.
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
}


def _convert(name: str, out: Path) -> dict[str, Any]:
    """Writes the entry's plan and inputs under out/; returns its manifest record."""
    folder = zoo_cache.zoo_dir() / name
    info = zoo_cache.manifest()["entries"][name]
    inputs = zoo_cache.load_arrays(folder, "in", info["n_inputs"])
    model = zoo_cache.convert(folder / zoo.FILE_NAMES["export"], inputs)
    out.mkdir()
    (out / "model.wtm").write_bytes(write_plan(build_plan(model.graph)))
    files = []
    for i, x in enumerate(inputs):
        files.append(str(out / f"input_{i}.npy"))
        np.save(files[-1], np.asarray(x, dtype=plan_dtype(x), order="C"))  # (ascontiguousarray makes 0-d 1-d)
    return {"name": name, "plan": str(out / "model.wtm"), "inputs": files}


@pytest.fixture(scope="module")
def zoo_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """{entry: conversion error} and {(variant, threads): {entry: (out dir, runner report)}}."""
    root = tmp_path_factory.mktemp("zoo_wasm")
    errors: dict[str, Exception] = {}
    plans = []
    for name in zoo.ZOO:
        try:
            plans.append(_convert(name, root / name))
        except Exception as exc:  # reported by that entry's test
            errors[name] = exc
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


def _cases() -> list:
    return [pytest.param(name, marks=[pytest.mark.xfail(reason=NOT_YET[name], strict=True)] if name in NOT_YET
                         else [], id=name) for name in zoo.ZOO]


@pytest.mark.parametrize("name", _cases())
def test_zoo_wasm(zoo_runs: dict[str, Any], name: str) -> None:
    if name in zoo_runs["errors"]:
        raise zoo_runs["errors"][name]
    info = zoo_cache.manifest()["entries"][name]
    expected = zoo_cache.load_arrays(zoo_cache.zoo_dir() / name, "out", info["n_outputs"])
    for (variant, threads), report in zoo_runs["runs"].items():
        out_dir, record = report[name]
        what = f"{name} ({variant}, {threads} thread{'s' if threads > 1 else ''})"
        assert "error" not in record, f"{what}: {record.get('error')}"
        got = zoo_cache.load_arrays(out_dir, "output", record["outputs"])
        zoo_cache.check_outputs(got, expected, what)


def test_not_yet_names_zoo_entries() -> None:
    assert set(NOT_YET) <= set(zoo.ZOO), set(NOT_YET) - set(zoo.ZOO)
    assert all(why.strip() for why in NOT_YET.values())
