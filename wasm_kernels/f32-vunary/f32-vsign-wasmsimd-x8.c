/* f32 sign: 1, -1, or +0 for zeros and NaN (as torch.sign).
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  (void)p;
  const v128_t vpos = wasm_v128_and(wasm_f32x4_gt(vx, wasm_f32x4_const_splat(0.0f)), WT_C(ONE));
  const v128_t vneg = wasm_v128_and(wasm_f32x4_lt(vx, wasm_f32x4_const_splat(0.0f)), WT_C(ONE));
  return wasm_f32x4_sub(vpos, vneg);
}

#define WT_VUNARY_UKERNEL wt_f32_vsign_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
