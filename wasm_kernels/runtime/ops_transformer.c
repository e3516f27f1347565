/* Sequence/transformer ops of the plan runtime (op codes 20..39; wt_transformer.h). Shapes are
 * validated once by wt_transformer_check; wt_transformer_build turns every op into a step whose
 * geometry is fixed at load, so forward only runs kernels. The only run-time check is the one the
 * plan cannot make: embedding ids come from the caller and are range-checked before any row is
 * read (an out-of-range id fails forward with WT_E_INPUT, never an out-of-bounds read). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_elementwise.h"
#include "wt_check.h"
#include "wt_transformer.h"

#define VARIANT WT_ELEMENTWISE_WASMSIMD
#define GEMM_VARIANT WT_GEMM_WASMSIMD
/* Rows / elements per task are rounded to this many so tasks touch whole cache lines. */
#define ALIGN_ELEMENTS 16

typedef struct tf_params {
  uint16_t code;
  uint32_t op, flags;
  float scalar, eps;
  wt_f32_vunary_params uparams;
  size_t rank;                   /* strided copy, binary, matmul batch rank */
  size_t ydims[WT_MAX_RANK];     /* strided copy: output dims; matmul: output batch dims */
  size_t adims[WT_MAX_RANK];     /* binary: a's shape padded to rank */
  size_t bdims[WT_MAX_RANK];     /* binary: b's shape padded to rank */
  size_t astride[WT_MAX_RANK];   /* strided copy: input stride per output dim; matmul: a batch */
  size_t bstride[WT_MAX_RANK];   /* matmul: b batch strides */
  size_t offset;                 /* strided copy: first input element */
  size_t esize;                  /* strided copy: bytes per element */
  size_t n;                      /* elements (unary, scalar binary); row length (row ops) */
  size_t rows;                   /* row ops, strided copy, binary: units split across tasks */
  size_t block, tasks;
  size_t m, k, nc, packed_floats; /* matmul */
  size_t vocab, ids;             /* embedding */
  const float* a;
  const float* b;
  const float* c;
  const int64_t* idx;
  float* y;
  const wt_gemm_config* gemm;
  const wt_vunary_config* vunary;
  const wt_vbinary_config* vbinary;
  const wt_softmax_config* softmax;
  const wt_layernorm_config* layernorm;
} tf_params;

int wt_transformer_op(uint16_t code) { return code >= WT_OP_EMBEDDING && code <= WT_OP_EXPAND; }

int wt_transformer_other_dtype(const wt_op* op, uint32_t operand) {
  return (op->code == WT_OP_EMBEDDING && operand == 1) || op->code == WT_OP_TRANSPOSE ||
         op->code == WT_OP_SLICE || op->code == WT_OP_EXPAND;
}


static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

static size_t numel_of(const wt_value* v) {
  size_t n = 1;
  for (uint32_t d = 0; d < v->rank; d++) n *= v->dims[d];
  return n;
}

/* ---- checks ---------------------------------------------------------------------------------- */

static int mismatch(char* detail, size_t size, const char* what, const wt_value* got,
                    const wt_value* want) {
  char g[96], w[96];
  wt_shape_text(got, g, sizeof g);
  wt_shape_text(want, w, sizeof w);
  return wt_check_fail(detail, size, WT_E_SHAPE, "%s has shape %s, expected %s", what, g, w);
}

static int check_embedding(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* table = &plan->values[op->in[0]];
  const wt_value* ids = &plan->values[op->in[1]];
  const wt_value* y = &plan->values[op->out[0]];
  if (table->rank != 2)
    return wt_check_fail(detail, size, WT_E_SHAPE, "the table must be 2-d [rows, dim], it has rank %u",
                table->rank);
  if (ids->dtype != WT_DTYPE_I64)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "the ids must be int64");
  if (ids->rank + 1u > WT_MAX_RANK)
    return wt_check_fail(detail, size, WT_E_SHAPE, "ids of rank %u: the output would exceed rank %u",
                ids->rank, WT_MAX_RANK);
  wt_value want = *ids;
  want.rank = ids->rank + 1;
  want.dims[ids->rank] = table->dims[1];
  return wt_same_shape(y, &want) ? WT_OK : mismatch(detail, size, "the output", y, &want);
}

