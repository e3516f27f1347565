/* Parsing and validation of .wtm plans (format: docs/wtm-format.md). Nothing is trusted: every
 * count, offset, size, id, op code and shape is checked before use, and arithmetic on file values
 * is done in 64 bits so no check can wrap. A bad plan gets a status code and a one-line message,
 * never a trap or an out-of-bounds read. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_plan.h"
#include "wt_attention.h"
#include "wt_check.h"
#include "wt_indexing.h"
#include "wt_dtype_ops.h"
#include "wt_sequence.h"
#include "wt_sha256.h"
#include "wt_transformer.h"
#include "wt_vision.h"

/* ---- errors ------------------------------------------------------------------------------- */

static int error_code;
static char error_message[512];

int wt_fail(int code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(error_message, sizeof error_message, fmt, ap);
  va_end(ap);
  error_code = code;
  return code;
}

int wt_error_code(void) { return error_code; }
const char* wt_error_message(void) { return error_message; }

void wt_error_clear(void) {
  error_code = WT_OK;
  error_message[0] = '\0';
}

/* ---- little-endian readers ---------------------------------------------------------------- */

static uint16_t u16(const uint8_t* p) { return (uint16_t)(p[0] | p[1] << 8); }

uint32_t wt_plan_u32(const uint8_t* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

float wt_plan_f32(const uint8_t* p) {
  const uint32_t bits = wt_plan_u32(p);
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static int all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0) return 0;
  return 1;
}

/* ---- the op table: operand counts, attribute bytes and shape rules per op code ----------------
 */

typedef struct op_desc {
  const char* name;
  uint8_t min_in, max_in, n_out;
  uint8_t attr_bytes;
  int (*check)(const wt_plan* plan, const wt_op* op, uint32_t index);
} op_desc;

static int check_gemm(const wt_plan*, const wt_op*, uint32_t);
static int check_clamp(const wt_plan*, const wt_op*, uint32_t);
static int check_same_shape(const wt_plan*, const wt_op*, uint32_t);
static int check_reshape(const wt_plan*, const wt_op*, uint32_t);
static int check_vision(const wt_plan*, const wt_op*, uint32_t);
static int check_transformer(const wt_plan*, const wt_op*, uint32_t);
static int check_sequence(const wt_plan*, const wt_op*, uint32_t);
static int check_attention(const wt_plan*, const wt_op*, uint32_t);
static int check_indexing(const wt_plan*, const wt_op*, uint32_t);
static int check_dtype_op(const wt_plan*, const wt_op*, uint32_t);

