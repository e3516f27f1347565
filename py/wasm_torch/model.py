"""`wasm_torch.load`: any supported file -> a Model (graph + summary + a runtime)."""

from __future__ import annotations

import os
import sys
from typing import Any

from . import __version__
from .errors import UnsupportedError, WasmTorchError
from .formats.detect import detect
from .ir import Graph

FORMAT_NAMES = {
    "torchscript": "TorchScript archive (torch.jit.save)",
    "pt2": "torch.export program (.pt2)",
    "torch_save": "torch.save archive (weights only)",
    "legacy_torch_save": "legacy torch.save file (weights only)",
    "safetensors": "safetensors (weights only)",
}


Source = str | os.PathLike | bytes | bytearray | memoryview


def _read_source(source: Source, name: str | None) -> tuple[memoryview, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return memoryview(source), name or "model"
    path = os.fspath(source)
    try:
        with open(path, "rb") as f:
            return memoryview(f.read()), name or os.path.basename(path)
    except OSError as e:
        raise WasmTorchError(f"{path}: cannot read ({e.strerror})") from None


def convert(data: memoryview, filename: str, input_shapes: Any = None, input_dtypes: Any = None,
            notes: list[str] | None = None) -> tuple[str, Graph]:
    """Detect the format and run the matching frontend; weights-only files are refused.

    Every error names the file, even when it arose deep in a frontend."""
    try:
        return _convert(data, filename, input_shapes, input_dtypes, notes)
    except WasmTorchError as e:
        if e.args and isinstance(e.args[0], str) and not e.args[0].startswith(filename):
            e.args = (f"{filename}: {e.args[0]}", *e.args[1:])
        raise


def _convert(data: memoryview, filename: str, input_shapes: Any = None, input_dtypes: Any = None,
             notes: list[str] | None = None) -> tuple[str, Graph]:
    kind = detect(data, filename)
    if kind == "pt2":
        from .formats.pt2 import read_pt2
        from .frontends.export import convert_pt2

        return kind, convert_pt2(read_pt2(data, filename), input_shapes, input_dtypes, filename, notes=notes)
    if kind == "torchscript":
        from .formats.torchscript import read_torchscript
        from .frontends.torchscript import convert_torchscript

        return kind, convert_torchscript(read_torchscript(data, filename), input_shapes, input_dtypes, filename)
    raise WasmTorchError(
        f"{filename}: {FORMAT_NAMES[kind]} holds weights but no graph; load the model's .pt2 or TorchScript "
        f"file and pass this one as weights (--weights)")


class Model:
    """A converted model: its op graph, where it came from, and a runtime to call it.

    On CPython, calls run on the numpy reference runtime, or with `backend = "wasm"` on the
    kernel module under Node (`threads` worker threads). In Pyodide the backend is "wasm": the
    kernel module instance installKernels put in this thread (runtime/pyodide_kernels.py), with
    as many threads as it has. `backend` and `threads` say what the last call used.
    """

    def __init__(self, graph: Graph, fmt: str, filename: str, warnings: list[str] | None = None):
        self.graph = graph
        self.format = fmt
        self.filename = filename
        self.warnings = list(warnings or [])
        self.backend = "wasm" if sys.platform == "emscripten" else "reference"
        self._kernel: Any = None  # in Pyodide: the plan loaded into the kernel module, made on first call
        from .runtime.pyodide_kernels import kernels

        k = kernels()  # None on CPython
        self.threads = k.threads if k is not None else 1

    def run(self, *inputs: Any) -> list[Any]:
        """Run on inputs in order (runtime/buffers.py: numpy arrays, nested lists, memoryviews, ...);
        returns every output, flattened depth-first (numpy arrays, or memoryviews without numpy)."""
        if self.backend == "wasm" and sys.platform == "emscripten":
            return self._run_in_pyodide(list(inputs))
        if self.backend == "wasm":
            from .runtime.wasm import run_graph as run_wasm

            return run_wasm(self.graph, list(inputs), self.threads)
        from .runtime.buffers import numpy_module

        if numpy_module() is None:
            from .runtime.pyodide_kernels import HOW_TO_INSTALL

            how = (f"run on the wasm kernels instead (backend \"wasm\"): {HOW_TO_INSTALL}"
                   if sys.platform == "emscripten" else "pip install numpy")
            raise WasmTorchError(f"the reference runtime needs numpy, which this Python does not have: {how}")
        from .runtime.reference import run_graph

        return run_graph(self.graph, list(inputs))

    def _run_in_pyodide(self, inputs: list[Any]) -> list[Any]:
        from .runtime.buffers import graph_inputs
        from .runtime.pyodide_kernels import KernelModel

        if self._kernel is None or self._kernel.threads != self.threads:
            from .plan import build_plan, write_plan

            if self._kernel is not None:
                self._kernel.dispose()
            self._kernel = KernelModel(write_plan(build_plan(self.graph)), self.threads)
            self.threads = self._kernel.threads
        return self._kernel.run(graph_inputs(self.graph, inputs))

    def __call__(self, *inputs: Any) -> Any:
        outs = self.run(*inputs)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def summary(self) -> dict[str, Any]:
        """The `inspect --json` document (schema: docs/inspect-json.md)."""
        return summarize(self.graph, self.format, self.filename, self.warnings)

    def __repr__(self) -> str:
        return f"<wasm_torch.Model {self.filename} ({self.format}, {len(self.graph.nodes)} ops)>"


def load(source: Source, input_shapes: Any = None,
         input_dtypes: Any = None, weights: str | os.PathLike | bytes | None = None,
         name: str | None = None, weights_name: str | None = None) -> Model:
    """Load a `.pt2` or TorchScript `.pt` file (path or bytes) into a Model.

    input_shapes / input_dtypes: per user input, in order, when the file carries no example
    inputs (scripted TorchScript) or to pick a size for a dynamic dim. weights: safetensors or
    torch.save state_dict/checkpoint replacing the file's parameters. name / weights_name: the
    file names errors use when the sources are bytes.
    """
    data, filename = _read_source(source, name)
    notes: list[str] = []
    fmt, graph = convert(data, filename, input_shapes, input_dtypes, notes)
    if weights is not None:
        from .weights import apply_weights

        wdata, wname = _read_source(weights, weights_name)
        notes += apply_weights(graph, wdata, wname)
    return Model(graph, fmt, filename, notes)


def summarize(g: Graph | None, fmt: str, filename: str, warnings: list[str],
              unsupported: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    def io(names: list[str], shown: list[str]) -> list[dict[str, Any]]:
        return [{"name": shown[i] if i < len(shown) else n, "shape": list(g.values[n].shape),
                 "dtype": g.values[n].dtype} for i, n in enumerate(names)]

    params: dict[str, Any] = {"count": 0, "bytes": 0, "tensors": 0}
    if g is not None:
        seen = set()
        for data in g.constants.values():
            if id(data) in seen:
                continue
            seen.add(id(data))
            params["tensors"] += 1
            params["count"] += data.numel
            params["bytes"] += data.nbytes
    return {
        "schema": "wasm-torch.inspect/1",
        "converter_version": __version__,
        "file": filename,
        "format": fmt,
        "format_description": FORMAT_NAMES.get(fmt, fmt),
        "ok": g is not None and not unsupported,
        "inputs": io(g.inputs, g.input_names) if g is not None else [],
        "outputs": io(g.outputs, g.output_names) if g is not None else [],
        "params": params,
        "op_count": len(g.nodes) if g is not None else 0,
        "op_histogram": g.op_histogram() if g is not None else {},
        "unsupported": [{"op": op, "source": src} for op, src in (unsupported or [])],
        "warnings": list(warnings),
    }


def inspect(source: Source, input_shapes: Any = None, input_dtypes: Any = None, weights: Any = None,
            name: str | None = None, weights_name: str | None = None) -> dict[str, Any]:
    """Like load(...).summary(), but an unsupported model still gets a summary listing every
    unsupported op instead of raising."""
    data, filename = _read_source(source, name)
    kind = detect(data, filename)
    if kind not in ("pt2", "torchscript"):
        return _summarize_weights(data, filename, kind)
    try:
        return load(data, input_shapes, input_dtypes, weights, filename, weights_name).summary()
    except UnsupportedError as e:
        if not e.problems:
            raise
        return summarize(None, detect(data, filename), filename, [], e.problems)


def _summarize_weights(data: memoryview, filename: str, kind: str) -> dict[str, Any]:
    """A weights-only file: its (largest) state_dict's tensors stand in for the params."""
    from .weights import read_weights

    cands, warnings = read_weights(data, filename)
    where, tensors = max(cands, key=lambda c: len(c[1]))
    s = summarize(None, kind, filename, warnings)
    distinct = {id(t): t for t in tensors.values()}.values()
    s["params"] = {"count": sum(t.numel for t in distinct), "bytes": sum(t.nbytes for t in distinct),
                   "tensors": len(distinct)}
    s["ok"] = True
    s["warnings"].append(f"weights only{' (under ' + repr(where) + ')' if where else ''}: no graph to run; "
                         f"pass it as --weights with the model's .pt2 or TorchScript file")
    return s
