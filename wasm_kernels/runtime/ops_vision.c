/* Vision ops of the plan runtime (wt_vision.h; op codes 6..19 of docs/wtm-format.md), on the
 * f32-conv, f32-dwconv and f32-pool kernel families. Activations are NHWC.
 *
 * Load: every shape and attribute is checked (wt_vision_check) before wt_vision_build folds batch
 * norm into the convolution's weights (in double, once), packs them, and fixes the work split.
 * Forward: no allocation; im2col tiles and indirection buffers live in the model's one scratch
 * area, one slice per task.
 *
 * Work split: a fixed number of tasks (<= threads), each a contiguous range of output rows over
 * the batch (N * OH rows for convolutions, N * H for layout changes, rows of C for batch norm),
 * or whole images for pooling. A convolution task computes its rows as a convolution of a window
 * of input rows with adjusted top/bottom padding, so each task is one kernel call per image. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_conv.h"
#include "wt_check.h"
#include "wt_dwconv.h"
#include "wt_elementwise.h"
#include "wt_pool.h"
#include "wt_resize.h"
#include "wt_vision.h"

/* Production kernel sets. */
#define WT_VISION_GEMM WT_GEMM_WASMSIMD
#define WT_VISION_DWCONV WT_DWCONV_WASMSIMD
#define WT_VISION_POOL WT_POOL_WASMSIMD
#define WT_VISION_RESIZE WT_RESIZE_WASMSIMD
#define WT_VISION_NORM WT_ELEMENTWISE_WASMSIMD

/* Geometry attributes (kernel, stride, padding, dilation) above this are rejected, so no size
 * arithmetic on them can wrap in 32 bits. */
#define WT_VISION_MAX_GEOMETRY 65535u
/* Per-task scratch above this is rejected (LIMIT). */
#define WT_VISION_MAX_SCRATCH (1u << 28)

int wt_vision_op(uint16_t code) {
  return (code >= WT_OP_CONV2D && code <= WT_OP_ADD_CLAMP) ||
         (code >= WT_OP_CONV_TRANSPOSE2D && code <= WT_OP_GROUP_NORM);
}

/* Operand 2 of max_pool2d_indices (after its input and values) is the int64 indices output. */
int wt_vision_int64_operand(const wt_op* op, uint32_t operand) {
  return op->code == WT_OP_MAX_POOL2D_INDICES && operand == 2;
}

/* ---- checks ---------------------------------------------------------------------------------- */

static uint64_t elements(const wt_value* v) { return v->nbytes / sizeof(float); }

/* y must have shape [d0, d1, d2, d3]. */
static int want_shape4(const wt_value* y, uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3,
                       char* detail, size_t size) {
  if (y->rank == 4 && y->dims[0] == d0 && y->dims[1] == d1 && y->dims[2] == d2 && y->dims[3] == d3)
    return WT_OK;
  char ys[96];
  wt_shape_text(y, ys, sizeof ys);
  return wt_check_fail(detail, size, WT_E_SHAPE, "the output has shape %s, expected [%llu, %llu, %llu, %llu]",
              ys, (unsigned long long)d0, (unsigned long long)d1, (unsigned long long)d2,
              (unsigned long long)d3);
}

static int want_rank4(const wt_value* x, const char* what, char* detail, size_t size) {
  if (x->rank == 4) return WT_OK;
  char xs[96];
  wt_shape_text(x, xs, sizeof xs);
  return wt_check_fail(detail, size, WT_E_SHAPE, "%s has shape %s, expected 4 dimensions (NHWC)", what, xs);
}

static int check_clamp_bounds(float min, float max, char* detail, size_t size) {
  if (isnan(min) || isnan(max)) return wt_check_fail(detail, size, WT_E_OPERANDS, "clamp bound is NaN");
  return WT_OK;
}

/* Per-channel parameters (bias, batch norm): constants of `channels` elements. */
static int check_channel_params(const wt_plan* plan, const wt_op* op, uint32_t first,
                                uint32_t count, uint64_t channels, char* detail, size_t size) {
  for (uint32_t i = first; i < first + count; i++) {
    const wt_value* v = &plan->values[op->in[i]];
    if (v->space != WT_SPACE_WEIGHTS)
      return wt_check_fail(detail, size, WT_E_OPERANDS, "input %u must be a constant", i);
    if (elements(v) != channels || v->rank != 1) {
      char vs[96];
      wt_shape_text(v, vs, sizeof vs);
      return wt_check_fail(detail, size, WT_E_SHAPE, "input %u has shape %s, expected [%llu]", i, vs,
                  (unsigned long long)channels);
    }
  }
  return WT_OK;
}

static int check_eps(float eps, char* detail, size_t size) {
  if (!(eps >= 0.0f) || isinf(eps))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "eps %g is not a finite number >= 0", (double)eps);
  return WT_OK;
}

/* Attribute words a[0..n) must lie in [lo, WT_VISION_MAX_GEOMETRY]. */
static int check_geometry(const uint32_t* a, size_t n, uint32_t lo, const char* what, char* detail,
                          size_t size) {
  for (size_t i = 0; i < n; i++)
    if (a[i] < lo || a[i] > WT_VISION_MAX_GEOMETRY)
      return wt_check_fail(detail, size, WT_E_OPERANDS, "%s %u out of range %u..%u", what, a[i], lo,
                  WT_VISION_MAX_GEOMETRY);
  return WT_OK;
}

static void read_u32s(const uint8_t* p, uint32_t* out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = wt_plan_u32(p + 4 * i);
}

/* conv2d attrs: flags, groups, stride h/w, padding t/l/b/r, dilation h/w, eps, min, max. */
static int check_conv2d(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* w = &plan->values[op->in[1]];
  const wt_value* y = &plan->values[op->out[0]];
  uint32_t a[10];
  read_u32s(op->attrs, a, 10);
  const uint32_t flags = a[0], groups = a[1];
  if (flags & ~(WT_CONV2D_FLAG_BIAS | WT_CONV2D_FLAG_BN))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown flags 0x%x", flags);
  const uint32_t has_bias = (flags & WT_CONV2D_FLAG_BIAS) != 0, has_bn = (flags & WT_CONV2D_FLAG_BN) != 0;
  if (op->n_in != 2 + has_bias + 4 * has_bn)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "%u inputs, the flags 0x%x call for %u", op->n_in,
                flags, 2 + has_bias + 4 * has_bn);
  int status = want_rank4(x, "the input", detail, size);
  if (status != WT_OK) return status;
  if (w->space != WT_SPACE_WEIGHTS || w->rank != 4)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "the weight must be a 4-d constant [OC, IC/groups, KH, KW]");
  status = check_geometry(a + 2, 2, 1, "stride", detail, size);
  if (status == WT_OK) status = check_geometry(a + 4, 4, 0, "padding", detail, size);
  if (status == WT_OK) status = check_geometry(a + 8, 2, 1, "dilation", detail, size);
  if (status != WT_OK) return status;
  const uint64_t ic = x->dims[3], oc = w->dims[0], icg = w->dims[1], kh = w->dims[2], kw = w->dims[3];
  if (groups == 0 || ic % groups != 0 || oc % groups != 0 || ic / groups != icg || kh == 0 ||
      kw == 0) {
    char xs[96], ws[96];
    wt_shape_text(x, xs, sizeof xs);
    wt_shape_text(w, ws, sizeof ws);
    return wt_check_fail(detail, size, WT_E_SHAPE, "input %s, weight %s and groups %u do not match", xs, ws,
                groups);
  }
  if ((uint64_t)a[8] * (kh - 1) > WT_VISION_MAX_GEOMETRY ||
      (uint64_t)a[9] * (kw - 1) > WT_VISION_MAX_GEOMETRY)
    return wt_check_fail(detail, size, WT_E_LIMIT, "dilated kernel above %u", WT_VISION_MAX_GEOMETRY);
  status = check_channel_params(plan, op, 2, has_bias + 4 * has_bn, oc, detail, size);
  if (status != WT_OK) return status;
  if (has_bn && (status = check_eps(wt_plan_f32(op->attrs + 40), detail, size)) != WT_OK)
    return status;
  const size_t oh = wt_conv_output_size(x->dims[1], (uint32_t)kh, a[2], a[8], a[4], a[6]);
  const size_t ow = wt_conv_output_size(x->dims[2], (uint32_t)kw, a[3], a[9], a[5], a[7]);
  if (x->dims[0] != 0 && (oh == 0 || ow == 0))
    return wt_check_fail(detail, size, WT_E_SHAPE, "the kernel does not fit the padded input");
  status = want_shape4(y, x->dims[0], oh, ow, oc, detail, size);
  if (status != WT_OK) return status;
  return check_clamp_bounds(wt_plan_f32(op->attrs + 44), wt_plan_f32(op->attrs + 48), detail, size);
}

