/* Which comparison and select micro-kernels run, per variant: a table (include/wt_elementwise.h). */
#include <stddef.h>

#include "wt_elementwise.h"

#define WT_VCMP_SET(suffix)                                                                       \
  {[WT_VCMP_EQ] = wt_f32_vcmpeq##suffix, [WT_VCMP_NE] = wt_f32_vcmpne##suffix,                 \
   [WT_VCMP_LT] = wt_f32_vcmplt##suffix, [WT_VCMP_LE] = wt_f32_vcmple##suffix,                 \
   [WT_VCMP_GT] = wt_f32_vcmpgt##suffix, [WT_VCMP_GE] = wt_f32_vcmpge##suffix}

static const wt_vcmp_config vcmp_configs[WT_ELEMENTWISE_VARIANT_COUNT] = {
    [WT_ELEMENTWISE_SCALAR] = {.op = WT_VCMP_SET(_ukernel__scalar_x4),
                               .opc = WT_VCMP_SET(c_ukernel__scalar_x4),
                               .select = wt_x32_vselect_ukernel__scalar_x1,
                               .name = "f32-vcmp-scalar"},
    [WT_ELEMENTWISE_WASMSIMD] = {.op = WT_VCMP_SET(_ukernel__wasmsimd_x8),
                                 .opc = WT_VCMP_SET(c_ukernel__wasmsimd_x8),
                                 .select = wt_x32_vselect_ukernel__wasmsimd_x4,
                                 .name = "f32-vcmp-wasmsimd-x8"},
};

const wt_vcmp_config* wt_f32_vcmp_config(int variant) {
  if (variant < 0 || variant >= WT_ELEMENTWISE_VARIANT_COUNT) return NULL;
  return &vcmp_configs[variant];
}
