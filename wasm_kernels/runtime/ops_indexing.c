/* Indexing ops of the plan runtime (op codes 94..96; wt_indexing.h).
 *
 * x is viewed as [outer, D_0 .. D_{k-1}, inner] around the k indexed dims. INDEX and INDEX_PUT
 * first turn the broadcast index tensors into one row offset per index position (scratch), range
 * checking every index, then copy (or write / add) `inner`-element runs: the index arithmetic is
 * done once per row, not per element. INDEX_PUT copies x to y first and writes in index order, so
 * repeated indices with accumulate add up (torch's CPU result) and without it the last one wins.
 * GATHER walks the index tensor's elements. All run on the calling thread: they move memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_check.h"
#include "wt_indexing.h"

int wt_indexing_op(uint16_t code) { return code >= WT_OP_INDEX && code <= WT_OP_GATHER; }

/* First index operand: INDEX (x, idx...), INDEX_PUT (x, values, idx...), GATHER (x, index). */
static uint32_t first_index(uint16_t code) { return code == WT_OP_INDEX_PUT ? 2 : 1; }

static int is_index(const wt_op* op, uint32_t operand) {
  return operand >= first_index(op->code) && operand < op->n_in;
}

int wt_indexing_own_dtypes(const wt_op* op) { return wt_indexing_op(op->code); }

/* ---- checks ---------------------------------------------------------------------------------- */

/* Broadcasts `n` shapes (aligned at the right) into out; 0 when they do not broadcast. */
static int broadcast_all(const wt_plan* plan, const uint32_t* ids, uint32_t n, wt_value* out) {
  memset(out, 0, sizeof *out);
  for (uint32_t i = 0; i < n; i++) {
    const wt_value* v = &plan->values[ids[i]];
    if (v->rank > out->rank) {
      const uint32_t shift = v->rank - out->rank;
      memmove(out->dims + shift, out->dims, out->rank * sizeof out->dims[0]);
      for (uint32_t d = 0; d < shift; d++) out->dims[d] = 1;
      out->rank = v->rank;
    }
    for (uint32_t d = 0; d < v->rank; d++) {
      uint32_t* o = &out->dims[out->rank - v->rank + d];
      if (v->dims[d] != *o && v->dims[d] != 1 && *o != 1) return 0;
      if (*o == 1) *o = v->dims[d];
    }
  }
  return 1;
}

/* The indexed shape: x[:first] + broadcast(indices) + x[first + k:]. */
static int indexed_shape(const wt_plan* plan, const wt_op* op, uint32_t first, char* detail, size_t size,
                         wt_value* out) {
  const wt_value* x = &plan->values[op->in[0]];
  const uint32_t i0 = first_index(op->code), k = op->n_in - i0;
  if (first + k > x->rank)
    return wt_check_fail(detail, size, WT_E_SHAPE, "%u indices from dim %u of a rank-%u input", k, first, x->rank);
  wt_value b;
  if (!broadcast_all(plan, op->in + i0, k, &b))
    return wt_check_fail(detail, size, WT_E_SHAPE, "the index tensors do not broadcast together");
  const uint32_t rank = x->rank - k + b.rank;
  if (rank > WT_INDEXING_MAX_RANK)
    return wt_check_fail(detail, size, WT_E_SHAPE, "the result has rank %u, above %u", rank, WT_INDEXING_MAX_RANK);
  memset(out, 0, sizeof *out);
  out->rank = (uint8_t)rank;
  uint32_t r = 0;
  for (uint32_t d = 0; d < first; d++) out->dims[r++] = x->dims[d];
  for (uint32_t d = 0; d < b.rank; d++) out->dims[r++] = b.dims[d];
  for (uint32_t d = first + k; d < x->rank; d++) out->dims[r++] = x->dims[d];
  return WT_OK;
}

/* Indices are int64; INDEX and GATHER move elements of any dtype (y has x's), INDEX_PUT adds
 * float32. */
