/* f32 bilinear output row, wasmsimd, 8 channels per step (include/wt_resize.h). The tail of a pixel
 * (channels % 4) runs the scalar twin's expression: lanes and tail do the same float operations in
 * the same order, so the variants agree bit for bit. */
#include <wasm_simd128.h>

#include "wt_resize.h"

void wt_f32_ibilinear_ukernel__wasmsimd_c8(size_t pixels, size_t channels, const float* row0,
                                           const float* row1, float l0, float l1,
                                           const wt_resize_tap* cols, float* output) {
  const v128_t vl0 = wasm_f32x4_splat(l0), vl1 = wasm_f32x4_splat(l1);
  for (size_t p = 0; p < pixels; p++) {
    const wt_resize_tap k = cols[p];
    const float* a = row0 + (size_t)k.i0 * channels;
    const float* b = row0 + (size_t)k.i1 * channels;
    const float* c = row1 + (size_t)k.i0 * channels;
    const float* d = row1 + (size_t)k.i1 * channels;
    const v128_t w0 = wasm_f32x4_splat(k.l0), w1 = wasm_f32x4_splat(k.l1);
    size_t i = 0;
#define WT_IBILINEAR_STEP(j)                                                                       \
  {                                                                                                \
    const v128_t top = wasm_f32x4_add(wasm_f32x4_mul(w0, wasm_v128_load(a + (j))),                 \
                                      wasm_f32x4_mul(w1, wasm_v128_load(b + (j))));                \
    const v128_t bottom = wasm_f32x4_add(wasm_f32x4_mul(w0, wasm_v128_load(c + (j))),              \
                                         wasm_f32x4_mul(w1, wasm_v128_load(d + (j))));             \
    wasm_v128_store(output + (j), wasm_f32x4_add(wasm_f32x4_mul(vl0, top), wasm_f32x4_mul(vl1, bottom))); \
  }
    for (; i + 8 <= channels; i += 8) {
      WT_IBILINEAR_STEP(i)
      WT_IBILINEAR_STEP(i + 4)
    }
    for (; i + 4 <= channels; i += 4) WT_IBILINEAR_STEP(i)
#undef WT_IBILINEAR_STEP
    for (; i < channels; i++)
      output[i] = l0 * (k.l0 * a[i] + k.l1 * b[i]) + l1 * (k.l0 * c[i] + k.l1 * d[i]);
    output += channels;
  }
}
