/* Exports of the f32 convolution family for JS (tests, benchmarks): flat integer arguments
 * instead of wt_conv2d_params; variant selects the GEMM config (enum wt_gemm_variant: 0 scalar
 * twin, 1 wasmsimd, 2 wasmsimd alt), and weights must be packed for the variant that runs them.
 * Unknown variants return 0 / do nothing. Sizes in bytes; weights in torch layouts; activations
 * NHWC. conv1d is conv2d with a height of 1 (weight [OC, ICg, K] == [OC, ICg, 1, K]). */
#include <stddef.h>
#include <stdint.h>

#include <emscripten/emscripten.h>

#include "wt_conv.h"

#define WT_CONV2D_ARGS                                                                      \
  size_t n, size_t h, size_t w, size_t ic, size_t oc, size_t groups, uint32_t kh,           \
      uint32_t kw, uint32_t sh, uint32_t sw, uint32_t pt, uint32_t pl, uint32_t pb,         \
      uint32_t pr, uint32_t dh, uint32_t dw
#define WT_CONV2D_PARAMS                                                                    \
  (wt_conv2d_params) {                                                                      \
    .batch = n, .input_height = h, .input_width = w, .input_channels = ic,                  \
    .output_channels = oc, .groups = groups, .kernel_height = kh, .kernel_width = kw,       \
    .stride_height = sh, .stride_width = sw, .dilation_height = dh, .dilation_width = dw,   \
    .padding_top = pt, .padding_left = pl, .padding_bottom = pb, .padding_right = pr,       \
  }
#define WT_CONV1D_ARGS                                                                      \
  size_t n, size_t l, size_t ic, size_t oc, size_t groups, uint32_t k, uint32_t s,          \
      uint32_t pl, uint32_t pr, uint32_t d
#define WT_CONV1D_PARAMS                                                                    \
  (wt_conv2d_params) {                                                                      \
    .batch = n, .input_height = 1, .input_width = l, .input_channels = ic,                  \
    .output_channels = oc, .groups = groups, .kernel_height = 1, .kernel_width = k,         \
    .stride_height = 1, .stride_width = s, .dilation_height = 1, .dilation_width = d,       \
    .padding_left = pl, .padding_right = pr,                                                \
  }
#define WT_DECONV2D_ARGS WT_CONV2D_ARGS, uint32_t oph, uint32_t opw

static wt_conv2d_params deconv_params(WT_DECONV2D_ARGS) {
  wt_conv2d_params p = WT_CONV2D_PARAMS;
  p.output_padding_height = oph;
  p.output_padding_width = opw;
  return p;
}

/* Output size along one axis (0 if the kernel does not fit); p0/p1 = padding before/after. */
EMSCRIPTEN_KEEPALIVE size_t wt_conv_out_size(size_t input, uint32_t kernel, uint32_t stride,
                                             uint32_t dilation, uint32_t p0, uint32_t p1) {
  return wt_conv_output_size(input, kernel, stride, dilation, p0, p1);
}

EMSCRIPTEN_KEEPALIVE size_t wt_deconv_out_size(size_t input, uint32_t kernel, uint32_t stride,
                                               uint32_t dilation, uint32_t p0, uint32_t p1,
                                               uint32_t output_padding) {
  return wt_deconv_output_size(input, kernel, stride, dilation, p0, p1, output_padding);
}

/* ---- conv2d: input [n, h, w, ic] -> output [n, oh, ow, oc]; weight [oc, ic/groups, kh, kw] ---- */

EMSCRIPTEN_KEEPALIVE size_t wt_f32_conv2d_packed_size(int variant, WT_CONV2D_ARGS) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = WT_CONV2D_PARAMS;
  return cfg != NULL ? wt_f32_conv2d_nhwc_packed_bytes(cfg, &p) : 0;
}

EMSCRIPTEN_KEEPALIVE void wt_f32_conv2d_pack(int variant, WT_CONV2D_ARGS, const float* weight,
                                             const float* bias, float* packed) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = WT_CONV2D_PARAMS;
  if (cfg != NULL) wt_f32_conv2d_nhwc_pack(cfg, &p, weight, bias, packed);
}

