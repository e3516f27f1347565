// ns/element of the elementwise and row-wise normalisation kernels, single thread: the scalar twin
// (variant 0) vs wasmsimd (variant 1). Not a test.
// Usage: node tools/bench_elementwise.mjs [st|mt]   (module variant; default st)
// Each cell: median of 7 samples; a sample times enough back-to-back calls to last >= 30 ms, and
// the two variants' samples alternate so that a noisy neighbour slows them alike.
// Unary ops run on 1M elements (4 MB in, 4 MB out: past the L2, so the cheap ops measure memory
// bandwidth); softmax / log_softmax on [128, 256], layer_norm / rms_norm on [128, 128];
// binary add on 1M elements, same shape and [C]-bias broadcast over [N*H*W, C] rows.
import { loadKernels, unloadKernels } from '../tests/node/load_kernels.mjs';

const SAMPLES = 7, MIN_SAMPLE_MS = 30;
const moduleVariant = process.argv[2] || 'st';
const M = await loadKernels(moduleVariant);

const UNARY = [
  ['relu', 0, []], ['clamp (relu6)', 1, [0, 6]], ['leaky_relu', 2, [0.01]], ['sigmoid', 3, []],
  ['tanh', 4, []], ['silu', 5, []], ['gelu (erf)', 6, []], ['gelu (tanh)', 7, []],
  ['hardswish', 8, []], ['hardsigmoid', 9, []], ['elu', 10, [1, 1, 1]], ['softplus', 11, [1, 20]],
  ['exp', 12, []], ['abs', 13, []], ['neg', 14, []], ['sqrt', 15, []], ['rsqrt', 16, []],
];

function alloc(floats, fill) {
  const p = M._wt_alloc(floats * 4);
  const h = M.HEAPF32;
  for (let i = 0; i < floats; i++) h[p / 4 + i] = fill(i);
  return p;
}

// calls[v]() runs variant v once; returns median ns/element per variant.
function bench(elements, calls) {
  const runs = calls.map((call) => {
    call();  // warm-up (tier-up, page-in)
    const t0 = performance.now();
    call();
    const once = Math.max(performance.now() - t0, 1e-3);
    return { call, iters: Math.max(1, Math.ceil(MIN_SAMPLE_MS / once)), ns: [] };
  });
  for (let s = 0; s < SAMPLES; s++) {
    for (const r of runs) {
      const t0 = performance.now();
      for (let i = 0; i < r.iters; i++) r.call();
      r.ns.push(((performance.now() - t0) * 1e6) / (r.iters * elements));
    }
  }
  return runs.map((r) => r.ns.sort((a, b) => a - b)[SAMPLES >> 1]);
}

const rows = [];
const N = 1 << 20;
const px = alloc(N, (i) => Math.sin(i * 0.001) * 6 + 0.5), py = alloc(N, () => 0);
for (const [name, op, p] of UNARY) {
  const ns = bench(N, [0, 1].map((v) => () => M._wt_f32_vunary(v, op, N, px, py, p[0] ?? 0, p[1] ?? 0, p[2] ?? 0)));
  rows.push([`${name} [1M]`, ...ns]);
}

const shapes = M._wt_alloc(64);
const u32 = () => new Uint32Array(M.HEAPU8.buffer, shapes, 16);
const pb = alloc(N, (i) => Math.cos(i * 0.003));
u32().set([N, 0, 0, 0, 0, 0, 0, 0, N]);
rows.push(['add same shape [1M]', ...bench(N, [0, 1].map((v) => () =>
  M._wt_f32_vbinary_nd(v, 0, 1, shapes, 1, shapes + 32, px, pb, py, -Infinity, Infinity)))]);
u32().set([N / 64, 64, 0, 0, 0, 0, 0, 0, 64]);
rows.push(['add bias [16384,64]+[64]', ...bench(N, [0, 1].map((v) => () =>
  M._wt_f32_vbinary_nd(v, 0, 2, shapes, 1, shapes + 32, px, pb, py, -Infinity, Infinity)))]);

for (const log of [0, 1]) {
  const r = 128, n = 256;
  const ns = bench(r * n, [0, 1].map((v) => () => M._wt_f32_softmax_rows(v, log, r, n, px, n, py, n)));
  rows.push([`${log ? 'log_softmax' : 'softmax'} [128,256]`, ...ns]);
}
{
  const r = 128, n = 128;
  const pg = alloc(n, (i) => 1 + i * 0.01), pbeta = alloc(n, (i) => i * 0.001);
  rows.push(['layer_norm [128,128] +gamma+beta', ...bench(r * n, [0, 1].map((v) => () =>
    M._wt_f32_layernorm_rows(v, r, n, px, n, pg, pbeta, 1e-5, py, n)))]);
  rows.push(['rms_norm [128,128] +gamma', ...bench(r * n, [0, 1].map((v) => () =>
    M._wt_f32_rmsnorm_rows(v, r, n, px, n, pg, 1e-6, py, n)))]);
  M._wt_free(pg);
  M._wt_free(pbeta);
}
for (const p of [px, py, pb, shapes]) M._wt_free(p);

const table = rows.map(([name, s, v]) => [name, s.toFixed(3), v.toFixed(3), (s / v).toFixed(1) + 'x']);
const head = ['kernel (ns/element)', 'scalar', 'wasmsimd', 'speed-up'];
const width = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (r) => '| ' + r.map((x, i) => (i ? x.padStart(width[i]) : x.padEnd(width[i]))).join(' | ') + ' |';
console.log(`f32 elementwise, module ${moduleVariant}, 1 thread, median of ${SAMPLES} (node ${process.version})`);
console.log(line(head));
console.log('|' + width.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
table.forEach((r) => console.log(line(r)));
unloadKernels(M);
process.exit(0);