static int check_batch_norm(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (x->rank < 1) return wt_check_fail(detail, size, WT_E_SHAPE, "the input has no channel dimension");
  if (x->rank != y->rank || memcmp(x->dims, y->dims, sizeof x->dims) != 0) {
    char xs[96], ys[96];
    wt_shape_text(x, xs, sizeof xs);
    wt_shape_text(y, ys, sizeof ys);
    return wt_check_fail(detail, size, WT_E_SHAPE, "the output has shape %s, the input %s", ys, xs);
  }
  int status = check_channel_params(plan, op, 1, 4, x->dims[x->rank - 1], detail, size);
  if (status == WT_OK) status = check_eps(wt_plan_f32(op->attrs), detail, size);
  if (status != WT_OK) return status;
  return check_clamp_bounds(wt_plan_f32(op->attrs + 4), wt_plan_f32(op->attrs + 8), detail, size);
}

/* Pool attrs (9 words): kernel h/w, stride h/w, padding h/w, then
 *   max: dilation h/w, ceil_mode;  avg: ceil_mode, count_include_pad, divisor_override (i32). */
static void pool_params(const wt_op* op, const wt_value* x, wt_pool2d_params* p) {
  uint32_t a[9];
  read_u32s(op->attrs, a, 9);
  memset(p, 0, sizeof *p);
  p->batch = 1;
  p->input_height = x->dims[1];
  p->input_width = x->dims[2];
  p->channels = x->dims[3];
  p->kernel_height = a[0];
  p->kernel_width = a[1];
  p->stride_height = a[2];
  p->stride_width = a[3];
  p->padding_height = a[4];
  p->padding_width = a[5];
  if (op->code != WT_OP_AVG_POOL2D) {
    p->dilation_height = a[6];
    p->dilation_width = a[7];
    p->ceil_mode = a[8];
  } else {
    p->dilation_height = p->dilation_width = 1;
    p->ceil_mode = a[6];
    p->count_include_pad = a[7];
    p->divisor_override = (int32_t)a[8];
  }
}

static int check_pool2d(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  int status = want_rank4(x, "the input", detail, size);
  if (status != WT_OK) return status;
  wt_pool2d_params p;
  pool_params(op, x, &p);
  const uint32_t k[2] = {p.kernel_height, p.kernel_width}, s[2] = {p.stride_height, p.stride_width};
  const uint32_t pad[2] = {p.padding_height, p.padding_width};
  const uint32_t d[2] = {p.dilation_height, p.dilation_width};
  status = check_geometry(k, 2, 1, "kernel", detail, size);
  if (status == WT_OK) status = check_geometry(s, 2, 1, "stride", detail, size);
  if (status == WT_OK) status = check_geometry(pad, 2, 0, "padding", detail, size);
  if (status == WT_OK) status = check_geometry(d, 2, 1, "dilation", detail, size);
  if (status != WT_OK) return status;
  const uint32_t flag = op->code != WT_OP_AVG_POOL2D ? p.ceil_mode : p.ceil_mode | p.count_include_pad;
  if (flag > 1) return wt_check_fail(detail, size, WT_E_OPERANDS, "a boolean attribute is not 0 or 1");
  for (int i = 0; i < 2; i++) /* torch: padding at most half of the effective kernel */
    if ((uint64_t)2 * pad[i] > (uint64_t)d[i] * (k[i] - 1) + 1)
      return wt_check_fail(detail, size, WT_E_OPERANDS, "padding %u above half the kernel", pad[i]);
  const uint64_t oh = wt_pool2d_output_height(&p), ow = wt_pool2d_output_width(&p);
  if (x->dims[0] != 0 && (oh == 0 || ow == 0))
    return wt_check_fail(detail, size, WT_E_SHAPE, "the window does not fit the padded input");
  if (oh * ow * k[0] * k[1] > WT_VISION_MAX_SCRATCH / sizeof(float*))
    return wt_check_fail(detail, size, WT_E_LIMIT, "indirection buffer above %u bytes", WT_VISION_MAX_SCRATCH);
  status = want_shape4(&plan->values[op->out[0]], x->dims[0], oh, ow, x->dims[3], detail, size);
  if (status != WT_OK || op->code != WT_OP_MAX_POOL2D_INDICES) return status;
  /* the indices are torch's: NCHW, flat h * W + w (int32 in the kernel); the scratch holds a row */
  if (ow * x->dims[3] * sizeof(int32_t) > WT_VISION_MAX_SCRATCH)
    return wt_check_fail(detail, size, WT_E_LIMIT, "an output row above %u bytes", WT_VISION_MAX_SCRATCH);
  if ((uint64_t)x->dims[1] * x->dims[2] > INT32_MAX)
    return wt_check_fail(detail, size, WT_E_LIMIT, "%u x %u pixels above the index range", x->dims[1],
                         x->dims[2]);
  const wt_value* idx = &plan->values[op->out[1]];
  if (idx->dtype != WT_DTYPE_I64)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "the indices output must be int64");
  return want_shape4(idx, x->dims[0], x->dims[3], oh, ow, detail, size);
}

static int check_adaptive(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  int status = want_rank4(x, "the input", detail, size);
  if (status == WT_OK) status = want_rank4(y, "the output", detail, size);
  if (status != WT_OK) return status;
  if (y->dims[1] == 0 || y->dims[2] == 0 || x->dims[1] == 0 || x->dims[2] == 0)
    return wt_check_fail(detail, size, WT_E_SHAPE, "empty pooling window or output");
  /* the longest window along an axis of n into o bins has at most n/o + 2 elements */
  const uint64_t taps = ((uint64_t)x->dims[1] / y->dims[1] + 2) * (x->dims[2] / y->dims[2] + 2);
  if ((uint64_t)y->dims[1] * y->dims[2] * taps > WT_VISION_MAX_SCRATCH / sizeof(float*))
    return wt_check_fail(detail, size, WT_E_LIMIT, "indirection buffer above %u bytes", WT_VISION_MAX_SCRATCH);
  return want_shape4(y, x->dims[0], y->dims[1], y->dims[2], x->dims[3], detail, size);
}

static int check_layout(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const uint32_t direction = wt_plan_u32(op->attrs);
  if (direction > WT_LAYOUT_NHWC_TO_NCHW)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown layout direction %u", direction);
  const int status = want_rank4(x, "the input", detail, size);
  if (status != WT_OK) return status;
  const uint32_t* d = x->dims;
  return direction == WT_LAYOUT_NCHW_TO_NHWC
             ? want_shape4(&plan->values[op->out[0]], d[0], d[2], d[3], d[1], detail, size)
             : want_shape4(&plan->values[op->out[0]], d[0], d[3], d[1], d[2], detail, size);
}

static int check_add_clamp(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* y = &plan->values[op->out[0]];
  for (uint32_t i = 0; i < 2; i++) {
    const wt_value* x = &plan->values[op->in[i]];
    if (x->rank != y->rank || memcmp(x->dims, y->dims, sizeof x->dims) != 0) {
      char xs[96], ys[96];
      wt_shape_text(x, xs, sizeof xs);
      wt_shape_text(y, ys, sizeof ys);
      return wt_check_fail(detail, size, WT_E_SHAPE, "input %u has shape %s, expected %s", i, xs, ys);
    }
  }
  return check_clamp_bounds(wt_plan_f32(op->attrs), wt_plan_f32(op->attrs + 4), detail, size);
}

/* conv_transpose2d attrs: flags, groups, stride h/w, padding t/l/b/r, dilation h/w,
 * output_padding h/w, min, max. */
