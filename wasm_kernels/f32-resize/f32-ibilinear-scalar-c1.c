/* f32 bilinear output row, scalar twin (the oracle of the wasmsimd kernel; include/wt_resize.h). */
#include "wt_resize.h"

void wt_f32_ibilinear_ukernel__scalar_c1(size_t pixels, size_t channels, const float* row0,
                                         const float* row1, float l0, float l1,
                                         const wt_resize_tap* cols, float* output) {
  for (size_t p = 0; p < pixels; p++) {
    const wt_resize_tap k = cols[p];
    const float* a = row0 + (size_t)k.i0 * channels;
    const float* b = row0 + (size_t)k.i1 * channels;
    const float* c = row1 + (size_t)k.i0 * channels;
    const float* d = row1 + (size_t)k.i1 * channels;
    for (size_t i = 0; i < channels; i++)
      *output++ = l0 * (k.l0 * a[i] + k.l1 * b[i]) + l1 * (k.l0 * c[i] + k.l1 * d[i]);
  }
}
