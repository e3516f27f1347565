/* f32 depthwise convolution, NHWC, XNNPACK-style (micro-kernels over one row of output pixels fed
 * by an indirection buffer of input pixel pointers). Depth multiplier 1 only: groups == C_in ==
 * C_out. A depthwise weight with depth multiplier > 1 ([C*m, 1, KH, KW], groups = C) goes to the
 * general convolution path, not here.
 *
 * Semantics: PyTorch conv2d(x, w[C,1,KH,KW], bias[C], stride, padding, dilation, groups=C) on the
 * NHWC layout, with asymmetric zero padding (top, left, bottom, right) allowed (= F.pad then
 * conv2d), followed by clamp(min, max) (min/max = -inf/+inf for none; 0/+inf ReLU; 0/6 ReLU6).
 *   OH = (H + pad_t + pad_b - dil_h*(KH-1) - 1) / stride_h + 1   (likewise OW)
 *
 * ---- Packed weights ("dwconv packw") --------------------------------------------------------
 * Channels are cut into tiles of CT (the config's channel_tile). Tile p holds
 *   bias[p*CT .. p*CT+CT)                                     CT floats
 *   then for tap t = 0 .. T-1 (T = KH*KW):  w[p*CT + j][t]    CT floats per tap
 * so a tile is (T+1)*CT floats and the buffer ceil(C/CT)*CT*(T+1) floats. Channels past C (the
 * last tile's padding) are zero, bias included. Taps are in column-major kernel order,
 *   t = kx*KH + ky,
 * as XNNPACK: with dilation 1, output pixel x+1 then reuses the last KH*(KW-stride) input
 * pointers of pixel x, so the indirection buffer of a row is short.
 *
 * ---- Indirection buffer of one output row ---------------------------------------------------
 * Pixel x of the row uses the T pointers at input + x*input_stride (in bytes; pointers are
 * 4 bytes on wasm32). Pointer t (= kx*KH + ky) is the first channel of the input pixel under tap
 * (ky, kx), or the zero buffer (>= C zero floats) for a tap that lands in the padding. The driver
 * builds it one output row at a time with the image offset already applied, so the pointers are
 * final: unlike XNNPACK's kernels (which add input_offset to every non-zero pointer so that a
 * cached buffer serves every image) ours take neither input_offset nor zero. One row's pointers
 * (a few KB for usual widths) stay in L1, and the scratch does not grow with H or N; rebuilding them per
 * row costs T + (OW-1)*step pointer writes against OW*C*T multiply-adds. Step between pixels,
 * in pointers: step_width*KH with step_width = KW if dil_w > 1, else min(stride_w, KW).
 *
 * ---- Micro-kernel arguments (sizes and strides in BYTES except channels, output_width, taps) --
 *   channels          C >= 1; the kernel walks its CT-wide tiles itself, the last one partial
 *   output_width      pixels of the row to compute, >= 1
 *   input             T pointers for pixel 0, pixel x at (char*)input + x*input_stride
 *   weights           packed weights (layout above, CT = the kernel's channel tile)
 *   output            channel 0 of pixel 0; pixel x+1 starts at pixel x + C floats +
 *                     output_increment bytes (0 for dense NHWC)
 *   input_stride      bytes between the pointer sets of consecutive pixels
 *   output_increment  bytes skipped after the C outputs of each pixel
 *   taps              T >= 1: any T for the tap-loop kernels ("np"); the unrolled ones (9p,
 *                     25p) require their own T
 *   params            clamp bounds
 * Only the C floats of each input pixel pointed to are read (channel tails use partial loads,
 * where XNNPACK reads whole vectors past C: XNN_OOB_READS), and only the C floats of each output
 * pixel are written.
 *
 * Accumulation order is identical in every variant: acc = bias; for t in 0..T-1 in order,
 * acc = acc + in[t]*w[t] (separate rounded multiply and add: wasm SIMD128 has no FMA and the
 * scalar twin forbids contraction), then acc = acc < min ? min : acc; acc = max < acc ? max : acc
 * (NaN propagates, as torch.clamp). Results are bit-identical across variants.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wt_kernels.h" /* wt_f32_minmax_params */

typedef void (*wt_f32_dwconv_minmax_ukernel_fn)(size_t channels, size_t output_width,
                                                const float** input, const float* weights,
                                                float* output, size_t input_stride,
                                                size_t output_increment, size_t taps,
                                                const wt_f32_minmax_params* params);

#define WT_DWCONV_UKERNEL_DECL(name)                                                          \
  void name(size_t channels, size_t output_width, const float** input, const float* weights, \
            float* output, size_t input_stride, size_t output_increment, size_t taps,       \
            const wt_f32_minmax_params* params)

/* scalar twins (CT = 1): 3x3 unrolled, and a tap loop for any kernel */
WT_DWCONV_UKERNEL_DECL(wt_f32_dwconv_minmax_ukernel_9p1c__scalar);
WT_DWCONV_UKERNEL_DECL(wt_f32_dwconv_minmax_ukernel_np1c__scalar);
/* wasm SIMD128 tap-loop kernels for any kernel size: CT channels x P output pixels per step */
WT_DWCONV_UKERNEL_DECL(wt_f32_dwconv_minmax_ukernel_np8c2px__wasmsimd);
WT_DWCONV_UKERNEL_DECL(wt_f32_dwconv_minmax_ukernel_np16c__wasmsimd);
WT_DWCONV_UKERNEL_DECL(wt_f32_dwconv_minmax_ukernel_np4c__wasmsimd);
/* wasm SIMD128, XNNPACK's unrolled "up" shape: 3x3 and 5x5, 4 channels per tile */
WT_DWCONV_UKERNEL_DECL(wt_f32_dwconv_minmax_ukernel_9p4c__wasmsimd);
WT_DWCONV_UKERNEL_DECL(wt_f32_dwconv_minmax_ukernel_25p4c__wasmsimd);

