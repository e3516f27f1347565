// Milliseconds per call of the f32 depthwise-convolution driver (wt_f32_dwconv_run, NHWC, fused
// bias + ReLU6), single thread, per kernel set (include/wt_dwconv.h): the scalar twin, the
// production wasmsimd tap loop (8 channels x 2 pixels), the 16-channel tap loop, and XNNPACK's
// unrolled 9p4c/25p4c ("up"; its 7x7 runs the 4-channel tap loop), on MobileNetV2's depthwise
// layers (224x224 input) plus a 5x5 (EfficientNet-B0) and a 7x7 (ConvNeXt-T) layer.
// Not a test. Usage: node tools/bench_dwconv.mjs [st|mt]   (module variant; default st)
// Each cell: median of 7 samples; a sample times enough back-to-back calls to last >= 50 ms, and
// the variants' samples alternate so that a noisy neighbour slows them alike. GFLOP/s counts
// 2*N*OH*OW*C*KH*KW (bias and clamp not counted).
import { loadKernels, unloadKernels } from '../tests/node/load_kernels.mjs';

const SHAPES = [
  { name: 'MobileNetV2 112x112x32 3x3 s1', h: 112, w: 112, c: 32, k: 3, s: 1 },
  { name: 'MobileNetV2 112x112x96 3x3 s2', h: 112, w: 112, c: 96, k: 3, s: 2 },
  { name: 'MobileNetV2 56x56x144 3x3 s1', h: 56, w: 56, c: 144, k: 3, s: 1 },
  { name: 'MobileNetV2 28x28x192 3x3 s1', h: 28, w: 28, c: 192, k: 3, s: 1 },
  { name: 'MobileNetV2 14x14x576 3x3 s1', h: 14, w: 14, c: 576, k: 3, s: 1 },
  { name: 'MobileNetV2 7x7x960 3x3 s1', h: 7, w: 7, c: 960, k: 3, s: 1 },
  { name: 'EfficientNet-B0 28x28x240 5x5 s1', h: 28, w: 28, c: 240, k: 5, s: 1 },
  { name: 'ConvNeXt-T 56x56x96 7x7 s1', h: 56, w: 56, c: 96, k: 7, s: 1 },
];
const VARIANTS = [['scalar', 0], ['wasmsimd np8c2px', 1], ['wasmsimd np16c', 2], ['wasmsimd up 4c', 3]];
const SAMPLES = 7, MIN_SAMPLE_MS = 50;

const moduleVariant = process.argv[2] || 'st';
const M = await loadKernels(moduleVariant);

// One shape, all variants, samples interleaved round-robin; returns the median ms per variant.
function benchShape({ h, w, c, k, s }) {
  const pad = (k - 1) >> 1;
  const oh = Math.floor((h + 2 * pad - k) / s) + 1, ow = Math.floor((w + 2 * pad - k) / s) + 1;
  const px = M._wt_alloc(h * w * c * 4), pw = M._wt_alloc(c * k * k * 4), pb = M._wt_alloc(c * 4);
  const py = M._wt_alloc(oh * ow * c * 4);
  const ps = M._wt_alloc(M._wt_f32_dwconv_scratch_size(c, k, k, s, 1, ow));
  const heap = M.HEAPF32;
  for (let i = 0; i < h * w * c; i++) heap[px / 4 + i] = ((i % 13) - 6) * 0.1;
  for (let i = 0; i < c * k * k; i++) heap[pw / 4 + i] = ((i % 11) - 5) * 0.1;
  for (let i = 0; i < c; i++) heap[pb / 4 + i] = 0.5;
  const runs = VARIANTS.map(([, v]) => {
    const pp = M._wt_alloc(M._wt_f32_dwconv_packed_size(v, c, k, k));
    M._wt_f32_dwconv_pack(v, c, k, k, pw, pb, pp);
    const call = () => M._wt_f32_dwconv_run(v, 1, h, w, c, k, k, s, s, pad, pad, pad, pad, 1, 1,
      px, c, pp, py, c, oh, ow, 0, 6, ps);
    call();  // warm-up (tier-up, page-in)
    const t0 = performance.now();
    call();
    const once = Math.max(performance.now() - t0, 1e-3);
    return { pp, call, iters: Math.max(1, Math.ceil(MIN_SAMPLE_MS / once)), ms: [] };
  });
  for (let i = 0; i < SAMPLES; i++) {
    for (const r of runs) {
      const t0 = performance.now();
      for (let j = 0; j < r.iters; j++) r.call();
      r.ms.push((performance.now() - t0) / r.iters);
    }
  }
  for (const p of [px, pw, pb, py, ps, ...runs.map((r) => r.pp)]) M._wt_free(p);
  const flops = 2 * oh * ow * c * k * k;
  return runs.map((r) => {
    const ms = r.ms.sort((x, y) => x - y)[SAMPLES >> 1];
    return { ms, gflops: flops / (ms / 1000) / 1e9 };
  });
}

const rows = SHAPES.map((shape) => {
  const g = benchShape(shape);
  return [shape.name, ...g.map((x) => `${x.ms.toFixed(3)} (${x.gflops.toFixed(2)})`),
    (g[0].ms / g[1].ms).toFixed(2) + 'x'];
});
const head = ['shape: ms (GFLOP/s)', ...VARIANTS.map(([name]) => name), 'scalar/wasmsimd'];
const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => '| ' + r.map((x, i) => (i ? x.padStart(width[i]) : x.padEnd(width[i]))).join(' | ') + ' |';
console.log(`f32 dwconv NHWC + bias + ReLU6, N=1, module ${moduleVariant}, 1 thread, median of ${SAMPLES} (node ${process.version})`);
console.log(line(head));
console.log('|' + width.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
rows.forEach((r) => console.log(line(r)));
unloadKernels(M);
process.exit(0);
