/* Building a model from a validated plan: allocate the arena, pack every GEMM's weights (the
 * weight arithmetic happens here, once), resolve each op's operands to pointers. */
#include <emscripten/emscripten.h>
#include <stdlib.h>
#include <string.h>

#include "wt_dtype_ops.h"
#include "wt_attention.h"
#include "wt_indexing.h"
#include "wt_model.h"
#include "wt_sequence.h"
#include "wt_transformer.h"
#include "wt_vision.h"

/* Production kernel set for packed GEMMs. */
#define WT_MODEL_GEMM WT_GEMM_WASMSIMD

static size_t align_up(size_t n) { return (n + WT_PLAN_ALIGN - 1) / WT_PLAN_ALIGN * WT_PLAN_ALIGN; }

static void* alloc_aligned(size_t bytes) {
  return aligned_alloc(WT_PLAN_ALIGN, align_up(bytes ? bytes : 1));
}

static size_t numel(const wt_value* v) { return v->nbytes / sizeof(float); }

/* Operands read only at load (packed, folded, copied): GEMM, conv, transposed conv, batch and
 * group norm and LSTM parameters (an LSTM's constant initial state is copied too). */
static int is_gemm_weight(const wt_op* op, uint32_t operand) {
  return (op->code == WT_OP_GEMM || op->code == WT_OP_CONV2D || op->code == WT_OP_BATCH_NORM ||
          op->code == WT_OP_LSTM || op->code == WT_OP_CONV_TRANSPOSE2D ||
          op->code == WT_OP_GROUP_NORM) &&
         operand >= 1;
}

/* GEMM weights and biases are read only while packing; any other read of a constant needs the
 * weights to outlive the plan bytes. */
static int needs_weights(const wt_plan* plan) {
  for (uint32_t i = 0; i < plan->n_ops; i++) {
    const wt_op* op = &plan->ops[i];
    if (op->code == WT_OP_RESHAPE) continue;
    for (uint32_t j = 0; j < op->n_in; j++)
      if (plan->values[op->in[j]].space == WT_SPACE_WEIGHTS && !is_gemm_weight(op, j)) return 1;
  }
  return 0;
}

static float* value_ptr(const wt_model* m, const wt_plan* plan, uint32_t id) {
  const wt_value* v = &plan->values[id];
  uint8_t* base = v->space == WT_SPACE_ARENA ? m->arena : m->weights;
  return (float*)(base + v->offset);
}

static void build_gemm(wt_model* m, const wt_plan* plan, const wt_op* op, wt_step* s,
                       float** packed, size_t threads) {
  const wt_value* x = &plan->values[op->in[0]];
  const wt_value* w = &plan->values[op->in[1]];
  const wt_value* y = &plan->values[op->out[0]];
  const int kn = (wt_plan_u32(op->attrs) & WT_GEMM_FLAG_KN) != 0;
  s->gemm = wt_f32_gemm_config(WT_MODEL_GEMM);
  s->k = x->dims[x->rank - 1];
  s->n = kn ? w->dims[1] : w->dims[0];
  /* rows = elements of y / N; an empty y runs nothing (and its row count may not fit size_t) */
  s->m = numel(y) != 0 ? numel(y) / s->n : 0;
  s->a = value_ptr(m, plan, op->in[0]);
  s->y = value_ptr(m, plan, op->out[0]);
  s->min = wt_plan_f32(op->attrs + 4);
  s->max = wt_plan_f32(op->attrs + 8);
  const float* wdata = (const float*)(plan->weights + w->offset);
  const float* bias =
      op->n_in == 3 ? (const float*)(plan->weights + plan->values[op->in[2]].offset) : NULL;
  if (kn)
    wt_pack_gemm_kn(s->n, s->k, s->gemm->nr, wdata, bias, *packed);
  else
    wt_f32_gemm_packw_goi(1, s->n, s->k, s->gemm->nr, wdata, bias, *packed);
  s->packed = *packed;
  *packed += wt_f32_gemm_packed_elements(1, s->n, s->k, s->gemm->nr);
  wt_step_gemm(s, threads);
}

