/* Sequence ops of the plan runtime (op codes 40..49, and GRU / RNN at 90, 91): recurrent layers
 * (one layer direction per op), cat and flip (the reverse direction of a decomposed LSTM).
 *
 * LSTM, GRU and RNN share one driver. LSTM: the input projection of the whole sequence is one GEMM (x . W_ih^T + b_ih + b_hh, W_ih
 * packed and the two biases folded at load), split by column panels across threads; then, per
 * time step, a GEMM of the previous h with the packed W_hh (at batch 1 the f32-gemv kernel, W_hh
 * packed in its 32-column panels) and a fused gate loop (gate order
 * i, f, g, o as torch stacks them) with the SIMD sigmoid/tanh of f32-vunary. The previous h is
 * read straight from y (its row stride is the GEMM's lda), so the only state kept is c, in the
 * model's scratch with the projections and gates: forward allocates nothing. GRU (gates r, z, n):
 * b_hh stays with W_hh, since torch applies r to W_hn h + b_hn; RNN: one tanh or relu gate. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_elementwise.h"
#include "wt_gemv.h"
#include "wt_check.h"
#include "wt_sequence.h"

#define GEMM_VARIANT WT_GEMM_WASMSIMD
#define ALIGN_BYTES 64

int wt_sequence_op(uint16_t code) {
  return (code >= WT_OP_LSTM && code <= WT_OP_FLIP) || code == WT_OP_GRU || code == WT_OP_RNN;
}

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

static int dims_are(const wt_value* v, uint32_t rank, const uint32_t* dims) {
  if (v->rank != rank) return 0;
  for (uint32_t d = 0; d < rank; d++)
    if (v->dims[d] != dims[d]) return 0;
  return 1;
}

/* ---- checks -------------------------------------------------------------------------------- */

/* Gates stacked in W_ih / W_hh rows (torch's order: LSTM i, f, g, o; GRU r, z, n) and the states
 * an op carries (h, and c for an LSTM). */
static uint32_t gates_of(uint16_t code) { return code == WT_OP_LSTM ? 4 : code == WT_OP_GRU ? 3 : 1; }
static uint32_t states_of(uint16_t code) { return code == WT_OP_LSTM ? 2 : 1; }

static int check_recurrent(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t flags = wt_plan_u32(op->attrs), k = wt_plan_u32(op->attrs + 4);
  const uint32_t known = WT_LSTM_FLAG_BATCH_FIRST | WT_LSTM_FLAG_REVERSE |
                         (op->code == WT_OP_RNN ? WT_RNN_FLAG_RELU : 0);
  if (flags & ~known) return wt_check_fail(detail, size, WT_E_SHAPE, "unknown flags 0x%x", flags);
  const uint32_t gates = gates_of(op->code), n_states = states_of(op->code);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* w_hh = &plan->values[op->in[2]];
  if (x->rank != 3 || w_hh->rank != 2 || w_hh->dims[0] % gates != 0)
    return wt_check_fail(detail, size, WT_E_SHAPE, "x must be 3-d and w_hh [%uH, H]", gates);
  const int bf = (flags & WT_LSTM_FLAG_BATCH_FIRST) != 0;
  const uint32_t b = bf ? x->dims[0] : x->dims[1], t = bf ? x->dims[1] : x->dims[0];
  const uint32_t in = x->dims[2], h = w_hh->dims[1], g = w_hh->dims[0];
  if (b == 0 || t == 0 || in == 0 || h == 0 || g / gates != h)
    return wt_check_fail(detail, size, WT_E_SHAPE, "empty or inconsistent sizes (batch %u, steps %u, "
                "input %u, w_hh [%u, %u])", b, t, in, g, h);
  for (uint32_t j = 1; j <= 4; j++)
    if (plan->values[op->in[j]].space != WT_SPACE_WEIGHTS)
      return wt_check_fail(detail, size, WT_E_OPERANDS, "parameter operand %u is not a constant", j);
  const uint32_t w_ih_dims[2] = {g, in}, bias_dims[1] = {g};
  if (!dims_are(&plan->values[op->in[1]], 2, w_ih_dims))
    return wt_check_fail(detail, size, WT_E_SHAPE, "w_ih must be [%u, %u]", g, in);
  if (!dims_are(&plan->values[op->in[3]], 1, bias_dims) ||
      !dims_are(&plan->values[op->in[4]], 1, bias_dims))
    return wt_check_fail(detail, size, WT_E_SHAPE, "b_ih and b_hh must be [%u]", g);
  const wt_value* h0 = &plan->values[op->in[5]];
  const uint32_t state_dims[3] = {h0->dims[0], b, h};
  int states_ok = h0->rank == 3 && dims_are(h0, 3, state_dims) && k < h0->dims[0];
  for (uint32_t i = 1; i < n_states; i++) states_ok &= dims_are(&plan->values[op->in[5 + i]], 3, state_dims);
  if (!states_ok)
    return wt_check_fail(detail, size, WT_E_SHAPE, "initial states must be [S, %u, %u] with state %u < S",
                b, h, k);
  const uint32_t y_dims[3] = {bf ? b : t, bf ? t : b, h}, last_dims[3] = {1, b, h};
  if (!dims_are(&plan->values[op->out[0]], 3, y_dims))
    return wt_check_fail(detail, size, WT_E_SHAPE, "y must be [%u, %u, %u]", y_dims[0], y_dims[1], h);
  for (uint32_t i = 0; i < n_states; i++)
    if (!dims_are(&plan->values[op->out[1 + i]], 3, last_dims))
      return wt_check_fail(detail, size, WT_E_SHAPE, "final states must be [1, %u, %u]", b, h);
  return WT_OK;
}

