/* f32 hardswish: x * min(max(x + 3, 0), 6) / 6 (torch's order: multiply, then divide).
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  (void)p;
  v128_t vt = wasm_f32x4_add(vx, WT_C(THREE));
  vt = wasm_f32x4_pmax(vt, wasm_f32x4_const_splat(0.0f));
  vt = wasm_f32x4_pmin(vt, WT_C(SIX));
  return wasm_f32x4_div(wasm_f32x4_mul(vx, vt), WT_C(SIX));
}

#define WT_VUNARY_UKERNEL wt_f32_vhswish_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
