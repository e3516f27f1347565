/* f32 relu: max(x, 0) with wasm f32.max semantics (NaN -> NaN, relu(-0) = +0).
 * Scalar twin, x4: an instance of f32-vunary-scalar.c.inc. */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN static inline float wt_vunary_op(float x, const wt_f32_vunary_params* p) {
  (void)p;
  return __builtin_wasm_max_f32(x, 0.0f);
}

#define WT_VUNARY_UKERNEL wt_f32_vrelu_ukernel__scalar_x4
#define WT_VUNARY_TILE 4
#include "f32-vunary-scalar.c.inc"
