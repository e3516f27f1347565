// f32-pool family (XNNPACK-style tester): max, average, global average and adaptive avg/max pooling
// in NHWC. Each case runs the scalar twin and the wasmsimd kernels (bit-identical: same taps in the
// same order, same operations) against a float64 JS oracle of PyTorch's CPU loops, computed in
// NCHW on the same values and compared in NHWC. Attributes rotate over a representative product of
// batch, sizes, channels (every c16/c4/tail split), kernel, stride, padding, dilation, ceil_mode,
// count_include_pad and divisor_override; only shapes torch accepts are run. Sentinels before and
// after the output and after the scratch catch writes outside them; the input must stay unchanged.
// Both module variants (st, mt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, rng, unloadKernels } from './load_kernels.mjs';

const SCALAR = 0, WASMSIMD = 1;
const VARIANTS = [SCALAR, WASMSIMD];
const SENTINEL = -12345.5;
const PAD = 8;  // sentinel floats before and after the output, and after the scratch

// ---- float64 oracles (NCHW), written as torch's CPU kernels loop ---------------------------------

// torch's pooling_output_shape
function poolOut(size, k, s, p, d, ceil) {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

function maxPoolRef(x, [n, c, h, w], { kh, kw, sh, sw, ph, pw, dh, dw }, oh, ow) {
  const out = new Float64Array(n * c * oh * ow);
  for (let b = 0; b < n * c; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let hs = i * sh - ph, ws = j * sw - pw;
        const he = Math.min(hs + (kh - 1) * dh + 1, h), we = Math.min(ws + (kw - 1) * dw + 1, w);
        while (hs < 0) hs += dh;
        while (ws < 0) ws += dw;
        let m = -Infinity;
        for (let y = hs; y < he; y += dh)
          for (let xx = ws; xx < we; xx += dw) {
            const v = x[(b * h + y) * w + xx];
            if (v > m || Number.isNaN(v)) m = v;
          }
        out[(b * oh + i) * ow + j] = m;
      }
  return out;
}

function avgPoolRef(x, [n, c, h, w], { kh, kw, sh, sw, ph, pw, cip, div }, oh, ow) {
  const out = new Float64Array(n * c * oh * ow);
  for (let b = 0; b < n * c; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let hs = i * sh - ph, ws = j * sw - pw;
        let he = Math.min(hs + kh, h + ph), we = Math.min(ws + kw, w + pw);
        const poolSize = (he - hs) * (we - ws);
        hs = Math.max(hs, 0); ws = Math.max(ws, 0);
        he = Math.min(he, h); we = Math.min(we, w);
        let s = 0;
        for (let y = hs; y < he; y++) for (let xx = ws; xx < we; xx++) s += x[(b * h + y) * w + xx];
        const d = div ? div : cip ? poolSize : (he - hs) * (we - ws);
        out[(b * oh + i) * ow + j] = s / d;
      }
  return out;
}

function adaptiveRef(x, [n, c, h, w], oh, ow, isMax) {
  const out = new Float64Array(n * c * oh * ow);
  for (let b = 0; b < n * c; b++)
    for (let i = 0; i < oh; i++) {
      const hs = Math.floor(i * h / oh), he = Math.ceil((i + 1) * h / oh);
      for (let j = 0; j < ow; j++) {
        const ws = Math.floor(j * w / ow), we = Math.ceil((j + 1) * w / ow);
        let acc = isMax ? -Infinity : 0;
        for (let y = hs; y < he; y++)
          for (let xx = ws; xx < we; xx++) {
            const v = x[(b * h + y) * w + xx];
            if (!isMax) acc += v;
            else if (v > acc || Number.isNaN(v)) acc = v;
          }
        out[(b * oh + i) * ow + j] = isMax ? acc : acc / ((he - hs) * (we - ws));
      }
    }
  return out;
}

// ---- layout and harness ----------------------------------------------------------------------------

function nchwToNhwc(x, n, c, h, w) {
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h * w; i++) y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
  return y;
}

