/* Dtype-aware ops of the plan runtime (op codes 50..69; wt_dtype_ops.h). Every operand's dtype
 * and shape is validated once by wt_dtype_check; wt_dtype_build fixes the geometry (broadcast
 * strides with mergeable dims folded, reduction [outer, r, inner]) so forward only loops. Integer
 * division by zero fails forward with WT_E_INPUT (torch raises; a wasm i64.div would trap), and
 * INT64_MIN / -1 wraps as torch's CPU kernels do. CAST also reads and writes int32, uint8,
 * float64 and float16 (values only casts, copies and WHERE touch). TOPK keeps its heap in its own
 * indices output, so no op here needs scratch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_check.h"
#include "wt_dtype_ops.h"
#include "wt_elementwise.h"
#include "wt_transformer.h"

#define VARIANT WT_ELEMENTWISE_WASMSIMD
#define MAX_RANK WT_TRANSFORMER_MAX_RANK
#define MAX_OPERANDS 3 /* inputs of WHERE */
/* Elements of one broadcast row (columns of one reduction) a task takes at most when threads
 * share them. */
#define CHUNK 4096

typedef struct dt_params dt_params;
/* One innermost run of n elements: operand k starts at in[k] and steps by st[k] (0 or 1). */
typedef void (*dt_row_fn)(const dt_params* p, size_t n, const uint8_t* const* in, const size_t* st,
                          uint8_t* y);

/* What a step's tasks do. */
enum dt_kind { KIND_BROADCAST, KIND_CAST, KIND_MAP, KIND_REDUCE, KIND_SCAN, KIND_TOPK, KIND_SOFTMAX };

struct dt_params {
  enum dt_kind kind;
  uint32_t op;
  uint8_t in_dtype, out_dtype;
  size_t n_in;
  size_t rank; /* broadcast geometry: y dims and per-input element strides (0 = broadcast) */
  size_t ydims[MAX_RANK];
  size_t strides[MAX_OPERANDS][MAX_RANK];
  size_t esize[MAX_OPERANDS], ysize;
  size_t rows, block, tasks;    /* `rows` units (see chunk; topk: rows), `block` per task */
  size_t chunk;                 /* broadcast: a unit is `chunk` elements of one innermost row;
                                   reduce, scan: `chunk` columns of one outer slice */
  size_t outer, r, inner;       /* reduce, scan */
  float p;                      /* reduce: correction or norm order */
  const uint8_t* in[MAX_OPERANDS];
  uint8_t* y;
  int64_t* indices; /* topk */
  size_t k;         /* topk */
  dt_row_fn row;
  int* div_by_zero; /* set by any task that divided an integer by zero */
  const wt_vbinary_config* vbinary;
  const wt_vcmp_config* vcmp;
  const wt_vunary_config* vunary;
  const wt_layernorm_config* layernorm;
  const wt_softmax_config* softmax;
};

int wt_dtype_op(uint16_t code) { return code >= WT_OP_CAST && code <= WT_OP_SOFTMAX_DIM; }

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

static size_t numel_of(const wt_value* v) {
  size_t n = 1;
  for (uint32_t d = 0; d < v->rank; d++) n *= v->dims[d];
  return n;
}

static const char* dtype_name(uint8_t dtype) {
  static const char* const names[] = {"?", "float32", "int64", "bool", "int32", "uint8", "float64", "float16"};
  return dtype < sizeof names / sizeof *names ? names[dtype] : "?";
}

/* ---- checks ---------------------------------------------------------------------------------- */

/* Which input dtypes each op accepts: bit 1 << dtype. */
#define F (1u << WT_DTYPE_F32)
#define I (1u << WT_DTYPE_I64)
#define B (1u << WT_DTYPE_BOOL)
static const uint8_t EW_DTYPES[WT_EW_OP_COUNT] = {
    [WT_EW_ADD] = F | I, [WT_EW_SUB] = F | I, [WT_EW_MUL] = F | I, [WT_EW_DIV] = F,
    [WT_EW_FLOOR_DIV] = F | I, [WT_EW_TRUNC_DIV] = F | I, [WT_EW_REMAINDER] = F | I,
    [WT_EW_FMOD] = F | I, [WT_EW_MAX] = F | I, [WT_EW_MIN] = F | I, [WT_EW_POW] = F | I,
    [WT_EW_ATAN2] = F, [WT_EW_HYPOT] = F, [WT_EW_BITAND] = I | B, [WT_EW_BITOR] = I | B,
    [WT_EW_BITXOR] = I | B, [WT_EW_EQ] = F | I | B, [WT_EW_NE] = F | I | B, [WT_EW_LT] = F | I,
    [WT_EW_LE] = F | I, [WT_EW_GT] = F | I, [WT_EW_GE] = F | I, [WT_EW_LOGICAL_AND] = B,
    [WT_EW_LOGICAL_OR] = B, [WT_EW_LOGICAL_XOR] = B,
};
static const uint8_t MAP_DTYPES[WT_MAP_OP_COUNT] = {
    [WT_MAP_NEG] = I, [WT_MAP_ABS] = I, [WT_MAP_SIGN] = I, [WT_MAP_LOGICAL_NOT] = B,
    [WT_MAP_BITWISE_NOT] = I | B, [WT_MAP_ISNAN] = F, [WT_MAP_ISINF] = F, [WT_MAP_ISFINITE] = F,
    [WT_MAP_LOG] = F, [WT_MAP_LOG2] = F, [WT_MAP_LOG10] = F, [WT_MAP_LOG1P] = F, [WT_MAP_EXPM1] = F,
    [WT_MAP_SIN] = F, [WT_MAP_COS] = F, [WT_MAP_TAN] = F, [WT_MAP_ASIN] = F, [WT_MAP_ACOS] = F,
    [WT_MAP_ATAN] = F, [WT_MAP_SINH] = F, [WT_MAP_COSH] = F, [WT_MAP_ASINH] = F,
    [WT_MAP_ACOSH] = F, [WT_MAP_ATANH] = F, [WT_MAP_ERFC] = F, [WT_MAP_EXP2] = F, [WT_MAP_FRAC] = F,
};
static const uint8_t REDUCE_DTYPES[WT_REDUCE_OP_COUNT] = {
    [WT_REDUCE_SUM] = F | I, [WT_REDUCE_MEAN] = F, [WT_REDUCE_PROD] = F | I,
    [WT_REDUCE_MAX] = F | I, [WT_REDUCE_MIN] = F | I, [WT_REDUCE_ARGMAX] = F | I,
    [WT_REDUCE_ARGMIN] = F | I, [WT_REDUCE_VAR] = F, [WT_REDUCE_STD] = F, [WT_REDUCE_NORM] = F,
    [WT_REDUCE_LOGSUMEXP] = F, [WT_REDUCE_ANY] = B, [WT_REDUCE_ALL] = B,
};
#undef F
#undef I
#undef B

static int ew_out_dtype(uint32_t op, uint8_t in) {
  return op >= WT_EW_EQ ? WT_DTYPE_BOOL : in;
}

static int reduce_out_dtype(uint32_t op, uint8_t in) {
  return op == WT_REDUCE_ARGMAX || op == WT_REDUCE_ARGMIN ? WT_DTYPE_I64 : in;
}

