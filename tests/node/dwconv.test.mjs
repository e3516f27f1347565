// f32-dwconv family (XNNPACK-style tester): depthwise convolution in NHWC, every wasmsimd kernel set
// (tap loop 8c x 2 pixels = production, tap loop 16c, XNNPACK's unrolled 9p4c/25p4c + tap loop 4c)
// against the scalar twin (bit-exact: same tap order, separate multiply and add, no FMA) and a
// float64 JS oracle of PyTorch's conv2d(groups=C) computed in NCHW and compared in NHWC, in both
// module variants.
// Cases: 3x3 (9p kernels), 5x5 (25p), 1x1, 2x3 and 7x7 (tap-loop kernels) x channel tails
// (C in 1, 3, 4, 7, 8, 17, 33, plus 15, 23, 31 for the 8/4/1..3 blocks of the 16-channel tile)
// with N, H, W (odd and even widths for the 2-pixel step), stride, padding (symmetric and
// asymmetric), dilation
// and dense / strided pixels rotated so each meets each; every case runs the none/relu/relu6
// clamps. Sentinels catch writes outside the outputs (before, after, between strided pixels) and
// past the packed weights and the scratch area; NaN between strided input pixels catches reads
// of them; the scratch starts out as NaN garbage, which must not matter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, rng, unloadKernels } from './load_kernels.mjs';

const SCALAR = 0, WASMSIMD = 1, WASMSIMD_16C = 2, WASMSIMD_UP = 3;
const VARIANTS = [SCALAR, WASMSIMD, WASMSIMD_16C, WASMSIMD_UP];
const CHANNEL_TILES = [1, 8, 16, 4];
const CHANNELS = [1, 3, 4, 7, 8, 17, 33];
const SPATIAL = [1, 3, 7, 17];
const KERNELS = [[3, 3], [5, 5], [1, 1], [2, 3], [7, 7]];
// [top, left, bottom, right]
const PADS = [[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2], [0, 1, 1, 0], [2, 0, 1, 3], [1, 2, 0, 1]];
const CLAMPS = [
  { name: 'none', min: -Infinity, max: Infinity },
  { name: 'relu', min: 0, max: Infinity },
  { name: 'relu6', min: 0, max: 6 },
];
const SENTINEL = -12345.5;
const PAD = 5;  // sentinel floats before and after the output, and past packed weights / scratch

const outSize = (inp, p0, p1, k, s, d) => {
  const padded = inp + p0 + p1, extent = d * (k - 1) + 1;
  return padded >= extent ? Math.floor((padded - extent) / s) + 1 : 0;
};

// Two cases per (kernel, C) pair with the other attributes drawn from a fixed-seed generator (so
// each value meets many others); H and W grow along SPATIAL until the output is not empty.
function cases() {
  const out = [];
  const pick = rng(7), choose = (xs) => xs[Math.floor(pick() * xs.length)];
  KERNELS.forEach(([kh, kw]) => CHANNELS.forEach((c) => {
    for (let r = 0; r < 2; r++) {
      const cs = {
        n: choose([1, 2]), c, kh, kw, sh: choose([1, 2]), sw: choose([1, 2]), pad: choose(PADS),
        dh: choose([1, 1, 2]), dw: choose([1, 1, 2]),
      };
      cs.xs = c + choose([0, 0, 3]);
      cs.ys = c + choose([0, 0, 2]);
      let hi = Math.floor(pick() * 4), wi = Math.floor(pick() * 4);
      while (hi < 3 && outSize(SPATIAL[hi], cs.pad[0], cs.pad[2], kh, cs.sh, cs.dh) === 0) hi++;
      while (wi < 3 && outSize(SPATIAL[wi], cs.pad[1], cs.pad[3], kw, cs.sw, cs.dw) === 0) wi++;
      out.push({ ...cs, h: SPATIAL[hi], w: SPATIAL[wi] });
    }
  }));
  const add = (o) => out.push({ n: 1, dh: 1, dw: 1, xs: o.c, ys: o.c, ...o });
  // MobileNet-like blocks: 3x3 s1 p1 and s2 with TF-style "same" padding, channel tails of 8.
  add({ h: 17, w: 17, c: 33, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1, 1, 1] });
  add({ n: 2, h: 17, w: 16, c: 20, kh: 3, kw: 3, sh: 2, sw: 2, pad: [0, 0, 1, 1] });
  add({ h: 9, w: 12, c: 12, kh: 5, kw: 5, sh: 2, sw: 1, pad: [2, 2, 2, 2], xs: 15, ys: 13 });
  // stride > kernel (no pointer reuse between pixels), large dilation (taps entirely in padding)
  add({ h: 17, w: 17, c: 7, kh: 2, kw: 3, sh: 4, sw: 5, pad: [1, 2, 1, 2] });
  add({ h: 3, w: 3, c: 9, kh: 3, kw: 3, sh: 1, sw: 1, pad: [2, 2, 2, 2], dh: 2, dw: 2 });
  add({ h: 7, w: 7, c: 5, kh: 3, kw: 3, sh: 1, sw: 1, pad: [0, 0, 0, 0], dh: 3, dw: 3 });
  add({ h: 1, w: 17, c: 4, kh: 1, kw: 5, sh: 1, sw: 3, pad: [0, 2, 0, 2], dw: 2 });
  // 16-channel tile tails: 8 + 4 + 3, 16 + 4 + 3, 16 + 8 + 4 + 3
  add({ n: 2, h: 7, w: 8, c: 15, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1, 1, 1] });
  add({ h: 7, w: 7, c: 23, kh: 7, kw: 7, sh: 1, sw: 1, pad: [3, 3, 3, 3], ys: 25 });
  add({ h: 6, w: 9, c: 31, kh: 5, kw: 5, sh: 1, sw: 2, pad: [2, 2, 2, 2], xs: 32 });
  // empty outputs: the kernel window does not fit; nothing may be written
  add({ h: 1, w: 3, c: 3, kh: 3, kw: 3, sh: 1, sw: 1, pad: [0, 0, 0, 0] });
  add({ h: 3, w: 1, c: 8, kh: 3, kw: 3, sh: 1, sw: 1, pad: [0, 0, 0, 0], dh: 2 });
  return out;
}

