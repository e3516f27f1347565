/* f32 *sum = sum(exp(x[i] - max)) (no store: log_softmax's pass, in-place safe).
 * wasmsimd, x8: an instance of f32-raddexpminusmax-wasmsimd.c.inc. */
#define WT_RADDEXP_UKERNEL wt_f32_raddexpminusmax_ukernel__wasmsimd_x8
#define WT_RADDEXP_STORE 0
#include "f32-raddexpminusmax-wasmsimd.c.inc"