static int broadcast(const wt_value* a, const wt_value* b, wt_value* out) {
  const uint32_t rank = a->rank > b->rank ? a->rank : b->rank;
  *out = *a;
  out->rank = (uint8_t)rank;
  for (uint32_t d = 0; d < rank; d++) {
    const uint32_t da = d + a->rank >= rank ? a->dims[d + a->rank - rank] : 1;
    const uint32_t db = d + b->rank >= rank ? b->dims[d + b->rank - rank] : 1;
    if (da != db && da != 1 && db != 1) return 0;
    out->dims[d] = da == 1 ? db : da;
  }
  for (uint32_t d = rank; d < WT_MAX_RANK; d++) out->dims[d] = 0;
  return 1;
}

static int check_binary(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t kind = wt_plan_u32(op->attrs), flags = wt_plan_u32(op->attrs + 4);
  const wt_value* a = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (kind >= WT_VBINARY_OP_COUNT)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "binary op %u unknown", kind);
  if (flags & ~WT_BINARY_FLAG_REVERSED || (op->n_in == 2 && flags))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "flags 0x%x invalid with %u inputs", flags, op->n_in);
  if (y->rank > WT_TRANSFORMER_MAX_RANK)
    return wt_check_fail(detail, size, WT_E_SHAPE, "rank %u above %u", y->rank, WT_TRANSFORMER_MAX_RANK);
  if (op->n_in == 1) return wt_same_shape(a, y) ? WT_OK : mismatch(detail, size, "input 0", a, y);
  const wt_value* b = &plan->values[op->in[1]];
  wt_value want;
  if (!broadcast(a, b, &want)) {
    char as[96], bs[96];
    wt_shape_text(a, as, sizeof as);
    wt_shape_text(b, bs, sizeof bs);
    return wt_check_fail(detail, size, WT_E_SHAPE, "shapes %s and %s do not broadcast", as, bs);
  }
  return wt_same_shape(y, &want) ? WT_OK : mismatch(detail, size, "the output", y, &want);
}

static int check_unary(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t kind = wt_plan_u32(op->attrs);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  const float p0 = wt_plan_f32(op->attrs + 4), p1 = wt_plan_f32(op->attrs + 8);
  if (kind >= WT_VUNARY_OP_COUNT)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unary op %u unknown", kind);
  if (isnan(p0) || isnan(p1))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "a parameter is NaN");
  if (kind == WT_VUNARY_SOFTPLUS && (p0 == 0.0f || isinf(p0)))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "softplus beta %g must be finite, not 0", (double)p0);
  return wt_same_shape(x, y) ? WT_OK : mismatch(detail, size, "input 0", x, y);
}

static int check_rows(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (x->rank < 1) return wt_check_fail(detail, size, WT_E_SHAPE, "the input must have a last dimension");
  return wt_same_shape(x, y) ? WT_OK : mismatch(detail, size, "input 0", x, y);
}

static int check_layer_norm(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t flags = wt_plan_u32(op->attrs);
  const float eps = wt_plan_f32(op->attrs + 4);
  if (flags & ~(WT_LAYER_NORM_FLAG_GAMMA | WT_LAYER_NORM_FLAG_BETA))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown flags 0x%x", flags);
  const uint32_t want_in =
      1 + !!(flags & WT_LAYER_NORM_FLAG_GAMMA) + !!(flags & WT_LAYER_NORM_FLAG_BETA);
  if (op->n_in != want_in)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "%u inputs, flags 0x%x need %u", op->n_in, flags,
                want_in);
  if (!(eps >= 0.0f) || isinf(eps))
    return wt_check_fail(detail, size, WT_E_OPERANDS, "eps must be finite and >= 0");
  const int status = check_rows(plan, op, detail, size);
  if (status != WT_OK) return status;
  const wt_value* x = &plan->values[op->in[0]];
  for (uint32_t i = 1; i < op->n_in; i++) {
    const wt_value* p = &plan->values[op->in[i]];
    if (p->rank != 1 || p->dims[0] != x->dims[x->rank - 1])
      return wt_check_fail(detail, size, WT_E_SHAPE, "gamma/beta must have shape [%u]",
                  x->dims[x->rank - 1]);
  }
  return WT_OK;
}

static int check_softmax(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t flags = wt_plan_u32(op->attrs);
  if (flags & ~WT_SOFTMAX_FLAG_LOG)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown flags 0x%x", flags);
  return check_rows(plan, op, detail, size);
}

