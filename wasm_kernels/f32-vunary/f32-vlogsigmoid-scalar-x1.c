/* f32 log_sigmoid: min(x, 0) - log1p(exp(-|x|)).
 * Scalar twin, x1: an instance of f32-vunary-scalar.c.inc. */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN static inline float wt_vunary_op(float x, const wt_f32_vunary_params* p) {
  (void)p;
  return fminf(x, 0.0f) - log1pf(expf(-fabsf(x)));
}

#define WT_VUNARY_UKERNEL wt_f32_vlogsigmoid_ukernel__scalar_x1
#define WT_VUNARY_TILE 1
#include "f32-vunary-scalar.c.inc"