static int check_dtypes(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint8_t data = op->code == WT_OP_INDEX_PUT ? WT_DTYPE_F32 : plan->values[op->in[0]].dtype;
  for (uint32_t j = 0; j <= op->n_in; j++) {
    const wt_value* v = &plan->values[j < op->n_in ? op->in[j] : op->out[0]];
    const uint8_t want = j < op->n_in && is_index(op, j) ? WT_DTYPE_I64 : data;
    if (v->dtype != want)
      return wt_check_fail(detail, size, WT_E_OPERANDS, "operand %u has dtype code %u, expected %u", j, v->dtype, want);
    if (v->rank > WT_INDEXING_MAX_RANK)
      return wt_check_fail(detail, size, WT_E_SHAPE, "operand %u has rank %u, above %u", j, v->rank, WT_INDEXING_MAX_RANK);
  }
  return WT_OK;
}

int wt_indexing_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  int status = check_dtypes(plan, op, detail, size);
  if (status != WT_OK) return status;
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  const uint32_t a0 = wt_plan_u32(op->attrs);
  wt_value want;
  if (op->code == WT_OP_GATHER) {
    const wt_value* index = &plan->values[op->in[1]];
    if (a0 >= x->rank || index->rank != x->rank)
      return wt_check_fail(detail, size, WT_E_SHAPE, "dim %u: x and the index must have one rank >= 1", a0);
    for (uint32_t d = 0; d < x->rank; d++)
      if (d != a0 && index->dims[d] > x->dims[d])
        return wt_check_fail(detail, size, WT_E_SHAPE, "the index's dim %u (%u) exceeds x's (%u)", d, index->dims[d],
                             x->dims[d]);
    return wt_same_shape(y, index) ? WT_OK : wt_check_fail(detail, size, WT_E_SHAPE, "the output must have the index's shape");
  }
  status = indexed_shape(plan, op, a0, detail, size, &want);
  if (status != WT_OK) return status;
  if (op->code == WT_OP_INDEX)
    return wt_same_shape(y, &want) ? WT_OK : wt_check_fail(detail, size, WT_E_SHAPE, "the output is not the indexed shape");
  const uint32_t accumulate = wt_plan_u32(op->attrs + 4);
  if (accumulate > 1) return wt_check_fail(detail, size, WT_E_OPERANDS, "accumulate must be 0 or 1");
  const wt_value* v = &plan->values[op->in[1]];
  int fits = v->rank <= want.rank;
  for (uint32_t d = 0; fits && d < v->rank; d++)
    fits = v->dims[d] == 1 || v->dims[d] == want.dims[want.rank - v->rank + d];
  if (!fits) return wt_check_fail(detail, size, WT_E_SHAPE, "the values do not broadcast to the indexed shape");
  return wt_same_shape(y, x) ? WT_OK : wt_check_fail(detail, size, WT_E_SHAPE, "the output must have x's shape");
}

/* ---- run --------------------------------------------------------------------------------------- */

typedef struct index_params {
  uint16_t code;
  const uint8_t* x; /* INDEX, GATHER: elements of `item` bytes; INDEX_PUT: float32 */
  const float* values;
  uint8_t* y;
  size_t item;
  const int64_t* idx[WT_MAX_OPERANDS];
  size_t k, outer, inner, block, count; /* block = prod(D) * inner; count = index positions */
  size_t total;                         /* index_put: elements of x */
  size_t dsize[WT_MAX_OPERANDS];        /* D_j (gather: x's size along dim) */
  size_t dstride[WT_MAX_OPERANDS];      /* rows between consecutive values of index j */
  size_t brank, bdims[WT_MAX_RANK];     /* index positions' shape (gather: the index's shape) */
  size_t istride[WT_MAX_OPERANDS][WT_MAX_RANK]; /* per index tensor and position dim; 0 = broadcast */
  size_t trank, tdims[WT_MAX_RANK], vstride[WT_MAX_RANK]; /* index_put: indexed shape, values strides */
  size_t xstride[WT_MAX_RANK];          /* gather: x's strides, 0 along dim */
  size_t dim_stride;                    /* gather: x's stride along dim */
  int accumulate, dense_values;
} index_params;