static int check_matmul(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t flags = wt_plan_u32(op->attrs);
  const wt_value* a = &plan->values[op->in[0]];
  const wt_value* b = &plan->values[op->in[1]];
  const wt_value* y = &plan->values[op->out[0]];
  if (flags & ~WT_MATMUL_FLAG_B_NK)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown flags 0x%x", flags);
  if (a->rank < 2 || b->rank < 2 || a->rank > WT_TRANSFORMER_MAX_RANK ||
      b->rank > WT_TRANSFORMER_MAX_RANK)
    return wt_check_fail(detail, size, WT_E_SHAPE, "operands of rank %u and %u: 2..%u supported", a->rank,
                b->rank, WT_TRANSFORMER_MAX_RANK);
  const int nk = (flags & WT_MATMUL_FLAG_B_NK) != 0;
  const uint32_t m = a->dims[a->rank - 2], k = a->dims[a->rank - 1];
  const uint32_t bk = nk ? b->dims[b->rank - 1] : b->dims[b->rank - 2];
  const uint32_t n = nk ? b->dims[b->rank - 2] : b->dims[b->rank - 1];
  if (bk != k) {
    char as[96], bs[96];
    wt_shape_text(a, as, sizeof as);
    wt_shape_text(b, bs, sizeof bs);
    return wt_check_fail(detail, size, WT_E_SHAPE, "%s and %s%s do not multiply", as, bs,
                nk ? " (transposed)" : "");
  }
  wt_value ab = *a, bb = *b, want;
  ab.rank -= 2;
  bb.rank -= 2;
  if (!broadcast(&ab, &bb, &want))
    return wt_check_fail(detail, size, WT_E_SHAPE, "batch dimensions do not broadcast");
  want.dims[want.rank] = m;
  want.dims[want.rank + 1] = n;
  want.rank += 2;
  return wt_same_shape(y, &want) ? WT_OK : mismatch(detail, size, "the output", y, &want);
}

static int check_transpose(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (x->rank > WT_TRANSFORMER_MAX_RANK)
    return wt_check_fail(detail, size, WT_E_SHAPE, "rank %u above %u", x->rank, WT_TRANSFORMER_MAX_RANK);
  uint32_t seen = 0;
  wt_value want = *x;
  for (uint32_t d = 0; d < WT_MAX_RANK; d++) {
    const uint32_t p = wt_plan_u32(op->attrs + 4 * d);
    if (d >= x->rank) {
      if (p != 0) return wt_check_fail(detail, size, WT_E_OPERANDS, "perm entry %u set past the rank", d);
      continue;
    }
    if (p >= x->rank || (seen >> p & 1))
      return wt_check_fail(detail, size, WT_E_OPERANDS, "perm is not a permutation of 0..%u", x->rank - 1);
    seen |= 1u << p;
    want.dims[d] = x->dims[p];
  }
  return wt_same_shape(y, &want) ? WT_OK : mismatch(detail, size, "the output", y, &want);
}

static int check_slice(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  const uint32_t dim = wt_plan_u32(op->attrs), start = wt_plan_u32(op->attrs + 4),
                 step = wt_plan_u32(op->attrs + 8);
  if (x->rank > WT_TRANSFORMER_MAX_RANK || dim >= x->rank || step == 0)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "dim %u / step %u invalid for rank %u", dim, step,
                x->rank);
  if (y->rank != x->rank) return mismatch(detail, size, "the output", y, x);
  const uint64_t len = y->dims[dim];
  if (start > x->dims[dim] || (len > 0 && start + (len - 1) * step >= x->dims[dim]))
    return wt_check_fail(detail, size, WT_E_SHAPE, "%llu elements from %u step %u exceed dim %u (%u)",
                (unsigned long long)len, start, step, dim, x->dims[dim]);
  wt_value want = *x;
  want.dims[dim] = (uint32_t)len;
  return wt_same_shape(y, &want) ? WT_OK : mismatch(detail, size, "the output", y, &want);
}

static int check_expand(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  wt_value want;
  if (y->rank > WT_TRANSFORMER_MAX_RANK || x->rank > y->rank || !broadcast(x, y, &want) ||
      !wt_same_shape(&want, y))
    return mismatch(detail, size, "the output", y, x);
  return WT_OK;
}

