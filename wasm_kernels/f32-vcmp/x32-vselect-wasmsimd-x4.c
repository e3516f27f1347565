/* x32 select: y[i] = c[i * sc] ? a[i * sa] : b[i * sb] on 32-bit elements, strides 0 (one value
 * broadcast) or 1. wasmsimd, x4: 4 condition bytes widened to lane masks and a bitselect; the 1..3
 * element tail in scalar form (a select is exact either way). Contract: include/wt_elementwise.h. */
#include <assert.h>

#include <wasm_simd128.h>

#include "wt_elementwise.h"

void wt_x32_vselect_ukernel__wasmsimd_x4(size_t n, const uint8_t* c, size_t sc, const uint32_t* a,
                                         size_t sa, const uint32_t* b, size_t sb, uint32_t* y) {
  assert(n == 0 || (c != NULL && a != NULL && b != NULL && y != NULL));
  assert(sc <= 1 && sa <= 1 && sb <= 1);
  const v128_t vc0 = wasm_i32x4_splat(c[0] ? -1 : 0);
  const v128_t va0 = wasm_i32x4_splat((int32_t)a[0]);
  const v128_t vb0 = wasm_i32x4_splat((int32_t)b[0]);
  for (; n >= 4; n -= 4) {
    v128_t vc = vc0;
    if (sc) {
      const v128_t bytes = wasm_v128_load32_zero(c);
      vc = wasm_i32x4_ne(wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(bytes)), wasm_i32x4_const_splat(0));
    }
    const v128_t va = sa ? wasm_v128_load(a) : va0;
    const v128_t vb = sb ? wasm_v128_load(b) : vb0;
    wasm_v128_store(y, wasm_v128_bitselect(va, vb, vc));
    c += 4 * sc;
    a += 4 * sa;
    b += 4 * sb;
    y += 4;
  }
  for (size_t i = 0; i < n; i++) y[i] = c[i * sc] ? a[i * sa] : b[i * sb];
}