static const op_desc OPS[WT_OP_COUNT] = {
    [WT_OP_GEMM] = {"gemm", 2, 3, 1, 12, check_gemm},
    [WT_OP_CLAMP] = {"clamp", 1, 1, 1, 8, check_clamp},
    [WT_OP_ADD] = {"add", 2, 2, 1, 0, check_same_shape},
    [WT_OP_RESHAPE] = {"reshape", 1, 1, 1, 0, check_reshape},
    [WT_OP_COPY] = {"copy", 1, 1, 1, 0, check_same_shape},
    [WT_OP_CONV2D] = {"conv2d", 2, 7, 1, WT_CONV2D_ATTR_BYTES, check_vision},
    [WT_OP_BATCH_NORM] = {"batch_norm", 5, 5, 1, WT_BATCH_NORM_ATTR_BYTES, check_vision},
    [WT_OP_MAX_POOL2D] = {"max_pool2d", 1, 1, 1, WT_POOL2D_ATTR_BYTES, check_vision},
    [WT_OP_AVG_POOL2D] = {"avg_pool2d", 1, 1, 1, WT_POOL2D_ATTR_BYTES, check_vision},
    [WT_OP_ADAPTIVE_AVG_POOL2D] = {"adaptive_avg_pool2d", 1, 1, 1, 0, check_vision},
    [WT_OP_LAYOUT] = {"layout", 1, 1, 1, WT_LAYOUT_ATTR_BYTES, check_vision},
    [WT_OP_ADD_CLAMP] = {"add_clamp", 2, 2, 1, WT_ADD_CLAMP_ATTR_BYTES, check_vision},
    [WT_OP_CONV_TRANSPOSE2D] = {"conv_transpose2d", 2, 3, 1, WT_CONV_TRANSPOSE2D_ATTR_BYTES, check_vision},
    [WT_OP_PAD] = {"pad", 1, 1, 1, WT_PAD_ATTR_BYTES, check_vision},
    [WT_OP_MAX_POOL2D_INDICES] = {"max_pool2d_indices", 1, 1, 2, WT_POOL2D_ATTR_BYTES, check_vision},
    [WT_OP_ADAPTIVE_MAX_POOL2D] = {"adaptive_max_pool2d", 1, 1, 1, 0, check_vision},
    [WT_OP_UPSAMPLE2D] = {"upsample2d", 1, 1, 1, WT_UPSAMPLE2D_ATTR_BYTES, check_vision},
    [WT_OP_GROUP_NORM] = {"group_norm", 1, 3, 1, WT_GROUP_NORM_ATTR_BYTES, check_vision},
    [WT_OP_EMBEDDING] = {"embedding", 2, 2, 1, 0, check_transformer},
    [WT_OP_BINARY] = {"binary", 1, 2, 1, WT_BINARY_ATTR_BYTES, check_transformer},
    [WT_OP_UNARY] = {"unary", 1, 1, 1, WT_UNARY_ATTR_BYTES, check_transformer},
    [WT_OP_LAYER_NORM] = {"layer_norm", 1, 3, 1, WT_LAYER_NORM_ATTR_BYTES, check_transformer},
    [WT_OP_SOFTMAX] = {"softmax", 1, 1, 1, WT_SOFTMAX_ATTR_BYTES, check_transformer},
    [WT_OP_MATMUL] = {"matmul", 2, 2, 1, WT_MATMUL_ATTR_BYTES, check_transformer},
    [WT_OP_TRANSPOSE] = {"transpose", 1, 1, 1, WT_TRANSPOSE_ATTR_BYTES, check_transformer},
    [WT_OP_SLICE] = {"slice", 1, 1, 1, WT_SLICE_ATTR_BYTES, check_transformer},
    [WT_OP_EXPAND] = {"expand", 1, 1, 1, 0, check_transformer},
    [WT_OP_LSTM] = {"lstm", 7, 7, 3, WT_LSTM_ATTR_BYTES, check_sequence},
    [WT_OP_CAT] = {"cat", 1, 8, 1, WT_CAT_ATTR_BYTES, check_sequence},
    [WT_OP_FLIP] = {"flip", 1, 1, 1, WT_FLIP_ATTR_BYTES, check_sequence},
    [WT_OP_CAST] = {"cast", 1, 1, 1, 0, check_dtype_op},
    [WT_OP_ELEMWISE] = {"elemwise", 2, 2, 1, WT_ELEMWISE_ATTR_BYTES, check_dtype_op},
    [WT_OP_WHERE] = {"where", 3, 3, 1, 0, check_dtype_op},
    [WT_OP_MAP] = {"map", 1, 1, 1, WT_MAP_ATTR_BYTES, check_dtype_op},
    [WT_OP_REDUCE] = {"reduce", 1, 1, 1, WT_REDUCE_ATTR_BYTES, check_dtype_op},
    [WT_OP_SCAN] = {"scan", 1, 1, 1, WT_SCAN_ATTR_BYTES, check_dtype_op},
    [WT_OP_TOPK] = {"topk", 1, 1, 2, WT_TOPK_ATTR_BYTES, check_dtype_op},
    [WT_OP_SOFTMAX_DIM] = {"softmax_dim", 1, 1, 1, WT_SOFTMAX_DIM_ATTR_BYTES, check_dtype_op},
    [WT_OP_GRU] = {"gru", 6, 6, 2, WT_LSTM_ATTR_BYTES, check_sequence},
    [WT_OP_RNN] = {"rnn", 6, 6, 2, WT_LSTM_ATTR_BYTES, check_sequence},
    [WT_OP_SDPA] = {"sdpa", 3, 4, 1, WT_SDPA_ATTR_BYTES, check_attention},
    [WT_OP_RMS_NORM] = {"rms_norm", 1, 2, 1, WT_RMS_NORM_ATTR_BYTES, check_attention},
    [WT_OP_INDEX] = {"index", 2, 8, 1, WT_INDEX_ATTR_BYTES, check_indexing},
    [WT_OP_INDEX_PUT] = {"index_put", 3, 8, 1, WT_INDEX_PUT_ATTR_BYTES, check_indexing},
    [WT_OP_GATHER] = {"gather", 2, 2, 1, WT_GATHER_ATTR_BYTES, check_indexing},
};

static const op_desc* op_desc_of(uint16_t code) {
  return code > 0 && code < WT_OP_COUNT && OPS[code].name != NULL ? &OPS[code] : NULL;
}