static int check_conv_transpose2d(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* w = &plan->values[op->in[1]];
  uint32_t a[12];
  read_u32s(op->attrs, a, 12);
  const uint32_t flags = a[0], groups = a[1];
  if (flags & ~WT_CONV2D_FLAG_BIAS)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown flags 0x%x", flags);
  const uint32_t has_bias = flags & WT_CONV2D_FLAG_BIAS;
  if (op->n_in != 2 + has_bias)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "%u inputs, the flags 0x%x call for %u", op->n_in,
                         flags, 2 + has_bias);
  int status = want_rank4(x, "the input", detail, size);
  if (status != WT_OK) return status;
  if (w->space != WT_SPACE_WEIGHTS || w->rank != 4)
    return wt_check_fail(detail, size, WT_E_OPERANDS,
                         "the weight must be a 4-d constant [IC, OC/groups, KH, KW]");
  status = check_geometry(a + 2, 2, 1, "stride", detail, size);
  if (status == WT_OK) status = check_geometry(a + 4, 4, 0, "padding", detail, size);
  if (status == WT_OK) status = check_geometry(a + 8, 2, 1, "dilation", detail, size);
  if (status == WT_OK) status = check_geometry(a + 10, 2, 0, "output_padding", detail, size);
  if (status != WT_OK) return status;
  const uint64_t ic = x->dims[3], kh = w->dims[2], kw = w->dims[3];
  const uint64_t oc = (uint64_t)w->dims[1] * groups;
  if (groups == 0 || w->dims[0] != ic || ic % groups != 0 || kh == 0 || kw == 0 || oc == 0) {
    char xs[96], ws[96];
    wt_shape_text(x, xs, sizeof xs);
    wt_shape_text(w, ws, sizeof ws);
    return wt_check_fail(detail, size, WT_E_SHAPE, "input %s, weight %s and groups %u do not match", xs,
                         ws, groups);
  }
  if ((uint64_t)a[8] * (kh - 1) > WT_VISION_MAX_GEOMETRY ||
      (uint64_t)a[9] * (kw - 1) > WT_VISION_MAX_GEOMETRY)
    return wt_check_fail(detail, size, WT_E_LIMIT, "dilated kernel above %u", WT_VISION_MAX_GEOMETRY);
  /* torch: output_padding below the stride or the dilation */
  if ((a[10] >= a[2] && a[10] >= a[8]) || (a[11] >= a[3] && a[11] >= a[9]))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "output_padding %u, %u not below stride or dilation",
                         a[10], a[11]);
  status = check_channel_params(plan, op, 2, has_bias, oc, detail, size);
  if (status != WT_OK) return status;
  /* the kernel's GEMM tile: at least 4 rows of KH * KW * OC/groups columns */
  if (kh * kw * w->dims[1] * 4 * sizeof(float) > WT_VISION_MAX_SCRATCH)
    return wt_check_fail(detail, size, WT_E_LIMIT, "a GEMM tile above %u bytes", WT_VISION_MAX_SCRATCH);
  /* in 64 bits: the kernel's own size arithmetic is 32-bit, so the sizes must fit there */
  const int64_t span_h = (int64_t)(x->dims[1] ? x->dims[1] - 1 : 0) * a[2] + (int64_t)a[8] * (kh - 1) + a[10] + 1;
  const int64_t span_w = (int64_t)(x->dims[2] ? x->dims[2] - 1 : 0) * a[3] + (int64_t)a[9] * (kw - 1) + a[11] + 1;
  if (span_h > WT_MAX_DIM || span_w > WT_MAX_DIM)
    return wt_check_fail(detail, size, WT_E_LIMIT, "output size above %u", WT_MAX_DIM);
  const int64_t oh = x->dims[1] ? span_h - a[4] - a[6] : 0, ow = x->dims[2] ? span_w - a[5] - a[7] : 0;
  if (x->dims[0] != 0 && (oh <= 0 || ow <= 0))
    return wt_check_fail(detail, size, WT_E_SHAPE, "the padding leaves no output");
  status = want_shape4(&plan->values[op->out[0]], x->dims[0], oh < 0 ? 0 : (uint64_t)oh,
                       ow < 0 ? 0 : (uint64_t)ow, oc, detail, size);
  if (status != WT_OK) return status;
  return check_clamp_bounds(wt_plan_f32(op->attrs + 48), wt_plan_f32(op->attrs + 52), detail, size);
}

/* pad attrs: mode, value, then (before, after) as int32 for each of the 8 dims of the stored bytes.
 * Output index o of a dim of n reads o - before: outside [0, n) it is the value (constant), the
 * mirror image (reflect, which needs pads below n), the edge (replicate) or the wrap (circular). */
static int check_pad(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  const uint32_t mode = wt_plan_u32(op->attrs);
  if (mode > WT_PAD_CIRCULAR) return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown pad mode %u", mode);
  if (x->rank == 0 || x->rank != y->rank)
    return wt_check_fail(detail, size, WT_E_SHAPE, "input rank %u, output rank %u", x->rank, y->rank);
  uint64_t entries = 0;
  for (uint32_t d = 0; d < WT_MAX_RANK; d++) {
    const int64_t before = (int32_t)wt_plan_u32(op->attrs + 8 + 8 * d);
    const int64_t after = (int32_t)wt_plan_u32(op->attrs + 12 + 8 * d);
    if (d >= x->rank) {
      if (before != 0 || after != 0)
        return wt_check_fail(detail, size, WT_E_OPERANDS, "pads of dim %u beyond rank %u", d, x->rank);
      continue;
    }
    const int64_t n = x->dims[d];
    if (n + before + after != (int64_t)y->dims[d]) {
      char xs[96], ys[96];
      wt_shape_text(x, xs, sizeof xs);
      wt_shape_text(y, ys, sizeof ys);
      return wt_check_fail(detail, size, WT_E_SHAPE, "input %s padded by %lld, %lld on dim %u is not %s",
                           xs, (long long)before, (long long)after, d, ys);
    }
    if (mode != WT_PAD_CONSTANT && y->dims[d] != 0 &&
        (n == 0 || (mode == WT_PAD_REFLECT && (before >= n || after >= n))))
      return wt_check_fail(detail, size, WT_E_SHAPE, "pads %lld, %lld do not fit dim %u of size %lld",
                           (long long)before, (long long)after, d, (long long)n);
    entries += y->dims[d];
  }
  /* one int32 source index per output index of each dim (an empty output may have huge dims) */
  if (entries * sizeof(int32_t) > WT_VISION_MAX_SCRATCH)
    return wt_check_fail(detail, size, WT_E_LIMIT, "index tables above %u bytes", WT_VISION_MAX_SCRATCH);
  return WT_OK;
}

static int check_upsample(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  const uint32_t flags = wt_plan_u32(op->attrs);
  if (flags & ~(WT_RESIZE_ALIGN_CORNERS | WT_RESIZE_LINEAR | WT_RESIZE_SHORTCUT | WT_RESIZE_EXACT |
                WT_RESIZE_FMA | WT_RESIZE_CUBIC))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown flags 0x%x", flags);
  for (int i = 0; i < 2; i++) {
    const float scale = wt_plan_f32(op->attrs + 4 + 4 * i);
    if (!(scale >= 0.0f) || isinf(scale))
      return wt_check_fail(detail, size, WT_E_OPERANDS, "scale %g is not a finite number >= 0", (double)scale);
  }
  int status = want_rank4(x, "the input", detail, size);
  if (status == WT_OK) status = want_rank4(y, "the output", detail, size);
  if (status != WT_OK) return status;
  if (x->dims[0] != 0 && x->dims[3] != 0 &&
      (x->dims[1] == 0 || x->dims[2] == 0 || y->dims[1] == 0 || y->dims[2] == 0))
    return wt_check_fail(detail, size, WT_E_SHAPE, "empty input or output image");
  if (((uint64_t)y->dims[1] + y->dims[2]) * sizeof(wt_resize_tap4) > WT_VISION_MAX_SCRATCH)
    return wt_check_fail(detail, size, WT_E_LIMIT, "resize taps above %u bytes", WT_VISION_MAX_SCRATCH);
  return want_shape4(y, x->dims[0], y->dims[1], y->dims[2], x->dims[3], detail, size);
}

