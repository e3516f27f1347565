/* f32 GEMV (one row times a packed weight: y[n] = x[k] . W^T + b), the batch-1 product of a
 * recurrent step. The GEMM's 1x8 micro-kernel spends each K step on two dependent add chains, so
 * a GEMV is bound by add latency; these kernels keep WT_GEMV_NR = 32 columns (eight v128
 * accumulators) in flight per K step instead. Weights are packed at load with
 * wt_f32_gemm_packw_goi(1, nc, kc, WT_GEMV_NR, ...): per panel of 32 columns, the bias then kc
 * rows of 32 weights, zero-padded past nc. Both variants multiply then add in the same k order:
 * they agree bit for bit. tools/bench_gemv.mjs (node 20 / V8, x86-64 AMD EPYC, shared machine):
 * 1.4-1.5x the GEMM's 1-row path at n = 192..1024 (lstm2's [512, 128]: 5.0 vs 7.4 us), equal at
 * n = 68. Unrolling K by 4 with one v128 load of x and lane shuffles ran slower (8.0 us). */
#pragma once
#include <stddef.h>

#define WT_GEMV_NR 32

typedef void (*wt_f32_gemv_ukernel_fn)(size_t nc, size_t kc, const float* x, const float* w, float* y);

void wt_f32_gemv_ukernel_x32__scalar(size_t nc, size_t kc, const float* x, const float* w, float* y);
void wt_f32_gemv_ukernel_x32__wasmsimd(size_t nc, size_t kc, const float* x, const float* w, float* y);

/* variant 0: the scalar twin, 1: wasmsimd; NULL for another. */
wt_f32_gemv_ukernel_fn wt_f32_gemv_ukernel(int variant);
