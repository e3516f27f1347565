/* f32 y[i] = clamp(a[i] + b[0], min, max).
 * wasmsimd, x8: an instance of f32-vbinary-minmax-wasmsimd.c.inc. */
#define WT_VBINARY_UKERNEL wt_f32_vaddc_minmax_ukernel__wasmsimd_x8
#define WT_VBINARY_KIND 1
#define WT_VBINARY_VOP(a, b) wasm_f32x4_add(a, b)
#define WT_VBINARY_SOP(a, b) ((a) + (b))
#include "f32-vbinary-minmax-wasmsimd.c.inc"
