# Runs inside Pyodide in the test page's worker (tests/test_pyodide_browser.py sends it with JOBS, a JSON
# string, prepended; SITE is the site's URL). Fetches files from the site one at a time and returns one JSON
# document: per model file the graph/plan digests and summary, per hostile file the error, per run job the
# outputs of model(x) on the kernel module for memoryview and nested-list inputs, and the error checks.
# ruff: noqa: F704 (Pyodide's runPythonAsync allows top-level await)
import base64
import hashlib
import json
import math
import sys
import time
from array import array

import wasm_torch
from pyodide.http import pyfetch
from wasm_torch.ir import dump
from wasm_torch.plan import build_plan, write_plan
from wasm_torch.runtime.pyodide_kernels import KernelModel, threads_ready

jobs = json.loads(JOBS)  # noqa: F821 (prepended by the test)
result = {"platform": sys.platform, "numpy": "numpy" in sys.modules, "convert": {}, "hostile": {}, "plans": {},
          "run": {}, "checks": {}}
FORMATS = {"float32": "f", "int64": "q", "bool": "?"}


async def fetch(path):
    r = await pyfetch(SITE + path)  # noqa: F821 (set by the worker)
    if not r.ok:
        raise OSError(f"{path}: HTTP {r.status}")
    return await r.bytes()


def error(e):
    return f"{type(e).__name__}: {e}"


def encode(out):
    # an output as the test reads it back: shape, format and raw bytes (the memoryview's own)
    return {"shape": list(out.shape), "format": out.format, "data": base64.b64encode(out.tobytes()).decode()}


models = {}
for key, path, shapes, dtypes in jobs["convert"]:
    data = await fetch(path)
    t0 = time.perf_counter()
    try:
        m = wasm_torch.load(data, shapes, dtypes, name=path.rsplit("/", 1)[-1])
        seconds = time.perf_counter() - t0
        result["convert"][key] = {"graph": hashlib.sha256(dump(m.graph).encode()).hexdigest(),
                                  "plan": hashlib.sha256(write_plan(build_plan(m.graph))).hexdigest(),
                                  "summary": m.summary(), "seconds": seconds}
        if key in jobs["run"]:
            models[key] = m
    except Exception as e:
        result["convert"][key] = {"error": error(e)}
    del data

for name in jobs["hostile"]:
    data = await fetch("pyodide_data/hostile/" + name)
    try:
        wasm_torch.inspect(data, name=name)
        result["hostile"][name] = "accepted"
    except Exception as e:
        result["hostile"][name] = error(e)

for name, values in jobs["plans"].items():  # .wtm files straight into the kernel module; values: an input
    data = await fetch("pyodide_data/hostile/plans/" + name)
    try:
        k = KernelModel(data)
        xs = [memoryview(array("f", values)).cast("B")] if values else [bytearray(4 * math.prod(shape))
                                                                      for _, shape, _ in k.inputs]
        result["plans"][name] = {"outputs": [o.tolist() for o in k.run(xs)]}
        k.dispose()
    except Exception as e:
        result["plans"][name] = {"error": error(e)}

for key, inputs in jobs["run"].items():
    m = models[key]
    xs = [memoryview(await fetch(path)).cast(FORMATS[dtype], shape) for path, shape, dtype in inputs]
    await threads_ready()  # the models before this one hold Workers: let the pool refill
    t0 = time.perf_counter()
    first = m(*xs)
    first_ms = (time.perf_counter() - t0) * 1e3
    outs = m.run(*xs)
    lists = m.run(*[x.tolist() for x in xs])
    result["run"][key] = {"backend": m.backend, "threads": m.threads, "variant": m._kernel.variant,
                          "first_ms": first_ms, "outputs": [encode(o) for o in outs],
                          "single": not isinstance(first, tuple),
                          "lists_match": [a.tolist() == b.tolist() for a, b in zip(outs, lists)]}

if jobs["checks"]:
    c = result["checks"]
    m = models[jobs["checks"]]
    (path, shape, dtype), = jobs["run"][jobs["checks"]]
    x = memoryview(await fetch(path)).cast(FORMATS[dtype], shape)
    expected = m(x).tobytes()

    def outcome(f):
        try:
            f()
            return "ok"
        except Exception as e:
            return error(e)

    c["wrong_shape"] = outcome(lambda: m(x.tolist()[0]))
    c["wrong_count"] = outcome(lambda: m(x, x))
    c["wrong_dtype"] = outcome(lambda: m(array("q", [0]) * len(x.cast("B").cast("f"))))
    c["ragged"] = outcome(lambda: m([[1.0], [1.0, 2.0]]))
    c["raw_bytes"] = m(x.tobytes()).tobytes() == expected
    c["flat_array"] = m(array("f", x.cast("B").cast("f"))).tobytes() == expected
    k = KernelModel(write_plan(build_plan(m.graph)), 64)  # more threads than the module has: clamped
    c["kernel"] = {"threads": k.threads, "variant": k.variant, "same": k.run([x.cast("B")])[0].tobytes() == expected,
                   "profile_ops": sorted({s["op"] for s in k.profile([x.cast("B")])}),
                   "memory": sorted(k.memory_stats())}
    k.dispose()
    c["disposed"] = outcome(lambda: k.run([x.cast("B")]))
    c["bad_plan"] = outcome(lambda: KernelModel(b"not a plan at all"))
    m.threads = 64
    c["threads_clamped"] = [m(x).tobytes() == expected, m.threads]
    m.backend = "reference"
    c["reference_without_numpy"] = outcome(lambda: m(x))
    m.backend = "wasm"
    sys.modules["_wasm_torch_kernels"] = None  # as in a Pyodide where installKernels never ran
    try:
        bare = wasm_torch.Model(m.graph, m.format, m.filename)
        c["no_kernels"] = [bare.backend, outcome(lambda: bare(x))]
    finally:
        del sys.modules["_wasm_torch_kernels"]
    c["still_works"] = m(x).tobytes() == expected

json.dumps(result)
