/* f32 depthwise-convolution micro-kernel, 9 taps (3x3) unrolled, 4 channels per tile,
 * fused clamp, wasm SIMD128: an instance of f32-dwconv-minmax-wasmsimd-unroll.c.inc. */
#define WT_DWCONV_TAPS 9
#define WT_DWCONV_CT 4
#define WT_DWCONV_UKERNEL wt_f32_dwconv_minmax_ukernel_9p4c__wasmsimd
#include "f32-dwconv-minmax-wasmsimd-unroll.c.inc"
