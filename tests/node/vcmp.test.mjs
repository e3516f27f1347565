// f32-vcmp (comparisons to 0/1 bytes, both operands or b a scalar) and x32-vselect (32-bit select
// with strides 0 or 1), table-driven over odd sizes in both module variants: the scalar twin
// (variant 0) and the wasmsimd kernels (variant 1) against a JS oracle and bit for bit against
// each other; sentinel bytes around every output (no write outside it); inputs with NaN, +-inf,
// +-0 and many ties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, rng, unloadKernels } from './load_kernels.mjs';

const SIZES = [0, 1, 3, 4, 7, 8, 9, 17, 33, 1000];
const PAD = 8;
const SENTINEL = 0xa5;
const VCMP = [[0, 'eq', (a, b) => a === b], [1, 'ne', (a, b) => a !== b], [2, 'lt', (a, b) => a < b],
  [3, 'le', (a, b) => a <= b], [4, 'gt', (a, b) => a > b], [5, 'ge', (a, b) => a >= b]];
const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5];

function values(rand, n) {  // small integers (ties are common) and special values
  return Float32Array.from({ length: n }, () =>
    (rand() < 0.2 ? SPECIALS[Math.floor(rand() * SPECIALS.length)] : Math.round((rand() * 2 - 1) * 3)));
}

function put(M, arr) {
  const p = M._wt_alloc(Math.max(arr.byteLength, 1));
  assert.notEqual(p, 0);
  M.HEAPU8.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), p);
  return p;
}

// An output of `bytes` bytes with PAD sentinel bytes each side; read() checks them.
function output(M, bytes, label) {
  const p = M._wt_alloc(bytes + 2 * PAD);
  M.HEAPU8.fill(SENTINEL, p, p + bytes + 2 * PAD);
  return {
    ptr: p + PAD,
    read() {
      const all = M.HEAPU8.slice(p, p + bytes + 2 * PAD);
      for (let i = 0; i < PAD; i++)
        if (all[i] !== SENTINEL || all[PAD + bytes + i] !== SENTINEL) assert.fail(`${label}: wrote outside the output`);
      M._wt_free(p);
      return all.slice(PAD, PAD + bytes);
    },
  };
}

function runVcmp(M, variant, op, a, b, scalar) {
  const pa = put(M, a), pb = put(M, b);
  const out = output(M, a.length, `vcmp op ${op} v${variant} n=${a.length}`);
  assert.equal(M._wt_f32_vcmp(variant, op, a.length, pa, pb, out.ptr, scalar ? 1 : 0), 0);
  M._wt_free(pa);
  M._wt_free(pb);
  return out.read();
}

function runSelect(M, variant, n, c, sc, a, sa, b, sb) {
  const pc = put(M, c), pa = put(M, a), pb = put(M, b);
  const out = output(M, 4 * n, `vselect v${variant} n=${n} strides ${sc}${sa}${sb}`);
  assert.equal(M._wt_x32_vselect(variant, n, pc, sc, pa, sa, pb, sb, out.ptr), 0);
  [pc, pa, pb].forEach((p) => M._wt_free(p));
  return new Uint32Array(out.read().buffer);
}

for (const variant of ['st', 'mt']) {
  test(`f32 vcmp: every op, vector and scalar b, odd sizes, NaN/inf/zeros (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      assert.equal(M._wt_f32_vcmp(2, 0, 0, 0, 0, 0, 0), -1, 'unknown variant');
      assert.equal(M._wt_f32_vcmp(0, VCMP.length, 0, 0, 0, 0, 0), -1, 'unknown op');
      for (const [op, name, oracle] of VCMP) {
        SIZES.forEach((n, si) => {
          const rand = rng(100 * op + si);
          const a = values(rand, n), b = values(rand, n);
          for (const scalar of [false, true]) {
            const bs = scalar ? b.subarray(0, 1).length ? b.slice(0, 1) : Float32Array.of(0.5) : b;
            const got = [0, 1].map((v) => runVcmp(M, v, op, a, bs, scalar));
            for (let i = 0; i < n; i++) {
              const want = oracle(a[i], scalar ? bs[0] : b[i]) ? 1 : 0;
              if (got[0][i] !== want || got[1][i] !== want)
                assert.fail(`${name}${scalar ? 'c' : ''} n=${n} [${i}] ${a[i]} vs ${scalar ? bs[0] : b[i]}: `
                  + `scalar ${got[0][i]}, wasmsimd ${got[1][i]}, want ${want}`);
            }
          }
        });
      }
    } finally {
      unloadKernels(M);
    }
  });

  test(`x32 vselect: every stride pattern over odd sizes (${variant})`, async () => {
    const M = await loadKernels(variant);
    try {
      assert.equal(M._wt_x32_vselect(2, 0, 0, 0, 0, 0, 0, 0, 0), -1, 'unknown variant');
      assert.equal(M._wt_x32_vselect(0, 0, 0, 2, 0, 0, 0, 0, 0), -1, 'stride above 1');
      SIZES.filter((n) => n > 0).forEach((n, si) => {
        const rand = rng(7000 + si);
        const c = Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 0 : 1 + Math.floor(rand() * 255)));
        const a = Uint32Array.from({ length: n }, () => Math.floor(rand() * 2 ** 32));
        const b = Uint32Array.from({ length: n }, () => Math.floor(rand() * 2 ** 32));
        for (let pattern = 0; pattern < 8; pattern++) {
          const [sc, sa, sb] = [pattern >> 2 & 1, pattern >> 1 & 1, pattern & 1];
          const got = [0, 1].map((v) => runSelect(M, v, n, c, sc, a, sa, b, sb));
          for (let i = 0; i < n; i++) {
            const want = c[i * sc] ? a[i * sa] : b[i * sb];
            if (got[0][i] !== want || got[1][i] !== want)
              assert.fail(`n=${n} strides ${sc}${sa}${sb} [${i}]: scalar ${got[0][i]}, wasmsimd ${got[1][i]}, want ${want}`);
          }
        }
      });
    } finally {
      unloadKernels(M);
    }
  });
}
