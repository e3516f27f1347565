/* f32 y[i] = x[i] * r [* gamma[i]] (rms_norm's last pass; gamma may be NULL).
 * Scalar twin, x4. */
#include "wt_elementwise.h"

WT_SCALAR_FN
void wt_f32_vrmsnorm_ukernel__scalar_x4(size_t n, const float* x, float r, const float* gamma,
                                        float* y) {
  if (gamma != NULL) {
    for (; n >= 4; n -= 4, x += 4, y += 4, gamma += 4) {
      const float v0 = x[0] * r, v1 = x[1] * r, v2 = x[2] * r, v3 = x[3] * r;
      y[0] = v0 * gamma[0];
      y[1] = v1 * gamma[1];
      y[2] = v2 * gamma[2];
      y[3] = v3 * gamma[3];
    }
    for (; n != 0; n--) *y++ = (*x++ * r) * *gamma++;
  } else {
    for (; n != 0; n--) *y++ = *x++ * r;
  }
}