function alloc(M, floats) {
  const p = M._wt_alloc(Math.max(floats, 1) * 4);
  assert.notEqual(p, 0);
  return p;
}

// float64 oracle of torch.clamp(F.conv2d(F.pad(x, (l, r, t, b)), w, bias, stride, 0, dilation,
// groups=C), min, max): x arrives NHWC (pixel stride xs), is transposed to NCHW, convolved in
// NCHW, and the result transposed back to dense NHWC for comparison.
function oracle(cs, oh, ow, x, w, bias, min, max) {
  const { n: N, h: H, w: W, c: C, kh: KH, kw: KW, sh, sw, dh, dw, xs } = cs;
  const [pt, pl] = cs.pad;
  const nchw = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++)
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++)
        for (let c = 0; c < C; c++) nchw[((n * C + c) * H + y) * W + xx] = x[((n * H + y) * W + xx) * xs + c];
  const onchw = new Float64Array(N * C * oh * ow);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let s = bias[c];
          for (let ky = 0; ky < KH; ky++) {
            const iy = oy * sh + ky * dh - pt;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < KW; kx++) {
              const ix = ox * sw + kx * dw - pl;
              if (ix < 0 || ix >= W) continue;
              s += nchw[((n * C + c) * H + iy) * W + ix] * w[(c * KH + ky) * KW + kx];
            }
          }
          onchw[((n * C + c) * oh + oy) * ow + ox] = Math.min(Math.max(s, min), max);
        }
  const ref = new Float64Array(N * oh * ow * C);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < oh * ow; p++) ref[(n * oh * ow + p) * C + c] = onchw[(n * C + c) * oh * ow + p];
  return ref;
}

// Packs w/bias for a variant; checks the size and that pack writes every slot and no more.
function pack(M, variant, c, kh, kw, pw, pb) {
  const bytes = M._wt_f32_dwconv_packed_size(variant, c, kh, kw);
  const ct = M._wt_f32_dwconv_channel_tile(variant);
  assert.equal(bytes, Math.ceil(c / ct) * ct * (kh * kw + 1) * 4);
  const pp = alloc(M, bytes / 4 + PAD);
  M.HEAPF32.fill(SENTINEL, pp / 4, pp / 4 + bytes / 4 + PAD);
  M._wt_f32_dwconv_pack(variant, c, kh, kw, pw, pb, pp);
  const packed = M.HEAPF32.subarray(pp / 4, pp / 4 + bytes / 4 + PAD);
  assert.equal(packed.indexOf(SENTINEL), bytes / 4, `pack v${variant}: slot left unwritten or written past size`);
  return pp;
}