static int dtype_fail(char* detail, size_t size, const char* what, uint32_t op, const wt_value* x) {
  return wt_check_fail(detail, size, WT_E_OPERANDS, "%s op %u does not take %s", what, op,
                       dtype_name(x->dtype));
}

static int out_fail(char* detail, size_t size, const wt_value* y, int want) {
  return wt_check_fail(detail, size, WT_E_OPERANDS, "the output is %s, expected %s",
                       dtype_name(y->dtype), dtype_name((uint8_t)want));
}

static int shape_fail(char* detail, size_t size, const wt_value* got, const wt_value* want) {
  char g[96], w[96];
  wt_shape_text(got, g, sizeof g);
  wt_shape_text(want, w, sizeof w);
  return wt_check_fail(detail, size, WT_E_SHAPE, "the output has shape %s, expected %s", g, w);
}

/* The broadcast shape of the inputs (aligned at the last dim), 0 when they do not broadcast. */
static int broadcast_all(const wt_plan* plan, const wt_op* op, wt_value* out) {
  uint32_t rank = 0;
  for (uint32_t i = 0; i < op->n_in; i++)
    if (plan->values[op->in[i]].rank > rank) rank = plan->values[op->in[i]].rank;
  memset(out, 0, sizeof *out);
  out->rank = (uint8_t)rank;
  for (uint32_t d = 0; d < rank; d++) out->dims[d] = 1;
  for (uint32_t i = 0; i < op->n_in; i++) {
    const wt_value* v = &plan->values[op->in[i]];
    for (uint32_t d = 0; d < v->rank; d++) {
      const uint32_t o = d + rank - v->rank, n = v->dims[d];
      if (n != 1 && out->dims[o] != 1 && out->dims[o] != n) return 0;
      if (n != 1) out->dims[o] = n;
    }
  }
  return 1;
}

static int check_broadcast(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* y = &plan->values[op->out[0]];
  wt_value want;
  if (!broadcast_all(plan, op, &want))
    return wt_check_fail(detail, size, WT_E_SHAPE, "the input shapes do not broadcast");
  if (want.rank > MAX_RANK)
    return wt_check_fail(detail, size, WT_E_SHAPE, "rank %u above %u", want.rank, MAX_RANK);
  return wt_same_shape(y, &want) ? WT_OK : shape_fail(detail, size, y, &want);
}

static int check_elemwise(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t kind = wt_plan_u32(op->attrs);
  const wt_value* a = &plan->values[op->in[0]];
  const wt_value* b = &plan->values[op->in[1]];
  const wt_value* y = &plan->values[op->out[0]];
  if (kind >= WT_EW_OP_COUNT)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "elemwise op %u unknown", kind);
  if (a->dtype != b->dtype)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "inputs of dtypes %s and %s",
                         dtype_name(a->dtype), dtype_name(b->dtype));
  if (!(EW_DTYPES[kind] >> a->dtype & 1)) return dtype_fail(detail, size, "elemwise", kind, a);
  if (y->dtype != ew_out_dtype(kind, a->dtype))
    return out_fail(detail, size, y, ew_out_dtype(kind, a->dtype));
  return check_broadcast(plan, op, detail, size);
}

static int check_where(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* c = &plan->values[op->in[0]];
  const wt_value* a = &plan->values[op->in[1]];
  const wt_value* b = &plan->values[op->in[2]];
  const wt_value* y = &plan->values[op->out[0]];
  if (c->dtype != WT_DTYPE_BOOL)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "the condition is %s, not bool",
                         dtype_name(c->dtype));
  if (a->dtype != b->dtype || y->dtype != a->dtype)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "values of dtypes %s and %s, output %s",
                         dtype_name(a->dtype), dtype_name(b->dtype), dtype_name(y->dtype));
  return check_broadcast(plan, op, detail, size);
}

static int check_same_shape(const wt_value* x, const wt_value* y, char* detail, size_t size) {
  return wt_same_shape(x, y) ? WT_OK : shape_fail(detail, size, y, x);
}

static int check_map(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t kind = wt_plan_u32(op->attrs);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (kind >= WT_MAP_OP_COUNT)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "map op %u unknown", kind);
  if (!(MAP_DTYPES[kind] >> x->dtype & 1)) return dtype_fail(detail, size, "map", kind, x);
  const int want = kind >= WT_MAP_LOGICAL_NOT && kind <= WT_MAP_ISFINITE && kind != WT_MAP_BITWISE_NOT
                       ? WT_DTYPE_BOOL
                       : x->dtype;
  if (y->dtype != want) return out_fail(detail, size, y, want);
  return check_same_shape(x, y, detail, size);
}

static int check_cast(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  return check_same_shape(&plan->values[op->in[0]], &plan->values[op->out[0]], detail, size);
}

static int check_reduce(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t kind = wt_plan_u32(op->attrs), start = wt_plan_u32(op->attrs + 4),
                 end = wt_plan_u32(op->attrs + 8);
  const float p = wt_plan_f32(op->attrs + 12);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (kind >= WT_REDUCE_OP_COUNT)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "reduce op %u unknown", kind);
  if (!(REDUCE_DTYPES[kind] >> x->dtype & 1)) return dtype_fail(detail, size, "reduce", kind, x);
  if (y->dtype != reduce_out_dtype(kind, x->dtype))
    return out_fail(detail, size, y, reduce_out_dtype(kind, x->dtype));
  if (start > end || end > x->rank)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "dims [%u, %u) invalid for rank %u", start,
                         end, x->rank);
  if (isnan(p) || (kind == WT_REDUCE_NORM && !(p > 0.0f)))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "parameter %g invalid", (double)p);
  uint64_t r = 1;
  for (uint32_t d = start; d < end; d++) r *= x->dims[d];
  const int needs_one = kind == WT_REDUCE_MAX || kind == WT_REDUCE_MIN ||
                        kind == WT_REDUCE_ARGMAX || kind == WT_REDUCE_ARGMIN;
  if (needs_one && r == 0)
    return wt_check_fail(detail, size, WT_E_SHAPE, "%s of an empty range",
                         kind <= WT_REDUCE_MIN ? "max/min" : "argmax/argmin");
  wt_value want = *x;
  want.rank = (uint8_t)(x->rank - (end - start));
  for (uint32_t d = end; d < x->rank; d++) want.dims[d - (end - start)] = x->dims[d];
  for (uint32_t d = want.rank; d < WT_MAX_RANK; d++) want.dims[d] = 0;
  return wt_same_shape(y, &want) ? WT_OK : shape_fail(detail, size, y, &want);
}

static int check_scan(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t kind = wt_plan_u32(op->attrs), dim = wt_plan_u32(op->attrs + 4);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (kind >= WT_SCAN_OP_COUNT || dim >= x->rank)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "scan op %u over dim %u of rank %u", kind,
                         dim, x->rank);
  if (x->dtype != WT_DTYPE_F32 && x->dtype != WT_DTYPE_I64) return dtype_fail(detail, size, "scan", kind, x);
  if (y->dtype != x->dtype) return out_fail(detail, size, y, x->dtype);
  return check_same_shape(x, y, detail, size);
}

