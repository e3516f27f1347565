/* Which micro-kernels make up layer_norm / rms_norm, per variant: a table
 * (include/wt_elementwise.h). */
#include <stddef.h>

#include "wt_elementwise.h"

static const wt_layernorm_config layernorm_configs[WT_ELEMENTWISE_VARIANT_COUNT] = {
    [WT_ELEMENTWISE_SCALAR] =
        {
            .rsum = wt_f32_rsum_ukernel__scalar_x4,
            .rsumdev = wt_f32_rsumdev_ukernel__scalar_x4,
            .rsumsq = wt_f32_rsumsq_ukernel__scalar_x4,
            .vlayernorm = wt_f32_vlayernorm_ukernel__scalar_x1,
            .vrmsnorm = wt_f32_vrmsnorm_ukernel__scalar_x4,
            .vlayernormc = wt_f32_vlayernormc_ukernel__scalar_x4,
            .name = "f32-layernorm-scalar",
        },
    [WT_ELEMENTWISE_WASMSIMD] =
        {
            .rsum = wt_f32_rsum_ukernel__wasmsimd_x16,
            .rsumdev = wt_f32_rsumdev_ukernel__wasmsimd_x16,
            .rsumsq = wt_f32_rsumsq_ukernel__wasmsimd_x16,
            .vlayernorm = wt_f32_vlayernorm_ukernel__wasmsimd_x8,
            .vrmsnorm = wt_f32_vrmsnorm_ukernel__wasmsimd_x8,
            .vlayernormc = wt_f32_vlayernormc_ukernel__wasmsimd_x8,
            .name = "f32-layernorm-wasmsimd",
        },
};

const wt_layernorm_config* wt_f32_layernorm_config(int variant) {
  if (variant < 0 || variant >= WT_ELEMENTWISE_VARIANT_COUNT) return NULL;
  return &layernorm_configs[variant];
}
