/* f32 y[i] = clamp(max(a[i], b[i]), min, max).
 * Scalar twin, x4: an instance of f32-vbinary-minmax-scalar.c.inc. */
#define WT_VBINARY_UKERNEL wt_f32_vmax_minmax_ukernel__scalar_x4
#define WT_VBINARY_KIND 0
#define WT_VBINARY_SOP(a, b) __builtin_wasm_max_f32(a, b)
#include "f32-vbinary-minmax-scalar.c.inc"
