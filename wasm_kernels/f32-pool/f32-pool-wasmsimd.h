/* Shared helpers of the f32 pooling wasmsimd micro-kernels (private to f32-pool/). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <wasm_simd128.h>

/* Tap k of the current window: the indirection pointer, offset to the current image unless it is
 * the pad row. */
static inline const float* wt_pool_tap(const float** input, size_t k, size_t input_offset,
                                       const float* pad) {
  const float* i = input[k];
  return i != pad ? (const float*)((uintptr_t)i + input_offset) : i;
}

/* The last 1..3 channels, without reading past them (the other lanes are 0). */
static inline v128_t wt_pool_load_tail(const float* i, size_t r) {
  v128_t v = (r & 2) ? wasm_v128_load64_zero(i) : wasm_v128_load32_zero(i);
  if (r == 3) v = wasm_v128_load32_lane(i + 2, v, 2);
  return v;
}

static inline void wt_pool_store_tail(float* o, v128_t v, size_t r) {
  if (r & 2) {
    wasm_v128_store64_lane(o, v, 0);
    v = wasm_i64x2_shuffle(v, v, 1, 1);
    o += 2;
  }
  if (r & 1) wasm_v128_store32_lane(o, v, 0);
}
