/* Micro-kernel signatures. Each family has a scalar twin (the oracle in tests) and SIMD variants;
 * names follow XNNPACK: <datatype>-<op>-<tile>-<isa>. */
#pragma once
#include <stddef.h>

void wt_f32_vadd_ukernel__scalar_x4(size_t n, const float* a, const float* b, float* y);
void wt_f32_vadd_ukernel__wasmsimd_x8(size_t n, const float* a, const float* b, float* y);
