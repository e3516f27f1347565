/* Module exports of the f32-gemv family (test and benchmark entry points). */
#include <emscripten/emscripten.h>

#include "wt_gemv.h"
#include "wt_kernels.h"

/* Bytes of an [n, k] weight (+ bias) packed for the GEMV. */
EMSCRIPTEN_KEEPALIVE size_t wt_f32_gemv_packed_size(size_t n, size_t k) {
  return wt_f32_gemm_packed_elements(1, n, k, WT_GEMV_NR) * sizeof(float);
}

/* w: [n, k] row-major (torch Linear weight); bias: [n] or NULL (0). */
EMSCRIPTEN_KEEPALIVE void wt_f32_gemv_pack(size_t n, size_t k, const float* w, const float* bias,
                                           float* packed) {
  wt_f32_gemm_packw_goi(1, n, k, WT_GEMV_NR, w, bias, packed);
}

/* y[n] = x[k] . w^T + bias. Returns 0, or -1 for an unknown variant. */
EMSCRIPTEN_KEEPALIVE int wt_f32_gemv(int variant, size_t n, size_t k, const float* x,
                                     const float* packed, float* y) {
  const wt_f32_gemv_ukernel_fn fn = wt_f32_gemv_ukernel(variant);
  if (fn == NULL) return -1;
  fn(n, k, x, packed, y);
  return 0;
}
