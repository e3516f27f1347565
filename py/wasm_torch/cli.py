"""The `wasm-torch` command line: inspect, convert and run models (exit 0 ok, 2 bad input/unsupported)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from . import __version__
from .errors import WasmTorchError

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples", "tiny_cnn.pt2")


def _shape(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in text.replace("x", ",").split(",") if d.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad shape {text!r}: expected e.g. 1,3,224,224") from None
    if any(d < 0 for d in dims):
        raise argparse.ArgumentTypeError(f"bad shape {text!r}: negative size")
    return dims


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?", help="a .pt2 or TorchScript .pt file (default: the built-in sample)")
    p.add_argument("--weights", help="safetensors or torch.save state_dict/checkpoint replacing the weights")
    p.add_argument("--input-shape", action="append", type=_shape, default=[], metavar="1,3,224,224",
                   help="shape of an input (repeat in input order) when the file carries no example input")
    p.add_argument("--input-dtype", action="append", default=[], metavar="DTYPE",
                   help="dtype of an input (repeat in input order): float32, int64, bool, ...")
    p.add_argument("--debug", action="store_true", help="show tracebacks and full source paths")


def _model_path(args: argparse.Namespace) -> str:
    if args.model:
        return args.model
    print(f"(no model given: using the built-in sample {os.path.basename(SAMPLE)})", file=sys.stderr)
    return SAMPLE


def _specs(args: argparse.Namespace) -> tuple[Any, Any]:
    return (args.input_shape or None), (args.input_dtype or None)


def _fmt_table(s: dict[str, Any]) -> str:
    lines = [f"file     {s['file']}", f"format   {s['format_description']}"]
    for kind in ("inputs", "outputs"):
        for i, v in enumerate(s[kind]):
            label = kind[:-1] if i == 0 and len(s[kind]) == 1 else f"{kind[:-1]} {i}"
            lines.append(f"{label:<8} {v['name']}: {v['dtype']}{v['shape']}")
    p = s["params"]
    lines.append(f"params   {p['count']:,} in {p['tensors']} tensors ({p['bytes'] / 1e6:.2f} MB)")
    if s["op_histogram"]:
        lines.append(f"ops      {s['op_count']} nodes, {len(s['op_histogram'])} kinds:")
        width = max(len(k) for k in s["op_histogram"])
        lines += [f"  {op:<{width}}  {n}" for op, n in s["op_histogram"].items()]
    if s["unsupported"]:
        lines.append(f"UNSUPPORTED ({len(s['unsupported'])}):")
        lines += [f"  {u['op']}  at {u['source']}" if u["source"] else f"  {u['op']}" for u in s["unsupported"]]
    lines += [f"warning  {w}" for w in s["warnings"]]
    return "\n".join(lines)


def cmd_inspect(args: argparse.Namespace) -> int:
    from .model import inspect

    shapes, dtypes = _specs(args)
    s = inspect(_model_path(args), shapes, dtypes, args.weights)
    print(json.dumps(s, indent=2) if args.json else _fmt_table(s))
    return 0 if s["ok"] else 2


def _load_npy(path: str) -> Any:
    import numpy as np

    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise WasmTorchError(f"{path}: not a readable .npy file ({e})") from None


def _random_inputs(metas: list[tuple[tuple[int, ...], str]]) -> list[Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(dtype) if dtype.startswith("float") else np.zeros(shape, dtype)
              for shape, dtype in metas]
    print(f"(no --input given: random inputs {[list(a.shape) for a in arrays]}, seed 0)", file=sys.stderr)
    return arrays


def _read_plan_file(path: str) -> bytes | None:
    """The file's bytes if it is a .wtm plan, else None."""
    from .plan import is_plan

    try:
        with open(path, "rb") as f:
            if not is_plan(f.read(8)):
                return None
            f.seek(0)
            return f.read()
    except OSError as e:
        raise WasmTorchError(f"{path}: cannot read ({e.strerror})") from None


def _run_plan_file(args: argparse.Namespace, path: str, data: bytes, arrays: list[Any],
                   stats: dict[str, Any]) -> list[Any]:
    from .plan import read_plan
    from .runtime.wasm import run_plan

    if args.backend != "wasm":
        raise WasmTorchError(f"{path}: a .wtm plan runs on the kernels only: add --backend wasm")
    plan = read_plan(data, path)
    if not arrays:
        arrays = _random_inputs([(plan.values[name].shape, "float32") for name, _ in plan.inputs])
    return run_plan(data, arrays, args.threads, repeat=_PROFILE_CALLS if args.profile else 1, stats=stats,
                    profile=args.profile)


# --profile times the last of these forward calls: the first one pays one-time costs (the engine
# compiling hot wasm functions, Workers waking up) that would dominate a small model's table.
_PROFILE_CALLS = 2


