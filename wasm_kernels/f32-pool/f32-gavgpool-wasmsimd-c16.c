/* f32 global average pooling micro-kernel, wasm SIMD128: channels in tiles of 16 (4 v128
 * accumulators), then 4, then a 1..3 channel tail with lane loads/stores; rows summed in order,
 * then one division by the row count. The scalar twin is f32-gavgpool-scalar-c4.c. */
#include <assert.h>

#include "f32-pool-wasmsimd.h"
#include "wt_pool.h"

void wt_f32_gavgpool_ukernel__wasmsimd_c16(size_t rows, size_t channels, const float* input,
                                           size_t input_stride, float* output) {
  assert(rows != 0);
  assert(channels != 0);
  const v128_t vzero = wasm_f32x4_splat(0.0f);
  const v128_t vd = wasm_f32x4_splat((float)rows);
  size_t c = 0;
  for (; c + 16 <= channels; c += 16) {
    v128_t s0 = vzero, s1 = vzero, s2 = vzero, s3 = vzero;
    const float* i = input + c;
    for (size_t r = 0; r < rows; r++) {
      s0 = wasm_f32x4_add(s0, wasm_v128_load(i));
      s1 = wasm_f32x4_add(s1, wasm_v128_load(i + 4));
      s2 = wasm_f32x4_add(s2, wasm_v128_load(i + 8));
      s3 = wasm_f32x4_add(s3, wasm_v128_load(i + 12));
      i = (const float*)((uintptr_t)i + input_stride);
    }
    wasm_v128_store(output + c, wasm_f32x4_div(s0, vd));
    wasm_v128_store(output + c + 4, wasm_f32x4_div(s1, vd));
    wasm_v128_store(output + c + 8, wasm_f32x4_div(s2, vd));
    wasm_v128_store(output + c + 12, wasm_f32x4_div(s3, vd));
  }
  for (; c + 4 <= channels; c += 4) {
    v128_t s = vzero;
    const float* i = input + c;
    for (size_t r = 0; r < rows; r++) {
      s = wasm_f32x4_add(s, wasm_v128_load(i));
      i = (const float*)((uintptr_t)i + input_stride);
    }
    wasm_v128_store(output + c, wasm_f32x4_div(s, vd));
  }
  if (c < channels) {
    const size_t rem = channels - c;
    v128_t s = vzero;
    const float* i = input + c;
    for (size_t r = 0; r < rows; r++) {
      s = wasm_f32x4_add(s, wt_pool_load_tail(i, rem));
      i = (const float*)((uintptr_t)i + input_stride);
    }
    wt_pool_store_tail(output + c, wasm_f32x4_div(s, vd), rem);
  }
}
