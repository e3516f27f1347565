/* Attention and normalisation ops of the plan runtime (op codes 92..93; wt_attention.h).
 *
 * SDPA: one task per output batch, or per block of query rows when there are fewer batches than
 * threads (each block packs K and V itself: S x (E + Ev) work against its rows x S x (E + Ev)).
 * K is packed [S, E] into the task's scratch slot and one GEMM gives the scores [rows, S]; each score row is then scaled, masked (float masks add, causal rows
 * stop at the diagonal, bool masks keep where true) and softmaxed while it is in cache; V is packed and a second GEMM writes
 * y. A row whose keys are all masked gives zeros (torch 2.13's CPU result), not NaN. Batch dims
 * of q, k, v and the mask broadcast (stride 0), so grouped-query heads need no copies.
 *
 * RMS_NORM: rows of the last `row length` elements, split across threads (f32-layernorm's
 * rms_norm driver). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_attention.h"
#include "wt_check.h"
#include "wt_elementwise.h"

#define VARIANT WT_ELEMENTWISE_WASMSIMD
#define GEMM_VARIANT WT_GEMM_WASMSIMD

int wt_attention_op(uint16_t code) { return code == WT_OP_SDPA || code == WT_OP_RMS_NORM; }

int wt_attention_other_dtype(const wt_op* op, uint32_t operand) {
  return op->code == WT_OP_SDPA && operand == 3; /* check_sdpa checks it */
}

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

/* ---- checks ---------------------------------------------------------------------------------- */

/* Aligns v's leading dims (all but its last two) at the right of `rank` batch dims: 1 where v
 * has none. */
static uint32_t batch_dim(const wt_value* v, uint32_t rank, uint32_t d) {
  const uint32_t lead = v->rank - 2u;
  return d + lead >= rank ? v->dims[d + lead - rank] : 1;
}

static int check_sdpa(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t flags = wt_plan_u32(op->attrs);
  const float scale = wt_plan_f32(op->attrs + 4);
  const wt_value* q = &plan->values[op->in[0]];
  const wt_value* k = &plan->values[op->in[1]];
  const wt_value* v = &plan->values[op->in[2]];
  const wt_value* y = &plan->values[op->out[0]];
  if (flags & ~WT_SDPA_FLAG_CAUSAL)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "unknown flags 0x%x", flags);
  if (!isfinite(scale)) return wt_check_fail(detail, size, WT_E_OPERANDS, "the scale must be finite");
  if ((flags & WT_SDPA_FLAG_CAUSAL) && op->n_in == 4)
    return wt_check_fail(detail, size, WT_E_OPERANDS, "a mask and the causal flag together");
  for (uint32_t i = 0; i < op->n_in; i++) {
    const wt_value* x = &plan->values[op->in[i]];
    if (i < 3 && x->dtype != WT_DTYPE_F32)
      return wt_check_fail(detail, size, WT_E_OPERANDS, "q, k and v must be float32");
    if (x->rank < 2 || x->rank > WT_ATTENTION_MAX_RANK)
      return wt_check_fail(detail, size, WT_E_SHAPE, "operand %u has rank %u: 2..%u supported", i, x->rank,
                           WT_ATTENTION_MAX_RANK);
  }
  if (y->rank < 2 || y->rank > WT_ATTENTION_MAX_RANK)
    return wt_check_fail(detail, size, WT_E_SHAPE, "the output has rank %u: 2..%u supported", y->rank,
                         WT_ATTENTION_MAX_RANK);
  const uint32_t l = q->dims[q->rank - 2], e = q->dims[q->rank - 1];
  const uint32_t s = k->dims[k->rank - 2], ev = v->dims[v->rank - 1];
  if (l == 0 || e == 0 || s == 0 || ev == 0)
    return wt_check_fail(detail, size, WT_E_SHAPE, "empty queries, keys or features");
  if (k->dims[k->rank - 1] != e || v->dims[v->rank - 2] != s)
    return wt_check_fail(detail, size, WT_E_SHAPE, "q [.., %u, %u], k [.., %u, %u] and v [.., %u, %u] do not "
                         "match", l, e, s, k->dims[k->rank - 1], v->dims[v->rank - 2], ev);
  /* y's batch dims: every operand's batch dims broadcast to them */
  const uint32_t rank = y->rank - 2u;
  for (uint32_t i = 0; i < op->n_in; i++) {
    const wt_value* x = &plan->values[op->in[i]];
    if (x->rank - 2u > rank)
      return wt_check_fail(detail, size, WT_E_SHAPE, "operand %u has more batch dims than the output", i);
    for (uint32_t d = 0; d < rank; d++) {
      const uint32_t xd = batch_dim(x, rank, d);
      if (xd != 1 && xd != y->dims[d])
        return wt_check_fail(detail, size, WT_E_SHAPE, "operand %u's batch dim %u (%u) does not broadcast "
                             "to %u", i, d, xd, y->dims[d]);
    }
  }
  for (uint32_t d = 0; d < rank; d++) { /* and no wider than all of them */
    int exact = y->dims[d] == 1;
    for (uint32_t i = 0; i < op->n_in && !exact; i++) exact = batch_dim(&plan->values[op->in[i]], rank, d) == y->dims[d];
    if (!exact) return wt_check_fail(detail, size, WT_E_SHAPE, "output batch dim %u (%u) matches no operand", d,
                                     y->dims[d]);
  }
  if (y->dims[rank] != l || y->dims[rank + 1] != ev)
    return wt_check_fail(detail, size, WT_E_SHAPE, "the output must end [%u, %u]", l, ev);
  if (op->n_in == 4) {
    const wt_value* m = &plan->values[op->in[3]];
    if (m->dtype != WT_DTYPE_F32 && m->dtype != WT_DTYPE_BOOL)
      return wt_check_fail(detail, size, WT_E_OPERANDS, "the mask must be float32 or bool");
    const uint32_t ml = m->dims[m->rank - 2], ms = m->dims[m->rank - 1];
    if ((ml != l && ml != 1) || (ms != s && ms != 1))
      return wt_check_fail(detail, size, WT_E_SHAPE, "the mask's last dims [%u, %u] do not broadcast to the "
                           "scores [%u, %u]", ml, ms, l, s);
  }
  return WT_OK;
}

