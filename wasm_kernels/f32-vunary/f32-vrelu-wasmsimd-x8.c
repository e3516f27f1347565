/* f32 relu: max(x, 0) with wasm f32.max semantics (NaN -> NaN, relu(-0) = +0).
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  (void)c;
  (void)p;
  /* pmax(x, 0) = x < 0 ? 0 : x keeps NaN; adding +0 turns -0 into +0 and changes nothing else:
   * f32.max(x, 0) in two single-instruction ops (f32x4.max needs a NaN fix-up sequence on x86). */
  const v128_t vzero = wasm_f32x4_const_splat(0.0f);
  return wasm_f32x4_add(wasm_f32x4_pmax(vx, vzero), vzero);
}

#define WT_VUNARY_UKERNEL wt_f32_vrelu_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
