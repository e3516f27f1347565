/* f32 sigmoid: 1 / (1 + exp(-x)).
 * Scalar twin, x1: an instance of f32-vunary-scalar.c.inc. */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN static inline float wt_vunary_op(float x, const wt_f32_vunary_params* p) {
  (void)p;
  return 1.0f / (1.0f + expf(-x));
}

#define WT_VUNARY_UKERNEL wt_f32_vsigmoid_ukernel__scalar_x1
#define WT_VUNARY_TILE 1
#include "f32-vunary-scalar.c.inc"
