/* f32 trunc.
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  (void)c;
  (void)p;
  return wasm_f32x4_trunc(vx);
}

#define WT_VUNARY_UKERNEL wt_f32_vtrunc_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
