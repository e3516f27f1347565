/* f32 y[i] = ((x[i] - m0) - c) * rstd [* gamma[i]] [+ beta[i]] (layer_norm's last pass; gamma,
 * beta may be NULL). Scalar twin, x1. */
#include "wt_elementwise.h"

WT_SCALAR_FN __attribute__((always_inline)) static inline void vlayernorm(
    size_t n, const float* x, float m0, float c, float rstd, const float* gamma, const float* beta,
    float* y, const int has_gamma, const int has_beta) {
  for (; n != 0; n--) {
    float v = ((*x++ - m0) - c) * rstd;
    if (has_gamma) v *= *gamma++;
    if (has_beta) v += *beta++;
    *y++ = v;
  }
}

WT_SCALAR_FN
void wt_f32_vlayernorm_ukernel__scalar_x1(size_t n, const float* x, float m0, float c, float rstd,
                                          const float* gamma, const float* beta, float* y) {
  if (gamma != NULL && beta != NULL)
    vlayernorm(n, x, m0, c, rstd, gamma, beta, y, 1, 1);
  else if (gamma != NULL)
    vlayernorm(n, x, m0, c, rstd, gamma, beta, y, 1, 0);
  else if (beta != NULL)
    vlayernorm(n, x, m0, c, rstd, gamma, beta, y, 0, 1);
  else
    vlayernorm(n, x, m0, c, rstd, gamma, beta, y, 0, 0);
}
