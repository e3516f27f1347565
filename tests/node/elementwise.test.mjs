// Elementwise and row-wise normalisation kernel families (f32-vunary, f32-vbinary-bcast,
// f32-softmax, f32-layernorm), XNNPACK-style table-driven testers, in both module variants.
//
// Every case runs the scalar twin (variant 0) and the wasmsimd kernels (variant 1) and checks
//   - both against a float64 JS oracle (Math.exp/tanh/expm1/log1p; erf by its everywhere-positive
//     series) with the project tolerance |got - ref| <= 1e-4 * max(1, |ref|) per element, and a
//     tighter accuracy budget per family (ACCURACY below: the approximations are meant to sit
//     near float32 rounding, far inside the project tolerance);
//   - wasmsimd against the scalar twin: bit for bit (NaN == NaN) where the two run the same IEEE
//     operations (relu, clamp, leaky_relu, hardswish, hardsigmoid, abs, neg, sqrt, rsqrt, floor,
//     ceil, trunc, round, sign, square, every binary op), otherwise within TWIN_TOL = 2e-6 abs + 2e-6 rel (the wasmsimd exp/tanh/erf/
//     log1p approximations vs libm), or the family's accuracy budget where only the summation
//     order differs (softmax, layer_norm);
//   - sentinels around every output (no write outside it) and NaN in input gaps (no read
//     outside the input rows).
// Special values (NaN, +-inf, +-0, huge, tiny, subnormal) follow torch's float32 formulas: the
// oracle evaluates the same formula in float64 and rounds to float32, so e.g. silu(-inf) and
// gelu(-inf) are NaN as in torch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, rng, unloadKernels } from './load_kernels.mjs';

const SCALAR = 0, WASMSIMD = 1;
const SIZES = [1, 3, 4, 7, 8, 17, 33, 1000];
const SENTINEL = -12345.5;
const PAD = 4;            // sentinel floats before and after each output
const TWIN_TOL = 2e-6;    // wasmsimd vs scalar twin, abs + rel, for the approximated ops
// Accuracy budgets, per element |got - ref| <= budget * max(1, |ref|) (measured worst cases on
// these inputs: vunary 8.3e-7 (wasmsimd gelu near x = -5, where 1 + erf cancels; every other op
// <= 2e-7, and the relative error of sigmoid/tanh/silu/elu/softplus/exp stays <= 1e-6 too),
// softmax 1.4e-6 (the scalar twin's in-order float32 sum over n = 1000), layer_norm < 1e-6).
const ACCURACY = { vunary: 1e-6, softmax: 4e-6, layernorm: 4e-6 };
const F32_MAX = 3.4028234663852886e38;

