/* f32 gelu (exact): x * 0.5 * (1 + erf(x / sqrt(2))) (torch's order: gelu(-inf) = NaN).
 * Scalar twin, x1: an instance of f32-vunary-scalar.c.inc. */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN static inline float wt_vunary_op(float x, const wt_f32_vunary_params* p) {
  (void)p;
  return x * 0.5f * (1.0f + erff(x * 7.071067691e-01f));
}

#define WT_VUNARY_UKERNEL wt_f32_vgelu_ukernel__scalar_x1
#define WT_VUNARY_TILE 1
#include "f32-vunary-scalar.c.inc"
