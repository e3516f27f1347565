// f32-gemm family (XNNPACK-style tester): both wasmsimd kernel sets (loadsplat = production,
// splat = alternative) against the scalar twin (bit-exact: same k order, separate multiply and
// add, no FMA) and a float64 JS oracle, over odd M, N, K
// (every M/NR tail, N/NR tail and K/4 tail), strided A and C, and the clamp epilogues of
// Linear + none/relu/relu6, in both module variants. Sentinels catch writes outside C (before,
// after, and in the ldc gaps); NaN in A's lda gaps catches reads outside A.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, rng, unloadKernels } from './load_kernels.mjs';

const SCALAR = 0, WASMSIMD = 1, WASMSIMD_ALT = 2;
const VARIANTS = [SCALAR, WASMSIMD, WASMSIMD_ALT];
const SIZES = [1, 2, 3, 4, 6, 7, 8, 9, 17, 33, 64, 100];
const CLAMPS = [
  { name: 'none', min: -Infinity, max: Infinity },
  { name: 'relu', min: 0, max: Infinity },
  { name: 'relu6', min: 0, max: 6 },
];
const SENTINEL = -12345.5;
const C_PAD = 5;  // sentinel floats before and after C

// A representative product: every (M, N) pair, each with two K values chosen by rotation so every
// K meets every M and every N; strides rotate between dense and padded. Plus shapes whose packed
// weights exceed the driver's N-block budget, so the N-blocking path runs too.
function cases() {
  const out = [];
  SIZES.forEach((m, i) => SIZES.forEach((n, j) => {
    for (const r of [i + 2 * j, 3 * i + j + 5]) {
      const k = SIZES[r % SIZES.length];
      out.push({ m, n, k, lda: k + [0, 1, 5][r % 3], ldc: n + [0, 3][(i + j) % 2] });
    }
  }));
  out.push({ m: 9, n: 100, k: 1500, lda: 1503, ldc: 101 });
  out.push({ m: 6, n: 37, k: 4099, lda: 4099, ldc: 37 });
  out.push({ m: 3, n: 5, k: 0, lda: 1, ldc: 5 });  // K = 0: clamp(bias); A must not be read
  return out;
}

function alloc(M, floats) {
  const p = M._wt_alloc(Math.max(floats, 1) * 4);
  assert.notEqual(p, 0);
  return p;
}

// float64 oracle of clamp(bias + A . W^T) on the float32 inputs.
function oracle({ m, n, k, lda }, a, w, bias, min, max) {
  const ref = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = bias[j];
      for (let p = 0; p < k; p++) s += a[i * lda + p] * w[j * k + p];
      ref[i * n + j] = Math.min(Math.max(s, min), max);
    }
  return ref;
}

// Packs w/bias for a variant; checks pack stays within wt_f32_gemm_packed_size.
function pack(M, variant, n, k, pw, pb) {
  const bytes = M._wt_f32_gemm_packed_size(variant, n, k);
  const nr = M._wt_f32_gemm_nr(variant);
  assert.equal(bytes, Math.ceil(n / nr) * nr * (k + 1) * 4);
  const pp = alloc(M, bytes / 4 + 1);
  M.HEAPF32.fill(SENTINEL, pp / 4, pp / 4 + bytes / 4 + 1);  // pack must write every slot, no more
  M._wt_f32_gemm_pack(variant, n, k, pw, pb, pp);
  assert.equal(M.HEAPF32[pp / 4 + bytes / 4], SENTINEL, `pack v${variant} wrote past its size`);
  return pp;
}

function runCase(M, cs, seed) {
  const { m, n, k, lda, ldc } = cs;
  const rand = rng(seed);
  const a = new Float32Array(m * lda).fill(NaN);  // NaN in the gaps: reading them poisons C
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) a[i * lda + p] = rand() * 2 - 1;
  const w = Float32Array.from({ length: n * k }, () => rand() * 2 - 1);
  const bias = Float32Array.from({ length: n }, () => rand() * 16 - 8);  // so relu6 clamps even at K=1

  const pa = alloc(M, a.length), pw = alloc(M, w.length), pb = alloc(M, n);
  M.HEAPF32.set(a, pa / 4);
  M.HEAPF32.set(w, pw / 4);
  M.HEAPF32.set(bias, pb / 4);
  const packed = VARIANTS.map((v) => pack(M, v, n, k, pw, pb));
  const cFloats = C_PAD + (m - 1) * ldc + n + C_PAD;
  const pc = alloc(M, cFloats);
  const label = `M=${m} N=${n} K=${k} lda=${lda} ldc=${ldc}`;

  for (const { name, min, max } of CLAMPS) {
    const ref = oracle(cs, a, w, bias, min, max);
    let tol = 1;
    for (const x of ref) tol = Math.max(tol, Math.abs(x));
    tol *= 1e-4;
    const got = [];
    for (const v of VARIANTS) {
      M.HEAPF32.fill(SENTINEL, pc / 4, pc / 4 + cFloats);
      M._wt_f32_gemm_run(v, m, n, k, pa, lda, packed[v], pc + C_PAD * 4, ldc, min, max);
      const buf = M.HEAPF32.slice(pc / 4, pc / 4 + cFloats);
      const c = new Float32Array(m * n);
      for (let idx = 0; idx < cFloats; idx++) {
        const off = idx - C_PAD, i = Math.floor(off / ldc), j = off - i * ldc;
        if (off >= 0 && i < m && j < n) c[i * n + j] = buf[idx];
        else if (buf[idx] !== SENTINEL) assert.fail(`${label} ${name} v${v}: wrote outside C at float ${off}`);
      }
      for (let idx = 0; idx < c.length; idx++) {
        const err = Math.abs(c[idx] - ref[idx]);
        if (!(err <= tol)) {
          assert.fail(`${label} ${name} v${v}: C[${Math.floor(idx / n)},${idx % n}] = ${c[idx]}, oracle ${ref[idx]} (tol ${tol})`);
        }
      }
      got.push(c);
    }
    const bitsS = new Uint32Array(got[SCALAR].buffer);
    for (const v of [WASMSIMD, WASMSIMD_ALT]) {
      const bitsV = new Uint32Array(got[v].buffer);
      const bad = bitsS.findIndex((x, idx) => x !== bitsV[idx]);
      assert.equal(bad, -1, `${label} ${name}: v${v} != scalar at ${bad}: ${got[v][bad]} vs ${got[SCALAR][bad]}`);
    }
  }
  for (const p of [pa, pw, pb, pc, ...packed]) M._wt_free(p);
}

