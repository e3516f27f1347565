/* f32 conv_transpose2d in NHWC as the f32 GEMM on the input (one GEMM per group into a tile of
 * columns in the caller's scratch) + a col2im scatter-add into the output, which starts as the
 * bias; the clamp runs last (include/wt_conv.h). Correct first: the scatter is plain C (clang
 * vectorizes its channel loop); every output element receives its taps in the same order in
 * every variant, so scalar and wasmsimd GEMM configs stay bit-identical. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "wt_conv.h"

/* Bytes of GEMM columns per tile (same budget as conv2d's im2col tile). */
#define WT_DECONV_TILE_BYTES (512 * 1024)

#define WT_ALIGN4(floats) (((floats) + 3) & ~(size_t)3)

size_t wt_deconv_output_size(size_t in, uint32_t k, uint32_t s, uint32_t d, uint32_t p0,
                             uint32_t p1, uint32_t op) {
  if (in == 0 || k == 0 || s == 0 || d == 0) return 0;
  const ptrdiff_t out = ((ptrdiff_t)in - 1) * (ptrdiff_t)s - (ptrdiff_t)p0 - (ptrdiff_t)p1 +
                        (ptrdiff_t)d * ((ptrdiff_t)k - 1) + (ptrdiff_t)op + 1;
  return out < 1 ? 0 : (size_t)out;
}

size_t wt_deconv2d_output_height(const wt_conv2d_params* p) {
  return wt_deconv_output_size(p->input_height, p->kernel_height, p->stride_height,
                               p->dilation_height, p->padding_top, p->padding_bottom,
                               p->output_padding_height);
}

size_t wt_deconv2d_output_width(const wt_conv2d_params* p) {
  return wt_deconv_output_size(p->input_width, p->kernel_width, p->stride_width,
                               p->dilation_width, p->padding_left, p->padding_right,
                               p->output_padding_width);
}

/* GEMM N of one group: (kh, kw, o). */
static size_t group_n(const wt_conv2d_params* p) {
  return (size_t)p->kernel_height * p->kernel_width * (p->output_channels / p->groups);
}

static size_t group_packed_floats(const wt_gemm_config* cfg, const wt_conv2d_params* p) {
  return wt_f32_gemm_packed_elements(1, group_n(p), p->input_channels / p->groups, cfg->nr);
}

size_t wt_f32_deconv2d_nhwc_packed_bytes(const wt_gemm_config* cfg, const wt_conv2d_params* p) {
  return (WT_ALIGN4(p->groups * group_packed_floats(cfg, p)) + p->output_channels) *
         sizeof(float);
}

void wt_f32_deconv2d_nhwc_pack(const wt_gemm_config* cfg, const wt_conv2d_params* p,
                               const float* weight, const float* bias, float* packed) {
  const size_t G = p->groups, OCg = p->output_channels / G, ICg = p->input_channels / G;
  const size_t KHW = (size_t)p->kernel_height * p->kernel_width, N = group_n(p), nr = cfg->nr;
  float* bias_out = packed + WT_ALIGN4(G * group_packed_floats(cfg, p));
  for (size_t g = 0; g < G; g++) {
    for (size_t n0 = 0; n0 < N; n0 += nr) {
      for (size_t j = 0; j < nr; j++) packed[j] = 0.0f; /* the bias is added by the scatter */
      packed += nr;
      for (size_t j = 0; j < nr; j++) {
        /* GEMM column n0 + j = (kh, kw, o) reads torch's w[g*ICg + ic][o][kh][kw] */
        const size_t col = n0 + j, o = col % OCg, tap = col / OCg;
        for (size_t ic = 0; ic < ICg; ic++)
          packed[ic * nr + j] = col < N ? weight[((g * ICg + ic) * OCg + o) * KHW + tap] : 0.0f;
      }
      packed += ICg * nr;
    }
  }
  for (size_t c = 0; c < p->output_channels; c++) bias_out[c] = bias != NULL ? bias[c] : 0.0f;
}