/* Weight packing ("ghw" as XNNPACK: groups, kernel height, kernel width). w: the torch depthwise
 * weight [C, 1, KH, KW] row-major (taps = KH*KW); b: [C] or NULL (zero bias). packed must hold
 * wt_f32_dwconv_packed_elements(C, KH*KW, channel_tile) floats. */
size_t wt_f32_dwconv_packed_elements(size_t channels, size_t taps, size_t channel_tile);
void wt_f32_dwconv_packw_ghw(size_t channels, size_t kh, size_t kw, size_t channel_tile,
                             const float* w, const float* b, float* packed);

/* Kernel selection is data (as wt_gemm_config): up9 serves 3x3 (T == 9), up25 5x5 (T == 25),
 * any every other tap count (1x1, 2x3, 7x7, ...). All three share the channel tile (which fixes
 * the packed layout). Measurements behind the choice: f32-dwconv/f32-dwconv-config.c.
 *   WT_DWCONV_SCALAR        scalar twins (CT = 1), the test oracle
 *   WT_DWCONV_WASMSIMD      production: tap loop, 8 channels x 2 output pixels (CT = 8)
 *   WT_DWCONV_WASMSIMD_16C  tap loop, 16 channels x 1 pixel (CT = 16)
 *   WT_DWCONV_WASMSIMD_UP   XNNPACK's unrolled 9p4c / 25p4c, tap loop 4c otherwise (CT = 4)
 * The last two are kept tested and benchmarked (tools/bench_dwconv.mjs) so the choice can be
 * re-measured, e.g. on ARM. */
typedef struct wt_dwconv_config {
  wt_f32_dwconv_minmax_ukernel_fn up9;
  wt_f32_dwconv_minmax_ukernel_fn up25;
  wt_f32_dwconv_minmax_ukernel_fn any;
  uint32_t channel_tile;
  const char* name;
} wt_dwconv_config;

enum wt_dwconv_variant {
  WT_DWCONV_SCALAR = 0,
  WT_DWCONV_WASMSIMD = 1,
  WT_DWCONV_WASMSIMD_16C = 2,
  WT_DWCONV_WASMSIMD_UP = 3,
  WT_DWCONV_VARIANT_COUNT = 4,
};

/* NULL for an unknown variant. */
const wt_dwconv_config* wt_f32_dwconv_config(int variant);

/* Bytes of scratch wt_f32_dwconv_nhwc needs: a zero buffer of C floats (rounded up to a multiple
 * of 4) followed by one output row of indirection pointers,
 *   KH*KW + (OW-1)*step_width*KH   pointers (step_width as above),
 * or 0 when C or OW is 0. Independent of N, H, W, OH and the variant. Scratch
 * must be 4-byte aligned; its contents on entry do not matter. One thread's worth: a threaded
 * driver gives each thread its own row area. */
size_t wt_f32_dwconv_scratch_bytes(size_t C, size_t KH, size_t KW, size_t stride_w,
                                   size_t dil_w, size_t OW);

/* Driver: output[N, OH, OW, C] = clamp(dwconv(input[N, H, W, C])) for packed weights made with
 * channel_tile = cfg->channel_tile and KH, KW. Dense NHWC. OH and OW must match the formula above
 * (asserted). Single-threaded; no allocation (scratch: wt_f32_dwconv_scratch_bytes). */
void wt_f32_dwconv_nhwc(const wt_dwconv_config* cfg, size_t N, size_t H, size_t W, size_t C,
                        size_t KH, size_t KW, size_t stride_h, size_t stride_w, size_t pad_t,
                        size_t pad_l, size_t pad_b, size_t pad_r, size_t dil_h, size_t dil_w,
                        const float* input, const float* packed, float* output, size_t OH,
                        size_t OW, float min, float max, void* scratch);

/* As wt_f32_dwconv_nhwc with pixel strides in elements (>= C): input pixel (n, y, x) starts at
 * input + ((n*H + y)*W + x)*input_pixel_stride, output pixel at
 * output + ((n*OH + y)*OW + x)*output_pixel_stride (a channel slice of a wider NHWC tensor, as
 * XNNPACK's input/output_pixel_stride). Floats between pixels are neither read nor written. */
void wt_f32_dwconv_nhwc_strided(const wt_dwconv_config* cfg, size_t N, size_t H, size_t W,
                                size_t C, size_t KH, size_t KW, size_t stride_h,
                                size_t stride_w, size_t pad_t, size_t pad_l, size_t pad_b,
                                size_t pad_r, size_t dil_h, size_t dil_w, const float* input,
                                size_t input_pixel_stride, const float* packed, float* output,
                                size_t output_pixel_stride, size_t OH, size_t OW, float min,
                                float max, void* scratch);