static int check_group_norm(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  const uint32_t flags = wt_plan_u32(op->attrs), groups = wt_plan_u32(op->attrs + 4);
  if (flags & ~(WT_GROUP_NORM_FLAG_WEIGHT | WT_GROUP_NORM_FLAG_BIAS | WT_GROUP_NORM_FLAG_NHWC))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown flags 0x%x", flags);
  const uint32_t params = (flags & 1) + (flags >> 1 & 1);
  if (op->n_in != 1 + params)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "%u inputs, the flags 0x%x call for %u", op->n_in,
                         flags, 1 + params);
  if (x->rank < 2 || !wt_same_shape(x, y)) {
    char xs[96], ys[96];
    wt_shape_text(x, xs, sizeof xs);
    wt_shape_text(y, ys, sizeof ys);
    return wt_check_fail(detail, size, WT_E_SHAPE, "input %s, output %s: expected one shape [N, C, ...]",
                         xs, ys);
  }
  const uint32_t channels = x->dims[flags & WT_GROUP_NORM_FLAG_NHWC ? x->rank - 1 : 1];
  if (groups == 0 || channels % groups != 0)
    return wt_check_fail(detail, size, WT_E_SHAPE, "%u groups do not divide %u channels", groups,
                         channels);
  if ((uint64_t)channels * 2 * sizeof(float) > WT_VISION_MAX_SCRATCH)
    return wt_check_fail(detail, size, WT_E_LIMIT, "%u channels above the limit", channels);
  const int status = check_channel_params(plan, op, 1, params, channels, detail, size);
  if (status != WT_OK) return status;
  return check_eps(wt_plan_f32(op->attrs + 8), detail, size);
}

int wt_vision_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  switch (op->code) {
    case WT_OP_CONV2D: return check_conv2d(plan, op, detail, size);
    case WT_OP_BATCH_NORM: return check_batch_norm(plan, op, detail, size);
    case WT_OP_MAX_POOL2D:
    case WT_OP_MAX_POOL2D_INDICES:
    case WT_OP_AVG_POOL2D: return check_pool2d(plan, op, detail, size);
    case WT_OP_ADAPTIVE_AVG_POOL2D:
    case WT_OP_ADAPTIVE_MAX_POOL2D: return check_adaptive(plan, op, detail, size);
    case WT_OP_CONV_TRANSPOSE2D: return check_conv_transpose2d(plan, op, detail, size);
    case WT_OP_PAD: return check_pad(plan, op, detail, size);
    case WT_OP_UPSAMPLE2D: return check_upsample(plan, op, detail, size);
    case WT_OP_GROUP_NORM: return check_group_norm(plan, op, detail, size);
    case WT_OP_LAYOUT: return check_layout(plan, op, detail, size);
    case WT_OP_ADD_CLAMP: return check_add_clamp(plan, op, detail, size);
    default: return wt_check_fail(detail, size, WT_E_OPCODE, "not a vision op");
  }
}

/* ---- steps ----------------------------------------------------------------------------------- */

typedef struct vstate {
  const float* x;
  const float* b; /* add: the second operand */
  float* y;
  size_t n, h, w, c;  /* input [N, H, W, C] (layout: the NCHW/NHWC dims as H = rows per task unit) */
  size_t oh, ow, oc;  /* output [N, OH, OW, OC] */
  size_t units;       /* work units, split into `tasks` contiguous ranges */
  size_t tasks;
  size_t scratch_stride; /* bytes of scratch per task */
  int row_split;         /* conv: units are output rows (else whole images) */
  int depthwise;
  wt_conv2d_params conv; /* batch 1 */
  wt_pool2d_params pool; /* batch 1 */
  const wt_gemm_config* gemm;
  const wt_dwconv_config* dw;
  const wt_pool_config* pcfg;
  uint32_t direction;
  float min, max;
  float* packed; /* conv: packed weights; batch norm: scale[C] then shift[C]; pad, upsample: tables */
  int64_t* indices;  /* max_pool2d_indices: [N, C, OH, OW] */
  /* pad: the stored dims up to the last padded one (p), each with a table of source indices (-1:
   * the value) per output index; the dims after p are copied as blocks of `block` elements */
  uint32_t pdim;
  uint32_t xdims[WT_MAX_RANK], ydims[WT_MAX_RANK];
  const int32_t* table[WT_MAX_RANK];
  size_t block;
  float value;
  /* group norm: units are (image, group) blocks of cg channels of `block` elements */
  size_t cg;
  float eps;
  int linear, cubic; /* upsample: bilinear, bicubic (else nearest) */
  const wt_resize_config* rcfg;
  const wt_layernorm_config* lcfg;
} vstate;


static size_t align64(size_t n) { return (n + 63) / 64 * 64; }

static void task_range(const vstate* st, size_t task, size_t* u0, size_t* u1) {
  *u0 = task * st->units / st->tasks;
  *u1 = (task + 1) * st->units / st->tasks;
}

static void* task_scratch(const wt_step* s, size_t task) {
  const vstate* st = s->params;
  return (uint8_t*)s->scratch + task * st->scratch_stride;
}

/* Output rows [r0, r1) of image n: the convolution of input rows [start, end) with the padding
 * that the window of rows r0..r1-1 sees. */
static void conv_rows(const vstate* st, size_t n, size_t r0, size_t r1, void* scratch) {
  const wt_conv2d_params* p = &st->conv;
  const ptrdiff_t eff = (ptrdiff_t)p->dilation_height * ((ptrdiff_t)p->kernel_height - 1) + 1;
  const ptrdiff_t top = (ptrdiff_t)(r0 * p->stride_height) - (ptrdiff_t)p->padding_top;
  const ptrdiff_t end = (ptrdiff_t)((r1 - 1) * p->stride_height) - (ptrdiff_t)p->padding_top + eff;
  const size_t start = top < 0 ? 0 : (size_t)top;
  const size_t stop = end > (ptrdiff_t)st->h ? st->h : (size_t)end;
  wt_conv2d_params q = *p;
  q.input_height = stop - start;
  q.padding_top = top < 0 ? (uint32_t)-top : 0;
  q.padding_bottom = end > (ptrdiff_t)st->h ? (uint32_t)(end - (ptrdiff_t)st->h) : 0;
  const float* input = st->x + (n * st->h + start) * st->w * st->c;
  float* output = st->y + (n * st->oh + r0) * st->ow * st->oc;
  if (st->depthwise)
    wt_f32_dwconv_nhwc(st->dw, 1, q.input_height, st->w, st->c, q.kernel_height, q.kernel_width,
                       q.stride_height, q.stride_width, q.padding_top, q.padding_left,
                       q.padding_bottom, q.padding_right, q.dilation_height, q.dilation_width,
                       input, st->packed, output, r1 - r0, st->ow, st->min, st->max, scratch);
  else
    wt_f32_conv2d_nhwc(st->gemm, &q, input, st->packed, output, scratch, st->min, st->max);
}

typedef void (*rows_fn)(const vstate* st, size_t n, size_t r0, size_t r1, void* scratch);

/* The task's units as output rows over the batch (unit n * OH + r): one call per image it covers. */
static void row_runs(const wt_step* s, size_t task, rows_fn fn) {
  const vstate* st = s->params;
  void* scratch = task_scratch(s, task);
  size_t u0, u1;
  task_range(st, task, &u0, &u1);
  while (u0 < u1) {
    const size_t n = u0 / st->oh, r0 = u0 % st->oh;
    const size_t r1 = st->oh - r0 < u1 - u0 ? st->oh : r0 + (u1 - u0);
    fn(st, n, r0, r1, scratch);
    u0 += r1 - r0;
  }
}

static void conv_task(void* context, size_t task) {
  const wt_step* s = context;
  const vstate* st = s->params;
  if (st->row_split) {
    row_runs(s, task, conv_rows);
    return;
  }
  size_t u0, u1;
  task_range(st, task, &u0, &u1);
  for (size_t n = u0; n < u1; n++) conv_rows(st, n, 0, st->oh, task_scratch(s, task));
}

