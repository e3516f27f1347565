/* f32 hardsigmoid: min(max(x + 3, 0), 6) / 6.
 * Scalar twin, x4: an instance of f32-vunary-scalar.c.inc. */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN static inline float wt_vunary_op(float x, const wt_f32_vunary_params* p) {
  (void)p;
  float t = x + 3.0f;
  t = t < 0.0f ? 0.0f : t;
  t = 6.0f < t ? 6.0f : t;
  return t / 6.0f;
}

#define WT_VUNARY_UKERNEL wt_f32_vhsigmoid_ukernel__scalar_x4
#define WT_VUNARY_TILE 4
#include "f32-vunary-scalar.c.inc"