static int check_topk(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t k = wt_plan_u32(op->attrs), flags = wt_plan_u32(op->attrs + 4);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  const wt_value* idx = &plan->values[op->out[1]];
  if (flags & ~WT_TOPK_FLAG_LARGEST)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown flags 0x%x", flags);
  if (x->dtype != WT_DTYPE_F32 && x->dtype != WT_DTYPE_I64) return dtype_fail(detail, size, "topk", 0, x);
  if (y->dtype != x->dtype) return out_fail(detail, size, y, x->dtype);
  if (idx->dtype != WT_DTYPE_I64) return out_fail(detail, size, idx, WT_DTYPE_I64);
  if (x->rank < 1 || k > x->dims[x->rank - 1])
    return wt_check_fail(detail, size, WT_E_SHAPE, "k = %u of a rank-%u input whose last dim is %u", k,
                         x->rank, x->rank ? x->dims[x->rank - 1] : 0);
  wt_value want = *x;
  want.dims[x->rank - 1] = k;
  if (!wt_same_shape(y, &want)) return shape_fail(detail, size, y, &want);
  return wt_same_shape(idx, &want) ? WT_OK : shape_fail(detail, size, idx, &want);
}

static int check_softmax_dim(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t dim = wt_plan_u32(op->attrs), flags = wt_plan_u32(op->attrs + 4);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (x->dtype != WT_DTYPE_F32) return dtype_fail(detail, size, "softmax_dim", 0, x);
  if (y->dtype != WT_DTYPE_F32) return out_fail(detail, size, y, WT_DTYPE_F32);
  if (dim >= x->rank || flags & ~WT_SOFTMAX_FLAG_LOG)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "dim %u / flags 0x%x invalid for rank %u", dim,
                         flags, x->rank);
  return check_same_shape(x, y, detail, size);
}

int wt_dtype_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  switch (op->code) {
    case WT_OP_CAST: return check_cast(plan, op, detail, size);
    case WT_OP_ELEMWISE: return check_elemwise(plan, op, detail, size);
    case WT_OP_WHERE: return check_where(plan, op, detail, size);
    case WT_OP_MAP: return check_map(plan, op, detail, size);
    case WT_OP_REDUCE: return check_reduce(plan, op, detail, size);
    case WT_OP_SCAN: return check_scan(plan, op, detail, size);
    case WT_OP_TOPK: return check_topk(plan, op, detail, size);
    case WT_OP_SOFTMAX_DIM: return check_softmax_dim(plan, op, detail, size);
    default: return wt_check_fail(detail, size, WT_E_OPCODE, "not a dtype op");
  }
}

/* ---- scalar semantics (torch's CPU kernels) ------------------------------------------------- */

static float f32_floor_div(float a, float b) {
  if (b == 0.0f) return a / b;
  const float mod = fmodf(a, b);
  float div = (a - mod) / b;
  if (mod != 0.0f && (b < 0.0f) != (mod < 0.0f)) div -= 1.0f;
  if (div == 0.0f) return copysignf(0.0f, a / b);
  float floordiv = floorf(div);
  if (div - floordiv > 0.5f) floordiv += 1.0f;
  return floordiv;
}

static float f32_remainder(float a, float b) {
  float mod = fmodf(a, b);
  if (mod != 0.0f && (b < 0.0f) != (mod < 0.0f)) mod += b;
  return mod;
}

static float f32_max(float a, float b) { return a != a || b != b ? NAN : a > b ? a : b; }
static float f32_min(float a, float b) { return a != a || b != b ? NAN : a < b ? a : b; }

/* Integer division helpers: b == 0 is reported by the caller; b == -1 negates with wrap-around
 * (INT64_MIN / -1 traps in wasm). */
static int64_t i64_neg(int64_t a) { return (int64_t)(0u - (uint64_t)a); }
static int64_t i64_trunc_div(int64_t a, int64_t b) { return b == -1 ? i64_neg(a) : a / b; }
static int64_t i64_fmod(int64_t a, int64_t b) { return b == -1 ? 0 : a % b; }

static int64_t i64_floor_div(int64_t a, int64_t b) {
  if (b == -1) return i64_neg(a);
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) q--;
  return q;
}

