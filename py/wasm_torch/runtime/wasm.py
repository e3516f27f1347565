"""The wasm backend on CPython: run a plan on the real kernel module under Node.

The package ships the kernel module (kernels/) and a Node runner (runtime/node_runner.mjs); this
module writes the plan and the inputs as files, runs `node node_runner.mjs`, and reads the
outputs back. (Inside Pyodide the kernel module is called directly instead: pyodide_kernels.py.)
Needs numpy and Node.js >= 18.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from typing import Any

from ..errors import WasmTorchError

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# WASM_TORCH_KERNELS: another build of the kernel module (as tests/node/load_kernels.mjs reads it)
KERNELS = os.environ.get("WASM_TORCH_KERNELS") or os.path.join(PACKAGE, "kernels")
RUNNER = os.path.join(PACKAGE, "runtime", "node_runner.mjs")


def node_executable() -> str:
    node = os.environ.get("WASM_TORCH_NODE") or shutil.which("node")
    if not node:
        raise WasmTorchError("the wasm backend on CPython runs the kernels under Node.js: install node (>= 18) "
                             "or set WASM_TORCH_NODE")
    return node


def plan_dtype(x: Any) -> str:
    """The .npy dtype a plan input of this array's kind is written as (the plan's dtypes)."""
    import numpy as np

    kind = np.asarray(x).dtype.kind
    return "|b1" if kind == "b" else "<i8" if kind in "iu" else "<f4"


def run_plan(plan: bytes, inputs: list[Any], threads: int = 1, variant: str | None = None,
             repeat: int = 1, stats: dict[str, Any] | None = None, profile: bool = False) -> list[Any]:
    """Run a .wtm plan's forward pass on numpy inputs; returns the outputs (float32, int64 or bool arrays).

    variant: "st" (single-threaded module) or "mt" (pthreads); default mt when threads > 1.
    repeat: forward calls to make (the outputs are the last call's); `stats`, when given, receives
    the runner's memory statistics (allocation calls and wasm memory growth during the calls).
    profile: time every step; `stats["profile"]` then lists, per step of the last call, a dict
    {op, label, shape, ms, share} (share: the step's fraction of the total).
    """
    import numpy as np

    if threads < 1:
        raise WasmTorchError(f"--threads must be at least 1, got {threads}")
    variant = variant or ("mt" if threads > 1 else "st")
    module = os.path.join(KERNELS, "wasm-torch-kernels-mt.wasm" if variant == "mt" else "wasm-torch-kernels.wasm")
    if not os.path.exists(module):
        raise WasmTorchError(f"the kernel module is not built ({module} is missing): run `make -C wasm_kernels` "
                             "in a source checkout (tools/setup.sh does), or install a wheel that ships it")
    with tempfile.TemporaryDirectory(prefix="wasm_torch_") as tmp:
        plan_path = os.path.join(tmp, "model.wtm")
        with open(plan_path, "wb") as f:
            f.write(plan)
        files = []
        for i, x in enumerate(inputs):
            files.append(os.path.join(tmp, f"input_{i}.npy"))
            np.save(files[-1], np.asarray(x, dtype=plan_dtype(x), order="C"))  # (ascontiguousarray makes 0-d 1-d)
        cmd = [node_executable(), RUNNER, "--plan", plan_path, "--kernels", KERNELS, "--variant", variant,
               "--threads", str(threads), "--repeat", str(repeat), "--out-dir", tmp, *files]
        if profile:
            cmd.insert(2, "--profile")
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            lines = r.stderr.strip().splitlines() or [f"node exited with status {r.returncode}"]
            message = next((ln for ln in lines if ln.startswith("wasm-torch: error: ")), lines[-1])
            raise WasmTorchError(f"wasm backend: {message.removeprefix('wasm-torch: error: ')}")
        report = json.loads(r.stdout.strip().splitlines()[-1])
        if stats is not None:
            stats.update(report)
        return [np.load(os.path.join(tmp, f"output_{i}.npy")) for i in range(len(report["outputs"]))]


def run_graph(g: Any, inputs: list[Any], threads: int = 1, variant: str | None = None,
              repeat: int = 1, stats: dict[str, Any] | None = None, profile: bool = False) -> list[Any]:
    """Convert a graph to a plan and run it (Model.run with backend "wasm"); inputs as runtime/buffers.py
    accepts them; the rest as run_plan."""
    import numpy as np

    from ..formats.tensor import np_dtype
    from ..plan import build_plan, write_plan
    from .buffers import graph_inputs

    plan = write_plan(build_plan(g))  # first: a model the kernels cannot run says so whatever the inputs
    arrays = [np.frombuffer(b, np_dtype(g.values[v].dtype)).reshape(g.values[v].shape)
              for b, v in zip(graph_inputs(g, inputs), g.inputs)]
    return run_plan(plan, arrays, threads, variant, repeat, stats, profile)
