/* f32 layer_norm / rms_norm over the last n elements of each row, single-threaded, no allocation
 * (contract: include/wt_elementwise.h).
 *
 * layer_norm uses the corrected two-pass algorithm: m0 = sum(x)/n in float32 can be off by many
 * ulps of the mean when the row sits on a large offset (x = 1000 + noise: sum ~ 1e6); the second
 * pass sums d = x - m0 (exact by Sterbenz when x is within a factor 2 of m0) and d^2, so that
 * c = sum(d)/n corrects the mean to first order and var = sum(d^2)/n - c^2 is computed from
 * small numbers. The mean stays split as m0 + c in the last pass, ((x - m0) - c) * rstd, so the
 * normalised values keep their accuracy even when the mean needs more than float32 precision
 * relative to the spread (torch's x * rstd - mean * rstd does not). */
#include <math.h>

#include "wt_elementwise.h"

void wt_f32_layernorm(const wt_layernorm_config* config, size_t rows, size_t n, const float* x,
                      size_t x_stride, const float* gamma, const float* beta, float eps, float* y,
                      size_t y_stride) {
  if (n == 0) return;
  const float inv_n = 1.0f / (float)n;
  for (size_t r = 0; r < rows; r++, x += x_stride, y += y_stride) {
    float sum, sums[2];
    config->rsum(n, x, &sum);
    const float m0 = sum * inv_n;
    config->rsumdev(n, x, m0, sums);
    const float c = sums[0] * inv_n;
    float var = sums[1] * inv_n - c * c;
    var = var < 0.0f ? 0.0f : var;
    const float rstd = 1.0f / sqrtf(var + eps);
    config->vlayernorm(n, x, m0, c, rstd, gamma, beta, y);
  }
}

void wt_f32_rmsnorm(const wt_layernorm_config* config, size_t rows, size_t n, const float* x,
                    size_t x_stride, const float* gamma, float eps, float* y, size_t y_stride) {
  if (n == 0) return;
  const float inv_n = 1.0f / (float)n;
  for (size_t r = 0; r < rows; r++, x += x_stride, y += y_stride) {
    float sumsq;
    config->rsumsq(n, x, &sumsq);
    const float rinv = 1.0f / sqrtf(sumsq * inv_n + eps);
    config->vrmsnorm(n, x, rinv, gamma, y);
  }
}
