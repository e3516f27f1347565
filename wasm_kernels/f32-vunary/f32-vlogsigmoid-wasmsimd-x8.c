/* f32 log_sigmoid: min(x, 0) - log1p(exp(-|x|)).
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  (void)p;
  const v128_t ve = wt_exp_f32x4(wasm_f32x4_neg(wasm_f32x4_abs(vx)), c);
  return wasm_f32x4_sub(wasm_f32x4_pmin(vx, wasm_f32x4_const_splat(0.0f)), wt_log1p_unit_f32x4(ve, c));
}

#define WT_VUNARY_UKERNEL wt_f32_vlogsigmoid_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
