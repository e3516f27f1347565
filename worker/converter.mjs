// The converter worker: Pyodide + our wheel, started as soon as the page loads so it is warm when a
// file arrives. Converts model bytes (.pt / .pt2, optional weights) into a .wtm plan and the
// `inspect --json` summary with wasm_torch.web.to_plan; Python here can also run models on the kernel
// module (runtime/pyodide_bridge.mjs), as in JupyterLite.
// Posts {type: 'progress', stage, loaded, total} while booting and converting, {type: 'ready', ...}
// once booted; replies to {id, cmd: 'convert', bytes, name, weights?, weightsName?, inputShapes?, inputDtypes?}
// with {id, plan (transferred) | null, summary, seconds} or {id, error}.
import { loadPyodide } from '../pyodide/pyodide.mjs';
import { installKernels } from '../runtime/pyodide_bridge.mjs';

const site = new URL('../', import.meta.url);

// The JS <-> Python seam: bytes cross once each way; every wasm-torch error comes back as a message.
const GLUE = `
import json
from pyodide.ffi import to_js
from wasm_torch.errors import WasmTorchError
from wasm_torch.web import to_plan

def convert(js_bytes, name, js_weights, weights_name, shapes_json, dtypes_json, progress):
    try:
        weights = js_weights.to_bytes() if js_weights is not None else None
        r = to_plan(js_bytes.to_bytes(), name, weights, json.loads(shapes_json) if shapes_json else None,
                    progress, weights_name, json.loads(dtypes_json) if dtypes_json else None)
    except WasmTorchError as e:
        return {"error": str(e)}
    except Exception as e:  # a converter bug: say so, with the file, rather than a Python traceback
        return {"error": f"{name}: internal converter error ({type(e).__name__}: {e})"}
    plan = to_js(memoryview(r["plan"])) if r["plan"] is not None else None
    return {"plan": plan, "summary": json.dumps(r["summary"]), "seconds": json.dumps(r["seconds"])}
convert
`;

function progress(stage, loaded = 0, total = 0) {
  self.postMessage({ type: 'progress', stage, loaded, total });
}

async function boot() {
  const t0 = performance.now();
  progress('boot', 0, 3);
  const py = await loadPyodide({ indexURL: new URL('pyodide/', site).href });
  const tBoot = performance.now() - t0;
  progress('boot', 1, 3);
  const info = await (await fetch(new URL('site.json', site))).json();
  const failures = [];
  await py.loadPackage(new URL(info.wheel, site).href, { errorCallback: (m) => failures.push(m), messageCallback: () => {} });
  if (failures.length) throw new Error(`cannot install ${info.wheel}: ${failures.join('; ')}`);
  progress('boot', 2, 3);
  const kernels = await installKernels(py, { kernelsURL: new URL('kernels/', site).href, threads: 1 });
  const convert = py.runPython(GLUE);
  progress('boot', 3, 3);
  const ready = { bootMs: tBoot, readyMs: performance.now() - t0, python: py.runPython('import sys; sys.version.split()[0]'),
    kernels };
  self.postMessage({ type: 'ready', ...ready });
  return { py, convert };
}

const booted = boot();
booted.catch((e) => self.postMessage({ type: 'fatal', error: `Pyodide did not start: ${e.message || e}` }));

self.onmessage = async ({ data }) => {
  const { id, cmd } = data;
  if (cmd !== 'convert') {
    self.postMessage({ id, error: `unknown command ${cmd}` });
    return;
  }
  let result;
  try {
    const { convert } = await booted;
    const t0 = performance.now();
    progress('convert', 0, 2);
    // undefined reaches Python as None (null would be JsNull)
    result = convert(data.bytes, data.name, data.weights ?? undefined, data.weightsName ?? 'weights',
      data.inputShapes ? JSON.stringify(data.inputShapes) : '', data.inputDtypes ? JSON.stringify(data.inputDtypes) : '',
      (stage) => progress(stage, stage === 'plan' ? 1 : 0, 2));
    const error = result.get('error');
    if (error !== undefined) {
      self.postMessage({ id, error });
      return;
    }
    const plan = result.get('plan');
    const summary = JSON.parse(result.get('summary'));
    progress('convert', 2, 2);
    const reply = { id, plan: plan ?? null, summary, seconds: JSON.parse(result.get('seconds')),
      ms: performance.now() - t0 };
    self.postMessage(reply, plan ? [plan.buffer] : []);
  } catch (e) {
    self.postMessage({ id, error: String(e.message || e) });
  } finally {
    result?.destroy?.();
  }
};