static int64_t i64_remainder(int64_t a, int64_t b) {
  if (b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

static int64_t i64_pow(int64_t base, int64_t exp) {
  if (exp < 0) return base == 1 ? 1 : base == -1 ? (exp & 1 ? -1 : 1) : 0;
  uint64_t result = 1, b = (uint64_t)base;
  for (; exp; exp >>= 1, b *= b)
    if (exp & 1) result *= b;
  return (int64_t)result;
}

/* ---- elementwise rows ------------------------------------------------------------------------ */

#define ROW_LOOP(TA, TY, EXPR)                                                  \
  {                                                                            \
    const TA* a = (const TA*)in[0];                                            \
    const TA* b = (const TA*)in[1];                                            \
    TY* out = (TY*)y;                                                          \
    const size_t sa = st[0], sb = st[1];                                       \
    for (size_t i = 0; i < n; i++) {                                           \
      const TA va = a[i * sa], vb = b[i * sb];                                 \
      out[i] = (TY)(EXPR);                                                     \
    }                                                                          \
    return;                                                                    \
  }

/* b[0] OP a[i] as a[i] OP' b[0] (wt_vcmp_op order: eq, ne, lt, le, gt, ge) */
static const int VCMP_MIRROR[WT_VCMP_OP_COUNT] = {WT_VCMP_EQ, WT_VCMP_NE, WT_VCMP_GT,
                                                  WT_VCMP_GE, WT_VCMP_LT, WT_VCMP_LE};

static void ew_f32_row(const dt_params* p, size_t n, const uint8_t* const* in, const size_t* st,
                       uint8_t* y) {
  const int cmp = (int)p->op - WT_EW_EQ;
  if (cmp >= 0 && cmp < WT_VCMP_OP_COUNT && (st[0] || st[1])) { /* the f32-vcmp kernels */
    const float* a = (const float*)in[0];
    const float* b = (const float*)in[1];
    if (st[0] && st[1])
      p->vcmp->op[cmp](n, a, b, y);
    else if (st[0])
      p->vcmp->opc[cmp](n, a, b, y);
    else
      p->vcmp->opc[VCMP_MIRROR[cmp]](n, b, a, y);
    return;
  }
  switch (p->op) {
    case WT_EW_FLOOR_DIV: ROW_LOOP(float, float, f32_floor_div(va, vb))
    case WT_EW_TRUNC_DIV: ROW_LOOP(float, float, truncf(va / vb))
    case WT_EW_REMAINDER: ROW_LOOP(float, float, f32_remainder(va, vb))
    case WT_EW_FMOD: ROW_LOOP(float, float, fmodf(va, vb))
    case WT_EW_POW: ROW_LOOP(float, float, powf(va, vb))
    case WT_EW_ATAN2: ROW_LOOP(float, float, atan2f(va, vb))
    case WT_EW_HYPOT: ROW_LOOP(float, float, hypotf(va, vb))
    case WT_EW_ADD: ROW_LOOP(float, float, va + vb)
    case WT_EW_SUB: ROW_LOOP(float, float, va - vb)
    case WT_EW_MUL: ROW_LOOP(float, float, va * vb)
    case WT_EW_DIV: ROW_LOOP(float, float, va / vb)
    case WT_EW_MAX: ROW_LOOP(float, float, f32_max(va, vb))
    case WT_EW_MIN: ROW_LOOP(float, float, f32_min(va, vb))
    case WT_EW_EQ: ROW_LOOP(float, uint8_t, va == vb)
    case WT_EW_NE: ROW_LOOP(float, uint8_t, va != vb)
    case WT_EW_LT: ROW_LOOP(float, uint8_t, va < vb)
    case WT_EW_LE: ROW_LOOP(float, uint8_t, va <= vb)
    case WT_EW_GT: ROW_LOOP(float, uint8_t, va > vb)
    default: ROW_LOOP(float, uint8_t, va >= vb) /* GE: the checked dtype table leaves no other */
  }
}

/* Integer divisions by zero give 0 and raise the step's flag (checked after the step). */
#define DIV_LOOP(FN)                                                 \
  {                                                                  \
    const int64_t* a = (const int64_t*)in[0];                        \
    const int64_t* b = (const int64_t*)in[1];                        \
    int64_t* out = (int64_t*)y;                                      \
    for (size_t i = 0; i < n; i++) {                                 \
      const int64_t vb = b[i * st[1]];                               \
      if (vb == 0) {                                                 \
        *p->div_by_zero = 1;                                         \
        out[i] = 0;                                                  \
      } else {                                                       \
        out[i] = FN(a[i * st[0]], vb);                               \
      }                                                              \
    }                                                                \
    return;                                                          \
  }

static void ew_i64_row(const dt_params* p, size_t n, const uint8_t* const* in, const size_t* st,
                       uint8_t* y) {
  switch (p->op) {
    case WT_EW_ADD: ROW_LOOP(int64_t, int64_t, (uint64_t)va + (uint64_t)vb)
    case WT_EW_SUB: ROW_LOOP(int64_t, int64_t, (uint64_t)va - (uint64_t)vb)
    case WT_EW_MUL: ROW_LOOP(int64_t, int64_t, (uint64_t)va * (uint64_t)vb)
    case WT_EW_FLOOR_DIV: DIV_LOOP(i64_floor_div)
    case WT_EW_TRUNC_DIV: DIV_LOOP(i64_trunc_div)
    case WT_EW_REMAINDER: DIV_LOOP(i64_remainder)
    case WT_EW_FMOD: DIV_LOOP(i64_fmod)
    case WT_EW_MAX: ROW_LOOP(int64_t, int64_t, va > vb ? va : vb)
    case WT_EW_MIN: ROW_LOOP(int64_t, int64_t, va < vb ? va : vb)
    case WT_EW_POW: ROW_LOOP(int64_t, int64_t, i64_pow(va, vb))
    case WT_EW_BITAND: ROW_LOOP(int64_t, int64_t, va & vb)
    case WT_EW_BITOR: ROW_LOOP(int64_t, int64_t, va | vb)
    case WT_EW_BITXOR: ROW_LOOP(int64_t, int64_t, va ^ vb)
    case WT_EW_EQ: ROW_LOOP(int64_t, uint8_t, va == vb)
    case WT_EW_NE: ROW_LOOP(int64_t, uint8_t, va != vb)
    case WT_EW_LT: ROW_LOOP(int64_t, uint8_t, va < vb)
    case WT_EW_LE: ROW_LOOP(int64_t, uint8_t, va <= vb)
    case WT_EW_GT: ROW_LOOP(int64_t, uint8_t, va > vb)
    default: ROW_LOOP(int64_t, uint8_t, va >= vb)
  }
}

static void ew_bool_row(const dt_params* p, size_t n, const uint8_t* const* in, const size_t* st,
                        uint8_t* y) {
  switch (p->op) {
    case WT_EW_EQ: ROW_LOOP(uint8_t, uint8_t, va == vb)
    case WT_EW_NE:
    case WT_EW_BITXOR:
    case WT_EW_LOGICAL_XOR: ROW_LOOP(uint8_t, uint8_t, va != vb)
    case WT_EW_BITAND:
    case WT_EW_LOGICAL_AND: ROW_LOOP(uint8_t, uint8_t, va & vb)
    default: ROW_LOOP(uint8_t, uint8_t, va | vb) /* BITOR, LOGICAL_OR */
  }
}
#undef ROW_LOOP
#undef DIV_LOOP

#define WHERE_LOOP(T)                                                                   \
  {                                                                                    \
    const T* a = (const T*)in[1];                                                      \
    const T* b = (const T*)in[2];                                                      \
    T* out = (T*)y;                                                                    \
    for (size_t i = 0; i < n; i++) out[i] = in[0][i * st[0]] ? a[i * st[1]] : b[i * st[2]]; \
    return;                                                                            \
  }

static void where_row(const dt_params* p, size_t n, const uint8_t* const* in, const size_t* st,
                      uint8_t* y) {
  switch (p->ysize) {
    case 1: WHERE_LOOP(uint8_t)
    case 2: WHERE_LOOP(uint16_t)
    case 4:
      p->vcmp->select(n, in[0], st[0], (const uint32_t*)in[1], st[1], (const uint32_t*)in[2], st[2],
                      (uint32_t*)y);
      return;
    default: WHERE_LOOP(uint64_t)
  }
}
#undef WHERE_LOOP

/* Broadcast walk: rows are all output dims but the last; each task takes a block of rows. */
/* Broadcast walk: a unit is a chunk of one innermost row (rows are all output dims but the last;
 * long rows are cut in chunks so that threads share them); each task takes a block of units. */
static void broadcast_task(void* context, size_t task) {
  const dt_params* p = ((const wt_step*)context)->params;
  const size_t u0 = task * p->block;
  const size_t u1 = p->rows - u0 < p->block ? p->rows : u0 + p->block;
  const size_t last = p->rank - 1, inner = p->ydims[last], chunks = div_up(inner, p->chunk);
  size_t st[MAX_OPERANDS];
  for (size_t k = 0; k < p->n_in; k++) st[k] = p->strides[k][last];
  for (size_t u = u0; u < u1; u++) {
    const size_t r = u / chunks, start = u % chunks * p->chunk;
    const size_t n = inner - start < p->chunk ? inner - start : p->chunk;
    const uint8_t* in[MAX_OPERANDS];
    size_t off[MAX_OPERANDS] = {0, 0, 0}, rest = r;
    for (size_t d = last; d-- > 0;) {
      const size_t i = rest % p->ydims[d];
      rest /= p->ydims[d];
      for (size_t k = 0; k < p->n_in; k++) off[k] += i * p->strides[k][d];
    }
    for (size_t k = 0; k < p->n_in; k++) in[k] = p->in[k] + (off[k] + start * st[k]) * p->esize[k];
    p->row(p, n, in, st, p->y + (r * inner + start) * p->ysize);
  }
}

/* ---- flat ops: cast, map -------------------------------------------------------------------- */

/* binary16 bits <-> float32, round to nearest even (as torch's Half conversions). */
static float f16_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = h >> 10 & 0x1fu, man = h & 0x3ffu;
  float f;
  if (exp == 0 && man != 0) { /* subnormal: man * 2^-24, exact in float32 */
    f = (float)man * 0x1p-24f;
    return sign ? -f : f;
  }
  const uint32_t bits = sign | (exp == 0x1f ? 0x7f800000u | man << 13 : exp ? (exp + 112) << 23 | man << 13 : 0);
  memcpy(&f, &bits, sizeof f);
  return f;
}

static uint16_t f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  const uint16_t sign = (uint16_t)(x >> 16 & 0x8000u);
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) return sign | 0x7c00u | (x > 0x7f800000u ? 0x200u : 0); /* inf, NaN */
  if (x >= 0x477ff000u) return sign | 0x7c00u; /* 65520 and above round to inf */
  if (x < 0x38800000u) {                       /* below 2^-14: a subnormal half (or 0) */
    float a;
    memcpy(&a, &x, sizeof a);
    return sign | (uint16_t)nearbyintf(a * 0x1p24f);
  }
  return sign | (uint16_t)((x + 0xfffu + (x >> 13 & 1u) - 0x38000000u) >> 13);
}

