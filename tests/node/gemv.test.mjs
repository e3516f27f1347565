// f32-gemv (the batch-1 recurrent product, include/wt_gemv.h), table-driven over odd sizes in both
// module variants: the scalar twin (variant 0) and the wasmsimd kernel (variant 1) against a
// float32 JS oracle that adds in the kernels' order, so all three agree bit for bit; with and
// without a bias, over partial 32-column panels; sentinels around every output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, rng, unloadKernels } from './load_kernels.mjs';

const NS = [1, 3, 7, 17, 31, 32, 33, 65, 512];
const KS = [1, 3, 4, 17, 64, 128];
const PAD = 8;
const SENTINEL = -12345.5;

function put(M, arr) {
  const p = M._wt_alloc(Math.max(arr.byteLength, 4));
  assert.notEqual(p, 0);
  M.HEAPF32.set(arr, p / 4);
  return p;
}

function oracle(n, k, x, w, bias) {
  const f = Math.fround;
  return Float32Array.from({ length: n }, (_, j) => {
    let acc = bias ? bias[j] : 0;
    for (let i = 0; i < k; i++) acc = f(acc + f(x[i] * w[j * k + i]));
    return acc;
  });
}

function runGemv(M, variant, n, k, px, pp) {
  const py = M._wt_alloc((n + 2 * PAD) * 4);
  M.HEAPF32.fill(SENTINEL, py / 4, py / 4 + n + 2 * PAD);
  assert.equal(M._wt_f32_gemv(variant, n, k, px, pp, py + 4 * PAD), 0);
  const all = M.HEAPF32.slice(py / 4, py / 4 + n + 2 * PAD);
  M._wt_free(py);
  for (let i = 0; i < PAD; i++)
    if (all[i] !== SENTINEL || all[PAD + n + i] !== SENTINEL) assert.fail(`gemv v${variant} n=${n} k=${k}: wrote outside y`);
  return all.slice(PAD, PAD + n);
}

for (const variant of ['st', 'mt']) {
  test(`f32 gemv: scalar twin and wasmsimd equal a float32 oracle over odd sizes (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      const rand = rng(7);
      for (const n of NS) {
        for (const k of KS) {
          for (const withBias of [false, true]) {
            const x = Float32Array.from({ length: k }, () => rand() * 2 - 1);
            const w = Float32Array.from({ length: n * k }, () => rand() * 2 - 1);
            const bias = withBias ? Float32Array.from({ length: n }, () => rand() * 2 - 1) : null;
            const px = put(M, x), pw = put(M, w), pb = bias ? put(M, bias) : 0;
            const pp = M._wt_alloc(M._wt_f32_gemv_packed_size(n, k));
            M._wt_f32_gemv_pack(n, k, pw, pb, pp);
            const want = oracle(n, k, x, w, bias);
            for (const kv of [0, 1])
              assert.deepEqual(runGemv(M, kv, n, k, px, pp), want, `v${kv} n=${n} k=${k} bias=${withBias}`);
            [px, pw, pb, pp].filter((p) => p).forEach((p) => M._wt_free(p));
          }
        }
      }
      assert.equal(M._wt_f32_gemv(2, 1, 1, 0, 0, 0), -1);
    } finally {
      unloadKernels(M);
    }
  });
}
