// f32-layernorm family, group_norm (wt_f32_groupnorm: layer_norm's two-pass statistics over a
// block of channels, then the f32-vlayernormc scale/shift per channel): the scalar twin (variant 0)
// and wasmsimd (variant 1) against a float64 oracle of torch's group_norm (their sums run in
// different orders, so they agree to rounding, not bit for bit), over odd block shapes (every x8/x4/tail split of the channel length), with and
// without gamma/beta, rows on a large offset, and sentinels around the output. Both module variants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, rng, unloadKernels } from './load_kernels.mjs';

const SHAPES = [  // [images, channel groups, channels per group, inner]
  [1, 1, 1, 1], [1, 1, 1, 7], [2, 3, 1, 17], [1, 2, 3, 9], [3, 1, 4, 33], [1, 4, 2, 1], [2, 2, 5, 8], [1, 1, 7, 3]];
const PAD = 8;
const SENTINEL = -12345.5;

function oracle(x, groups, cg, ch, inner, gamma, beta, eps) {
  const block = ch * inner, y = new Float64Array(x.length);
  for (let g = 0; g < groups; g++) {
    let mean = 0, variance = 0;
    for (let i = 0; i < block; i++) mean += x[g * block + i];
    mean /= block;
    for (let i = 0; i < block; i++) variance += (x[g * block + i] - mean) ** 2;
    const rstd = 1 / Math.sqrt(variance / block + eps);
    for (let j = 0; j < ch; j++) {
      const c = (g % cg) * ch + j;
      for (let i = 0; i < inner; i++) {
        const k = g * block + j * inner + i;
        y[k] = (x[k] - mean) * rstd * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
      }
    }
  }
  return y;
}

function put(M, arr) {
  if (arr === null) return 0;
  const p = M._wt_alloc(Math.max(arr.byteLength, 4));
  M.HEAPF32.set(arr, p / 4);
  return p;
}

function run(M, variant, [n, cg, ch, inner], x, gamma, beta, eps) {
  const len = x.length, px = put(M, x), pg = put(M, gamma), pb = put(M, beta);
  const po = M._wt_alloc(4 * (len + 2 * PAD));
  M.HEAPF32.fill(SENTINEL, po / 4, po / 4 + len + 2 * PAD);
  assert.equal(M._wt_f32_groupnorm_blocks(variant, n * cg, cg, ch, inner, px, pg, pb, eps, po + 4 * PAD), 0);
  const all = M.HEAPF32.slice(po / 4, po / 4 + len + 2 * PAD);
  [px, pg, pb, po].filter((p) => p).forEach((p) => M._wt_free(p));
  for (let i = 0; i < PAD; i++)
    if (all[i] !== SENTINEL || all[PAD + len + i] !== SENTINEL) assert.fail(`variant ${variant}: wrote outside the output`);
  return all.slice(PAD, PAD + len);
}

for (const variant of ['st', 'mt']) {
  test(`f32 group_norm: odd blocks, affine or not, offset rows, both variants vs float64 (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      assert.equal(M._wt_f32_groupnorm_blocks(2, 1, 1, 1, 1, 0, 0, 0, 1e-5, 0), -1, 'unknown variant');
      SHAPES.forEach((shape, si) => {
        const [n, cg, ch, inner] = shape;
        for (const [affine, offset] of [[false, 0], [true, 0], [true, 1000]]) {
          const rand = rng(31 * si + (affine ? 7 : 0) + offset);
          const x = Float32Array.from({ length: n * cg * ch * inner }, () => offset + rand() * 4 - 2);
          const gamma = affine ? Float32Array.from({ length: cg * ch }, () => 0.5 + rand()) : null;
          const beta = affine ? Float32Array.from({ length: cg * ch }, () => rand() - 0.5) : null;
          const eps = 1e-5;
          const [a, b] = [0, 1].map((v) => run(M, v, shape, x, gamma, beta, eps));
          const want = oracle(x, n * cg, cg, ch, inner, gamma, beta, eps);
          // float32 statistics: error relative to the output scale, larger on a 1000 offset
          const tol = offset ? 2e-5 : 4e-6;
          for (let i = 0; i < a.length; i++)
            if (!(Math.abs(a[i] - want[i]) <= tol && Math.abs(b[i] - want[i]) <= tol))
              assert.fail(`${shape} affine ${affine} offset ${offset} [${i}]: scalar ${a[i]}, wasmsimd ${b[i]}, want ${want[i]}`);
        }
      });
    } finally {
      unloadKernels(M);
    }
  });
}