/* Packed floats of every GEMM, counted in 64 bits: a narrow weight pads to NR columns, so this
 * can exceed the plan's own weight bytes by up to NR times. */
static int packed_floats(const wt_plan* plan, size_t* floats) {
  const wt_gemm_config* cfg = wt_f32_gemm_config(WT_MODEL_GEMM);
  uint64_t total = 0;
  for (uint32_t i = 0; i < plan->n_ops; i++) {
    const wt_op* op = &plan->ops[i];
    if (op->code != WT_OP_GEMM) continue;
    const wt_value* x = &plan->values[op->in[0]];
    const wt_value* w = &plan->values[op->in[1]];
    const uint64_t n = (wt_plan_u32(op->attrs) & WT_GEMM_FLAG_KN) ? w->dims[1] : w->dims[0];
    const uint64_t k = x->dims[x->rank - 1];
    total += (n + cfg->nr - 1) / cfg->nr * cfg->nr * (k + 1);
    if (total * sizeof(float) > WT_MAX_PACKED_BYTES)
      return wt_fail(WT_E_LIMIT, "packed weights exceed %u bytes (at op %u)", WT_MAX_PACKED_BYTES,
                     i);
  }
  *floats = (size_t)total;
  return WT_OK;
}

static int build_io(wt_model* m, const wt_plan* plan) {
  const uint32_t n_io = plan->n_inputs + plan->n_outputs;
  size_t name_bytes = 0;
  for (uint32_t i = 0; i < n_io; i++) name_bytes += (size_t)plan->io[i].name_len + 1;
  m->io = calloc(n_io ? n_io : 1, sizeof(wt_model_io));
  m->names = malloc(name_bytes ? name_bytes : 1);
  if (m->io == NULL || m->names == NULL)
    return wt_fail(WT_E_NOMEM, "out of memory for the model's names");
  char* name = m->names;
  for (uint32_t i = 0; i < n_io; i++) {
    const wt_value* v = &plan->values[plan->io[i].value];
    wt_model_io* io = &m->io[i];
    io->data = value_ptr(m, plan, plan->io[i].value);
    io->nbytes = v->nbytes;
    io->rank = v->rank;
    io->dtype = v->dtype;
    memcpy(io->dims, v->dims, sizeof io->dims);
    memcpy(name, plan->io[i].name, plan->io[i].name_len);
    name[plan->io[i].name_len] = '\0';
    io->name = name;
    name += plan->io[i].name_len + 1;
  }
  m->n_inputs = plan->n_inputs;
  m->n_outputs = plan->n_outputs;
  return WT_OK;
}

/* A step's work: multiply-adds for the products, elements touched for the rest (memory-bound). */
static uint64_t step_work(const wt_plan* plan, const wt_op* op) {
  const wt_value* y = &plan->values[op->out[0]];
  const uint64_t out = numel(y);
  const size_t channels = y->rank ? y->dims[y->rank - 1] : 1;
  switch (op->code) {
    case WT_OP_LSTM:
    case WT_OP_GRU:
    case WT_OP_RNN:
      return UINT64_MAX; /* one step loops over the whole sequence */
    case WT_OP_SDPA: { /* two products: L x S x E and L x Ev x S per batch */
      const wt_value* q = &plan->values[op->in[0]];
      const wt_value* k = &plan->values[op->in[1]];
      return out * k->dims[k->rank - 2] + out / y->dims[y->rank - 1] * k->dims[k->rank - 2] * q->dims[q->rank - 1];
    }
    case WT_OP_GEMM:
    case WT_OP_MATMUL: {
      const wt_value* x = &plan->values[op->in[0]];
      return out * (x->rank ? x->dims[x->rank - 1] : 1);
    }
    case WT_OP_CONV2D:
      return channels ? out * (numel(&plan->values[op->in[1]]) / channels) : 0;
    default: {
      uint64_t touched = 0;
      for (uint32_t j = 0; j < op->n_in + op->n_out; j++) {
        const uint32_t id = j < op->n_in ? op->in[j] : op->out[j - op->n_in];
        const uint64_t n = numel(&plan->values[id]);
        if (n > touched) touched = n;
      }
      return touched;
    }
  }
}

