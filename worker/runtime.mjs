// The runtime worker: owns one kernel module instance and runs .wtm plans on it, so the page's main
// thread never blocks on a forward pass (and the pthreads variant may block on Atomics.wait here).
// The threaded module when the page is cross-origin isolated and more than one thread is asked for,
// the single-threaded one otherwise. Protocol (every request has an id; every reply echoes it):
//   {cmd: 'init', threads}                       -> {variant, threads, crossOriginIsolated}
//   {cmd: 'load', plan: ArrayBuffer}             -> {model, inputs, outputs, stats}
//   {cmd: 'forward', model, inputs: [typed arrays]} -> {outputs: [typed arrays]} (transferred)
//   {cmd: 'profile', model, inputs?}             -> {steps}  (one timed forward; last inputs by default)
//   {cmd: 'stats', model}                        -> {stats}
//   {cmd: 'dispose', model}                      -> {}
// Errors reply {error, code}: the plan runtime's one-line message (PlanError), never a trap.
import { loadPlan, prepareThreads } from '../runtime/wtm.mjs';

let M = null;
let info = null;
const models = new Map();
let nextModel = 1;

async function init({ threads }) {
  if (M) return info;
  const wanted = Math.max(1, Math.floor(threads || 1));
  const threaded = self.crossOriginIsolated && wanted > 1;
  const name = threaded ? 'wasm-torch-kernels-mt' : 'wasm-torch-kernels';
  const { default: factory } = await import(`../kernels/${name}.mjs`);
  M = await factory();
  const got = threaded ? wanted : 1;
  await prepareThreads(M, got);
  info = { variant: threaded ? 'mt' : 'st', threads: got, crossOriginIsolated: Boolean(self.crossOriginIsolated) };
  return info;
}

function get(id) {
  const model = models.get(id);
  if (!model) throw Object.assign(new Error(`no model ${id} (disposed?)`), { code: 14 });
  return model;
}

function describe(io) {
  return io.map(({ name, shape, dtype }) => ({ name, shape, dtype }));
}

function stats(entry) {
  const s = entry.model.memoryStats();
  // weightBytes: all the model holds but the arena (weights as packed/folded at load, per-op state)
  return { wasmBytes: s.wasmMemoryBytes, arenaBytes: s.arenaBytes, weightBytes: s.modelBytes - s.arenaBytes,
    threads: s.threads };
}

function forward(entry, inputs) {
  inputs.forEach((x, i) => entry.model.setInput(i, x));
  entry.model.forward();
  entry.last = inputs;
  return entry.model.outputs.map((_, i) => entry.model.output(i));
}

const handlers = {
  init,
  async load({ plan }) {
    if (!M) throw new Error('the runtime is not initialised: send init first');
    // every live model owns a pool of threads - 1 Workers: start more when earlier models hold them
    await prepareThreads(M, info.threads);
    const model = loadPlan(M, new Uint8Array(plan), { threads: info.threads });
    const id = nextModel++;
    const entry = { model, last: null };
    models.set(id, entry);
    return { model: id, inputs: describe(model.inputs), outputs: describe(model.outputs), stats: stats(entry) };
  },
  forward({ model, inputs }) {
    const outputs = forward(get(model), inputs);
    return { result: { outputs }, transfer: outputs.map((y) => y.buffer) };
  },
  profile({ model, inputs }) {
    const entry = get(model);
    const xs = inputs || entry.last;
    if (!xs) throw Object.assign(new Error('profile: run forward once first or pass inputs'), { code: 14 });
    entry.model.setProfiling(true);
    try {
      forward(entry, xs);
      return { steps: entry.model.profile() };
    } finally {
      entry.model.setProfiling(false);
    }
  },
  stats({ model }) {
    return { stats: stats(get(model)) };
  },
  dispose({ model }) {
    const entry = models.get(model);
    if (entry) entry.model.dispose();
    models.delete(model);
    return {};
  },
};

self.onmessage = async ({ data }) => {
  const { id, cmd } = data;
  try {
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unknown command ${cmd}`);
    const out = await handler(data);
    if (out && out.transfer) self.postMessage({ id, ...out.result }, out.transfer);
    else self.postMessage({ id, ...out });
  } catch (e) {
    self.postMessage({ id, error: String(e.message || e), code: e.code ?? null });
  }
};