function randomInput(seed, n, c, h, w, nans) {
  const rand = rng(seed);
  const x = Float32Array.from({ length: n * c * h * w }, () => rand() * 8 - 4);
  for (let i = 0; i < nans; i++) x[Math.floor(rand() * x.length)] = NaN;
  return x;
}

function alloc(M, bytes) {
  const p = M._wt_alloc(Math.max(bytes, 4));
  assert.notEqual(p, 0);
  return p;
}

// Runs `call(variant, pin, pout, pscratch)` for both variants on the NHWC input; checks sentinels
// and the input, then each variant against the NCHW oracle (exact for max) and simd == scalar
// bit for bit. outShape = [n, c, oh, ow].
function check(M, label, xNchw, inShape, outShape, scratchBytes, ref, exact, call) {
  const [n, c, h, w] = inShape, [, , oh, ow] = outShape;
  const xNhwc = nchwToNhwc(xNchw, n, c, h, w);
  const outFloats = n * oh * ow * c;
  const pin = alloc(M, xNhwc.length * 4);
  const pout = alloc(M, (outFloats + 2 * PAD) * 4);
  const ps = alloc(M, scratchBytes + PAD * 4);
  M.HEAPF32.set(xNhwc, pin / 4);
  let tol = 1;
  for (const v of ref) if (Number.isFinite(v)) tol = Math.max(tol, Math.abs(v));
  tol *= 1e-4;
  const got = [];
  for (const v of VARIANTS) {
    M.HEAPF32.fill(SENTINEL, pout / 4, pout / 4 + outFloats + 2 * PAD);
    M.HEAPF32.fill(SENTINEL, ps / 4 + scratchBytes / 4, ps / 4 + scratchBytes / 4 + PAD);
    call(v, pin, pout + PAD * 4, ps);
    const heap = M.HEAPF32;
    for (let i = 0; i < PAD; i++) {
      if (heap[pout / 4 + i] !== SENTINEL) assert.fail(`${label} v${v}: wrote before the output`);
      if (heap[pout / 4 + PAD + outFloats + i] !== SENTINEL) assert.fail(`${label} v${v}: wrote past the output`);
      if (heap[ps / 4 + scratchBytes / 4 + i] !== SENTINEL) assert.fail(`${label} v${v}: wrote past the scratch`);
    }
    const xAfter = heap.subarray(pin / 4, pin / 4 + xNhwc.length);
    for (let i = 0; i < xNhwc.length; i++)
      if (!Object.is(xAfter[i], xNhwc[i])) assert.fail(`${label} v${v}: input modified at ${i}`);
    const out = heap.slice(pout / 4 + PAD, pout / 4 + PAD + outFloats);
    for (let b = 0; b < n; b++)
      for (let ch = 0; ch < c; ch++)
        for (let i = 0; i < oh * ow; i++) {
          const g = out[(b * oh * ow + i) * c + ch], r = ref[(b * c + ch) * oh * ow + i];
          const ok = Number.isNaN(r) ? Number.isNaN(g)
            : exact ? g === r : Math.abs(g - r) <= tol;
          if (!ok) {
            assert.fail(`${label} v${v}: out[n=${b}, c=${ch}, y=${Math.floor(i / ow)}, x=${i % ow}] = ${g}, oracle ${r}`);
          }
        }
    got.push(out);
  }
  const bitsS = new Uint32Array(got[SCALAR].buffer), bitsV = new Uint32Array(got[WASMSIMD].buffer);
  const bad = bitsS.findIndex((x, i) => x !== bitsV[i]);
  assert.equal(bad, -1, `${label}: wasmsimd != scalar at ${bad}: ${got[WASMSIMD][bad]} vs ${got[SCALAR][bad]}`);
  M._wt_free(pin); M._wt_free(pout); M._wt_free(ps);
}

// ---- cases ----------------------------------------------------------------------------------------

