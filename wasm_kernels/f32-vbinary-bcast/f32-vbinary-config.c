/* Which f32 binary micro-kernel runs, per variant, op and operand pattern: a table
 * (include/wt_elementwise.h). Commutative ops serve the scalar-first pattern with their
 * vector-scalar kernel (operands swapped); sub and div have reversed kernels. */
#include <stddef.h>

#include "wt_elementwise.h"

#define WT_VBINARY_SET(isa, tile)                                                    \
  {                                                                                  \
      .op =                                                                          \
          {                                                                          \
              [WT_VBINARY_ADD] = wt_f32_vadd_minmax_ukernel__##isa##_##tile,         \
              [WT_VBINARY_SUB] = wt_f32_vsub_minmax_ukernel__##isa##_##tile,         \
              [WT_VBINARY_MUL] = wt_f32_vmul_minmax_ukernel__##isa##_##tile,         \
              [WT_VBINARY_DIV] = wt_f32_vdiv_minmax_ukernel__##isa##_##tile,         \
              [WT_VBINARY_MAX] = wt_f32_vmax_minmax_ukernel__##isa##_##tile,         \
              [WT_VBINARY_MIN] = wt_f32_vmin_minmax_ukernel__##isa##_##tile,         \
          },                                                                         \
      .opc =                                                                         \
          {                                                                          \
              [WT_VBINARY_ADD] = wt_f32_vaddc_minmax_ukernel__##isa##_##tile,        \
              [WT_VBINARY_SUB] = wt_f32_vsubc_minmax_ukernel__##isa##_##tile,        \
              [WT_VBINARY_MUL] = wt_f32_vmulc_minmax_ukernel__##isa##_##tile,        \
              [WT_VBINARY_DIV] = wt_f32_vdivc_minmax_ukernel__##isa##_##tile,        \
              [WT_VBINARY_MAX] = wt_f32_vmaxc_minmax_ukernel__##isa##_##tile,        \
              [WT_VBINARY_MIN] = wt_f32_vminc_minmax_ukernel__##isa##_##tile,        \
          },                                                                         \
      .ropc =                                                                        \
          {                                                                          \
              [WT_VBINARY_ADD] = wt_f32_vaddc_minmax_ukernel__##isa##_##tile,        \
              [WT_VBINARY_SUB] = wt_f32_vrsubc_minmax_ukernel__##isa##_##tile,       \
              [WT_VBINARY_MUL] = wt_f32_vmulc_minmax_ukernel__##isa##_##tile,        \
              [WT_VBINARY_DIV] = wt_f32_vrdivc_minmax_ukernel__##isa##_##tile,       \
              [WT_VBINARY_MAX] = wt_f32_vmaxc_minmax_ukernel__##isa##_##tile,        \
              [WT_VBINARY_MIN] = wt_f32_vminc_minmax_ukernel__##isa##_##tile,        \
          },                                                                         \
      .name = "f32-vbinary-minmax-" #isa "-" #tile,                                  \
  }

static const wt_vbinary_config vbinary_configs[WT_ELEMENTWISE_VARIANT_COUNT] = {
    [WT_ELEMENTWISE_SCALAR] = WT_VBINARY_SET(scalar, x4),
    [WT_ELEMENTWISE_WASMSIMD] = WT_VBINARY_SET(wasmsimd, x8),
};

const wt_vbinary_config* wt_f32_vbinary_config(int variant) {
  if (variant < 0 || variant >= WT_ELEMENTWISE_VARIANT_COUNT) return NULL;
  return &vbinary_configs[variant];
}
