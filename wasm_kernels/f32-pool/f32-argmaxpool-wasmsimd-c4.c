/* f32 max pooling with the argmax of one output pixel, wasmsimd, 4 channels per step
 * (include/wt_pool.h). A lane takes a tap when it is greater or NaN, exactly as the scalar twin
 * (and the channel tail runs the twin's loop): the variants agree bit for bit. */
#include <wasm_simd128.h>

#include <math.h>

#include "wt_pool.h"

void wt_f32_argmaxpool_ukernel__wasmsimd_c4(size_t taps, size_t channels, const float** input,
                                            const int32_t* index, int32_t first,
                                            float* output, int32_t* output_index) {
  size_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    v128_t m = wasm_f32x4_splat(-INFINITY);
    v128_t k = wasm_i32x4_splat(first);
    for (size_t t = 0; t < taps; t++) {
      const v128_t v = wasm_v128_load(input[t] + c);
      const v128_t take = wasm_v128_or(wasm_f32x4_gt(v, m), wasm_f32x4_ne(v, v));
      m = wasm_v128_bitselect(v, m, take);
      k = wasm_v128_bitselect(wasm_i32x4_splat(index[t]), k, take);
    }
    wasm_v128_store(output + c, m);
    wasm_v128_store(output_index + c, k);
  }
  for (; c < channels; c++) {
    float m = -INFINITY;
    int32_t k = first;
    for (size_t t = 0; t < taps; t++) {
      const float v = input[t][c];
      if (v > m || v != v) {
        m = v;
        k = index[t];
      }
    }
    output[c] = m;
    output_index[c] = k;
  }
}
