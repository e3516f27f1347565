// GFLOP/s of the f32 GEMM driver (wt_f32_gemm_run), single thread: the scalar twin, the production
// wasmsimd set (4x8 loadsplat) and the alternative wasmsimd set (4x8 splat).
// Not a test. Usage: node tools/bench_gemm.mjs [st|mt]   (module variant; default st)
// Each cell: median of 7 samples; a sample times enough back-to-back calls to last >= 50 ms, and
// the variants' samples alternate so that a noisy neighbour slows them alike.
// FLOPs counted as 2*M*N*K (the bias add and clamp are not counted).
import { loadKernels, unloadKernels } from '../tests/node/load_kernels.mjs';

const SHAPES = [
  { name: 'n=64', m: 64, n: 64, k: 64 },
  { name: 'n=256', m: 256, n: 256, k: 256 },
  { name: 'n=512', m: 512, n: 512, k: 512 },
  { name: 'resnet 1x1-as-GEMM (M=3136 N=64 K=576)', m: 3136, n: 64, k: 576 },
];
const VARIANTS = [['scalar 4x4', 0], ['wasmsimd 4x8 loadsplat', 1], ['wasmsimd 4x8 splat', 2]];
const SAMPLES = 7, MIN_SAMPLE_MS = 50;

const moduleVariant = process.argv[2] || 'st';
const M = await loadKernels(moduleVariant);

// One shape, all variants: samples are interleaved across variants (round-robin) so that load from
// other processes hits every variant alike; returns the median GFLOP/s per variant.
function benchShape({ m, n, k }) {
  const pa = M._wt_alloc(m * k * 4), pw = M._wt_alloc(n * k * 4), pb = M._wt_alloc(n * 4);
  const pc = M._wt_alloc(m * n * 4);
  const heap = M.HEAPF32;
  for (let i = 0; i < m * k; i++) heap[pa / 4 + i] = ((i % 13) - 6) * 0.1;
  for (let i = 0; i < n * k; i++) heap[pw / 4 + i] = ((i % 11) - 5) * 0.1;
  for (let i = 0; i < n; i++) heap[pb / 4 + i] = 0.5;
  const runs = VARIANTS.map(([, v]) => {
    const pp = M._wt_alloc(M._wt_f32_gemm_packed_size(v, n, k));
    M._wt_f32_gemm_pack(v, n, k, pw, pb, pp);
    const call = () => M._wt_f32_gemm_run(v, m, n, k, pa, k, pp, pc, n, -Infinity, Infinity);
    call();  // warm-up (tier-up, page-in)
    const t0 = performance.now();
    call();
    const once = Math.max(performance.now() - t0, 1e-3);
    return { pp, call, iters: Math.max(1, Math.ceil(MIN_SAMPLE_MS / once)), rates: [] };
  });
  for (let s = 0; s < SAMPLES; s++) {
    for (const r of runs) {
      const t0 = performance.now();
      for (let i = 0; i < r.iters; i++) r.call();
      r.rates.push((2 * m * n * k * r.iters) / ((performance.now() - t0) / 1000) / 1e9);
    }
  }
  for (const p of [pa, pw, pb, pc, ...runs.map((r) => r.pp)]) M._wt_free(p);
  return runs.map((r) => r.rates.sort((x, y) => x - y)[SAMPLES >> 1]);
}

const rows = SHAPES.map((shape) => {
  const g = benchShape(shape);
  return [shape.name, ...g.map((x) => x.toFixed(2)), (g[1] / g[0]).toFixed(2) + 'x'];
});
const head = ['shape (GFLOP/s)', ...VARIANTS.map(([name]) => name), 'wasmsimd/scalar'];
const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => '| ' + r.map((x, i) => (i ? x.padStart(width[i]) : x.padEnd(width[i]))).join(' | ') + ' |';
console.log(`f32 GEMM, module ${moduleVariant}, 1 thread, median of ${SAMPLES} (node ${process.version})`);
console.log(line(head));
console.log('|' + width.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
rows.forEach((r) => console.log(line(r)));
unloadKernels(M);
process.exit(0);