def _fmt_profile(steps: list[dict[str, Any]]) -> str:
    """The per-step timings of one forward call, slowest first, and their total."""
    rows = [(s["op"], s["label"] if len(s["label"]) <= 60 else s["label"][:57] + "...",
             "[" + ", ".join(map(str, s["shape"])) + "]", f"{s['ms']:.3f}", f"{100 * s['share']:.1f}")
            for s in sorted(steps, key=lambda s: -s["ms"])]
    head = ("op", "label", "shape", "ms", "%")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) if i >= 3 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in [head, *rows]]
    total = sum(s["ms"] for s in steps)
    return "\n".join([*lines, f"total {total:.3f} ms over {len(steps)} steps"])


def cmd_run(args: argparse.Namespace) -> int:
    try:
        import numpy as np
    except ImportError:
        raise WasmTorchError(
            "`run` needs numpy for the reference runtime: pip install 'wasm-torch[reference]'") from None
    from .model import load

    if args.profile and args.backend != "wasm":
        raise WasmTorchError("--profile times the wasm kernels: add --backend wasm")
    path = _model_path(args)
    arrays = [_load_npy(p) for p in args.input]
    plan = _read_plan_file(path)
    report: dict[str, Any] = {}  # the wasm runner's statistics (and profile)
    if plan is not None:
        outs = _run_plan_file(args, path, plan, arrays, report)
    else:
        shapes, dtypes = _specs(args)
        if arrays and shapes is None:
            # A 0-d array stands for a scalar argument (forward(x, sr: int)) and is folded as a constant.
            shapes = [a.item() if a.ndim == 0 else tuple(a.shape) for a in arrays]
            dtypes = [str(a.dtype) if a.dtype != np.bool_ else "bool" for a in arrays]
        model = load(path, shapes, dtypes, args.weights)
        model.backend, model.threads = args.backend, args.threads
        for w in model.warnings:
            print(f"warning: {w}", file=sys.stderr)
        g = model.graph
        if not arrays:
            arrays = _random_inputs([(g.values[n].shape, g.values[n].dtype) for n in g.inputs])
        elif len(arrays) != len(g.inputs):
            # Scalar arguments given as 0-d arrays were folded into the graph at conversion.
            arrays = [a for a in arrays if a.ndim > 0]
        if args.profile:
            from .runtime.wasm import run_graph

            outs = run_graph(g, arrays, args.threads, repeat=_PROFILE_CALLS, stats=report, profile=True)
        else:
            outs = model.run(*arrays)
    if args.output and len(outs) != 1:
        raise WasmTorchError(f"the model has {len(outs)} outputs: use --output-dir DIR instead of --output")
    if args.output:
        np.save(args.output, outs[0])
    elif args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
        for i, o in enumerate(outs):
            np.save(os.path.join(args.output_dir, f"output_{i}.npy"), o)
    for i, o in enumerate(outs):
        stats = ""
        if o.size and o.dtype.kind == "f":
            stats = f" min {o.min():.4g} max {o.max():.4g} mean {o.mean():.4g}"
        print(f"output_{i}: {o.dtype}{list(o.shape)}{stats}")
    if args.profile:
        print(_fmt_profile(report["profile"]))
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from .model import load
    from .plan import build_plan, write_plan

    shapes, dtypes = _specs(args)
    model = load(_model_path(args), shapes, dtypes, args.weights)
    for w in model.warnings:
        print(f"warning: {w}", file=sys.stderr)
    plan = build_plan(model.graph)
    data = write_plan(plan)
    try:
        with open(args.output, "wb") as f:
            f.write(data)
    except OSError as e:
        raise WasmTorchError(f"{args.output}: cannot write ({e.strerror})") from None
    print(f"wrote {args.output}: {len(data):,} bytes, {len(plan.ops)} ops, arena {plan.arena_bytes:,} bytes "
          f"(activations {plan.activation_bytes():,}), weights {plan.weights_bytes:,} bytes")
    return 0