const char* wt_plan_op_name(uint32_t code) {
  const op_desc* d = code <= UINT16_MAX ? op_desc_of((uint16_t)code) : NULL;
  return d != NULL ? d->name : NULL;
}

/* "op 3 gemm (linear+relu at node linear ...)" prefix for an op's errors. */
static int op_fail(const wt_op* op, uint32_t index, int code, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int op_fail(const wt_op* op, uint32_t index, int code, const char* fmt, ...) {
  char detail[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  return wt_fail(code, "op %u %s (%.*s): %s", index, OPS[op->code].name, (int)op->label_len,
                 op->label, detail);
}

static uint64_t numel(const wt_value* v) { return v->nbytes / sizeof(float); }

static int shape_mismatch(const wt_op* op, uint32_t index, const char* what, const wt_value* got,
                          const wt_value* want) {
  char g[128], w[128];
  wt_shape_text(got, g, sizeof g);
  wt_shape_text(want, w, sizeof w);
  return op_fail(op, index, WT_E_SHAPE, "%s has shape %s, expected %s", what, g, w);
}

static int check_bounds_attr(const wt_op* op, uint32_t index, float min, float max) {
  if (isnan(min) || isnan(max)) return op_fail(op, index, WT_E_OPERANDS, "clamp bound is NaN");
  return WT_OK;
}

static int check_gemm(const wt_plan* plan, const wt_op* op, uint32_t index) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* w = &plan->values[op->in[1]];
  const wt_value* y = &plan->values[op->out[0]];
  const uint32_t flags = wt_plan_u32(op->attrs);
  if (flags & ~WT_GEMM_FLAG_KN)
    return op_fail(op, index, WT_E_OPERANDS, "unknown flags 0x%x", flags);
  if (w->space != WT_SPACE_WEIGHTS || w->rank != 2)
    return op_fail(op, index, WT_E_OPERANDS, "the weight must be a 2-d constant");
  if (x->rank < 1)
    return op_fail(op, index, WT_E_SHAPE, "the input must have at least 1 dimension");
  const uint32_t k = x->dims[x->rank - 1];
  const uint32_t n = (flags & WT_GEMM_FLAG_KN) ? w->dims[1] : w->dims[0];
  const uint32_t wk = (flags & WT_GEMM_FLAG_KN) ? w->dims[0] : w->dims[1];
  if (wk != k) {
    char xs[128], ws[128];
    wt_shape_text(x, xs, sizeof xs);
    wt_shape_text(w, ws, sizeof ws);
    return op_fail(op, index, WT_E_SHAPE, "input %s and weight %s (%s) do not match", xs, ws,
                   (flags & WT_GEMM_FLAG_KN) ? "K x N" : "N x K");
  }
  if (op->n_in == 3) {
    const wt_value* b = &plan->values[op->in[2]];
    if (b->space != WT_SPACE_WEIGHTS)
      return op_fail(op, index, WT_E_OPERANDS, "the bias must be a constant");
    if (numel(b) != n || b->rank < 1 || b->rank > 2 || (b->rank == 2 && b->dims[0] != 1))
      return op_fail(op, index, WT_E_SHAPE, "the bias must have shape [%u] or [1, %u]", n, n);
  }
  wt_value want = *x;
  want.dims[x->rank - 1] = n;
  if (!wt_same_shape(y, &want)) return shape_mismatch(op, index, "the output", y, &want);
  return check_bounds_attr(op, index, wt_plan_f32(op->attrs + 4), wt_plan_f32(op->attrs + 8));
}

static int check_same_shape(const wt_plan* plan, const wt_op* op, uint32_t index) {
  const wt_value* y = &plan->values[op->out[0]];
  for (uint32_t i = 0; i < op->n_in; i++) {
    const wt_value* x = &plan->values[op->in[i]];
    if (!wt_same_shape(x, y)) {
      char what[32];
      snprintf(what, sizeof what, "input %u", i);
      return shape_mismatch(op, index, what, x, y);
    }
  }
  return WT_OK;
}

static int check_clamp(const wt_plan* plan, const wt_op* op, uint32_t index) {
  const int status = check_same_shape(plan, op, index);
  if (status != WT_OK) return status;
  return check_bounds_attr(op, index, wt_plan_f32(op->attrs), wt_plan_f32(op->attrs + 4));
}

static int check_reshape(const wt_plan* plan, const wt_op* op, uint32_t index) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (x->nbytes != y->nbytes) {
    char xs[128], ys[128];
    wt_shape_text(x, xs, sizeof xs);
    wt_shape_text(y, ys, sizeof ys);
    return op_fail(op, index, WT_E_SHAPE, "cannot reshape %s to %s", xs, ys);
  }
  if (x->space != y->space || x->offset != y->offset)
    return op_fail(op, index, WT_E_OPERANDS, "a reshape must alias its input's bytes");
  return WT_OK;
}

