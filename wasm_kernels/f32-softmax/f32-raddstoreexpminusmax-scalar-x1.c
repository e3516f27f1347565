/* f32 y[i] = exp(x[i] - max), *sum = sum(y): the fused pass of softmax.
 * Scalar twin, x1 (libm expf; one accumulator, in order). */
#include <math.h>

#include "wt_elementwise.h"

WT_SCALAR_FN
void wt_f32_raddstoreexpminusmax_ukernel__scalar_x1(size_t n, const float* x, const float* max,
                                                    float* y, float* sum) {
  const float m = *max;
  float s = 0.0f;
  for (; n != 0; n--) {
    const float e = expf(*x++ - m);
    *y++ = e;
    s += e;
  }
  *sum = s;
}
