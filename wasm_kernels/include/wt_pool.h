/* f32 pooling in NHWC (channels last): max, average, global average, adaptive average/max.
 * Micro-kernels are named as XNNPACK's: <datatype>-<op>-<isa>-c<channel tile>; each has a scalar
 * twin (the oracle in tests) and a wasmsimd variant, picked through a config table.
 *
 * Windows reach the micro-kernels through an INDIRECTION BUFFER (as XNNPACK): for every output
 * pixel, kernel_elements pointers to the input pixels (rows of `channels` floats) under the
 * window, in row-major window order. Taps that fall into padding, past a ceil_mode edge, or (for
 * adaptive windows shorter than the longest one) past the window's end point at a PAD ROW of
 * `channels` floats: -inf for max pooling, 0 for average pooling, so every window has the same
 * number of taps and the kernels have no bounds checks. The buffer is built for image 0; image n
 * runs with input_offset = n * H * W * C * sizeof(float) bytes, which the kernels add to every
 * pointer except the pad row's. Indirection, pad row and divisors live in caller-provided scratch
 * (the *_scratch_bytes functions); nothing allocates.
 *
 * Numerics (torch's CPU kernels):
 *   max      m = -inf; for each tap in order: m = (x > m || x != x) ? x : m. A NaN wins (and the
 *            last NaN wins); a window made only of padding gives -inf. Both variants do exactly
 *            this, so they agree bit for bit.
 *   average  s = 0; for each tap in order: s = s + x (pad taps add 0); out = s / divisor. The
 *            divisor is per output pixel (the scratch holds it): divisor_override if non-zero,
 *            else the window clipped to the padded input (count_include_pad) or to the input.
 *            Same operations in both variants: bit-identical.
 *   global   s = 0; for each pixel in order: s = s + x; out = s / pixels. Bit-identical. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* ---- micro-kernels ---------------------------------------------------------------------------
 * output_pixels    >= 1 windows to reduce; the indirection advances kernel_elements per pixel
 * kernel_elements  >= 1 taps per window
 * channels         >= 1 floats per pixel
 * input            indirection buffer (see above)
 * input_offset     bytes added to every pointer != pad
 * pad              the pad row (never offset)
 * divisor          avg only: one float per output pixel
 * output           first output pixel; pixel p at (char*)output + p * output_stride
 * output_stride    bytes between output pixels (>= channels * sizeof(float)) */
typedef void (*wt_f32_maxpool_ukernel_fn)(size_t output_pixels, size_t kernel_elements,
                                          size_t channels, const float** input,
                                          size_t input_offset, const float* pad, float* output,
                                          size_t output_stride);
typedef void (*wt_f32_avgpool_ukernel_fn)(size_t output_pixels, size_t kernel_elements,
                                          size_t channels, const float** input,
                                          size_t input_offset, const float* pad,
                                          const float* divisor, float* output,
                                          size_t output_stride);
/* Global average: output[c] = (sum over rows r of input[r * input_stride + c]) / rows, for
 * c < channels; rows >= 1; input_stride in bytes. */
typedef void (*wt_f32_gavgpool_ukernel_fn)(size_t rows, size_t channels, const float* input,
                                           size_t input_stride, float* output);

void wt_f32_maxpool_ukernel__scalar_c4(size_t output_pixels, size_t kernel_elements,
                                       size_t channels, const float** input, size_t input_offset,
                                       const float* pad, float* output, size_t output_stride);
void wt_f32_maxpool_ukernel__wasmsimd_c16(size_t output_pixels, size_t kernel_elements,
                                          size_t channels, const float** input,
                                          size_t input_offset, const float* pad, float* output,
                                          size_t output_stride);
void wt_f32_avgpool_ukernel__scalar_c4(size_t output_pixels, size_t kernel_elements,
                                       size_t channels, const float** input, size_t input_offset,
                                       const float* pad, const float* divisor, float* output,
                                       size_t output_stride);
void wt_f32_avgpool_ukernel__wasmsimd_c16(size_t output_pixels, size_t kernel_elements,
                                          size_t channels, const float** input,
                                          size_t input_offset, const float* pad,
                                          const float* divisor, float* output,
                                          size_t output_stride);
void wt_f32_gavgpool_ukernel__scalar_c4(size_t rows, size_t channels, const float* input,
                                        size_t input_stride, float* output);
void wt_f32_gavgpool_ukernel__wasmsimd_c16(size_t rows, size_t channels, const float* input,
                                           size_t input_stride, float* output);

/* Max pooling with the argmax (max_pool2d_with_indices), one output pixel: `taps` >= 0 input pixels
 * input[t] (channels floats) with their flat indices index[t]; per channel the value starts at -inf
 * and the index at `first` (torch's first in-window position), and a tap wins when it is greater
 * or NaN (torch's CPU loop). output and output_index hold `channels` values. */
typedef void (*wt_f32_argmaxpool_ukernel_fn)(size_t taps, size_t channels, const float** input,
                                             const int32_t* index, int32_t first, float* output,
                                             int32_t* output_index);
void wt_f32_argmaxpool_ukernel__scalar_c1(size_t taps, size_t channels, const float** input,
                                          const int32_t* index, int32_t first, float* output,
                                          int32_t* output_index);
