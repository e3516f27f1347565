"""The converter worker's entry point (worker/converter.mjs): model bytes in, a .wtm plan and the
`inspect --json` summary out, in one call, with stage callbacks for the page's progress bar."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .errors import UnsupportedError
from .model import detect, inspect, load, summarize


def to_plan(data: Any, name: str, weights: Any = None, input_shapes: Any = None,
            progress: Callable[[str], Any] | None = None, weights_name: str = "weights",
            input_dtypes: Any = None) -> dict[str, Any]:
    """Convert a .pt / .pt2 file's bytes to a plan.

    Returns {"plan": bytes | None, "summary": inspect document, "seconds": {...}}. The plan is None
    when the model cannot run: then summary["ok"] is False and summary["unsupported"] lists every op
    (converter or kernels) with its source location. Other bad input raises WasmTorchError with a
    one-line message naming the file.
    """
    from .plan import build_plan, write_plan

    def stage(s: str) -> None:
        if progress is not None:
            progress(s)

    data = memoryview(data).cast("B")
    t0 = time.perf_counter()
    stage("convert")
    try:
        model = load(data, input_shapes, input_dtypes, weights, name, weights_name)
    except UnsupportedError as e:
        if not e.problems:
            raise
        return {"plan": None, "summary": inspect(data, input_shapes, input_dtypes, weights, name, weights_name),
                "seconds": {"convert": time.perf_counter() - t0}}
    t1 = time.perf_counter()
    stage("plan")
    summary = model.summary()
    try:
        plan = write_plan(build_plan(model.graph))
    except UnsupportedError as e:
        if not e.problems:
            raise
        # the graph converted, the kernels lack ops: keep the model's description, list what is missing
        summary = summarize(model.graph, detect(data, name), name, model.warnings, e.problems)
        summary["unsupported_by"] = "wasm kernels"
        plan = None
    return {"plan": plan, "summary": summary,
            "seconds": {"convert": t1 - t0, "plan": time.perf_counter() - t1}}
