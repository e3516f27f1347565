// wasm-torch in the browser: one ES module, served at /wasm-torch.mjs.
//
//   import { WASMTorch } from '/wasm-torch.mjs';
//   const rt = await WASMTorch.init({ threads: 2 });          // rt.threads: what the page allows
//   const model = await rt.loadModel(file, { onProgress: (p) => console.log(p.stage, p.loaded, p.total) });
//   const [y] = await model.forward([{ data: new Float32Array(1 * 3 * 224 * 224), shape: [1, 3, 224, 224] }]);
//   // y: {data: Float32Array, shape: [1, 1000], dtype: 'float32'}
//   model.getMemoryStats();  // {wasmBytes: the module's memory, arenaBytes: activations, weightBytes: the
//                            //  rest the model holds: weights as packed at load, per-op scratch, thread pool}
//   await model.profile(); model.dispose();
//
// .pt / .pt2 files go through the converter worker (Pyodide + the wasm_torch wheel), .wtm plans load
// directly (Pyodide never starts). Converted plans are cached in IndexedDB under (SHA-256 of the source
// and weights bytes, input shapes, converter version): a second load of the same file skips Pyodide.
// Kernels run in a runtime worker: the pthreads module when the page is cross-origin isolated.

const BASE = new URL('./', import.meta.url);
const WTM_MAGIC = [0x89, 0x57, 0x54, 0x4d, 0x0d, 0x0a, 0x1a, 0x0a];
const DTYPE_NAMES = { 1: 'float32', 2: 'int64', 3: 'bool' };
const CACHE_DB = 'wasm-torch';
const CACHE_STORE = 'plans';

export class WASMTorchError extends Error {
  constructor(message, { code = null, summary = null } = {}) {
    super(message);
    this.name = 'WASMTorchError';
    this.code = code;
    this.summary = summary;  // for an unsupported model: the inspect document listing its ops
  }
}

// A worker with request/response over postMessage; unsolicited messages go to `onEvent`.
class WorkerClient {
  constructor(url, onEvent = () => {}) {
    this.worker = new Worker(url, { type: 'module' });
    this.pending = new Map();
    this.nextId = 1;
    this.onEvent = onEvent;
    this.worker.onmessage = ({ data }) => {
      const waiting = data.id !== undefined && this.pending.get(data.id);
      if (!waiting) {
        this.onEvent(data);
        return;
      }
      this.pending.delete(data.id);
      if (data.error !== undefined) waiting.reject(new WASMTorchError(data.error, { code: data.code }));
      else waiting.resolve(data);
    };
    this.worker.onerror = (e) => {
      const error = new WASMTorchError(`worker ${url.pathname} failed: ${e.message || 'could not load'}`);
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
      this.onEvent({ type: 'fatal', error: error.message });
    };
  }

  call(cmd, args = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, cmd, ...args }, transfer);
    });
  }

  terminate() {
    this.worker.terminate();
  }
}

// The converter worker boots Pyodide on creation; listeners see its progress and readiness.
class Converter {
  constructor() {
    this.listeners = new Set();
    this.client = new WorkerClient(new URL('worker/converter.mjs', BASE), (msg) => {
      if (msg.type === 'ready') this.readyInfo = msg;
      if (msg.type === 'fatal') this.fatal = msg.error;
      for (const fn of this.listeners) fn(msg);
    });
    this.ready = new Promise((resolve, reject) => {
      this.listeners.add((msg) => {
        if (msg.type === 'ready') resolve(msg);
        if (msg.type === 'fatal') reject(new WASMTorchError(msg.error));
      });
    });
    this.ready.catch(() => {});
  }
}

function isWtm(bytes) {
  return bytes.length >= 8 && WTM_MAGIC.every((b, i) => bytes[i] === b);
}

async function toBytes(src, what) {
  if (src === undefined || src === null) return null;
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  if (typeof Blob !== 'undefined' && src instanceof Blob) return new Uint8Array(await src.arrayBuffer());
  throw new WASMTorchError(`${what}: expected a File, Blob, ArrayBuffer or Uint8Array, got ${src?.constructor?.name ?? typeof src}`);
}

