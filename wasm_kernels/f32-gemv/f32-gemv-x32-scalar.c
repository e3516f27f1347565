/* f32 GEMV, 32-column panels, scalar twin of f32-gemv-x32-wasmsimd.c (layout: include/wt_gemv.h). */
#include <string.h>

#include "wt_gemv.h"

void wt_f32_gemv_ukernel_x32__scalar(size_t nc, size_t kc, const float* x, const float* w, float* y) {
  for (size_t n0 = 0; n0 < nc; n0 += WT_GEMV_NR) {
    float acc[WT_GEMV_NR];
    memcpy(acc, w, sizeof acc);
    w += WT_GEMV_NR;
    for (size_t k = 0; k < kc; k++, w += WT_GEMV_NR)
      for (size_t j = 0; j < WT_GEMV_NR; j++) acc[j] += x[k] * w[j];
    const size_t nb = nc - n0 < WT_GEMV_NR ? nc - n0 : WT_GEMV_NR;
    memcpy(y + n0, acc, nb * sizeof(float));
  }
}