def _threads(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 16:
        raise argparse.ArgumentTypeError(f"bad thread count {text!r}: expected 1..16")
    return int(text)


def _serve(directory: str, port: int, no_isolation: bool, *paths: str) -> int:
    """Serves `directory` until interrupted; prints its URL, then `paths` under it (the pages to open)."""
    from .serve import make_server

    try:
        srv = make_server(directory, port, isolate=not no_isolation)
    except OSError as e:
        raise WasmTorchError(f"cannot listen on 127.0.0.1:{port} ({e.strerror}); pick another --port") from None
    url = f"http://127.0.0.1:{srv.server_address[1]}/"
    print(f"Serving on {url}", flush=True)
    for path in paths:
        print(f"  {url}{path}", flush=True)
    if no_isolation:
        print("(without COOP/COEP: the page runs single-threaded, as on a plain static host)", flush=True)
    try:
        srv.serve_forever()
    finally:
        srv.server_close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    directory = args.dir or os.path.join("site", "dist")
    if not os.path.isfile(os.path.join(directory, "index.html")):
        raise WasmTorchError(f"{directory}: no site there; build it with `python tools/build_site.py` in a source "
                             "checkout (bash tools/main.sh does it all), or pass the site's folder")
    return _serve(directory, args.port, args.no_isolation)


# A source checkout: the package lives in <checkout>/py/wasm_torch/, the site builders in <checkout>/tools/.
CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LITE_NOTEBOOK = "wasm_torch_lite.ipynb"


def cmd_lite(args: argparse.Namespace) -> int:
    import subprocess

    directory = args.dir or os.path.join(CHECKOUT, "site", "lite")
    if not args.no_build:
        script = os.path.join(CHECKOUT, "tools", "build_lite.py")
        if not os.path.isfile(script):
            raise WasmTorchError("building the JupyterLite site needs a source checkout (tools/build_lite.py); "
                                 "pass an already built site's folder with --no-build")
        if subprocess.run([sys.executable, script, directory]).returncode:
            raise WasmTorchError("the JupyterLite build failed (see above)")
    if not os.path.isfile(os.path.join(directory, "jupyter-lite.json")):
        raise WasmTorchError(f"{directory}: no JupyterLite site there (run `wasm-torch lite` without --no-build)")
    return _serve(directory, args.port, args.no_isolation, f"notebooks/index.html?path={LITE_NOTEBOOK}", "lab/")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wasm-torch", description="Convert and run PyTorch models for the browser.")
    p.add_argument("--version", action="version", version=f"wasm-torch {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    pi = sub.add_parser("inspect", help="format, inputs/outputs, params, op histogram, unsupported ops")
    _add_model_args(pi)
    pi.add_argument("--json", action="store_true", help="machine-readable output (docs/inspect-json.md)")
    pi.set_defaults(func=cmd_inspect)
    pr = sub.add_parser("run", help="run a model (or a .wtm plan) on .npy inputs")
    _add_model_args(pr)
    pr.add_argument("--backend", choices=["reference", "wasm"], default="reference",
                    help="reference: numpy; wasm: the kernel module under Node (a .wtm plan needs it)")
    pr.add_argument("--threads", type=_threads, default=1, metavar="N",
                    help="wasm backend threads (N > 1 uses the pthreads module variant)")
    pr.add_argument("--profile", action="store_true",
                    help="wasm backend: time each op of a forward pass (after a warm-up one), print them slowest first")
    pr.add_argument("--input", action="append", default=[], metavar="X.npy", help="an input, repeated in input order")
    out = pr.add_mutually_exclusive_group()
    out.add_argument("--output", metavar="Y.npy", help="write the single output")
    out.add_argument("--output-dir", metavar="DIR", help="write output_0.npy, output_1.npy, ...")
    pr.set_defaults(func=cmd_run)
    pc = sub.add_parser("convert", help="convert a model to a .wtm execution plan for the wasm kernels")
    _add_model_args(pc)
    pc.add_argument("-o", "--output", required=True, metavar="MODEL.wtm", help="where to write the plan")
    pc.set_defaults(func=cmd_convert)
    ps = sub.add_parser("serve", help="serve the site on 127.0.0.1 with the headers threads need (COOP/COEP)")
    ps.add_argument("dir", nargs="?", help="the built site (default: site/dist)")
    ps.add_argument("--port", type=int, default=8000, help="default 8000; 0 picks a free port")
    ps.add_argument("--no-isolation", action="store_true",
                    help="omit COOP/COEP, like a plain static host (threads off)")
    ps.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    ps.set_defaults(func=cmd_serve)
    pl = sub.add_parser("lite", help="build the JupyterLite site (tools/build_lite.py) and serve it with COOP/COEP")
    pl.add_argument("dir", nargs="?", help="where the site goes (default: site/lite in the source checkout)")
    pl.add_argument("--port", type=int, default=8000, help="default 8000; 0 picks a free port")
    pl.add_argument("--no-build", action="store_true", help="serve the site already in DIR")
    pl.add_argument("--no-isolation", action="store_true",
                    help="omit COOP/COEP, like a plain static host (the kernels run single-threaded)")
    pl.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    pl.set_defaults(func=cmd_lite)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except WasmTorchError as e:
        if args.debug:
            raise
        print(f"wasm-torch: error: {e}", file=sys.stderr)
        return 2
    except MemoryError:
        print("wasm-torch: error: out of memory", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
