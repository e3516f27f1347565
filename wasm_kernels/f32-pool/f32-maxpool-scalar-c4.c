/* f32 max pooling micro-kernel, scalar twin (the reference of f32-maxpool-wasmsimd-c16.c):
 * channels in tiles of 4, then one at a time. Indirection and numerics: include/wt_pool.h. */
#include <assert.h>
#include <math.h>
#include <stdint.h>

#include "wt_pool.h"

/* torch's rule: take x if it is larger or NaN (so a NaN wins, and the last NaN wins). */
static inline float max_nan(float m, float x) { return (x > m || x != x) ? x : m; }

/* The module is built with -msimd128; keep clang's vectorizers out of the reference twin. */
__attribute__((target("no-simd128")))
void wt_f32_maxpool_ukernel__scalar_c4(size_t output_pixels, size_t kernel_elements,
                                       size_t channels, const float** input, size_t input_offset,
                                       const float* pad, float* output, size_t output_stride) {
  assert(output_pixels != 0);
  assert(kernel_elements != 0);
  assert(channels != 0);
  do {
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
      float m0 = -INFINITY, m1 = -INFINITY, m2 = -INFINITY, m3 = -INFINITY;
      for (size_t k = 0; k < kernel_elements; k++) {
        const float* i = input[k];
        if (i != pad) i = (const float*)((uintptr_t)i + input_offset);
        i += c;
        m0 = max_nan(m0, i[0]);
        m1 = max_nan(m1, i[1]);
        m2 = max_nan(m2, i[2]);
        m3 = max_nan(m3, i[3]);
      }
      output[c] = m0;
      output[c + 1] = m1;
      output[c + 2] = m2;
      output[c + 3] = m3;
    }
    for (; c < channels; c++) {
      float m = -INFINITY;
      for (size_t k = 0; k < kernel_elements; k++) {
        const float* i = input[k];
        if (i != pad) i = (const float*)((uintptr_t)i + input_offset);
        m = max_nan(m, i[c]);
      }
      output[c] = m;
    }
    input += kernel_elements;
    output = (float*)((uintptr_t)output + output_stride);
  } while (--output_pixels != 0);
}
