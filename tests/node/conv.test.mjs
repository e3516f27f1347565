// f32-conv family: conv2d, conv1d and conv_transpose2d in NHWC on the f32 GEMM, with every GEMM
// config (0 scalar twin, 1 wasmsimd, 2 wasmsimd alt) against a float64 JS oracle of PyTorch's
// semantics computed in NCHW with torch's weight layouts, compared in NHWC; the configs must agree
// bit for bit (same K order, same per-element operations). Cases are random draws (deterministic)
// from the attribute product: channels, kernels 1x1/3x3/7x7/1x3/3x1, strides, asymmetric padding,
// dilation, groups 1/2/C, bias or none, clamp none/relu/relu6; the draws must cover every value.
// Sentinels after the packed weights and the scratch and around the output catch writes outside
// them; the input must stay unchanged. Both module variants (st, mt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, rng, unloadKernels } from './load_kernels.mjs';

const VARIANTS = [0, 1, 2];
const SENTINEL = -12345.5;
const PAD = 8;  // sentinel floats
const CLAMPS = [
  { name: 'none', min: -Infinity, max: Infinity },
  { name: 'relu', min: 0, max: Infinity },
  { name: 'relu6', min: 0, max: 6 },
];

const convOut = (i, k, s, d, p0, p1) => Math.floor((i + p0 + p1 - d * (k - 1) - 1) / s) + 1;
const deconvOut = (i, k, s, d, p0, p1, op) => (i - 1) * s - p0 - p1 + d * (k - 1) + op + 1;

// ---- float64 oracles in NCHW (torch layouts: conv weight [OC, ICg, KH, KW], transposed conv
// weight [IC, OCg, KH, KW]) --------------------------------------------------------------------

function conv2dRef(x, wt, bias, cs) {
  const { n, h, w, ic, oc, g, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, min, max } = cs;
  const icg = ic / g, ocg = oc / g, out = new Float64Array(n * oc * oh * ow);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < oc; o++) {
      const grp = Math.floor(o / ocg);
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let s = bias ? bias[o] : 0;
          for (let c = 0; c < icg; c++)
            for (let i = 0; i < kh; i++) {
              const iy = y * sh - pt + i * dh;
              if (iy < 0 || iy >= h) continue;
              for (let j = 0; j < kw; j++) {
                const ix = xx * sw - pl + j * dw;
                if (ix < 0 || ix >= w) continue;
                s += x[((b * ic + grp * icg + c) * h + iy) * w + ix] * wt[((o * icg + c) * kh + i) * kw + j];
              }
            }
          out[((b * oc + o) * oh + y) * ow + xx] = Math.min(Math.max(s, min), max);
        }
    }
  return out;
}

function deconv2dRef(x, wt, bias, cs) {
  const { n, h, w, ic, oc, g, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, min, max } = cs;
  const icg = ic / g, ocg = oc / g, out = new Float64Array(n * oc * oh * ow);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < oc; o++) out.fill(bias ? bias[o] : 0, (b * oc + o) * oh * ow, (b * oc + o + 1) * oh * ow);
  for (let b = 0; b < n; b++)
    for (let c = 0; c < ic; c++) {
      const grp = Math.floor(c / icg);
      for (let iy = 0; iy < h; iy++)
        for (let ix = 0; ix < w; ix++) {
          const v = x[((b * ic + c) * h + iy) * w + ix];
          for (let o = 0; o < ocg; o++)
            for (let i = 0; i < kh; i++) {
              const y = iy * sh - pt + i * dh;
              if (y < 0 || y >= oh) continue;
              for (let j = 0; j < kw; j++) {
                const xx = ix * sw - pl + j * dw;
                if (xx < 0 || xx >= ow) continue;
                out[((b * oc + grp * ocg + o) * oh + y) * ow + xx] += v * wt[((c * ocg + o) * kh + i) * kw + j];
              }
            }
        }
    }
  for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(out[i], min), max);
  return out;
}

// ---- harness ------------------------------------------------------------------------------------