/* Each op family checks its own attributes into a detail string; the failure gets the op's index. */
#define FAMILY_CHECK(name, family_check)                                        \
  static int name(const wt_plan* plan, const wt_op* op, uint32_t index) {       \
    char detail[200];                                                           \
    const int status = family_check(plan, op, detail, sizeof detail);           \
    return status == WT_OK ? WT_OK : op_fail(op, index, status, "%s", detail);  \
  }
FAMILY_CHECK(check_vision, wt_vision_check)
FAMILY_CHECK(check_transformer, wt_transformer_check)
FAMILY_CHECK(check_sequence, wt_sequence_check)
FAMILY_CHECK(check_attention, wt_attention_check)
FAMILY_CHECK(check_indexing, wt_indexing_check)
FAMILY_CHECK(check_dtype_op, wt_dtype_check)

/* Every operand is float32, except int64 ids where an op reads them, same-dtype reshapes, the
 * attention mask, and the dtype-aware and indexing ops (whose own rules check their dtypes). */
static int check_dtypes(const wt_plan* plan, const wt_op* op, uint32_t index) {
  if (wt_dtype_op(op->code) || wt_indexing_own_dtypes(op)) return WT_OK;
  for (uint32_t j = 0; j < (uint32_t)op->n_in + op->n_out; j++) {
    const uint32_t id = j < op->n_in ? op->in[j] : op->out[j - op->n_in];
    const uint8_t dtype = plan->values[id].dtype;
    if (dtype == WT_DTYPE_F32) continue;
    if (op->code == WT_OP_RESHAPE && plan->values[op->in[0]].dtype == plan->values[op->out[0]].dtype)
      continue;
    if (wt_vision_int64_operand(op, j)) continue;
    if (wt_transformer_other_dtype(op, j) || wt_attention_other_dtype(op, j)) continue;
    return op_fail(op, index, WT_E_OPERANDS, "operand %u has dtype code %u, this op reads float32",
                   j, dtype);
  }
  return WT_OK;
}

uint32_t wt_dtype_size(uint8_t dtype) {
  switch (dtype) {
    case WT_DTYPE_F32:
    case WT_DTYPE_I32: return 4;
    case WT_DTYPE_I64:
    case WT_DTYPE_F64: return 8;
    case WT_DTYPE_BOOL:
    case WT_DTYPE_U8: return 1;
    case WT_DTYPE_F16: return 2;
    default: return 0;
  }
}

/* ---- framing ------------------------------------------------------------------------------ */

typedef struct section {
  uint64_t offset, bytes;
} section;

static int check_string(const uint8_t* strings, uint64_t strings_bytes, uint32_t off, uint32_t len,
                        const char** out, const char* what, uint32_t index) {
  if ((uint64_t)off + len > strings_bytes)
    return wt_fail(WT_E_LAYOUT, "%s %u: name at %u+%u is past the %llu-byte string table", what,
                   index, off, len, (unsigned long long)strings_bytes);
  *out = (const char*)strings + off;
  return WT_OK;
}

