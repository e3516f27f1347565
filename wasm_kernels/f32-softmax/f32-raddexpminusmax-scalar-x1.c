/* f32 *sum = sum(exp(x[i] - max)) (no store: log_softmax's pass, in-place safe).
 * Scalar twin, x1 (libm expf; one accumulator, in order). */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN
void wt_f32_raddexpminusmax_ukernel__scalar_x1(size_t n, const float* x, const float* max,
                                               float* sum) {
  const float m = *max;
  float s = 0.0f;
  for (; n != 0; n--) s += expf(*x++ - m);
  *sum = s;
}