static int check_cat(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t dim = wt_plan_u32(op->attrs);
  const wt_value* y = &plan->values[op->out[0]];
  if (dim >= y->rank) return wt_check_fail(detail, size, WT_E_SHAPE, "dim %u of a rank-%u output", dim, y->rank);
  uint64_t total = 0;
  for (uint32_t i = 0; i < op->n_in; i++) {
    const wt_value* x = &plan->values[op->in[i]];
    int ok = x->rank == y->rank;
    for (uint32_t d = 0; ok && d < y->rank; d++) ok = d == dim || x->dims[d] == y->dims[d];
    if (!ok) return wt_check_fail(detail, size, WT_E_SHAPE, "input %u does not match the output but in dim %u", i, dim);
    total += x->dims[dim];
  }
  if (total != y->dims[dim])
    return wt_check_fail(detail, size, WT_E_SHAPE, "inputs add up to %llu along dim %u, output has %u",
                (unsigned long long)total, dim, y->dims[dim]);
  return WT_OK;
}

static int check_flip(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  const uint32_t dim = wt_plan_u32(op->attrs);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* y = &plan->values[op->out[0]];
  if (dim >= y->rank) return wt_check_fail(detail, size, WT_E_SHAPE, "dim %u of a rank-%u output", dim, y->rank);
  if (!dims_are(x, y->rank, y->dims))
    return wt_check_fail(detail, size, WT_E_SHAPE, "the output's shape differs from the input's");
  return WT_OK;
}

int wt_sequence_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size) {
  switch (op->code) {
    case WT_OP_LSTM:
    case WT_OP_GRU:
    case WT_OP_RNN: return check_recurrent(plan, op, detail, size);
    case WT_OP_CAT: return check_cat(plan, op, detail, size);
    default: return check_flip(plan, op, detail, size);
  }
}

/* ---- recurrent layers ------------------------------------------------------------------------ */

typedef struct rnn_params {
  uint16_t code;
  const wt_gemm_config* gemm;
  wt_f32_gemv_ukernel_fn gemv; /* the recurrent product at batch 1, else NULL (the GEMM) */
  const float* x;
  float *y, *h_n, *c_n;
  const float *h0, *c0; /* this direction's [B, H] slices (c: LSTM only) */
  float* packed_ih;     /* [G panels] W_ih with the biases folded into the projection */
  float* packed_hh;     /* W_hh with b_hh for a GRU (it sits inside r * (W_hn h + b_hn)), else 0 */
  size_t batch, steps, in, hidden, gates;
  int batch_first, reverse, relu;
  size_t n_block, tasks; /* input projection: column blocks of whole panels */
  float* xw;             /* scratch, set at run time */
} rnn_params;

/* Row of [B, T] (batch first) or [T, B] storage holding (b, t). */
static size_t row(const rnn_params* p, size_t b, size_t t) {
  return p->batch_first ? b * p->steps + t : t * p->batch + b;
}

static void xw_task(void* context, size_t task) {
  const rnn_params* p = context;
  const size_t g = p->gates * p->hidden, n0 = task * p->n_block;
  const size_t nc = g - n0 < p->n_block ? g - n0 : p->n_block;
  wt_f32_gemm(p->gemm, p->batch * p->steps, nc, p->in, p->x, p->in,
              p->packed_ih + n0 / p->gemm->nr * (p->in + 1) * p->gemm->nr, p->xw + n0, g,
              -INFINITY, INFINITY);
}