static int parse_value(const uint8_t* p, uint32_t index, const wt_plan* plan,
                       const uint8_t* strings, uint64_t strings_bytes, wt_value* v) {
  v->dtype = p[0];
  v->space = p[1];
  v->rank = p[2];
  v->offset = wt_plan_u32(p + 4);
  v->nbytes = wt_plan_u32(p + 8);
  v->name_len = wt_plan_u32(p + 16);
  const int status = check_string(strings, strings_bytes, wt_plan_u32(p + 12), v->name_len,
                                  &v->name, "value", index);
  if (status != WT_OK) return status;
  const int nl = (int)(v->name_len < 64 ? v->name_len : 64);
  const uint32_t itemsize = wt_dtype_size(v->dtype);
  if (itemsize == 0)
    return wt_fail(WT_E_VALUE,
                   "value %u (%.*s): dtype code %u unknown (this runtime reads float32 = 1, "
                   "int64 = 2, bool = 3, int32 = 4, uint8 = 5, float64 = 6, float16 = 7)",
                   index, nl, v->name, v->dtype);
  if (v->space > WT_SPACE_WEIGHTS)
    return wt_fail(WT_E_VALUE, "value %u (%.*s): memory space %u unknown", index, nl, v->name,
                   v->space);
  if (v->rank > WT_MAX_RANK)
    return wt_fail(WT_E_VALUE, "value %u (%.*s): rank %u above the maximum %u", index, nl, v->name,
                   v->rank, WT_MAX_RANK);
  if (p[3] != 0 || !all_zero(p + 52, 4))
    return wt_fail(WT_E_LAYOUT, "value %u (%.*s): reserved bytes are not zero", index, nl, v->name);
  int empty = 0;
  for (uint32_t d = 0; d < WT_MAX_RANK; d++) {
    v->dims[d] = wt_plan_u32(p + 20 + 4 * d);
    if (d >= v->rank && v->dims[d] != 0)
      return wt_fail(WT_E_VALUE, "value %u (%.*s): dimension %u set past rank %u", index, nl,
                     v->name, d, v->rank);
    if (d < v->rank && v->dims[d] > WT_MAX_DIM)
      return wt_fail(WT_E_LIMIT, "value %u (%.*s): dimension %u is %u, above 2^31 - 1", index, nl,
                     v->name, d, v->dims[d]);
    if (d < v->rank && v->dims[d] == 0) empty = 1;
  }
  uint64_t elements = 1;
  if (empty) {
    elements = 0;
  } else {
    for (uint32_t d = 0; d < v->rank; d++) {
      elements *= v->dims[d]; /* < 2^31 * 2^28: cannot wrap before the check below */
      if (elements > WT_MAX_TENSOR_BYTES / itemsize)
        return wt_fail(WT_E_LIMIT, "value %u (%.*s): more than %u bytes", index, nl, v->name,
                       WT_MAX_TENSOR_BYTES);
    }
  }
  if ((uint64_t)v->nbytes != elements * itemsize)
    return wt_fail(WT_E_VALUE, "value %u (%.*s): %u bytes declared for %llu elements of %u bytes",
                   index, nl, v->name, v->nbytes, (unsigned long long)elements, itemsize);
  if (v->offset % WT_PLAN_ALIGN != 0)
    return wt_fail(WT_E_VALUE, "value %u (%.*s): offset %u is not %u-byte aligned", index, nl,
                   v->name, v->offset, WT_PLAN_ALIGN);
  const uint64_t space_bytes = v->space == WT_SPACE_ARENA ? plan->arena_bytes : plan->weights_bytes;
  if ((uint64_t)v->offset + v->nbytes > space_bytes)
    return wt_fail(WT_E_VALUE, "value %u (%.*s): bytes %u..%llu are past the %s (%llu bytes)",
                   index, nl, v->name, v->offset, (unsigned long long)v->offset + v->nbytes,
                   v->space == WT_SPACE_ARENA ? "arena" : "weights",
                   (unsigned long long)space_bytes);
  return WT_OK;
}

static int parse_ops(const uint8_t* base, uint64_t ops_bytes, const uint8_t* strings,
                     uint64_t strings_bytes, wt_plan* plan) {
  uint64_t pos = 0;
  for (uint32_t i = 0; i < plan->n_ops; i++) {
    wt_op* op = &plan->ops[i];
    if (ops_bytes - pos < WT_PLAN_OP_HEADER_BYTES)
      return wt_fail(WT_E_LAYOUT, "op %u: record starts past the end of the op section", i);
    const uint8_t* p = base + pos;
    op->code = u16(p);
    op->n_in = p[2];
    op->n_out = p[3];
    const uint32_t record_bytes = wt_plan_u32(p + 4);
    op->label_len = wt_plan_u32(p + 12);
    int status = check_string(strings, strings_bytes, wt_plan_u32(p + 8), op->label_len, &op->label,
                              "op", i);
    if (status != WT_OK) return status;
    const op_desc* desc = op_desc_of(op->code);
    if (desc == NULL)
      return wt_fail(WT_E_OPCODE,
                     "op %u (%.*s): op code %u unknown to this runtime (plan version 1.%u, runtime "
                     "reads 1.%u)",
                     i, (int)(op->label_len < 64 ? op->label_len : 64), op->label, op->code,
                     plan->version_minor, WT_PLAN_VERSION_MINOR);
    if (op->n_in < desc->min_in || op->n_in > desc->max_in || op->n_out != desc->n_out)
      return op_fail(op, i, WT_E_OPERANDS, "%u inputs and %u outputs, expected %u..%u and %u",
                     op->n_in, op->n_out, desc->min_in, desc->max_in, desc->n_out);
    const uint64_t want = WT_PLAN_OP_HEADER_BYTES + 4u * (op->n_in + op->n_out) + desc->attr_bytes;
    if (record_bytes != want || want > ops_bytes - pos)
      return op_fail(op, i, WT_E_LAYOUT, "record is %u bytes, expected %llu within the op section",
                     record_bytes, (unsigned long long)want);
    const uint8_t* ids = p + WT_PLAN_OP_HEADER_BYTES;
    for (uint32_t j = 0; j < op->n_in + op->n_out; j++) {
      const uint32_t id = wt_plan_u32(ids + 4 * j);
      if (id >= plan->n_values)
        return op_fail(op, i, WT_E_OPERANDS, "operand %u is value %u, the plan has %u values", j,
                       id, plan->n_values);
      if (j < op->n_in)
        op->in[j] = id;
      else
        op->out[j - op->n_in] = id;
    }
    op->attrs = ids + 4u * (op->n_in + op->n_out);
    pos += want;
  }
  if (pos != ops_bytes)
    return wt_fail(WT_E_LAYOUT, "the op section has %llu bytes after its %u ops",
                   (unsigned long long)(ops_bytes - pos), plan->n_ops);
  return WT_OK;
}