static int check_rms_norm(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t n = wt_plan_u32(op->attrs);
  const float eps = wt_plan_f32(op->attrs + 4);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (!(eps >= 0.0f) || isinf(eps)) return wt_check_fail(detail, size, WT_E_OPERANDS, "eps must be finite and >= 0");
  if (!wt_same_shape(x, y)) return wt_check_fail(detail, size, WT_E_SHAPE, "the output's shape differs from x's");
  uint64_t trailing = 1;
  uint32_t d = x->rank;
  while (d > 0 && trailing < n) trailing *= x->dims[--d];
  if (n == 0 || trailing != n)
    return wt_check_fail(detail, size, WT_E_SHAPE, "row length %u is not a product of x's trailing dims", n);
  if (op->n_in == 2 && plan->values[op->in[1]].nbytes != (uint64_t)n * sizeof(float))
    return wt_check_fail(detail, size, WT_E_SHAPE, "gamma must hold %u elements", n);
  return WT_OK;
}

int wt_attention_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  return op->code == WT_OP_SDPA ? check_sdpa(plan, op, detail, size) : check_rms_norm(plan, op, detail, size);
}

/* ---- sdpa ------------------------------------------------------------------------------------ */

typedef struct sdpa_params {
  const wt_gemm_config* gemm;
  const wt_softmax_config* softmax;
  const float *q, *k, *v;
  const void* mask; /* float32 (added) or bool (false masks the key out) */
  int mask_bool;
  float* y;
  size_t rank;                                /* batch dims */
  size_t ydims[WT_MAX_RANK];                  /* output batch dims */
  size_t stride[4][WT_MAX_RANK];              /* q, k, v, mask: elements per batch index, 0 = broadcast */
  size_t mask_row, mask_col;                  /* mask strides along L and S (0 = broadcast) */
  size_t l, s, e, ev;
  float scale;
  int causal;
  size_t packed_k, packed_v, slot; /* floats per task: packed K, packed V, then the scores */
  size_t blocks, rows;             /* query row blocks per batch, rows per block */
  size_t tasks;
} sdpa_params;

