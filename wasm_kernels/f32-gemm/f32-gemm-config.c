/* Which f32 GEMM micro-kernels run, per ISA: a table, not branches in the hot path.
 * gemm[r-1] serves a block of r rows. Row tails of 2..MR-1 use the MR-row kernel with mr < MR
 * (aliased rows cost less than repeated single-row passes over the packed weights); a single
 * remaining row (and M == 1, the batch-1 Linear) uses the 1-row kernel. */
#include <stddef.h>

#include "wt_kernels.h"

static const wt_gemm_config gemm_configs[WT_ISA_COUNT] = {
    [WT_ISA_SCALAR] =
        {
            .gemm = {wt_f32_gemm_minmax_ukernel_1x4__scalar, wt_f32_gemm_minmax_ukernel_4x4__scalar,
                     wt_f32_gemm_minmax_ukernel_4x4__scalar, wt_f32_gemm_minmax_ukernel_4x4__scalar},
            .mr = 4,
            .nr = 4,
            .name = "f32-gemm-4x4-minmax-scalar",
        },
    [WT_ISA_WASMSIMD] =
        {
            .gemm = {wt_f32_gemm_minmax_ukernel_1x8__wasmsimd_splat,
                     wt_f32_gemm_minmax_ukernel_4x8__wasmsimd_splat,
                     wt_f32_gemm_minmax_ukernel_4x8__wasmsimd_splat,
                     wt_f32_gemm_minmax_ukernel_4x8__wasmsimd_splat},
            .mr = 4,
            .nr = 8,
            .name = "f32-gemm-4x8-minmax-wasmsimd-splat",
        },
};

const wt_gemm_config* wt_f32_gemm_config(int isa) {
  if (isa < 0 || isa >= WT_ISA_COUNT) return NULL;
  return &gemm_configs[isa];
}