function gauss(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

// erf in float64: erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)); every term
// is positive, so no cancellation (relative error ~1e-16); |x| > 6 is +-1 in float64.
function erf(x) {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  let term = ax, sum = ax;
  for (let n = 1; n < 500 && term > sum * 1e-17; n++) {
    term *= (2 * ax * ax) / (2 * n + 1);
    sum += term;
  }
  return (Math.sign(x) * 2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
}

// torch.round: halves go to the even neighbour.
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

function alloc(M, floats) {
  const p = M._wt_alloc(Math.max(floats, 1) * 4);
  assert.notEqual(p, 0);
  return p;
}
function put(M, arr) {
  const p = alloc(M, arr.length);
  M.HEAPF32.set(arr, p / 4);
  return p;
}
// An output buffer of n floats with PAD sentinels each side; returns the pointer to element 0.
function outBuf(M, n) {
  const p = alloc(M, n + 2 * PAD);
  M.HEAPF32.fill(SENTINEL, p / 4, p / 4 + n + 2 * PAD);
  return p + PAD * 4;
}
// Reads n floats at py and checks the sentinels (and optional gaps: isGap(i) for i in 0..n).
function readOut(M, py, n, label, isGap = () => false) {
  const all = M.HEAPF32.slice(py / 4 - PAD, py / 4 + n + PAD);
  for (let i = 0; i < all.length; i++) {
    const j = i - PAD;
    if ((j < 0 || j >= n || isGap(j)) && all[i] !== SENTINEL) assert.fail(`${label}: wrote outside the output at ${j}`);
  }
  return all.slice(PAD, PAD + n);
}
const freeOut = (M, py) => M._wt_free(py - PAD * 4);

function sameValue(a, b) {  // bitwise equality with NaN == NaN (payloads may differ)
  return (Number.isNaN(a) && Number.isNaN(b)) || Object.is(a, b);
}
// got (float32) vs ref (float64, rounded to float32 here): NaN and infinities must match exactly.
function close(got, ref, tol) {
  const r = Math.fround(ref);
  if (Number.isNaN(r) || !Number.isFinite(r)) return sameValue(got, r) || (got === r);
  if (!Number.isFinite(got)) return false;
  return Math.abs(got - ref) <= tol * Math.max(1, Math.abs(ref));
}
function checkOracle(got, ref, tol, label, xs) {
  for (let i = 0; i < got.length; i++) {
    if (!close(got[i], ref[i], tol)) {
      const x = xs ? ` x=${xs[i]}` : '';
      assert.fail(`${label}[${i}]${x}: got ${got[i]}, oracle ${ref[i]} (tol ${tol} * max(1, |ref|))`);
    }
  }
}
function checkTwin(simd, scalar, exact, label, xs) {
  for (let i = 0; i < simd.length; i++) {
    const a = simd[i], b = scalar[i];
    const ok = exact ? sameValue(a, b)
      : sameValue(a, b)
        || (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= TWIN_TOL * (1 + Math.abs(b)));
    if (!ok) assert.fail(`${label}[${i}]${xs ? ` x=${xs[i]}` : ''}: wasmsimd ${a} vs scalar twin ${b}`);
  }
}

// ---- f32-vunary ---------------------------------------------------------------------------------

const SQRT_2_PI = Math.sqrt(2 / Math.PI);
const SELU = [1.6732632423543772, 1.0507009873554805, 1];
// [op id, name, attribute sets [p0, p1, p2], float64 oracle (x, p), input range, bit-exact twin,
//  relative accuracy (|ref| > 1e-30) besides the mixed budget]
const VUNARY = [
  [0, 'relu', [[]], (x) => Math.max(x, 0), 10, true, true],
  [1, 'clamp', [[0, 6], [-1, 1], [-Infinity, Infinity], [-0.5, -0.5]],
    (x, [lo, hi]) => (Number.isNaN(x) ? NaN : Math.min(Math.max(x, lo), hi)), 10, true, true],
  [2, 'leaky_relu', [[0.01], [0.2], [-1.5]], (x, [s]) => (x > 0 ? x : x * s), 10, true, true],
  [3, 'sigmoid', [[]], (x) => 1 / (1 + Math.exp(-x)), 30, false, true],
  [4, 'tanh', [[]], Math.tanh, 12, false, true],
  [5, 'silu', [[]], (x) => x / (1 + Math.exp(-x)), 30, false, true],
  [6, 'gelu', [[]], (x) => x * 0.5 * (1 + erf(x * Math.SQRT1_2)), 8, false, false],
  [7, 'gelu_tanh', [[]], (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_PI * (x + 0.044715 * x * x * x))), 8, false, false],
  // hardswish: torch's float32 product x * t is rounded before the division (hardswish(FLT_MAX) = inf).
  [8, 'hardswish', [[]], (x) => Math.fround(x * Math.min(Math.max(x + 3, 0), 6)) / 6, 8, true, true],
  [9, 'hardsigmoid', [[]], (x) => Math.min(Math.max(x + 3, 0), 6) / 6, 8, true, true],
  [10, 'elu', [[1, 1, 1], SELU, [2, 1, 0.5], [0.3, 1, 1]],
    (x, [a, s, is]) => (x > 0 ? s * x : a * s * Math.expm1(is * x)), 20, false, true],
  [11, 'softplus', [[1, 20], [2, 5], [0.5, 20]],
    (x, [b, t]) => (Math.fround(x * b) > t ? x : Math.log1p(Math.exp(b * x)) / b), 40, false, true],
  [12, 'exp', [[]], Math.exp, 80, false, true],
  [13, 'abs', [[]], Math.abs, 10, true, true],
  [14, 'neg', [[]], (x) => -x, 10, true, true],
  [15, 'sqrt', [[]], Math.sqrt, 100, true, true],
  [16, 'rsqrt', [[]], (x) => 1 / Math.sqrt(x), 100, true, true],
  [17, 'floor', [[]], Math.floor, 100, true, true],
  [18, 'ceil', [[]], Math.ceil, 100, true, true],
  [19, 'trunc', [[]], Math.trunc, 100, true, true],
  [20, 'round', [[]], roundHalfEven, 100, true, true],
  [21, 'sign', [[]], (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), 10, true, true],
  [22, 'square', [[]], (x) => x * x, 100, true, true],
  [23, 'erf', [[]], erf, 5, false, true],
  [24, 'mish', [[]], (x) => x * Math.tanh(Math.log1p(Math.exp(x))), 20, false, false],
  [25, 'log_sigmoid', [[]], (x) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x))), 30, false, false],
];
const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, F32_MAX, -F32_MAX, 1e-30, -1e-30,
  1e-40, -1e-40, 88.8, -88.8, 100, -100, 20, -20, 5.5, -5.5, 1, -1];