static const wt_f32_vunary_params NO_PARAMS = {0};

/* gb: h W_hh^T for one batch row, xb: its input projection; writes the new h to yb, updates cb. */
static void lstm_cell(size_t h, float* gb, const float* xb, float* cb, float* yb) {
  wt_f32_vadd_ukernel__wasmsimd_x8(4 * h, gb, xb, gb);
  wt_f32_vsigmoid_ukernel__wasmsimd_x8(2 * h, gb, gb, &NO_PARAMS); /* i, f */
  wt_f32_vtanh_ukernel__wasmsimd_x8(h, gb + 2 * h, gb + 2 * h, &NO_PARAMS);
  wt_f32_vsigmoid_ukernel__wasmsimd_x8(h, gb + 3 * h, gb + 3 * h, &NO_PARAMS);
  for (size_t j = 0; j < h; j++) cb[j] = gb[h + j] * cb[j] + gb[j] * gb[2 * h + j];
  wt_f32_vtanh_ukernel__wasmsimd_x8(h, cb, gb + h, &NO_PARAMS); /* tanh(c) over f */
  for (size_t j = 0; j < h; j++) yb[j] = gb[3 * h + j] * gb[h + j];
}

/* gb: h W_hh^T + b_hh; n = tanh(x_n + r * gb_n), h' = n + z * (h - n) (torch's (1 - z) n + z h). */
static void gru_cell(size_t h, float* gb, const float* xb, const float* hb, float* yb) {
  wt_f32_vadd_ukernel__wasmsimd_x8(2 * h, gb, xb, gb);
  wt_f32_vsigmoid_ukernel__wasmsimd_x8(2 * h, gb, gb, &NO_PARAMS); /* r, z */
  float* n = gb + 2 * h;
  for (size_t j = 0; j < h; j++) n[j] = xb[2 * h + j] + gb[j] * n[j];
  wt_f32_vtanh_ukernel__wasmsimd_x8(h, n, n, &NO_PARAMS);
  for (size_t j = 0; j < h; j++) yb[j] = n[j] + gb[h + j] * (hb[j] - n[j]);
}

static void run_recurrent(const wt_step* s, wt_threadpool* pool) {
  rnn_params* p = (rnn_params*)s->params;
  const size_t h = p->hidden, g = p->gates * h, bsz = p->batch, t_count = p->steps;
  float* xw = s->scratch;
  float* gates = xw + bsz * t_count * g;
  float* c = gates + bsz * g;
  p->xw = xw;
  wt_threadpool_run(pool, xw_task, p, p->tasks);
  if (p->code == WT_OP_LSTM) memcpy(c, p->c0, bsz * h * sizeof(float));
  const float* h_prev = p->h0;
  size_t lda = h;
  for (size_t n = 0; n < t_count; n++) {
    const size_t t = p->reverse ? t_count - 1 - n : n;
    if (p->gemv != NULL)
      p->gemv(g, h, h_prev, p->packed_hh, gates);
    else
      wt_f32_gemm(p->gemm, bsz, g, h, h_prev, lda, p->packed_hh, gates, g, -INFINITY, INFINITY);
    for (size_t b = 0; b < bsz; b++) {
      float* gb = gates + b * g;
      const float* xb = xw + row(p, b, t) * g;
      float* yb = p->y + row(p, b, t) * h;
      if (p->code == WT_OP_LSTM) {
        lstm_cell(h, gb, xb, c + b * h, yb);
      } else if (p->code == WT_OP_GRU) {
        gru_cell(h, gb, xb, h_prev + b * lda, yb);
      } else {
        wt_f32_vadd_ukernel__wasmsimd_x8(h, gb, xb, gb);
        if (p->relu)
          wt_f32_vrelu_ukernel__wasmsimd_x8(h, gb, yb, &NO_PARAMS);
        else
          wt_f32_vtanh_ukernel__wasmsimd_x8(h, gb, yb, &NO_PARAMS);
      }
    }
    h_prev = p->y + row(p, 0, t) * h;
    lda = p->batch_first ? t_count * h : h;
  }
  const size_t t_last = p->reverse ? 0 : t_count - 1;
  for (size_t b = 0; b < bsz; b++)
    memcpy(p->h_n + b * h, p->y + row(p, b, t_last) * h, h * sizeof(float));
  if (p->code == WT_OP_LSTM) memcpy(p->c_n, c, bsz * h * sizeof(float));
}

