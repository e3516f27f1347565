/* Module exports of the f32-vunary family (test and runtime entry points). */
#include <emscripten/emscripten.h>

#include "wt_elementwise.h"

EMSCRIPTEN_KEEPALIVE int wt_f32_vunary_op_count(void) { return WT_VUNARY_OP_COUNT; }

/* y[0..n) = op(x[0..n)) with the variant's kernel (0 = scalar twin, 1 = wasmsimd); op is enum
 * wt_vunary_op. Attributes: CLAMP p0 = min, p1 = max; LEAKY_RELU p0 = slope; ELU p0 = alpha,
 * p1 = scale, p2 = input_scale; SOFTPLUS p0 = beta, p1 = threshold; other ops ignore them.
 * Returns 0, or -1 for an unknown variant or op (nothing written). */
EMSCRIPTEN_KEEPALIVE int wt_f32_vunary(int variant, int op, size_t n, const float* x, float* y,
                                       float p0, float p1, float p2) {
  const wt_vunary_config* cfg = wt_f32_vunary_config(variant);
  if (cfg == NULL || op < 0 || op >= WT_VUNARY_OP_COUNT) return -1;
  wt_f32_vunary_params params;
  switch (op) {
    case WT_VUNARY_CLAMP:
      params.clamp.min = p0;
      params.clamp.max = p1;
      break;
    case WT_VUNARY_LEAKY_RELU:
      params.leaky_relu.slope = p0;
      break;
    case WT_VUNARY_ELU:
      params.elu.alpha = p0;
      params.elu.scale = p1;
      params.elu.input_scale = p2;
      break;
    case WT_VUNARY_SOFTPLUS:
      params.softplus.beta = p0;
      params.softplus.threshold = p1;
      break;
    default:
      params.elu.alpha = params.elu.scale = params.elu.input_scale = 0.0f;
      break;
  }
  cfg->ukernel[op](n, x, y, &params);
  return 0;
}
