/* f32 y[i] = ((x[i] - m0) - c) * s + b with scalars s, b (group_norm's last pass over one channel:
 * s = rstd * gamma[ch], b = beta[ch]). Scalar twin, x4. */
#include "wt_elementwise.h"

WT_SCALAR_FN
void wt_f32_vlayernormc_ukernel__scalar_x4(size_t n, const float* x, float m0, float c, float s,
                                           float b, float* y) {
  for (; n >= 4; n -= 4, x += 4, y += 4) {
    const float v0 = ((x[0] - m0) - c) * s, v1 = ((x[1] - m0) - c) * s;
    const float v2 = ((x[2] - m0) - c) * s, v3 = ((x[3] - m0) - c) * s;
    y[0] = v0 + b;
    y[1] = v1 + b;
    y[2] = v2 + b;
    y[3] = v3 + b;
  }
  for (; n != 0; n--) *y++ = ((*x++ - m0) - c) * s + b;
}