/* ---- semantics: definition order, aliasing, shapes ------------------------------------------- */

static int overlaps(const wt_value* a, const wt_value* b) {
  return a->space == b->space && a->nbytes != 0 && b->nbytes != 0 &&
         a->offset < b->offset + (uint64_t)b->nbytes && b->offset < a->offset + (uint64_t)a->nbytes;
}

static int check_graph(wt_plan* plan) {
  uint8_t* defined = calloc(plan->n_values ? plan->n_values : 1, 1);
  uint8_t* produced = calloc(plan->n_values ? plan->n_values : 1, 1);
  int status = WT_OK;
  if (defined == NULL || produced == NULL) {
    status = wt_fail(WT_E_NOMEM, "out of memory validating %u values", plan->n_values);
    goto done;
  }
  for (uint32_t i = 0; i < plan->n_ops; i++)
    for (uint32_t j = 0; j < plan->ops[i].n_out; j++) produced[plan->ops[i].out[j]] = 1;
  for (uint32_t v = 0; v < plan->n_values; v++)
    if (plan->values[v].space == WT_SPACE_WEIGHTS && !produced[v]) defined[v] = 1;
  for (uint32_t i = 0; i < plan->n_inputs; i++) {
    const uint32_t v = plan->io[i].value;
    if (produced[v] || defined[v]) {
      status = wt_fail(WT_E_IO, "input %u (value %u) is written by an op or listed twice", i, v);
      goto done;
    }
    defined[v] = 1;
  }
  for (uint32_t i = 0; i < plan->n_ops && status == WT_OK; i++) {
    const wt_op* op = &plan->ops[i];
    for (uint32_t j = 0; j < op->n_in; j++)
      if (!defined[op->in[j]]) {
        const wt_value* x = &plan->values[op->in[j]];
        status = op_fail(op, i, WT_E_OPERANDS, "reads value %u (%.*s) before it is written",
                         op->in[j], (int)(x->name_len < 64 ? x->name_len : 64), x->name);
        goto done;
      }
    for (uint32_t j = 0; j < op->n_out; j++) {
      const wt_value* y = &plan->values[op->out[j]];
      if (defined[op->out[j]]) {
        status =
            op_fail(op, i, WT_E_OPERANDS, "writes value %u, which is already defined", op->out[j]);
        goto done;
      }
      if (op->code == WT_OP_RESHAPE) continue; /* aliases are checked by the op's shape rule */
      if (y->space != WT_SPACE_ARENA) {
        status = op_fail(op, i, WT_E_OPERANDS, "writes value %u outside the arena", op->out[j]);
        goto done;
      }
      for (uint32_t k = 0; k < op->n_in; k++)
        if (overlaps(y, &plan->values[op->in[k]])) {
          status = op_fail(op, i, WT_E_OPERANDS, "output overlaps input %u", k);
          goto done;
        }
      for (uint32_t k = 0; k < plan->n_inputs; k++)
        if (overlaps(y, &plan->values[plan->io[k].value])) {
          status = op_fail(op, i, WT_E_OPERANDS, "output overlaps the model's input %u", k);
          goto done;
        }
    }
    status = check_dtypes(plan, op, i);
    if (status == WT_OK) status = OPS[op->code].check(plan, op, i);
    for (uint32_t j = 0; j < op->n_out; j++) defined[op->out[j]] = 1;
  }
  for (uint32_t i = 0; i < plan->n_outputs && status == WT_OK; i++) {
    const uint32_t v = plan->io[plan->n_inputs + i].value;
    if (!defined[v]) status = wt_fail(WT_E_IO, "output %u (value %u) is never written", i, v);
  }
done:
  free(defined);
  free(produced);
  return status;
}

