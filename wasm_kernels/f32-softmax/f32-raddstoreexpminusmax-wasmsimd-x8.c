/* f32 y[i] = exp(x[i] - max), *sum = sum(y): the fused pass of softmax.
 * wasmsimd, x8: an instance of f32-raddexpminusmax-wasmsimd.c.inc. */
#define WT_RADDEXP_UKERNEL wt_f32_raddstoreexpminusmax_ukernel__wasmsimd_x8
#define WT_RADDEXP_STORE 1
#include "f32-raddexpminusmax-wasmsimd.c.inc"
