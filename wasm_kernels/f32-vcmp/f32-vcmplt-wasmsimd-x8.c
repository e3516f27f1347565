/* f32 y[i] = a[i] < b[i] (0 or 1).
 * wasmsimd, x8: an instance of f32-vcmp-wasmsimd.c.inc. */
#define WT_VCMP_UKERNEL wt_f32_vcmplt_ukernel__wasmsimd_x8
#define WT_VCMP_SCALAR_B 0
#define WT_VCMP_VOP(a, b) wasm_f32x4_lt(a, b)
#include "f32-vcmp-wasmsimd.c.inc"
