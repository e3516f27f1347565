/* f32 elu / selu / celu: x > 0 ? scale * x : alpha * scale * expm1(input_scale * x).
 * Scalar twin, x1: an instance of f32-vunary-scalar.c.inc. */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN static inline float wt_vunary_op(float x, const wt_f32_vunary_params* p) {
  return x > 0.0f ? x * p->elu.scale
                  : expm1f(x * p->elu.input_scale) * (p->elu.alpha * p->elu.scale);
}

#define WT_VUNARY_UKERNEL wt_f32_velu_ukernel__scalar_x1
#define WT_VUNARY_TILE 1
#include "f32-vunary-scalar.c.inc"