function runVunary(M, variant, op, x, p) {
  const n = x.length;
  const px = put(M, x), py = outBuf(M, n);
  assert.equal(M._wt_f32_vunary(variant, op, n, px, py, p[0] ?? 0, p[1] ?? 0, p[2] ?? 0), 0);
  const y = readOut(M, py, n, `vunary op ${op} v${variant} n=${n}`);
  M._wt_free(px);
  freeOut(M, py);
  return y;
}

function checkVunary(M, [op, name, , oracle, , exact, relative], x, p, label) {
  const ref = Array.from(x, (v) => oracle(v, p));
  const got = [SCALAR, WASMSIMD].map((v) => runVunary(M, v, op, x, p));
  for (const v of [SCALAR, WASMSIMD]) {
    const l = `${name}(${p}) ${label} v${v}`;
    checkOracle(got[v], ref, 1e-4, l, x);
    checkOracle(got[v], ref, ACCURACY.vunary, `${l} accuracy`, x);
    if (relative) {
      for (let i = 0; i < x.length; i++) {
        const r = ref[i];
        if (Number.isFinite(Math.fround(r)) && Math.abs(r) > 1e-30 && !(Math.abs(got[v][i] - r) <= 1e-6 * Math.abs(r)))
          assert.fail(`${l} relative[${i}] x=${x[i]}: got ${got[v][i]}, oracle ${r}`);
      }
    }
  }
  checkTwin(got[WASMSIMD], got[SCALAR], exact, `${name}(${p}) ${label}`, x);
}

