/* f32 clamp(x, min, max), NaN passes through (relu6, hardtanh).
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  (void)c;
  /* pmax(v, lo) = v < lo ? lo : v; pmin(v, hi) = hi < v ? hi : v: the scalar twin's order */
  const v128_t v = wasm_f32x4_pmax(vx, wasm_f32x4_splat(p->clamp.min));
  return wasm_f32x4_pmin(v, wasm_f32x4_splat(p->clamp.max));
}

#define WT_VUNARY_UKERNEL wt_f32_vclamp_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
