/* f32 resize (upsample) in NHWC: nearest and bilinear, as torch's CPU upsample kernels.
 * Micro-kernels are named as XNNPACK's: f32-ibilinear-<isa>-c<channel tile>; a scalar twin (the
 * oracle in tests) and a wasmsimd variant, picked through a config table.
 *
 * An axis of `in` elements resized to `out` maps each output index to two source indices and two
 * weights (a wt_resize_tap), computed once at load in float32 the way torch does (its "opmath"):
 *   nearest   src = min(floor(i * s), in - 1), s = scale (1 / scale_factor) if given, else in / out;
 *             the 2-d kernel's shortcut (WT_RESIZE_SHORTCUT): out == in copies, out == 2 in halves
 *   nearest-exact (WT_RESIZE_EXACT)  src = min(floor(max(s * (i + 0.5) - 0.5, 0) + 0.5), in - 1),
 *             s * (i + 0.5) - 0.5 rounded once (WT_RESIZE_FMA: torch's 1-d kernel) or twice (2-d)
 *   linear    out == in copies; align_corners: src = i * (in - 1) / (out - 1) (0 when out == 1);
 *             else src = max(s * (i + 0.5) - 0.5, 0); i0 = min(floor(src), in - 1),
 *             i1 = i0 + (i0 < in - 1), l1 = clamp(src - i0, 0, 1), l0 = 1 - l1
 *   cubic (WT_RESIZE_CUBIC)  src as linear but not clamped at 0; i = min(floor(src), in - 1),
 *             t = clamp(src - i, 0, 1); taps i - 1 .. i + 2 clamped to the axis, weights torch's
 *             cubic convolution (A = -0.75) of t + 1, t, 1 - t, 2 - t
 * A bilinear output pixel is l0h * (l0w * x[h0][w0] + l1w * x[h0][w1]) + l1h * (l0w * x[h1][w0] +
 * l1w * x[h1][w1]), per channel, in that order in both variants: they agree bit for bit; a bicubic
 * one is sum_j wy[j] * (sum_i wx[i] * x[h_j][w_i]), each sum left to right. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define WT_RESIZE_ALIGN_CORNERS 1u
#define WT_RESIZE_LINEAR 2u   /* else nearest */
#define WT_RESIZE_SHORTCUT 4u /* nearest only */
#define WT_RESIZE_EXACT 8u    /* nearest-exact */
#define WT_RESIZE_FMA 16u     /* nearest-exact: one rounding */
#define WT_RESIZE_CUBIC 32u   /* bicubic (with WT_RESIZE_LINEAR clear) */

typedef struct wt_resize_tap {
  int32_t i0, i1;
  float l0, l1;
} wt_resize_tap;

typedef struct wt_resize_tap4 {
  int32_t i[4];
  float w[4];
} wt_resize_tap4;

/* Output index i of an axis of `in` resized to `out` (both >= 1); scale 0 = none. */
wt_resize_tap wt_resize_tap_of(uint32_t flags, float scale, size_t in, size_t out, size_t i);
wt_resize_tap4 wt_resize_cubic_tap_of(uint32_t flags, float scale, size_t in, size_t out, size_t i);

/* ---- micro-kernels: `pixels` >= 1 output pixels of one output row --------------------------
 * row0, row1   the two source rows (l0 and l1 weigh them), `channels` floats per pixel
 * cols         one tap per output pixel (source columns and their weights)
 * output       pixels * channels floats */
typedef void (*wt_f32_ibilinear_ukernel_fn)(size_t pixels, size_t channels, const float* row0,
                                            const float* row1, float l0, float l1,
                                            const wt_resize_tap* cols, float* output);

void wt_f32_ibilinear_ukernel__scalar_c1(size_t pixels, size_t channels, const float* row0,
                                         const float* row1, float l0, float l1,
                                         const wt_resize_tap* cols, float* output);
void wt_f32_ibilinear_ukernel__wasmsimd_c8(size_t pixels, size_t channels, const float* row0,
                                           const float* row1, float l0, float l1,
                                           const wt_resize_tap* cols, float* output);
/* bicubic: four source rows weighed by wy[0..3], four columns per output pixel */
typedef void (*wt_f32_ibicubic_ukernel_fn)(size_t pixels, size_t channels, const float** rows,
                                           const float* wy, const wt_resize_tap4* cols,
                                           float* output);
void wt_f32_ibicubic_ukernel__scalar_c1(size_t pixels, size_t channels, const float** rows,
                                        const float* wy, const wt_resize_tap4* cols, float* output);
void wt_f32_ibicubic_ukernel__wasmsimd_c4(size_t pixels, size_t channels, const float** rows,
                                          const float* wy, const wt_resize_tap4* cols,
                                          float* output);

enum wt_resize_variant {
  WT_RESIZE_SCALAR = 0,   /* the scalar twin (reference) */
  WT_RESIZE_WASMSIMD = 1, /* production */
  WT_RESIZE_VARIANT_COUNT = 2,
};

typedef struct wt_resize_config {
  wt_f32_ibilinear_ukernel_fn ibilinear;
  wt_f32_ibicubic_ukernel_fn ibicubic;
  const char* name;
} wt_resize_config;

/* NULL for an unknown variant. */
const wt_resize_config* wt_f32_resize_config(int variant);

/* Output rows [r0, r1) of one image: input [H, W, C] -> output rows of [OH, OW, C] (output points
 * at row r0). rows: OH taps, cols: OW taps (wt_resize_tap_of); linear = 0 copies the nearest pixel. */
void wt_f32_resize2d_nhwc_rows(const wt_resize_config* cfg, int linear, size_t width,
                               size_t channels, const wt_resize_tap* rows,
                               const wt_resize_tap* cols, size_t out_width, const float* input,
                               size_t r0, size_t r1, float* output);
/* The same with bicubic taps (wt_resize_cubic_tap_of). */
void wt_f32_resize2d_cubic_nhwc_rows(const wt_resize_config* cfg, size_t width, size_t channels,
                                     const wt_resize_tap4* rows, const wt_resize_tap4* cols,
                                     size_t out_width, const float* input, size_t r0, size_t r1,
                                     float* output);