static void maxpool_rows(const vstate* st, size_t n, size_t r0, size_t r1, void* scratch) {
  wt_f32_maxpool2d_nhwc_rows(st->pcfg, &st->pool, st->x + n * st->h * st->w * st->c, r0, r1,
                             st->y + (n * st->oh + r0) * st->ow * st->c, scratch);
}

/* Units are output rows over the batch. */
static void maxpool_task(void* context, size_t task) { row_runs(context, task, maxpool_rows); }

static void pool_task(void* context, size_t task, uint16_t code) {
  const wt_step* s = context;
  const vstate* st = s->params;
  void* scratch = task_scratch(s, task);
  size_t u0, u1;
  task_range(st, task, &u0, &u1);
  for (size_t n = u0; n < u1; n++) {
    const float* x = st->x + n * st->h * st->w * st->c;
    float* y = st->y + n * st->oh * st->ow * st->c;
    if (code == WT_OP_AVG_POOL2D)
      wt_f32_avgpool2d_nhwc(st->pcfg, &st->pool, x, y, scratch);
    else if (code == WT_OP_ADAPTIVE_MAX_POOL2D)
      wt_f32_adaptive_maxpool2d_nhwc(st->pcfg, 1, st->h, st->w, st->c, st->oh, st->ow, x, y, scratch);
    else if (st->oh == 1 && st->ow == 1)
      wt_f32_global_avgpool_nhwc(st->pcfg, 1, st->h * st->w, st->c, x, y);
    else
      wt_f32_adaptive_avgpool2d_nhwc(st->pcfg, 1, st->h, st->w, st->c, st->oh, st->ow, x, y,
                                     scratch);
  }
}

static void adaptive_max_task(void* c, size_t t) { pool_task(c, t, WT_OP_ADAPTIVE_MAX_POOL2D); }
static void avgpool_task(void* c, size_t t) { pool_task(c, t, WT_OP_AVG_POOL2D); }
static void adaptive_task(void* c, size_t t) { pool_task(c, t, WT_OP_ADAPTIVE_AVG_POOL2D); }

/* Rows of C channels: y = clamp(x * scale + shift). */
static void batch_norm_task(void* context, size_t task) {
  const wt_step* s = context;
  const vstate* st = s->params;
  const size_t C = st->c;
  const float* scale = st->packed;
  const float* shift = st->packed + C;
  const float lo = st->min, hi = st->max;
  size_t u0, u1;
  task_range(st, task, &u0, &u1);
  for (size_t r = u0; r < u1; r++) {
    const float* x = st->x + r * C;
    float* y = st->y + r * C;
    for (size_t c = 0; c < C; c++) {
      float v = x[c] * scale[c] + shift[c];
      v = v < lo ? lo : v;
      y[c] = hi < v ? hi : v;
    }
  }
}

/* Units are rows (n, h) of the NCHW tensor [N, C, H, W] on either side. */
static void layout_task(void* context, size_t task) {
  const wt_step* s = context;
  const vstate* st = s->params;
  const size_t C = st->c, H = st->h, W = st->w;
  size_t u0, u1;
  task_range(st, task, &u0, &u1);
  for (size_t u = u0; u < u1; u++) {
    const size_t n = u / H, h = u % H;
    if (st->direction == WT_LAYOUT_NCHW_TO_NHWC) {
      float* y = st->y + u * W * C;
      for (size_t c = 0; c < C; c++) {
        const float* x = st->x + ((n * C + c) * H + h) * W;
        for (size_t w = 0; w < W; w++) y[w * C + c] = x[w];
      }
    } else {
      const float* x = st->x + u * W * C;
      for (size_t c = 0; c < C; c++) {
        float* y = st->y + ((n * C + c) * H + h) * W;
        for (size_t w = 0; w < W; w++) y[w] = x[w * C + c];
      }
    }
  }
}

/* Units are blocks of 16 elements. Same comparisons as the GEMM epilogue (torch.clamp). */
static void add_clamp_task(void* context, size_t task) {
  const wt_step* s = context;
  const vstate* st = s->params;
  size_t u0, u1;
  task_range(st, task, &u0, &u1);
  const size_t e0 = u0 * 16, e1 = u1 * 16 < st->n ? u1 * 16 : st->n;
  const float lo = st->min, hi = st->max;
  for (size_t i = e0; i < e1; i++) {
    float v = st->x[i] + st->b[i];
    v = v < lo ? lo : v;
    st->y[i] = hi < v ? hi : v;
  }
}

/* Units are output rows (n, oh): the f32-pool argmax kernel writes the row's values and int32
 * indices ([OW, C], in the scratch after the kernel's taps), which go to torch's NCHW int64. */
static void maxpool_indices_task(void* context, size_t task) {
  const wt_step* s = context;
  const vstate* st = s->params;
  const size_t C = st->c, OH = st->oh, OW = st->ow;
  uint8_t* scratch = task_scratch(s, task);
  int32_t* row = (int32_t*)(scratch + align64(wt_f32_argmaxpool2d_nhwc_scratch_bytes(&st->pool)));
  size_t u0, u1;
  task_range(st, task, &u0, &u1);
  for (size_t u = u0; u < u1; u++) {
    const size_t n = u / OH, oh = u % OH;
    wt_f32_argmaxpool2d_nhwc_rows(st->pcfg, &st->pool, st->x + n * st->h * st->w * C, oh, oh + 1,
                                  st->y + u * OW * C, row, scratch);
    for (size_t ow = 0; ow < OW; ow++)
      for (size_t c = 0; c < C; c++) st->indices[((n * C + c) * OH + oh) * OW + ow] = row[ow * C + c];
  }
}

/* Units are output rows (all dims up to pdim but the last); each row is ydims[pdim] blocks. */
static void pad_task(void* context, size_t task) {
  const wt_step* s = context;
  const vstate* st = s->params;
  const uint32_t p = st->pdim;
  const size_t B = st->block, out_len = st->ydims[p], in_len = st->xdims[p];
  size_t u0, u1;
  task_range(st, task, &u0, &u1);
  for (size_t u = u0; u < u1; u++) {
    /* the source row of output row u, or -1 when a dim before pdim lands in the padding */
    ptrdiff_t src = 0, stride = 1;
    size_t rest = u;
    for (uint32_t d = p; d-- > 0;) {
      const int32_t t = st->table[d][rest % st->ydims[d]];
      rest /= st->ydims[d];
      if (t < 0) {
        src = -1;
        break;
      }
      src += (ptrdiff_t)t * stride;
      stride *= (ptrdiff_t)st->xdims[d];
    }
    float* y = st->y + u * out_len * B;
    const int32_t* table = st->table[p];
    for (size_t o = 0; o < out_len;) {
      const int32_t t = table[o];
      if (src < 0 || t < 0) {
        for (size_t i = 0; i < B; i++) y[i] = st->value;
        o++, y += B;
        continue;
      }
      size_t run = 1; /* consecutive source blocks: one copy (the unpadded middle of a row) */
      while (o + run < out_len && table[o + run] == t + (int32_t)run) run++;
      memcpy(y, st->x + ((size_t)src * in_len + (size_t)t) * B, run * B * sizeof(float));
      o += run, y += run * B;
    }
  }
}

/* packed holds the OH row taps, then the OW column taps (bicubic: wt_resize_tap4). */
static void upsample_rows(const vstate* st, size_t n, size_t r0, size_t r1, void* scratch) {
  (void)scratch;
  const float* x = st->x + n * st->h * st->w * st->c;
  float* y = st->y + (n * st->oh + r0) * st->ow * st->c;
  if (st->cubic) {
    const wt_resize_tap4* rows = (const wt_resize_tap4*)st->packed;
    wt_f32_resize2d_cubic_nhwc_rows(st->rcfg, st->w, st->c, rows, rows + st->oh, st->ow, x, r0, r1, y);
  } else {
    const wt_resize_tap* rows = (const wt_resize_tap*)st->packed;
    wt_f32_resize2d_nhwc_rows(st->rcfg, st->linear, st->w, st->c, rows, rows + st->oh, st->ow, x, r0,
                              r1, y);
  }
}

/* Units are output rows over the batch. */
static void upsample_task(void* context, size_t task) { row_runs(context, task, upsample_rows); }

