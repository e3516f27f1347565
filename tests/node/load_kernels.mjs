// Loads a kernel module variant under Node. Emscripten 3.1.6's ES6 glue uses require/__dirname
// in its Node branch, and Node 20's global fetch cannot read file URLs, so shim both and pass
// the wasm bytes directly.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const KERNEL_DIR = process.env.WASM_TORCH_KERNELS
  || path.join(here, '..', '..', 'py', 'wasm_torch', 'kernels');

export async function loadKernels(variant = 'st') {
  const base = variant === 'mt' ? 'wasm-torch-kernels-mt' : 'wasm-torch-kernels';
  globalThis.require = createRequire(import.meta.url);
  globalThis.__dirname = KERNEL_DIR;
  const { default: factory } = await import(path.join(KERNEL_DIR, `${base}.mjs`));
  return factory({ wasmBinary: readFileSync(path.join(KERNEL_DIR, `${base}.wasm`)) });
}

// The threaded variant's pthread pool keeps Node's event loop alive; end it when done.
export function unloadKernels(M) {
  if (M.PThread) M.PThread.terminateAllThreads();
}

// Deterministic random numbers for kernel tests (mulberry32): a failure reproduces exactly.
export function rng(seed) {  // mulberry32, deterministic
  return () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
