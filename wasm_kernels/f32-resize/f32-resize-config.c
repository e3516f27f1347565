/* Which f32 resize micro-kernels run (variants: include/wt_resize.h), the tap arithmetic, and the
 * row driver. */
#include <math.h>
#include <string.h>

#include "wt_resize.h"

static const wt_resize_config resize_configs[WT_RESIZE_VARIANT_COUNT] = {
    [WT_RESIZE_SCALAR] = {.ibilinear = wt_f32_ibilinear_ukernel__scalar_c1,
                          .ibicubic = wt_f32_ibicubic_ukernel__scalar_c1,
                          .name = "f32-resize-scalar"},
    [WT_RESIZE_WASMSIMD] = {.ibilinear = wt_f32_ibilinear_ukernel__wasmsimd_c8,
                            .ibicubic = wt_f32_ibicubic_ukernel__wasmsimd_c4,
                            .name = "f32-resize-wasmsimd"},
};

const wt_resize_config* wt_f32_resize_config(int variant) {
  if (variant < 0 || variant >= WT_RESIZE_VARIANT_COUNT) return NULL;
  return &resize_configs[variant];
}

wt_resize_tap wt_resize_tap_of(uint32_t flags, float scale, size_t in, size_t out, size_t i) {
  wt_resize_tap t = {(int32_t)i, (int32_t)i, 1.0f, 0.0f};
  const int64_t last = (int64_t)in - 1;
  if (!(flags & WT_RESIZE_LINEAR)) {
    if ((flags & WT_RESIZE_SHORTCUT) && (out == in || out == 2 * in)) {
      t.i0 = t.i1 = (int32_t)(out == in ? i : i / 2);
      return t;
    }
    const float s = scale > 0.0f ? scale : (float)in / (float)out;
    int64_t src;
    if (flags & WT_RESIZE_EXACT) {
      float f = flags & WT_RESIZE_FMA ? (float)((double)s * ((double)i + 0.5) - 0.5)
                                      : s * ((float)i + 0.5f) - 0.5f;
      f = f < 0.0f ? 0.0f : f;
      src = (int64_t)floorf(f + 0.5f);
    } else {
      src = (int64_t)floorf((float)i * s);
    }
    t.i0 = t.i1 = (int32_t)(src < last ? src : last);
    return t;
  }
  if (out == in) return t; /* ATen copies when the size is unchanged */
  float src;
  if (flags & WT_RESIZE_ALIGN_CORNERS) {
    src = (out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f) * (float)i;
  } else {
    const float s = scale > 0.0f ? scale : (float)in / (float)out;
    src = s * ((float)i + 0.5f) - 0.5f;
    src = src < 0.0f ? 0.0f : src;
  }
  int64_t i0 = (int64_t)floorf(src);
  i0 = i0 < last ? i0 : last;
  float l = src - (float)i0;
  l = l < 0.0f ? 0.0f : l > 1.0f ? 1.0f : l;
  t.i0 = (int32_t)i0;
  t.i1 = (int32_t)(i0 + (i0 < last));
  t.l0 = 1.0f - l;
  t.l1 = l;
  return t;
}

/* torch's cubic convolution coefficients, A = -0.75 (upsample_bicubic2d) */
static float cubic1(float x) { return ((-0.75f + 2.0f) * x - (-0.75f + 3.0f)) * x * x + 1.0f; }
static float cubic2(float x) {
  return ((-0.75f * x - 5.0f * -0.75f) * x + 8.0f * -0.75f) * x - 4.0f * -0.75f;
}

wt_resize_tap4 wt_resize_cubic_tap_of(uint32_t flags, float scale, size_t in, size_t out, size_t i) {
  const int64_t last = (int64_t)in - 1;
  float src;
  if (flags & WT_RESIZE_ALIGN_CORNERS) {
    src = (out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f) * (float)i;
  } else {
    const float s = scale > 0.0f ? scale : (float)in / (float)out;
    src = s * ((float)i + 0.5f) - 0.5f;
  }
  int64_t i0 = (int64_t)floorf(src);
  i0 = i0 < last ? i0 : last;
  float t = src - (float)i0;
  t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
  wt_resize_tap4 k = {{0}, {cubic2(t + 1.0f), cubic1(t), cubic1(1.0f - t), cubic2(2.0f - t)}};
  for (int j = 0; j < 4; j++) {
    const int64_t at = i0 - 1 + j;
    k.i[j] = (int32_t)(at < 0 ? 0 : at > last ? last : at);
  }
  return k;
}

void wt_f32_resize2d_cubic_nhwc_rows(const wt_resize_config* cfg, size_t width, size_t channels,
                                     const wt_resize_tap4* rows, const wt_resize_tap4* cols,
                                     size_t out_width, const float* input, size_t r0, size_t r1,
                                     float* output) {
  for (size_t r = r0; r < r1; r++, output += out_width * channels) {
    const float* src[4];
    for (int j = 0; j < 4; j++) src[j] = input + (size_t)rows[r].i[j] * width * channels;
    cfg->ibicubic(out_width, channels, src, rows[r].w, cols, output);
  }
}

void wt_f32_resize2d_nhwc_rows(const wt_resize_config* cfg, int linear, size_t width,
                               size_t channels, const wt_resize_tap* rows,
                               const wt_resize_tap* cols, size_t out_width, const float* input,
                               size_t r0, size_t r1, float* output) {
  const size_t row_floats = width * channels;
  for (size_t r = r0; r < r1; r++, output += out_width * channels) {
    const wt_resize_tap t = rows[r];
    const float* row0 = input + (size_t)t.i0 * row_floats;
    if (!linear) {
      for (size_t p = 0; p < out_width; p++)
        memcpy(output + p * channels, row0 + (size_t)cols[p].i0 * channels, channels * sizeof(float));
      continue;
    }
    cfg->ibilinear(out_width, channels, row0, input + (size_t)t.i1 * row_floats, t.l0, t.l1, cols,
                   output);
  }
}
