/* f32 GEMM driver: C = clamp(A . W^T + bias) over packed weights, single-threaded, no allocation.
 * Loop order: blocks of N columns (outer) so that one block of packed weights stays in cache while
 * every MR-row block of A streams past it; the micro-kernel walks the NR panels of the block. */
#include <assert.h>

#include "wt_kernels.h"

/* Bytes of packed weights one N block may occupy: half of a 512 KiB per-core L2, leaving room
 * for the A rows and C. Not tuned: 64, 128, 256 KiB and 1 MiB were all within the noise of the
 * shared benchmark machine (tools/bench_gemm.mjs). */
#define WT_GEMM_BLOCK_BYTES (256 * 1024)

void wt_f32_gemm(const wt_gemm_config* config, size_t M, size_t N, size_t K, const float* a,
                 size_t lda, const float* packed, float* c, size_t ldc, float min, float max) {
  assert(config != NULL);
  assert(lda >= K);
  assert(ldc >= N);
  if (M == 0 || N == 0) return;
  const size_t mr = config->mr;
  const size_t nr = config->nr;
  const size_t panel_floats = (K + 1) * nr;

  size_t nc_block = WT_GEMM_BLOCK_BYTES / (panel_floats * sizeof(float)) * nr;
  if (nc_block < nr) nc_block = nr;

  const wt_f32_minmax_params params = {.min = min, .max = max};
  for (size_t n0 = 0; n0 < N; n0 += nc_block) {
    const size_t nc = N - n0 < nc_block ? N - n0 : nc_block;
    const float* w = packed + n0 / nr * panel_floats;
    for (size_t m0 = 0; m0 < M; m0 += mr) {
      const size_t mb = M - m0 < mr ? M - m0 : mr;
      config->gemm[mb - 1](mb, nc, K * sizeof(float), a + m0 * lda, lda * sizeof(float), w,
                           c + m0 * ldc + n0, ldc * sizeof(float), nr * sizeof(float), &params);
    }
  }
}