/* One profile entry per step (steps are the plan's ops minus RESHAPEs, in order), and which steps
 * are too small for the pool. */
static int describe_steps(wt_model* m, const wt_plan* plan) {
  size_t label_bytes = 0;
  for (uint32_t i = 0; i < plan->n_ops; i++) label_bytes += plan->ops[i].label_len;
  m->profile = calloc(m->n_steps ? m->n_steps : 1, sizeof(wt_step_profile));
  m->labels = malloc(label_bytes ? label_bytes : 1);
  if (m->profile == NULL || m->labels == NULL)
    return wt_fail(WT_E_NOMEM, "out of memory for the step profile");
  char* label = m->labels;
  uint32_t step = 0;
  for (uint32_t i = 0; i < plan->n_ops && step < m->n_steps; i++) {
    const wt_op* op = &plan->ops[i];
    if (op->code == WT_OP_RESHAPE) continue;
    const wt_value* y = &plan->values[op->out[0]];
    m->steps[step].serial = step_work(plan, op) < WT_SERIAL_WORK;
    wt_step_profile* p = &m->profile[step++];
    p->code = op->code;
    p->rank = y->rank;
    memcpy(p->dims, y->dims, sizeof p->dims);
    memcpy(label, op->label, op->label_len);
    p->label = label;
    p->label_len = op->label_len;
    label += op->label_len;
  }
  return WT_OK;
}

void* wt_step_params(wt_step* step, size_t bytes) {
  void* p = calloc(1, bytes);
  if (p == NULL) {
    wt_fail(WT_E_NOMEM, "out of memory for an op");
    return NULL;
  }
  step->owned = p;
  step->params = p;
  return p;
}

static int build(wt_model* m, const wt_plan* plan, size_t threads) {
  int status = wt_threadpool_create(threads, &m->pool);
  if (status != WT_OK) return status;
  m->arena_bytes = plan->arena_bytes;
  m->arena = alloc_aligned(m->arena_bytes);
  if (needs_weights(plan)) {
    m->weights_bytes = plan->weights_bytes;
    m->weights = alloc_aligned(m->weights_bytes);
    if (m->weights != NULL) memcpy(m->weights, plan->weights, m->weights_bytes);
  }
  size_t packed = 0;
  status = packed_floats(plan, &packed);
  if (status != WT_OK) return status;
  m->packed_bytes = packed * sizeof(float);
  m->packed = packed ? alloc_aligned(m->packed_bytes) : NULL;
  m->steps = calloc(plan->n_ops ? plan->n_ops : 1, sizeof(wt_step));
  if (m->arena == NULL || m->steps == NULL || (packed && m->packed == NULL) ||
      (m->weights_bytes && m->weights == NULL))
    return wt_fail(WT_E_NOMEM, "out of memory: arena %zu, packed weights %zu, weights %zu bytes",
                   m->arena_bytes, m->packed_bytes, m->weights_bytes);
  /* Reading a region before any op writes it gives zeros, never stale heap bytes. */
  memset(m->arena, 0, m->arena_bytes);
  float* next_packed = m->packed;
  size_t scratch_bytes = 0;
  for (uint32_t i = 0; i < plan->n_ops; i++) {
    const wt_op* op = &plan->ops[i];
    wt_step* s = &m->steps[m->n_steps];
    if (op->code == WT_OP_RESHAPE) continue; /* zero-copy: the output already aliases the input */
    if (op->code == WT_OP_GEMM) {
      build_gemm(m, plan, op, s, &next_packed, threads);
    } else if (wt_vision_op(op->code) || wt_transformer_op(op->code) || wt_sequence_op(op->code) ||
               wt_attention_op(op->code) || wt_indexing_op(op->code) || wt_dtype_op(op->code)) {
      size_t need = 0;
      m->n_steps++; /* owned by the model from here, so destroy frees it on failure */
      status = wt_vision_op(op->code)
                   ? wt_vision_build(plan, op, m->arena, m->weights, s, threads, &need)
               : wt_transformer_op(op->code)
                   ? wt_transformer_build(plan, op, m->arena, m->weights, s, threads, &need)
               : wt_attention_op(op->code)
                   ? wt_attention_build(plan, op, m->arena, m->weights, s, threads, &need)
               : wt_indexing_op(op->code)
                   ? wt_indexing_build(plan, op, m->arena, m->weights, s, &need)
               : wt_dtype_op(op->code)
                   ? wt_dtype_build(plan, op, m->arena, m->weights, s, threads, &need)
                   : wt_sequence_build(plan, op, m->arena, m->weights, s, threads, &need);
      if (status != WT_OK) return status;
      if (need > scratch_bytes) scratch_bytes = need;
      continue;
    } else {
      s->a = value_ptr(m, plan, op->in[0]);
      s->b = op->n_in > 1 ? value_ptr(m, plan, op->in[1]) : NULL;
      s->y = value_ptr(m, plan, op->out[0]);
      s->n = numel(&plan->values[op->out[0]]);
      if (op->code == WT_OP_CLAMP) {
        s->min = wt_plan_f32(op->attrs);
        s->max = wt_plan_f32(op->attrs + 4);
        wt_step_clamp(s, threads);
      } else if (op->code == WT_OP_ADD) {
        wt_step_add(s, threads);
      } else {
        wt_step_copy(s, threads);
      }
    }
    m->n_steps++;
  }
  if (scratch_bytes) {
    m->scratch_bytes = scratch_bytes;
    m->scratch = alloc_aligned(scratch_bytes);
    if (m->scratch == NULL)
      return wt_fail(WT_E_NOMEM, "out of memory: scratch %zu bytes", scratch_bytes);
    for (uint32_t i = 0; i < m->n_steps; i++) m->steps[i].scratch = m->scratch;
  }
  status = describe_steps(m, plan);
  return status != WT_OK ? status : build_io(m, plan);
}