/* Units are (image, group): cg channels of `block` elements, one contiguous run in NCHW (the
 * f32-layernorm family's statistics); packed holds gamma[C] (ones when absent) then beta[C]. */
static void group_norm_task(void* context, size_t task) {
  const wt_step* s = context;
  const vstate* st = s->params;
  size_t u0, u1;
  task_range(st, task, &u0, &u1);
  const size_t span = st->cg * st->block, groups = st->c / st->cg;
  for (size_t u = u0; u < u1; u++) {
    const float* gamma = st->packed + u % groups * st->cg;
    wt_f32_groupnorm(st->lcfg, 1, 1, st->cg, st->block, st->x + u * span, gamma, gamma + st->c,
                     st->eps, st->y + u * span);
  }
}

/* NHWC: units are (image, group), the group's cg channels of every pixel; statistics in double
 * (two passes), then a scale and shift per channel (the task's scratch holds them). */
static void group_norm_nhwc_task(void* context, size_t task) {
  const wt_step* s = context;
  const vstate* st = s->params;
  const size_t C = st->c, CG = st->cg, P = st->block, groups = C / CG;
  float* scale = task_scratch(s, task);
  float* shift = scale + CG;
  size_t u0, u1;
  task_range(st, task, &u0, &u1);
  for (size_t u = u0; u < u1; u++) {
    const size_t n = u / groups, c0 = u % groups * CG;
    const float* x = st->x + n * P * C + c0;
    float* y = st->y + n * P * C + c0;
    double sum = 0.0, sq = 0.0;
    for (size_t p = 0; p < P; p++)
      for (size_t j = 0; j < CG; j++) sum += x[p * C + j];
    const double count = (double)(P * CG), mean = count > 0 ? sum / count : 0.0;
    for (size_t p = 0; p < P; p++)
      for (size_t j = 0; j < CG; j++) sq += ((double)x[p * C + j] - mean) * ((double)x[p * C + j] - mean);
    const double rstd = 1.0 / sqrt((count > 0 ? sq / count : 0.0) + (double)st->eps);
    for (size_t j = 0; j < CG; j++) {
      const double g = rstd * st->packed[c0 + j];
      scale[j] = (float)g;
      shift[j] = (float)((double)st->packed[C + c0 + j] - mean * g);
    }
    for (size_t p = 0; p < P; p++)
      for (size_t j = 0; j < CG; j++) y[p * C + j] = x[p * C + j] * scale[j] + shift[j];
  }
}

/* Output rows [r0, r1) of image n: the transposed convolution of the input rows whose taps can
 * reach them, with the top padding moved so that local output row 0 is row r0 and the bottom
 * padding (or output padding) cut so that there are r1 - r0 rows; the kernel drops the taps that
 * fall outside them. At least one input row runs, so every output row gets its bias. */
static void conv_transpose_rows(const vstate* st, size_t n, size_t r0, size_t r1, void* scratch) {
  const wt_conv2d_params* p = &st->conv;
  const ptrdiff_t s = p->stride_height, reach = (ptrdiff_t)p->dilation_height * (p->kernel_height - 1);
  const ptrdiff_t top = (ptrdiff_t)r0 + p->padding_top - reach;
  size_t i1 = ((size_t)r1 - 1 + p->padding_top) / (size_t)s + 1;
  i1 = i1 < st->h ? i1 : st->h;
  size_t i0 = top > 0 ? (size_t)(top / s) : 0;
  i0 = i0 < i1 ? i0 : i1 - 1;
  wt_conv2d_params q = *p;
  q.input_height = i1 - i0;
  q.padding_top = (uint32_t)((ptrdiff_t)p->padding_top + (ptrdiff_t)r0 - (ptrdiff_t)i0 * s);
  const ptrdiff_t extra = ((ptrdiff_t)q.input_height - 1) * s - (ptrdiff_t)q.padding_top + reach + 1 -
                          (ptrdiff_t)(r1 - r0);
  q.padding_bottom = extra > 0 ? (uint32_t)extra : 0;
  q.output_padding_height = extra < 0 ? (uint32_t)-extra : 0;
  wt_f32_deconv2d_nhwc(st->gemm, &q, st->x + (n * st->h + i0) * st->w * st->c, st->packed,
                       st->y + (n * st->oh + r0) * st->ow * st->oc, scratch, st->min, st->max);
}

/* Units are output rows over the batch (N * OH). */
static void conv_transpose_task(void* context, size_t task) {
  row_runs(context, task, conv_transpose_rows);
}

#define WT_VISION_RUN(name, task_fn)                                  \
  static void name(const wt_step* s, wt_threadpool* pool) {           \
    const vstate* st = s->params;                                     \
    wt_threadpool_run(pool, task_fn, (void*)s, st->tasks);            \
  }
WT_VISION_RUN(run_conv, conv_task)
WT_VISION_RUN(run_maxpool, maxpool_task)
WT_VISION_RUN(run_avgpool, avgpool_task)
WT_VISION_RUN(run_adaptive, adaptive_task)
WT_VISION_RUN(run_batch_norm, batch_norm_task)
WT_VISION_RUN(run_layout, layout_task)
WT_VISION_RUN(run_add_clamp, add_clamp_task)
WT_VISION_RUN(run_adaptive_max, adaptive_max_task)
WT_VISION_RUN(run_maxpool_indices, maxpool_indices_task)
WT_VISION_RUN(run_pad, pad_task)
WT_VISION_RUN(run_upsample, upsample_task)
WT_VISION_RUN(run_group_norm, group_norm_task)
WT_VISION_RUN(run_group_norm_nhwc, group_norm_nhwc_task)
WT_VISION_RUN(run_conv_transpose, conv_transpose_task)
#undef WT_VISION_RUN

/* ---- build ----------------------------------------------------------------------------------- */


static size_t split(size_t units, size_t threads) { return units < threads ? units : threads; }

/* Batch norm as y = x * scale + shift, in double: scale = gamma / sqrt(var + eps),
 * shift = beta - mean * scale (plus bias * scale when folding into a convolution). */
static void bn_scale_shift(const float* gamma, const float* beta, const float* mean,
                           const float* var, const float* bias, float eps, size_t c,
                           double* scale, double* shift) {
  for (size_t i = 0; i < c; i++) {
    scale[i] = (double)gamma[i] / sqrt((double)var[i] + (double)eps);
    shift[i] = (double)beta[i] + ((bias ? (double)bias[i] : 0.0) - (double)mean[i]) * scale[i];
  }
}

/* The geometry convolutions and transposed convolutions share: attrs a[1..9] are groups, strides,
 * paddings (top, left, bottom, right) and dilations; the weight is [*, *, KH, KW]. */
static void conv_geometry(vstate* st, const wt_value* wv, const uint32_t* a, size_t output_channels) {
  wt_conv2d_params* p = &st->conv;
  p->batch = 1;
  p->input_height = st->h;
  p->input_width = st->w;
  p->input_channels = st->c;
  p->output_channels = output_channels;
  p->groups = a[1];
  p->kernel_height = wv->dims[2];
  p->kernel_width = wv->dims[3];
  p->stride_height = a[2];
  p->stride_width = a[3];
  p->padding_top = a[4];
  p->padding_left = a[5];
  p->padding_bottom = a[6];
  p->padding_right = a[7];
  p->dilation_height = a[8];
  p->dilation_width = a[9];
}

/* Conv geometry into st->conv and kernel choice; returns the packed weight bytes. */
static size_t conv_setup(const wt_plan* plan, const wt_op* op, vstate* st) {
  const wt_value* wv = &plan->values[op->in[1]];
  uint32_t a[10];
  read_u32s(op->attrs, a, 10);
  wt_conv2d_params* p = &st->conv;
  conv_geometry(st, wv, a, wv->dims[0]);
  st->min = wt_plan_f32(op->attrs + 44);
  st->max = wt_plan_f32(op->attrs + 48);
  st->depthwise = a[1] == st->c && wv->dims[0] == st->c && wv->dims[1] == 1;
  /* Rows split when every single output row's window overlaps the input (always, unless the
   * padding exceeds the kernel). */
  const uint64_t eff = (uint64_t)p->dilation_height * (p->kernel_height - 1) + 1;
  st->row_split = eff > p->padding_top &&
                  (st->oh == 0 ||
                   (uint64_t)(st->oh - 1) * p->stride_height < st->h + (uint64_t)p->padding_top);
  st->units = st->row_split ? st->n * st->oh : st->n;
  if (st->depthwise) {
    st->dw = wt_f32_dwconv_config(WT_VISION_DWCONV);
    return wt_f32_dwconv_packed_elements(st->c, p->kernel_height * p->kernel_width,
                                         st->dw->channel_tile) *
           sizeof(float);
  }
  st->gemm = wt_f32_gemm_config(WT_VISION_GEMM);
  return wt_f32_conv2d_nhwc_packed_bytes(st->gemm, p);
}

