/* Module exports of the f32-vcmp family (test entry points). */
#include <emscripten/emscripten.h>

#include "wt_elementwise.h"

/* y[0..n) = a OP b as 0/1 bytes (op: enum wt_vcmp_op; variant 0 = scalar twin, 1 = wasmsimd);
 * b_scalar: b is one value (the opc kernels). Returns 0, or -1 for an unknown variant or op. */
EMSCRIPTEN_KEEPALIVE int wt_f32_vcmp(int variant, int op, size_t n, const float* a, const float* b,
                                     uint8_t* y, int b_scalar) {
  const wt_vcmp_config* cfg = wt_f32_vcmp_config(variant);
  if (cfg == NULL || op < 0 || op >= WT_VCMP_OP_COUNT) return -1;
  (b_scalar ? cfg->opc : cfg->op)[op](n, a, b, y);
  return 0;
}

/* y[i] = c[i * sc] ? a[i * sa] : b[i * sb] on 32-bit elements (strides 0 or 1). Returns 0, or -1
 * for an unknown variant or a stride above 1. */
EMSCRIPTEN_KEEPALIVE int wt_x32_vselect(int variant, size_t n, const uint8_t* c, size_t sc,
                                        const uint32_t* a, size_t sa, const uint32_t* b, size_t sb,
                                        uint32_t* y) {
  const wt_vcmp_config* cfg = wt_f32_vcmp_config(variant);
  if (cfg == NULL || sc > 1 || sa > 1 || sb > 1) return -1;
  cfg->select(n, c, sc, a, sa, b, sb, y);
  return 0;
}
