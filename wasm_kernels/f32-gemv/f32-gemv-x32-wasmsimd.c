/* f32 GEMV, 32-column panels, wasm SIMD128: eight independent v128 accumulators per K step hide
 * the f32x4.add latency (layout: include/wt_gemv.h). */
#include <string.h>

#include <wasm_simd128.h>

#include "wt_gemv.h"

#define NV (WT_GEMV_NR / 4)
#define UNROLL _Pragma("clang loop unroll(full)")

void wt_f32_gemv_ukernel_x32__wasmsimd(size_t nc, size_t kc, const float* x, const float* w, float* y) {
  for (size_t n0 = 0; n0 < nc; n0 += WT_GEMV_NR) {
    v128_t acc[NV];
    UNROLL for (size_t j = 0; j < NV; j++) acc[j] = wasm_v128_load(w + 4 * j);
    w += WT_GEMV_NR;
    for (size_t k = 0; k < kc; k++, w += WT_GEMV_NR) {
      const v128_t vx = wasm_v128_load32_splat(x + k);
      UNROLL for (size_t j = 0; j < NV; j++)
        acc[j] = wasm_f32x4_add(acc[j], wasm_f32x4_mul(vx, wasm_v128_load(w + 4 * j)));
    }
    if (nc - n0 >= WT_GEMV_NR) {
      UNROLL for (size_t j = 0; j < NV; j++) wasm_v128_store(y + n0 + 4 * j, acc[j]);
    } else {
      float tail[WT_GEMV_NR];
      UNROLL for (size_t j = 0; j < NV; j++) wasm_v128_store(tail + 4 * j, acc[j]);
      memcpy(y + n0, tail, (nc - n0) * sizeof(float));
    }
  }
}