/* One element of any plan dtype, as the widest value of its kind. */
typedef struct dt_scalar {
  double f;
  int64_t i;
  int is_float;
} dt_scalar;

static dt_scalar load_any(uint8_t dtype, const uint8_t* x, size_t i) {
  switch (dtype) {
    case WT_DTYPE_F32: return (dt_scalar){((const float*)x)[i], 0, 1};
    case WT_DTYPE_F64: return (dt_scalar){((const double*)x)[i], 0, 1};
    case WT_DTYPE_F16: return (dt_scalar){f16_to_f32(((const uint16_t*)x)[i]), 0, 1};
    case WT_DTYPE_I64: return (dt_scalar){0, ((const int64_t*)x)[i], 0};
    case WT_DTYPE_I32: return (dt_scalar){0, ((const int32_t*)x)[i], 0};
    default: return (dt_scalar){0, x[i], 0}; /* bool, uint8 */
  }
}

/* Float -> integer truncates toward 0; NaN and out-of-range give INT64_MIN (as x86), not a trap. */
static int64_t as_int(dt_scalar v) {
  if (!v.is_float) return v.i;
  return v.f >= -9223372036854775808.0 && v.f < 9223372036854775808.0 ? (int64_t)v.f : INT64_MIN;
}

static void store_any(uint8_t dtype, uint8_t* y, size_t i, dt_scalar v) {
  switch (dtype) {
    case WT_DTYPE_F32: ((float*)y)[i] = v.is_float ? (float)v.f : (float)v.i; break;
    case WT_DTYPE_F64: ((double*)y)[i] = v.is_float ? v.f : (double)v.i; break;
    case WT_DTYPE_F16: ((uint16_t*)y)[i] = f32_to_f16(v.is_float ? (float)v.f : (float)v.i); break;
    case WT_DTYPE_I64: ((int64_t*)y)[i] = as_int(v); break;
    case WT_DTYPE_I32: ((int32_t*)y)[i] = (int32_t)as_int(v); break;
    case WT_DTYPE_U8: y[i] = (uint8_t)as_int(v); break;
    default: y[i] = v.is_float ? v.f != 0.0 : v.i != 0; break; /* bool: NaN -> true */
  }
}

static void cast_range(const dt_params* p, size_t i0, size_t n) {
  for (size_t i = i0; i < i0 + n; i++) store_any(p->out_dtype, p->y, i, load_any(p->in_dtype, p->in[0], i));
}

static void map_range(const dt_params* p, size_t i0, size_t n) {
  const int64_t* xi = (const int64_t*)p->in[0] + i0;
  const float* xf = (const float*)p->in[0] + i0;
  const uint8_t* xb = p->in[0] + i0;
  int64_t* yi = (int64_t*)p->y + i0;
  float* yf = (float*)p->y + i0;
  uint8_t* yb = p->y + i0;
  for (size_t i = 0; i < n; i++) {
    switch (p->op) {
      case WT_MAP_NEG: yi[i] = i64_neg(xi[i]); break;
      case WT_MAP_ABS: yi[i] = xi[i] < 0 ? i64_neg(xi[i]) : xi[i]; break;
      case WT_MAP_SIGN: yi[i] = (xi[i] > 0) - (xi[i] < 0); break;
      case WT_MAP_LOGICAL_NOT: yb[i] = !xb[i]; break;
      case WT_MAP_BITWISE_NOT:
        if (p->in_dtype == WT_DTYPE_BOOL)
          yb[i] = !xb[i];
        else
          yi[i] = ~xi[i];
        break;
      case WT_MAP_ISNAN: yb[i] = isnan(xf[i]) != 0; break;
      case WT_MAP_ISINF: yb[i] = isinf(xf[i]) != 0; break;
      case WT_MAP_ISFINITE: yb[i] = isfinite(xf[i]) != 0; break;
      case WT_MAP_LOG: yf[i] = logf(xf[i]); break;
      case WT_MAP_LOG2: yf[i] = log2f(xf[i]); break;
      case WT_MAP_LOG10: yf[i] = log10f(xf[i]); break;
      case WT_MAP_LOG1P: yf[i] = log1pf(xf[i]); break;
      case WT_MAP_EXPM1: yf[i] = expm1f(xf[i]); break;
      case WT_MAP_SIN: yf[i] = sinf(xf[i]); break;
      case WT_MAP_COS: yf[i] = cosf(xf[i]); break;
      case WT_MAP_TAN: yf[i] = tanf(xf[i]); break;
      case WT_MAP_ASIN: yf[i] = asinf(xf[i]); break;
      case WT_MAP_ACOS: yf[i] = acosf(xf[i]); break;
      case WT_MAP_ATAN: yf[i] = atanf(xf[i]); break;
      case WT_MAP_SINH: yf[i] = sinhf(xf[i]); break;
      case WT_MAP_COSH: yf[i] = coshf(xf[i]); break;
      case WT_MAP_ASINH: yf[i] = asinhf(xf[i]); break;
      case WT_MAP_ACOSH: yf[i] = acoshf(xf[i]); break;
      case WT_MAP_ATANH: yf[i] = atanhf(xf[i]); break;
      case WT_MAP_ERFC: yf[i] = erfcf(xf[i]); break;
      case WT_MAP_EXP2: yf[i] = exp2f(xf[i]); break;
      default: yf[i] = xf[i] - truncf(xf[i]); break; /* FRAC */
    }
  }
}

static void flat_task(void* context, size_t task) {
  const wt_step* s = context;
  const dt_params* p = s->params;
  const size_t i0 = task * p->block, n = p->rows - i0 < p->block ? p->rows - i0 : p->block;
  if (p->kind == KIND_CAST)
    cast_range(p, i0, n);
  else
    map_range(p, i0, n);
}

/* ---- reduce, scan ----------------------------------------------------------------------------- */

