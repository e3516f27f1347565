/* f32 gelu (exact): x * 0.5 * (1 + erf(x / sqrt(2))) (torch's order: gelu(-inf) = NaN).
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  (void)p;
  const v128_t verf = wt_erf_f32x4(wasm_f32x4_mul(vx, WT_C(SQRT1_2)), c);
  return wasm_f32x4_mul(wasm_f32x4_mul(vx, WT_C(HALF)),
                        wasm_f32x4_add(verf, WT_C(ONE)));
}

#define WT_VUNARY_UKERNEL wt_f32_vgelu_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
