/* f32 GEMM micro-kernel, 1x4 register tile, fused clamp, scalar: an instance of
 * f32-gemm-minmax-scalar.c.inc. */
#define WT_GEMM_MR 1
#define WT_GEMM_NR 4
#define WT_GEMM_UKERNEL wt_f32_gemm_minmax_ukernel_1x4__scalar
#include "f32-gemm-minmax-scalar.c.inc"
