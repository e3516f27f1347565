/* f32 y[i] = ((x[i] - m0) - c) * rstd [* gamma[i]] [+ beta[i]] (layer_norm's last pass; gamma,
 * beta may be NULL). wasmsimd, x8; bit-identical to the scalar twin (same operations in the
 * same order; the tail runs them in scalar form). */
#include <wasm_simd128.h>

#include "wt_elementwise.h"

__attribute__((always_inline)) static inline void vlayernorm(
    size_t n, const float* x, float m0, float c, float rstd, const float* gamma, const float* beta,
    float* y, const int has_gamma, const int has_beta) {
  const v128_t vm0 = wasm_f32x4_splat(m0), vc = wasm_f32x4_splat(c);
  const v128_t vrstd = wasm_f32x4_splat(rstd);
  for (; n >= 8; n -= 8, x += 8, y += 8) {
    v128_t v0 = wasm_f32x4_mul(wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(x), vm0), vc), vrstd);
    v128_t v1 =
        wasm_f32x4_mul(wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(x + 4), vm0), vc), vrstd);
    if (has_gamma) {
      v0 = wasm_f32x4_mul(v0, wasm_v128_load(gamma));
      v1 = wasm_f32x4_mul(v1, wasm_v128_load(gamma + 4));
      gamma += 8;
    }
    if (has_beta) {
      v0 = wasm_f32x4_add(v0, wasm_v128_load(beta));
      v1 = wasm_f32x4_add(v1, wasm_v128_load(beta + 4));
      beta += 8;
    }
    wasm_v128_store(y, v0);
    wasm_v128_store(y + 4, v1);
  }
  for (; n != 0; n--) {
    float v = ((*x++ - m0) - c) * rstd;
    if (has_gamma) v *= *gamma++;
    if (has_beta) v += *beta++;
    *y++ = v;
  }
}

void wt_f32_vlayernorm_ukernel__wasmsimd_x8(size_t n, const float* x, float m0, float c,
                                            float rstd, const float* gamma, const float* beta,
                                            float* y) {
  if (gamma != NULL && beta != NULL)
    vlayernorm(n, x, m0, c, rstd, gamma, beta, y, 1, 1);
  else if (gamma != NULL)
    vlayernorm(n, x, m0, c, rstd, gamma, beta, y, 1, 0);
  else if (beta != NULL)
    vlayernorm(n, x, m0, c, rstd, gamma, beta, y, 0, 1);
  else
    vlayernorm(n, x, m0, c, rstd, gamma, beta, y, 0, 0);
}