const NS = [1, 2], HWS = [1, 3, 7, 17], CS = [1, 3, 4, 8, 17, 37];
const pick = (list, i, prime, off = 0) => list[(i * prime + off) % list.length];

// Attribute lists; every value must show up among the kept cases (checked below).
const ATTRS = {
  n: NS, h: HWS, w: HWS, c: CS, kh: [1, 2, 3], kw: [1, 2, 3], sh: [1, 2], sw: [1, 2, 3],
  ph: [0, 1], pw: [0, 1], dh: [1, 2], dw: [1, 2], ceil: [0, 1], cip: [0, 1], div: [0, 0, 0, 1, 5, -3],
};

// Random draws from the attribute product (deterministic), kept when torch accepts them: padding
// at most half the kernel and at least one output.
function windowCases(count, isMax, seed) {
  const rand = rng(seed), out = [];
  const draw = (list) => list[Math.floor(rand() * list.length)];
  while (out.length < count) {
    const cs = Object.fromEntries(Object.entries(ATTRS).map(([k, list]) => [k, draw(list)]));
    if (!isMax) cs.dh = cs.dw = 1;
    if (cs.ph > cs.kh >> 1 || cs.pw > cs.kw >> 1) continue;
    const oh = poolOut(cs.h, cs.kh, cs.sh, cs.ph, cs.dh, cs.ceil);
    const ow = poolOut(cs.w, cs.kw, cs.sw, cs.pw, cs.dw, cs.ceil);
    if (oh < 1 || ow < 1) continue;
    out.push(cs);
  }
  for (const [k, list] of Object.entries(ATTRS)) {
    if (!isMax && (k === 'dh' || k === 'dw')) continue;
    for (const v of list) assert.ok(out.some((cs) => cs[k] === v), `no ${isMax ? 'max' : 'avg'} case has ${k}=${v}`);
  }
  // ceil_mode must change the output size in some cases (an extra, partial last window)
  assert.ok(out.some((cs) => cs.ceil && poolOut(cs.h, cs.kh, cs.sh, cs.ph, cs.dh, 0) !== poolOut(cs.h, cs.kh, cs.sh, cs.ph, cs.dh, 1)));
  return out;
}

function maxCases() {
  const out = windowCases(160, true, 11);
  // A window made only of padding (taps at -1 and 2 of a 2-pixel row): torch gives -inf.
  out.push({ n: 1, h: 2, w: 2, c: 5, kh: 2, kw: 2, sh: 1, sw: 1, ph: 1, pw: 1, dh: 3, dw: 3, ceil: 0 });
  // ceil_mode: the last window starts inside the input (kept) or in the right padding (dropped).
  out.push({ n: 2, h: 6, w: 5, c: 17, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, ceil: 1 });
  // ResNet's stem pool shape, scaled down: 3x3 s2 p1 over 64 channels.
  out.push({ n: 1, h: 15, w: 15, c: 64, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, ceil: 0 });
  return out.map((cs) => ({
    ...cs,
    oh: poolOut(cs.h, cs.kh, cs.sh, cs.ph, cs.dh, cs.ceil), ow: poolOut(cs.w, cs.kw, cs.sw, cs.pw, cs.dw, cs.ceil),
  }));
}

function avgCases() {
  const out = windowCases(160, false, 12);
  out.push({ n: 2, h: 6, w: 5, c: 17, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, ceil: 1, cip: 1, div: 0 });
  out.push({ n: 2, h: 6, w: 5, c: 17, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, ceil: 1, cip: 0, div: 0 });
  out.push({ n: 1, h: 7, w: 7, c: 33, kh: 2, kw: 3, sh: 2, sw: 3, ph: 1, pw: 1, dh: 1, dw: 1, ceil: 1, cip: 1, div: 4 });
  return out.map((cs) => ({
    ...cs,
    oh: poolOut(cs.h, cs.kh, cs.sh, cs.ph, 1, cs.ceil), ow: poolOut(cs.w, cs.kw, cs.sw, cs.pw, 1, cs.ceil),
  }));
}