static uint64_t conv_scratch(const vstate* st) {
  const wt_conv2d_params* p = &st->conv;
  if (st->depthwise)
    return wt_f32_dwconv_scratch_bytes(st->c, p->kernel_height, p->kernel_width, p->stride_width,
                                       p->dilation_width, st->ow);
  return wt_f32_conv2d_nhwc_scratch_bytes(st->gemm, p);
}

/* Folds batch norm (when present) into a temporary copy of the weights, then packs. */
static int conv_pack(const wt_plan* plan, const wt_op* op, vstate* st) {
  const wt_value* wv = &plan->values[op->in[1]];
  const uint32_t flags = wt_plan_u32(op->attrs);
  const int has_bias = (flags & WT_CONV2D_FLAG_BIAS) != 0, has_bn = (flags & WT_CONV2D_FLAG_BN) != 0;
  const size_t OC = wv->dims[0], K = (size_t)wv->dims[1] * wv->dims[2] * wv->dims[3];
  const float* weight = (const float*)(plan->weights + wv->offset);
  const float* bias =
      has_bias ? (const float*)(plan->weights + plan->values[op->in[2]].offset) : NULL;
  float* folded = NULL;
  if (has_bn) {
    const float* bn[4];
    for (int i = 0; i < 4; i++)
      bn[i] = (const float*)(plan->weights + plan->values[op->in[2 + has_bias + i]].offset);
    folded = malloc((OC * K + OC) * sizeof(float));
    double* ss = malloc(2 * OC * sizeof(double));
    if (folded == NULL || ss == NULL) {
      free(folded);
      free(ss);
      return wt_fail(WT_E_NOMEM, "out of memory folding batch norm into %zu channels", OC);
    }
    bn_scale_shift(bn[0], bn[1], bn[2], bn[3], bias, wt_plan_f32(op->attrs + 40), OC, ss,
                   ss + OC);
    for (size_t o = 0; o < OC; o++) {
      for (size_t i = 0; i < K; i++) folded[o * K + i] = (float)((double)weight[o * K + i] * ss[o]);
      folded[OC * K + o] = (float)ss[OC + o];
    }
    free(ss);
    weight = folded;
    bias = folded + OC * K;
  }
  const wt_conv2d_params* p = &st->conv;
  if (st->depthwise)
    wt_f32_dwconv_packw_ghw(OC, p->kernel_height, p->kernel_width, st->dw->channel_tile, weight,
                            bias, st->packed);
  else
    wt_f32_conv2d_nhwc_pack(st->gemm, p, weight, bias, st->packed);
  free(folded);
  return WT_OK;
}

static const float* constant(const wt_plan* plan, const wt_op* op, uint32_t i) {
  return (const float*)(plan->weights + plan->values[op->in[i]].offset);
}

/* conv_transpose2d geometry into st->conv; returns the packed weight bytes. */
static size_t conv_transpose_setup(const wt_plan* plan, const wt_op* op, vstate* st) {
  const wt_value* wv = &plan->values[op->in[1]];
  uint32_t a[12];
  read_u32s(op->attrs, a, 12);
  wt_conv2d_params* p = &st->conv;
  conv_geometry(st, wv, a, st->oc);
  p->output_padding_height = a[10];
  p->output_padding_width = a[11];
  st->min = wt_plan_f32(op->attrs + 48);
  st->max = wt_plan_f32(op->attrs + 52);
  st->gemm = wt_f32_gemm_config(WT_VISION_GEMM);
  st->units = st->h ? st->n * st->oh : 0;
  return wt_f32_deconv2d_nhwc_packed_bytes(st->gemm, p);
}

/* Pad geometry from the attrs; returns the bytes of the index tables. */
static size_t pad_setup(const wt_op* op, const wt_value* x, const wt_value* y, vstate* st) {
  st->value = wt_plan_f32(op->attrs + 4);
  st->pdim = 0;
  for (uint32_t d = 0; d < x->rank; d++) {
    st->xdims[d] = x->dims[d];
    st->ydims[d] = y->dims[d];
    if (wt_plan_u32(op->attrs + 8 + 8 * d) != 0 || wt_plan_u32(op->attrs + 12 + 8 * d) != 0) st->pdim = d;
  }
  st->block = 1;
  for (uint32_t d = st->pdim + 1; d < x->rank; d++) st->block *= x->dims[d];
  st->units = 1;
  size_t entries = 0;
  for (uint32_t d = 0; d <= st->pdim; d++) {
    if (d < st->pdim) st->units *= y->dims[d];
    entries += y->dims[d];
  }
  return entries * sizeof(int32_t);
}

static void pad_tables(const wt_op* op, vstate* st) {
  const uint32_t mode = wt_plan_u32(op->attrs);
  int32_t* t = (int32_t*)st->packed;
  for (uint32_t d = 0; d <= st->pdim; d++) {
    const int64_t before = (int32_t)wt_plan_u32(op->attrs + 8 + 8 * d), n = st->xdims[d];
    st->table[d] = t;
    for (int64_t o = 0; o < (int64_t)st->ydims[d]; o++) {
      int64_t i = o - before;
      if (i < 0 || i >= n) {
        if (mode == WT_PAD_CONSTANT) i = -1;
        else if (mode == WT_PAD_REFLECT) i = i < 0 ? -i : 2 * (n - 1) - i;
        else if (mode == WT_PAD_REPLICATE) i = i < 0 ? 0 : n - 1;
        else i = (i % n + n) % n;
      }
      *t++ = (int32_t)i;
    }
  }
}

static void upsample_tables(const wt_op* op, vstate* st) {
  const uint32_t flags = wt_plan_u32(op->attrs);
  const float scale_h = wt_plan_f32(op->attrs + 4), scale_w = wt_plan_f32(op->attrs + 8);
  if (st->cubic) {
    wt_resize_tap4* t = (wt_resize_tap4*)st->packed;
    for (size_t i = 0; i < st->oh; i++) *t++ = wt_resize_cubic_tap_of(flags, scale_h, st->h, st->oh, i);
    for (size_t i = 0; i < st->ow; i++) *t++ = wt_resize_cubic_tap_of(flags, scale_w, st->w, st->ow, i);
    return;
  }
  wt_resize_tap* t = (wt_resize_tap*)st->packed;
  for (size_t i = 0; i < st->oh; i++) *t++ = wt_resize_tap_of(flags, scale_h, st->h, st->oh, i);
  for (size_t i = 0; i < st->ow; i++) *t++ = wt_resize_tap_of(flags, scale_w, st->w, st->ow, i);
}

static void group_norm_params(const wt_plan* plan, const wt_op* op, vstate* st) {
  const uint32_t flags = wt_plan_u32(op->attrs);
  const float* gamma = flags & WT_GROUP_NORM_FLAG_WEIGHT ? constant(plan, op, 1) : NULL;
  const float* beta =
      flags & WT_GROUP_NORM_FLAG_BIAS ? constant(plan, op, 1 + (flags & WT_GROUP_NORM_FLAG_WEIGHT)) : NULL;
  for (size_t c = 0; c < st->c; c++) {
    st->packed[c] = gamma ? gamma[c] : 1.0f;
    st->packed[st->c + c] = beta ? beta[c] : 0.0f;
  }
}

