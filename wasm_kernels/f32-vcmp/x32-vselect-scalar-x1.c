/* x32 select: y[i] = c[i * sc] ? a[i * sa] : b[i * sb], strides 0 or 1.
 * Scalar twin, x1 (compiled without SIMD). Contract: include/wt_elementwise.h. */
#include <assert.h>

#include "wt_elementwise.h"

WT_SCALAR_FN
void wt_x32_vselect_ukernel__scalar_x1(size_t n, const uint8_t* c, size_t sc, const uint32_t* a,
                                       size_t sa, const uint32_t* b, size_t sb, uint32_t* y) {
  assert(n == 0 || (c != NULL && a != NULL && b != NULL && y != NULL));
  for (size_t i = 0; i < n; i++) y[i] = c[i * sc] ? a[i * sa] : b[i * sb];
}