/* Reduces x[o, 0..r, i] (stride inner) for the columns i of [i0, i0 + ni) of outer slice o. */
static void reduce_f32_slice(const dt_params* p, size_t o, size_t i0, size_t ni) {
  const float* x = (const float*)p->in[0] + o * p->r * p->inner + i0;
  const size_t r = p->r, inner = p->inner;
  float* yf = (float*)p->y + o * inner + i0;
  int64_t* yi = (int64_t*)p->y + o * inner + i0;
  const wt_f32_vbinary_minmax_params mm = {-INFINITY, INFINITY};
  const int simd = p->op == WT_REDUCE_SUM || p->op == WT_REDUCE_MEAN || p->op == WT_REDUCE_MAX ||
                   p->op == WT_REDUCE_MIN || p->op == WT_REDUCE_PROD;
  if (simd && inner == 1 && (p->op == WT_REDUCE_SUM || p->op == WT_REDUCE_MEAN)) {
    p->layernorm->rsum(r, x, yf);
  } else if (simd && inner == 1 && p->op == WT_REDUCE_MAX && r > 0) {
    p->softmax->rmax(r, x, yf);
  } else if (simd && inner > 1) { /* rows of `inner` combined with the f32-vbinary kernels */
    const int kind = p->op == WT_REDUCE_MAX   ? WT_VBINARY_MAX
                     : p->op == WT_REDUCE_MIN ? WT_VBINARY_MIN
                     : p->op == WT_REDUCE_PROD ? WT_VBINARY_MUL
                                               : WT_VBINARY_ADD;
    if (r == 0) {
      for (size_t i = 0; i < ni; i++) yf[i] = p->op == WT_REDUCE_PROD ? 1.0f : 0.0f;
    } else {
      memcpy(yf, x, ni * sizeof(float));
      for (size_t k = 1; k < r; k++) p->vbinary->op[kind](ni, yf, x + k * inner, yf, &mm);
    }
  } else {
    for (size_t i = 0; i < ni; i++) {
      const float* xi = x + i;
      double acc = 0.0, acc2 = 0.0;
      float best = r ? xi[0] : 0.0f;
      size_t at = 0;
      switch (p->op) {
        case WT_REDUCE_SUM:
        case WT_REDUCE_MEAN:
          for (size_t k = 0; k < r; k++) acc += xi[k * inner];
          yf[i] = (float)acc;
          break;
        case WT_REDUCE_PROD:
          acc = 1.0;
          for (size_t k = 0; k < r; k++) acc *= xi[k * inner];
          yf[i] = (float)acc;
          break;
        case WT_REDUCE_MAX:
        case WT_REDUCE_MIN:
        case WT_REDUCE_ARGMAX:
        case WT_REDUCE_ARGMIN: {
          const int want_max = p->op == WT_REDUCE_MAX || p->op == WT_REDUCE_ARGMAX;
          for (size_t k = 1; k < r && best == best; k++) {
            const float v = xi[k * inner];
            if (v != v || (want_max ? v > best : v < best)) best = v, at = k;
          }
          if (p->op == WT_REDUCE_ARGMAX || p->op == WT_REDUCE_ARGMIN)
            yi[i] = (int64_t)at;
          else
            yf[i] = best;
          break;
        }
        case WT_REDUCE_VAR:
        case WT_REDUCE_STD: {
          for (size_t k = 0; k < r; k++) acc += xi[k * inner];
          const double mean = acc / (double)r;
          for (size_t k = 0; k < r; k++) {
            const double d = xi[k * inner] - mean;
            acc2 += d * d;
          }
          /* as torch: over max(0, r - correction), so too few elements give inf (0/0: NaN) */
          const double var = acc2 / fmax(0.0, (double)r - p->p);
          yf[i] = (float)(p->op == WT_REDUCE_STD ? sqrt(var) : var);
          break;
        }
        case WT_REDUCE_NORM:
          if (isinf(p->p)) {
            for (size_t k = 0; k < r; k++) {
              const double v = fabs(xi[k * inner]);
              if (v > acc || v != v) acc = v; /* NaN sticks (fmax would drop it) */
            }
            yf[i] = (float)acc;
          } else {
            for (size_t k = 0; k < r; k++) acc += pow(fabs(xi[k * inner]), p->p);
            yf[i] = (float)(p->p == 1.0f ? acc : p->p == 2.0f ? sqrt(acc) : pow(acc, 1.0 / p->p));
          }
          break;
        default: { /* LOGSUMEXP */
          double m = -INFINITY;
          for (size_t k = 0; k < r; k++) m = fmax(m, xi[k * inner]);
          if (isinf(m)) {
            yf[i] = (float)m;
            break;
          }
          for (size_t k = 0; k < r; k++) acc += exp(xi[k * inner] - m);
          yf[i] = (float)(m + log(acc));
          break;
        }
      }
    }
  }
  if (p->op == WT_REDUCE_MEAN)
    for (size_t i = 0; i < ni; i++) yf[i] /= (float)r;
}

static void reduce_int_slice(const dt_params* p, size_t o, size_t i0, size_t ni) {
  const size_t r = p->r, inner = p->inner;
  for (size_t i = i0; i < i0 + ni; i++) {
    const size_t base = o * r * inner + i;
    if (p->in_dtype == WT_DTYPE_BOOL) {
      const uint8_t* x = p->in[0] + base;
      uint8_t acc = p->op == WT_REDUCE_ALL;
      for (size_t k = 0; k < r; k++) acc = p->op == WT_REDUCE_ALL ? acc && x[k * inner] : acc || x[k * inner];
      p->y[o * inner + i] = acc;
      continue;
    }
    const int64_t* x = (const int64_t*)p->in[0] + base;
    int64_t* y = (int64_t*)p->y + o * inner + i;
    uint64_t acc = p->op == WT_REDUCE_PROD;
    int64_t best = r ? x[0] : 0;
    size_t at = 0;
    for (size_t k = 0; k < r; k++) {
      const int64_t v = x[k * inner];
      if (p->op == WT_REDUCE_SUM) acc += (uint64_t)v;
      else if (p->op == WT_REDUCE_PROD) acc *= (uint64_t)v;
      else if ((p->op == WT_REDUCE_MAX || p->op == WT_REDUCE_ARGMAX) ? v > best : v < best)
        best = v, at = k;
    }
    *y = p->op == WT_REDUCE_SUM || p->op == WT_REDUCE_PROD ? (int64_t)acc
         : p->op == WT_REDUCE_ARGMAX || p->op == WT_REDUCE_ARGMIN ? (int64_t)at
                                                                  : best;
  }
}

static void scan_slice(const dt_params* p, size_t o, size_t i0, size_t ni) {
  const size_t r = p->r, inner = p->inner, base = o * r * inner;
  for (size_t i = i0; i < i0 + ni; i++) {
    if (p->in_dtype == WT_DTYPE_F32) {
      const float* x = (const float*)p->in[0] + base + i;
      float* y = (float*)p->y + base + i;
      double acc = p->op == WT_SCAN_CUMPROD;
      for (size_t k = 0; k < r; k++) {
        acc = p->op == WT_SCAN_CUMPROD ? acc * x[k * inner] : acc + x[k * inner];
        y[k * inner] = (float)acc;
      }
    } else {
      const int64_t* x = (const int64_t*)p->in[0] + base + i;
      int64_t* y = (int64_t*)p->y + base + i;
      uint64_t acc = p->op == WT_SCAN_CUMPROD;
      for (size_t k = 0; k < r; k++) {
        acc = p->op == WT_SCAN_CUMPROD ? acc * (uint64_t)x[k * inner] : acc + (uint64_t)x[k * inner];
        y[k * inner] = (int64_t)acc;
      }
    }
  }
}

