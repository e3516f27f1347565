/* Micro-kernel signatures. Each family has a scalar twin (the oracle in tests) and SIMD variants;
 * names follow XNNPACK: <datatype>-<op>-<tile>-<isa>. */
#pragma once
#include <stddef.h>

void wt_f32_vadd_ukernel__scalar_x4(size_t n, const float* a, const float* b, float* y);
void wt_f32_vadd_ukernel__wasmsimd_x8(size_t n, const float* a, const float* b, float* y);

/* ---- f32 GEMM: C[M,N] = clamp(A[M,K] . B[K,N] + bias[N], min, max), B = W^T, W[N,K] ----------
 *
 * Packed weights ("packw"): B is cut into panels of NR output columns. Panel p holds
 *   bias[p*NR .. p*NR+NR)                          NR floats
 *   then for k = 0 .. K-1:  W[p*NR + j][k], j < NR  NR floats per k
 * so a panel is (K+1)*NR floats and the whole buffer ceil(N/NR)*NR*(K+1) floats (per group).
 * Columns past N (the last panel's padding) are zero, bias included.
 *
 * Micro-kernel arguments (as XNNPACK's gemm ukernels; every size and stride is in BYTES except
 * mr and nc):
 *   mr         rows of A/C to compute, 1 <= mr <= MR (rows past mr alias row mr-1: same A row,
 *              same C address, same values; nothing outside the mr rows is read or written)
 *   nc         columns of C to compute, >= 1; the kernel walks NR-wide panels itself
 *   kc         K * sizeof(float), >= 0 (kc == 0 gives clamp(bias))
 *   a          row 0 of A; row r starts at (char*)a + r*a_stride
 *   a_stride   bytes between rows of A (>= kc)
 *   w          packed weights, at the panel of column 0 of this call
 *   c          C[0][0] of this call; row r at (char*)c + r*cm_stride
 *   cm_stride  bytes between rows of C
 *   cn_stride  bytes between the NR-column blocks of C (NR*sizeof(float) for dense C)
 *   params     clamp bounds
 * The accumulation order is identical in every variant: acc = bias; for k in 0..K-1 in order,
 * acc = acc + a[k]*w[k] (separate multiply then add, never fused: wasm SIMD128 has no FMA and
 * the scalar twin forbids contraction), then acc = acc < min ? min : acc; acc = max < acc ? max
 * : acc (NaN propagates, as torch.clamp). Results are therefore bit-identical across variants.
 */
#include <stdint.h>

typedef struct wt_f32_minmax_params {
  float min;
  float max;
} wt_f32_minmax_params;

typedef void (*wt_f32_gemm_minmax_ukernel_fn)(size_t mr, size_t nc, size_t kc, const float* a,
                                              size_t a_stride, const float* w, float* c,
                                              size_t cm_stride, size_t cn_stride,
                                              const wt_f32_minmax_params* params);

void wt_f32_gemm_minmax_ukernel_1x4__scalar(size_t mr, size_t nc, size_t kc, const float* a,
                                            size_t a_stride, const float* w, float* c,
                                            size_t cm_stride, size_t cn_stride,
                                            const wt_f32_minmax_params* params);
void wt_f32_gemm_minmax_ukernel_4x4__scalar(size_t mr, size_t nc, size_t kc, const float* a,
                                            size_t a_stride, const float* w, float* c,
                                            size_t cm_stride, size_t cn_stride,
                                            const wt_f32_minmax_params* params);
void wt_f32_gemm_minmax_ukernel_1x8__wasmsimd_splat(size_t mr, size_t nc, size_t kc,
                                                    const float* a, size_t a_stride,
                                                    const float* w, float* c, size_t cm_stride,
                                                    size_t cn_stride,
                                                    const wt_f32_minmax_params* params);
void wt_f32_gemm_minmax_ukernel_4x8__wasmsimd_splat(size_t mr, size_t nc, size_t kc,
                                                    const float* a, size_t a_stride,
                                                    const float* w, float* c, size_t cm_stride,
                                                    size_t cn_stride,
                                                    const wt_f32_minmax_params* params);
void wt_f32_gemm_minmax_ukernel_1x8__wasmsimd_loadsplat(size_t mr, size_t nc, size_t kc,
                                                        const float* a, size_t a_stride,
                                                        const float* w, float* c,
                                                        size_t cm_stride, size_t cn_stride,
                                                        const wt_f32_minmax_params* params);
void wt_f32_gemm_minmax_ukernel_4x8__wasmsimd_loadsplat(size_t mr, size_t nc, size_t kc,
                                                        const float* a, size_t a_stride,
                                                        const float* w, float* c,
                                                        size_t cm_stride, size_t cn_stride,
                                                        const wt_f32_minmax_params* params);

/* Weight packing for the layout above. w is [g][nc][kc] row-major (torch Linear / conv weight
 * "goi" = groups, output channels, input channels); b is [g][nc] or NULL (zero bias). Sizes in
 * elements. packed must hold wt_f32_gemm_packed_elements(g, nc, kc, nr) floats. */
size_t wt_f32_gemm_packed_elements(size_t g, size_t nc, size_t kc, size_t nr);
void wt_f32_gemm_packw_goi(size_t g, size_t nc, size_t kc, size_t nr, const float* w,
                           const float* b, float* packed);

/* Kernel selection is data: one config per kernel set, filled at compile time (wasm has no
 * run-time feature detection inside a module: a SIMD module either validates or does not load).
 * gemm[r-1] is the micro-kernel used for a block of r rows (r = 1..mr).
 *   WT_GEMM_SCALAR     the scalar twin (reference; NR = 4)
 *   WT_GEMM_WASMSIMD   the production SIMD set (NR = 8)
 *   WT_GEMM_WASMSIMD_ALT  the other A-broadcast variant of the SIMD set, kept tested and
 *                      benchmarked so the choice can be re-measured (tools/bench_gemm.mjs) */
#define WT_GEMM_MAX_MR 4

typedef struct wt_gemm_config {
  wt_f32_gemm_minmax_ukernel_fn gemm[WT_GEMM_MAX_MR];
  uint32_t mr;
  uint32_t nr;
  const char* name;
} wt_gemm_config;

enum wt_gemm_variant {
  WT_GEMM_SCALAR = 0,
  WT_GEMM_WASMSIMD = 1,
  WT_GEMM_WASMSIMD_ALT = 2,
  WT_GEMM_VARIANT_COUNT = 3,
};

/* NULL for an unknown variant. */
const wt_gemm_config* wt_f32_gemm_config(int variant);

/* Driver: tiles M by config->mr and N into cache-sized blocks of NR panels; no allocation.
 * lda/ldc are in elements (lda >= K, ldc >= N); packed was made with nr = config->nr. */
void wt_f32_gemm(const wt_gemm_config* config, size_t M, size_t N, size_t K, const float* a,
                 size_t lda, const float* packed, float* c, size_t ldc, float min, float max);
