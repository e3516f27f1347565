/* f32 erf.
 * wasmsimd, x8: an instance of f32-vunary-wasmsimd.c.inc. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"
#include "f32-vmath-wasmsimd.c.inc"

static inline v128_t wt_vunary_op(v128_t vx, const wt_f32_vunary_params* p,
                                  const wt_vmath* c) {
  (void)p;
  return wt_erf_f32x4(vx, c);
}

#define WT_VUNARY_UKERNEL wt_f32_verf_ukernel__wasmsimd_x8
#include "f32-vunary-wasmsimd.c.inc"
