// f32-vbinary family: the SIMD kernel against its scalar twin and a plain JS oracle, over odd sizes,
// in both module variants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, unloadKernels } from './load_kernels.mjs';

const SIZES = [1, 3, 7, 8, 17, 33, 64, 1001];

for (const variant of ['st', 'mt']) {
  test(`f32 vadd matches the scalar twin (${variant})`, async () => {
    const M = await loadKernels(variant);
    assert.equal(M._wt_abi_version(), 1);
    assert.equal(M._wt_threads_available(), variant === 'mt' ? 1 : 0);
    for (const n of SIZES) {
      const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
      const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 7));
      const pa = M._wt_alloc(n * 4), pb = M._wt_alloc(n * 4), py = M._wt_alloc(n * 4 + 4);
      M.HEAPF32.set(a, pa / 4);
      M.HEAPF32.set(b, pb / 4);
      const out = {};
      for (const v of [0, 1]) {
        M.HEAPF32[py / 4 + n] = 12345;  // sentinel: the kernel must not write past n
        M._wt_f32_vadd(v, n, pa, pb, py);
        out[v] = M.HEAPF32.slice(py / 4, py / 4 + n);
        assert.equal(M.HEAPF32[py / 4 + n], 12345, `vadd variant ${v} wrote past n=${n}`);
      }
      const oracle = Float32Array.from(a, (x, i) => x + b[i]);
      assert.deepEqual(out[0], oracle, `scalar n=${n}`);
      assert.deepEqual(out[1], out[0], `wasmsimd vs scalar n=${n}`);
      M._wt_free(pa); M._wt_free(pb); M._wt_free(py);
    }
    unloadKernels(M);
  });
}
