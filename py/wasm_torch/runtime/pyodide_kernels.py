"""The wasm backend inside Pyodide: plans run synchronously on the kernel module instance that
runtime/pyodide_bridge.mjs's installKernels loaded into this thread and registered as the Python
module `_wasm_torch_kernels`. No numpy, no Node: bytes go from Python's heap to the kernel
module's heap once per input and back once per output.
"""

from __future__ import annotations

import json
import sys
import weakref
from typing import Any

from ..errors import WasmTorchError
from .buffers import output_value

HOW_TO_INSTALL = ("in a notebook (JupyterLite), run `await wasm_torch.install_kernels()` first; from JavaScript, "
                  "`await installKernels(pyodide, {kernelsURL})` (wasm_torch/runtime/pyodide_bridge.mjs; kernelsURL: "
                  "the wasm-torch site's kernels/ folder) before running a model")


def kernels() -> Any:
    """The registered kernel module (variant, threads, load), or None outside Pyodide or before
    installKernels ran."""
    if sys.platform != "emscripten":
        return None
    try:
        import _wasm_torch_kernels
    except ImportError:
        return None
    return _wasm_torch_kernels


async def threads_ready() -> None:
    """Wait for the kernel module's Worker pool: each loaded model holds its threads' Workers, a model
    loads (synchronously) with as many as are ready, and the pool refills in the background. After
    this, the next model gets all the threads."""
    k = kernels()
    if k is not None:
        await k.ready()


def _message(e: Exception) -> str:
    return str(getattr(e, "message", "") or e)


class KernelModel:
    """A .wtm plan loaded into the kernel module (at most `threads` threads; `.threads` is what it got)."""

    def __init__(self, plan: bytes | bytearray | memoryview, threads: int = 1):
        from pyodide.ffi import JsException

        from ..plan import DTYPE_NAMES

        k = kernels()
        if k is None:
            raise WasmTorchError(f"the wasm backend in Pyodide needs the kernel module: {HOW_TO_INSTALL}")
        if threads < 1:
            raise WasmTorchError(f"threads must be at least 1, got {threads}")
        self._error = JsException
        try:
            self._handle = k.load(plan, threads)
        except JsException as e:
            raise WasmTorchError(f"wasm backend: {_message(e)}") from None
        meta = json.loads(self._handle.describe())
        self.variant: str = k.variant
        self.threads: int = meta["threads"]
        self.inputs = [(io["name"], tuple(io["shape"]), DTYPE_NAMES[io["dtype"]]) for io in meta["inputs"]]
        self.outputs = [(io["name"], tuple(io["shape"]), DTYPE_NAMES[io["dtype"]]) for io in meta["outputs"]]
        self._sizes = [io["bytes"] for io in meta["outputs"]]
        self._dispose = weakref.finalize(self, self._handle.dispose)

    def _live(self) -> Any:
        if not self._dispose.alive:
            raise WasmTorchError("this model's plan was disposed")
        return self._handle

    def _call(self, method: str, inputs: list[memoryview]) -> tuple[Any, list[bytearray]]:
        handle = self._live()
        outs = [bytearray(n) for n in self._sizes]
        try:
            return getattr(handle, method)(*inputs, *outs), outs
        except self._error as e:
            raise WasmTorchError(f"wasm backend: {_message(e)}") from None

    def run(self, inputs: list[memoryview]) -> list[Any]:
        """One forward pass on inputs already in the plan's bytes (buffers.graph_inputs)."""
        _, outs = self._call("run", inputs)
        return [output_value(b, shape, dtype) for b, (_, shape, dtype) in zip(outs, self.outputs)]

    def profile(self, inputs: list[memoryview]) -> list[dict[str, Any]]:
        """One timed forward pass: per step {op, label, shape, ms, share}."""
        steps, _ = self._call("profile", inputs)
        return json.loads(steps)

    def memory_stats(self) -> dict[str, int]:
        """{arenaBytes, packedWeightBytes, weightBytes, wasmMemoryBytes, allocCalls, threads}."""
        return json.loads(self._live().memoryStats())

    def dispose(self) -> None:
        """Frees the plan in the kernel module now (otherwise when this object is collected)."""
        self._dispose()