for (const variant of ['st', 'mt']) {
  test(`f32 gemm: tiles and packing (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      assert.deepEqual([M._wt_f32_gemm_mr(SCALAR), M._wt_f32_gemm_nr(SCALAR)], [4, 4]);
      assert.deepEqual([M._wt_f32_gemm_mr(WASMSIMD), M._wt_f32_gemm_nr(WASMSIMD)], [4, 8]);
      assert.deepEqual([M._wt_f32_gemm_mr(WASMSIMD_ALT), M._wt_f32_gemm_nr(WASMSIMD_ALT)], [4, 8]);
      assert.equal(M._wt_f32_gemm_packed_size(7, 3, 3), 0, 'unknown variant');
      // Layout of one [N=11, K=3] weight at NR=8: per panel, bias[8] then K rows of 8 weights.
      const n = 11, k = 3, nr = 8;
      const w = Float32Array.from({ length: n * k }, (_, i) => 100 + i);  // w[j][p] = 100 + 3j + p
      const bias = Float32Array.from({ length: n }, (_, j) => -1 - j);
      const pw = alloc(M, w.length), pb = alloc(M, n);
      M.HEAPF32.set(w, pw / 4);
      M.HEAPF32.set(bias, pb / 4);
      const expect = [];
      for (let n0 = 0; n0 < n; n0 += nr) {
        for (let j = 0; j < nr; j++) expect.push(n0 + j < n ? bias[n0 + j] : 0);
        for (let p = 0; p < k; p++) for (let j = 0; j < nr; j++) expect.push(n0 + j < n ? w[(n0 + j) * k + p] : 0);
      }
      const pp = pack(M, WASMSIMD, n, k, pw, pb);
      assert.deepEqual(Array.from(M.HEAPF32.subarray(pp / 4, pp / 4 + expect.length)), expect);
      M._wt_free(pp);
      // No bias (NULL): zeros in the bias slots.
      const pz = pack(M, SCALAR, n, k, pw, 0);
      assert.deepEqual(Array.from(M.HEAPF32.subarray(pz / 4, pz / 4 + 4)), [0, 0, 0, 0]);
      M._wt_free(pz); M._wt_free(pw); M._wt_free(pb);
    } finally {
      unloadKernels(M);
    }
  });

  test(`f32 gemm: wasmsimd == scalar twin ~= float64 oracle over odd sizes, strides, clamps (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      cases().forEach((cs, idx) => runCase(M, cs, 1000 + idx));
    } finally {
      unloadKernels(M);
    }
  });

  test(`f32 gemm: NaN propagates through the clamp (${variant})`, async () => {
    // torch.relu(nan) and torch.clamp(nan, 0, 6) are nan; the kernels' pmax/pmin order keeps that.
    const M = await loadKernels(variant);
    try {
      const m = 5, n = 9, k = 6;
      const a = Float32Array.from({ length: m * k }, (_, i) => (i % 5) - 2);
      a[2 * k + 3] = NaN;  // row 2
      const pa = alloc(M, a.length), pw = alloc(M, n * k), pc = alloc(M, m * n);
      M.HEAPF32.set(a, pa / 4);
      M.HEAPF32.fill(0.5, pw / 4, pw / 4 + n * k);
      for (const v of VARIANTS) {
        const pp = pack(M, v, n, k, pw, 0);
        for (const { name, min, max } of CLAMPS) {
          M._wt_f32_gemm_run(v, m, n, k, pa, k, pp, pc, n, min, max);
          const c = M.HEAPF32.slice(pc / 4, pc / 4 + m * n);
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++)
              assert.equal(Number.isNaN(c[i * n + j]), i === 2, `v${v} ${name} C[${i},${j}] = ${c[i * n + j]}`);
        }
        M._wt_free(pp);
      }
      M._wt_free(pa); M._wt_free(pw); M._wt_free(pc);
    } finally {
      unloadKernels(M);
    }
  });
}
