/* Which micro-kernels make up softmax / log_softmax, per variant: a table
 * (include/wt_elementwise.h). The final scaling of softmax is the f32-vbinary-bcast vmulc kernel
 * with an open clamp. */
#include <stddef.h>

#include "wt_elementwise.h"

static const wt_softmax_config softmax_configs[WT_ELEMENTWISE_VARIANT_COUNT] = {
    [WT_ELEMENTWISE_SCALAR] =
        {
            .rmax = wt_f32_rmax_ukernel__scalar_x4,
            .raddstoreexpminusmax = wt_f32_raddstoreexpminusmax_ukernel__scalar_x1,
            .raddexpminusmax = wt_f32_raddexpminusmax_ukernel__scalar_x1,
            .vmulc = wt_f32_vmulc_minmax_ukernel__scalar_x4,
            .vsubc2 = wt_f32_vsubc2_ukernel__scalar_x4,
            .name = "f32-softmax-scalar",
        },
    [WT_ELEMENTWISE_WASMSIMD] =
        {
            .rmax = wt_f32_rmax_ukernel__wasmsimd_x16,
            .raddstoreexpminusmax = wt_f32_raddstoreexpminusmax_ukernel__wasmsimd_x8,
            .raddexpminusmax = wt_f32_raddexpminusmax_ukernel__wasmsimd_x8,
            .vmulc = wt_f32_vmulc_minmax_ukernel__wasmsimd_x8,
            .vsubc2 = wt_f32_vsubc2_ukernel__wasmsimd_x8,
            .name = "f32-softmax-wasmsimd",
        },
};

const wt_softmax_config* wt_f32_softmax_config(int variant) {
  if (variant < 0 || variant >= WT_ELEMENTWISE_VARIANT_COUNT) return NULL;
  return &softmax_configs[variant];
}
