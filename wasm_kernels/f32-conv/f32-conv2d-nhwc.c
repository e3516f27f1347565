/* f32 conv2d in NHWC as im2col + the f32 GEMM driver (see include/wt_conv.h), single-threaded,
 * no allocation. The im2col rows are built one tile at a time into the caller's scratch so the
 * tile stays in cache between being written and being read by the GEMM. */
#include <assert.h>
#include <string.h>

#include "wt_conv.h"

/* Bytes of im2col rows per tile, and the fewest rows a tile has (unless M is smaller): the GEMM
 * streams all packed weights once per tile, so tiles of a few long rows (ResNet's 3x3 512->512 at
 * 7x7: rows of 4608 floats, 9.4 MB of weights) would multiply the weight traffic. Not tuned beyond
 * a few values on the shared benchmark machine (tools/bench_conv.mjs): 128 KiB .. 2 MiB were
 * within its noise. */
#define WT_CONV_TILE_BYTES (512 * 1024)
#define WT_CONV_TILE_MIN_ROWS 64

size_t wt_conv_output_size(size_t in, uint32_t k, uint32_t s, uint32_t d, uint32_t p0,
                           uint32_t p1) {
  if (in == 0 || k == 0 || s == 0 || d == 0) return 0;
  const ptrdiff_t span = (ptrdiff_t)d * ((ptrdiff_t)k - 1) + 1;
  const ptrdiff_t room = (ptrdiff_t)in + (ptrdiff_t)p0 + (ptrdiff_t)p1 - span;
  return room < 0 ? 0 : (size_t)room / s + 1;
}

size_t wt_conv2d_output_height(const wt_conv2d_params* p) {
  return wt_conv_output_size(p->input_height, p->kernel_height, p->stride_height,
                             p->dilation_height, p->padding_top, p->padding_bottom);
}

size_t wt_conv2d_output_width(const wt_conv2d_params* p) {
  return wt_conv_output_size(p->input_width, p->kernel_width, p->stride_width, p->dilation_width,
                             p->padding_left, p->padding_right);
}

/* GEMM K of one group: (kh, kw, ic). */
static size_t group_k(const wt_conv2d_params* p) {
  return (size_t)p->kernel_height * p->kernel_width * (p->input_channels / p->groups);
}

static size_t group_packed_floats(const wt_gemm_config* cfg, const wt_conv2d_params* p) {
  return wt_f32_gemm_packed_elements(1, p->output_channels / p->groups, group_k(p), cfg->nr);
}

size_t wt_f32_conv2d_nhwc_packed_bytes(const wt_gemm_config* cfg, const wt_conv2d_params* p) {
  return p->groups * group_packed_floats(cfg, p) * sizeof(float);
}

void wt_f32_conv2d_nhwc_pack(const wt_gemm_config* cfg, const wt_conv2d_params* p,
                             const float* weight, const float* bias, float* packed) {
  const size_t G = p->groups, OCg = p->output_channels / G, ICg = p->input_channels / G;
  const size_t KH = p->kernel_height, KW = p->kernel_width, nr = cfg->nr;
  if (KH * KW == 1) {
    /* [OC, ICg, 1, 1] is already the GEMM's [g][n][k] */
    wt_f32_gemm_packw_goi(G, OCg, ICg, nr, weight, bias, packed);
    return;
  }
  /* The GEMM's panel layout (include/wt_kernels.h) with K reordered from torch's (ic, kh, kw) to
   * the im2col order (kh, kw, ic): packed[k*nr + j] = w[n0 + j][ic][kh][kw]. */
  const size_t K = KH * KW * ICg;
  for (size_t g = 0; g < G; g++) {
    for (size_t n0 = 0; n0 < OCg; n0 += nr) {
      const size_t nb = OCg - n0 < nr ? OCg - n0 : nr;
      for (size_t j = 0; j < nr; j++)
        packed[j] = (j < nb && bias != NULL) ? bias[g * OCg + n0 + j] : 0.0f;
      packed += nr;
      for (size_t j = 0; j < nr; j++) {
        const float* w = weight + (g * OCg + n0 + j) * ICg * KH * KW;
        size_t k = 0;
        for (size_t kh = 0; kh < KH; kh++)
          for (size_t kw = 0; kw < KW; kw++)
            for (size_t ic = 0; ic < ICg; ic++, k++)
              packed[k * nr + j] = j < nb ? w[(ic * KH + kh) * KW + kw] : 0.0f;
      }
      packed += K * nr;
    }
  }
}

static int is_pointwise(const wt_conv2d_params* p) {
  return p->kernel_height == 1 && p->kernel_width == 1 && p->stride_height == 1 &&
         p->stride_width == 1 && p->padding_top == 0 && p->padding_left == 0 &&
         p->padding_bottom == 0 && p->padding_right == 0;
}

/* Rows per im2col tile: a multiple of MR that fits WT_CONV_TILE_BYTES, but at least
 * WT_CONV_TILE_MIN_ROWS and at most M. */
static size_t tile_rows(const wt_gemm_config* cfg, size_t row_floats, size_t m) {
  size_t rows = WT_CONV_TILE_BYTES / (row_floats * sizeof(float) + 1);
  if (rows < WT_CONV_TILE_MIN_ROWS) rows = WT_CONV_TILE_MIN_ROWS;
  rows = (rows + cfg->mr - 1) / cfg->mr * cfg->mr;
  return rows < m ? rows : m;
}

