/* f32 elu / selu / celu: x > 0 ? scale * x : alpha * scale * expm1(input_scale * x).
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  const v128_t vz = wasm_f32x4_pmin(wasm_f32x4_mul(vx, wasm_f32x4_splat(p->elu.input_scale)),
                                    wasm_f32x4_const_splat(0.0f));
  const v128_t vneg =
      wasm_f32x4_mul(wt_expm1_neg_f32x4(vz, c), wasm_f32x4_splat(p->elu.alpha * p->elu.scale));
  const v128_t vpos = wasm_f32x4_mul(vx, wasm_f32x4_splat(p->elu.scale));
  return wasm_v128_bitselect(vpos, vneg, wasm_f32x4_gt(vx, wasm_f32x4_const_splat(0.0f)));
}

#define WT_VUNARY_UKERNEL wt_f32_velu_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