int wt_transformer_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if ((op->code == WT_OP_TRANSPOSE || op->code == WT_OP_SLICE || op->code == WT_OP_EXPAND) &&
      x->dtype != y->dtype)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "input dtype %u, output dtype %u", x->dtype,
                         y->dtype);
  switch (op->code) {
    case WT_OP_EMBEDDING: return check_embedding(plan, op, detail, size);
    case WT_OP_BINARY: return check_binary(plan, op, detail, size);
    case WT_OP_UNARY: return check_unary(plan, op, detail, size);
    case WT_OP_LAYER_NORM: return check_layer_norm(plan, op, detail, size);
    case WT_OP_SOFTMAX: return check_softmax(plan, op, detail, size);
    case WT_OP_MATMUL: return check_matmul(plan, op, detail, size);
    case WT_OP_TRANSPOSE: return check_transpose(plan, op, detail, size);
    case WT_OP_SLICE: return check_slice(plan, op, detail, size);
    case WT_OP_EXPAND: return check_expand(plan, op, detail, size);
    default: return wt_check_fail(detail, size, WT_E_OPCODE, "not a transformer op");
  }
}

/* ---- run --------------------------------------------------------------------------------------- */

static size_t task_range(const tf_params* p, size_t task, size_t* r0) {
  *r0 = task * p->block;
  return p->rows - *r0 < p->block ? p->rows - *r0 : p->block;
}

static void split(tf_params* p, size_t units, size_t threads, size_t align) {
  p->rows = units;
  p->block = units ? units : 1;
  if (threads > 1 && units > 0) p->block = div_up(div_up(units, threads), align) * align;
  p->tasks = units ? div_up(units, p->block) : 0;
}

static void embedding_task(void* context, size_t task) {
  const tf_params* p = ((const wt_step*)context)->params;
  size_t r0;
  const size_t nc = task_range(p, task, &r0);
  for (size_t i = r0; i < r0 + nc; i++)
    memcpy(p->y + i * p->n, p->a + (size_t)p->idx[i] * p->n, p->n * sizeof(float));
}

static void run_embedding(const wt_step* s, wt_threadpool* pool) {
  const tf_params* p = s->params;
  for (size_t i = 0; i < p->ids; i++)
    if (p->idx[i] < 0 || (uint64_t)p->idx[i] >= p->vocab) {
      wt_fail(WT_E_INPUT, "embedding: id %lld at position %zu is outside the table's rows [0, %zu)",
              (long long)p->idx[i], i, p->vocab);
      return;
    }
  wt_threadpool_run(pool, embedding_task, (void*)s, p->tasks);
}

static void binary_task(void* context, size_t task) {
  const tf_params* p = ((const wt_step*)context)->params;
  size_t r0;
  const size_t nc = task_range(p, task, &r0);
  if (p->rank == 0) { /* one operand: a OP scalar over a flat range */
    const wt_f32_vbinary_minmax_params mm = {-INFINITY, INFINITY};
    if (p->flags & WT_BINARY_FLAG_REVERSED)
      p->vbinary->ropc[p->op](nc, p->a + r0, &p->scalar, p->y + r0, &mm);
    else
      p->vbinary->opc[p->op](nc, p->a + r0, &p->scalar, p->y + r0, &mm);
    return;
  }
  /* rows are the outermost output dim: narrow it to this task's range in each operand */
  size_t as[WT_MAX_RANK], bs[WT_MAX_RANK], ai = 1, bi = 1, yi = 1;
  for (size_t d = 0; d < p->rank; d++) {
    as[d] = p->adims[d];
    bs[d] = p->bdims[d];
    if (d > 0) ai *= as[d], bi *= bs[d], yi *= p->ydims[d];
  }
  const float* a = p->a;
  const float* b = p->b;
  if (as[0] != 1) as[0] = nc, a += r0 * ai;
  if (bs[0] != 1) bs[0] = nc, b += r0 * bi;
  wt_f32_vbinary_bcast(p->vbinary, (int)p->op, p->rank, as, p->rank, bs, a, b, p->y + r0 * yi,
                       -INFINITY, INFINITY);
}

static void unary_task(void* context, size_t task) {
  const tf_params* p = ((const wt_step*)context)->params;
  size_t r0;
  const size_t nc = task_range(p, task, &r0);
  p->vunary->ukernel[p->op](nc, p->a + r0, p->y + r0, &p->uparams);
}