size_t wt_f32_conv2d_nhwc_scratch_bytes(const wt_gemm_config* cfg, const wt_conv2d_params* p) {
  const size_t m = p->batch * wt_conv2d_output_height(p) * wt_conv2d_output_width(p);
  if (m == 0 || is_pointwise(p)) return 0;
  const size_t row_floats = p->groups * group_k(p);
  return tile_rows(cfg, row_floats, m) * row_floats * sizeof(float);
}

/* im2col rows m0 .. m0+rows-1 (output pixels in NHWC order) into col[rows][groups][KH][KW][ICg];
 * taps outside the input are 0. With one group and no width dilation the KW taps of a kernel row
 * are one contiguous run of the input row: one copy plus the zeros at the edges. */
static void im2col(const wt_conv2d_params* p, size_t OH, size_t OW, size_t m0, size_t rows,
                   const float* input, float* col) {
  const ptrdiff_t H = (ptrdiff_t)p->input_height, W = (ptrdiff_t)p->input_width;
  const size_t IC = p->input_channels, G = p->groups, ICg = IC / G;
  const size_t KH = p->kernel_height, KW = p->kernel_width;
  const int kw_run = G == 1 && p->dilation_width == 1;
  size_t ow = m0 % OW, oh = m0 / OW % OH, n = m0 / OW / OH;
  for (size_t r = 0; r < rows; r++) {
    const float* image = input + n * (size_t)H * (size_t)W * IC;
    const ptrdiff_t y0 = (ptrdiff_t)(oh * p->stride_height) - (ptrdiff_t)p->padding_top;
    const ptrdiff_t x0 = (ptrdiff_t)(ow * p->stride_width) - (ptrdiff_t)p->padding_left;
    for (size_t g = 0; g < G; g++) {
      for (size_t kh = 0; kh < KH; kh++) {
        const ptrdiff_t y = y0 + (ptrdiff_t)(kh * p->dilation_height);
        if (y < 0 || y >= H) {
          memset(col, 0, KW * ICg * sizeof(float));
          col += KW * ICg;
          continue;
        }
        const float* row = image + (size_t)y * (size_t)W * IC + g * ICg;
        if (kw_run) {
          /* taps lo .. hi-1 are inside the row */
          const ptrdiff_t lo = x0 < 0 ? (-x0 < (ptrdiff_t)KW ? -x0 : (ptrdiff_t)KW) : 0;
          ptrdiff_t hi = W - x0 < (ptrdiff_t)KW ? W - x0 : (ptrdiff_t)KW;
          if (hi < lo) hi = lo;
          memset(col, 0, (size_t)lo * IC * sizeof(float));
          memcpy(col + lo * IC, row + (x0 + lo) * (ptrdiff_t)IC, (size_t)(hi - lo) * IC * sizeof(float));
          memset(col + hi * IC, 0, (KW - (size_t)hi) * IC * sizeof(float));
          col += KW * IC;
        } else {
          for (size_t kw = 0; kw < KW; kw++) {
            const ptrdiff_t x = x0 + (ptrdiff_t)(kw * p->dilation_width);
            if (x < 0 || x >= W)
              memset(col, 0, ICg * sizeof(float));
            else
              memcpy(col, row + (size_t)x * IC, ICg * sizeof(float));
            col += ICg;
          }
        }
      }
    }
    if (++ow == OW) {
      ow = 0;
      if (++oh == OH) {
        oh = 0;
        n++;
      }
    }
  }
}

void wt_f32_conv2d_nhwc(const wt_gemm_config* cfg, const wt_conv2d_params* p, const float* input,
                        const float* packed, float* output, void* scratch, float min, float max) {
  assert(p->groups != 0);
  assert(p->input_channels % p->groups == 0 && p->output_channels % p->groups == 0);
  const size_t OH = wt_conv2d_output_height(p), OW = wt_conv2d_output_width(p);
  const size_t M = p->batch * OH * OW;
  const size_t G = p->groups, IC = p->input_channels, OC = p->output_channels;
  const size_t ICg = IC / G, OCg = OC / G;
  if (M == 0 || OC == 0) return;
  const size_t gstride = group_packed_floats(cfg, p);

  if (is_pointwise(p)) {
    for (size_t g = 0; g < G; g++)
      wt_f32_gemm(cfg, M, OCg, ICg, input + g * ICg, IC, packed + g * gstride, output + g * OCg,
                  OC, min, max);
    return;
  }

  const size_t K = group_k(p), row_floats = G * K;
  const size_t tile = tile_rows(cfg, row_floats, M);
  float* col = scratch;
  for (size_t m0 = 0; m0 < M; m0 += tile) {
    const size_t rows = M - m0 < tile ? M - m0 : tile;
    im2col(p, OH, OW, m0, rows, input, col);
    for (size_t g = 0; g < G; g++)
      wt_f32_gemm(cfg, rows, OCg, K, col + g * K, row_floats, packed + g * gstride,
                  output + m0 * OC + g * OCg, OC, min, max);
  }
}
