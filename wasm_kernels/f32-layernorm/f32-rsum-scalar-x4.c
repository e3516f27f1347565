/* f32 *sum = sum(x[0..n)).
 * Scalar twin, x4 (four accumulators). */
#include "wt_elementwise.h"

WT_SCALAR_FN
void wt_f32_rsum_ukernel__scalar_x4(size_t n, const float* x, float* sum) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  for (; n >= 4; n -= 4, x += 4) {
    s0 += x[0];
    s1 += x[1];
    s2 += x[2];
    s3 += x[3];
  }
  for (; n != 0; n--) s0 += *x++;
  *sum = (s0 + s1) + (s2 + s3);
}
