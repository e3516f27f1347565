/* f32 *sum = sum(x[0..n)).
 * wasmsimd, x16: an instance of f32-rsum-wasmsimd.c.inc. */
#define WT_RSUM_UKERNEL wt_f32_rsum_ukernel__wasmsimd_x16
#define WT_RSUM_KIND 0
#include "f32-rsum-wasmsimd.c.inc"
