// f32-resize family: the tap arithmetic (wt_resize_taps) against a float32 JS oracle of torch's CPU
// upsample index math (nearest, nearest-exact, linear, cubic), and NHWC nearest/bilinear/bicubic images through the scalar twin (variant 0) and the
// wasmsimd kernel (variant 1), bit for bit against each other and against a float64 oracle. Odd
// sizes and channel counts cover every c8/c4/tail split; sentinels around every output catch
// writes outside it. Both module variants (st, mt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, rng, unloadKernels } from './load_kernels.mjs';

const ALIGN = 1, LINEAR = 2, SHORTCUT = 4, EXACT = 8, FMA = 16, CUBIC = 32;
const FLAGS = [0, SHORTCUT, EXACT, EXACT | FMA, LINEAR, LINEAR | ALIGN];
const SIZES = [[1, 1], [1, 5], [3, 3], [3, 6], [3, 7], [7, 2], [7, 17], [5, 14], [2, 1]];
const CHANNELS = [1, 3, 4, 7, 8, 9, 17, 33];
const PAD = 8;
const SENTINEL = -12345.5;
const f = Math.fround;

// torch's upsample index math in float32 (area_pixel_compute_scale, nearest_idx, linear lambdas)
function tapOracle(flags, scale, inn, out, i) {
  const last = inn - 1;
  if (!(flags & LINEAR)) {
    if ((flags & SHORTCUT) && (out === inn || out === 2 * inn)) return [out === inn ? i : i >> 1, null, 1, 0];
    const s = scale > 0 ? scale : f(inn / out);
    let src = f(i * s);
    if (flags & EXACT) {  // one rounding of s * (i + 0.5) - 0.5 (FMA), or two
      src = flags & FMA ? f(s * (i + 0.5) - 0.5) : f(f(s * (i + 0.5)) - 0.5);
      src = f(Math.max(src, 0) + 0.5);
    }
    const i0 = Math.min(Math.floor(src), last);
    return [i0, i0, 1, 0];
  }
  if (out === inn) return [i, i, 1, 0];
  let src;
  if (flags & ALIGN) src = f((out > 1 ? f(last / (out - 1)) : 0) * i);
  else src = Math.max(f(f((scale > 0 ? scale : f(inn / out)) * (i + 0.5)) - 0.5), 0);
  const i0 = Math.min(Math.floor(src), last);
  const l = Math.min(Math.max(f(src - i0), 0), 1);
  return [i0, i0 + (i0 < last ? 1 : 0), f(1 - l), l];
}

// torch's bicubic taps in float32: cubic convolution (A = -0.75) of t + 1, t, 1 - t, 2 - t
const cubic1 = (x) => f(f(f(f(f(1.25 * x) - 2.25) * x) * x) + 1);
const cubic2 = (x) => f(f(f(f(f(f(-0.75 * x) + 3.75) * x) - 6) * x) + 3);

function cubicOracle(flags, scale, inn, out, i) {
  const last = inn - 1;
  const src = flags & ALIGN ? f((out > 1 ? f(last / (out - 1)) : 0) * i)
    : f(f((scale > 0 ? scale : f(inn / out)) * (i + 0.5)) - 0.5);
  const i0 = Math.min(Math.floor(src), last);
  const t = Math.min(Math.max(f(src - i0), 0), 1);
  return [[0, 1, 2, 3].map((j) => Math.min(Math.max(i0 - 1 + j, 0), last)),
    [cubic2(f(t + 1)), cubic1(t), cubic1(f(1 - t)), cubic2(f(2 - t))]];
}

function cubicTaps(M, flags, scale, inn, out) {
  const p = M._wt_alloc(32 * out);
  M._wt_resize_cubic_taps(flags, scale, inn, out, p);
  const i32 = new Int32Array(M.HEAPU8.buffer, p, 8 * out).slice();
  const f32 = new Float32Array(M.HEAPU8.buffer, p, 8 * out).slice();
  M._wt_free(p);
  return { raw: i32, list: Array.from({ length: out }, (_, i) => [Array.from(i32.slice(8 * i, 8 * i + 4)), Array.from(f32.slice(8 * i + 4, 8 * i + 8))]) };
}

function taps(M, flags, scale, inn, out) {
  const p = M._wt_alloc(16 * out);
  M._wt_resize_taps(flags, scale, inn, out, p);
  const i32 = new Int32Array(M.HEAPU8.buffer, p, 4 * out).slice();
  const f32 = new Float32Array(M.HEAPU8.buffer, p, 4 * out).slice();
  M._wt_free(p);
  return { raw: i32, list: Array.from({ length: out }, (_, i) => [i32[4 * i], i32[4 * i + 1], f32[4 * i + 2], f32[4 * i + 3]]) };
}

function put(M, bytes) {
  const p = M._wt_alloc(Math.max(bytes.byteLength, 1));
  M.HEAPU8.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), p);
  return p;
}

function runResize(M, variant, linear, [h, w, c], rows, cols, x) {
  const oh = rows.list.length, ow = cols.list.length, n = oh * ow * c;
  const px = put(M, x), pr = put(M, rows.raw), pc = put(M, cols.raw);
  const po = M._wt_alloc(4 * (n + 2 * PAD));
  M.HEAPF32.fill(SENTINEL, po / 4, po / 4 + n + 2 * PAD);
  M._wt_f32_resize2d_run(variant, linear, w, c, pr, pc, oh, ow, px, po + 4 * PAD);
  const all = M.HEAPF32.slice(po / 4, po / 4 + n + 2 * PAD);
  [px, pr, pc, po].forEach((p) => M._wt_free(p));
  for (let i = 0; i < PAD; i++)
    if (all[i] !== SENTINEL || all[PAD + n + i] !== SENTINEL) assert.fail(`variant ${variant}: wrote outside the output`);
  return all.slice(PAD, PAD + n);
}

