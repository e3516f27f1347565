/* f32 max pooling micro-kernel, wasm SIMD128: channels in tiles of 16 (4 v128 accumulators), then
 * 4, then a 1..3 channel tail with lane loads/stores (nothing read or written past `channels`).
 * Indirection and numerics: include/wt_pool.h; the scalar twin is f32-maxpool-scalar-c4.c. */
#include <assert.h>
#include <math.h>

#include "f32-pool-wasmsimd.h"
#include "wt_pool.h"

/* torch's rule lane by lane: take x where x > m or x is NaN. (f32x4.max would also propagate NaN
 * but picks +0 over -0, unlike torch; this keeps the scalar twin's result bit for bit.) */
static inline v128_t max_nan(v128_t m, v128_t x) {
  return wasm_v128_bitselect(x, m, wasm_v128_or(wasm_f32x4_gt(x, m), wasm_f32x4_ne(x, x)));
}

void wt_f32_maxpool_ukernel__wasmsimd_c16(size_t output_pixels, size_t kernel_elements,
                                          size_t channels, const float** input,
                                          size_t input_offset, const float* pad, float* output,
                                          size_t output_stride) {
  assert(output_pixels != 0);
  assert(kernel_elements != 0);
  assert(channels != 0);
  const v128_t vninf = wasm_f32x4_splat(-INFINITY);
  do {
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
      v128_t m0 = vninf, m1 = vninf, m2 = vninf, m3 = vninf;
      for (size_t k = 0; k < kernel_elements; k++) {
        const float* i = wt_pool_tap(input, k, input_offset, pad) + c;
        m0 = max_nan(m0, wasm_v128_load(i));
        m1 = max_nan(m1, wasm_v128_load(i + 4));
        m2 = max_nan(m2, wasm_v128_load(i + 8));
        m3 = max_nan(m3, wasm_v128_load(i + 12));
      }
      wasm_v128_store(output + c, m0);
      wasm_v128_store(output + c + 4, m1);
      wasm_v128_store(output + c + 8, m2);
      wasm_v128_store(output + c + 12, m3);
    }
    for (; c + 4 <= channels; c += 4) {
      v128_t m = vninf;
      for (size_t k = 0; k < kernel_elements; k++)
        m = max_nan(m, wasm_v128_load(wt_pool_tap(input, k, input_offset, pad) + c));
      wasm_v128_store(output + c, m);
    }
    if (c < channels) {
      const size_t r = channels - c;
      v128_t m = vninf;
      for (size_t k = 0; k < kernel_elements; k++)
        m = max_nan(m, wt_pool_load_tail(wt_pool_tap(input, k, input_offset, pad) + c, r));
      wt_pool_store_tail(output + c, m, r);
    }
    input += kernel_elements;
    output = (float*)((uintptr_t)output + output_stride);
  } while (--output_pixels != 0);
}