EMSCRIPTEN_KEEPALIVE size_t wt_f32_conv2d_scratch_size(int variant, WT_CONV2D_ARGS) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = WT_CONV2D_PARAMS;
  return cfg != NULL ? wt_f32_conv2d_nhwc_scratch_bytes(cfg, &p) : 0;
}

EMSCRIPTEN_KEEPALIVE void wt_f32_conv2d_run(int variant, WT_CONV2D_ARGS, const float* input,
                                            const float* packed, float* output, void* scratch,
                                            float min, float max) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = WT_CONV2D_PARAMS;
  if (cfg != NULL) wt_f32_conv2d_nhwc(cfg, &p, input, packed, output, scratch, min, max);
}

/* ---- conv1d: input [n, l, ic] -> output [n, ol, oc]; weight [oc, ic/groups, k] -------------- */

EMSCRIPTEN_KEEPALIVE size_t wt_f32_conv1d_packed_size(int variant, WT_CONV1D_ARGS) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = WT_CONV1D_PARAMS;
  return cfg != NULL ? wt_f32_conv2d_nhwc_packed_bytes(cfg, &p) : 0;
}

EMSCRIPTEN_KEEPALIVE void wt_f32_conv1d_pack(int variant, WT_CONV1D_ARGS, const float* weight,
                                             const float* bias, float* packed) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = WT_CONV1D_PARAMS;
  if (cfg != NULL) wt_f32_conv2d_nhwc_pack(cfg, &p, weight, bias, packed);
}

EMSCRIPTEN_KEEPALIVE size_t wt_f32_conv1d_scratch_size(int variant, WT_CONV1D_ARGS) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = WT_CONV1D_PARAMS;
  return cfg != NULL ? wt_f32_conv2d_nhwc_scratch_bytes(cfg, &p) : 0;
}

EMSCRIPTEN_KEEPALIVE void wt_f32_conv1d_run(int variant, WT_CONV1D_ARGS, const float* input,
                                            const float* packed, float* output, void* scratch,
                                            float min, float max) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = WT_CONV1D_PARAMS;
  if (cfg != NULL) wt_f32_conv2d_nhwc(cfg, &p, input, packed, output, scratch, min, max);
}

/* ---- conv_transpose2d: input [n, h, w, ic] -> output [n, oh, ow, oc];
 *      weight [ic, oc/groups, kh, kw]; oph/opw = output_padding ----------------------------- */

EMSCRIPTEN_KEEPALIVE size_t wt_f32_deconv2d_packed_size(int variant, WT_DECONV2D_ARGS) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = deconv_params(n, h, w, ic, oc, groups, kh, kw, sh, sw, pt, pl, pb,
                                           pr, dh, dw, oph, opw);
  return cfg != NULL ? wt_f32_deconv2d_nhwc_packed_bytes(cfg, &p) : 0;
}

EMSCRIPTEN_KEEPALIVE void wt_f32_deconv2d_pack(int variant, WT_DECONV2D_ARGS, const float* weight,
                                               const float* bias, float* packed) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = deconv_params(n, h, w, ic, oc, groups, kh, kw, sh, sw, pt, pl, pb,
                                           pr, dh, dw, oph, opw);
  if (cfg != NULL) wt_f32_deconv2d_nhwc_pack(cfg, &p, weight, bias, packed);
}

EMSCRIPTEN_KEEPALIVE size_t wt_f32_deconv2d_scratch_size(int variant, WT_DECONV2D_ARGS) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = deconv_params(n, h, w, ic, oc, groups, kh, kw, sh, sw, pt, pl, pb,
                                           pr, dh, dw, oph, opw);
  return cfg != NULL ? wt_f32_deconv2d_nhwc_scratch_bytes(cfg, &p) : 0;
}

EMSCRIPTEN_KEEPALIVE void wt_f32_deconv2d_run(int variant, WT_DECONV2D_ARGS, const float* input,
                                              const float* packed, float* output, void* scratch,
                                              float min, float max) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(variant);
  const wt_conv2d_params p = deconv_params(n, h, w, ic, oc, groups, kh, kw, sh, sw, pt, pl, pb,
                                           pr, dh, dw, oph, opw);
  if (cfg != NULL) wt_f32_deconv2d_nhwc(cfg, &p, input, packed, output, scratch, min, max);
}
