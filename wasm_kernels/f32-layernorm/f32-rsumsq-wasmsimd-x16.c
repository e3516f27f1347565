/* f32 *sum = sum(x[i]^2) (rms_norm).
 * wasmsimd, x16: an instance of f32-rsum-wasmsimd.c.inc. */
#define WT_RSUM_UKERNEL wt_f32_rsumsq_ukernel__wasmsimd_x16
#define WT_RSUM_KIND 1
#include "f32-rsum-wasmsimd.c.inc"
