/* f32 bicubic output row, scalar twin (the oracle of the wasmsimd kernel; include/wt_resize.h). */
#include "wt_resize.h"

/* The module is built with -msimd128; keep clang's vectorizers out of the reference twin. */
__attribute__((target("no-simd128")))
void wt_f32_ibicubic_ukernel__scalar_c1(size_t pixels, size_t channels, const float** rows,
                                        const float* wy, const wt_resize_tap4* cols, float* output) {
  for (size_t p = 0; p < pixels; p++) {
    const wt_resize_tap4 k = cols[p];
    for (size_t c = 0; c < channels; c++) {
      float acc = 0.0f;
      for (int j = 0; j < 4; j++) {
        const float* r = rows[j];
        const float s = k.w[0] * r[(size_t)k.i[0] * channels + c] + k.w[1] * r[(size_t)k.i[1] * channels + c] +
                        k.w[2] * r[(size_t)k.i[2] * channels + c] + k.w[3] * r[(size_t)k.i[3] * channels + c];
        acc = j == 0 ? wy[0] * s : acc + wy[j] * s;
      }
      *output++ = acc;
    }
  }
}
