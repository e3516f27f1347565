/* f32 global average pooling micro-kernel, scalar twin (the reference of
 * f32-gavgpool-wasmsimd-c16.c): channels in tiles of 4, then one at a time; rows summed in order,
 * then one division by the row count (include/wt_pool.h). */
#include <assert.h>
#include <stdint.h>

#include "wt_pool.h"

/* The module is built with -msimd128; keep clang's vectorizers out of the reference twin. */
__attribute__((target("no-simd128")))
void wt_f32_gavgpool_ukernel__scalar_c4(size_t rows, size_t channels, const float* input,
                                        size_t input_stride, float* output) {
  assert(rows != 0);
  assert(channels != 0);
  const float d = (float)rows;
  size_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    const float* i = input + c;
    for (size_t r = 0; r < rows; r++) {
      s0 = s0 + i[0];
      s1 = s1 + i[1];
      s2 = s2 + i[2];
      s3 = s3 + i[3];
      i = (const float*)((uintptr_t)i + input_stride);
    }
    output[c] = s0 / d;
    output[c + 1] = s1 / d;
    output[c + 2] = s2 / d;
    output[c + 3] = s3 / d;
  }
  for (; c < channels; c++) {
    float s = 0.0f;
    const float* i = input + c;
    for (size_t r = 0; r < rows; r++) {
      s = s + *i;
      i = (const float*)((uintptr_t)i + input_stride);
    }
    output[c] = s / d;
  }
}
