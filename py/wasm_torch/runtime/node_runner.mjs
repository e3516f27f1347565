// Runs a .wtm plan on the kernel module under Node: the CPython side of `--backend wasm`
// (py/wasm_torch/runtime/wasm.py spawns it). .npy in, .npy out.
//
//   node node_runner.mjs --plan model.wtm [--kernels DIR] [--variant st|mt] [--threads N]
//        [--repeat N] [--profile] [--out-dir DIR] x0.npy x1.npy ...
//
// Prints one JSON line on stdout: output shapes and memory statistics (allocation calls and wasm
// memory size around the forward calls); with --profile, also `profile`: per step of the last
// forward call {op, label, shape, ms, share} (wtm.mjs PlanModel.profile).
// Exit 0 on success; 2 with "wasm-torch: error: ..." on stderr when the plan or an input is rejected.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { encodeNpy, parseNpy } from './npy.mjs';
import { loadPlan, PlanError, prepareThreads } from './wtm.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const opts = { kernels: path.join(here, '..', 'kernels'), variant: 'st', threads: 1, repeat: 1, inputs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new PlanError(14, `${a} needs a value`);
      return argv[++i];
    };
    if (a === '--plan') opts.plan = value();
    else if (a === '--kernels') opts.kernels = value();
    else if (a === '--variant') opts.variant = value();
    else if (a === '--threads') opts.threads = Number(value());
    else if (a === '--repeat') opts.repeat = Number(value());
    else if (a === '--out-dir') opts.outDir = value();
    else if (a === '--profile') opts.profile = true;
    else if (a.startsWith('--')) throw new PlanError(14, `unknown option ${a}`);
    else opts.inputs.push(a);
  }
  if (!opts.plan) throw new PlanError(14, '--plan is required');
  if (!['st', 'mt'].includes(opts.variant)) throw new PlanError(14, `--variant must be st or mt`);
  if (!Number.isInteger(opts.threads) || !Number.isInteger(opts.repeat) || opts.repeat < 1)
    throw new PlanError(14, '--threads and --repeat take positive integers');
  return opts;
}

// Emscripten 3.1.6's ES6 glue uses require/__dirname in its Node branch, and Node's fetch cannot
// read file URLs: shim both and hand over the wasm bytes.
export async function loadKernels(dir, variant) {
  const base = variant === 'mt' ? 'wasm-torch-kernels-mt' : 'wasm-torch-kernels';
  globalThis.require = createRequire(import.meta.url);
  globalThis.__dirname = dir;
  const { default: factory } = await import(pathToFileURL(path.join(dir, `${base}.mjs`)).href);
  return factory({ wasmBinary: readFileSync(path.join(dir, `${base}.wasm`)) });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const M = await loadKernels(opts.kernels, opts.variant);
  try {
    await prepareThreads(M, opts.threads);
    const model = loadPlan(M, readFileSync(opts.plan), { threads: opts.threads });
    if (opts.inputs.length !== model.inputs.length)
      throw new PlanError(14, `the model takes ${model.inputs.length} inputs, ${opts.inputs.length} given`);
    opts.inputs.forEach((file, i) => {
      const { shape, data } = parseNpy(readFileSync(file), file);
      const want = model.inputs[i].shape;
      if (shape.length !== want.length || shape.some((d, j) => d !== want[j]))
        throw new PlanError(14, `input ${model.inputs[i].name}: shape [${shape}], the plan expects [${want}]`);
      model.setInput(i, data);
    });
    if (opts.profile) model.setProfiling(true);
    const before = model.memoryStats();
    for (let r = 0; r < opts.repeat; r++) model.forward();
    const after = model.memoryStats();
    const outputs = model.outputs.map((io, i) => {
      if (opts.outDir) writeFileSync(path.join(opts.outDir, `output_${i}.npy`), encodeNpy(io.shape, model.output(i), io.dtype));
      return { name: io.name, shape: io.shape };
    });
    const report = JSON.stringify({
      outputs, forward_calls: opts.repeat, memory: after,
      alloc_calls_during_forward: after.allocCalls - before.allocCalls,
      wasm_memory_growth: after.wasmMemoryBytes - before.wasmMemoryBytes,
      ...(opts.profile ? { profile: model.profile() } : {}),
    }) + '\n';
    // a pipe is written asynchronously: wait, or process.exit cuts a long report (a profile)
    await new Promise((resolve) => process.stdout.write(report, resolve));
    model.dispose();
  } finally {
    if (M.PThread) M.PThread.terminateAllThreads();
  }
}

main().then(() => process.exit(0), (e) => {
  const status = e instanceof PlanError ? ` [${e.code}]` : '';
  process.stderr.write(`wasm-torch: error: ${e instanceof PlanError ? e.message : e.stack || e}${status}\n`);
  process.exit(e instanceof PlanError ? 2 : 1);
});
