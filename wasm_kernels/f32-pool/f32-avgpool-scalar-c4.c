/* f32 average pooling micro-kernel, scalar twin (the reference of f32-avgpool-wasmsimd-c16.c):
 * channels in tiles of 4, then one at a time. Indirection and numerics: include/wt_pool.h. */
#include <assert.h>
#include <stdint.h>

#include "wt_pool.h"

/* The module is built with -msimd128; keep clang's vectorizers out of the reference twin. */
__attribute__((target("no-simd128")))
void wt_f32_avgpool_ukernel__scalar_c4(size_t output_pixels, size_t kernel_elements,
                                       size_t channels, const float** input, size_t input_offset,
                                       const float* pad, const float* divisor, float* output,
                                       size_t output_stride) {
  assert(output_pixels != 0);
  assert(kernel_elements != 0);
  assert(channels != 0);
  do {
    const float d = *divisor++;
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
      float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
      for (size_t k = 0; k < kernel_elements; k++) {
        const float* i = input[k];
        if (i != pad) i = (const float*)((uintptr_t)i + input_offset);
        i += c;
        s0 = s0 + i[0];
        s1 = s1 + i[1];
        s2 = s2 + i[2];
        s3 = s3 + i[3];
      }
      output[c] = s0 / d;
      output[c + 1] = s1 / d;
      output[c + 2] = s2 / d;
      output[c + 3] = s3 / d;
    }
    for (; c < channels; c++) {
      float s = 0.0f;
      for (size_t k = 0; k < kernel_elements; k++) {
        const float* i = input[k];
        if (i != pad) i = (const float*)((uintptr_t)i + input_offset);
        s = s + i[c];
      }
      output[c] = s / d;
    }
    input += kernel_elements;
    output = (float*)((uintptr_t)output + output_stride);
  } while (--output_pixels != 0);
}