/* ---- entry point ---------------------------------------------------------------------------- */

int wt_plan_parse(const uint8_t* bytes, size_t len, wt_plan* plan) {
  memset(plan, 0, sizeof *plan);
  wt_error_clear();
  if (bytes == NULL || len < WT_PLAN_ENVELOPE_BYTES)
    return wt_fail(WT_E_TRUNCATED, "plan is %zu bytes, shorter than its %u-byte envelope",
                   bytes ? len : 0, WT_PLAN_ENVELOPE_BYTES);
  if (memcmp(bytes, WT_PLAN_MAGIC, 8) != 0)
    return wt_fail(WT_E_MAGIC, "not a .wtm plan (bad magic)");
  const uint16_t major = u16(bytes + 8), minor = u16(bytes + 10);
  if (major != WT_PLAN_VERSION_MAJOR)
    return wt_fail(WT_E_VERSION, "plan version %u.%u, this runtime reads %u.x", major, minor,
                   WT_PLAN_VERSION_MAJOR);
  plan->version_minor = minor;
  const uint32_t file_bytes = wt_plan_u32(bytes + 12);
  if (file_bytes > WT_MAX_FILE_BYTES)
    return wt_fail(WT_E_LIMIT, "plan declares %u bytes, above the limit %u", file_bytes,
                   WT_MAX_FILE_BYTES);
  if (file_bytes > len)
    return wt_fail(WT_E_TRUNCATED, "plan declares %u bytes, %zu given (truncated)", file_bytes,
                   len);
  if (file_bytes < len)
    return wt_fail(WT_E_LAYOUT, "%zu bytes follow the plan's declared end (%u bytes)",
                   len - file_bytes, file_bytes);
  if (file_bytes < WT_PLAN_ENVELOPE_BYTES + WT_PLAN_HEADER_BYTES)
    return wt_fail(WT_E_TRUNCATED, "plan is %u bytes, shorter than its headers", file_bytes);
  if (wt_plan_u32(bytes + 16) != 0 || !all_zero(bytes + 20, 12))
    return wt_fail(WT_E_LAYOUT, "envelope flags or reserved bytes are not zero");
  uint8_t digest[32];
  wt_sha256(bytes + WT_PLAN_ENVELOPE_BYTES, file_bytes - WT_PLAN_ENVELOPE_BYTES, digest);
  if (memcmp(digest, bytes + 32, 32) != 0)
    return wt_fail(WT_E_CHECKSUM,
                   "payload SHA-256 does not match the envelope (corrupt or modified plan)");

  const uint8_t* h = bytes + WT_PLAN_ENVELOPE_BYTES;
  plan->n_values = wt_plan_u32(h);
  plan->n_ops = wt_plan_u32(h + 4);
  plan->n_inputs = wt_plan_u32(h + 8);
  plan->n_outputs = wt_plan_u32(h + 12);
  plan->arena_bytes = wt_plan_u32(h + 16);
  const uint64_t values_off = wt_plan_u32(h + 20), ops_off = wt_plan_u32(h + 24),
                 ops_bytes = wt_plan_u32(h + 28), io_off = wt_plan_u32(h + 32),
                 strings_off = wt_plan_u32(h + 36), strings_bytes = wt_plan_u32(h + 40),
                 weights_off = wt_plan_u32(h + 44), weights_bytes = wt_plan_u32(h + 48);
  if (!all_zero(h + 52, 12)) return wt_fail(WT_E_LAYOUT, "plan header reserved bytes are not zero");
  if (plan->n_values > WT_MAX_VALUES || plan->n_ops > WT_MAX_OPS ||
      (uint64_t)plan->n_inputs + plan->n_outputs > WT_MAX_IO)
    return wt_fail(WT_E_LIMIT,
                   "%u values, %u ops, %u inputs, %u outputs: above the limits %u, %u, %u",
                   plan->n_values, plan->n_ops, plan->n_inputs, plan->n_outputs, WT_MAX_VALUES,
                   WT_MAX_OPS, WT_MAX_IO);
  if (plan->arena_bytes > WT_MAX_ARENA_BYTES)
    return wt_fail(WT_E_LIMIT, "arena of %u bytes, above the limit %u", plan->arena_bytes,
                   WT_MAX_ARENA_BYTES);
  /* Sections follow each other in a fixed order with no gaps (only zero padding before the
   * 64-byte aligned weights), so no byte of the file is unaccounted for. */
  const uint64_t n_io = (uint64_t)plan->n_inputs + plan->n_outputs;
  const uint64_t strings_end = strings_off + strings_bytes;
  const uint64_t want_weights = (strings_end + WT_PLAN_ALIGN - 1) / WT_PLAN_ALIGN * WT_PLAN_ALIGN;
  if (values_off != WT_PLAN_ENVELOPE_BYTES + WT_PLAN_HEADER_BYTES ||
      ops_off != values_off + (uint64_t)plan->n_values * WT_PLAN_VALUE_BYTES ||
      io_off != ops_off + ops_bytes || strings_off != io_off + n_io * WT_PLAN_IO_BYTES ||
      weights_off != want_weights || weights_off + weights_bytes != file_bytes)
    return wt_fail(WT_E_LAYOUT,
                   "sections (values %llu, ops %llu+%llu, io %llu, strings %llu+%llu, weights "
                   "%llu+%llu) do not tile the %u-byte plan",
                   (unsigned long long)values_off, (unsigned long long)ops_off,
                   (unsigned long long)ops_bytes, (unsigned long long)io_off,
                   (unsigned long long)strings_off, (unsigned long long)strings_bytes,
                   (unsigned long long)weights_off, (unsigned long long)weights_bytes, file_bytes);
  if (!all_zero(bytes + strings_end, weights_off - strings_end))
    return wt_fail(WT_E_LAYOUT, "padding before the weights is not zero");
  const uint8_t* strings = bytes + strings_off;
  plan->weights = bytes + weights_off;
  plan->weights_bytes = (uint32_t)weights_bytes;

  plan->values = calloc(plan->n_values ? plan->n_values : 1, sizeof(wt_value));
  plan->ops = calloc(plan->n_ops ? plan->n_ops : 1, sizeof(wt_op));
  plan->io = calloc(n_io ? n_io : 1, sizeof(wt_io));
  if (plan->values == NULL || plan->ops == NULL || plan->io == NULL) {
    wt_plan_release(plan);
    return wt_fail(WT_E_NOMEM, "out of memory for %u values and %u ops", plan->n_values,
                   plan->n_ops);
  }
  int status = WT_OK;
  for (uint32_t i = 0; i < plan->n_values && status == WT_OK; i++)
    status = parse_value(bytes + values_off + (uint64_t)i * WT_PLAN_VALUE_BYTES, i, plan, strings,
                         strings_bytes, &plan->values[i]);
  for (uint32_t i = 0; i < n_io && status == WT_OK; i++) {
    const uint8_t* p = bytes + io_off + (uint64_t)i * WT_PLAN_IO_BYTES;
    wt_io* io = &plan->io[i];
    const char* kind = i < plan->n_inputs ? "input" : "output";
    const uint32_t k = i < plan->n_inputs ? i : i - plan->n_inputs;
    io->value = wt_plan_u32(p);
    io->name_len = wt_plan_u32(p + 8);
    status =
        check_string(strings, strings_bytes, wt_plan_u32(p + 4), io->name_len, &io->name, kind, k);
    if (status != WT_OK) break;
    if (io->value >= plan->n_values)
      status = wt_fail(WT_E_IO, "%s %u is value %u, the plan has %u values", kind, k, io->value,
                       plan->n_values);
    else if (plan->values[io->value].space != WT_SPACE_ARENA)
      status = wt_fail(WT_E_IO, "%s %u (value %u) is not in the arena", kind, k, io->value);
  }
  if (status == WT_OK) status = parse_ops(bytes + ops_off, ops_bytes, strings, strings_bytes, plan);
  if (status == WT_OK) status = check_graph(plan);
  if (status != WT_OK) wt_plan_release(plan);
  return status;
}

void wt_plan_release(wt_plan* plan) {
  free(plan->values);
  free(plan->ops);
  free(plan->io);
  memset(plan, 0, sizeof *plan);
}
