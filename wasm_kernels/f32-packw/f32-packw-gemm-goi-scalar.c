/* Weight packing for the f32 GEMM micro-kernels (layout: include/wt_kernels.h). Runs once per
 * model load, so plain scalar code: it streams each of the nr weight rows of a panel. */

#include "wt_kernels.h"

size_t wt_f32_gemm_packed_elements(size_t g, size_t nc, size_t kc, size_t nr) {
  return g * ((nc + nr - 1) / nr * nr) * (kc + 1);
}

void wt_f32_gemm_packw_goi(size_t g, size_t nc, size_t kc, size_t nr, const float* w,
                           const float* b, float* packed) {
  for (; g != 0; g--) {
    for (size_t n0 = 0; n0 < nc; n0 += nr) {
      const size_t nb = nc - n0 < nr ? nc - n0 : nr;
      /* bias, zero-padded */
      for (size_t j = 0; j < nb; j++) packed[j] = b != NULL ? b[n0 + j] : 0.0f;
      for (size_t j = nb; j < nr; j++) packed[j] = 0.0f;
      packed += nr;
      /* K rows of nr weights: packed[k*nr + j] = w[n0 + j][k], zero past nc */
      for (size_t j = 0; j < nb; j++) {
        const float* wrow = w + (n0 + j) * kc;
        for (size_t k = 0; k < kc; k++) packed[k * nr + j] = wrow[k];
      }
      for (size_t j = nb; j < nr; j++)
        for (size_t k = 0; k < kc; k++) packed[k * nr + j] = 0.0f;
      packed += kc * nr;
    }
    w += nc * kc;
    if (b != NULL) b += nc;
  }
}