function vunaryTests(variant) {
  test(`f32 vunary: every op and attribute over odd sizes, special values, in place (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      assert.equal(M._wt_f32_vunary_op_count(), VUNARY.length);
      assert.equal(M._wt_f32_vunary(2, 0, 0, 0, 0, 0, 0, 0), -1, 'unknown variant');
      assert.equal(M._wt_f32_vunary(0, VUNARY.length, 0, 0, 0, 0, 0, 0), -1, 'unknown op');
      for (const spec of VUNARY) {
        const [op, , attrs, , range] = spec;
        for (const p of attrs) {
          SIZES.forEach((n, si) => {
            const rand = rng(1000 * op + 10 * si + attrs.indexOf(p));
            const x = Float32Array.from({ length: n }, () => (rand() * 2 - 1) * range);
            checkVunary(M, spec, x, p, `n=${n}`);
          });
          // Dense sweep over the op's range plus the small-|x| region.
          const dense = Float32Array.from({ length: 4001 },
            (_, i) => (i < 1000 ? (i - 500) * 1e-5 : ((i - 2500) / 1500) * range));
          checkVunary(M, spec, dense, p, 'dense');
          checkVunary(M, spec, Float32Array.from(SPECIALS), p, 'specials');
        }
        // In place (y == x): every variant, odd size.
        const p = attrs[0], n = 37;
        const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * range);
        const ref = runVunary(M, WASMSIMD, op, x, p);
        for (const v of [SCALAR, WASMSIMD]) {
          const px = put(M, x);
          M._wt_f32_vunary(v, op, n, px, px, p[0] ?? 0, p[1] ?? 0, p[2] ?? 0);
          const y = M.HEAPF32.slice(px / 4, px / 4 + n);
          if (v === WASMSIMD) checkTwin(y, ref, true, `${spec[1]} in place`);
          else checkTwin(ref, y, spec[5], `${spec[1]} in place`);
          M._wt_free(px);
        }
      }
      // Sign of zero where torch defines it.
      const z = Float32Array.from([0, -0]);
      for (const v of [SCALAR, WASMSIMD]) {
        assert.deepEqual(Array.from(runVunary(M, v, 4, z, [])), [0, -0], `tanh(+-0) v${v}`);
        assert.deepEqual(Array.from(runVunary(M, v, 13, z, [])), [0, 0], `abs(+-0) v${v}`);
        assert.deepEqual(Array.from(runVunary(M, v, 14, z, [])), [-0, 0], `neg(+-0) v${v}`);
        assert.deepEqual(Array.from(runVunary(M, v, 15, z, [])), [0, -0], `sqrt(+-0) v${v}`);
      }
    } finally {
      unloadKernels(M);
    }
  });
}

// ---- f32-vbinary-bcast --------------------------------------------------------------------------

const VBINARY = [
  [0, 'add', (a, b) => a + b], [1, 'sub', (a, b) => a - b], [2, 'mul', (a, b) => a * b],
  [3, 'div', (a, b) => a / b], [4, 'max', (a, b) => Math.max(a, b)], [5, 'min', (a, b) => Math.min(a, b)],
];
const BCAST = [
  [[], []], [[7], [7]], [[1000], []], [[], [33]], [[1], [17]], [[3, 4], [4]], [[17], [3, 17]],
  [[5, 1], [5, 7]], [[5, 7], [5, 1]], [[1, 7], [5, 1]], [[8], [3, 1]], [[2, 3, 4, 5], [1, 5]],
  [[2, 3, 4, 5], [2, 1, 1, 5]], [[2, 3, 1, 5], [3, 4, 1]], [[1, 1, 1], [8]], [[4, 3, 3, 33], [33]],
  [[1, 33], [4, 3, 3, 33]], [[4, 3, 3, 8], [4, 1, 1, 8]], [[2, 1, 3, 1, 2, 3], [1, 2, 1, 4, 2, 1]],
  [[2, 2, 2, 2, 2, 2], [2, 1, 2, 1, 2, 1]], [[3, 1, 1, 1, 1, 7], [1, 1, 1, 1, 1, 1]], [[0, 3], [3]],
  [[2, 0], [1]], [[4, 1], [1, 0]], [[3, 7], [3, 7]],
];
const CLAMPS = [[-Infinity, Infinity], [0, Infinity], [-1, 1]];

function broadcastShape(as, bs) {
  const r = Math.max(as.length, bs.length), out = [];
  for (let i = 0; i < r; i++) {
    const a = as[as.length - r + i] ?? 1, b = bs[bs.length - r + i] ?? 1;
    out.push(a === 1 ? b : a);
  }
  return out;
}
// Index of the element of a (shape s) feeding output element `flat` of shape out.
function sourceIndex(flat, out, s) {
  let idx = 0, stride = 1;
  for (let d = out.length - 1, k = s.length - 1; d >= 0; d--, k--) {
    const o = flat % out[d];
    flat = Math.floor(flat / out[d]);
    if (k >= 0) {
      if (s[k] !== 1) idx += o * stride;
      stride *= s[k];
    }
  }
  return idx;
}
const numel = (s) => s.reduce((p, d) => p * d, 1);

function runVbinary(M, variant, op, as, bs, a, b, min, max) {
  const pas = alloc(M, 6), pbs = alloc(M, 6);
  new Uint32Array(M.HEAPU8.buffer, pas, 6).set(as);
  new Uint32Array(M.HEAPU8.buffer, pbs, 6).set(bs);
  const pa = put(M, a), pb = put(M, b);
  const n = numel(broadcastShape(as, bs));
  const py = outBuf(M, n);
  const status = M._wt_f32_vbinary_nd(variant, op, as.length, pas, bs.length, pbs, pa, pb, py, min, max);
  const y = readOut(M, py, n, `vbinary op ${op} v${variant} ${JSON.stringify([as, bs])}`);
  for (const p of [pas, pbs, pa, pb]) M._wt_free(p);
  freeOut(M, py);
  return { status, y };
}

function vbinaryTests(variant) {
  test(`f32 vbinary-bcast: every op and clamp over broadcast shape pairs (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      BCAST.forEach(([as, bs], si) => {
        const out = broadcastShape(as, bs), n = numel(out);
        const rand = rng(77 + si);
        const a = Float32Array.from({ length: numel(as) }, () => rand() * 8 - 4);
        const b = Float32Array.from({ length: numel(bs) }, () => rand() * 8 - 4 || 1);
        if (a.length > 5) { a[1] = NaN; a[2] = Infinity; a[3] = -0; }  // specials flow through
        if (b.length > 5) { b[2] = -Infinity; b[4] = 0; }
        for (const [op, name, f] of VBINARY) {
          for (const [min, max] of CLAMPS) {
            const ref = Array.from({ length: n }, (_, i) => {
              const v = f(a[sourceIndex(i, out, as)], b[sourceIndex(i, out, bs)]);
              return Number.isNaN(v) ? v : Math.min(Math.max(v, min), max);
            });
            const got = [SCALAR, WASMSIMD].map((v) => runVbinary(M, v, op, as, bs, a, b, min, max));
            const label = `${name} ${JSON.stringify(as)} ${JSON.stringify(bs)} clamp(${min},${max})`;
            for (const v of [SCALAR, WASMSIMD]) {
              assert.equal(got[v].status, 0, label);
              // float32 result == float64 result rounded once to float32 (add/sub/mul/div/max/min
              // of float32 inputs, up to rare double rounding, hence 2^-24 relative).
              for (let i = 0; i < n; i++) {
                const r = Math.fround(ref[i]), g = got[v].y[i];
                if (!(sameValue(g, r) || Math.abs(g - r) <= Math.abs(r) * 2 ** -24))
                  assert.fail(`${label} v${v}[${i}]: got ${g}, oracle ${ref[i]}`);
              }
            }
            checkTwin(got[WASMSIMD].y, got[SCALAR].y, true, label);
          }
        }
      });
      // Errors: shapes that do not broadcast, rank > 6, unknown op / variant; nothing written.
      const bad = [[[2, 3], [4]], [[3, 2, 2], [4, 2]], [[1, 1, 1, 1, 1, 1, 1], [1]], [[2], [1, 1, 1, 1, 1, 1, 1]]];
      const expect = [-2, -2, -1, -1];
      bad.forEach(([as, bs], i) => {
        for (const v of [SCALAR, WASMSIMD]) {
          const pas = alloc(M, 8), pbs = alloc(M, 8), pa = alloc(M, 64), pb = alloc(M, 64), py = outBuf(M, 0);
          new Uint32Array(M.HEAPU8.buffer, pas, 8).set(as);
          new Uint32Array(M.HEAPU8.buffer, pbs, 8).set(bs);
          const status = M._wt_f32_vbinary_nd(v, 0, as.length, pas, bs.length, pbs, pa, pb, py, -Infinity, Infinity);
          assert.equal(status, expect[i]);
          readOut(M, py, 0, `bad shapes ${i}`);
          for (const p of [pas, pbs, pa, pb]) M._wt_free(p);
          freeOut(M, py);
        }
      });
      const p0 = alloc(M, 4);
      assert.equal(M._wt_f32_vbinary_nd(0, 6, 0, p0, 0, p0, p0, p0, p0, 0, 0), -1, 'unknown op');
      assert.equal(M._wt_f32_vbinary_nd(2, 0, 0, p0, 0, p0, p0, p0, p0, 0, 0), -1, 'unknown variant');
      M._wt_free(p0);
    } finally {
      unloadKernels(M);
    }
  });
}

