/* Exports of the f32 depthwise-convolution family (test and bench entry points; the plan runtime
 * calls the driver directly). variant: enum wt_dwconv_variant (0 = scalar twin, 1 = wasmsimd
 * production, 2 = wasmsimd other channel tile). The variants use different channel tiles, so
 * weights must be packed for the variant that runs them. Sizes and strides in elements, results
 * in bytes where named _size; unknown variants return 0 / do nothing. */
#include <emscripten/emscripten.h>

#include "wt_dwconv.h"

EMSCRIPTEN_KEEPALIVE int wt_f32_dwconv_channel_tile(int variant) {
  const wt_dwconv_config* cfg = wt_f32_dwconv_config(variant);
  return cfg != NULL ? (int)cfg->channel_tile : 0;
}

/* Bytes of packed weights for a [C, 1, KH, KW] weight (+ bias) in this variant's layout. */
EMSCRIPTEN_KEEPALIVE size_t wt_f32_dwconv_packed_size(int variant, size_t C, size_t KH,
                                                      size_t KW) {
  const wt_dwconv_config* cfg = wt_f32_dwconv_config(variant);
  return cfg != NULL ? wt_f32_dwconv_packed_elements(C, KH * KW, cfg->channel_tile) * sizeof(float)
                     : 0;
}

/* w: [C, 1, KH, KW] row-major (torch depthwise weight); bias: [C] or NULL (0). */
EMSCRIPTEN_KEEPALIVE void wt_f32_dwconv_pack(int variant, size_t C, size_t KH, size_t KW,
                                             const float* w, const float* bias, float* packed) {
  const wt_dwconv_config* cfg = wt_f32_dwconv_config(variant);
  if (cfg != NULL) wt_f32_dwconv_packw_ghw(C, KH, KW, cfg->channel_tile, w, bias, packed);
}

/* Bytes of scratch for wt_f32_dwconv_run (same for every variant). */
EMSCRIPTEN_KEEPALIVE size_t wt_f32_dwconv_scratch_size(size_t C, size_t KH, size_t KW,
                                                       size_t stride_w, size_t dil_w, size_t OW) {
  return wt_f32_dwconv_scratch_bytes(C, KH, KW, stride_w, dil_w, OW);
}

/* output[N, OH, OW, C] = clamp(depthwise conv of input[N, H, W, C]), min/max = -inf/+inf for no
 * clamp. input_pixel_stride / output_pixel_stride: elements between pixels (>= C; C = dense). */
EMSCRIPTEN_KEEPALIVE void wt_f32_dwconv_run(int variant, size_t N, size_t H, size_t W, size_t C,
                                            size_t KH, size_t KW, size_t stride_h,
                                            size_t stride_w, size_t pad_t, size_t pad_l,
                                            size_t pad_b, size_t pad_r, size_t dil_h,
                                            size_t dil_w, const float* input,
                                            size_t input_pixel_stride, const float* packed,
                                            float* output, size_t output_pixel_stride, size_t OH,
                                            size_t OW, float min, float max, void* scratch) {
  const wt_dwconv_config* cfg = wt_f32_dwconv_config(variant);
  if (cfg == NULL) return;
  if (input_pixel_stride == C && output_pixel_stride == C) /* the dense entry point, tested too */
    wt_f32_dwconv_nhwc(cfg, N, H, W, C, KH, KW, stride_h, stride_w, pad_t, pad_l, pad_b, pad_r,
                       dil_h, dil_w, input, packed, output, OH, OW, min, max, scratch);
  else
    wt_f32_dwconv_nhwc_strided(cfg, N, H, W, C, KH, KW, stride_h, stride_w, pad_t, pad_l, pad_b,
                               pad_r, dil_h, dil_w, input, input_pixel_stride, packed, output,
                               output_pixel_stride, OH, OW, min, max, scratch);
}
