/* f32 depthwise-convolution micro-kernel, 25 taps (5x5) unrolled, 4 channels per tile,
 * fused clamp, wasm SIMD128: an instance of f32-dwconv-minmax-wasmsimd-unroll.c.inc. */
#define WT_DWCONV_TAPS 25
#define WT_DWCONV_CT 4
#define WT_DWCONV_UKERNEL wt_f32_dwconv_minmax_ukernel_25p4c__wasmsimd
#include "f32-dwconv-minmax-wasmsimd-unroll.c.inc"