// ---- f32-softmax --------------------------------------------------------------------------------

function softmaxOracle(x, log) {
  let m = -Infinity;
  for (const v of x) m = Number.isNaN(v) || Number.isNaN(m) ? NaN : Math.max(m, v);
  let s = 0;
  for (const v of x) s += Math.exp(v - m);
  return Array.from(x, (v) => (log ? v - m - Math.log(s) : Math.exp(v - m) / s));
}

// rows of n floats at stride ld (>= n); NaN in the gaps; output rows at stride ldy with
// sentinels in its gaps.
function runRows(M, fn, rows, n, ld, ldy, x) {
  const xs = new Float32Array(Math.max(1, (rows - 1) * ld + n)).fill(NaN);
  for (let r = 0; r < rows; r++) xs.set(x.subarray(r * n, r * n + n), r * ld);
  const px = put(M, xs);
  const total = rows === 0 ? 0 : (rows - 1) * ldy + n;
  const py = outBuf(M, total);
  fn(px, py);
  const all = readOut(M, py, total, 'rows', (j) => j % ldy >= n);
  M._wt_free(px);
  freeOut(M, py);
  const y = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) y.set(all.subarray(r * ldy, r * ldy + n), r * n);
  return y;
}

// runRows for softmax / log_softmax.
function runRowsSoftmax(M, rows, n, ld, ldy, x, v, log) {
  return runRows(M, (px, py) => {
    assert.equal(M._wt_f32_softmax_rows(v, log, rows, n, px, ld, py, ldy), 0);
  }, rows, n, ld, ldy, x);
}

