/* f32 y[i] = clamp(a[i] - b[0], min, max).
 * Scalar twin, x4: an instance of f32-vbinary-minmax-scalar.c.inc. */
#define WT_VBINARY_UKERNEL wt_f32_vsubc_minmax_ukernel__scalar_x4
#define WT_VBINARY_KIND 1
#define WT_VBINARY_SOP(a, b) ((a) - (b))
#include "f32-vbinary-minmax-scalar.c.inc"