static void layer_norm_task(void* context, size_t task) {
  const tf_params* p = ((const wt_step*)context)->params;
  size_t r0;
  const size_t nc = task_range(p, task, &r0);
  wt_f32_layernorm(p->layernorm, nc, p->n, p->a + r0 * p->n, p->n, p->b, p->c, p->eps,
                   p->y + r0 * p->n, p->n);
}

static void softmax_task(void* context, size_t task) {
  const tf_params* p = ((const wt_step*)context)->params;
  size_t r0;
  const size_t nc = task_range(p, task, &r0);
  if (p->flags & WT_SOFTMAX_FLAG_LOG)
    wt_f32_log_softmax(p->softmax, nc, p->n, p->a + r0 * p->n, p->n, p->y + r0 * p->n, p->n);
  else
    wt_f32_softmax(p->softmax, nc, p->n, p->a + r0 * p->n, p->n, p->y + r0 * p->n, p->n);
}

/* One task per output batch: pack that batch's B into its own scratch slot, then one GEMM. */
static void matmul_task(void* context, size_t task) {
  const wt_step* s = context;
  const tf_params* p = s->params;
  size_t rest = task, a_off = 0, b_off = 0;
  for (size_t d = p->rank; d-- > 0;) {
    const size_t i = rest % p->ydims[d];
    rest /= p->ydims[d];
    a_off += i * p->astride[d];
    b_off += i * p->bstride[d];
  }
  float* packed = (float*)s->scratch + task * p->packed_floats;
  const float* b = p->b + b_off;
  if (p->flags & WT_MATMUL_FLAG_B_NK)
    wt_f32_gemm_packw_goi(1, p->nc, p->k, p->gemm->nr, b, NULL, packed);
  else
    wt_pack_gemm_kn(p->nc, p->k, p->gemm->nr, b, NULL, packed);
  wt_f32_gemm(p->gemm, p->m, p->nc, p->k, p->a + a_off, p->k, packed, p->y + task * p->m * p->nc,
              p->nc, -INFINITY, INFINITY);
}

/* Strided copy: output rows (all dims but the last) from an input walked with per-dim strides. */
static void strided_task(void* context, size_t task) {
  const tf_params* p = ((const wt_step*)context)->params;
  size_t r0;
  const size_t nc = task_range(p, task, &r0);
  const size_t last = p->rank - 1, inner = p->ydims[last], stride = p->astride[last];
  for (size_t r = r0; r < r0 + nc; r++) {
    size_t rest = r, off = p->offset;
    for (size_t d = last; d-- > 0;) {
      off += rest % p->ydims[d] * p->astride[d];
      rest /= p->ydims[d];
    }
    const uint8_t* x = (const uint8_t*)p->a + off * p->esize;
    uint8_t* y = (uint8_t*)p->y + r * inner * p->esize;
    if (stride == 1) {
      memcpy(y, x, inner * p->esize);
    } else if (p->esize == 4) {
      for (size_t i = 0; i < inner; i++) ((float*)y)[i] = ((const float*)x)[i * stride];
    } else if (p->esize == 8) {
      for (size_t i = 0; i < inner; i++) ((uint64_t*)y)[i] = ((const uint64_t*)x)[i * stride];
    } else if (p->esize == 2) {
      for (size_t i = 0; i < inner; i++) ((uint16_t*)y)[i] = ((const uint16_t*)x)[i * stride];
    } else {
      for (size_t i = 0; i < inner; i++) y[i] = x[i * stride];
    }
  }
}

#define RUNNER(name)                                                     \
  static void run_##name(const wt_step* s, wt_threadpool* pool) {        \
    wt_threadpool_run(pool, name##_task, (void*)s, ((const tf_params*)s->params)->tasks); \
  }
RUNNER(binary)
RUNNER(unary)
RUNNER(layer_norm)
RUNNER(softmax)
RUNNER(matmul)
RUNNER(strided)
#undef RUNNER

/* ---- build ------------------------------------------------------------------------------------- */

static const void* ptr(const wt_plan* plan, uint32_t id, uint8_t* arena, const uint8_t* weights) {
  const wt_value* v = &plan->values[id];
  return (v->space == WT_SPACE_ARENA ? arena : weights) + v->offset;
}

/* Element strides of a dense shape. */
static void dense_strides(const wt_value* v, size_t* strides) {
  size_t s = 1;
  for (uint32_t d = v->rank; d-- > 0;) {
    strides[d] = s;
    s *= v->dims[d];
  }
}

