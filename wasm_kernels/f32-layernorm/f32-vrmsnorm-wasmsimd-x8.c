/* f32 y[i] = x[i] * r [* gamma[i]] (rms_norm's last pass; gamma may be NULL).
 * wasmsimd, x8; bit-identical to the scalar twin. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"

void wt_f32_vrmsnorm_ukernel__wasmsimd_x8(size_t n, const float* x, float r, const float* gamma,
                                          float* y) {
  const v128_t vr = wasm_f32x4_splat(r);
  if (gamma != NULL) {
    for (; n >= 8; n -= 8, x += 8, y += 8, gamma += 8) {
      const v128_t v0 = wasm_f32x4_mul(wasm_v128_load(x), vr);
      const v128_t v1 = wasm_f32x4_mul(wasm_v128_load(x + 4), vr);
      wasm_v128_store(y, wasm_f32x4_mul(v0, wasm_v128_load(gamma)));
      wasm_v128_store(y + 4, wasm_f32x4_mul(v1, wasm_v128_load(gamma + 4)));
    }
    for (; n != 0; n--) *y++ = (*x++ * r) * *gamma++;
  } else {
    for (; n >= 8; n -= 8, x += 8, y += 8) {
      wasm_v128_store(y, wasm_f32x4_mul(wasm_v128_load(x), vr));
      wasm_v128_store(y + 4, wasm_f32x4_mul(wasm_v128_load(x + 4), vr));
    }
    for (; n != 0; n--) *y++ = *x++ * r;
  }
}
