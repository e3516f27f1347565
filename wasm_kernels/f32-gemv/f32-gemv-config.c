/* Which f32 GEMV micro-kernel a variant runs (0: scalar twin, 1: wasmsimd). */
#include "wt_gemv.h"

wt_f32_gemv_ukernel_fn wt_f32_gemv_ukernel(int variant) {
  return variant == 0 ? wt_f32_gemv_ukernel_x32__scalar
         : variant == 1 ? wt_f32_gemv_ukernel_x32__wasmsimd
                        : NULL;
}
