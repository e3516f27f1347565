/* f32 GEMM micro-kernel, 4x8 register tile, fused clamp, wasm SIMD128, A broadcast by loadsplat:
 * an instance of f32-gemm-minmax-wasmsimd.c.inc. */
#define WT_GEMM_MR 4
#define WT_GEMM_NR 8
#define WT_GEMM_LOADSPLAT 1
#define WT_GEMM_UKERNEL wt_f32_gemm_minmax_ukernel_4x8__wasmsimd_loadsplat
#include "f32-gemm-minmax-wasmsimd.c.inc"