/* Scale, mask and softmax one score row in place; mask: this row's first mask element. */
static void score_row(const sdpa_params* p, size_t i, float* row, size_t mask) {
  const size_t s = p->s, keep = p->causal ? (i + 1 < s ? i + 1 : s) : s;
  for (size_t j = 0; j < keep; j++) row[j] *= p->scale;
  if (p->mask != NULL && p->mask_bool) {
    const uint8_t* m = (const uint8_t*)p->mask + mask;
    for (size_t j = 0; j < keep; j++) row[j] = m[j * p->mask_col] ? row[j] : -INFINITY;
  } else if (p->mask != NULL) {
    const float* m = (const float*)p->mask + mask;
    for (size_t j = 0; j < keep; j++) row[j] += m[j * p->mask_col];
  }
  int live = 0;
  for (size_t j = 0; j < keep && !live; j++) live = row[j] != -INFINITY;
  if (!live) { /* every key masked: zeros, as torch gives */
    memset(row, 0, s * sizeof(float));
    return;
  }
  for (size_t j = keep; j < s; j++) row[j] = -INFINITY;
  wt_f32_softmax(p->softmax, 1, s, row, s, row, s);
}

static void sdpa_task(void* context, size_t task) {
  const wt_step* st = context;
  const sdpa_params* p = st->params;
  const size_t batch = task / p->blocks, r0 = task % p->blocks * p->rows;
  const size_t rows = p->l - r0 < p->rows ? p->l - r0 : p->rows;
  size_t off[4] = {0, 0, 0, 0}, rest = batch;
  for (size_t d = p->rank; d-- > 0;) {
    const size_t i = rest % p->ydims[d];
    rest /= p->ydims[d];
    for (size_t t = 0; t < 4; t++) off[t] += i * p->stride[t][d];
  }
  float* packed_k = (float*)st->scratch + task * p->slot;
  float* packed_v = packed_k + p->packed_k;
  float* scores = packed_v + p->packed_v;
  const size_t nr = p->gemm->nr;
  wt_f32_gemm_packw_goi(1, p->s, p->e, nr, p->k + off[1], NULL, packed_k);
  wt_f32_gemm(p->gemm, rows, p->s, p->e, p->q + off[0] + r0 * p->e, p->e, packed_k, scores, p->s, -INFINITY,
              INFINITY);
  for (size_t i = 0; i < rows; i++)
    score_row(p, r0 + i, scores + i * p->s, off[3] + (r0 + i) * p->mask_row);
  wt_pack_gemm_kn(p->ev, p->s, nr, p->v + off[2], NULL, packed_v);
  wt_f32_gemm(p->gemm, rows, p->ev, p->s, scores, p->s, packed_v, p->y + (batch * p->l + r0) * p->ev, p->ev,
              -INFINITY, INFINITY);
}

static void run_sdpa(const wt_step* s, wt_threadpool* pool) {
  wt_threadpool_run(pool, sdpa_task, (void*)s, ((const sdpa_params*)s->params)->tasks);
}

static const void* ptr(const wt_plan* plan, uint32_t id, uint8_t* arena, const uint8_t* weights) {
  const wt_value* v = &plan->values[id];
  return (v->space == WT_SPACE_ARENA ? arena : weights) + v->offset;
}

