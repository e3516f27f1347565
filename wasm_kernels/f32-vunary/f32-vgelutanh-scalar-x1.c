/* f32 gelu (approximate='tanh'): 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
 * Scalar twin, x1: an instance of f32-vunary-scalar.c.inc. */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN static inline float wt_vunary_op(float x, const wt_f32_vunary_params* p) {
  (void)p;
  const float inner = 7.978845608e-01f * (x + 4.471500218e-02f * (x * x * x));
  return 0.5f * x * (1.0f + tanhf(inner));
}

#define WT_VUNARY_UKERNEL wt_f32_vgelutanh_ukernel__scalar_x1
#define WT_VUNARY_TILE 1
#include "f32-vunary-scalar.c.inc"