int wt_vision_build(const wt_plan* plan, const wt_op* op, uint8_t* arena, const uint8_t* weights,
                    wt_step* s, size_t threads, size_t* scratch_bytes) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  vstate g;
  memset(&g, 0, sizeof g);
  g.x = (const float*)((x->space == WT_SPACE_ARENA ? arena : weights) + x->offset);
  g.y = (float*)(arena + y->offset);
  if (x->rank == 4) {
    g.n = x->dims[0];
    g.h = x->dims[1];
    g.w = x->dims[2];
    g.c = x->dims[3];
  }
  if (y->rank == 4) {
    g.oh = y->dims[1];
    g.ow = y->dims[2];
    g.oc = y->dims[3];
  }
  size_t extra = 0;     /* bytes after the state: packed weights, scale/shift */
  uint64_t scratch = 0; /* per task */
  wt_step_fn run = NULL;
  switch (op->code) {
    case WT_OP_CONV2D:
      extra = conv_setup(plan, op, &g);
      scratch = conv_scratch(&g);
      run = run_conv;
      break;
    case WT_OP_BATCH_NORM:
      g.c = x->dims[x->rank - 1];
      g.units = g.c ? elements(x) / g.c : 0;
      extra = 2 * g.c * sizeof(float);
      g.min = wt_plan_f32(op->attrs + 4);
      g.max = wt_plan_f32(op->attrs + 8);
      run = run_batch_norm;
      break;
    case WT_OP_MAX_POOL2D:
    case WT_OP_AVG_POOL2D:
      pool_params(op, x, &g.pool);
      g.pcfg = wt_f32_pool_config(WT_VISION_POOL);
      g.units = op->code == WT_OP_MAX_POOL2D ? g.n * g.oh : g.n; /* max: rows */
      scratch = op->code == WT_OP_MAX_POOL2D ? wt_f32_maxpool2d_nhwc_scratch_bytes(&g.pool)
                                             : wt_f32_avgpool2d_nhwc_scratch_bytes(&g.pool);
      run = op->code == WT_OP_MAX_POOL2D ? run_maxpool : run_avgpool;
      break;
    case WT_OP_ADAPTIVE_AVG_POOL2D:
      g.pcfg = wt_f32_pool_config(WT_VISION_POOL);
      g.units = g.n;
      if (g.oh != 1 || g.ow != 1)
        scratch = wt_f32_adaptive_pool2d_nhwc_scratch_bytes(g.h, g.w, g.c, g.oh, g.ow);
      run = run_adaptive;
      break;
    case WT_OP_LAYOUT:
      g.direction = wt_plan_u32(op->attrs);
      /* as NCHW [N, C, H, W]: */
      if (g.direction == WT_LAYOUT_NCHW_TO_NHWC) {
        g.c = x->dims[1];
        g.h = x->dims[2];
        g.w = x->dims[3];
      }
      g.units = g.n * g.h;
      run = run_layout;
      break;
    case WT_OP_ADAPTIVE_MAX_POOL2D:
      g.pcfg = wt_f32_pool_config(WT_VISION_POOL);
      g.units = g.n;
      scratch = wt_f32_adaptive_pool2d_nhwc_scratch_bytes(g.h, g.w, g.c, g.oh, g.ow);
      run = run_adaptive_max;
      break;
    case WT_OP_MAX_POOL2D_INDICES:
      pool_params(op, x, &g.pool);
      g.indices = (int64_t*)(arena + plan->values[op->out[1]].offset);
      g.pcfg = wt_f32_pool_config(WT_VISION_POOL);
      g.units = g.n * g.oh;
      scratch = align64(wt_f32_argmaxpool2d_nhwc_scratch_bytes(&g.pool)) + (uint64_t)g.ow * g.c * sizeof(int32_t);
      run = run_maxpool_indices;
      break;
    case WT_OP_CONV_TRANSPOSE2D:
      extra = conv_transpose_setup(plan, op, &g);
      scratch = wt_f32_deconv2d_nhwc_scratch_bytes(g.gemm, &g.conv);
      run = run_conv_transpose;
      break;
    case WT_OP_PAD:
      extra = pad_setup(op, x, y, &g);
      run = run_pad;
      break;
    case WT_OP_UPSAMPLE2D:
      g.linear = (wt_plan_u32(op->attrs) & WT_RESIZE_LINEAR) != 0;
      g.cubic = !g.linear && (wt_plan_u32(op->attrs) & WT_RESIZE_CUBIC) != 0;
      g.rcfg = wt_f32_resize_config(WT_VISION_RESIZE);
      g.units = g.n * g.oh;
      extra = (g.oh + g.ow) * (g.cubic ? sizeof(wt_resize_tap4) : sizeof(wt_resize_tap));
      run = run_upsample;
      break;
    case WT_OP_GROUP_NORM: {
      /* block: elements per channel (NCHW) or pixels (NHWC) of one image */
      const int nhwc = (wt_plan_u32(op->attrs) & WT_GROUP_NORM_FLAG_NHWC) != 0;
      g.c = x->dims[nhwc ? x->rank - 1 : 1];
      g.cg = g.c / wt_plan_u32(op->attrs + 4);
      g.block = 1;
      for (uint32_t d = nhwc ? 1 : 2; d < x->rank - (uint32_t)nhwc; d++) g.block *= x->dims[d];
      g.units = x->dims[0] * (g.c / g.cg);
      g.eps = wt_plan_f32(op->attrs + 8);
      g.lcfg = wt_f32_layernorm_config(WT_VISION_NORM);
      extra = 2 * g.c * sizeof(float);
      scratch = nhwc ? 2 * g.cg * sizeof(float) : 0;
      run = nhwc ? run_group_norm_nhwc : run_group_norm;
      break;
    }
    case WT_OP_ADD_CLAMP: {
      const wt_value* b = &plan->values[op->in[1]];
      g.b = (const float*)((b->space == WT_SPACE_ARENA ? arena : weights) + b->offset);
      g.n = elements(y);
      g.units = (g.n + 15) / 16;
      g.min = wt_plan_f32(op->attrs);
      g.max = wt_plan_f32(op->attrs + 4);
      run = run_add_clamp;
      break;
    }
    default:
      return wt_fail(WT_E_OPCODE, "op code %u is not a vision op", op->code);
  }
  if (scratch > WT_VISION_MAX_SCRATCH)
    return wt_fail(WT_E_LIMIT, "a step needs %llu bytes of scratch, above %u",
                   (unsigned long long)scratch, WT_VISION_MAX_SCRATCH);
  g.tasks = split(g.units, threads);
  g.scratch_stride = align64((size_t)scratch);
  vstate* st = aligned_alloc(64, align64(sizeof g) + align64(extra ? extra : 1));
  if (st == NULL) return wt_fail(WT_E_NOMEM, "out of memory: %zu bytes for a step", extra);
  *st = g;
  st->packed = (float*)((uint8_t*)st + align64(sizeof g));
  s->owned = st;
  s->params = st;
  s->run = run;
  if (op->code == WT_OP_CONV2D) {
    const int status = conv_pack(plan, op, st);
    if (status != WT_OK) return status;
  } else if (op->code == WT_OP_CONV_TRANSPOSE2D) {
    const uint32_t has_bias = wt_plan_u32(op->attrs) & WT_CONV2D_FLAG_BIAS;
    wt_f32_deconv2d_nhwc_pack(st->gemm, &st->conv, constant(plan, op, 1),
                              has_bias ? constant(plan, op, 2) : NULL, st->packed);
  } else if (op->code == WT_OP_PAD) {
    pad_tables(op, st);
  } else if (op->code == WT_OP_UPSAMPLE2D) {
    upsample_tables(op, st);
  } else if (op->code == WT_OP_GROUP_NORM) {
    group_norm_params(plan, op, st);
  } else if (op->code == WT_OP_BATCH_NORM) {
    double* ss = malloc(2 * st->c * sizeof(double) + 1);
    if (ss == NULL) return wt_fail(WT_E_NOMEM, "out of memory for batch norm");
    bn_scale_shift(constant(plan, op, 1), constant(plan, op, 2), constant(plan, op, 3),
                   constant(plan, op, 4), NULL, wt_plan_f32(op->attrs), st->c, ss, ss + st->c);
    for (size_t i = 0; i < 2 * st->c; i++) st->packed[i] = (float)ss[i];
    free(ss);
  }
  *scratch_bytes = st->scratch_stride * st->tasks;
  return WT_OK;
}
