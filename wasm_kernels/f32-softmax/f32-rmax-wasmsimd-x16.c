/* f32 *max = max(x[0..n)), NaN-propagating (f32x4.max); n >= 1.
 * wasmsimd, x16 (four vector accumulators). Max is exact, so the result equals the scalar twin's
 * (up to the payload of a NaN). */
#include <assert.h>

#include <wasm_simd128.h>

#include "wt_elementwise.h"

void wt_f32_rmax_ukernel__wasmsimd_x16(size_t n, const float* x, float* max) {
  assert(n != 0);
  v128_t vm0 = wasm_f32x4_splat(x[0]);
  v128_t vm1 = vm0, vm2 = vm0, vm3 = vm0;
  for (; n >= 16; n -= 16, x += 16) {
    vm0 = wasm_f32x4_max(vm0, wasm_v128_load(x));
    vm1 = wasm_f32x4_max(vm1, wasm_v128_load(x + 4));
    vm2 = wasm_f32x4_max(vm2, wasm_v128_load(x + 8));
    vm3 = wasm_f32x4_max(vm3, wasm_v128_load(x + 12));
  }
  for (; n >= 4; n -= 4, x += 4) vm0 = wasm_f32x4_max(vm0, wasm_v128_load(x));
  vm0 = wasm_f32x4_max(wasm_f32x4_max(vm0, vm1), wasm_f32x4_max(vm2, vm3));
  vm0 = wasm_f32x4_max(vm0, wasm_i32x4_shuffle(vm0, vm0, 2, 3, 2, 3));
  float m =
      __builtin_wasm_max_f32(wasm_f32x4_extract_lane(vm0, 0), wasm_f32x4_extract_lane(vm0, 1));
  for (; n != 0; n--) m = __builtin_wasm_max_f32(m, *x++);
  *max = m;
}