/* Offset of the element at row-major position `flat` of `dims` in a tensor with these strides. */
static size_t offset_of(size_t flat, size_t rank, const size_t* dims, const size_t* strides) {
  size_t off = 0;
  for (size_t d = rank; d-- > 0;) {
    off += flat % dims[d] * strides[d];
    flat /= dims[d];
  }
  return off;
}

/* Row offsets (in units of inner) of every index position; 0 and an error for a bad index. */
static int row_offsets(const index_params* p, size_t* rows) {
  for (size_t b = 0; b < p->count; b++) {
    size_t row = 0;
    for (size_t j = 0; j < p->k; j++) {
      int64_t i = p->idx[j][offset_of(b, p->brank, p->bdims, p->istride[j])];
      const int64_t n = (int64_t)p->dsize[j];
      if (i < -n || i >= n) {
        wt_fail(WT_E_INPUT, "index %lld is out of bounds for a dimension of size %lld", (long long)i, (long long)n);
        return 0;
      }
      row += (size_t)(i < 0 ? i + n : i) * p->dstride[j];
    }
    rows[b] = row;
  }
  return 1;
}

static void run_index(const wt_step* s, wt_threadpool* pool) {
  (void)pool;
  const index_params* p = s->params;
  size_t* rows = s->scratch;
  if (!row_offsets(p, rows)) return;
  const size_t run = p->inner * p->item;
  uint8_t* y = p->y;
  for (size_t o = 0; o < p->outer; o++)
    for (size_t b = 0; b < p->count; b++, y += run)
      memcpy(y, p->x + (o * p->block + rows[b] * p->inner) * p->item, run);
}

static void run_index_put(const wt_step* s, wt_threadpool* pool) {
  (void)pool;
  const index_params* p = s->params;
  size_t* rows = s->scratch;
  if (!row_offsets(p, rows)) return;
  memcpy(p->y, p->x, p->total * sizeof(float));
  float* out = (float*)p->y;
  /* indexed shape = [outer dims, position dims, inner dims]; t walks it row by row */
  size_t t = 0;
  for (size_t o = 0; o < p->outer; o++)
    for (size_t b = 0; b < p->count; b++, t += p->inner) {
      float* y = out + o * p->block + rows[b] * p->inner;
      for (size_t i = 0; i < p->inner; i++) {
        const float v = p->values[p->dense_values ? t + i : offset_of(t + i, p->trank, p->tdims, p->vstride)];
        y[i] = p->accumulate ? y[i] + v : v;
      }
    }
}

static void run_gather(const wt_step* s, wt_threadpool* pool) {
  (void)pool;
  const index_params* p = s->params;
  const int64_t n = (int64_t)p->dsize[0];
  for (size_t e = 0; e < p->count; e++)
    if (p->idx[0][e] < 0 || p->idx[0][e] >= n) { /* torch's gather wraps no negative index */
      wt_fail(WT_E_INPUT, "gather: index %lld is out of bounds for a dimension of size %lld",
              (long long)p->idx[0][e], (long long)n);
      return;
    }
  for (size_t e = 0; e < p->count; e++) {
    const size_t at = offset_of(e, p->brank, p->bdims, p->xstride) + (size_t)p->idx[0][e] * p->dim_stride;
    memcpy(p->y + e * p->item, p->x + at * p->item, p->item);
  }
}

/* ---- build ------------------------------------------------------------------------------------- */

static const void* ptr(const wt_plan* plan, uint32_t id, uint8_t* arena, const uint8_t* weights) {
  const wt_value* v = &plan->values[id];
  return (v->space == WT_SPACE_ARENA ? arena : weights) + v->offset;
}

static size_t numel(const wt_value* v) {
  size_t n = 1;
  for (uint32_t d = 0; d < v->rank; d++) n *= v->dims[d];
  return n;
}

