/* f32 depthwise-convolution micro-kernel, any taps (tap loop), 8 channels x 2 output pixels per
 * step, fused clamp, wasm SIMD128: an instance of f32-dwconv-minmax-wasmsimd.c.inc. */
#define WT_DWCONV_CT 8
#define WT_DWCONV_PIXELS 2
#define WT_DWCONV_UKERNEL wt_f32_dwconv_minmax_ukernel_np8c2px__wasmsimd
#include "f32-dwconv-minmax-wasmsimd.c.inc"