static int build_sdpa(const wt_plan* plan, const wt_op* op, uint8_t* arena, const uint8_t* weights,
                      wt_step* step, size_t threads, size_t* scratch_bytes) {
  sdpa_params* p = wt_step_params(step, sizeof *p);
  if (p == NULL) return WT_E_NOMEM;
  step->run = run_sdpa;
  const wt_value* q = &plan->values[op->in[0]];
  const wt_value* k = &plan->values[op->in[1]];
  const wt_value* v = &plan->values[op->in[2]];
  const wt_value* y = &plan->values[op->out[0]];
  p->gemm = wt_f32_gemm_config(GEMM_VARIANT);
  p->softmax = wt_f32_softmax_config(VARIANT);
  p->q = ptr(plan, op->in[0], arena, weights);
  p->k = ptr(plan, op->in[1], arena, weights);
  p->v = ptr(plan, op->in[2], arena, weights);
  p->mask = op->n_in == 4 ? ptr(plan, op->in[3], arena, weights) : NULL;
  p->mask_bool = op->n_in == 4 && plan->values[op->in[3]].dtype == WT_DTYPE_BOOL;
  p->y = (float*)ptr(plan, op->out[0], arena, weights);
  p->l = q->dims[q->rank - 2];
  p->e = q->dims[q->rank - 1];
  p->s = k->dims[k->rank - 2];
  p->ev = v->dims[v->rank - 1];
  p->scale = wt_plan_f32(op->attrs + 4);
  p->causal = (wt_plan_u32(op->attrs) & WT_SDPA_FLAG_CAUSAL) != 0;
  p->rank = y->rank - 2u;
  size_t batches = 1;
  for (uint32_t t = 0; t < op->n_in; t++) {
    const wt_value* x = &plan->values[op->in[t]];
    const size_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
    size_t stride = rows * cols;
    for (size_t d = p->rank; d-- > 0;) {
      const size_t xd = batch_dim(x, (uint32_t)p->rank, (uint32_t)d);
      p->stride[t][d] = xd == 1 ? 0 : stride;
      stride *= xd;
    }
    if (t == 3) p->mask_row = rows == 1 ? 0 : cols, p->mask_col = cols == 1 ? 0 : 1;
  }
  for (size_t d = 0; d < p->rank; d++) batches *= p->ydims[d] = y->dims[d];
  const size_t nr = p->gemm->nr;
  p->packed_k = wt_f32_gemm_packed_elements(1, p->s, p->e, nr);
  p->packed_v = wt_f32_gemm_packed_elements(1, p->ev, p->s, nr);
  /* in 64 bits: L x S scores are bounded by no tensor of the plan, and a wasm32 size_t wraps */
  p->blocks = 1;
  if (threads > batches) {
    const size_t want = div_up(threads, batches), most = div_up(p->l, 16); /* blocks of >= 16 rows */
    p->blocks = want < most ? want : most;
  }
  p->rows = div_up(p->l, p->blocks);
  p->blocks = div_up(p->l, p->rows);
  const uint64_t slot = ((uint64_t)p->packed_k + p->packed_v + (uint64_t)p->rows * p->s + 15) / 16 * 16;
  p->tasks = y->nbytes ? batches * p->blocks : 0;
  const uint64_t scratch = (uint64_t)p->tasks * slot * sizeof(float);
  if (slot > WT_MAX_ARENA_BYTES || scratch > WT_MAX_ARENA_BYTES)
    return wt_fail(WT_E_LIMIT, "an attention's scratch exceeds %u bytes", WT_MAX_ARENA_BYTES);
  p->slot = (size_t)slot; /* slots start on cache lines */
  *scratch_bytes = (size_t)scratch;
  return WT_OK;
}

/* ---- rms norm -------------------------------------------------------------------------------- */

typedef struct rms_params {
  const wt_layernorm_config* config;
  const float *x, *gamma;
  float* y;
  size_t n, rows, block, tasks;
  float eps;
} rms_params;

static void rms_task(void* context, size_t task) {
  const rms_params* p = ((const wt_step*)context)->params;
  const size_t r0 = task * p->block, nc = p->rows - r0 < p->block ? p->rows - r0 : p->block;
  wt_f32_rmsnorm(p->config, nc, p->n, p->x + r0 * p->n, p->n, p->gamma, p->eps, p->y + r0 * p->n, p->n);
}

static void run_rms(const wt_step* s, wt_threadpool* pool) {
  wt_threadpool_run(pool, rms_task, (void*)s, ((const rms_params*)s->params)->tasks);
}

static int build_rms_norm(const wt_plan* plan, const wt_op* op, uint8_t* arena, const uint8_t* weights,
                          wt_step* step, size_t threads) {
  rms_params* p = wt_step_params(step, sizeof *p);
  if (p == NULL) return WT_E_NOMEM;
  step->run = run_rms;
  p->config = wt_f32_layernorm_config(VARIANT);
  p->x = ptr(plan, op->in[0], arena, weights);
  p->gamma = op->n_in == 2 ? ptr(plan, op->in[1], arena, weights) : NULL;
  p->y = (float*)ptr(plan, op->out[0], arena, weights);
  p->n = wt_plan_u32(op->attrs);
  p->eps = wt_plan_f32(op->attrs + 4);
  p->rows = plan->values[op->in[0]].nbytes / sizeof(float) / p->n;
  p->block = p->rows ? div_up(p->rows, threads ? threads : 1) : 1;
  p->tasks = p->rows ? div_up(p->rows, p->block) : 0;
  return WT_OK;
}

int wt_attention_build(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                       const uint8_t* weights, wt_step* step, size_t threads,
                       size_t* scratch_bytes) {
  *scratch_bytes = 0;
  if (op->code == WT_OP_SDPA) return build_sdpa(plan, op, arena, weights, step, threads, scratch_bytes);
  return build_rms_norm(plan, op, arena, weights, step, threads);
}