static const void* ptr(const wt_plan* plan, uint32_t id, uint8_t* arena, const uint8_t* weights) {
  const wt_value* v = &plan->values[id];
  return (v->space == WT_SPACE_ARENA ? arena : weights) + v->offset;
}

static size_t align_floats(size_t n) { return (n * sizeof(float) + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES; }

/* A state slice the op reads: a constant one is copied at load (the weights are not kept). */
static const float* state(const wt_plan* plan, uint32_t id, size_t offset, uint8_t* arena,
                          float* copy, size_t count) {
  const wt_value* v = &plan->values[id];
  if (v->space == WT_SPACE_ARENA) return (const float*)(arena + v->offset) + offset;
  memcpy(copy, (const float*)(plan->weights + v->offset) + offset, count * sizeof(float));
  return copy;
}

static int build_recurrent(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                           const uint8_t* weights, wt_step* step, size_t threads,
                           size_t* scratch_bytes) {
  const uint32_t flags = wt_plan_u32(op->attrs), k = wt_plan_u32(op->attrs + 4);
  const wt_value* x = &plan->values[op->in[0]];
  const wt_gemm_config* gemm = wt_f32_gemm_config(GEMM_VARIANT);
  const int bf = (flags & WT_LSTM_FLAG_BATCH_FIRST) != 0, lstm = op->code == WT_OP_LSTM;
  const int gru = op->code == WT_OP_GRU;
  const size_t batch = bf ? x->dims[0] : x->dims[1], steps = bf ? x->dims[1] : x->dims[0];
  const size_t in = x->dims[2], h = plan->values[op->in[2]].dims[1], g = gates_of(op->code) * h;
  /* projections, gates and c: counted in 64 bits (a wasm32 size_t could wrap) */
  const uint64_t scratch = ((uint64_t)batch * steps * g + (uint64_t)batch * g + batch * h) * 4;
  if (scratch > WT_MAX_ARENA_BYTES)
    return wt_fail(WT_E_LIMIT, "a recurrent op's scratch exceeds %u bytes", WT_MAX_ARENA_BYTES);
  const size_t ih = wt_f32_gemm_packed_elements(1, g, in, gemm->nr);
  const size_t nr_hh = batch == 1 ? WT_GEMV_NR : gemm->nr;
  const size_t hh = wt_f32_gemm_packed_elements(1, g, h, nr_hh);
  const size_t head = align_floats(sizeof(rnn_params) / sizeof(float) + 1);
  const size_t bytes = head + align_floats(ih) + align_floats(hh) + 2 * align_floats(batch * h) +
                       align_floats(g);
  uint8_t* block = aligned_alloc(ALIGN_BYTES, bytes);
  if (block == NULL) return wt_fail(WT_E_NOMEM, "out of memory for a recurrent op's packed weights");
  rnn_params* p = (rnn_params*)block;
  memset(p, 0, sizeof *p);
  step->owned = block;
  step->params = p;
  step->run = run_recurrent;
  uint8_t* next = block + head;
  p->packed_ih = (float*)next, next += align_floats(ih);
  p->packed_hh = (float*)next, next += align_floats(hh);
  float* h0 = (float*)next;
  next += align_floats(batch * h);
  float* c0 = (float*)next;
  next += align_floats(batch * h);
  float* bias = (float*)next;
  const float* b_ih = (const float*)(plan->weights + plan->values[op->in[3]].offset);
  const float* b_hh = (const float*)(plan->weights + plan->values[op->in[4]].offset);
  for (size_t j = 0; j < g; j++) bias[j] = gru ? b_ih[j] : b_ih[j] + b_hh[j];
  wt_f32_gemm_packw_goi(1, g, in, gemm->nr,
                        (const float*)(plan->weights + plan->values[op->in[1]].offset), bias,
                        p->packed_ih);
  wt_f32_gemm_packw_goi(1, g, h, nr_hh, (const float*)(plan->weights + plan->values[op->in[2]].offset),
                        gru ? b_hh : NULL, p->packed_hh);
  p->code = op->code;
  p->gemm = gemm;
  if (batch == 1) p->gemv = wt_f32_gemv_ukernel(1);
  p->x = ptr(plan, op->in[0], arena, weights);
  p->h0 = state(plan, op->in[5], (size_t)k * batch * h, arena, h0, batch * h);
  if (lstm) p->c0 = state(plan, op->in[6], (size_t)k * batch * h, arena, c0, batch * h);
  p->y = (float*)ptr(plan, op->out[0], arena, NULL);
  p->h_n = (float*)ptr(plan, op->out[1], arena, NULL);
  if (lstm) p->c_n = (float*)ptr(plan, op->out[2], arena, NULL);
  p->batch = batch, p->steps = steps, p->in = in, p->hidden = h, p->gates = gates_of(op->code);
  p->batch_first = bf, p->reverse = (flags & WT_LSTM_FLAG_REVERSE) != 0;
  p->relu = (flags & WT_RNN_FLAG_RELU) != 0;
  const size_t panels = div_up(g, gemm->nr);
  p->n_block = div_up(panels, threads ? threads : 1) * gemm->nr;
  p->tasks = div_up(g, p->n_block);
  *scratch_bytes = (size_t)scratch;
  return WT_OK;
}

/* ---- cat ----------------------------------------------------------------------------------- */

typedef struct cat_params {
  const float* in[WT_MAX_OPERANDS];
  size_t len[WT_MAX_OPERANDS]; /* elements per outer index */
  size_t n_in, outer;
  float* y;
} cat_params;

static void run_cat(const wt_step* s, wt_threadpool* pool) {
  (void)pool;
  const cat_params* p = s->params;
  float* y = p->y;
  for (size_t o = 0; o < p->outer; o++)
    for (size_t i = 0; i < p->n_in; i++, y += p->len[i - 1])
      memcpy(y, p->in[i] + o * p->len[i], p->len[i] * sizeof(float));
}

static int build_cat(const wt_plan* plan, const wt_op* op, uint8_t* arena, const uint8_t* weights,
                     wt_step* step) {
  cat_params* p = wt_step_params(step, sizeof *p);
  if (p == NULL) return WT_E_NOMEM;
  step->run = run_cat;
  const uint32_t dim = wt_plan_u32(op->attrs);
  const wt_value* y = &plan->values[op->out[0]];
  size_t inner = 1;
  p->outer = 1;
  for (uint32_t d = 0; d < y->rank; d++) {
    if (d < dim) p->outer *= y->dims[d];
    if (d > dim) inner *= y->dims[d];
  }
  p->n_in = op->n_in;
  for (uint32_t i = 0; i < op->n_in; i++) {
    p->in[i] = ptr(plan, op->in[i], arena, weights);
    p->len[i] = plan->values[op->in[i]].dims[dim] * inner;
  }
  if (y->nbytes == 0) p->outer = 0; /* empty (and the products may have wrapped) */
  p->y = (float*)ptr(plan, op->out[0], arena, weights);
  return WT_OK;
}

/* ---- flip ---------------------------------------------------------------------------------- */

typedef struct flip_params {
  const float* x;
  float* y;
  size_t outer, len, inner; /* y[o, i, :] = x[o, len - 1 - i, :] */
} flip_params;

static void run_flip(const wt_step* s, wt_threadpool* pool) {
  (void)pool;
  const flip_params* p = s->params;
  for (size_t o = 0; o < p->outer; o++)
    for (size_t i = 0; i < p->len; i++)
      memcpy(p->y + (o * p->len + i) * p->inner, p->x + (o * p->len + p->len - 1 - i) * p->inner,
             p->inner * sizeof(float));
}

static int build_flip(const wt_plan* plan, const wt_op* op, uint8_t* arena, const uint8_t* weights,
                      wt_step* step) {
  flip_params* p = wt_step_params(step, sizeof *p);
  if (p == NULL) return WT_E_NOMEM;
  step->run = run_flip;
  const uint32_t dim = wt_plan_u32(op->attrs);
  const wt_value* y = &plan->values[op->out[0]];
  p->outer = p->inner = 1;
  for (uint32_t d = 0; d < y->rank; d++) {
    if (d < dim) p->outer *= y->dims[d];
    if (d > dim) p->inner *= y->dims[d];
  }
  p->len = y->dims[dim];
  if (y->nbytes == 0) p->outer = 0; /* empty (and the products may have wrapped) */
  p->x = ptr(plan, op->in[0], arena, weights);
  p->y = (float*)ptr(plan, op->out[0], arena, weights);
  return WT_OK;
}

int wt_sequence_build(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                      const uint8_t* weights, wt_step* step, size_t threads,
                      size_t* scratch_bytes) {
  *scratch_bytes = 0;
  switch (op->code) {
    case WT_OP_LSTM:
    case WT_OP_GRU:
    case WT_OP_RNN: return build_recurrent(plan, op, arena, weights, step, threads, scratch_bytes);
    case WT_OP_CAT: return build_cat(plan, op, arena, weights, step);
    default: return build_flip(plan, op, arena, weights, step);
  }
}