/* Drops output dims of size 1 (their stride never matters), keeping at least one. */
static void squeeze_strided(tf_params* p) {
  size_t r = 0;
  for (size_t d = 0; d < p->rank; d++)
    if (p->ydims[d] != 1) {
      p->ydims[r] = p->ydims[d];
      p->astride[r] = p->astride[d];
      r++;
    }
  if (r == 0) p->ydims[r] = 1, p->astride[r] = 1, r = 1;
  p->rank = r;
}

static void build_strided(const wt_plan* plan, const wt_op* op, tf_params* p, size_t threads) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  size_t xs[WT_MAX_RANK];
  dense_strides(x, xs);
  p->esize = wt_dtype_size(x->dtype);
  p->rank = y->rank;
  for (uint32_t d = 0; d < y->rank; d++) p->ydims[d] = y->dims[d];
  if (op->code == WT_OP_TRANSPOSE) {
    for (uint32_t d = 0; d < y->rank; d++) p->astride[d] = xs[wt_plan_u32(op->attrs + 4 * d)];
  } else if (op->code == WT_OP_SLICE) {
    const uint32_t dim = wt_plan_u32(op->attrs);
    for (uint32_t d = 0; d < y->rank; d++) p->astride[d] = xs[d];
    p->offset = (size_t)wt_plan_u32(op->attrs + 4) * xs[dim];
    p->astride[dim] *= wt_plan_u32(op->attrs + 8);
  } else { /* expand: x aligned at the last dim, broadcast dims read with stride 0 */
    const uint32_t lead = y->rank - x->rank;
    for (uint32_t d = 0; d < y->rank; d++)
      p->astride[d] = d < lead || x->dims[d - lead] == 1 ? 0 : xs[d - lead];
  }
  squeeze_strided(p);
  const size_t elements = numel_of(y);
  split(p, elements ? elements / p->ydims[p->rank - 1] : 0, threads, 1);
}

static void build_binary(const wt_plan* plan, const wt_op* op, tf_params* p, size_t threads) {
  const wt_value* a = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  p->op = wt_plan_u32(op->attrs);
  p->flags = wt_plan_u32(op->attrs + 4);
  p->scalar = wt_plan_f32(op->attrs + 8);
  p->vbinary = wt_f32_vbinary_config(VARIANT);
  if (op->n_in == 1) {
    p->rank = 0;
    split(p, numel_of(y), threads, ALIGN_ELEMENTS);
    return;
  }
  const wt_value* b = &plan->values[op->in[1]];
  /* pad both shapes to y's rank, then drop leading dims where y is 1 so rows split usefully */
  size_t r = 0;
  for (uint32_t d = 0; d < y->rank; d++) {
    if (y->dims[d] == 1 && r == 0) continue;
    p->ydims[r] = y->dims[d];
    p->adims[r] = d + a->rank >= y->rank ? a->dims[d + a->rank - y->rank] : 1;
    p->bdims[r] = d + b->rank >= y->rank ? b->dims[d + b->rank - y->rank] : 1;
    r++;
  }
  if (r == 0) p->ydims[0] = p->adims[0] = p->bdims[0] = 1, r = 1;
  p->rank = r;
  split(p, numel_of(y) ? p->ydims[0] : 0, threads, 1);
}

static void build_matmul(const wt_plan* plan, const wt_op* op, tf_params* p, size_t threads,
                         size_t* scratch) {
  const wt_value* a = &plan->values[op->in[0]];
  const wt_value* b = &plan->values[op->in[1]];
  const wt_value* y = &plan->values[op->out[0]];
  p->flags = wt_plan_u32(op->attrs);
  const int nk = (p->flags & WT_MATMUL_FLAG_B_NK) != 0;
  p->gemm = wt_f32_gemm_config(GEMM_VARIANT);
  p->m = a->dims[a->rank - 2];
  p->k = a->dims[a->rank - 1];
  p->nc = nk ? b->dims[b->rank - 2] : b->dims[b->rank - 1];
  p->rank = y->rank - 2u;
  size_t a_mat = p->m * p->k, b_mat = p->k * p->nc, batches = 1;
  /* batch strides in elements, 0 along broadcast dims; walk from the innermost batch dim */
  size_t as = a_mat, bs = b_mat;
  for (size_t d = p->rank; d-- > 0;) {
    const size_t ad = d + a->rank - 2 >= p->rank ? a->dims[d + a->rank - 2 - p->rank] : 1;
    const size_t bd = d + b->rank - 2 >= p->rank ? b->dims[d + b->rank - 2 - p->rank] : 1;
    p->ydims[d] = y->dims[d];
    p->astride[d] = ad == 1 ? 0 : as;
    p->bstride[d] = bd == 1 ? 0 : bs;
    as *= ad;
    bs *= bd;
    batches *= y->dims[d];
  }
  p->packed_floats = wt_f32_gemm_packed_elements(1, p->nc, p->k, p->gemm->nr);
  p->rows = p->tasks = numel_of(y) ? batches : 0;
  p->block = 1;
  (void)threads;
  *scratch = p->tasks * p->packed_floats * sizeof(float);
}

