/* f32 y[i] = (x[i] - c[0]) - c[1] (log_softmax's last pass: (x - max) - log(sum)).
 * Scalar twin, x4. */
#include "wt_elementwise.h"

WT_SCALAR_FN
void wt_f32_vsubc2_ukernel__scalar_x4(size_t n, const float* x, const float* c, float* y) {
  const float c0 = c[0], c1 = c[1];
  for (; n >= 4; n -= 4, x += 4, y += 4) {
    const float v0 = x[0] - c0, v1 = x[1] - c0, v2 = x[2] - c0, v3 = x[3] - c0;
    y[0] = v0 - c1;
    y[1] = v1 - c1;
    y[2] = v2 - c1;
    y[3] = v3 - c1;
  }
  for (; n != 0; n--) *y++ = (*x++ - c0) - c1;
}
