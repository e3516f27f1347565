/* f32 y[i] = (x[i] - c[0]) - c[1] (log_softmax's last pass: (x - max) - log(sum)).
 * wasmsimd, x8; bit-identical to the scalar twin. */
#include <wasm_simd128.h>

#include "wt_elementwise.h"

void wt_f32_vsubc2_ukernel__wasmsimd_x8(size_t n, const float* x, const float* c, float* y) {
  const float c0 = c[0], c1 = c[1];
  const v128_t vc0 = wasm_f32x4_splat(c0), vc1 = wasm_f32x4_splat(c1);
  for (; n >= 8; n -= 8, x += 8, y += 8) {
    const v128_t v0 = wasm_f32x4_sub(wasm_v128_load(x), vc0);
    const v128_t v1 = wasm_f32x4_sub(wasm_v128_load(x + 4), vc0);
    wasm_v128_store(y, wasm_f32x4_sub(v0, vc1));
    wasm_v128_store(y + 4, wasm_f32x4_sub(v1, vc1));
  }
  if (n >= 4) {
    wasm_v128_store(y, wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(x), vc0), vc1));
    x += 4;
    y += 4;
    n -= 4;
  }
  for (; n != 0; n--) *y++ = (*x++ - c0) - c1;
}