function toNhwc(x, n, c, h, w) {
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h * w; i++) y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
  return y;
}

function alloc(M, bytes) {
  const p = M._wt_alloc(Math.max(bytes, 4));
  assert.notEqual(p, 0);
  return p;
}

function put(M, arr) {
  const p = alloc(M, arr.length * 4);
  M.HEAPF32.set(arr, p / 4);
  return p;
}

function expectSentinels(M, p, floats, what) {
  for (let i = 0; i < floats; i++) if (M.HEAPF32[p / 4 + i] !== SENTINEL) assert.fail(`wrote ${what} (float ${i})`);
}

// One case through `api` (conv2d, conv1d or deconv2d bindings, below): packs for every variant,
// runs, checks sentinels, input, oracle and bit-identity across variants.
function runCase(M, api, cs, seed) {
  const rand = rng(seed);
  const { n, h, w, ic, oc, oh, ow } = cs;
  const x = Float32Array.from({ length: n * ic * h * w }, () => rand() * 2 - 1);
  const wt = Float32Array.from({ length: api.weightLength(cs) }, () => rand() * 2 - 1);
  const bias = cs.bias ? Float32Array.from({ length: oc }, () => rand() * 4 - 2) : null;
  const ref = api.ref(x, wt, bias, cs);
  let tol = 1;
  for (const v of ref) tol = Math.max(tol, Math.abs(v));
  tol *= 1e-4;

  const xNhwc = toNhwc(x, n, ic, h, w);
  const pin = put(M, xNhwc), pw = put(M, wt), pb = bias ? put(M, bias) : 0;
  const outFloats = n * oh * ow * oc;
  const pout = alloc(M, (outFloats + 2 * PAD) * 4);
  const label = `${api.name} ${api.describe(cs)}`;
  const got = [];
  for (const v of VARIANTS) {
    const packedBytes = api.packedSize(v, cs), scratchBytes = api.scratchSize(v, cs);
    const pp = alloc(M, packedBytes + PAD * 4), ps = alloc(M, scratchBytes + PAD * 4);
    M.HEAPF32.fill(SENTINEL, pp / 4 + packedBytes / 4, pp / 4 + packedBytes / 4 + PAD);
    M.HEAPF32.fill(SENTINEL, ps / 4 + scratchBytes / 4, ps / 4 + scratchBytes / 4 + PAD);
    M.HEAPF32.fill(SENTINEL, pout / 4, pout / 4 + outFloats + 2 * PAD);
    api.pack(v, cs, pw, pb, pp);
    expectSentinels(M, pp + packedBytes, PAD, `${label} v${v}: past the packed weights`);
    api.run(v, cs, pin, pp, pout + PAD * 4, ps);
    expectSentinels(M, ps + scratchBytes, PAD, `${label} v${v}: past the scratch (${scratchBytes} B)`);
    expectSentinels(M, pout, PAD, `${label} v${v}: before the output`);
    expectSentinels(M, pout + (PAD + outFloats) * 4, PAD, `${label} v${v}: past the output`);
    const xAfter = M.HEAPF32.subarray(pin / 4, pin / 4 + xNhwc.length);
    for (let i = 0; i < xNhwc.length; i++) if (xAfter[i] !== xNhwc[i]) assert.fail(`${label} v${v}: input modified`);
    const out = M.HEAPF32.slice(pout / 4 + PAD, pout / 4 + PAD + outFloats);
    for (let b = 0; b < n; b++)
      for (let o = 0; o < oc; o++)
        for (let i = 0; i < oh * ow; i++) {
          const gv = out[(b * oh * ow + i) * oc + o], r = ref[(b * oc + o) * oh * ow + i];
          if (!(Math.abs(gv - r) <= tol)) {
            assert.fail(`${label} v${v}: out[n=${b}, c=${o}, y=${Math.floor(i / ow)}, x=${i % ow}] = ${gv}, oracle ${r} (tol ${tol})`);
          }
        }
    got.push(out);
    M._wt_free(pp); M._wt_free(ps);
  }
  const bits0 = new Uint32Array(got[0].buffer);
  for (let v = 1; v < got.length; v++) {
    const bits = new Uint32Array(got[v].buffer), bad = bits0.findIndex((b, i) => b !== bits[i]);
    assert.equal(bad, -1, `${label}: variant ${VARIANTS[v]} != scalar at ${bad}: ${got[v][bad]} vs ${got[0][bad]}`);
  }
  for (const p of [pin, pw, pout]) M._wt_free(p);
  if (pb) M._wt_free(pb);
}

