// Runs one engine (ours: the .wtm plan on the kernel module; peer: ONNX Runtime Web, wasm EP) on one
// model, both the same way: load, one first (cold) inference, warm-up, then `runs` timed forwards.
// Reads models/<model>/meta.json (written by tools/bench.py) for inputs and the torch outputs.
import { loadPlan, prepareThreads } from './runtime/wtm.mjs';

const WARMUP = 3;

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

const TYPES = { float32: Float32Array, int64: BigInt64Array };

async function readArray(url, dtype) {
  const bytes = await fetchBytes(url);
  return new TYPES[dtype](bytes.buffer, bytes.byteOffset, bytes.byteLength / TYPES[dtype].BYTES_PER_ELEMENT);
}

function maxAbsDiff(outputs, expected) {
  let worst = 0;
  outputs.forEach((y, i) => {
    const want = expected[i];
    if (y.length !== want.length) throw new Error(`output ${i}: ${y.length} values, torch has ${want.length}`);
    for (let j = 0; j < y.length; j++) worst = Math.max(worst, Math.abs(y[j] - want[j]));
  });
  return worst;
}

// Each engine returns { threads, run(): Float32Array[] } once loaded.
async function loadOurs(dir, meta, threads) {
  const base = threads > 1 ? 'wasm-torch-kernels-mt' : 'wasm-torch-kernels';
  const { default: factory } = await import(`./kernels/${base}.mjs`);
  const M = await factory();
  await prepareThreads(M, threads);
  const model = loadPlan(M, await fetchBytes(`${dir}/${meta.wtm}`), { threads });
  return {
    threads: model.memoryStats().threads,
    setInputs: (xs) => xs.forEach((x, i) => model.setInput(i, x)),
    run: () => { model.forward(); return model.outputs.map((_, i) => model.output(i)); },
  };
}

async function loadPeer(dir, meta, threads) {
  const ort = await import('./ort/ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
  ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(`${dir}/${meta.onnx}`, { executionProviders: ['wasm'] });
  let feeds = {};
  return {
    // ORT lowers numThreads to 1 when SharedArrayBuffer is unavailable: read back what it used.
    threads: ort.env.wasm.numThreads,
    setInputs: (xs) => {
      feeds = Object.fromEntries(session.inputNames.map((name, i) =>
        [name, new ort.Tensor(meta.inputs[i].dtype, xs[i], meta.inputs[i].shape)]));
    },
    run: async () => {
      const out = await session.run(feeds);
      return session.outputNames.map((name) => out[name].data);
    },
  };
}

async function bench({ engine, model, threads, runs }) {
  const dir = `./models/${model}`;
  const meta = await (await fetch(`${dir}/meta.json`)).json();
  const inputs = await Promise.all(meta.inputs.map((x) => readArray(`${dir}/${x.file}`, x.dtype)));
  const expected = await Promise.all(meta.outputs.map((y) => readArray(`${dir}/${y.file}`, 'float32')));
  const t0 = performance.now();
  const eng = await (engine === 'ours' ? loadOurs : loadPeer)(dir, meta, Number(threads));
  const loadMs = performance.now() - t0;
  eng.setInputs(inputs);
  const t1 = performance.now();
  const first = await eng.run();
  const firstMs = performance.now() - t1;
  for (let i = 0; i < WARMUP; i++) await eng.run();
  const times = [];
  for (let i = 0; i < Number(runs); i++) {
    const t = performance.now();
    await eng.run();
    times.push(performance.now() - t);
  }
  return { threads: eng.threads, load_ms: loadMs, first_ms: firstMs, times, max_abs_diff: maxAbsDiff(first, expected) };
}

self.onmessage = async (e) => {
  try {
    self.postMessage({ workerIsolated: self.crossOriginIsolated, ...(await bench(e.data)) });
  } catch (err) {
    self.postMessage({ error: String(err && err.stack || err) });
  }
};
