// Microseconds per batch-1 recurrent product y[n] = x[k] . W^T (the per-step GEMV of LSTM/GRU/RNN),
// single thread: f32-gemv x32 scalar twin and wasmsimd against the production GEMM's 1-row path
// (the 1x8 loadsplat tile that ran this product before f32-gemv).
// Not a test. Usage: node tools/bench_gemv.mjs [st|mt]   (module variant; default st)
// Each cell: median of 7 samples of >= 20 ms, the variants' samples interleaved (noisy neighbours).
import { loadKernels, unloadKernels } from '../tests/node/load_kernels.mjs';

const SHAPES = [  // [n = gates * hidden, k = hidden]
  ['LSTM h=128 (lstm2)', 512, 128], ['LSTM h=256', 1024, 256], ['GRU h=64', 192, 64], ['LSTM h=17', 68, 17]];
const SAMPLES = 7, MIN_SAMPLE_MS = 20;

const moduleVariant = process.argv[2] || 'st';
const M = await loadKernels(moduleVariant);

function benchShape(n, k) {
  const px = M._wt_alloc(k * 4), pw = M._wt_alloc(n * k * 4), py = M._wt_alloc(n * 4);
  const heap = M.HEAPF32;  // after the allocations: a memory growth would detach an older view
  for (let i = 0; i < n * k; i++) heap[pw / 4 + i] = ((i % 11) - 5) * 0.01;
  for (let i = 0; i < k; i++) heap[px / 4 + i] = ((i % 7) - 3) * 0.1;
  const pv = M._wt_alloc(M._wt_f32_gemv_packed_size(n, k));
  M._wt_f32_gemv_pack(n, k, pw, 0, pv);
  const pg = M._wt_alloc(M._wt_f32_gemm_packed_size(1, n, k));
  M._wt_f32_gemm_pack(1, n, k, pw, 0, pg);
  const calls = [() => M._wt_f32_gemv(0, n, k, px, pv, py), () => M._wt_f32_gemv(1, n, k, px, pv, py),
    () => M._wt_f32_gemm_run(1, 1, n, k, px, k, pg, py, n, -Infinity, Infinity)];
  const runs = calls.map((call) => {
    for (let i = 0; i < 100; i++) call();  // warm-up (tier-up, page-in)
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) call();
    const once = Math.max((performance.now() - t0) / 100, 1e-4);
    return { call, iters: Math.max(1, Math.ceil(MIN_SAMPLE_MS / once)), us: [] };
  });
  for (let s = 0; s < SAMPLES; s++) {
    for (const r of runs) {
      const t0 = performance.now();
      for (let i = 0; i < r.iters; i++) r.call();
      r.us.push(((performance.now() - t0) * 1000) / r.iters);
    }
  }
  [px, pw, py, pv, pg].forEach((p) => M._wt_free(p));
  return runs.map((r) => r.us.sort((a, b) => a - b)[SAMPLES >> 1]);
}

const head = ['shape (us)', 'gemv x32 scalar', 'gemv x32 wasmsimd', 'gemm 1x8 wasmsimd', 'gemm/gemv'];
const rows = SHAPES.map(([name, n, k]) => {
  const t = benchShape(n, k);
  return [`${name} [${n}, ${k}]`, ...t.map((x) => x.toFixed(2)), (t[2] / t[1]).toFixed(2) + 'x'];
});
const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => '| ' + r.map((x, i) => (i ? x.padStart(width[i]) : x.padEnd(width[i]))).join(' | ') + ' |';
console.log(`f32 GEMV, module ${moduleVariant}, 1 thread, median of ${SAMPLES} (node ${process.version})`);
console.log(line(head));
console.log('|' + width.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
rows.forEach((r) => console.log(line(r)));
unloadKernels(M);
process.exit(0);
