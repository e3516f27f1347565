// The JS binding of the plan runtime (wasm_kernels/runtime/plan_exports.c): load a .wtm plan
// into a kernel module instance, write inputs, run the whole forward pass in one call, read
// outputs. Environment-neutral (browser, worker, Node): it only needs the Emscripten module M.
//
//   await prepareThreads(M, threads);     // threaded module, threads > 1
//   const model = loadPlan(M, bytes, { threads });
//   const [y] = model.run([x]);           // typed arrays in and out (DTYPES: Float32Array, ...)
//   model.memoryStats(); model.dispose();
//   model.setProfiling(true); model.forward(); model.profile();  // per-step {op, label, shape, ms, share}
//
// Inputs and outputs live at fixed arena addresses; always read M.HEAPU8 / M.HEAPF32 afresh
// (the heap may grow, which replaces the views).

export const STATUS = Object.freeze({
  0: 'ok', 1: 'truncated', 2: 'bad magic', 3: 'unsupported version', 4: 'checksum mismatch', 5: 'bad layout',
  6: 'bad value', 7: 'unknown op code', 8: 'bad operands', 9: 'bad shape', 10: 'over a limit',
  11: 'bad inputs/outputs', 12: 'out of memory', 13: 'threads unavailable', 14: 'bad argument',
  15: 'bad input value',
});

// Plan dtype codes -> typed array constructors (int64 since plan version 1.1, the rest since 1.4;
// float16 values are their IEEE binary16 bits).
export const DTYPES = Object.freeze({
  1: Float32Array, 2: BigInt64Array, 3: Uint8Array, 4: Int32Array, 5: Uint8Array, 6: Float64Array, 7: Uint16Array,
});

export class PlanError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'PlanError';
    this.code = code;
  }
}

function cString(M, ptr) {
  const heap = M.HEAPU8;
  let end = ptr;
  while (heap[end] !== 0) end++;
  // slice(): TextDecoder refuses views of a SharedArrayBuffer (threaded builds)
  return new TextDecoder().decode(heap.slice(ptr, end));
}

function lastError(M) {
  return new PlanError(M._wt_last_error(), cString(M, M._wt_last_error_message()));
}

function ioTable(M, handle, kind) {
  const out = [];
  for (let i = 0; i < M._wt_model_io_count(handle, kind); i++) {
    const rank = M._wt_model_io_rank(handle, kind, i);
    out.push({
      name: cString(M, M._wt_model_io_name(handle, kind, i)),
      shape: Array.from({ length: rank }, (_, d) => M._wt_model_io_dim(handle, kind, i, d)),
      ptr: M._wt_model_io_data(handle, kind, i),
      dtype: M._wt_model_io_dtype(handle, kind, i),
      bytes: M._wt_model_io_bytes(handle, kind, i),
    });
  }
  return out;
}

export class PlanModel {
  constructor(M, handle) {
    this.M = M;
    this.handle = handle;
    this.inputs = ioTable(M, handle, 0);
    this.outputs = ioTable(M, handle, 1);
  }

  setInput(i, data) {
    const io = this.inputs[i];
    if (io === undefined) throw new PlanError(14, `input ${i}: the model has ${this.inputs.length} inputs`);
    const Type = DTYPES[io.dtype];
    if (!(data instanceof Type) || data.length * Type.BYTES_PER_ELEMENT !== io.bytes)
      throw new PlanError(14, `input ${io.name}: expected a ${Type.name} of ${io.bytes / Type.BYTES_PER_ELEMENT} `
        + `elements (shape [${io.shape}]), got ${data?.constructor?.name} of ${data?.length}`);
    new Type(this.M.HEAPU8.buffer, io.ptr, data.length).set(data);
  }

  forward() {
    if (this.M._wt_forward(this.handle) !== 0) throw lastError(this.M);
  }

  output(i) {
    const io = this.outputs[i];
    const Type = DTYPES[io.dtype];
    return new Type(this.M.HEAPU8.slice(io.ptr, io.ptr + io.bytes).buffer);
  }

  run(inputs) {
    if (inputs.length !== this.inputs.length)
      throw new PlanError(14, `the model takes ${this.inputs.length} inputs, ${inputs.length} given`);
    inputs.forEach((x, i) => this.setInput(i, x));
    this.forward();
    return this.outputs.map((_, i) => this.output(i));
  }

