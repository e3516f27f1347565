/* Exports of the kernel module. The plan runtime (issue 4) grows here; for now it exposes the
 * allocator and the first kernel family so the toolchain path is proven end to end. */
#include <stdlib.h>

#include <emscripten/emscripten.h>

#include "wt_kernels.h"

#define WT_ABI_VERSION 1

EMSCRIPTEN_KEEPALIVE int wt_abi_version(void) { return WT_ABI_VERSION; }

EMSCRIPTEN_KEEPALIVE int wt_threads_available(void) {
#ifdef __EMSCRIPTEN_PTHREADS__
  return 1;
#else
  return 0;
#endif
}

EMSCRIPTEN_KEEPALIVE void* wt_alloc(size_t bytes) { return aligned_alloc(64, (bytes + 63) & ~(size_t)63); }

EMSCRIPTEN_KEEPALIVE void wt_free(void* p) { free(p); }

/* variant 0 = scalar twin, 1 = wasmsimd; tests compare the two. */
EMSCRIPTEN_KEEPALIVE void wt_f32_vadd(int variant, size_t n, const float* a, const float* b, float* y) {
  if (variant == 0)
    wt_f32_vadd_ukernel__scalar_x4(n, a, b, y);
  else
    wt_f32_vadd_ukernel__wasmsimd_x8(n, a, b, y);
}
