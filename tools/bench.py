"""Benchmark wasm-torch against ONNX Runtime Web in headless Chromium (a tool, not a test).

    python tools/bench.py [--models a,b] [--threads 1,2] [--runs N] [--json OUT]

For each reference model (tests/models/reference.py) it converts a torch.export .pt2 to a .wtm plan
(ours) and exports an ONNX model (the peer, onnxruntime-web pinned in package.json), serves both with
the cross-origin isolation headers from one temporary site, and runs each engine x thread count on a
fresh page, inside a dedicated module Worker (tools/bench_web/): load, first inference, warm-up, then
N timed runs. Prints one table and the .wasm sizes; --json writes the same numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402  (after the path insert, like the other imports)
from browser_util import CHROMEDRIVER, CHROMIUM, start_chromium, stop_chromium  # noqa: E402
from models import reference  # noqa: E402
from wasm_torch.errors import UnsupportedError, WasmTorchError  # noqa: E402
from wasm_torch.model import load  # noqa: E402
from wasm_torch.plan import build_plan, write_plan  # noqa: E402
from wasm_torch.serve import serve_in_thread  # noqa: E402

KERNELS = ROOT / "py" / "wasm_torch" / "kernels"
ORT_DIST = ROOT / "node_modules" / "onnxruntime-web" / "dist"
ORT_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
PAGE_TIMEOUT_S = 900.0


# ---------------------------------------------------------------- set-up
def ensure_dependencies() -> None:
    """Install what is missing: the onnx package, onnxruntime-web (npm ci) and the kernel module."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "onnx"], check=True)
    if not all((ORT_DIST / f).exists() for f in ORT_FILES):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    if not (KERNELS / "wasm-torch-kernels-mt.wasm").exists():
        subprocess.run(["make", "-C", str(ROOT / "wasm_kernels"), "-j2"], check=True)
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(tool):
            sys.exit(f"bench: {tool} is missing: run tools/setup.sh")


def build_site(site: Path) -> None:
    """The page and worker, our runtime binding and kernels, and ORT's dist files in one directory."""
    shutil.copytree(ROOT / "tools" / "bench_web", site, dirs_exist_ok=True)
    (site / "runtime").mkdir()
    shutil.copy(ROOT / "py" / "wasm_torch" / "runtime" / "wtm.mjs", site / "runtime")
    shutil.copytree(KERNELS, site / "kernels")
    (site / "ort").mkdir()
    for name in ORT_FILES:
        shutil.copy(ORT_DIST / name, site / "ort")


# ---------------------------------------------------------------- models
@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """The exporters' tracer and buffer warnings would bury the table."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def convert_ours(model: torch.nn.Module, inputs: tuple, out: Path) -> str | None:
    """Write model.wtm; returns None, or "unsupported: <ops>" when the plan runtime lacks ops."""
    pt2 = out / "model.pt2"
    with quietly():
        torch.export.save(torch.export.export(model, inputs), str(pt2))
    try:
        (out / "model.wtm").write_bytes(write_plan(build_plan(load(str(pt2)).graph)))
    except UnsupportedError as e:
        ops = sorted({op for op, _ in getattr(e, "problems", [])}) or [str(e).splitlines()[0]]
        return "unsupported: " + ", ".join(ops)
    except WasmTorchError as e:
        return "unsupported: " + str(e).splitlines()[0]
    return None


def export_peer(model: torch.nn.Module, inputs: tuple, n_outputs: int, out: Path) -> None:
    with quietly():
        torch.onnx.export(model, inputs, str(out / "model.onnx"), dynamo=False, opset_version=17,
                          input_names=[f"input_{i}" for i in range(len(inputs))],
                          output_names=[f"output_{i}" for i in range(n_outputs)])


def flat_outputs(y: Any) -> list[torch.Tensor]:
    return [y] if isinstance(y, torch.Tensor) else [t for part in y for t in flat_outputs(part)]


def prepare_model(name: str, site: Path) -> str | None:
    """Write inputs, torch outputs, both model files and meta.json under site/models/<name>/;
    returns our conversion problem, if any."""
    out = site / "models" / name
    out.mkdir(parents=True)
    model, inputs = reference.get(name)
    with torch.no_grad():
        outputs = flat_outputs(model(*inputs))
    meta: dict[str, Any] = {"inputs": [], "outputs": [], "onnx": "model.onnx", "wtm": "model.wtm"}
    for i, x in enumerate(inputs):
        (out / f"input_{i}.bin").write_bytes(x.contiguous().numpy().tobytes())
        meta["inputs"].append({"file": f"input_{i}.bin", "dtype": str(x.dtype).removeprefix("torch."),
                               "shape": list(x.shape)})
    for i, y in enumerate(outputs):
        (out / f"output_{i}.bin").write_bytes(y.float().contiguous().numpy().tobytes())
        meta["outputs"].append({"file": f"output_{i}.bin", "shape": list(y.shape)})
    problem = convert_ours(model, inputs, out)
    export_peer(model, inputs, len(outputs), out)
    (out / "meta.json").write_text(json.dumps(meta))
    return problem


# ---------------------------------------------------------------- browser runs
def run_page(drv: Any, base_url: str, engine: str, model: str, threads: int, runs: int) -> dict:
    """One engine x threads on a fresh page; returns the worker's result (raises on an error)."""
    drv.get("about:blank")  # drop the previous page and its workers before the next one loads
    drv.get(f"{base_url}bench.html?engine={engine}&model={model}&threads={threads}&runs={runs}")
    deadline = time.time() + PAGE_TIMEOUT_S
    while (result := drv.execute_script("return window.RESULT || null")) is None:
        if time.time() > deadline:
            raise RuntimeError(f"{engine} {model} x{threads}: no result within {PAGE_TIMEOUT_S:.0f} s")
        time.sleep(0.2)
    if "error" in result:
        raise RuntimeError(f"{engine} {model} x{threads}: {result['error']}")
    return result


