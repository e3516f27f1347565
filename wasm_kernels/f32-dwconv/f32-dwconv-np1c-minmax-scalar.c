/* f32 depthwise-convolution micro-kernel, any number of taps, 1 channel per step, fused clamp,
 * scalar: an instance of f32-dwconv-minmax-scalar.c.inc. */
#define WT_DWCONV_TAPS 0
#define WT_DWCONV_UKERNEL wt_f32_dwconv_minmax_ukernel_np1c__scalar
#include "f32-dwconv-minmax-scalar.c.inc"
