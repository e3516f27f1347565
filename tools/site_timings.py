"""Measures the site as a visitor meets it (a tool, not a test: timings are noisy here).

    .venv/bin/python tools/site_timings.py [--model resnet18] [--repeat 3] [--json OUT]

Builds the site, exports a reference model's .pt2 with torch, and in headless Chromium (a fresh profile
per visit, so neither the HTTP nor the plan cache helps) drops it on the page:
- cold: the drop happens as soon as the page has started, while Pyodide is still booting;
- warm: the drop happens once the converter worker reports Pyodide ready.
For each: ms from the drop to the model being ready and to the first result, Pyodide's boot ms, the
conversion ms inside Pyodide (Python's own clock) next to CPython's for the same file, and the bytes the
page downloaded (all workers included, the model file itself excluded) before the first result.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))

import torch  # noqa: E402
from browser_util import start_chromium, stop_chromium, wait_for  # noqa: E402
from build_site import build_site, site_bytes  # noqa: E402
from models import reference  # noqa: E402
from wasm_torch.model import load  # noqa: E402
from wasm_torch.plan import build_plan, write_plan  # noqa: E402
from wasm_torch.serve import serve_in_thread  # noqa: E402

DROP = """
const name = arguments[0];
window.DROP_T0 = performance.now();
fetch(name).then((r) => r.arrayBuffer()).then((bytes) => {
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name));
  window.DROP_T0 = performance.now();  // the drop itself, not the test's fetch
  document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
});
"""
FIRST_RESULT = """
const done = arguments[arguments.length - 1];
const tReady = performance.now();
const m = APP.model;
const xs = m.inputs.map((io) => ({ data: new Float32Array(io.shape.reduce((a, b) => a * b, 1)), shape: io.shape }));
m.forward(xs).then(() => done({ readyMs: tReady - DROP_T0, firstResultMs: performance.now() - DROP_T0,
  timings: m.timings, python: APP.python, runtime: APP.runtime }));
"""


def visit(srv: Any, url: str, model_name: str, warm: bool) -> dict[str, Any]:
    drv = start_chromium()
    srv.served.clear()
    try:
        drv.set_script_timeout(300)
        drv.get(url)
        wait_for(drv, "window.APP && APP.state === 'idle' ? 1 : null", 60)
        drv.execute_script("document.getElementById('autorun').checked = false")  # the tool times one forward
        if warm:
            wait_for(drv, "window.APP.python || null", 120)
        drv.execute_script(DROP, model_name)
        state = wait_for(drv, "['ready', 'error'].includes(window.APP.state) ? APP.state : null", 300)
        if state != "ready":
            raise SystemExit(f"the page failed: {drv.execute_script('return APP.error')}")
        r = drv.execute_async_script(FIRST_RESULT)
        # every file the page and its workers fetched, but the model (a real drop reads it from disk)
        r["downloadedBytes"] = sum(n for path, n in srv.served if not path.endswith(model_name))
        return r
    finally:
        stop_chromium(drv)


def cpython_convert_ms(path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        write_plan(build_plan(load(str(path)).graph))
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="resnet18", choices=["resnet18", "mobilenet_v2", "bert_tiny", "lstm2"])
    ap.add_argument("--repeat", type=int, default=3, help="visits per mode (medians are printed)")
    ap.add_argument("--json", help="also write the measurements here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wasm-torch-site-") as tmp:
        site = Path(tmp) / "site"
        print("building the site ...", flush=True)
        build_site(site)
        model, inputs = reference.get(args.model)
        name = f"{args.model}.pt2"
        torch.export.save(torch.export.export(model, inputs), str(site / name))
        srv, url = serve_in_thread(str(site))
        runs: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
        for i in range(args.repeat):
            for mode in runs:
                print(f"visit {i + 1}/{args.repeat} ({mode}) ...", flush=True)
                runs[mode].append(visit(srv, url, name, mode == "warm"))
        srv.shutdown()
        cpython_ms = cpython_convert_ms(site / name, args.repeat)
        whole_site = site_bytes(site) - (site / name).stat().st_size

    def med(mode: str, fn: Any) -> float:
        return statistics.median(fn(r) for r in runs[mode])

    report = {"model": args.model, "visits": args.repeat, "site_bytes": whole_site, "cpython_convert_ms": cpython_ms}
    print(f"\n{args.model}, {args.repeat} visits per mode, medians; threads {runs['cold'][0]['runtime']['threads']}")
    print(f"{'':34}{'cold':>12}{'warm':>12}")
    rows = [("drop -> model ready (ms)", lambda r: r["readyMs"]),
            ("drop -> first result (ms)", lambda r: r["firstResultMs"]),
            ("Pyodide boot (ms)", lambda r: r["python"]["bootMs"]),
            ("Pyodide + wheel + kernels (ms)", lambda r: r["python"]["readyMs"]),
            ("conversion in Pyodide (ms)", lambda r: sum(r["timings"]["pythonMs"].values())),
            ("kernel load of the plan (ms)", lambda r: r["timings"]["loadMs"]),
            ("downloaded before first result (MB)", lambda r: r["downloadedBytes"] / 1e6)]
    for label, fn in rows:
        print(f"{label:34}{med('cold', fn):12.1f}{med('warm', fn):12.1f}")
        report[label] = {"cold": med("cold", fn), "warm": med("warm", fn)}
    print(f"conversion on CPython (ms): {cpython_ms:.1f}; whole site: {whole_site / 1e6:.1f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps({**report, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