/* Strides of v (aligned at the right of `rank` dims) in elements, 0 along broadcast dims. */
static void broadcast_strides(const wt_value* v, size_t rank, size_t* strides) {
  size_t s = 1;
  for (size_t d = rank; d-- > 0;) {
    const size_t vd = d + v->rank >= rank ? v->dims[d + v->rank - rank] : 1;
    strides[d] = vd == 1 ? 0 : s;
    s *= vd;
  }
}

static void build_gather(const wt_plan* plan, const wt_op* op, index_params* p) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* index = &plan->values[op->in[1]];
  const uint32_t dim = wt_plan_u32(op->attrs);
  p->brank = index->rank;
  broadcast_strides(x, x->rank, p->xstride);
  for (uint32_t d = 0; d < x->rank; d++) p->bdims[d] = index->dims[d];
  p->dim_stride = p->xstride[dim] ? p->xstride[dim] : 1;
  p->xstride[dim] = 0;
  p->dsize[0] = x->dims[dim];
  p->count = numel(index);
}

static void build_index(const wt_plan* plan, const wt_op* op, index_params* p, size_t* scratch) {
  const wt_value* x = &plan->values[op->in[0]];
  const uint32_t first = wt_plan_u32(op->attrs), i0 = first_index(op->code);
  p->k = op->n_in - i0;
  wt_value b;
  broadcast_all(plan, op->in + i0, (uint32_t)p->k, &b);
  p->brank = b.rank;
  for (uint32_t d = 0; d < b.rank; d++) p->bdims[d] = b.dims[d];
  p->count = numel(&b);
  p->outer = p->inner = 1;
  for (uint32_t d = 0; d < first; d++) p->outer *= x->dims[d];
  for (uint32_t d = first + (uint32_t)p->k; d < x->rank; d++) p->inner *= x->dims[d];
  size_t rows = 1;
  for (size_t j = p->k; j-- > 0;) {
    p->dsize[j] = x->dims[first + j];
    p->dstride[j] = rows;
    rows *= p->dsize[j];
    broadcast_strides(&plan->values[op->in[i0 + j]], b.rank, p->istride[j]);
  }
  p->block = rows * p->inner;
  p->total = numel(x);
  if (p->total == 0 || p->count == 0) p->outer = 0; /* nothing to move (and the products may have wrapped) */
  *scratch = p->count * sizeof(size_t);
  if (op->code == WT_OP_INDEX_PUT) {
    wt_value t;
    char detail[8];
    indexed_shape(plan, op, first, detail, sizeof detail, &t);
    const wt_value* v = &plan->values[op->in[1]];
    p->accumulate = wt_plan_u32(op->attrs + 4) != 0;
    p->trank = t.rank;
    for (uint32_t d = 0; d < t.rank; d++) p->tdims[d] = t.dims[d];
    broadcast_strides(v, t.rank, p->vstride);
    p->dense_values = wt_same_shape(v, &t);
  }
}

int wt_indexing_build(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                      const uint8_t* weights, wt_step* step, size_t* scratch_bytes) {
  index_params* p = wt_step_params(step, sizeof *p);
  if (p == NULL) return WT_E_NOMEM;
  *scratch_bytes = 0;
  p->code = op->code;
  p->x = ptr(plan, op->in[0], arena, weights);
  p->y = (uint8_t*)ptr(plan, op->out[0], arena, weights);
  p->item = wt_dtype_size(plan->values[op->in[0]].dtype);
  const uint32_t i0 = first_index(op->code);
  for (uint32_t j = i0; j < op->n_in; j++) p->idx[j - i0] = ptr(plan, op->in[j], arena, weights);
  if (op->code == WT_OP_GATHER) {
    build_gather(plan, op, p);
    step->run = run_gather;
    return WT_OK;
  }
  if (op->code == WT_OP_INDEX_PUT) p->values = ptr(plan, op->in[1], arena, weights);
  build_index(plan, op, p, scratch_bytes);
  step->run = op->code == WT_OP_INDEX ? run_index : run_index_put;
  return WT_OK;
}
