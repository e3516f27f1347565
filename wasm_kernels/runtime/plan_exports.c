/* Exports of the plan runtime (the JS binding is py/wasm_torch/runtime/wtm.mjs):
 *
 *   wt_model_load(bytes, len, threads) -> model | 0     validate + build; bytes may be freed after
 *   wt_forward(model) -> status                          the whole forward pass, one call
 *   wt_model_free(model)
 *   wt_last_error() / wt_last_error_message()            status + message of the last failure
 *   wt_model_io_*(model, kind, i, ...)                   kind 0 = inputs, 1 = outputs: where each
 *                                                        input/output lives in the arena, its shape
 *   wt_model_set_profiling(model, on)                    time every step of later forwards
 *   wt_model_step_*(model, i, ...)                       per step: op, label, output shape, ms
 *   wt_model_*_bytes(model), wt_alloc_count(),           memory statistics
 *   wt_heap_bytes_in_use()
 *
 * Inputs and outputs sit at fixed arena addresses for the model's lifetime: JS writes the inputs
 * there, calls wt_forward, reads the outputs. wt_forward never modifies the inputs. */
#include <emscripten/emscripten.h>
#include <malloc.h>

#include "wt_model.h"

size_t wt_alloc_calls(void);

EMSCRIPTEN_KEEPALIVE int wt_plan_version(void) {
  return WT_PLAN_VERSION_MAJOR << 16 | WT_PLAN_VERSION_MINOR;
}

EMSCRIPTEN_KEEPALIVE wt_model* wt_model_load(const uint8_t* bytes, size_t len, int threads) {
  if (threads < 1) {
    wt_fail(WT_E_THREADS, "%d threads requested", threads);
    return NULL;
  }
  return wt_model_create(bytes, len, (size_t)threads);
}

EMSCRIPTEN_KEEPALIVE void wt_model_free(wt_model* model) { wt_model_destroy(model); }

EMSCRIPTEN_KEEPALIVE int wt_forward(const wt_model* model) {
  if (model == NULL) return wt_fail(WT_E_ARG, "wt_forward: no model");
  return wt_model_forward(model);
}

EMSCRIPTEN_KEEPALIVE int wt_last_error(void) { return wt_error_code(); }
EMSCRIPTEN_KEEPALIVE const char* wt_last_error_message(void) { return wt_error_message(); }

static const wt_model_io* io_at(const wt_model* m, int kind, int i) {
  if (m == NULL || i < 0 || (kind != 0 && kind != 1)) return NULL;
  const uint32_t count = kind == 0 ? m->n_inputs : m->n_outputs;
  if ((uint32_t)i >= count) return NULL;
  return &m->io[(kind == 0 ? 0 : m->n_inputs) + (uint32_t)i];
}

EMSCRIPTEN_KEEPALIVE int wt_model_io_count(const wt_model* m, int kind) {
  if (m == NULL) return -1;
  return kind == 0 ? (int)m->n_inputs : kind == 1 ? (int)m->n_outputs : -1;
}

EMSCRIPTEN_KEEPALIVE float* wt_model_io_data(const wt_model* m, int kind, int i) {
  const wt_model_io* io = io_at(m, kind, i);
  return io != NULL ? io->data : NULL;
}

EMSCRIPTEN_KEEPALIVE int wt_model_io_bytes(const wt_model* m, int kind, int i) {
  const wt_model_io* io = io_at(m, kind, i);
  return io != NULL ? (int)io->nbytes : -1;
}

EMSCRIPTEN_KEEPALIVE int wt_model_io_rank(const wt_model* m, int kind, int i) {
  const wt_model_io* io = io_at(m, kind, i);
  return io != NULL ? (int)io->rank : -1;
}

EMSCRIPTEN_KEEPALIVE int wt_model_io_dtype(const wt_model* m, int kind, int i) {
  const wt_model_io* io = io_at(m, kind, i);
  return io != NULL ? (int)io->dtype : -1;
}