/* Top-k of one row: a heap of the k best positions kept in the indices output, its root the one
 * that ranks last; every later element that ranks before the root replaces it; then the heap is
 * sorted in place (the root, ranking last, goes to the end each time). O(n log k), no scratch. */
#define TOPK_ROW(NAME, T, IS_NAN)                                                                  \
  static int NAME##_before(const T* x, int64_t i, int64_t j, int largest) {                        \
    const T a = x[i], b = x[j];                                                                   \
    const int an = IS_NAN(a), bn = IS_NAN(b);                                                     \
    if (an || bn) return an && bn ? i < j : largest ? an : bn;                                    \
    if (a != b) return largest ? a > b : a < b;                                                   \
    return i < j;                                                                                 \
  }                                                                                               \
  static void NAME##_sift(const T* x, int64_t* h, size_t size, size_t pos, int largest) {         \
    for (;;) {                                                                                    \
      size_t last = pos, c = 2 * pos + 1;                                                         \
      if (c < size && NAME##_before(x, h[last], h[c], largest)) last = c;                        \
      if (c + 1 < size && NAME##_before(x, h[last], h[c + 1], largest)) last = c + 1;            \
      if (last == pos) return;                                                                    \
      const int64_t t = h[pos];                                                                   \
      h[pos] = h[last], h[last] = t, pos = last;                                                  \
    }                                                                                             \
  }                                                                                               \
  static void NAME(const T* x, size_t n, size_t k, int largest, T* y, int64_t* h) {               \
    if (k == 0) return;                                                                           \
    for (size_t i = 0; i < k; i++) h[i] = (int64_t)i;                                             \
    for (size_t i = k / 2; i-- > 0;) NAME##_sift(x, h, k, i, largest);                            \
    for (size_t j = k; j < n; j++)                                                                \
      if (NAME##_before(x, (int64_t)j, h[0], largest)) h[0] = (int64_t)j, NAME##_sift(x, h, k, 0, largest); \
    for (size_t end = k; end-- > 1;) {                                                            \
      const int64_t t = h[0];                                                                     \
      h[0] = h[end], h[end] = t;                                                                  \
      NAME##_sift(x, h, end, 0, largest);                                                         \
    }                                                                                             \
    for (size_t i = 0; i < k; i++) y[i] = x[h[i]];                                                \
  }
#define F32_IS_NAN(v) ((v) != (v))
#define I64_IS_NAN(v) 0
TOPK_ROW(topk_f32, float, F32_IS_NAN)
TOPK_ROW(topk_i64, int64_t, I64_IS_NAN)
#undef TOPK_ROW
#undef F32_IS_NAN
#undef I64_IS_NAN

static void topk_slice(const dt_params* p, size_t row) {
  const int largest = (p->op & WT_TOPK_FLAG_LARGEST) != 0;
  if (p->in_dtype == WT_DTYPE_F32)
    topk_f32((const float*)p->in[0] + row * p->r, p->r, p->k, largest, (float*)p->y + row * p->k,
             p->indices + row * p->k);
  else
    topk_i64((const int64_t*)p->in[0] + row * p->r, p->r, p->k, largest, (int64_t*)p->y + row * p->k,
             p->indices + row * p->k);
}

/* (log_)softmax over r rows of ni columns (stride inner) with column max m and sum s in scratch:
 * y = exp(x - m) summed into s, then y / s, or (x - m) - log(s), the row kernels' formulas. */
static void softmax_slice(const dt_params* p, size_t o, size_t i0, size_t ni, float* m, float* s) {
  const size_t r = p->r, inner = p->inner;
  const float* x = (const float*)p->in[0] + o * r * inner + i0;
  float* y = (float*)p->y + o * r * inner + i0;
  const wt_f32_vbinary_minmax_params mm = {-INFINITY, INFINITY};
  const wt_f32_vunary_params none = {{0.0f, 0.0f}};
  if (r == 0) return;
  memcpy(m, x, ni * sizeof(float));
  for (size_t k = 1; k < r; k++) p->vbinary->op[WT_VBINARY_MAX](ni, m, x + k * inner, m, &mm);
  for (size_t i = 0; i < ni; i++) s[i] = 0.0f;
  for (size_t k = 0; k < r; k++) {
    float* yk = y + k * inner;
    p->vbinary->op[WT_VBINARY_SUB](ni, x + k * inner, m, yk, &mm);
    p->vunary->ukernel[WT_VUNARY_EXP](ni, yk, yk, &none);
    p->vbinary->op[WT_VBINARY_ADD](ni, s, yk, s, &mm);
  }
  if (p->op & WT_SOFTMAX_FLAG_LOG) {
    for (size_t i = 0; i < ni; i++) s[i] = logf(s[i]);
    for (size_t k = 0; k < r; k++) {
      float* yk = y + k * inner;
      p->vbinary->op[WT_VBINARY_SUB](ni, x + k * inner, m, yk, &mm);
      p->vbinary->op[WT_VBINARY_SUB](ni, yk, s, yk, &mm);
    }
  } else {
    for (size_t k = 0; k < r; k++) p->vbinary->op[WT_VBINARY_DIV](ni, y + k * inner, s, y + k * inner, &mm);
  }
}

/* A unit is `chunk` columns of one outer slice (a reduction over leading dims of a wide tensor
 * still splits across threads); each task takes a block of units. */
static void slice_task(void* context, size_t task) {
  const wt_step* s = context;
  const dt_params* p = s->params;
  const size_t u0 = task * p->block, u1 = p->rows - u0 < p->block ? p->rows : u0 + p->block;
  const size_t chunks = div_up(p->inner, p->chunk);
  for (size_t u = u0; u < u1; u++) {
    const size_t o = u / chunks, i0 = u % chunks * p->chunk;
    const size_t ni = p->inner - i0 < p->chunk ? p->inner - i0 : p->chunk;
    if (p->kind == KIND_SCAN)
      scan_slice(p, o, i0, ni);
    else if (p->kind == KIND_SOFTMAX) /* the shared scratch: 2 * chunk floats per task */
      softmax_slice(p, o, i0, ni, (float*)s->scratch + task * 2 * p->chunk,
                    (float*)s->scratch + (task * 2 + 1) * p->chunk);
    else if (p->kind == KIND_TOPK)
      topk_slice(p, o);
    else if (p->in_dtype == WT_DTYPE_F32)
      reduce_f32_slice(p, o, i0, ni);
    else
      reduce_int_slice(p, o, i0, ni);
  }
}

static void run_step(const wt_step* s, wt_threadpool* pool) {
  const dt_params* p = s->params;
  const wt_task_fn fn = p->kind == KIND_BROADCAST                      ? broadcast_task
                        : p->kind == KIND_CAST || p->kind == KIND_MAP ? flat_task
                                                                      : slice_task;
  *p->div_by_zero = 0;
  wt_threadpool_run(pool, fn, (void*)s, p->tasks);
  if (*p->div_by_zero) wt_fail(WT_E_INPUT, "integer division by zero");
}

/* ---- build ------------------------------------------------------------------------------------- */

static const uint8_t* ptr(const wt_plan* plan, uint32_t id, uint8_t* arena, const uint8_t* weights) {
  const wt_value* v = &plan->values[id];
  return (v->space == WT_SPACE_ARENA ? arena : weights) + v->offset;
}

static void split(dt_params* p, size_t units, size_t threads, size_t align) {
  p->block = units ? units : 1;
  if (threads > 1 && units > 0) p->block = div_up(div_up(units, threads), align) * align;
  p->tasks = units ? div_up(units, p->block) : 0;
}

/* y's dims with each input's element strides (0 where it broadcasts); size-1 dims dropped and
 * neighbours that every operand walks contiguously merged, so the innermost run is long. */
static void build_broadcast(const wt_plan* plan, const wt_op* op, dt_params* p, size_t threads) {
  const wt_value* y = &plan->values[op->out[0]];
  size_t dims[MAX_RANK], strides[MAX_OPERANDS][MAX_RANK], rank = 0;
  for (uint32_t d = 0; d < y->rank; d++) {
    if (y->dims[d] == 1) continue;
    dims[rank] = y->dims[d];
    for (uint32_t k = 0; k < op->n_in; k++) {
      const wt_value* v = &plan->values[op->in[k]];
      size_t s = 0;
      if (d + v->rank >= y->rank && v->dims[d + v->rank - y->rank] != 1) {
        s = 1;
        for (uint32_t e = d + v->rank - y->rank + 1; e < v->rank; e++) s *= v->dims[e];
      }
      strides[k][rank] = s;
    }
    rank++;
  }
  p->rank = 0;
  for (size_t d = 0; d < rank; d++) {
    int merge = p->rank > 0;
    for (uint32_t k = 0; k < op->n_in && merge; k++)
      merge = strides[k][p->rank - 1] == strides[k][d] * dims[d];
    if (merge) {
      p->ydims[p->rank - 1] *= dims[d];
      for (uint32_t k = 0; k < op->n_in; k++) p->strides[k][p->rank - 1] = strides[k][d];
    } else {
      p->ydims[p->rank] = dims[d];
      for (uint32_t k = 0; k < op->n_in; k++) p->strides[k][p->rank] = strides[k][d];
      p->rank++;
    }
  }
  if (p->rank == 0) {
    p->ydims[0] = 1;
    for (uint32_t k = 0; k < op->n_in; k++) p->strides[k][0] = 0;
    p->rank = 1;
  }
  const size_t elements = numel_of(y), inner = p->ydims[p->rank - 1];
  p->chunk = threads > 1 && inner > CHUNK ? CHUNK : inner ? inner : 1;
  p->rows = elements ? elements / inner * div_up(inner, p->chunk) : 0;
  split(p, p->rows, threads, 1);
}

int wt_dtype_build(const wt_plan* plan, const wt_op* op, uint8_t* arena, const uint8_t* weights,
                   wt_step* step, size_t threads, size_t* scratch_bytes) {
  /* the params, then the division flag (written by tasks, so not in the const params) */
  *scratch_bytes = 0;
  dt_params* p = wt_step_params(step, sizeof *p + sizeof(int));
  if (p == NULL) return WT_E_NOMEM;
  step->run = run_step;
  p->div_by_zero = (int*)(p + 1);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  p->n_in = op->n_in;
  for (uint32_t k = 0; k < op->n_in; k++) {
    p->in[k] = ptr(plan, op->in[k], arena, weights);
    p->esize[k] = wt_dtype_size(plan->values[op->in[k]].dtype);
  }
  p->y = arena + y->offset;
  p->ysize = wt_dtype_size(y->dtype);
  p->in_dtype = op->code == WT_OP_WHERE ? plan->values[op->in[1]].dtype : x->dtype;
  p->out_dtype = y->dtype;
  p->op = op->code == WT_OP_CAST || op->code == WT_OP_WHERE ? 0
          : op->code == WT_OP_TOPK || op->code == WT_OP_SOFTMAX_DIM ? wt_plan_u32(op->attrs + 4) /* flags */
                                                                   : wt_plan_u32(op->attrs);
  switch (op->code) {
    case WT_OP_ELEMWISE:
    case WT_OP_WHERE:
      p->kind = KIND_BROADCAST;
      p->vcmp = wt_f32_vcmp_config(VARIANT);
      p->row = op->code == WT_OP_WHERE       ? where_row
               : p->in_dtype == WT_DTYPE_F32 ? ew_f32_row
               : p->in_dtype == WT_DTYPE_I64 ? ew_i64_row
                                             : ew_bool_row;
      build_broadcast(plan, op, p, threads);
      break;
    case WT_OP_CAST:
    case WT_OP_MAP:
      p->kind = op->code == WT_OP_CAST ? KIND_CAST : KIND_MAP;
      p->rows = numel_of(y);
      split(p, p->rows, threads, 16);
      break;
    case WT_OP_TOPK: /* rows of r -> rows of k */
      p->kind = KIND_TOPK;
      p->indices = (int64_t*)(arena + plan->values[op->out[1]].offset);
      p->k = wt_plan_u32(op->attrs);
      p->r = x->dims[x->rank - 1];
      p->outer = p->r ? numel_of(x) / p->r : 0; /* k <= r: nothing to do when r is 0 */
      p->inner = p->chunk = 1;
      p->rows = p->k ? p->outer : 0;
      split(p, p->rows, threads, 1);
      break;
    default: { /* reduce, scan, softmax_dim: [outer, r, inner] */
      p->kind = op->code == WT_OP_REDUCE ? KIND_REDUCE : op->code == WT_OP_SCAN ? KIND_SCAN : KIND_SOFTMAX;
      const uint32_t start = wt_plan_u32(op->attrs + (op->code == WT_OP_SOFTMAX_DIM ? 0 : 4));
      const uint32_t end = op->code == WT_OP_REDUCE ? wt_plan_u32(op->attrs + 8) : start + 1;
      p->outer = p->r = p->inner = 1;
      for (uint32_t d = 0; d < x->rank; d++) {
        if (d < start) p->outer *= x->dims[d];
        else if (d < end) p->r *= x->dims[d];
        else p->inner *= x->dims[d];
      }
      if (op->code == WT_OP_REDUCE) p->p = wt_plan_f32(op->attrs + 12);
      p->vbinary = wt_f32_vbinary_config(VARIANT);
      p->layernorm = wt_f32_layernorm_config(VARIANT);
      p->softmax = wt_f32_softmax_config(VARIANT);
      p->vunary = wt_f32_vunary_config(VARIANT);
      p->chunk = threads > 1 && p->inner > CHUNK ? CHUNK : p->inner ? p->inner : 1;
      p->rows = numel_of(y) ? p->outer * div_up(p->inner, p->chunk) : 0;
      split(p, p->rows, threads, 1);
      if (p->kind == KIND_SOFTMAX) *scratch_bytes = p->tasks * 2 * p->chunk * sizeof(float);
      break;
    }
  }
  return WT_OK;
}
