/* f32 convolution in NHWC (channels last) on the f32 GEMM (include/wt_kernels.h): conv2d and
 * conv1d (as a height of 1) for any kernel, stride, padding (asymmetric too), dilation and groups,
 * and conv_transpose2d. No micro-kernels of its own: the arithmetic is the GEMM's, so scalar and
 * wasmsimd configs (wt_f32_gemm_config) give bit-identical results here too.
 *
 * conv2d: out[n, oh, ow, g*OCg + o] = clamp(bias[g*OCg + o] + sum over (kh, kw, ic) of
 *   in[n, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw, g*ICg + ic] * w[g*OCg + o, ic, kh, kw], min, max)
 * (taps outside the input are 0). As a GEMM per group: A = im2col rows, one per output pixel,
 * M = N*OH*OW, K = KH*KW*ICg in the order (kh, kw, ic); B = the weights packed into the GEMM's
 * panels with that same K order (wt_f32_conv2d_nhwc_pack from torch's [OC, ICg, KH, KW]).
 *   - im2col rows are built a tile at a time into caller-provided scratch, laid out
 *     [rows][groups][K], so group g is the GEMM on A + g*K with lda = groups*K, writing
 *     C + g*OCg with ldc = OC (the GEMM's strided A and C);
 *   - 1x1 kernels with stride 1 and no padding skip im2col: the GEMM reads the NHWC input itself
 *     (A + g*ICg, lda = IC); no scratch.
 *
 * conv_transpose2d: out[n, ih*sh - pt + kh*dh, iw*sw - pl + kw*dw, g*OCg + o] +=
 *   in[n, ih, iw, g*ICg + ic] * w[g*ICg + ic, o, kh, kw] (torch's [IC, OCg, KH, KW]), plus bias,
 *   then clamp. As a GEMM per group on the NHWC input (M = N*IH*IW, N = KH*KW*OCg in the order
 *   (kh, kw, o), K = ICg) into a tile of columns in scratch, then a col2im scatter-add into the
 *   output (which starts as the bias). Output size per axis: (I-1)*s - pt - pb + d*(K-1) + op + 1.
 *
 * Padding: top/left/bottom/right separately (torch's symmetric padding = equal pairs). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wt_kernels.h"

typedef struct wt_conv2d_params {
  size_t batch;
  size_t input_height;
  size_t input_width;
  size_t input_channels;  /* all groups */
  size_t output_channels; /* all groups */
  size_t groups;          /* divides both channel counts */
  uint32_t kernel_height;
  uint32_t kernel_width;
  uint32_t stride_height;
  uint32_t stride_width;
  uint32_t dilation_height;
  uint32_t dilation_width;
  uint32_t padding_top;
  uint32_t padding_left;
  uint32_t padding_bottom;
  uint32_t padding_right;
  uint32_t output_padding_height; /* conv_transpose2d only */
  uint32_t output_padding_width;  /* conv_transpose2d only */
} wt_conv2d_params;

/* ---- conv2d ---------------------------------------------------------------------------------- */

/* Output size along one axis, (in + p0 + p1 - d*(k-1) - 1) / s + 1; 0 if the (dilated) kernel
 * does not fit the padded input. */
size_t wt_conv_output_size(size_t input, uint32_t kernel, uint32_t stride, uint32_t dilation,
                           uint32_t pad0, uint32_t pad1);
size_t wt_conv2d_output_height(const wt_conv2d_params* p);
size_t wt_conv2d_output_width(const wt_conv2d_params* p);

/* Packed weights: groups * wt_f32_gemm_packed_elements(1, OCg, KH*KW*ICg, cfg->nr) floats. */
size_t wt_f32_conv2d_nhwc_packed_bytes(const wt_gemm_config* cfg, const wt_conv2d_params* p);
/* weight: torch's [OC, ICg, KH, KW]; bias: [OC] or NULL (0). Runs once per model load. */
void wt_f32_conv2d_nhwc_pack(const wt_gemm_config* cfg, const wt_conv2d_params* p,
                             const float* weight, const float* bias, float* packed);

/* Bytes of scratch (im2col tile) wt_f32_conv2d_nhwc needs; 0 for the 1x1 fast path. */
size_t wt_f32_conv2d_nhwc_scratch_bytes(const wt_gemm_config* cfg, const wt_conv2d_params* p);
/* input [N, H, W, IC] -> output [N, OH, OW, OC]; min/max = -inf/+inf for no clamp. */
void wt_f32_conv2d_nhwc(const wt_gemm_config* cfg, const wt_conv2d_params* p, const float* input,
                        const float* packed, float* output, void* scratch, float min, float max);

/* ---- conv_transpose2d ---------------------------------------------------------------------- */

/* (in - 1)*s - p0 - p1 + d*(k-1) + output_padding + 1; 0 if that is < 1. */
size_t wt_deconv_output_size(size_t input, uint32_t kernel, uint32_t stride, uint32_t dilation,
                             uint32_t pad0, uint32_t pad1, uint32_t output_padding);
size_t wt_deconv2d_output_height(const wt_conv2d_params* p);
size_t wt_deconv2d_output_width(const wt_conv2d_params* p);

/* Packed: groups GEMM weight sets of [KH*KW*OCg, ICg] (zero GEMM bias), then the OC bias floats
 * (16-byte aligned offset). */
size_t wt_f32_deconv2d_nhwc_packed_bytes(const wt_gemm_config* cfg, const wt_conv2d_params* p);
/* weight: torch's [IC, OCg, KH, KW]; bias: [OC] or NULL (0). */
void wt_f32_deconv2d_nhwc_pack(const wt_gemm_config* cfg, const wt_conv2d_params* p,
                               const float* weight, const float* bias, float* packed);
size_t wt_f32_deconv2d_nhwc_scratch_bytes(const wt_gemm_config* cfg, const wt_conv2d_params* p);
/* input [N, IH, IW, IC] -> output [N, OH, OW, OC] */
void wt_f32_deconv2d_nhwc(const wt_gemm_config* cfg, const wt_conv2d_params* p,
                          const float* input, const float* packed, float* output, void* scratch,
                          float min, float max);