const geom = (cs) => [cs.n, cs.h, cs.w, cs.ic, cs.oc, cs.g, cs.kh, cs.kw, cs.sh, cs.sw, cs.pt, cs.pl, cs.pb, cs.pr, cs.dh, cs.dw];
const geom1d = (cs) => [cs.n, cs.w, cs.ic, cs.oc, cs.g, cs.kw, cs.sw, cs.pl, cs.pr, cs.dw];
const attrs = (cs) => `g=${cs.g} k=${cs.kh}x${cs.kw} s=${cs.sh},${cs.sw} p=${cs.pt},${cs.pl},${cs.pb},${cs.pr} ` +
  `d=${cs.dh},${cs.dw} bias=${cs.bias ? 1 : 0} clamp=${cs.clamp}`;

const bindings = (M) => ({
  conv2d: {
    name: 'conv2d',
    describe: (cs) => `n=${cs.n} ${cs.h}x${cs.w}x${cs.ic}->${cs.oc} ${attrs(cs)}`,
    weightLength: (cs) => cs.oc * (cs.ic / cs.g) * cs.kh * cs.kw,
    ref: conv2dRef,
    packedSize: (v, cs) => M._wt_f32_conv2d_packed_size(v, ...geom(cs)),
    scratchSize: (v, cs) => M._wt_f32_conv2d_scratch_size(v, ...geom(cs)),
    pack: (v, cs, pw, pb, pp) => M._wt_f32_conv2d_pack(v, ...geom(cs), pw, pb, pp),
    run: (v, cs, pin, pp, pout, ps) => M._wt_f32_conv2d_run(v, ...geom(cs), pin, pp, pout, ps, cs.min, cs.max),
  },
  conv1d: {
    name: 'conv1d',
    describe: (cs) => `n=${cs.n} l=${cs.w} ${cs.ic}->${cs.oc} g=${cs.g} k=${cs.kw} s=${cs.sw} p=${cs.pl},${cs.pr} d=${cs.dw} clamp=${cs.clamp}`,
    weightLength: (cs) => cs.oc * (cs.ic / cs.g) * cs.kw,
    ref: conv2dRef,
    packedSize: (v, cs) => M._wt_f32_conv1d_packed_size(v, ...geom1d(cs)),
    scratchSize: (v, cs) => M._wt_f32_conv1d_scratch_size(v, ...geom1d(cs)),
    pack: (v, cs, pw, pb, pp) => M._wt_f32_conv1d_pack(v, ...geom1d(cs), pw, pb, pp),
    run: (v, cs, pin, pp, pout, ps) => M._wt_f32_conv1d_run(v, ...geom1d(cs), pin, pp, pout, ps, cs.min, cs.max),
  },
  deconv2d: {
    name: 'conv_transpose2d',
    describe: (cs) => `n=${cs.n} ${cs.h}x${cs.w}x${cs.ic}->${cs.oc} ${attrs(cs)} op=${cs.oph},${cs.opw}`,
    weightLength: (cs) => cs.ic * (cs.oc / cs.g) * cs.kh * cs.kw,
    ref: deconv2dRef,
    packedSize: (v, cs) => M._wt_f32_deconv2d_packed_size(v, ...geom(cs), cs.oph, cs.opw),
    scratchSize: (v, cs) => M._wt_f32_deconv2d_scratch_size(v, ...geom(cs), cs.oph, cs.opw),
    pack: (v, cs, pw, pb, pp) => M._wt_f32_deconv2d_pack(v, ...geom(cs), cs.oph, cs.opw, pw, pb, pp),
    run: (v, cs, pin, pp, pout, ps) => M._wt_f32_deconv2d_run(v, ...geom(cs), cs.oph, cs.opw, pin, pp, pout, ps, cs.min, cs.max),
  },
});

