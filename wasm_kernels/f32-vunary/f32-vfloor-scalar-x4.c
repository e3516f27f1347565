/* f32 floor.
 * Scalar twin, x4: an instance of f32-vunary-scalar.c.inc. */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN static inline float wt_vunary_op(float x, const wt_f32_vunary_params* p) {
  (void)p;
  return floorf(x);
}

#define WT_VUNARY_UKERNEL wt_f32_vfloor_ukernel__scalar_x4
#define WT_VUNARY_TILE 4
#include "f32-vunary-scalar.c.inc"
