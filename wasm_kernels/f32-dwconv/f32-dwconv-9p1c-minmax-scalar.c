/* f32 depthwise-convolution micro-kernel, 9 taps, 1 channel per step, fused clamp, scalar:
 * an instance of f32-dwconv-minmax-scalar.c.inc. */
#define WT_DWCONV_TAPS 9
#define WT_DWCONV_UKERNEL wt_f32_dwconv_minmax_ukernel_9p1c__scalar
#include "f32-dwconv-minmax-scalar.c.inc"
