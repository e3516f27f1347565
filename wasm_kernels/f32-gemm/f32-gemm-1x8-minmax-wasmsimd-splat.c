/* f32 GEMM micro-kernel, 1x8 register tile, fused clamp, wasm SIMD128, A broadcast by splat:
 * an instance of f32-gemm-minmax-wasmsimd.c.inc. */
#define WT_GEMM_MR 1
#define WT_GEMM_NR 8
#define WT_GEMM_LOADSPLAT 0
#define WT_GEMM_UKERNEL wt_f32_gemm_minmax_ukernel_1x8__wasmsimd_splat
#include "f32-gemm-minmax-wasmsimd.c.inc"
