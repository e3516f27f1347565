// Python in Pyodide -> the kernel module: installKernels loads a kernel module instance into the
// calling thread (a Worker, so the threaded variant may block) and registers it with Pyodide as the
// Python module `_wasm_torch_kernels`, which wasm_torch.runtime.pyodide_kernels calls synchronously.
// Environment-neutral (browser worker, JupyterLite kernel, Node): it only needs the kernels' URL.
//
//   const py = await loadPyodide(...); await py.loadPackage(wheelURL);
//   const { variant, threads } = await installKernels(py, { kernelsURL: '/kernels/', threads: 2 });
//
// Bytes cross the two heaps once: Python passes its buffers (bytes, bytearray, memoryview) as
// PyProxies and this module copies straight between Pyodide's heap and the kernel module's.
import { loadPlan, prepareThreads, readyWorkers } from './wtm.mjs';

const installed = new WeakMap();  // pyodide -> Promise of {variant, threads}

function withBytes(proxy, use) {
  const buf = proxy.getBuffer('u8');
  try {
    return use(buf.data);
  } finally {
    buf.release();
  }
}

function describe(io) {
  return io.map(({ name, shape, dtype, bytes }) => ({ name, shape, dtype, bytes }));
}

// What Python holds for one loaded plan. run(...buffers): the model's inputs in order (their bytes in
// the plan's dtype), then one writable buffer per output that receives it.
function planHandle(M, model) {
  const io = (buffers) => {
    const n = model.inputs.length;
    const m = model.outputs.length;
    if (buffers.length !== n + m)
      throw new Error(`run: ${n} inputs and ${m} output buffers expected, ${buffers.length} given`);
    return [buffers.slice(0, n), buffers.slice(n)];
  };
  const forward = (buffers) => {
    const [inputs, outputs] = io(buffers);
    inputs.forEach((proxy, i) => withBytes(proxy, (bytes) => {
      const { name, ptr, bytes: size } = model.inputs[i];
      if (bytes.length !== size) throw new Error(`input ${name}: ${bytes.length} bytes, the plan takes ${size}`);
      M.HEAPU8.set(bytes, ptr);
    }));
    model.forward();
    outputs.forEach((proxy, i) => withBytes(proxy, (bytes) => {
      const { name, ptr, bytes: size } = model.outputs[i];
      if (bytes.length !== size) throw new Error(`output ${name}: a ${bytes.length}-byte buffer for ${size} bytes`);
      bytes.set(M.HEAPU8.subarray(ptr, ptr + size));
    }));
  };
  return {
    describe: () => JSON.stringify({ inputs: describe(model.inputs), outputs: describe(model.outputs),
      threads: model.memoryStats().threads }),
    run: (...buffers) => forward(buffers),
    // one timed forward; per-step {op, label, shape, ms, share} as JSON
    profile: (...buffers) => {
      model.setProfiling(true);
      try {
        forward(buffers);
        return JSON.stringify(model.profile());
      } finally {
        model.setProfiling(false);
      }
    },
    memoryStats: () => JSON.stringify(model.memoryStats()),
    dispose: () => model.dispose(),
  };
}

async function install(pyodide, kernelsURL, threads) {
  const wanted = Math.max(1, Math.floor(threads) || 1);
  // SharedArrayBuffer (the threaded module's memory) exists only on cross-origin isolated pages
  const threaded = Boolean(globalThis.crossOriginIsolated) && wanted > 1;
  const name = threaded ? 'wasm-torch-kernels-mt' : 'wasm-torch-kernels';
  const { default: factory } = await import(`${kernelsURL}${name}.mjs`);
  const M = await factory();
  const got = threaded ? wanted : 1;
  // Python calls synchronously and never yields to this thread's event loop, so the pthread Workers
  // must be running before the first plan loads.
  await prepareThreads(M, got);
  const info = { variant: threaded ? 'mt' : 'st', threads: got };
  let topUp = Promise.resolve();
  pyodide.registerJsModule('_wasm_torch_kernels', {
    ...info,
    // resolves once the Workers started so far are ready (Python: await pyodide_kernels.threads_ready())
    ready: () => topUp,
    // Each loaded model keeps its threads' Workers until disposed, and Python loads synchronously, so
    // a model gets at most as many threads as Workers are ready now (describe() says how many); the
    // pool is topped up in the background for the next model.
    load: (planProxy, threads = got) => {
      const n = Math.min(Math.max(1, threads), got, readyWorkers(M) + 1);
      const handle = planHandle(M, withBytes(planProxy, (bytes) => loadPlan(M, bytes, { threads: n })));
      if (got > 1) topUp = Promise.all([topUp, prepareThreads(M, got).catch(() => {})]);
      return handle;
    },
  });
  return info;
}

// Installs once per Pyodide instance (later calls return the first call's result).
export function installKernels(pyodide, { kernelsURL, threads = 1 } = {}) {
  if (!kernelsURL) throw new Error('installKernels: pass {kernelsURL}, the folder holding wasm-torch-kernels*.mjs');
  const base = kernelsURL.endsWith('/') ? kernelsURL : `${kernelsURL}/`;
  if (!installed.has(pyodide)) {
    const done = install(pyodide, base, threads);
    done.catch(() => installed.delete(pyodide));  // a failed install (bad URL) may be retried
    installed.set(pyodide, done);
  }
  return installed.get(pyodide);
}