EMSCRIPTEN_KEEPALIVE int wt_model_io_dim(const wt_model* m, int kind, int i, int d) {
  const wt_model_io* io = io_at(m, kind, i);
  return io != NULL && d >= 0 && (uint32_t)d < io->rank ? (int)io->dims[d] : -1;
}

EMSCRIPTEN_KEEPALIVE const char* wt_model_io_name(const wt_model* m, int kind, int i) {
  const wt_model_io* io = io_at(m, kind, i);
  return io != NULL ? io->name : NULL;
}

EMSCRIPTEN_KEEPALIVE size_t wt_model_arena_bytes(const wt_model* m) {
  return m != NULL ? m->arena_bytes : 0;
}
EMSCRIPTEN_KEEPALIVE size_t wt_model_packed_bytes(const wt_model* m) {
  return m != NULL ? m->packed_bytes : 0;
}
EMSCRIPTEN_KEEPALIVE size_t wt_model_weights_bytes(const wt_model* m) {
  return m != NULL ? m->weights_bytes : 0;
}
EMSCRIPTEN_KEEPALIVE int wt_model_threads(const wt_model* m) {
  return m != NULL ? (int)wt_threadpool_threads(m->pool) : 0;
}

EMSCRIPTEN_KEEPALIVE int wt_model_profiling(wt_model* m, int on) {
  if (m == NULL) return wt_fail(WT_E_ARG, "wt_model_profiling: no model");
  wt_model_set_profiling(m, on);
  return WT_OK;
}

static const wt_step_profile* step_at(const wt_model* m, int i) {
  return m != NULL && i >= 0 && (uint32_t)i < m->n_steps ? &m->profile[i] : NULL;
}

EMSCRIPTEN_KEEPALIVE int wt_model_step_count(const wt_model* m) {
  return m != NULL ? (int)m->n_steps : -1;
}
EMSCRIPTEN_KEEPALIVE int wt_model_step_op(const wt_model* m, int i) {
  const wt_step_profile* p = step_at(m, i);
  return p != NULL ? (int)p->code : -1;
}
EMSCRIPTEN_KEEPALIVE const char* wt_model_step_op_name(const wt_model* m, int i) {
  const wt_step_profile* p = step_at(m, i);
  return p != NULL ? wt_plan_op_name(p->code) : NULL;
}
/* The label's bytes (not NUL-terminated; wt_model_step_label_len of them). */
EMSCRIPTEN_KEEPALIVE const char* wt_model_step_label(const wt_model* m, int i) {
  const wt_step_profile* p = step_at(m, i);
  return p != NULL ? p->label : NULL;
}
EMSCRIPTEN_KEEPALIVE int wt_model_step_label_len(const wt_model* m, int i) {
  const wt_step_profile* p = step_at(m, i);
  return p != NULL ? (int)p->label_len : -1;
}
EMSCRIPTEN_KEEPALIVE int wt_model_step_rank(const wt_model* m, int i) {
  const wt_step_profile* p = step_at(m, i);
  return p != NULL ? (int)p->rank : -1;
}
EMSCRIPTEN_KEEPALIVE int wt_model_step_dim(const wt_model* m, int i, int d) {
  const wt_step_profile* p = step_at(m, i);
  return p != NULL && d >= 0 && (uint32_t)d < p->rank ? (int)p->dims[d] : -1;
}
/* Milliseconds the step took in the last forward run with profiling on (0 before one). */
EMSCRIPTEN_KEEPALIVE double wt_model_step_ms(const wt_model* m, int i) {
  const wt_step_profile* p = step_at(m, i);
  return p != NULL ? p->ms : -1.0;
}

/* Calls to malloc/calloc/realloc/memalign since the module started (alloc_count.c). */
EMSCRIPTEN_KEEPALIVE size_t wt_alloc_count(void) { return wt_alloc_calls(); }

/* Bytes of the heap currently allocated (dlmalloc's mallinfo): flat across load/free cycles and
 * rejected plans when nothing leaks. */
EMSCRIPTEN_KEEPALIVE size_t wt_heap_bytes_in_use(void) { return (size_t)mallinfo().uordblks; }
