/* f32 softplus: beta * x > threshold ? x : log1p(exp(beta * x)) / beta.
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  /* log1p(exp(z)) = max(z, 0) + log1p(exp(-|z|)): the log1p argument stays in [0, 1] */
  const v128_t vbeta = wasm_f32x4_splat(p->softplus.beta);
  const v128_t vz = wasm_f32x4_mul(vx, vbeta);
  const v128_t ve = wt_exp_f32x4(wasm_f32x4_neg(wasm_f32x4_abs(vz)), c);
  const v128_t vmax = wasm_f32x4_pmax(vz, wasm_f32x4_const_splat(0.0f));
  const v128_t vl = wasm_f32x4_add(vmax, wt_log1p_unit_f32x4(ve, c));
  return wasm_v128_bitselect(vx, wasm_f32x4_div(vl, vbeta),
                             wasm_f32x4_gt(vz, wasm_f32x4_splat(p->softplus.threshold)));
}

#define WT_VUNARY_UKERNEL wt_f32_vsoftplus_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