const describe = (cs) => `n=${cs.n} ${cs.h}x${cs.w}x${cs.c} k=${cs.kh}x${cs.kw} s=${cs.sh},${cs.sw} ` +
  `p=${cs.ph},${cs.pw} d=${cs.dh},${cs.dw} ceil=${cs.ceil}` +
  (cs.cip !== undefined ? ` cip=${cs.cip} div=${cs.div}` : '');

for (const variant of ['st', 'mt']) {
  test(`f32 pool: output size is torch's pooling_output_shape (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      for (const size of [1, 2, 3, 6, 7, 17])
        for (const k of [1, 2, 3, 5])
          for (const s of [1, 2, 3])
            for (const p of [0, 1, 2])
              for (const d of [1, 2])
                for (const ceil of [0, 1]) {
                  const want = Math.max(poolOut(size, k, s, p, d, ceil), 0);
                  assert.equal(M._wt_pool_out_size(size, k, s, p, d, ceil), want, `size=${size} k=${k} s=${s} p=${p} d=${d} ceil=${ceil}`);
                }
      assert.equal(M._wt_pool_out_size(5, 3, 2, 1, 1, 1), 3);  // (5+2-3+1)/2+1 = 3, last start 3 < 6
      assert.equal(M._wt_pool_out_size(6, 3, 2, 1, 1, 1), 4);  // (6+2-3+1)/2+1 = 4, last start 5 < 7
      assert.equal(M._wt_pool_out_size(4, 2, 3, 0, 1, 1), 2);  // (4-2+2)/3+1 = 2, start 3 < 4 kept
      assert.equal(M._wt_pool_out_size(4, 1, 2, 0, 1, 1), 2);  // (4-1+1)/2+1 = 3, start 4 >= 4 dropped
    } finally {
      unloadKernels(M);
    }
  });

  test(`f32 max pool: wasmsimd == scalar twin == float64 oracle (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      maxCases().forEach((cs, idx) => {
        const { n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil, oh, ow } = cs;
        const x = randomInput(100 + idx, n, c, h, w, idx % 5 === 0 ? 3 : 0);  // some NaNs: they win
        const scratch = M._wt_f32_maxpool2d_scratch_size(n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil);
        assert.ok(scratch > 0);
        const ref = maxPoolRef(x, [n, c, h, w], cs, oh, ow);
        check(M, `max ${describe(cs)}`, x, [n, c, h, w], [n, c, oh, ow], scratch, ref, true,
          (v, pin, pout, ps) => M._wt_f32_maxpool2d_run(v, n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil, pin, pout, ps));
      });
    } finally {
      unloadKernels(M);
    }
  });

  test(`f32 avg pool: wasmsimd == scalar twin ~= float64 oracle (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      avgCases().forEach((cs, idx) => {
        const { n, h, w, c, kh, kw, sh, sw, ph, pw, ceil, cip, div, oh, ow } = cs;
        const x = randomInput(700 + idx, n, c, h, w, 0);
        const scratch = M._wt_f32_avgpool2d_scratch_size(n, h, w, c, kh, kw, sh, sw, ph, pw, ceil);
        const ref = avgPoolRef(x, [n, c, h, w], cs, oh, ow);
        check(M, `avg ${describe(cs)}`, x, [n, c, h, w], [n, c, oh, ow], scratch, ref, false,
          (v, pin, pout, ps) => M._wt_f32_avgpool2d_run(v, n, h, w, c, kh, kw, sh, sw, ph, pw, ceil, cip, div, pin, pout, ps));
      });
    } finally {
      unloadKernels(M);
    }
  });

  test(`f32 adaptive avg/max pool and global avg pool (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      let idx = 0;
      // torch's adaptive windows, to sizes 1, 2, 3, 5 from odd inputs (and to larger outputs)
      for (const [h, w] of [[1, 1], [3, 5], [7, 7], [9, 3], [17, 11], [2, 4]])
        for (const [oh, ow] of [[1, 1], [2, 2], [3, 5], [5, 3], [1, 3]])
          for (const isMax of [0, 1]) {
            const n = pick(NS, idx, 1), c = pick(CS, idx, 5, 1);
            const x = randomInput(2000 + idx, n, c, h, w, isMax && idx % 4 === 0 ? 2 : 0);
            idx++;
            const scratch = M._wt_f32_adaptive_pool2d_scratch_size(h, w, c, oh, ow);
            const ref = adaptiveRef(x, [n, c, h, w], oh, ow, isMax);
            check(M, `adaptive ${isMax ? 'max' : 'avg'} n=${n} ${h}x${w}x${c} -> ${oh}x${ow}`, x, [n, c, h, w],
              [n, c, oh, ow], scratch, ref, isMax === 1,
              (v, pin, pout, ps) => M._wt_f32_adaptive_pool2d_run(v, isMax, n, h, w, c, oh, ow, pin, pout, ps));
          }
      // the global kernel directly, over every channel split and long pixel runs
      for (const pixels of [1, 7, 49, 300])
        for (const c of [1, 3, 4, 16, 17, 33, 64]) {
          const n = pick(NS, idx, 1);
          const x = randomInput(3000 + idx++, n, c, 1, pixels, 0);
          const ref = adaptiveRef(x, [n, c, 1, pixels], 1, 1, false);
          check(M, `global avg n=${n} pixels=${pixels} c=${c}`, x, [n, c, 1, pixels], [n, c, 1, 1], 0, ref, false,
            (v, pin, pout) => M._wt_f32_global_avgpool_run(v, n, pixels, c, pin, pout));
        }
    } finally {
      unloadKernels(M);
    }
  });
}

