/* f32 *max = max(x[0..n)), NaN-propagating (wasm f32.max); n >= 1.
 * Scalar twin, x4 (four accumulators). */
#include <assert.h>

#include "wt_elementwise.h"

WT_SCALAR_FN
void wt_f32_rmax_ukernel__scalar_x4(size_t n, const float* x, float* max) {
  assert(n != 0);
  float m0 = x[0], m1 = m0, m2 = m0, m3 = m0;
  for (; n >= 4; n -= 4, x += 4) {
    m0 = __builtin_wasm_max_f32(m0, x[0]);
    m1 = __builtin_wasm_max_f32(m1, x[1]);
    m2 = __builtin_wasm_max_f32(m2, x[2]);
    m3 = __builtin_wasm_max_f32(m3, x[3]);
  }
  for (; n != 0; n--) m0 = __builtin_wasm_max_f32(m0, *x++);
  *max = __builtin_wasm_max_f32(__builtin_wasm_max_f32(m0, m1), __builtin_wasm_max_f32(m2, m3));
}
