/* Helpers shared by the f32-dwconv wasm SIMD128 templates: channel-tail loads and stores that
 * touch only the channels that exist, and the clamp epilogue. */
#pragma once
#include <stddef.h>

#include <wasm_simd128.h>

/* Loads channels [0, c) of p, 1 <= c <= 3, zeros in the other lanes. No byte past p[c-1] is read
 * (XNNPACK reads whole vectors there, XNN_OOB_READS; a wasm load past the end of memory traps). */
static inline v128_t wt_dwconv_load_tail(const float* p, size_t c) {
  if (c & 2) {
    v128_t v = wasm_v128_load64_zero(p);
    if (c & 1) v = wasm_v128_load32_lane(p + 2, v, 2);
    return v;
  }
  return wasm_v128_load32_zero(p);
}

/* Stores lanes [0, c) of v to p, 1 <= c <= 3. */
static inline void wt_dwconv_store_tail(float* p, v128_t v, size_t c) {
  if (c & 2) {
    wasm_v128_store64_lane(p, v, 0);
    v = wasm_i64x2_shuffle(v, v, 1, 1);
    p += 2;
  }
  if (c & 1) wasm_v128_store32_lane(p, v, 0);
}

/* pmax(x, lo) = x < lo ? lo : x; pmin(x, hi) = hi < x ? hi : x: NaN passes through, as in the
 * scalar twin and torch.clamp. */
static inline v128_t wt_dwconv_clamp(v128_t v, v128_t vmin, v128_t vmax) {
  return wasm_f32x4_pmin(wasm_f32x4_pmax(v, vmin), vmax);
}