// ---- cases ----------------------------------------------------------------------------------------

function finish(cs, rand) {
  const clamp = CLAMPS[Math.floor(rand() * CLAMPS.length)];
  return { ...cs, clamp: clamp.name, min: clamp.min, max: clamp.max };
}

// Draws until `count` valid cases; then every listed value must have been drawn into a kept case.
function drawCases(count, seed, attrsList, make) {
  const rand = rng(seed), out = [];
  const draw = (list) => list[Math.floor(rand() * list.length)];
  while (out.length < count) {
    const picked = Object.fromEntries(Object.entries(attrsList).map(([k, list]) => [k, draw(list)]));
    const cs = make(picked, draw);
    if (cs) out.push({ ...finish(cs, rand), picked });
  }
  for (const [k, list] of Object.entries(attrsList))
    for (const v of list)
      assert.ok(out.some((cs) => JSON.stringify(cs.picked[k]) === JSON.stringify(v)), `no case drew ${k}=${JSON.stringify(v)}`);
  return out;
}

const CONV_ATTRS = {
  n: [1, 2], hw: [[1, 1], [3, 3], [7, 7], [17, 17], [5, 9], [9, 4]], ic: [1, 3, 8, 17], oc: [1, 4, 9, 16],
  k: [[1, 1], [3, 3], [7, 7], [1, 3], [3, 1]], sh: [1, 2], sw: [1, 2], pad: ['zero', 'same', 'asym'],
  dh: [1, 2], dw: [1, 2], groups: ['1', '2', 'C'], bias: [true, false],
};

function conv2dCases() {
  const out = drawCases(90, 7, CONV_ATTRS, (a, draw) => {
    let { ic, oc } = a;
    const [h, w] = a.hw, [kh, kw] = a.k;
    let g = 1;
    if (a.groups === '2') { ic = draw([2, 8, 18]); oc = draw([2, 4, 16]); g = 2; }
    if (a.groups === 'C') { g = ic; oc = ic * draw([1, 2]); }  // depthwise, channel multiplier 1 or 2
    const pads = a.pad === 'zero' ? [0, 0, 0, 0]
      : a.pad === 'same' ? [kh >> 1, kw >> 1, kh >> 1, kw >> 1].map((p, i) => p * (i % 2 ? a.dw : a.dh))
        : [draw([0, 1, 2, 3]), draw([0, 1, 2, 3]), draw([0, 1, 2, 3]), draw([0, 1, 2, 3])];
    const [pt, pl, pb, pr] = pads;
    const cs = { n: a.n, h, w, ic, oc, g, kh, kw, sh: a.sh, sw: a.sw, pt, pl, pb, pr, dh: a.dh, dw: a.dw, bias: a.bias };
    cs.oh = convOut(h, kh, a.sh, a.dh, pt, pb);
    cs.ow = convOut(w, kw, a.sw, a.dw, pl, pr);
    if (cs.oh < 1 || cs.ow < 1) return null;
    if (cs.n * cs.oh * cs.ow * oc * (ic / g) * kh * kw > 3e6) return null;  // keep the JS oracle quick
    return cs;
  });
  const extra = [
    // 1x1 stride 1 without padding: the GEMM reads the NHWC input directly (no im2col), grouped too
    { n: 2, h: 7, w: 5, ic: 17, oc: 9, g: 1, kh: 1, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0, pb: 0, pr: 0, dh: 1, dw: 1, bias: true },
    { n: 1, h: 3, w: 3, ic: 8, oc: 16, g: 2, kh: 1, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0, pb: 0, pr: 0, dh: 2, dw: 2, bias: false },
    // 1x1 stride 2 (ResNet's downsample): im2col of single pixels
    { n: 2, h: 7, w: 7, ic: 8, oc: 16, g: 1, kh: 1, kw: 1, sh: 2, sw: 2, pt: 0, pl: 0, pb: 0, pr: 0, dh: 1, dw: 1, bias: true },
    // several im2col tiles (rows of 7*7*17 floats; the last tile partial)
    { n: 2, h: 17, w: 17, ic: 17, oc: 16, g: 1, kh: 7, kw: 7, sh: 1, sw: 1, pt: 3, pl: 3, pb: 3, pr: 3, dh: 1, dw: 1, bias: true },
    { n: 2, h: 20, w: 20, ic: 64, oc: 9, g: 1, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, pb: 1, pr: 1, dh: 1, dw: 1, bias: true },
    // ResNet stem scaled down: 7x7 s2 p3, 3 -> 64
    { n: 1, h: 23, w: 23, ic: 3, oc: 64, g: 1, kh: 7, kw: 7, sh: 2, sw: 2, pt: 3, pl: 3, pb: 3, pr: 3, dh: 1, dw: 1, bias: false },
  ].map((cs, i) => finish({
    ...cs, oh: convOut(cs.h, cs.kh, cs.sh, cs.dh, cs.pt, cs.pb), ow: convOut(cs.w, cs.kw, cs.sw, cs.dw, cs.pl, cs.pr),
  }, rng(50 + i)));
  return [...out, ...extra];
}