wt_model* wt_model_create(const uint8_t* bytes, size_t len, size_t threads) {
  wt_plan plan;
  if (wt_plan_parse(bytes, len, &plan) != WT_OK) return NULL;
  wt_model* m = calloc(1, sizeof *m);
  int status =
      m != NULL ? build(m, &plan, threads) : wt_fail(WT_E_NOMEM, "out of memory for a model");
  wt_plan_release(&plan);
  if (status != WT_OK) {
    wt_model_destroy(m);
    return NULL;
  }
  return m;
}

void wt_model_destroy(wt_model* m) {
  if (m == NULL) return;
  wt_threadpool_destroy(m->pool);
  free(m->arena);
  free(m->weights);
  free(m->packed);
  for (uint32_t i = 0; m->steps != NULL && i < m->n_steps; i++) free(m->steps[i].owned);
  free(m->steps);
  free(m->scratch);
  free(m->io);
  free(m->names);
  free(m->profile);
  free(m->labels);
  free(m);
}

void wt_model_set_profiling(wt_model* m, int on) {
  m->profiling = on != 0;
  for (uint32_t i = 0; i < m->n_steps; i++) m->profile[i].ms = 0;
}

/* A separate loop, so profiling off costs nothing per step. */
static int forward_profiled(const wt_model* m) {
  for (uint32_t i = 0; i < m->n_steps; i++) {
    const double start = emscripten_get_now();
    m->steps[i].run(&m->steps[i], m->steps[i].serial ? NULL : m->pool);
    m->profile[i].ms = emscripten_get_now() - start;
    if (wt_error_code() != WT_OK) return wt_error_code();
  }
  return WT_OK;
}

int wt_model_forward(const wt_model* m) {
  /* a step that finds a bad input (an embedding id out of range) fails through wt_fail */
  wt_error_clear();
  if (m->profiling) return forward_profiled(m);
  for (uint32_t i = 0; i < m->n_steps; i++) {
    m->steps[i].run(&m->steps[i], m->steps[i].serial ? NULL : m->pool);
    if (wt_error_code() != WT_OK) return wt_error_code();
  }
  return WT_OK;
}