static size_t tile_rows(const wt_gemm_config* cfg, size_t row_floats, size_t m) {
  size_t rows = WT_DECONV_TILE_BYTES / (row_floats * sizeof(float) + 1) / cfg->mr * cfg->mr;
  if (rows < cfg->mr) rows = cfg->mr;
  return rows < m ? rows : m;
}

size_t wt_f32_deconv2d_nhwc_scratch_bytes(const wt_gemm_config* cfg, const wt_conv2d_params* p) {
  const size_t m = p->batch * p->input_height * p->input_width;
  if (m == 0 || wt_deconv2d_output_height(p) == 0 || wt_deconv2d_output_width(p) == 0) return 0;
  return tile_rows(cfg, group_n(p), m) * group_n(p) * sizeof(float);
}

void wt_f32_deconv2d_nhwc(const wt_gemm_config* cfg, const wt_conv2d_params* p,
                          const float* input, const float* packed, float* output, void* scratch,
                          float min, float max) {
  assert(p->groups != 0);
  assert(p->input_channels % p->groups == 0 && p->output_channels % p->groups == 0);
  const size_t OH = wt_deconv2d_output_height(p), OW = wt_deconv2d_output_width(p);
  const size_t IH = p->input_height, IW = p->input_width, B = p->batch;
  const size_t G = p->groups, IC = p->input_channels, OC = p->output_channels;
  const size_t ICg = IC / G, OCg = OC / G, KH = p->kernel_height, KW = p->kernel_width;
  if (B == 0 || OH == 0 || OW == 0 || OC == 0) return;
  const size_t gstride = group_packed_floats(cfg, p), N = group_n(p), M = B * IH * IW;
  const float* bias = packed + WT_ALIGN4(G * gstride);

  const size_t pixels = B * OH * OW;
  for (size_t i = 0; i < pixels; i++) memcpy(output + i * OC, bias, OC * sizeof(float));

  const size_t tile = M == 0 ? 0 : tile_rows(cfg, N, M);
  float* col = scratch;
  for (size_t m0 = 0; m0 < M; m0 += tile) {
    const size_t rows = M - m0 < tile ? M - m0 : tile;
    for (size_t g = 0; g < G; g++) {
      wt_f32_gemm(cfg, rows, N, ICg, input + m0 * IC + g * ICg, IC, packed + g * gstride, col, N,
                  -INFINITY, INFINITY);
      size_t iw = m0 % IW, ih = m0 / IW % IH, n = m0 / IW / IH;
      for (size_t r = 0; r < rows; r++) {
        const float* src = col + r * N;
        for (size_t kh = 0; kh < KH; kh++) {
          const ptrdiff_t y = (ptrdiff_t)(ih * p->stride_height) - (ptrdiff_t)p->padding_top +
                              (ptrdiff_t)(kh * p->dilation_height);
          if (y < 0 || y >= (ptrdiff_t)OH) continue;
          for (size_t kw = 0; kw < KW; kw++) {
            const ptrdiff_t x = (ptrdiff_t)(iw * p->stride_width) - (ptrdiff_t)p->padding_left +
                                (ptrdiff_t)(kw * p->dilation_width);
            if (x < 0 || x >= (ptrdiff_t)OW) continue;
            float* dst = output + ((n * OH + (size_t)y) * OW + (size_t)x) * OC + g * OCg;
            const float* s = src + (kh * KW + kw) * OCg;
            for (size_t o = 0; o < OCg; o++) dst[o] = dst[o] + s[o];
          }
        }
        if (++iw == IW) {
          iw = 0;
          if (++ih == IH) {
            ih = 0;
            n++;
          }
        }
      }
    }
  }

  if (min != -INFINITY || max != INFINITY) {
    /* the GEMM's clamp: NaN passes through */
    const size_t total = pixels * OC;
    for (size_t i = 0; i < total; i++) {
      float v = output[i];
      v = v < min ? min : v;
      v = max < v ? max : v;
      output[i] = v;
    }
  }
}
