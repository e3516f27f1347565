// Runs many .wtm plans in one Node process (the whole zoo: one process per plan would spend most
// of its time starting Node and instantiating the module).
//
//   node run_plans.mjs manifest.json
//
// manifest: { "variant": "st" | "mt", "threads": N,
//             "plans": [{ "name", "plan": file, "inputs": [.npy, ...], "out_dir": dir }, ...] }
// Writes each plan's outputs as out_dir/output_<i>.npy and prints one JSON line:
// { name: { "outputs": count } | { "error": message } } (a rejected plan does not stop the rest).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadKernels, unloadKernels } from './load_kernels.mjs';
import { encodeNpy, parseNpy } from '../../py/wasm_torch/runtime/npy.mjs';
import { loadPlan, prepareThreads } from '../../py/wasm_torch/runtime/wtm.mjs';

function runOne(M, entry, threads) {
  const model = loadPlan(M, readFileSync(entry.plan), { threads });
  try {
    const outputs = model.run(entry.inputs.map((file) => parseNpy(readFileSync(file), file).data));
    model.outputs.forEach((io, i) =>
      writeFileSync(path.join(entry.out_dir, `output_${i}.npy`), encodeNpy(io.shape, outputs[i], io.dtype)));
    return { outputs: outputs.length };
  } finally {
    model.dispose();
  }
}

const manifest = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const M = await loadKernels(manifest.variant);
const report = {};
try {
  await prepareThreads(M, manifest.threads);
  for (const entry of manifest.plans) {
    try {
      report[entry.name] = runOne(M, entry, manifest.threads);
    } catch (e) {
      report[entry.name] = { error: String(e.message || e) };
    }
  }
} finally {
  unloadKernels(M);
}
await new Promise((resolve) => process.stdout.write(JSON.stringify(report) + '\n', resolve));
