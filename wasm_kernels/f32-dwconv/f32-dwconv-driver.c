/* f32 depthwise-convolution driver, NHWC: builds the indirection pointers of one output row at a
 * time in the caller's scratch (taps in the padding point at a zero buffer), then runs the
 * micro-kernel over the row. Single-threaded, no allocation. Layouts: include/wt_dwconv.h. */
#include <assert.h>
#include <string.h>

#include "wt_dwconv.h"

static size_t step_width_of(size_t KW, size_t stride_w, size_t dil_w) {
  /* With dilation 1, pixel x+1's column kx is pixel x's column kx + stride_w: the pointer sets of
   * neighbours overlap by KW - stride_w columns. With dilation > 1 they never line up. */
  return dil_w > 1 ? KW : (stride_w < KW ? stride_w : KW);
}

static size_t zero_floats_of(size_t C) { return (C + 3) & ~(size_t)3; }

static size_t out_size(size_t in, size_t pad0, size_t pad1, size_t k, size_t stride, size_t dil) {
  const size_t padded = in + pad0 + pad1, extent = dil * (k - 1) + 1;
  return padded >= extent ? (padded - extent) / stride + 1 : 0;
}

size_t wt_f32_dwconv_scratch_bytes(size_t C, size_t KH, size_t KW, size_t stride_w,
                                   size_t dil_w, size_t OW) {
  if (C == 0 || OW == 0) return 0;
  const size_t pointers = KH * KW + (OW - 1) * step_width_of(KW, stride_w, dil_w) * KH;
  return zero_floats_of(C) * sizeof(float) + pointers * sizeof(const float*);
}

void wt_f32_dwconv_nhwc_strided(const wt_dwconv_config* cfg, size_t N, size_t H, size_t W,
                                size_t C, size_t KH, size_t KW, size_t stride_h,
                                size_t stride_w, size_t pad_t, size_t pad_l, size_t pad_b,
                                size_t pad_r, size_t dil_h, size_t dil_w, const float* input,
                                size_t input_pixel_stride, const float* packed, float* output,
                                size_t output_pixel_stride, size_t OH, size_t OW, float min,
                                float max, void* scratch) {
  assert(cfg != NULL);
  assert(KH >= 1 && KW >= 1);
  assert(stride_h >= 1 && stride_w >= 1 && dil_h >= 1 && dil_w >= 1);
  assert(input_pixel_stride >= C && output_pixel_stride >= C);
  assert(OH == out_size(H, pad_t, pad_b, KH, stride_h, dil_h));
  assert(OW == out_size(W, pad_l, pad_r, KW, stride_w, dil_w));
  (void)pad_b;
  (void)pad_r;
  if (N == 0 || C == 0 || OH == 0 || OW == 0) return;

  const size_t taps = KH * KW;
  const wt_f32_dwconv_minmax_ukernel_fn ukernel =
      taps == 9 ? cfg->up9 : taps == 25 ? cfg->up25 : cfg->any;
  const size_t step_width = step_width_of(KW, stride_w, dil_w);
  const size_t step = step_width * KH; /* pointers between consecutive pixels */
  /* pixel 0 fills all KW columns; later pixels only their last step_width columns, the others
   * being the previous pixel's (same slots in the buffer) */
  const size_t kx_new = KW - step_width;

  float* zero = (float*)scratch;
  memset(zero, 0, zero_floats_of(C) * sizeof(float));
  const float** indirection = (const float**)(zero + zero_floats_of(C));

  const wt_f32_minmax_params params = {.min = min, .max = max};
  const size_t output_increment = (output_pixel_stride - C) * sizeof(float);
  for (size_t n = 0; n < N; n++) {
    const float* image = input + n * H * W * input_pixel_stride;
    for (size_t oy = 0; oy < OH; oy++) {
      for (size_t ky = 0; ky < KH; ky++) {
        /* unsigned wrap-around: rows in the top padding become huge and fail iy < H */
        const size_t iy = oy * stride_h + ky * dil_h - pad_t;
        const float* row = iy < H ? image + iy * W * input_pixel_stride : NULL;
        for (size_t ox = 0; ox < OW; ox++) {
          for (size_t kx = ox == 0 ? 0 : kx_new; kx < KW; kx++) {
            const size_t ix = ox * stride_w + kx * dil_w - pad_l;
            indirection[ox * step + kx * KH + ky] =
                row != NULL && ix < W ? row + ix * input_pixel_stride : zero;
          }
        }
      }
      ukernel(C, OW, indirection, packed, output + (n * OH + oy) * OW * output_pixel_stride,
              step * sizeof(const float*), output_increment, taps, &params);
    }
  }
}

void wt_f32_dwconv_nhwc(const wt_dwconv_config* cfg, size_t N, size_t H, size_t W, size_t C,
                        size_t KH, size_t KW, size_t stride_h, size_t stride_w, size_t pad_t,
                        size_t pad_l, size_t pad_b, size_t pad_r, size_t dil_h, size_t dil_w,
                        const float* input, const float* packed, float* output, size_t OH,
                        size_t OW, float min, float max, void* scratch) {
  wt_f32_dwconv_nhwc_strided(cfg, N, H, W, C, KH, KW, stride_h, stride_w, pad_t, pad_l, pad_b,
                             pad_r, dil_h, dil_w, input, C, packed, output, C, OH, OW, min, max,
                             scratch);
}
