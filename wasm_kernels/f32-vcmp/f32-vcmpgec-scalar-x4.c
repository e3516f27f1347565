/* f32 y[i] = a[i] >= b[0] (0 or 1).
 * Scalar twin, x4: an instance of f32-vcmp-scalar.c.inc. */
#define WT_VCMP_UKERNEL wt_f32_vcmpgec_ukernel__scalar_x4
#define WT_VCMP_SCALAR_B 1
#define WT_VCMP_SOP(a, b) ((a) >= (b))
#include "f32-vcmp-scalar.c.inc"
