/* Weight packing for the f32 depthwise-convolution micro-kernels (layout: include/wt_dwconv.h).
 * Runs once per model load, so plain scalar code. */
#include "wt_dwconv.h"

size_t wt_f32_dwconv_packed_elements(size_t channels, size_t taps, size_t channel_tile) {
  return (channels + channel_tile - 1) / channel_tile * channel_tile * (taps + 1);
}

void wt_f32_dwconv_packw_ghw(size_t channels, size_t kh, size_t kw, size_t channel_tile,
                             const float* w, const float* b, float* packed) {
  const size_t taps = kh * kw;
  for (size_t c0 = 0; c0 < channels; c0 += channel_tile) {
    const size_t cb = channels - c0 < channel_tile ? channels - c0 : channel_tile;
    /* bias, zero-padded */
    for (size_t j = 0; j < cb; j++) packed[j] = b != NULL ? b[c0 + j] : 0.0f;
    for (size_t j = cb; j < channel_tile; j++) packed[j] = 0.0f;
    packed += channel_tile;
    /* taps in column-major kernel order t = kx*kh + ky; w[c][0][ky][kx] = w[c*taps + ky*kw + kx] */
    for (size_t kx = 0; kx < kw; kx++) {
      for (size_t ky = 0; ky < kh; ky++) {
        for (size_t j = 0; j < cb; j++) packed[j] = w[(c0 + j) * taps + ky * kw + kx];
        for (size_t j = cb; j < channel_tile; j++) packed[j] = 0.0f;
        packed += channel_tile;
      }
    }
  }
}
