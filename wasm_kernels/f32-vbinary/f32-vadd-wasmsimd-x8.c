#include <wasm_simd128.h>

#include "wt_kernels.h"

void wt_f32_vadd_ukernel__wasmsimd_x8(size_t n, const float* a, const float* b, float* y) {
  for (; n >= 8; n -= 8, a += 8, b += 8, y += 8) {
    wasm_v128_store(y, wasm_f32x4_add(wasm_v128_load(a), wasm_v128_load(b)));
    wasm_v128_store(y + 4, wasm_f32x4_add(wasm_v128_load(a + 4), wasm_v128_load(b + 4)));
  }
  /* The tail goes through the scalar twin so both variants agree bit for bit. */
  wt_f32_vadd_ukernel__scalar_x4(n, a, b, y);
}
