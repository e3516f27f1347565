/* Exports of the f32 pooling family for JS (tests, benchmarks): flat integer arguments instead of
 * wt_pool2d_params, variant = enum wt_pool_variant (0 scalar twin, 1 wasmsimd). Unknown variants
 * or shapes that do not fit return 0 / do nothing. Scratch sizes are in bytes. */
#include <stddef.h>
#include <stdint.h>

#include <emscripten/emscripten.h>

#include "wt_pool.h"

static wt_pool2d_params params(size_t n, size_t h, size_t w, size_t c, uint32_t kh, uint32_t kw,
                               uint32_t sh, uint32_t sw, uint32_t ph, uint32_t pw, uint32_t dh,
                               uint32_t dw, uint32_t ceil_mode, uint32_t count_include_pad,
                               int32_t divisor_override) {
  return (wt_pool2d_params){
      .batch = n, .input_height = h, .input_width = w, .channels = c,
      .kernel_height = kh, .kernel_width = kw, .stride_height = sh, .stride_width = sw,
      .padding_height = ph, .padding_width = pw, .dilation_height = dh, .dilation_width = dw,
      .ceil_mode = ceil_mode, .count_include_pad = count_include_pad,
      .divisor_override = divisor_override,
  };
}

/* torch's pooling output size along one axis; 0 if the window does not fit. */
EMSCRIPTEN_KEEPALIVE size_t wt_pool_out_size(size_t input, uint32_t kernel, uint32_t stride,
                                             uint32_t padding, uint32_t dilation,
                                             uint32_t ceil_mode) {
  return wt_pool_output_size(input, kernel, stride, padding, dilation, ceil_mode);
}

EMSCRIPTEN_KEEPALIVE size_t wt_f32_maxpool2d_scratch_size(size_t n, size_t h, size_t w, size_t c,
                                                          uint32_t kh, uint32_t kw, uint32_t sh,
                                                          uint32_t sw, uint32_t ph, uint32_t pw,
                                                          uint32_t dh, uint32_t dw,
                                                          uint32_t ceil_mode) {
  const wt_pool2d_params p = params(n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode, 0, 0);
  return wt_f32_maxpool2d_nhwc_scratch_bytes(&p);
}

/* input [n, h, w, c] -> output [n, oh, ow, c] */
EMSCRIPTEN_KEEPALIVE void wt_f32_maxpool2d_run(int variant, size_t n, size_t h, size_t w, size_t c,
                                               uint32_t kh, uint32_t kw, uint32_t sh, uint32_t sw,
                                               uint32_t ph, uint32_t pw, uint32_t dh, uint32_t dw,
                                               uint32_t ceil_mode, const float* input,
                                               float* output, void* scratch) {
  const wt_pool_config* cfg = wt_f32_pool_config(variant);
  const wt_pool2d_params p = params(n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode, 0, 0);
  if (cfg != NULL) wt_f32_maxpool2d_nhwc(cfg, &p, input, output, scratch);
}

EMSCRIPTEN_KEEPALIVE size_t wt_f32_avgpool2d_scratch_size(size_t n, size_t h, size_t w, size_t c,
                                                          uint32_t kh, uint32_t kw, uint32_t sh,
                                                          uint32_t sw, uint32_t ph, uint32_t pw,
                                                          uint32_t ceil_mode) {
  const wt_pool2d_params p = params(n, h, w, c, kh, kw, sh, sw, ph, pw, 1, 1, ceil_mode, 0, 0);
  return wt_f32_avgpool2d_nhwc_scratch_bytes(&p);
}

/* divisor_override: 0 = none */
EMSCRIPTEN_KEEPALIVE void wt_f32_avgpool2d_run(int variant, size_t n, size_t h, size_t w, size_t c,
                                               uint32_t kh, uint32_t kw, uint32_t sh, uint32_t sw,
                                               uint32_t ph, uint32_t pw, uint32_t ceil_mode,
                                               uint32_t count_include_pad,
                                               int32_t divisor_override, const float* input,
                                               float* output, void* scratch) {
  const wt_pool_config* cfg = wt_f32_pool_config(variant);
  const wt_pool2d_params p = params(n, h, w, c, kh, kw, sh, sw, ph, pw, 1, 1, ceil_mode,
                                    count_include_pad, divisor_override);
  if (cfg != NULL) wt_f32_avgpool2d_nhwc(cfg, &p, input, output, scratch);
}

