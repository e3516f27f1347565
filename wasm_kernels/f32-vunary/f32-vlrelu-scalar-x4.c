/* f32 leaky_relu: x > 0 ? x : x * slope.
 * Scalar twin, x4: an instance of f32-vunary-scalar.c.inc. */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN static inline float wt_vunary_op(float x, const wt_f32_vunary_params* p) {
  return x > 0.0f ? x : x * p->leaky_relu.slope;
}

#define WT_VUNARY_UKERNEL wt_f32_vlrelu_ukernel__scalar_x4
#define WT_VUNARY_TILE 4
#include "f32-vunary-scalar.c.inc"
