/* f32 bicubic output row, wasmsimd, 4 channels per step (include/wt_resize.h). Lanes and the
 * channel tail do the scalar twin's operations in its order: the variants agree bit for bit. */
#include <wasm_simd128.h>

#include "wt_resize.h"

void wt_f32_ibicubic_ukernel__wasmsimd_c4(size_t pixels, size_t channels, const float** rows,
                                          const float* wy, const wt_resize_tap4* cols,
                                          float* output) {
  for (size_t p = 0; p < pixels; p++) {
    const wt_resize_tap4 k = cols[p];
    const v128_t w0 = wasm_f32x4_splat(k.w[0]), w1 = wasm_f32x4_splat(k.w[1]);
    const v128_t w2 = wasm_f32x4_splat(k.w[2]), w3 = wasm_f32x4_splat(k.w[3]);
    const size_t o0 = (size_t)k.i[0] * channels, o1 = (size_t)k.i[1] * channels;
    const size_t o2 = (size_t)k.i[2] * channels, o3 = (size_t)k.i[3] * channels;
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
      v128_t acc = wasm_f32x4_splat(0.0f);
      for (int j = 0; j < 4; j++) {
        const float* r = rows[j] + c;
        v128_t s = wasm_f32x4_mul(w0, wasm_v128_load(r + o0));
        s = wasm_f32x4_add(s, wasm_f32x4_mul(w1, wasm_v128_load(r + o1)));
        s = wasm_f32x4_add(s, wasm_f32x4_mul(w2, wasm_v128_load(r + o2)));
        s = wasm_f32x4_add(s, wasm_f32x4_mul(w3, wasm_v128_load(r + o3)));
        const v128_t term = wasm_f32x4_mul(wasm_f32x4_splat(wy[j]), s);
        acc = j == 0 ? term : wasm_f32x4_add(acc, term);
      }
      wasm_v128_store(output + c, acc);
    }
    for (; c < channels; c++) {
      float acc = 0.0f;
      for (int j = 0; j < 4; j++) {
        const float* r = rows[j];
        const float s = k.w[0] * r[o0 + c] + k.w[1] * r[o1 + c] + k.w[2] * r[o2 + c] + k.w[3] * r[o3 + c];
        acc = j == 0 ? wy[0] * s : acc + wy[j] * s;
      }
      output[c] = acc;
    }
    output += channels;
  }
}
