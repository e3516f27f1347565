#include "wt_kernels.h"

void wt_f32_vadd_ukernel__scalar_x4(size_t n, const float* a, const float* b, float* y) {
  for (; n >= 4; n -= 4, a += 4, b += 4, y += 4) {
    y[0] = a[0] + b[0];
    y[1] = a[1] + b[1];
    y[2] = a[2] + b[2];
    y[3] = a[3] + b[3];
  }
  for (; n != 0; n--) *y++ = *a++ + *b++;
}