function runCase(M, cs, seed) {
  const { n: N, h: H, w: W, c: C, kh: KH, kw: KW, sh, sw, dh, dw, xs, ys } = cs;
  const [pt, pl, pb, pr] = cs.pad;
  const oh = outSize(H, pt, pb, KH, sh, dh), ow = outSize(W, pl, pr, KW, sw, dw);
  const rand = rng(seed);
  const x = new Float32Array(N * H * W * xs).fill(NaN);  // NaN between pixels: reading it poisons
  for (let p = 0; p < N * H * W; p++) for (let c = 0; c < C; c++) x[p * xs + c] = rand() * 2 - 1;
  const w = Float32Array.from({ length: C * KH * KW }, () => rand() * 2 - 1);
  const bias = Float32Array.from({ length: C }, () => rand() * 8 - 2);  // so relu and relu6 clamp

  const px = alloc(M, x.length), pw = alloc(M, w.length), pbias = alloc(M, C);
  M.HEAPF32.set(x, px / 4);
  M.HEAPF32.set(w, pw / 4);
  M.HEAPF32.set(bias, pbias / 4);
  const packed = VARIANTS.map((v) => pack(M, v, C, KH, KW, pw, pbias));
  const scratchBytes = M._wt_f32_dwconv_scratch_size(C, KH, KW, sw, dw, ow);
  assert.equal(scratchBytes % 4, 0);
  const ps = alloc(M, scratchBytes / 4 + PAD);
  const pixels = N * oh * ow;
  const yFloats = PAD + (pixels > 0 ? (pixels - 1) * ys + C : 0) + PAD;
  const py = alloc(M, yFloats);
  const label = `N=${N} H=${H} W=${W} C=${C} k=${KH}x${KW} s=${sh},${sw} pad=${cs.pad} d=${dh},${dw} xs=${xs} ys=${ys}`;

  for (const { name, min, max } of CLAMPS) {
    const ref = oracle(cs, oh, ow, x, w, bias, min, max);
    let tol = 1;
    for (const r of ref) tol = Math.max(tol, Math.abs(r));
    tol *= 1e-4;
    const got = [];
    for (const v of VARIANTS) {
      M.HEAPF32.fill(SENTINEL, py / 4, py / 4 + yFloats);
      M.HEAPF32.fill(NaN, ps / 4, ps / 4 + scratchBytes / 4);
      M.HEAPF32.fill(SENTINEL, ps / 4 + scratchBytes / 4, ps / 4 + scratchBytes / 4 + PAD);
      M._wt_f32_dwconv_run(v, N, H, W, C, KH, KW, sh, sw, pt, pl, pb, pr, dh, dw, px, xs, packed[v],
        py + PAD * 4, ys, oh, ow, min, max, ps);
      for (let i = 0; i < PAD; i++)
        assert.equal(M.HEAPF32[ps / 4 + scratchBytes / 4 + i], SENTINEL, `${label} v${v}: wrote past scratch`);
      const buf = M.HEAPF32.slice(py / 4, py / 4 + yFloats);
      const y = new Float32Array(pixels * C);
      for (let idx = 0; idx < yFloats; idx++) {
        const off = idx - PAD, p = Math.floor(off / ys), c = off - p * ys;
        if (off >= 0 && p < pixels && c < C) y[p * C + c] = buf[idx];
        else if (buf[idx] !== SENTINEL) assert.fail(`${label} ${name} v${v}: wrote outside the output at float ${off}`);
      }
      for (let idx = 0; idx < y.length; idx++) {
        const err = Math.abs(y[idx] - ref[idx]);
        if (!(err <= tol)) {
          const p = Math.floor(idx / C), at = [Math.floor(p / (oh * ow)), Math.floor(p / ow) % oh, p % ow, idx % C];
          assert.fail(`${label} ${name} v${v}: y[n,y,x,c=${at}] = ${y[idx]}, oracle ${ref[idx]} (tol ${tol})`);
        }
      }
      got.push(y);
    }
    const bitsS = new Uint32Array(got[SCALAR].buffer);
    for (const v of VARIANTS.slice(1)) {
      const bitsV = new Uint32Array(got[v].buffer);
      const bad = bitsS.findIndex((b, idx) => b !== bitsV[idx]);
      assert.equal(bad, -1, `${label} ${name}: v${v} != scalar at ${bad}: ${got[v][bad]} vs ${got[SCALAR][bad]}`);
    }
  }
  for (const p of [px, pw, pbias, ps, py, ...packed]) M._wt_free(p);
}

