/* f32 sums[0] = sum(x[i] - m), sums[1] = sum((x[i] - m)^2): the second pass of layer_norm's
 * corrected two-pass mean / variance. Scalar twin, x4 (four accumulator pairs). */
#include "wt_elementwise.h"

WT_SCALAR_FN
void wt_f32_rsumdev_ukernel__scalar_x4(size_t n, const float* x, float m, float* sums) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  float q0 = 0.0f, q1 = 0.0f, q2 = 0.0f, q3 = 0.0f;
  for (; n >= 4; n -= 4, x += 4) {
    const float d0 = x[0] - m, d1 = x[1] - m, d2 = x[2] - m, d3 = x[3] - m;
    s0 += d0;
    s1 += d1;
    s2 += d2;
    s3 += d3;
    q0 += d0 * d0;
    q1 += d1 * d1;
    q2 += d2 * d2;
    q3 += d3 * d3;
  }
  for (; n != 0; n--) {
    const float d = *x++ - m;
    s0 += d;
    q0 += d * d;
  }
  sums[0] = (s0 + s1) + (s2 + s3);
  sums[1] = (q0 + q1) + (q2 + q3);
}
