/* Module exports of the f32-vbinary-bcast family. */
#include <emscripten/emscripten.h>

#include "wt_elementwise.h"

/* y = clamp(a OP b, min, max) with broadcasting (op: enum wt_vbinary_op; variant 0 = scalar twin,
 * 1 = wasmsimd). Shapes are uint32 arrays of a_rank / b_rank dims (rank <= 6). min/max =
 * -inf/+inf for no clamp. Returns 0, -1 (unknown variant / op, rank > 6) or -2 (shapes do not
 * broadcast); nothing is written on error. */
EMSCRIPTEN_KEEPALIVE int wt_f32_vbinary_nd(int variant, int op, size_t a_rank,
                                           const size_t* a_shape, size_t b_rank,
                                           const size_t* b_shape, const float* a,
                                           const float* b, float* y, float min, float max) {
  const wt_vbinary_config* cfg = wt_f32_vbinary_config(variant);
  if (cfg == NULL) return WT_VBINARY_BAD_ARGUMENT;
  return wt_f32_vbinary_bcast(cfg, op, a_rank, a_shape, b_rank, b_shape, a, b, y, min, max);
}
