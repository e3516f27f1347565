/* f32 depthwise-convolution micro-kernel, any taps (tap loop), 4 channels x 1 output pixel per
 * step, fused clamp, wasm SIMD128: an instance of f32-dwconv-minmax-wasmsimd.c.inc. */
#define WT_DWCONV_CT 4
#define WT_DWCONV_PIXELS 1
#define WT_DWCONV_UKERNEL wt_f32_dwconv_minmax_ukernel_np4c__wasmsimd
#include "f32-dwconv-minmax-wasmsimd.c.inc"
