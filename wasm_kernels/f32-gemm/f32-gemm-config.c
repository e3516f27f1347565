/* Which f32 GEMM micro-kernels run: a table, not branches in the hot path (variants: see
 * include/wt_kernels.h). gemm[r-1] serves a block of r rows. Row tails of 2..MR-1 rows use the
 * MR-row kernel with mr < MR (aliased rows cost less than repeated single-row passes over the
 * packed weights); a single remaining row (and M == 1, the batch-1 Linear) uses the 1-row kernel.
 *
 * WASMSIMD uses the loadsplat broadcast: in tools/bench_gemm.mjs (node 20 / V8, x86-64 AMD EPYC,
 * shared and noisy machine, interleaved samples) it ran 1.0-1.3x the GFLOP/s of splat (v128 load +
 * i32x4.shuffle) at n = 256, 512 and the resnet shape; at n = 64 the two were within noise.
 * Re-measure on ARM (where XNNPACK also ships both) before changing the choice. */
#include <stddef.h>

#include "wt_kernels.h"

#define WT_GEMM_SET(ONE_ROW, MR_ROWS) {ONE_ROW, MR_ROWS, MR_ROWS, MR_ROWS}

static const wt_gemm_config gemm_configs[WT_GEMM_VARIANT_COUNT] = {
    [WT_GEMM_SCALAR] =
        {
            .gemm = WT_GEMM_SET(wt_f32_gemm_minmax_ukernel_1x4__scalar,
                                wt_f32_gemm_minmax_ukernel_4x4__scalar),
            .mr = 4,
            .nr = 4,
            .name = "f32-gemm-4x4-minmax-scalar",
        },
    [WT_GEMM_WASMSIMD] =
        {
            .gemm = WT_GEMM_SET(wt_f32_gemm_minmax_ukernel_1x8__wasmsimd_loadsplat,
                                wt_f32_gemm_minmax_ukernel_4x8__wasmsimd_loadsplat),
            .mr = 4,
            .nr = 8,
            .name = "f32-gemm-4x8-minmax-wasmsimd-loadsplat",
        },
    [WT_GEMM_WASMSIMD_ALT] =
        {
            .gemm = WT_GEMM_SET(wt_f32_gemm_minmax_ukernel_1x8__wasmsimd_splat,
                                wt_f32_gemm_minmax_ukernel_4x8__wasmsimd_splat),
            .mr = 4,
            .nr = 8,
            .name = "f32-gemm-4x8-minmax-wasmsimd-splat",
        },
};

const wt_gemm_config* wt_f32_gemm_config(int variant) {
  if (variant < 0 || variant >= WT_GEMM_VARIANT_COUNT) return NULL;
  return &gemm_configs[variant];
}
