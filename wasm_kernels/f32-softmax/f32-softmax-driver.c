/* f32 softmax / log_softmax along the last dimension, row by row, single-threaded, no allocation
 * (contract: include/wt_elementwise.h). Three passes per row as torch's CPU kernel: max, fused
 * exp(x - max) + sum, then scale by 1/sum (softmax) or subtract max and log(sum) (log_softmax). */
#include <math.h>

#include "wt_elementwise.h"

void wt_f32_softmax(const wt_softmax_config* config, size_t rows, size_t n, const float* x,
                    size_t x_stride, float* y, size_t y_stride) {
  if (n == 0) return;
  const wt_f32_vbinary_minmax_params open = {.min = -INFINITY, .max = INFINITY};
  for (size_t r = 0; r < rows; r++, x += x_stride, y += y_stride) {
    float max, sum;
    config->rmax(n, x, &max);
    config->raddstoreexpminusmax(n, x, &max, y, &sum);
    const float scale = 1.0f / sum;
    config->vmulc(n, y, &scale, y, &open);
  }
}

void wt_f32_log_softmax(const wt_softmax_config* config, size_t rows, size_t n, const float* x,
                        size_t x_stride, float* y, size_t y_stride) {
  if (n == 0) return;
  for (size_t r = 0; r < rows; r++, x += x_stride, y += y_stride) {
    float c[2], sum;
    config->rmax(n, x, &c[0]);
    config->raddexpminusmax(n, x, &c[0], &sum);
    c[1] = logf(sum);
    config->vsubc2(n, x, c, y);
  }
}
