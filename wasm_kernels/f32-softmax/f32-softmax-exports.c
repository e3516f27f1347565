/* Module exports of the f32-softmax family. */
#include <emscripten/emscripten.h>

#include "wt_elementwise.h"

/* softmax (log = 0) or log_softmax (log = 1) along the last dimension of [rows, n]; strides in
 * elements between rows. variant 0 = scalar twin, 1 = wasmsimd. Returns 0, or -1 for an unknown
 * variant. */
EMSCRIPTEN_KEEPALIVE int wt_f32_softmax_rows(int variant, int log, size_t rows, size_t n,
                                             const float* x, size_t x_stride, float* y,
                                             size_t y_stride) {
  const wt_softmax_config* cfg = wt_f32_softmax_config(variant);
  if (cfg == NULL) return -1;
  if (log)
    wt_f32_log_softmax(cfg, rows, n, x, x_stride, y, y_stride);
  else
    wt_f32_softmax(cfg, rows, n, x, x_stride, y, y_stride);
  return 0;
}
