/* Which f32 pooling micro-kernels run: a table, not branches in the hot path (variants: see
 * include/wt_pool.h). */
#include <stddef.h>

#include "wt_pool.h"

static const wt_pool_config pool_configs[WT_POOL_VARIANT_COUNT] = {
    [WT_POOL_SCALAR] =
        {
            .maxpool = wt_f32_maxpool_ukernel__scalar_c4,
            .avgpool = wt_f32_avgpool_ukernel__scalar_c4,
            .gavgpool = wt_f32_gavgpool_ukernel__scalar_c4,
            .argmaxpool = wt_f32_argmaxpool_ukernel__scalar_c1,
            .name = "f32-pool-scalar-c4",
        },
    [WT_POOL_WASMSIMD] =
        {
            .maxpool = wt_f32_maxpool_ukernel__wasmsimd_c16,
            .avgpool = wt_f32_avgpool_ukernel__wasmsimd_c16,
            .gavgpool = wt_f32_gavgpool_ukernel__wasmsimd_c16,
            .argmaxpool = wt_f32_argmaxpool_ukernel__wasmsimd_c4,
            .name = "f32-pool-wasmsimd-c16",
        },
};

const wt_pool_config* wt_f32_pool_config(int variant) {
  if (variant < 0 || variant >= WT_POOL_VARIANT_COUNT) return NULL;
  return &pool_configs[variant];
}