async function sha256(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

// IndexedDB: a failure to open (private mode, quota) only turns the cache off.
function openCache() {
  return new Promise((resolve) => {
    if (typeof indexedDB === 'undefined') return resolve(null);
    const req = indexedDB.open(CACHE_DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(CACHE_STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve(null);
  });
}

function cacheOp(db, mode, fn) {
  return new Promise((resolve) => {
    if (!db) return resolve(undefined);
    const tx = db.transaction(CACHE_STORE, mode);
    const req = fn(tx.objectStore(CACHE_STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = tx.onabort = () => resolve(undefined);
  });
}

// The site's build facts (tools/build_site.py): {version, wheel, sample}.
let site = null;
export function siteInfo() {
  site ??= fetch(new URL('site.json', BASE)).then((r) => r.json());
  return site;
}

function widen(x, i, want) {
  const { data, shape } = x ?? {};
  if (!Array.isArray(shape)) throw new WASMTorchError(`input ${i} (${want.name}): give {data, shape}`);
  if (shape.length !== want.shape.length || shape.some((d, k) => d !== want.shape[k]))
    throw new WASMTorchError(`input ${i} (${want.name}): shape [${shape}], the model expects [${want.shape}]`);
  if (want.dtype === 'int64') {
    if (data instanceof BigInt64Array) return data.slice();
    if (data instanceof Int32Array) return BigInt64Array.from(data, (v) => BigInt(v));
    throw new WASMTorchError(`input ${i} (${want.name}): int64 wants a BigInt64Array or Int32Array, got ${data?.constructor?.name}`);
  }
  if (want.dtype === 'bool') {
    if (data instanceof Uint8Array) return data.slice();
    throw new WASMTorchError(`input ${i} (${want.name}): bool wants a Uint8Array, got ${data?.constructor?.name}`);
  }
  if (data instanceof Float32Array) return data.slice();
  if (data instanceof Float64Array || Array.isArray(data)) return Float32Array.from(data);
  throw new WASMTorchError(`input ${i} (${want.name}): float32 wants a Float32Array, got ${data?.constructor?.name}`);
}

export class Model {
  constructor(rt, loaded, { summary, plan, source, timings }) {
    this.runtime = rt;
    this.id = loaded.model;
    this.inputs = loaded.inputs.map((io) => ({ ...io, dtype: DTYPE_NAMES[io.dtype] ?? String(io.dtype) }));
    this.outputs = loaded.outputs.map((io) => ({ ...io, dtype: DTYPE_NAMES[io.dtype] ?? String(io.dtype) }));
    this.summary = summary;        // the inspect document (null for a .wtm loaded directly)
    this.plan = plan;              // the .wtm bytes (download them to skip conversion next time)
    this.source = source;          // 'converted' | 'cache' | 'wtm'
    this.timings = timings;        // ms: convertMs (incl. waiting for Pyodide), pythonMs {convert, plan}, loadMs, totalMs
    this.stats = loaded.stats;
  }

  // inputs: [{data, shape}] in input order -> [{data, shape, dtype}] in output order.
  async forward(inputs) {
    if (!Array.isArray(inputs)) inputs = [inputs];
    if (inputs.length !== this.inputs.length)
      throw new WASMTorchError(`the model takes ${this.inputs.length} inputs, ${inputs.length} given`);
    const xs = inputs.map((x, i) => widen(x, i, this.inputs[i]));
    const r = await this.runtime.rt.call('forward', { model: this.id, inputs: xs }, xs.map((x) => x.buffer));
    return r.outputs.map((data, i) => ({ data, shape: this.outputs[i].shape, dtype: this.outputs[i].dtype }));
  }

  getMemoryStats() {
    const { wasmBytes, arenaBytes, weightBytes } = this.stats;
    return { wasmBytes, arenaBytes, weightBytes };
  }

  // One timed forward (on `inputs`, or the last ones): [{op, label, shape, ms, share}] per step.
  async profile(inputs) {
    const xs = inputs ? inputs.map((x, i) => widen(x, i, this.inputs[i])) : undefined;
    const r = await this.runtime.rt.call('profile', { model: this.id, inputs: xs });
    this.stats = (await this.runtime.rt.call('stats', { model: this.id })).stats;
    return r.steps;
  }

  async dispose() {
    await this.runtime.rt.call('dispose', { model: this.id });
  }
}

export class WASMTorch {
  // threads: wanted kernel threads (default: all cores, at most 8), clamped to 1 when the page is not
  // cross-origin isolated; `rt.threads` says what it got. preloadConverter: boot Pyodide now, so a
  // first .pt/.pt2 does not wait for it.
  static async init({ threads, preloadConverter = false, cache = true } = {}) {
    const self = new WASMTorch();
    self.rt = new WorkerClient(new URL('worker/runtime.mjs', BASE));
    const wanted = threads ?? Math.min(navigator.hardwareConcurrency || 1, 8);
    const { variant, threads: got, crossOriginIsolated } = await self.rt.call('init', { threads: wanted });
    Object.assign(self, { variant, threads: got, crossOriginIsolated });
    self.requestedThreads = wanted;
    self.cacheEnabled = cache;
    self.converter = null;
    if (preloadConverter) self.startConverter();
    return self;
  }

  // The converter worker, started once; `rt.converterStarted` tells whether Pyodide was ever needed.
  startConverter() {
    if (!this.converter) this.converter = new Converter();
    return this.converter;
  }

  get converterStarted() {
    return this.converter !== null;
  }

  // src: a File/Blob/ArrayBuffer/Uint8Array holding .pt, .pt2 or .wtm bytes.
  // options: onProgress({stage, loaded, total}), weights (safetensors / state_dict bytes or File),
  // inputShapes ([[1, 3, 224, 224], ...] for files without example inputs) and inputDtypes
  // (['float32', 'int64', ...], default float32), name (for messages).
  async loadModel(src, { onProgress = () => {}, weights, inputShapes, inputDtypes, name } = {}) {
    const t0 = performance.now();
    const timings = {};
    const fileName = name ?? src?.name ?? 'model';
    onProgress({ stage: 'read', loaded: 0, total: src?.size ?? 0 });
    const bytes = await toBytes(src, fileName);
    const weightBytes = await toBytes(weights, 'weights');
    onProgress({ stage: 'read', loaded: bytes.length, total: bytes.length });
    let plan;
    let summary = null;
    let source;
    if (isWtm(bytes)) {
      plan = bytes;
      source = 'wtm';
    } else {
      const key = this.cacheEnabled ? await this.cacheKey(bytes, weightBytes, [inputShapes, inputDtypes]) : null;
      const db = key ? await openCache() : null;
      const hit = await cacheOp(db, 'readonly', (s) => s.get(key));
      if (hit) {
        ({ plan, summary } = hit);
        plan = new Uint8Array(plan);
        source = 'cache';
        onProgress({ stage: 'cache', loaded: 1, total: 1 });
      } else {
        let seconds;
        ({ plan, summary, seconds } = await this.convert(bytes, fileName, weightBytes, weights?.name, inputShapes, inputDtypes, onProgress));
        timings.pythonMs = Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, v * 1000]));
        source = 'converted';
        await cacheOp(db, 'readwrite', (s) => s.put({ plan: plan.slice().buffer, summary }, key));
      }
      db?.close();
      timings.convertMs = performance.now() - t0;
    }
    onProgress({ stage: 'load', loaded: 0, total: 1 });
    const t1 = performance.now();
    const loaded = await this.rt.call('load', { plan: plan.slice().buffer });
    timings.loadMs = performance.now() - t1;
    timings.totalMs = performance.now() - t0;
    onProgress({ stage: 'load', loaded: 1, total: 1 });
    return new Model(this, loaded, { summary, plan, source, timings });
  }

  async cacheKey(bytes, weightBytes, inputSpecs) {
    const { version } = await siteInfo();
    const parts = [await sha256(bytes), weightBytes ? await sha256(weightBytes) : '-', JSON.stringify(inputSpecs), version];
    return parts.join('|');
  }

  async convert(bytes, name, weights, weightsName, inputShapes, inputDtypes, onProgress) {
    const converter = this.startConverter();
    if (converter.fatal) throw new WASMTorchError(converter.fatal);
    const forward = (msg) => { if (msg.type === 'progress') onProgress(msg); };
    converter.listeners.add(forward);
    try {
      if (!converter.readyInfo) onProgress({ stage: 'boot', loaded: 0, total: 3 });
      const copy = bytes.slice();
      const r = await converter.client.call('convert', { bytes: copy, name, weights: weights?.slice(), weightsName,
        inputShapes, inputDtypes }, [copy.buffer]);
      if (!r.plan) {
        const ops = r.summary.unsupported.map((u) => `${u.op} at ${u.source}`).join('; ');
        throw new WASMTorchError(`${name}: unsupported ops${r.summary.unsupported_by ? ` (${r.summary.unsupported_by})` : ''}: ${ops}`,
          { summary: r.summary });
      }
      return { plan: r.plan, summary: r.summary, seconds: r.seconds };
    } finally {
      converter.listeners.delete(forward);
    }
  }

  dispose() {
    this.rt.terminate();
    this.converter?.client.terminate();
  }
}
