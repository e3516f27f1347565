/* f32 max pooling with the argmax of one output pixel, scalar twin (include/wt_pool.h). */
#include <math.h>

#include "wt_pool.h"

/* The module is built with -msimd128; keep clang's vectorizers out of the reference twin. */
__attribute__((target("no-simd128")))
void wt_f32_argmaxpool_ukernel__scalar_c1(size_t taps, size_t channels, const float** input,
                                          const int32_t* index, int32_t first,
                                          float* output, int32_t* output_index) {
  for (size_t c = 0; c < channels; c++) {
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
