/* f32 layer_norm / rms_norm over the last n elements of each row, and group_norm of contiguous
 * blocks (layer_norm's statistics, a scale and shift per channel), single-threaded, no allocation
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

/* The mean as m0 + c and 1 / sqrt(var + eps) of x[0..n), n >= 1 (the two passes). */
static float row_stats(const wt_layernorm_config* config, size_t n, const float* x, float eps,
                       float* m0, float* c) {
  const float inv_n = 1.0f / (float)n;
  float sum, sums[2];
  config->rsum(n, x, &sum);
  *m0 = sum * inv_n;
  config->rsumdev(n, x, *m0, sums);
  *c = sums[0] * inv_n;
  float var = sums[1] * inv_n - *c * *c;
  var = var < 0.0f ? 0.0f : var;
  return 1.0f / sqrtf(var + eps);
}

void wt_f32_layernorm(const wt_layernorm_config* config, size_t rows, size_t n, const float* x,
                      size_t x_stride, const float* gamma, const float* beta, float eps, float* y,
                      size_t y_stride) {
  if (n == 0) return;
  for (size_t r = 0; r < rows; r++, x += x_stride, y += y_stride) {
    float m0, c;
    const float rstd = row_stats(config, n, x, eps, &m0, &c);
    config->vlayernorm(n, x, m0, c, rstd, gamma, beta, y);
  }
}

void wt_f32_groupnorm(const wt_layernorm_config* config, size_t groups, size_t channel_groups,
                      size_t channels, size_t inner, const float* x, const float* gamma,
                      const float* beta, float eps, float* y) {
  const size_t block = channels * inner;
  if (block == 0) return;
  for (size_t g = 0; g < groups; g++, x += block, y += block) {
    float m0, c;
    const float rstd = row_stats(config, block, x, eps, &m0, &c);
    const size_t ch0 = g % channel_groups * channels;
    for (size_t j = 0; j < channels; j++)
      config->vlayernormc(inner, x + j * inner, m0, c, gamma ? rstd * gamma[ch0 + j] : rstd,
                          beta ? beta[ch0 + j] : 0.0f, y + j * inner);
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