/* input [n, pixels, c] -> output [n, c] */
EMSCRIPTEN_KEEPALIVE void wt_f32_global_avgpool_run(int variant, size_t n, size_t pixels, size_t c,
                                                    const float* input, float* output) {
  const wt_pool_config* cfg = wt_f32_pool_config(variant);
  if (cfg != NULL) wt_f32_global_avgpool_nhwc(cfg, n, pixels, c, input, output);
}

EMSCRIPTEN_KEEPALIVE size_t wt_f32_adaptive_pool2d_scratch_size(size_t h, size_t w, size_t c,
                                                                size_t oh, size_t ow) {
  return wt_f32_adaptive_pool2d_nhwc_scratch_bytes(h, w, c, oh, ow);
}

/* is_max: 0 = adaptive_avg_pool2d, 1 = adaptive_max_pool2d (values only) */
EMSCRIPTEN_KEEPALIVE void wt_f32_adaptive_pool2d_run(int variant, int is_max, size_t n, size_t h,
                                                     size_t w, size_t c, size_t oh, size_t ow,
                                                     const float* input, float* output,
                                                     void* scratch) {
  const wt_pool_config* cfg = wt_f32_pool_config(variant);
  if (cfg == NULL) return;
  if (is_max)
    wt_f32_adaptive_maxpool2d_nhwc(cfg, n, h, w, c, oh, ow, input, output, scratch);
  else
    wt_f32_adaptive_avgpool2d_nhwc(cfg, n, h, w, c, oh, ow, input, output, scratch);
}

/* max_pool2d_with_indices of one image [h, w, c] -> output [oh, ow, c], int32 indices [oh, ow, c] */
EMSCRIPTEN_KEEPALIVE size_t wt_f32_argmaxpool2d_scratch_size(uint32_t kh, uint32_t kw) {
  const wt_pool2d_params p = params(1, 1, 1, 1, kh, kw, 1, 1, 0, 0, 1, 1, 0, 0, 0);
  return wt_f32_argmaxpool2d_nhwc_scratch_bytes(&p);
}

EMSCRIPTEN_KEEPALIVE void wt_f32_argmaxpool2d_run(int variant, size_t h, size_t w, size_t c,
                                                  uint32_t kh, uint32_t kw, uint32_t sh,
                                                  uint32_t sw, uint32_t ph, uint32_t pw,
                                                  uint32_t dh, uint32_t dw, uint32_t ceil_mode,
                                                  const float* input, float* output,
                                                  int32_t* indices, void* scratch) {
  const wt_pool_config* cfg = wt_f32_pool_config(variant);
  const wt_pool2d_params p = params(1, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode, 0, 0);
  const size_t oh = wt_pool2d_output_height(&p);
  if (cfg != NULL && oh != 0 && wt_pool2d_output_width(&p) != 0)
    wt_f32_argmaxpool2d_nhwc_rows(cfg, &p, input, 0, oh, output, indices, scratch);
}

/* max pooling of output rows [r0, r1) of one image [h, w, c]; output points at row r0 */
EMSCRIPTEN_KEEPALIVE void wt_f32_maxpool2d_rows_run(int variant, size_t h, size_t w, size_t c,
                                                    uint32_t kh, uint32_t kw, uint32_t sh,
                                                    uint32_t sw, uint32_t ph, uint32_t pw,
                                                    uint32_t dh, uint32_t dw, uint32_t ceil_mode,
                                                    size_t r0, size_t r1, const float* input,
                                                    float* output, void* scratch) {
  const wt_pool_config* cfg = wt_f32_pool_config(variant);
  const wt_pool2d_params p = params(1, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode, 0, 0);
  if (cfg != NULL) wt_f32_maxpool2d_nhwc_rows(cfg, &p, input, r0, r1, output, scratch);
}
