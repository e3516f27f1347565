/* f32 leaky_relu: x > 0 ? x : x * slope.
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  (void)c;
  const v128_t vneg = wasm_f32x4_mul(vx, wasm_f32x4_splat(p->leaky_relu.slope));
  return wasm_v128_bitselect(vx, vneg, wasm_f32x4_gt(vx, wasm_f32x4_const_splat(0.0f)));
}

#define WT_VUNARY_UKERNEL wt_f32_vlrelu_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
