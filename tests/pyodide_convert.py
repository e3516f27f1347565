# Runs inside Pyodide (see tests/test_pyodide_convert.py): converts each listed model file with the
# installed wasm_torch wheel and returns, per file, the SHA-256 of the graph dump and of the .wtm plan,
# and the conversion time.
import hashlib
import json
import time

import wasm_torch
from wasm_torch.ir import dump
from wasm_torch.plan import build_plan, write_plan

result = {}
for name, path, shapes, dtypes in json.loads(open("/work/jobs.json").read()):
    t0 = time.perf_counter()
    try:
        m = wasm_torch.load("/work/" + path, shapes, dtypes)
        seconds = time.perf_counter() - t0
        graph_sha = hashlib.sha256(dump(m.graph).encode()).hexdigest()
        result[name] = {"sha256": graph_sha, "seconds": seconds,
                        "plan_sha256": hashlib.sha256(write_plan(build_plan(m.graph))).hexdigest()}
    except Exception as e:  # reported to the host test, which fails with the message
        result[name] = {"error": f"{type(e).__name__}: {e}"}
json.dumps(result)