// ---- argmax pooling (max_pool2d_with_indices) -------------------------------------------------------

// torch's CPU loop: the index starts at the first in-window position (even out of range when the
// window is all padding), the value at -inf; a tap wins when it is greater or NaN.
function argmaxRef(x, [c, h, w], { kh, kw, sh, sw, ph, pw, dh, dw }, oh, ow) {
  const val = new Float32Array(c * oh * ow), idx = new Int32Array(c * oh * ow);
  for (let ch = 0; ch < c; ch++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let hs = i * sh - ph, ws = j * sw - pw;
        const he = Math.min(hs + (kh - 1) * dh + 1, h), we = Math.min(ws + (kw - 1) * dw + 1, w);
        while (hs < 0) hs += dh;
        while (ws < 0) ws += dw;
        let m = -Infinity, k = hs * w + ws;
        for (let y = hs; y < he; y += dh)
          for (let xx = ws; xx < we; xx += dw) {
            const v = x[(ch * h + y) * w + xx];
            if (v > m || Number.isNaN(v)) { m = v; k = y * w + xx; }
          }
        val[(ch * oh + i) * ow + j] = m;
        idx[(ch * oh + i) * ow + j] = k;
      }
  return { val, idx };
}

for (const variant of ['st', 'mt']) {
  test(`f32 argmax pool: values and indices, wasmsimd == scalar twin == torch's loop (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      maxCases().forEach((cs, idx) => {
        const { h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil, oh, ow } = cs;
        const x = randomInput(5000 + idx, 1, c, h, w, idx % 5 === 0 ? 3 : 0);
        if (idx % 3 === 0) x.forEach((v, i) => { x[i] = Math.round(v); });  // ties: the first wins
        const ref = argmaxRef(x, [c, h, w], cs, oh, ow);
        const xNhwc = nchwToNhwc(x, 1, c, h, w), count = oh * ow * c;
        const pin = alloc(M, xNhwc.length * 4), pout = alloc(M, (count + 2 * PAD) * 4);
        const pidx = alloc(M, (count + 2 * PAD) * 4);
        const scratch = M._wt_f32_argmaxpool2d_scratch_size(kh, kw), ps = alloc(M, scratch);
        M.HEAPF32.set(xNhwc, pin / 4);
        const got = VARIANTS.map((v) => {
          M.HEAPF32.fill(SENTINEL, pout / 4, pout / 4 + count + 2 * PAD);
          M.HEAP32.fill(-7, pidx / 4, pidx / 4 + count + 2 * PAD);
          M._wt_f32_argmaxpool2d_run(v, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil, pin, pout + 4 * PAD,
            pidx + 4 * PAD, ps);
          for (let i = 0; i < PAD; i++)
            if (M.HEAPF32[pout / 4 + i] !== SENTINEL || M.HEAPF32[pout / 4 + PAD + count + i] !== SENTINEL
              || M.HEAP32[pidx / 4 + i] !== -7 || M.HEAP32[pidx / 4 + PAD + count + i] !== -7)
              assert.fail(`argmax ${describe(cs)} v${v}: wrote outside the outputs`);
          return [M.HEAPF32.slice(pout / 4 + PAD, pout / 4 + PAD + count), M.HEAP32.slice(pidx / 4 + PAD, pidx / 4 + PAD + count)];
        });
        [pin, pout, pidx, ps].forEach((p) => M._wt_free(p));
        for (let ch = 0; ch < c; ch++)
          for (let i = 0; i < oh * ow; i++) {
            const r = (ch * oh * ow) + i, o = i * c + ch;
            for (const [v, [vals, inds]] of got.entries())
              if (!Object.is(vals[o], ref.val[r]) || inds[o] !== ref.idx[r])
                assert.fail(`argmax ${describe(cs)} v${v} [c${ch} p${i}]: ${vals[o]} @${inds[o]}, want ${ref.val[r]} @${ref.idx[r]}`);
          }
      });
    } finally {
      unloadKernels(M);
    }
  });
}

for (const variant of ['st', 'mt']) {
  test(`f32 max pool by row ranges (a thread's share) == the whole image (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      maxCases().filter((cs) => cs.oh > 1).forEach((cs, idx) => {
        const { h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil, oh, ow } = cs;
        const x = nchwToNhwc(randomInput(9000 + idx, 1, c, h, w, idx % 5 === 0 ? 2 : 0), 1, c, h, w);
        const count = oh * ow * c, row = ow * c;
        const scratch = M._wt_f32_maxpool2d_scratch_size(1, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil);
        const pin = alloc(M, x.length * 4), pout = alloc(M, (count + PAD) * 4), ps = alloc(M, scratch);
        M.HEAPF32.set(x, pin / 4);
        for (const v of VARIANTS) {
          M._wt_f32_maxpool2d_run(v, 1, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil, pin, pout, ps);
          const whole = M.HEAPF32.slice(pout / 4, pout / 4 + count);
          M.HEAPF32.fill(SENTINEL, pout / 4, pout / 4 + count + PAD);
          const cut = 1 + (idx % (oh - 1));  // two ranges, [0, cut) and [cut, oh)
          M._wt_f32_maxpool2d_rows_run(v, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil, 0, cut, pin, pout, ps);
          M._wt_f32_maxpool2d_rows_run(v, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil, cut, oh, pin,
            pout + 4 * cut * row, ps);
          const parts = M.HEAPF32.slice(pout / 4, pout / 4 + count + PAD);
          for (let i = 0; i < count; i++)
            if (!Object.is(parts[i], whole[i])) assert.fail(`rows ${describe(cs)} v${v} cut ${cut} [${i}]: ${parts[i]} vs ${whole[i]}`);
          for (let i = count; i < count + PAD; i++)
            if (parts[i] !== SENTINEL) assert.fail(`rows ${describe(cs)} v${v}: wrote past the output`);
        }
        [pin, pout, ps].forEach((p) => M._wt_free(p));
      });
    } finally {
      unloadKernels(M);
    }
  });
}