def measure(drv: Any, base_url: str, name: str, threads: int, runs: int, problem: str | None) -> dict:
    peer = run_page(drv, base_url, "peer", name, threads, runs)
    ours = None if problem else run_page(drv, base_url, "ours", name, threads, runs)
    row: dict[str, Any] = {
        "model": name, "threads": threads,
        "ours_median_ms": statistics.median(ours["times"]) if ours else problem,
        "peer_median_ms": statistics.median(peer["times"]),
        "ours_first_ms": ours["first_ms"] if ours else None,
        "ours_load_ms": ours["load_ms"] if ours else None,
        "peer_load_ms": peer["load_ms"],
        "max_abs_diff": ours["max_abs_diff"] if ours else None,
        "peer_max_abs_diff": peer["max_abs_diff"],
        "ours_threads_used": ours["threads"] if ours else None,
        "peer_threads_used": peer["threads"],
        "cross_origin_isolated": all(r["crossOriginIsolated"] and r["workerIsolated"] for r in (peer, ours) if r),
    }
    row["ratio"] = row["ours_median_ms"] / row["peer_median_ms"] if ours else None
    return row


# ---------------------------------------------------------------- report
def fmt(value: Any, spec: str = ".1f") -> str:
    if value is None:
        return "-"
    return format(value, spec) if isinstance(value, float) else str(value)


def print_table(rows: list[dict], wasm_bytes: dict) -> None:
    head = ("model", "thr", "ours ms", "peer ms", "ours/peer", "first ms", "load ms", "peer load",
            "max|diff|", "used o/p", "COI")
    body = [(r["model"], str(r["threads"]), fmt(r["ours_median_ms"]), fmt(r["peer_median_ms"]),
             fmt(r["ratio"], ".2f"), fmt(r["ours_first_ms"]), fmt(r["ours_load_ms"]), fmt(r["peer_load_ms"]),
             fmt(r["max_abs_diff"], ".2e"), f"{fmt(r['ours_threads_used'])}/{r['peer_threads_used']}",
             "yes" if r["cross_origin_isolated"] else "NO") for r in rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    for line in [head, *body]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)))
    print(f"wasm bytes: ours {wasm_bytes['ours']} (threaded; single-threaded {wasm_bytes['ours_st']}), "
          f"peer {wasm_bytes['peer']}")


def wasm_sizes() -> dict:
    return {"ours": (KERNELS / "wasm-torch-kernels-mt.wasm").stat().st_size,
            "ours_st": (KERNELS / "wasm-torch-kernels.wasm").stat().st_size,
            "peer": (ORT_DIST / "ort-wasm-simd-threaded.wasm").stat().st_size}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(reference.NAMES), help="comma-separated reference models")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--runs", type=int, default=20, help="timed runs per engine (after warm-up)")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    args.models = args.models.split(",")
    args.threads = [int(t) for t in args.threads.split(",")]
    unknown = set(args.models) - set(reference.NAMES)
    if unknown:
        p.error(f"unknown models {sorted(unknown)}; choose from {', '.join(reference.NAMES)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    ensure_dependencies()
    with tempfile.TemporaryDirectory(prefix="wasm-torch-bench-") as tmp:
        site = Path(tmp)
        build_site(site)
        problems = {name: prepare_model(name, site) for name in args.models}
        srv, base_url = serve_in_thread(str(site))
        drv = start_chromium()
        try:
            rows = [measure(drv, base_url, name, t, args.runs, problems[name])
                    for name in args.models for t in args.threads]
        finally:
            stop_chromium(drv)
            srv.shutdown()
    result = {"rows": rows, "wasm_bytes": wasm_sizes()}
    print_table(rows, result["wasm_bytes"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
