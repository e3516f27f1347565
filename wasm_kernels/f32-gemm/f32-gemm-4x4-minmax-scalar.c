/* f32 GEMM micro-kernel, 4x4 register tile, fused clamp, scalar: an instance of
 * f32-gemm-minmax-scalar.c.inc. */
#define WT_GEMM_MR 4
#define WT_GEMM_NR 4
#define WT_GEMM_UKERNEL wt_f32_gemm_minmax_ukernel_4x4__scalar
#include "f32-gemm-minmax-scalar.c.inc"
