/* f32 binary op with NumPy/torch broadcasting over up to 6-d operands, single-threaded, no
 * allocation (contract: include/wt_elementwise.h).
 *
 * The shapes are aligned at their last dimension; each output dimension is classified by which
 * operand broadcasts along it (a, b or neither). Size-1 output dimensions are dropped and
 * adjacent dimensions with the same class merged, so e.g.
 *   [N,H,W,C] + [N,H,W,C]  -> one run of N*H*W*C                  (v<op>, one call)
 *   [N,H,W,C] + []         -> one run, b scalar                   (v<op>c, one call)
 *   [N,H,W,C] + [C]        -> runs of C (neither), N*H*W rows (b stride 0)
 *   [N,C] + [N,1]          -> runs of C with b scalar per row     (v<op>c per row)
 *   [N,H,W,C] + [N,1,1,C]  -> C (neither) x H*W (b broadcasts) x N (neither)
 * The innermost merged dimension is the contiguous run handed to one micro-kernel call; the (at
 * most 5) outer ones are walked by plain loops with element strides (0 where an operand
 * broadcasts). */
#include <stddef.h>

#include "wt_elementwise.h"

int wt_f32_vbinary_bcast(const wt_vbinary_config* config, int op, size_t a_rank,
                         const size_t* a_shape, size_t b_rank, const size_t* b_shape,
                         const float* a, const float* b, float* y, float min, float max) {
  if (config == NULL || op < 0 || op >= WT_VBINARY_OP_COUNT || a_rank > WT_VBINARY_MAX_RANK ||
      b_rank > WT_VBINARY_MAX_RANK) {
    return WT_VBINARY_BAD_ARGUMENT;
  }
  const size_t rank = a_rank > b_rank ? a_rank : b_rank;

  /* Merged dimensions, innermost first. */
  size_t dim[WT_VBINARY_MAX_RANK];
  int a_bcast[WT_VBINARY_MAX_RANK], b_bcast[WT_VBINARY_MAX_RANK];
  size_t nd = 0;
  int empty = 0;
  for (size_t i = 0; i < rank; i++) {
    const size_t ad = i < a_rank ? a_shape[a_rank - 1 - i] : 1;
    const size_t bd = i < b_rank ? b_shape[b_rank - 1 - i] : 1;
    if (ad != bd && ad != 1 && bd != 1) return WT_VBINARY_BAD_SHAPES;
    const size_t od = ad == 1 ? bd : ad;
    if (od == 0) empty = 1;
    if (od <= 1) continue;
    const int ab = ad == 1, bb = bd == 1;
    if (nd != 0 && a_bcast[nd - 1] == ab && b_bcast[nd - 1] == bb) {
      dim[nd - 1] *= od;
    } else {
      dim[nd] = od;
      a_bcast[nd] = ab;
      b_bcast[nd] = bb;
      nd++;
    }
  }
  if (empty) return WT_VBINARY_OK;
  if (nd == 0) { /* every dimension is 1: one element */
    dim[0] = 1;
    a_bcast[0] = b_bcast[0] = 0;
    nd = 1;
  }

  /* Element strides of the merged dimensions; unused outer dimensions have size 1. */
  size_t a_stride[WT_VBINARY_MAX_RANK], b_stride[WT_VBINARY_MAX_RANK];
  size_t y_stride[WT_VBINARY_MAX_RANK];
  size_t as = 1, bs = 1, ys = 1;
  for (size_t k = 0; k < WT_VBINARY_MAX_RANK; k++) {
    if (k >= nd) {
      dim[k] = 1;
      a_bcast[k] = b_bcast[k] = 1;
    }
    a_stride[k] = a_bcast[k] ? 0 : as;
    b_stride[k] = b_bcast[k] ? 0 : bs;
    y_stride[k] = ys;
    if (!a_bcast[k]) as *= dim[k];
    if (!b_bcast[k]) bs *= dim[k];
    ys *= dim[k];
  }

  /* The innermost run: both vectors, b scalar, or a scalar (operands swapped for the kernel). */
  wt_f32_vbinary_ukernel_fn ukernel = config->op[op];
  int swap = 0;
  if (b_bcast[0]) {
    ukernel = config->opc[op];
  } else if (a_bcast[0]) {
    ukernel = config->ropc[op];
    swap = 1;
  }
  const size_t n = dim[0];
  const wt_f32_vbinary_minmax_params params = {.min = min, .max = max};
  for (size_t i5 = 0; i5 < dim[5]; i5++) {
    for (size_t i4 = 0; i4 < dim[4]; i4++) {
      for (size_t i3 = 0; i3 < dim[3]; i3++) {
        for (size_t i2 = 0; i2 < dim[2]; i2++) {
          for (size_t i1 = 0; i1 < dim[1]; i1++) {
            const size_t ao = i5 * a_stride[5] + i4 * a_stride[4] + i3 * a_stride[3] +
                              i2 * a_stride[2] + i1 * a_stride[1];
            const size_t bo = i5 * b_stride[5] + i4 * b_stride[4] + i3 * b_stride[3] +
                              i2 * b_stride[2] + i1 * b_stride[1];
            const size_t yo = i5 * y_stride[5] + i4 * y_stride[4] + i3 * y_stride[3] +
                              i2 * y_stride[2] + i1 * y_stride[1];
            if (swap)
              ukernel(n, b + bo, a + ao, y + yo, &params);
            else
              ukernel(n, a + ao, b + bo, y + yo, &params);
          }
        }
      }
    }
  }
  return WT_VBINARY_OK;
}
