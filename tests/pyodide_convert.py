# Runs inside Pyodide (see tests/test_pyodide_convert.py): converts each listed model file with the
# installed wasm_torch wheel and returns, per file, the graph dump's SHA-256 and the conversion time.
import hashlib
import json
import time

import wasm_torch
from wasm_torch.ir import dump

result = {}
for name, path, shapes, dtypes in json.loads(open("/work/jobs.json").read()):
    t0 = time.perf_counter()
    try:
        m = wasm_torch.load("/work/" + path, shapes, dtypes)
        result[name] = {"sha256": hashlib.sha256(dump(m.graph).encode()).hexdigest(),
                        "seconds": time.perf_counter() - t0}
    except Exception as e:  # reported to the host test, which fails with the message
        result[name] = {"error": f"{type(e).__name__}: {e}"}
json.dumps(result)
