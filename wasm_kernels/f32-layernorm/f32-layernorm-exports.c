/* Module exports of the f32-layernorm family. */
#include <emscripten/emscripten.h>

#include "wt_elementwise.h"

/* layer_norm over the last dimension of [rows, n]: gamma / beta = 0 (NULL) for none; strides in
 * elements between rows. variant 0 = scalar twin, 1 = wasmsimd. Returns 0, or -1 for an unknown
 * variant. */
EMSCRIPTEN_KEEPALIVE int wt_f32_layernorm_rows(int variant, size_t rows, size_t n, const float* x,
                                               size_t x_stride, const float* gamma,
                                               const float* beta, float eps, float* y,
                                               size_t y_stride) {
  const wt_layernorm_config* cfg = wt_f32_layernorm_config(variant);
  if (cfg == NULL) return -1;
  wt_f32_layernorm(cfg, rows, n, x, x_stride, gamma, beta, eps, y, y_stride);
  return 0;
}

/* rms_norm: y = x / sqrt(mean(x^2) + eps) [* gamma]. */
EMSCRIPTEN_KEEPALIVE int wt_f32_rmsnorm_rows(int variant, size_t rows, size_t n, const float* x,
                                             size_t x_stride, const float* gamma, float eps,
                                             float* y, size_t y_stride) {
  const wt_layernorm_config* cfg = wt_f32_layernorm_config(variant);
  if (cfg == NULL) return -1;
  wt_f32_rmsnorm(cfg, rows, n, x, x_stride, gamma, eps, y, y_stride);
  return 0;
}

/* group_norm of `groups` contiguous blocks of channels x inner elements (see wt_f32_groupnorm). */
EMSCRIPTEN_KEEPALIVE int wt_f32_groupnorm_blocks(int variant, size_t groups, size_t channel_groups,
                                                 size_t channels, size_t inner, const float* x,
                                                 const float* gamma, const float* beta, float eps,
                                                 float* y) {
  const wt_layernorm_config* cfg = wt_f32_layernorm_config(variant);
  if (cfg == NULL) return -1;
  wt_f32_groupnorm(cfg, groups, channel_groups, channels, inner, x, gamma, beta, eps, y);
  return 0;
}