int wt_transformer_build(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                         const uint8_t* weights, wt_step* step, size_t threads,
                         size_t* scratch_bytes) {
  tf_params* p = wt_step_params(step, sizeof *p);
  if (p == NULL) return WT_E_NOMEM;
  p->code = op->code;
  p->a = ptr(plan, op->in[0], arena, weights);
  p->y = (float*)ptr(plan, op->out[0], arena, weights);
  const wt_value* x = &plan->values[op->in[0]];
  const size_t last = x->rank ? x->dims[x->rank - 1] : 1;
  *scratch_bytes = 0;
  switch (op->code) {
    case WT_OP_EMBEDDING:
      p->idx = ptr(plan, op->in[1], arena, weights);
      p->vocab = x->dims[0];
      p->n = x->dims[1];
      p->ids = numel_of(&plan->values[op->in[1]]);
      split(p, p->n ? p->ids : 0, threads, 1);
      step->run = run_embedding;
      break;
    case WT_OP_BINARY:
      if (op->n_in == 2) p->b = ptr(plan, op->in[1], arena, weights);
      build_binary(plan, op, p, threads);
      step->run = run_binary;
      break;
    case WT_OP_UNARY:
      p->op = wt_plan_u32(op->attrs);
      p->vunary = wt_f32_vunary_config(VARIANT);
      if (p->op == WT_VUNARY_LEAKY_RELU) {
        p->uparams.leaky_relu.slope = wt_plan_f32(op->attrs + 4);
      } else if (p->op == WT_VUNARY_ELU) { /* p0 alpha, p1 scale; input_scale 1 (elu, selu) */
        p->uparams.elu.alpha = wt_plan_f32(op->attrs + 4);
        p->uparams.elu.scale = wt_plan_f32(op->attrs + 8);
        p->uparams.elu.input_scale = 1.0f;
      } else if (p->op == WT_VUNARY_SOFTPLUS) {
        p->uparams.softplus.beta = wt_plan_f32(op->attrs + 4);
        p->uparams.softplus.threshold = wt_plan_f32(op->attrs + 8);
      } else {
        p->uparams.clamp.min = wt_plan_f32(op->attrs + 4);
        p->uparams.clamp.max = wt_plan_f32(op->attrs + 8);
      }
      split(p, numel_of(x), threads, ALIGN_ELEMENTS);
      step->run = run_unary;
      break;
    case WT_OP_LAYER_NORM: {
      p->flags = wt_plan_u32(op->attrs);
      p->eps = wt_plan_f32(op->attrs + 4);
      uint32_t i = 1;
      if (p->flags & WT_LAYER_NORM_FLAG_GAMMA) p->b = ptr(plan, op->in[i++], arena, weights);
      if (p->flags & WT_LAYER_NORM_FLAG_BETA) p->c = ptr(plan, op->in[i++], arena, weights);
      p->layernorm = wt_f32_layernorm_config(VARIANT);
      p->n = last;
      split(p, last ? numel_of(x) / last : 0, threads, 1);
      step->run = run_layer_norm;
      break;
    }
    case WT_OP_SOFTMAX:
      p->flags = wt_plan_u32(op->attrs);
      p->softmax = wt_f32_softmax_config(VARIANT);
      p->n = last;
      split(p, last ? numel_of(x) / last : 0, threads, 1);
      step->run = run_softmax;
      break;
    case WT_OP_MATMUL:
      p->b = ptr(plan, op->in[1], arena, weights);
      build_matmul(plan, op, p, threads, scratch_bytes);
      step->run = run_matmul;
      break;
    default: /* transpose, slice, expand */
      build_strided(plan, op, p, threads);
      step->run = run_strided;
      break;
  }
  return WT_OK;
}
