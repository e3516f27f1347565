/* f32 y[i] = ((x[i] - m0) - c) * s + b with scalars s, b (group_norm's last pass over one
 * channel). wasmsimd, x8; bit-identical to the scalar twin (same operations in the same order;
 * the tail runs them in scalar form). */
#include <wasm_simd128.h>

#include "wt_elementwise.h"

void wt_f32_vlayernormc_ukernel__wasmsimd_x8(size_t n, const float* x, float m0, float c, float s,
                                             float b, float* y) {
  const v128_t vm0 = wasm_f32x4_splat(m0), vc = wasm_f32x4_splat(c);
  const v128_t vs = wasm_f32x4_splat(s), vb = wasm_f32x4_splat(b);
  for (; n >= 8; n -= 8, x += 8, y += 8) {
    const v128_t v0 = wasm_f32x4_mul(wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(x), vm0), vc), vs);
    const v128_t v1 = wasm_f32x4_mul(wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(x + 4), vm0), vc), vs);
    wasm_v128_store(y, wasm_f32x4_add(v0, vb));
    wasm_v128_store(y + 4, wasm_f32x4_add(v1, vb));
  }
  for (; n != 0; n--) *y++ = ((*x++ - m0) - c) * s + b;
}