for (const variant of ['st', 'mt']) {
  test(`f32 resize: taps as torch maps them, nearest/bilinear images, scalar = wasmsimd (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      let seed = 1;
      for (const flags of FLAGS)
        for (const [inn, out] of SIZES)
          for (const scale of [0, f(inn / out), f(1 / 1.7)]) {
            const got = taps(M, flags, scale, inn, out).list;
            got.forEach((t, i) => {
              const want = tapOracle(flags, scale, inn, out, i);
              if (want[1] === null) want[1] = want[0];
              assert.deepEqual(t, want, `flags ${flags} scale ${scale} ${inn} -> ${out} [${i}]`);
            });
          }
      for (const flags of FLAGS)
        for (const [[h, oh], [w, ow]] of [[SIZES[2], SIZES[6]], [SIZES[5], SIZES[3]], [SIZES[0], SIZES[7]]])
          for (const c of CHANNELS) {
            const rand = rng(seed++);
            const x = Float32Array.from({ length: h * w * c }, () => rand() * 4 - 2);
            const rows = taps(M, flags, 0, h, oh), cols = taps(M, flags, 0, w, ow);
            const linear = flags & LINEAR ? 1 : 0;
            const [a, b] = [0, 1].map((v) => runResize(M, v, linear, [h, w, c], rows, cols, x));
            for (let i = 0; i < a.length; i++) {
              const ch = i % c, p = (i - ch) / c, r = rows.list[Math.floor(p / ow)], k = cols.list[p % ow];
              const at = (y, xx) => x[(y * w + xx) * c + ch];
              const want = linear ? r[2] * (k[2] * at(r[0], k[0]) + k[3] * at(r[0], k[1]))
                + r[3] * (k[2] * at(r[1], k[0]) + k[3] * at(r[1], k[1])) : at(r[0], k[0]);
              if (!Object.is(a[i], b[i]) || Math.abs(a[i] - want) > 1e-5)
                assert.fail(`flags ${flags} ${h}x${w}x${c} -> ${oh}x${ow} [${i}]: scalar ${a[i]}, wasmsimd ${b[i]}, want ${want}`);
            }
          }
    } finally {
      unloadKernels(M);
    }
  });

  test(`f32 resize: bicubic taps and images, scalar = wasmsimd (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      for (const flags of [CUBIC, CUBIC | ALIGN])
        for (const [inn, out] of SIZES)
          for (const scale of [0, f(inn / out), f(1 / 1.7)])
            cubicTaps(M, flags, scale, inn, out).list.forEach((t, i) =>
              assert.deepEqual(t, cubicOracle(flags, scale, inn, out, i), `cubic flags ${flags} ${inn} -> ${out} [${i}]`));
      let seed = 900;
      for (const flags of [CUBIC, CUBIC | ALIGN])
        for (const [[h, oh], [w, ow]] of [[SIZES[2], SIZES[6]], [SIZES[5], SIZES[3]], [SIZES[0], SIZES[7]]])
          for (const c of CHANNELS) {
            const rand = rng(seed++);
            const x = Float32Array.from({ length: h * w * c }, () => rand() * 4 - 2);
            const rows = cubicTaps(M, flags, 0, h, oh), cols = cubicTaps(M, flags, 0, w, ow);
            const px = put(M, x), pr = put(M, rows.raw), pc = put(M, cols.raw), n = oh * ow * c;
            const po = M._wt_alloc(4 * (n + 2 * PAD));
            const [a, b] = [0, 1].map((v) => {
              M.HEAPF32.fill(SENTINEL, po / 4, po / 4 + n + 2 * PAD);
              M._wt_f32_resize2d_cubic_run(v, w, c, pr, pc, oh, ow, px, po + 4 * PAD);
              const all = M.HEAPF32.slice(po / 4, po / 4 + n + 2 * PAD);
              for (let i = 0; i < PAD; i++)
                if (all[i] !== SENTINEL || all[PAD + n + i] !== SENTINEL) assert.fail(`cubic v${v}: wrote outside the output`);
              return all.slice(PAD, PAD + n);
            });
            [px, pr, pc, po].forEach((p) => M._wt_free(p));
            for (let i = 0; i < n; i++) {
              const ch = i % c, p = (i - ch) / c, [ri, rw] = rows.list[Math.floor(p / ow)], [ci, cw] = cols.list[p % ow];
              let want = 0;
              for (let j = 0; j < 4; j++)
                for (let k = 0; k < 4; k++) want += rw[j] * cw[k] * x[(ri[j] * w + ci[k]) * c + ch];
              if (!Object.is(a[i], b[i]) || Math.abs(a[i] - want) > 1e-5)
                assert.fail(`cubic flags ${flags} ${h}x${w}x${c} -> ${oh}x${ow} [${i}]: scalar ${a[i]}, wasmsimd ${b[i]}, want ${want}`);
            }
          }
    } finally {
      unloadKernels(M);
    }
  });
}
