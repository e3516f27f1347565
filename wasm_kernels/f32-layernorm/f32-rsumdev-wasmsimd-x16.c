/* f32 sums[0] = sum(x[i] - m), sums[1] = sum((x[i] - m)^2) (layer_norm's second pass).
 * wasmsimd, x16: an instance of f32-rsum-wasmsimd.c.inc. */
#define WT_RSUM_UKERNEL wt_f32_rsumdev_ukernel__wasmsimd_x16
#define WT_RSUM_KIND 2
#include "f32-rsum-wasmsimd.c.inc"
