/* f32 gelu (approximate='tanh'): 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  (void)p;
  /* 0.5 * (1 + tanh(u)) = sigmoid(2u): no cancellation for negative x; 2u = x * (c1 + c2 x^2),
   * c1 = 2 sqrt(2/pi), c2 = c1 * 0.044715 */
  const v128_t vx2 = wasm_f32x4_mul(vx, vx);
  const v128_t vk = wasm_f32x4_add(wasm_f32x4_mul(vx2, WT_C(GELU_C2)),
                                   WT_C(GELU_C1));
  return wasm_f32x4_mul(vx, wt_sigmoid_f32x4(wasm_f32x4_mul(vx, vk), c));
}

#define WT_VUNARY_UKERNEL wt_f32_vgelutanh_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
