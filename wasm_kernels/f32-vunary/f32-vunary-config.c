/* Which f32 unary micro-kernel runs, per variant and op: a table (include/wt_elementwise.h). */
#include <stddef.h>

#include "wt_elementwise.h"

#define WT_VUNARY_SET(isa, t1, t4)                                   \
  {                                                                  \
      [WT_VUNARY_RELU] = wt_f32_vrelu_ukernel__##isa##_##t4,         \
      [WT_VUNARY_CLAMP] = wt_f32_vclamp_ukernel__##isa##_##t4,       \
      [WT_VUNARY_LEAKY_RELU] = wt_f32_vlrelu_ukernel__##isa##_##t4,  \
      [WT_VUNARY_SIGMOID] = wt_f32_vsigmoid_ukernel__##isa##_##t1,   \
      [WT_VUNARY_TANH] = wt_f32_vtanh_ukernel__##isa##_##t1,         \
      [WT_VUNARY_SILU] = wt_f32_vsilu_ukernel__##isa##_##t1,         \
      [WT_VUNARY_GELU] = wt_f32_vgelu_ukernel__##isa##_##t1,         \
      [WT_VUNARY_GELU_TANH] = wt_f32_vgelutanh_ukernel__##isa##_##t1, \
      [WT_VUNARY_HARDSWISH] = wt_f32_vhswish_ukernel__##isa##_##t4,  \
      [WT_VUNARY_HARDSIGMOID] = wt_f32_vhsigmoid_ukernel__##isa##_##t4, \
      [WT_VUNARY_ELU] = wt_f32_velu_ukernel__##isa##_##t1,           \
      [WT_VUNARY_SOFTPLUS] = wt_f32_vsoftplus_ukernel__##isa##_##t1, \
      [WT_VUNARY_EXP] = wt_f32_vexp_ukernel__##isa##_##t1,           \
      [WT_VUNARY_ABS] = wt_f32_vabs_ukernel__##isa##_##t4,           \
      [WT_VUNARY_NEG] = wt_f32_vneg_ukernel__##isa##_##t4,           \
      [WT_VUNARY_SQRT] = wt_f32_vsqrt_ukernel__##isa##_##t4,         \
      [WT_VUNARY_RSQRT] = wt_f32_vrsqrt_ukernel__##isa##_##t4,       \
      [WT_VUNARY_FLOOR] = wt_f32_vfloor_ukernel__##isa##_##t4,       \
      [WT_VUNARY_CEIL] = wt_f32_vceil_ukernel__##isa##_##t4,         \
      [WT_VUNARY_TRUNC] = wt_f32_vtrunc_ukernel__##isa##_##t4,       \
      [WT_VUNARY_ROUND] = wt_f32_vround_ukernel__##isa##_##t4,       \
      [WT_VUNARY_SIGN] = wt_f32_vsign_ukernel__##isa##_##t4,         \
      [WT_VUNARY_SQUARE] = wt_f32_vsqr_ukernel__##isa##_##t4,        \
      [WT_VUNARY_ERF] = wt_f32_verf_ukernel__##isa##_##t1,           \
      [WT_VUNARY_MISH] = wt_f32_vmish_ukernel__##isa##_##t1,         \
      [WT_VUNARY_LOG_SIGMOID] = wt_f32_vlogsigmoid_ukernel__##isa##_##t1, \
  }

static const wt_vunary_config vunary_configs[WT_ELEMENTWISE_VARIANT_COUNT] = {
    [WT_ELEMENTWISE_SCALAR] = {.ukernel = WT_VUNARY_SET(scalar, x1, x4),
                               .name = "f32-vunary-scalar"},
    [WT_ELEMENTWISE_WASMSIMD] = {.ukernel = WT_VUNARY_SET(wasmsimd, x8, x8),
                                 .name = "f32-vunary-wasmsimd-x8"},
};

const wt_vunary_config* wt_f32_vunary_config(int variant) {
  if (variant < 0 || variant >= WT_ELEMENTWISE_VARIANT_COUNT) return NULL;
  return &vunary_configs[variant];
}