function softmaxTests(variant) {
  test(`f32 softmax / log_softmax: odd sizes, large values, -inf, NaN rows (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      assert.equal(M._wt_f32_softmax_rows(2, 0, 0, 0, 0, 0, 0, 0), -1, 'unknown variant');
      const cases = [];
      SIZES.forEach((n, si) => {
        const rand = rng(500 + si);
        const rows = 3;
        const x = Float32Array.from({ length: rows * n }, () => gauss(rand) * 4);
        cases.push({ n, rows, x, what: 'gauss*4' });
        // Large values (1e4 offsets, spread 30) and -inf entries.
        const big = Float32Array.from({ length: rows * n }, () => 1e4 + rand() * 30 - (rand() < 0.5 ? 2e4 : 0));
        for (let i = 0; i < big.length; i += 3) big[i] = -Infinity;
        big[big.length - 1] = 1e4;  // at least one finite entry in the last row
        cases.push({ n, rows, x: big, what: '1e4 and -inf' });
      });
      // Special rows: all -inf (NaN, as torch), one NaN (NaN row), +inf (NaN row), single element.
      cases.push({ n: 5, rows: 4, what: 'special rows', x: Float32Array.from([
        -Infinity, -Infinity, -Infinity, -Infinity, -Infinity,
        1, 2, NaN, 3, 4,
        1, Infinity, 2, 3, 4,
        -3e38, 3e38, 0, -0, 1e-40]) });
      cases.push({ n: 1, rows: 3, what: 'n=1', x: Float32Array.from([5, -Infinity, 1e30]) });
      for (const { n, rows, x, what } of cases) {
        for (const log of [0, 1]) {
          const ref = [];
          for (let r = 0; r < rows; r++) ref.push(...softmaxOracle(x.subarray(r * n, r * n + n), log));
          for (const [ld, ldy] of [[n, n], [n + 3, n + 1]]) {
            const got = [SCALAR, WASMSIMD].map((v) => runRowsSoftmax(M, rows, n, ld, ldy, x, v, log));
            const label = `${log ? 'log_' : ''}softmax n=${n} ${what} ld=${ld}/${ldy}`;
            for (const v of [SCALAR, WASMSIMD]) {
              checkOracle(got[v], ref, 1e-4, `${label} v${v}`);
              checkOracle(got[v], ref, ACCURACY.softmax, `${label} v${v} accuracy`);
            }
            // Different exp and summation order: the twins agree to a tolerance.
            for (let i = 0; i < got[0].length; i++) {
              const a = got[1][i], b = got[0][i];
              if (!(sameValue(a, b) || Math.abs(a - b) <= 2 * ACCURACY.softmax * Math.max(1, Math.abs(b))))
                assert.fail(`${label}[${i}]: wasmsimd ${a} vs scalar twin ${b}`);
            }
          }
          // In place.
          const px = put(M, x);
          M._wt_f32_softmax_rows(WASMSIMD, log, rows, n, px, n, px, n);
          checkOracle(M.HEAPF32.slice(px / 4, px / 4 + rows * n), ref, ACCURACY.softmax, `in place ${what} log=${log}`);
          M._wt_free(px);
        }
      }
      // Explicit torch values: an all -inf row is NaN; a one-element row is 1 (log: 0).
      for (const v of [SCALAR, WASMSIMD]) {
        const allNegInf = runRowsSoftmax(M, 1, 3, 3, 3, Float32Array.from([-Infinity, -Infinity, -Infinity]), v, 0);
        assert.ok(allNegInf.every(Number.isNaN), `all -inf row v${v}`);
        assert.deepEqual(Array.from(runRowsSoftmax(M, 2, 1, 1, 1, Float32Array.from([7, -1e30]), v, 0)), [1, 1]);
        assert.deepEqual(Array.from(runRowsSoftmax(M, 2, 1, 1, 1, Float32Array.from([7, -1e30]), v, 1)), [0, 0]);
      }
    } finally {
      unloadKernels(M);
    }
  });
}

// ---- f32-layernorm ------------------------------------------------------------------------------

function layernormOracle(x, n, gamma, beta, eps, rms) {
  const y = [];
  for (let r = 0; r < x.length / n; r++) {
    const row = Array.from(x.subarray(r * n, r * n + n));
    let mean = 0;
    if (!rms) mean = row.reduce((s, v) => s + v, 0) / n;
    const ms = row.reduce((s, v) => s + (v - mean) * (v - mean), 0) / n;
    const rstd = 1 / Math.sqrt(ms + eps);
    row.forEach((v, i) => y.push((v - mean) * rstd * (gamma ? gamma[i] : 1) + (beta ? beta[i] : 0)));
  }
  return y;
}

function layernormTests(variant) {
  test(`f32 layer_norm / rms_norm: gamma/beta or not, large offsets, strides (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      assert.equal(M._wt_f32_layernorm_rows(2, 0, 0, 0, 0, 0, 0, 0, 0, 0), -1, 'unknown variant');
      assert.equal(M._wt_f32_rmsnorm_rows(2, 0, 0, 0, 0, 0, 0, 0, 0), -1, 'unknown variant');
      const DATA = [
        ['gauss', (g) => g],
        ['1000 + gauss', (g) => 1000 + g],
        ['1000 + 0.01 gauss', (g) => 1000 + 0.01 * g],
        ['-3e4 + 50 gauss', (g) => -3e4 + 50 * g],
        ['1e-3 gauss', (g) => 1e-3 * g],
      ];
      [1, 3, 17, 256, 1000].forEach((n, ni) => {
        const rows = 3;
        const rand = rng(900 + ni);
        const gamma = Float32Array.from({ length: n }, () => 1 + gauss(rand) * 0.5);
        const beta = Float32Array.from({ length: n }, () => gauss(rand));
        DATA.forEach(([what, f], di) => {
          const x = Float32Array.from({ length: rows * n }, () => f(gauss(rand)));
          for (const rms of [0, 1]) {
            const affines = rms ? [[gamma, null], [null, null]]
              : [[gamma, beta], [gamma, null], [null, beta], [null, null]];
            affines.forEach(([g, b], ai) => {
              const eps = rms ? 1e-6 : 1e-5;
              const ref = layernormOracle(x, n, g, b, eps, rms);
              const [ld, ldy] = (di + ai) % 2 ? [n + 5, n + 2] : [n, n];
              const got = [SCALAR, WASMSIMD].map((v) => {
                const pg = g ? put(M, g) : 0, pb = b ? put(M, b) : 0;
                const y = runRows(M, (px, py) => {
                  const status = rms ? M._wt_f32_rmsnorm_rows(v, rows, n, px, ld, pg, eps, py, ldy)
                    : M._wt_f32_layernorm_rows(v, rows, n, px, ld, pg, pb, eps, py, ldy);
                  assert.equal(status, 0);
                }, rows, n, ld, ldy, x);
                if (pg) M._wt_free(pg);
                if (pb) M._wt_free(pb);
                return y;
              });
              const label = `${rms ? 'rms' : 'layer'}_norm n=${n} ${what} gamma=${!!g} beta=${!!b} ld=${ld}/${ldy}`;
              for (const v of [SCALAR, WASMSIMD]) {
                checkOracle(got[v], ref, 1e-4, `${label} v${v}`);
                checkOracle(got[v], ref, ACCURACY.layernorm, `${label} v${v} accuracy`);
              }
              for (let i = 0; i < got[0].length; i++) {
                const a = got[1][i], c = got[0][i];
                if (!(Math.abs(a - c) <= 2 * ACCURACY.layernorm * Math.max(1, Math.abs(c))))
                  assert.fail(`${label}[${i}]: wasmsimd ${a} vs scalar twin ${c}`);
              }
            });
          }
        });
      });
      // In place, and n = 1 (layer_norm gives beta; rms_norm x / sqrt(x^2 + eps)).
      for (const v of [SCALAR, WASMSIMD]) {
        const x = Float32Array.from([3, -2, 5, 1e4]);
        const px = put(M, x), pb = put(M, [0.25, 0.25, 0.25, 0.25]);
        M._wt_f32_layernorm_rows(v, 4, 1, px, 1, 0, pb, 1e-5, px, 1);
        assert.deepEqual(Array.from(M.HEAPF32.slice(px / 4, px / 4 + 4)), [0.25, 0.25, 0.25, 0.25]);
        M.HEAPF32.set(x, px / 4);
        M._wt_f32_layernorm_rows(v, 1, 4, px, 4, 0, 0, 1e-5, px, 4);
        const ref = layernormOracle(x, 4, null, null, 1e-5, 0);
        checkOracle(M.HEAPF32.slice(px / 4, px / 4 + 4), ref, ACCURACY.layernorm, `in place v${v}`);
        M._wt_free(px);
        M._wt_free(pb);
      }
    } finally {
      unloadKernels(M);
    }
  });
}

for (const variant of ['st', 'mt']) {
  vunaryTests(variant);
  vbinaryTests(variant);
  softmaxTests(variant);
  layernormTests(variant);
}
