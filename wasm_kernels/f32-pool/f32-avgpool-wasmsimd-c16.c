/* f32 average pooling micro-kernel, wasm SIMD128: channels in tiles of 16 (4 v128 accumulators),
 * then 4, then a 1..3 channel tail with lane loads/stores (nothing read or written past
 * `channels`). Indirection and numerics: include/wt_pool.h; the scalar twin is
 * f32-avgpool-scalar-c4.c. */
#include <assert.h>

#include "f32-pool-wasmsimd.h"
#include "wt_pool.h"

void wt_f32_avgpool_ukernel__wasmsimd_c16(size_t output_pixels, size_t kernel_elements,
                                          size_t channels, const float** input,
                                          size_t input_offset, const float* pad,
                                          const float* divisor, float* output,
                                          size_t output_stride) {
  assert(output_pixels != 0);
  assert(kernel_elements != 0);
  assert(channels != 0);
  const v128_t vzero = wasm_f32x4_splat(0.0f);
  do {
    const v128_t vd = wasm_v128_load32_splat(divisor++);
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
      v128_t s0 = vzero, s1 = vzero, s2 = vzero, s3 = vzero;
      for (size_t k = 0; k < kernel_elements; k++) {
        const float* i = wt_pool_tap(input, k, input_offset, pad) + c;
        s0 = wasm_f32x4_add(s0, wasm_v128_load(i));
        s1 = wasm_f32x4_add(s1, wasm_v128_load(i + 4));
        s2 = wasm_f32x4_add(s2, wasm_v128_load(i + 8));
        s3 = wasm_f32x4_add(s3, wasm_v128_load(i + 12));
      }
      wasm_v128_store(output + c, wasm_f32x4_div(s0, vd));
      wasm_v128_store(output + c + 4, wasm_f32x4_div(s1, vd));
      wasm_v128_store(output + c + 8, wasm_f32x4_div(s2, vd));
      wasm_v128_store(output + c + 12, wasm_f32x4_div(s3, vd));
    }
    for (; c + 4 <= channels; c += 4) {
      v128_t s = vzero;
      for (size_t k = 0; k < kernel_elements; k++)
        s = wasm_f32x4_add(s, wasm_v128_load(wt_pool_tap(input, k, input_offset, pad) + c));
      wasm_v128_store(output + c, wasm_f32x4_div(s, vd));
    }
    if (c < channels) {
      const size_t r = channels - c;
      v128_t s = vzero;
      for (size_t k = 0; k < kernel_elements; k++)
        s = wasm_f32x4_add(s, wt_pool_load_tail(wt_pool_tap(input, k, input_offset, pad) + c, r));
      wt_pool_store_tail(output + c, wasm_f32x4_div(s, vd), r);
    }
    input += kernel_elements;
    output = (float*)((uintptr_t)output + output_stride);
  } while (--output_pixels != 0);
}