function conv1dCases() {
  return drawCases(40, 8, {
    n: [1, 2], l: [1, 5, 17, 33], ic: [1, 3, 8], oc: [1, 4, 9], k: [1, 3, 5], s: [1, 2, 3],
    pl: [0, 1, 3], pr: [0, 2], d: [1, 2], groups: ['1', '2', 'C'], bias: [true, false],
  }, (a, draw) => {
    let { ic, oc } = a, g = 1;
    if (a.groups === '2') { ic = draw([2, 8]); oc = draw([2, 4]); g = 2; }
    if (a.groups === 'C') { g = ic; oc = ic * draw([1, 3]); }
    const cs = {
      n: a.n, h: 1, w: a.l, ic, oc, g, kh: 1, kw: a.k, sh: 1, sw: a.s, pt: 0, pl: a.pl, pb: 0, pr: a.pr,
      dh: 1, dw: a.d, bias: a.bias, oh: 1, ow: convOut(a.l, a.k, a.s, a.d, a.pl, a.pr),
    };
    return cs.ow >= 1 ? cs : null;
  });
}

function deconv2dCases() {
  const out = drawCases(50, 9, {
    n: [1, 2], hw: [[1, 1], [2, 3], [3, 3], [5, 4]], ic: [1, 3, 8], oc: [1, 4, 6],
    k: [[1, 1], [2, 2], [3, 3], [4, 4], [1, 3]], sh: [1, 2, 3], sw: [1, 2], p: [0, 1, 2], asym: [false, true],
    dh: [1, 2], dw: [1, 2], op: [0, 1, 2], groups: ['1', '2'], bias: [true, false],
  }, (a, draw) => {
    let { ic, oc } = a, g = 1;
    if (a.groups === '2') { ic = draw([2, 8]); oc = draw([2, 4, 6]); g = 2; }
    const [h, w] = a.hw, [kh, kw] = a.k;
    const [pt, pl] = [a.p, a.p];
    const [pb, pr] = a.asym ? [draw([0, 1, 2]), draw([0, 1, 2])] : [a.p, a.p];
    // torch: output_padding must be smaller than stride or dilation
    const oph = a.op < Math.max(a.sh, a.dh) ? a.op : 0, opw = a.op < Math.max(a.sw, a.dw) ? a.op : 0;
    const cs = { n: a.n, h, w, ic, oc, g, kh, kw, sh: a.sh, sw: a.sw, pt, pl, pb, pr, dh: a.dh, dw: a.dw, oph, opw, bias: a.bias };
    cs.oh = deconvOut(h, kh, a.sh, a.dh, pt, pb, oph);
    cs.ow = deconvOut(w, kw, a.sw, a.dw, pl, pr, opw);
    return cs.oh >= 1 && cs.ow >= 1 ? cs : null;
  });
  // several GEMM column tiles (M = 1024 input pixels of 3*3*16 columns), stride 2 upsampling
  out.push(finish({
    n: 1, h: 32, w: 32, ic: 8, oc: 16, g: 1, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1,
    dh: 1, dw: 1, oph: 1, opw: 1, bias: true, oh: 64, ow: 64,
  }, rng(77)));
  return out;
}