void wt_f32_argmaxpool_ukernel__wasmsimd_c4(size_t taps, size_t channels, const float** input,
                                            const int32_t* index, int32_t first, float* output,
                                            int32_t* output_index);

/* ---- kernel selection ----------------------------------------------------------------------- */
typedef struct wt_pool_config {
  wt_f32_maxpool_ukernel_fn maxpool;
  wt_f32_avgpool_ukernel_fn avgpool;
  wt_f32_gavgpool_ukernel_fn gavgpool;
  wt_f32_argmaxpool_ukernel_fn argmaxpool;
  const char* name;
} wt_pool_config;

enum wt_pool_variant {
  WT_POOL_SCALAR = 0,   /* the scalar twins (reference) */
  WT_POOL_WASMSIMD = 1, /* production */
  WT_POOL_VARIANT_COUNT = 2,
};

/* NULL for an unknown variant. */
const wt_pool_config* wt_f32_pool_config(int variant);

/* ---- operators (NHWC, batch images one after another) ---------------------------------------
 * torch semantics: padding is symmetric (padding_height rows above and below); dilation is for
 * max pooling only (average pooling requires 1); with ceil_mode the output may grow by one, but
 * the last window must start inside the input or its left/top padding. */
typedef struct wt_pool2d_params {
  size_t batch;
  size_t input_height;
  size_t input_width;
  size_t channels;
  uint32_t kernel_height;
  uint32_t kernel_width;
  uint32_t stride_height;
  uint32_t stride_width;
  uint32_t padding_height;
  uint32_t padding_width;
  uint32_t dilation_height;
  uint32_t dilation_width;
  uint32_t ceil_mode;
  uint32_t count_include_pad; /* average only */
  int32_t divisor_override;   /* average only; 0 = none (torch allows negative values) */
} wt_pool2d_params;

/* torch's pooling_output_shape; 0 when the window does not fit (or a size is 0). */
size_t wt_pool_output_size(size_t input, uint32_t kernel, uint32_t stride, uint32_t padding,
                           uint32_t dilation, uint32_t ceil_mode);
size_t wt_pool2d_output_height(const wt_pool2d_params* p);
size_t wt_pool2d_output_width(const wt_pool2d_params* p);

/* Scratch for the indirection buffer, pad row and divisors; 16-byte alignment is enough. */
size_t wt_f32_maxpool2d_nhwc_scratch_bytes(const wt_pool2d_params* p);
size_t wt_f32_avgpool2d_nhwc_scratch_bytes(const wt_pool2d_params* p);
/* output: [batch, OH, OW, channels] */
void wt_f32_maxpool2d_nhwc(const wt_pool_config* cfg, const wt_pool2d_params* p,
                           const float* input, float* output, void* scratch);
void wt_f32_avgpool2d_nhwc(const wt_pool_config* cfg, const wt_pool2d_params* p,
                           const float* input, float* output, void* scratch);
/* Max pooling of output rows [r0, r1) of one image (output points at row r0): a part of an image
 * per thread. The scratch of wt_f32_maxpool2d_nhwc_scratch_bytes for a batch of 1 is enough. */
void wt_f32_maxpool2d_nhwc_rows(const wt_pool_config* cfg, const wt_pool2d_params* p,
                                const float* input, size_t r0, size_t r1, float* output,
                                void* scratch);

/* max_pool2d_with_indices of output rows [r0, r1) of one image [H, W, C]: output and indices point
 * at row r0 ([rows, OW, C]); indices are flat h * W + w (int32: H * W fits). Scratch: the window's
 * taps (wt_f32_argmaxpool2d_nhwc_scratch_bytes). */
size_t wt_f32_argmaxpool2d_nhwc_scratch_bytes(const wt_pool2d_params* p);
void wt_f32_argmaxpool2d_nhwc_rows(const wt_pool_config* cfg, const wt_pool2d_params* p,
                                   const float* input, size_t r0, size_t r1, float* output,
                                   int32_t* indices, void* scratch);

/* adaptive_avg_pool2d(x, 1) / mean over H, W: input [batch, pixels, channels] -> [batch, channels].
 * No scratch. */
void wt_f32_global_avgpool_nhwc(const wt_pool_config* cfg, size_t batch, size_t pixels,
                                size_t channels, const float* input, float* output);

/* adaptive_{avg,max}_pool2d to [OH, OW] (>= 1): window i along an axis of size n is
 * [floor(i*n/OH), ceil((i+1)*n/OH)). The average of a 1x1 output runs the global kernel (no
 * scratch needed then, though the size function still counts it). */
size_t wt_f32_adaptive_pool2d_nhwc_scratch_bytes(size_t input_height, size_t input_width,
                                                 size_t channels, size_t output_height,
                                                 size_t output_width);
void wt_f32_adaptive_avgpool2d_nhwc(const wt_pool_config* cfg, size_t batch, size_t input_height,
                                    size_t input_width, size_t channels, size_t output_height,
                                    size_t output_width, const float* input, float* output,
                                    void* scratch);
void wt_f32_adaptive_maxpool2d_nhwc(const wt_pool_config* cfg, size_t batch, size_t input_height,
                                    size_t input_width, size_t channels, size_t output_height,
                                    size_t output_width, const float* input, float* output,
                                    void* scratch);
