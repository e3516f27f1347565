/* Exports of the kernel module. The plan runtime (issue 4) grows here; for now it exposes the
 * allocator and the first kernel family so the toolchain path is proven end to end. */
#include <stdlib.h>

#include <emscripten/emscripten.h>

#include "wt_kernels.h"

#define WT_ABI_VERSION 1

EMSCRIPTEN_KEEPALIVE int wt_abi_version(void) { return WT_ABI_VERSION; }

EMSCRIPTEN_KEEPALIVE int wt_threads_available(void) {
#ifdef __EMSCRIPTEN_PTHREADS__
  return 1;
#else
  return 0;
#endif
}

EMSCRIPTEN_KEEPALIVE void* wt_alloc(size_t bytes) { return aligned_alloc(64, (bytes + 63) & ~(size_t)63); }

EMSCRIPTEN_KEEPALIVE void wt_free(void* p) { free(p); }

/* variant 0 = scalar twin, 1 = wasmsimd; tests compare the two. */
EMSCRIPTEN_KEEPALIVE void wt_f32_vadd(int variant, size_t n, const float* a, const float* b, float* y) {
  if (variant == 0)
    wt_f32_vadd_ukernel__scalar_x4(n, a, b, y);
  else
    wt_f32_vadd_ukernel__wasmsimd_x8(n, a, b, y);
}

/* f32 GEMM (Linear / 1x1 convolution). variant 0 = scalar twin, 1 = wasmsimd (production),
 * 2 = wasmsimd with the other A broadcast (enum wt_gemm_variant); scalar and wasmsimd
 * use different panel widths (NR), so weights must be packed for the variant that runs them.
 * Sizes are in elements; lda/ldc are row strides in elements. Unknown variants return 0 / do
 * nothing. */
EMSCRIPTEN_KEEPALIVE int wt_f32_gemm_mr(int variant) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  return cfg != NULL ? (int)cfg->mr : 0;
}

EMSCRIPTEN_KEEPALIVE int wt_f32_gemm_nr(int variant) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  return cfg != NULL ? (int)cfg->nr : 0;
}

/* Bytes of packed weights for an [n, k] weight (+ bias) in this variant's layout. */
EMSCRIPTEN_KEEPALIVE size_t wt_f32_gemm_packed_size(int variant, size_t n, size_t k) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  return cfg != NULL ? wt_f32_gemm_packed_elements(1, n, k, cfg->nr) * sizeof(float) : 0;
}

/* w: [n, k] row-major (torch Linear weight); bias: [n] or NULL (0). */
EMSCRIPTEN_KEEPALIVE void wt_f32_gemm_pack(int variant, size_t n, size_t k, const float* w,
                                           const float* bias, float* packed) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  if (cfg != NULL) wt_f32_gemm_packw_goi(1, n, k, cfg->nr, w, bias, packed);
}

/* c[m, n] = clamp(a[m, k] . w^T + bias, min, max); min/max = -inf/+inf for no clamp. */
EMSCRIPTEN_KEEPALIVE void wt_f32_gemm_run(int variant, size_t m, size_t n, size_t k,
                                          const float* a, size_t lda, const float* packed,
                                          float* c, size_t ldc, float min, float max) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  if (cfg != NULL) wt_f32_gemm(cfg, m, n, k, a, lda, packed, c, ldc, min, max);
}