for (const variant of ['st', 'mt']) {
  test(`f32 dwconv: channel tiles, packing and scratch (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      assert.deepEqual(VARIANTS.map((v) => M._wt_f32_dwconv_channel_tile(v)), CHANNEL_TILES);
      assert.equal(M._wt_f32_dwconv_packed_size(VARIANTS.length, 3, 3, 3), 0, 'unknown variant');
      // Layout of a [C=11, 1, 2, 3] weight at CT=8: per tile, bias[8] then taps t = kx*KH + ky.
      const C = 11, KH = 2, KW = 3, ct = 8;
      const w = Float32Array.from({ length: C * KH * KW }, (_, i) => 100 + i);
      const bias = Float32Array.from({ length: C }, (_, c) => -1 - c);
      const pw = alloc(M, w.length), pb = alloc(M, C);
      M.HEAPF32.set(w, pw / 4);
      M.HEAPF32.set(bias, pb / 4);
      const expect = [];
      for (let c0 = 0; c0 < C; c0 += ct) {
        for (let j = 0; j < ct; j++) expect.push(c0 + j < C ? bias[c0 + j] : 0);
        for (let kx = 0; kx < KW; kx++)
          for (let ky = 0; ky < KH; ky++)
            for (let j = 0; j < ct; j++) expect.push(c0 + j < C ? w[((c0 + j) * KH + ky) * KW + kx] : 0);
      }
      const pp = pack(M, WASMSIMD, C, KH, KW, pw, pb);
      assert.deepEqual(Array.from(M.HEAPF32.subarray(pp / 4, pp / 4 + expect.length)), expect);
      M._wt_free(pp);
      const pz = pack(M, SCALAR, C, KH, KW, pw, 0);  // no bias (NULL): zero bias slots
      assert.deepEqual([0, 7, 14].map((i) => M.HEAPF32[pz / 4 + i]), [0, 0, 0]);
      M._wt_free(pz); M._wt_free(pw); M._wt_free(pb);
      // Scratch: C floats of zeros rounded up to 4, then T + (OW-1)*step_width*KH pointers.
      assert.equal(M._wt_f32_dwconv_scratch_size(5, 3, 3, 1, 1, 10), 8 * 4 + (9 + 9 * 3) * 4);
      assert.equal(M._wt_f32_dwconv_scratch_size(5, 3, 3, 2, 1, 10), 8 * 4 + (9 + 9 * 6) * 4);
      assert.equal(M._wt_f32_dwconv_scratch_size(5, 3, 3, 1, 2, 10), 8 * 4 + (9 + 9 * 9) * 4);
      assert.equal(M._wt_f32_dwconv_scratch_size(5, 2, 3, 5, 1, 10), 8 * 4 + (6 + 9 * 6) * 4);
      assert.equal(M._wt_f32_dwconv_scratch_size(5, 3, 3, 1, 1, 0), 0);
    } finally {
      unloadKernels(M);
    }
  });

  test(`f32 dwconv: wasmsimd == scalar twin ~= float64 NCHW oracle, kernels x tails x strides x pads x dilations x clamps (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      cases().forEach((cs, idx) => runCase(M, cs, 2000 + idx));
    } finally {
      unloadKernels(M);
    }
  });

  test(`f32 dwconv: NaN propagates through the clamp (${variant})`, async () => {
    // torch.relu(nan) and torch.clamp(nan, 0, 6) are nan; the kernels' pmax/pmin order keeps that.
    const M = await loadKernels(variant);
    try {
      const H = 3, W = 4, C = 13;
      const x = new Float32Array(H * W * C).fill(1);
      x[(1 * W + 2) * C + 5] = NaN;  // pixel (1, 2), channel 5
      const px = alloc(M, x.length), pw = alloc(M, C * 9), py = alloc(M, H * W * C);
      M.HEAPF32.set(x, px / 4);
      M.HEAPF32.fill(0.5, pw / 4, pw / 4 + C * 9);
      const ps = alloc(M, M._wt_f32_dwconv_scratch_size(C, 3, 3, 1, 1, W) / 4);
      for (const v of VARIANTS) {
        const pp = pack(M, v, C, 3, 3, pw, 0);
        for (const { name, min, max } of CLAMPS) {
          M._wt_f32_dwconv_run(v, 1, H, W, C, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, px, C, pp, py, C, H, W, min, max, ps);
          const y = M.HEAPF32.slice(py / 4, py / 4 + H * W * C);
          for (let oy = 0; oy < H; oy++)
            for (let ox = 0; ox < W; ox++)
              for (let c = 0; c < C; c++) {
                const hit = c === 5 && Math.abs(oy - 1) <= 1 && Math.abs(ox - 2) <= 1;
                assert.equal(Number.isNaN(y[(oy * W + ox) * C + c]), hit, `v${v} ${name} y[${oy},${ox},${c}]`);
              }
        }
        M._wt_free(pp);
      }
      for (const p of [px, pw, py, ps]) M._wt_free(p);
    } finally {
      unloadKernels(M);
    }
  });
}
