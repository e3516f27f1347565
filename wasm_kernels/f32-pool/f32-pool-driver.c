/* f32 pooling operators in NHWC: output sizes (torch's rules), the indirection buffer, pad row
 * and divisors in caller-provided scratch, then one micro-kernel call per image. Layout of the
 * scratch (each part 16-byte aligned):
 *   pad row       channels floats (-inf for max, 0 for average)
 *   indirection   OH * OW * kernel_elements pointers, built for image 0
 *   divisors      OH * OW floats (average only)
 * The indirection is rebuilt on every call: O(OH * OW * taps) pointer stores against the kernel's
 * O(OH * OW * taps * channels) loads. */
#include <assert.h>
#include <math.h>
#include <stdint.h>

#include "wt_pool.h"

#define WT_ALIGN16(bytes) (((bytes) + 15) & ~(size_t)15)

/* ---- output sizes ---------------------------------------------------------------------------- */

static ptrdiff_t floor_div(ptrdiff_t a, ptrdiff_t b) {
  ptrdiff_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

size_t wt_pool_output_size(size_t input, uint32_t kernel, uint32_t stride, uint32_t padding,
                           uint32_t dilation, uint32_t ceil_mode) {
  if (input == 0 || kernel == 0 || stride == 0 || dilation == 0) return 0;
  const ptrdiff_t in = (ptrdiff_t)input, s = stride, p = padding;
  const ptrdiff_t span = (ptrdiff_t)dilation * ((ptrdiff_t)kernel - 1) + 1;
  ptrdiff_t out = floor_div(in + 2 * p - span + (ceil_mode ? s - 1 : 0), s) + 1;
  /* torch: with ceil_mode, the last window must start inside the input or the left padding */
  if (ceil_mode && (out - 1) * s >= in + p) out--;
  return out < 1 ? 0 : (size_t)out;
}

size_t wt_pool2d_output_height(const wt_pool2d_params* p) {
  return wt_pool_output_size(p->input_height, p->kernel_height, p->stride_height,
                             p->padding_height, p->dilation_height, p->ceil_mode);
}

size_t wt_pool2d_output_width(const wt_pool2d_params* p) {
  return wt_pool_output_size(p->input_width, p->kernel_width, p->stride_width, p->padding_width,
                             p->dilation_width, p->ceil_mode);
}

/* ---- scratch layout --------------------------------------------------------------------------- */

typedef struct scratch_layout {
  float* pad;
  const float** indirection;
  float* divisor;
} scratch_layout;

static size_t scratch_bytes(size_t channels, size_t pixels, size_t taps, int with_divisor) {
  return WT_ALIGN16(channels * sizeof(float)) + WT_ALIGN16(pixels * taps * sizeof(float*)) +
         (with_divisor ? WT_ALIGN16(pixels * sizeof(float)) : 0);
}

static scratch_layout carve(void* scratch, size_t channels, size_t pixels, size_t taps,
                            float pad_value) {
  char* s = scratch;
  scratch_layout l;
  l.pad = (float*)s;
  s += WT_ALIGN16(channels * sizeof(float));
  l.indirection = (const float**)s;
  s += WT_ALIGN16(pixels * taps * sizeof(float*));
  l.divisor = (float*)s;
  for (size_t c = 0; c < channels; c++) l.pad[c] = pad_value;
  return l;
}

/* Pointer to input pixel (y, x) of image 0, or the pad row outside the image. */
static inline const float* pixel(const float* input, ptrdiff_t y, ptrdiff_t x, size_t height,
                                 size_t width, size_t channels, const float* pad) {
  if (y < 0 || x < 0 || (size_t)y >= height || (size_t)x >= width) return pad;
  return input + ((size_t)y * width + (size_t)x) * channels;
}

/* Windows of a strided/padded/dilated pool: tap (kh, kw) of output (oh, ow) reads input
 * (oh*sh - ph + kh*dh, ow*sw - pw + kw*dw); output rows [oh0, oh1). */
static void build_window_indirection(const wt_pool2d_params* p, size_t oh0, size_t oh1,
                                     size_t ow_count, const float* input, const float* pad,
                                     const float** ind) {
  for (size_t oh = oh0; oh < oh1; oh++)
    for (size_t ow = 0; ow < ow_count; ow++) {
      const ptrdiff_t y0 = (ptrdiff_t)(oh * p->stride_height) - (ptrdiff_t)p->padding_height;
      const ptrdiff_t x0 = (ptrdiff_t)(ow * p->stride_width) - (ptrdiff_t)p->padding_width;
      for (uint32_t kh = 0; kh < p->kernel_height; kh++)
        for (uint32_t kw = 0; kw < p->kernel_width; kw++)
          *ind++ = pixel(input, y0 + (ptrdiff_t)(kh * p->dilation_height),
                         x0 + (ptrdiff_t)(kw * p->dilation_width), p->input_height,
                         p->input_width, p->channels, pad);
    }
}

static void run_images(const wt_pool_config* cfg, int is_max, size_t batch, size_t image_floats,
                       size_t pixels, size_t taps, size_t channels, const scratch_layout* l,
                       const float* input, float* output) {
  for (size_t n = 0; n < batch; n++) {
    const size_t offset = n * image_floats * sizeof(float);
    float* out = output + n * pixels * channels;
    if (is_max)
      cfg->maxpool(pixels, taps, channels, l->indirection, offset, l->pad, out,
                   channels * sizeof(float));
    else
      cfg->avgpool(pixels, taps, channels, l->indirection, offset, l->pad, l->divisor, out,
                   channels * sizeof(float));
  }
}

/* ---- max / average pooling -------------------------------------------------------------------- */

size_t wt_f32_maxpool2d_nhwc_scratch_bytes(const wt_pool2d_params* p) {
  const size_t oh = wt_pool2d_output_height(p), ow = wt_pool2d_output_width(p);
  return scratch_bytes(p->channels, oh * ow, (size_t)p->kernel_height * p->kernel_width, 0);
}

size_t wt_f32_avgpool2d_nhwc_scratch_bytes(const wt_pool2d_params* p) {
  const size_t oh = wt_pool2d_output_height(p), ow = wt_pool2d_output_width(p);
  return scratch_bytes(p->channels, oh * ow, (size_t)p->kernel_height * p->kernel_width, 1);
}

void wt_f32_maxpool2d_nhwc(const wt_pool_config* cfg, const wt_pool2d_params* p,
                           const float* input, float* output, void* scratch) {
  const size_t oh = wt_pool2d_output_height(p), ow = wt_pool2d_output_width(p);
  if (p->batch == 0 || p->channels == 0 || oh == 0 || ow == 0) return;
  const size_t taps = (size_t)p->kernel_height * p->kernel_width;
  scratch_layout l = carve(scratch, p->channels, oh * ow, taps, -INFINITY);
  build_window_indirection(p, 0, oh, ow, input, l.pad, l.indirection);
  run_images(cfg, 1, p->batch, p->input_height * p->input_width * p->channels, oh * ow, taps,
             p->channels, &l, input, output);
}

void wt_f32_maxpool2d_nhwc_rows(const wt_pool_config* cfg, const wt_pool2d_params* p,
                                const float* input, size_t r0, size_t r1, float* output,
                                void* scratch) {
  const size_t ow = wt_pool2d_output_width(p);
  if (p->channels == 0 || ow == 0 || r1 <= r0) return;
  const size_t taps = (size_t)p->kernel_height * p->kernel_width;
  scratch_layout l = carve(scratch, p->channels, (r1 - r0) * ow, taps, -INFINITY);
  build_window_indirection(p, r0, r1, ow, input, l.pad, l.indirection);
  cfg->maxpool((r1 - r0) * ow, taps, p->channels, l.indirection, 0, l.pad, output,
               p->channels * sizeof(float));
}

void wt_f32_avgpool2d_nhwc(const wt_pool_config* cfg, const wt_pool2d_params* p,
                           const float* input, float* output, void* scratch) {
  assert(p->dilation_height == 1 && p->dilation_width == 1);
  const size_t oh_count = wt_pool2d_output_height(p), ow_count = wt_pool2d_output_width(p);
  if (p->batch == 0 || p->channels == 0 || oh_count == 0 || ow_count == 0) return;
  const size_t taps = (size_t)p->kernel_height * p->kernel_width;
  scratch_layout l = carve(scratch, p->channels, oh_count * ow_count, taps, 0.0f);
  build_window_indirection(p, 0, oh_count, ow_count, input, l.pad, l.indirection);
  /* torch's divisor: the window clipped to the padded input (count_include_pad; the ceil_mode
   * overhang never counts) or to the input itself; divisor_override replaces both. */
  const ptrdiff_t H = (ptrdiff_t)p->input_height, W = (ptrdiff_t)p->input_width;
  const ptrdiff_t ph = p->padding_height, pw = p->padding_width;
  const ptrdiff_t kh = p->kernel_height, kw = p->kernel_width;
  float* d = l.divisor;
  for (size_t oh = 0; oh < oh_count; oh++) {
    const ptrdiff_t y0 = (ptrdiff_t)(oh * p->stride_height) - ph;
    const ptrdiff_t y1 = y0 + kh < H + ph ? y0 + kh : H + ph;
    ptrdiff_t in_h = (y1 < H ? y1 : H) - (y0 > 0 ? y0 : 0);
    if (in_h < 0) in_h = 0;
    for (size_t ow = 0; ow < ow_count; ow++) {
      const ptrdiff_t x0 = (ptrdiff_t)(ow * p->stride_width) - pw;
      const ptrdiff_t x1 = x0 + kw < W + pw ? x0 + kw : W + pw;
      ptrdiff_t in_w = (x1 < W ? x1 : W) - (x0 > 0 ? x0 : 0);
      if (in_w < 0) in_w = 0;
      if (p->divisor_override != 0) {
        *d++ = (float)p->divisor_override;
      } else {
        const ptrdiff_t count = p->count_include_pad ? (y1 - y0) * (x1 - x0) : in_h * in_w;
        *d++ = count > 0 ? (float)count : 1.0f; /* an empty window sums to 0: output 0, as torch */
      }
    }
  }
  run_images(cfg, 0, p->batch, p->input_height * p->input_width * p->channels,
             oh_count * ow_count, taps, p->channels, &l, input, output);
}

/* ---- global and adaptive pooling ---------------------------------------------------------------- */

void wt_f32_global_avgpool_nhwc(const wt_pool_config* cfg, size_t batch, size_t pixels,
                                size_t channels, const float* input, float* output) {
  if (pixels == 0 || channels == 0) return;
  for (size_t n = 0; n < batch; n++)
    cfg->gavgpool(pixels, channels, input + n * pixels * channels, channels * sizeof(float),
                  output + n * channels);
}

/* Window i of `out` along an axis of `in`: [floor(i*in/out), ceil((i+1)*in/out)). */
static inline size_t adaptive_start(size_t i, size_t in, size_t out) { return i * in / out; }
static inline size_t adaptive_end(size_t i, size_t in, size_t out) {
  return ((i + 1) * in + out - 1) / out;
}

static size_t adaptive_max_window(size_t in, size_t out) {
  size_t m = 0;
  for (size_t i = 0; i < out; i++) {
    const size_t len = adaptive_end(i, in, out) - adaptive_start(i, in, out);
    if (len > m) m = len;
  }
  return m;
}

size_t wt_f32_adaptive_pool2d_nhwc_scratch_bytes(size_t input_height, size_t input_width,
                                                 size_t channels, size_t output_height,
                                                 size_t output_width) {
  if (output_height == 0 || output_width == 0) return 0;
  const size_t taps = adaptive_max_window(input_height, output_height) *
                      adaptive_max_window(input_width, output_width);
  return scratch_bytes(channels, output_height * output_width, taps, 1);
}

/* Every window padded to the longest (taps past a window's end read the pad row). */
static void build_adaptive(size_t H, size_t W, size_t C, size_t OH, size_t OW,
                             const float* input, const scratch_layout* l) {
  const size_t kh_max = adaptive_max_window(H, OH), kw_max = adaptive_max_window(W, OW);
  const float** ind = l->indirection;
  float* d = l->divisor;
  for (size_t oh = 0; oh < OH; oh++) {
    const size_t y0 = adaptive_start(oh, H, OH), y1 = adaptive_end(oh, H, OH);
    for (size_t ow = 0; ow < OW; ow++) {
      const size_t x0 = adaptive_start(ow, W, OW), x1 = adaptive_end(ow, W, OW);
      for (size_t kh = 0; kh < kh_max; kh++)
        for (size_t kw = 0; kw < kw_max; kw++)
          *ind++ = (y0 + kh < y1 && x0 + kw < x1) ? input + ((y0 + kh) * W + x0 + kw) * C : l->pad;
      *d++ = (float)((y1 - y0) * (x1 - x0));
    }
  }
}

static void adaptive(const wt_pool_config* cfg, int is_max, size_t batch, size_t H, size_t W,
                     size_t C, size_t OH, size_t OW, const float* input, float* output,
                     void* scratch) {
  if (batch == 0 || C == 0 || H == 0 || W == 0 || OH == 0 || OW == 0) return;
  const size_t taps = adaptive_max_window(H, OH) * adaptive_max_window(W, OW);
  scratch_layout l = carve(scratch, C, OH * OW, taps, is_max ? -INFINITY : 0.0f);
  build_adaptive(H, W, C, OH, OW, input, &l);
  run_images(cfg, is_max, batch, H * W * C, OH * OW, taps, C, &l, input, output);
}

void wt_f32_adaptive_avgpool2d_nhwc(const wt_pool_config* cfg, size_t batch, size_t input_height,
                                    size_t input_width, size_t channels, size_t output_height,
                                    size_t output_width, const float* input, float* output,
                                    void* scratch) {
  if (output_height == 1 && output_width == 1) {
    wt_f32_global_avgpool_nhwc(cfg, batch, input_height * input_width, channels, input, output);
    return;
  }
  adaptive(cfg, 0, batch, input_height, input_width, channels, output_height, output_width, input,
           output, scratch);
}

void wt_f32_adaptive_maxpool2d_nhwc(const wt_pool_config* cfg, size_t batch, size_t input_height,
                                    size_t input_width, size_t channels, size_t output_height,
                                    size_t output_width, const float* input, float* output,
                                    void* scratch) {
  adaptive(cfg, 1, batch, input_height, input_width, channels, output_height, output_width, input,
           output, scratch);
}

size_t wt_f32_argmaxpool2d_nhwc_scratch_bytes(const wt_pool2d_params* p) {
  return (size_t)p->kernel_height * p->kernel_width * (sizeof(const float*) + sizeof(int32_t));
}

void wt_f32_argmaxpool2d_nhwc_rows(const wt_pool_config* cfg, const wt_pool2d_params* p,
                                   const float* input, size_t r0, size_t r1, float* output,
                                   int32_t* indices, void* scratch) {
  const size_t W = p->input_width, C = p->channels, OW = wt_pool2d_output_width(p);
  const ptrdiff_t H = (ptrdiff_t)p->input_height, dh = p->dilation_height, dw = p->dilation_width;
  const float** taps = scratch;
  int32_t* index = (int32_t*)(taps + (size_t)p->kernel_height * p->kernel_width);
  for (size_t oh = r0; oh < r1; oh++) {
    ptrdiff_t h0 = (ptrdiff_t)(oh * p->stride_height) - (ptrdiff_t)p->padding_height;
    const ptrdiff_t h_end = h0 + dh * ((ptrdiff_t)p->kernel_height - 1) + 1;
    while (h0 < 0) h0 += dh;
    const ptrdiff_t h1 = h_end < H ? h_end : H;
    for (size_t ow = 0; ow < OW; ow++, output += C, indices += C) {
      ptrdiff_t w0 = (ptrdiff_t)(ow * p->stride_width) - (ptrdiff_t)p->padding_width;
      const ptrdiff_t w_end = w0 + dw * ((ptrdiff_t)p->kernel_width - 1) + 1;
      while (w0 < 0) w0 += dw;
      const ptrdiff_t w1 = w_end < (ptrdiff_t)W ? w_end : (ptrdiff_t)W;
      size_t n = 0;
      for (ptrdiff_t h = h0; h < h1; h += dh)
        for (ptrdiff_t w = w0; w < w1; w += dw, n++) {
          taps[n] = input + ((size_t)h * W + (size_t)w) * C;
          index[n] = (int32_t)(h * (ptrdiff_t)W + w);
        }
      cfg->argmaxpool(n, C, taps, index, (int32_t)(h0 * (ptrdiff_t)W + w0), output, indices);
    }
  }
}