for (const variant of ['st', 'mt']) {
  test(`f32 conv: output sizes and weight packing (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      for (const i of [1, 3, 7, 17])
        for (const k of [1, 3, 7])
          for (const s of [1, 2])
            for (const d of [1, 2])
              for (const [p0, p1] of [[0, 0], [1, 1], [3, 0], [0, 2]]) {
                assert.equal(M._wt_conv_out_size(i, k, s, d, p0, p1), Math.max(convOut(i, k, s, d, p0, p1), 0));
                for (const op of [0, 1])
                  assert.equal(M._wt_deconv_out_size(i, k, s, d, p0, p1, op), Math.max(deconvOut(i, k, s, d, p0, p1, op), 0));
              }
      // conv2d packing = the GEMM's packing of the weight with K reordered to (kh, kw, ic)
      const cs = { n: 1, h: 5, w: 5, ic: 6, oc: 11, g: 1, kh: 3, kw: 2, sh: 1, sw: 1, pt: 0, pl: 0, pb: 0, pr: 0, dh: 1, dw: 1 };
      const K = cs.ic * cs.kh * cs.kw;
      const wt = Float32Array.from({ length: cs.oc * K }, (_, i) => i + 1);
      const wk = new Float32Array(wt.length);  // [oc][kh][kw][ic]
      for (let o = 0; o < cs.oc; o++)
        for (let c = 0; c < cs.ic; c++)
          for (let i = 0; i < cs.kh; i++)
            for (let j = 0; j < cs.kw; j++) wk[((o * cs.kh + i) * cs.kw + j) * cs.ic + c] = wt[((o * cs.ic + c) * cs.kh + i) * cs.kw + j];
      const bias = Float32Array.from({ length: cs.oc }, (_, i) => -i);
      const pw = put(M, wt), pk = put(M, wk), pb = put(M, bias);
      for (const v of VARIANTS) {
        const bytes = M._wt_f32_conv2d_packed_size(v, ...geom(cs));
        assert.equal(bytes, M._wt_f32_gemm_packed_size(v, cs.oc, K));
        const p1 = alloc(M, bytes), p2 = alloc(M, bytes);
        M._wt_f32_conv2d_pack(v, ...geom(cs), pw, pb, p1);
        M._wt_f32_gemm_pack(v, cs.oc, K, pk, pb, p2);
        assert.deepEqual(M.HEAPF32.slice(p1 / 4, p1 / 4 + bytes / 4), M.HEAPF32.slice(p2 / 4, p2 / 4 + bytes / 4), `variant ${v}`);
        M._wt_free(p1); M._wt_free(p2);
      }
      // 1x1 stride 1 without padding needs no scratch
      assert.equal(M._wt_f32_conv2d_scratch_size(1, 2, 7, 7, 8, 16, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1), 0);
      M._wt_free(pw); M._wt_free(pk); M._wt_free(pb);
    } finally {
      unloadKernels(M);
    }
  });

  for (const [name, cases] of [['conv2d', conv2dCases], ['conv1d', conv1dCases], ['deconv2d', deconv2dCases]]) {
    test(`f32 ${name}: every GEMM config bit-identical and ~= float64 NCHW oracle (${variant})`, async () => {
      const M = await loadKernels(variant);
      try {
        const api = bindings(M)[name];
        cases().forEach((cs, idx) => runCase(M, api, cs, 5000 + idx));
      } finally {
        unloadKernels(M);
      }
    });
  }
}