  // Profiling on: every later forward times each step (one clock read per step; no allocation).
  setProfiling(on) {
    if (this.M._wt_model_profiling(this.handle, on ? 1 : 0) !== 0) throw lastError(this.M);
    this.profiling = Boolean(on);
  }

  // Per step of the last forward (RESHAPEs are free and have no step): the op, the plan's label,
  // the output shape, elapsed ms and its share of the total.
  profile() {
    if (!this.profiling) throw new PlanError(14, 'profiling is off: call setProfiling(true) before forward()');
    const M = this.M;
    const h = this.handle;
    const steps = [];
    for (let i = 0; i < M._wt_model_step_count(h); i++) {
      const label = M._wt_model_step_label(h, i);
      steps.push({
        op: cString(M, M._wt_model_step_op_name(h, i)),
        label: new TextDecoder().decode(M.HEAPU8.slice(label, label + M._wt_model_step_label_len(h, i))),
        shape: Array.from({ length: M._wt_model_step_rank(h, i) }, (_, d) => M._wt_model_step_dim(h, i, d)),
        ms: M._wt_model_step_ms(h, i),
      });
    }
    const total = steps.reduce((sum, s) => sum + s.ms, 0);
    // a forward faster than the clock's resolution: spread the share evenly
    for (const s of steps) s.share = total > 0 ? s.ms / total : 1 / steps.length;
    return steps;
  }

  memoryStats() {
    const M = this.M;
    return {
      arenaBytes: M._wt_model_arena_bytes(this.handle),
      packedWeightBytes: M._wt_model_packed_bytes(this.handle),
      weightBytes: M._wt_model_weights_bytes(this.handle),
      wasmMemoryBytes: M.HEAPU8.buffer.byteLength,
      modelBytes: this.heapBytes,  // everything the model holds on the C heap, arena included
      allocCalls: M._wt_alloc_count(),
      threads: M._wt_model_threads(this.handle),
    };
  }

  dispose() {
    if (this.handle) this.M._wt_model_free(this.handle);
    this.handle = 0;
  }
}

// Emscripten 3.1.6 runs a pthread only on a Worker that has finished loading the module, and that
// handshake is handled on the loading thread's event loop: a model whose thread pool needed more
// Workers than -sPTHREAD_POOL_SIZE pre-started would wait for them forever inside a synchronous
// call. So Workers are started here, asynchronously, before loadPlan needs them.
export function readyWorkers(M) {
  return M.PThread ? M.PThread.unusedWorkers.filter((w) => w.loaded).length : 0;
}

export async function prepareThreads(M, threads) {
  const P = M.PThread;
  if (threads <= 1 || !P) return;  // a single-threaded module rejects threads > 1 at load
  const pending = [];
  for (let n = P.unusedWorkers.length; n < threads - 1; n++) {
    P.allocateUnusedWorker();
    const worker = P.unusedWorkers[P.unusedWorkers.length - 1];
    pending.push(new Promise((resolve) => P.loadWasmModuleToWorker(worker, resolve)));
  }
  await Promise.all(pending);
}

// Validates and loads a plan; throws PlanError (code + one-line message) when the runtime rejects it.
// threads > 1 (threaded module only) needs that many - 1 idle Workers: await prepareThreads first.
export function loadPlan(M, bytes, { threads = 1 } = {}) {
  if (threads > 1 && M.PThread && readyWorkers(M) < threads - 1)
    throw new PlanError(13, `${threads} threads need ${threads - 1} idle Workers, ${readyWorkers(M)} are `
      + `ready: await prepareThreads(M, ${threads}) before loadPlan`);
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const heapBefore = M._wt_heap_bytes_in_use();
  const ptr = M._wt_alloc(Math.max(data.length, 1));
  if (ptr === 0) throw new PlanError(12, `out of memory copying a ${data.length}-byte plan`);
  M.HEAPU8.set(data, ptr);
  const handle = M._wt_model_load(ptr, data.length, threads);
  M._wt_free(ptr);  // the model keeps what it needs (packed weights, a copy of other constants)
  if (handle === 0) throw lastError(M);
  const model = new PlanModel(M, handle);
  model.heapBytes = M._wt_heap_bytes_in_use() - heapBefore;
  return model;
}
