// Time of f32 conv2d in NHWC (wt_f32_conv2d_run: im2col tiles + the f32 GEMM, or the GEMM alone
// for 1x1 stride 1) on ResNet-18's convolution shapes, single thread: the scalar GEMM config and the
// production wasmsimd config; for reference, the wasmsimd GEMM alone on the same M x N x K (what
// im2col costs on top). Not a test.
// Usage: node tools/bench_conv.mjs [st|mt]   (module variant; default st)
// Each cell: median of 7 samples; a sample times enough back-to-back calls to last >= 50 ms, and the
// variants' samples alternate so that a noisy neighbour slows them alike.
// FLOPs counted as 2 * N*OH*OW * OC * KH*KW*IC/groups (bias and clamp not counted).
import { loadKernels, unloadKernels } from '../tests/node/load_kernels.mjs';

const SHAPES = [
  { name: 'conv1 7x7 s2 3->64 @224', h: 224, ic: 3, oc: 64, k: 7, s: 2, p: 3 },
  { name: 'layer1 3x3 64->64 @56', h: 56, ic: 64, oc: 64, k: 3, s: 1, p: 1 },
  { name: 'layer3.0 3x3 s2 128->256 @28', h: 28, ic: 128, oc: 256, k: 3, s: 2, p: 1 },
  { name: 'layer2.0 downsample 1x1 s2 64->128 @56', h: 56, ic: 64, oc: 128, k: 1, s: 2, p: 0 },
  { name: 'layer4 3x3 512->512 @7', h: 7, ic: 512, oc: 512, k: 3, s: 1, p: 1 },
];
const SAMPLES = 7, MIN_SAMPLE_MS = 50;

const moduleVariant = process.argv[2] || 'st';
const M = await loadKernels(moduleVariant);

function calibrate(call) {
  call();  // warm-up (tier-up, page-in)
  const t0 = performance.now();
  call();
  const once = Math.max(performance.now() - t0, 1e-3);
  return { call, iters: Math.max(1, Math.ceil(MIN_SAMPLE_MS / once)), ms: [] };
}

function benchShape({ h, ic, oc, k, s, p }) {
  const n = 1, w = h, g = 1;
  const geom = [n, h, w, ic, oc, g, k, k, s, s, p, p, p, p, 1, 1];
  const oh = M._wt_conv_out_size(h, k, s, 1, p, p), ow = oh;
  const gm = n * oh * ow, gn = oc, gk = k * k * ic;
  const pin = M._wt_alloc(n * h * w * ic * 4), pw = M._wt_alloc(oc * gk * 4), pb = M._wt_alloc(oc * 4);
  const pout = M._wt_alloc(gm * oc * 4), pa = M._wt_alloc(gm * gk * 4);
  const heap = M.HEAPF32;
  for (let i = 0; i < n * h * w * ic; i++) heap[pin / 4 + i] = ((i % 13) - 6) * 0.1;
  for (let i = 0; i < oc * gk; i++) heap[pw / 4 + i] = ((i % 11) - 5) * 0.01;
  for (let i = 0; i < oc; i++) heap[pb / 4 + i] = 0.5;
  for (let i = 0; i < gm * gk; i++) heap[pa / 4 + i] = ((i % 7) - 3) * 0.1;
  const frees = [pin, pw, pb, pout, pa];
  const conv = (v) => {
    const pp = M._wt_alloc(M._wt_f32_conv2d_packed_size(v, ...geom));
    const ps = M._wt_alloc(Math.max(M._wt_f32_conv2d_scratch_size(v, ...geom), 4));
    frees.push(pp, ps);
    M._wt_f32_conv2d_pack(v, ...geom, pw, pb, pp);
    return () => M._wt_f32_conv2d_run(v, ...geom, pin, pp, pout, ps, 0, Infinity);  // conv + relu
  };
  const gemm = (v) => {
    const pp = M._wt_alloc(M._wt_f32_gemm_packed_size(v, gn, gk));
    frees.push(pp);
    M._wt_f32_gemm_pack(v, gn, gk, pw, pb, pp);
    return () => M._wt_f32_gemm_run(v, gm, gn, gk, pa, gk, pp, pout, gn, 0, Infinity);
  };
  const runs = [calibrate(conv(0)), calibrate(conv(1)), calibrate(gemm(1))];
  for (let smp = 0; smp < SAMPLES; smp++)
    for (const r of runs) {
      const t0 = performance.now();
      for (let i = 0; i < r.iters; i++) r.call();
      r.ms.push((performance.now() - t0) / r.iters);
    }
  for (const ptr of frees) M._wt_free(ptr);
  const flop = 2 * gm * gn * gk;
  return { flop, ms: runs.map((r) => r.ms.sort((a, b) => a - b)[SAMPLES >> 1]) };
}

const rows = SHAPES.map((shape) => {
  const { flop, ms } = benchShape(shape);
  const gf = ms.map((t) => flop / (t / 1000) / 1e9);
  return [shape.name, (flop / 1e6).toFixed(0), ms[0].toFixed(2), gf[0].toFixed(2), ms[1].toFixed(2), gf[1].toFixed(2),
    (ms[0] / ms[1]).toFixed(2) + 'x', gf[2].toFixed(2)];
});
const head = ['shape (N=1)', 'MFLOP', 'scalar ms', 'scalar GFLOP/s', 'wasmsimd ms', 'wasmsimd GFLOP/s',
  'simd/scalar', 'GEMM-only GFLOP/s'];
const width = head.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r[i].length)));
const line = (r) => '| ' + r.map((x, i) => (i ? x.padStart(width[i]) : x.padEnd(width[i]))).join(' | ') + ' |';
console.log(`f32 conv2d NHWC, module ${moduleVariant}, 1 thread, median of ${SAMPLES} (node ${process.version})`);
console.log(line(head));
console.log('|' + width.map((wd, i) => (i ? '-'.repeat(wd + 1) + ':' : '-'.repeat(wd + 2))).join('|') + '|');
rows.forEach((r) => console.log(line(r)));
unloadKernels(M);
process.exit(0);
