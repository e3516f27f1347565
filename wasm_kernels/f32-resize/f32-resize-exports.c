/* Exports of the f32 resize family for JS (tests): variant = enum wt_resize_variant (0 scalar twin,
 * 1 wasmsimd); unknown variants do nothing. Taps are written as (i0, i1, l0, l1) records. */
#include <stddef.h>
#include <stdint.h>

#include <emscripten/emscripten.h>

#include "wt_resize.h"

/* taps[out] for an axis of `in` resized to `out` (both >= 1) */
EMSCRIPTEN_KEEPALIVE void wt_resize_taps(uint32_t flags, float scale, size_t in, size_t out,
                                         wt_resize_tap* taps) {
  for (size_t i = 0; i < out; i++) taps[i] = wt_resize_tap_of(flags, scale, in, out, i);
}

/* input [h, w, c] (one image) -> output [oh, ow, c] from the row and column taps */
EMSCRIPTEN_KEEPALIVE void wt_f32_resize2d_run(int variant, int linear, size_t w, size_t c,
                                              const wt_resize_tap* rows, const wt_resize_tap* cols,
                                              size_t oh, size_t ow, const float* input,
                                              float* output) {
  const wt_resize_config* cfg = wt_f32_resize_config(variant);
  if (cfg != NULL) wt_f32_resize2d_nhwc_rows(cfg, linear, w, c, rows, cols, ow, input, 0, oh, output);
}

/* bicubic taps[out] (i[4], w[4] records) and images, as above */
EMSCRIPTEN_KEEPALIVE void wt_resize_cubic_taps(uint32_t flags, float scale, size_t in, size_t out,
                                               wt_resize_tap4* taps) {
  for (size_t i = 0; i < out; i++) taps[i] = wt_resize_cubic_tap_of(flags, scale, in, out, i);
}

EMSCRIPTEN_KEEPALIVE void wt_f32_resize2d_cubic_run(int variant, size_t w, size_t c,
                                                    const wt_resize_tap4* rows,
                                                    const wt_resize_tap4* cols, size_t oh, size_t ow,
                                                    const float* input, float* output) {
  const wt_resize_config* cfg = wt_f32_resize_config(variant);
  if (cfg != NULL) wt_f32_resize2d_cubic_nhwc_rows(cfg, w, c, rows, cols, ow, input, 0, oh, output);
}
