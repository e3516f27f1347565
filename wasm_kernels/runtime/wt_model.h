/* A loaded plan: the arena, pre-packed weights and a list of steps with every operand resolved to
 * a pointer, so wt_model_forward is one loop over function pointers: no parsing, no allocation. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wt_kernels.h"
#include "wt_plan.h"
#include "wt_threadpool.h"

typedef struct wt_step wt_step;
typedef void (*wt_step_fn)(const wt_step* step, wt_threadpool* pool);

struct wt_step {
  wt_step_fn run;
  const float* a;
  const float* b;
  float* y;
  const float* packed; /* gemm: packed weights + bias */
  const wt_gemm_config* gemm;
  size_t m, n, k; /* gemm: C[m, n] = A[m, k] . W^T; elementwise: n elements */
  size_t m_block, n_block,
      n_tasks; /* work split: tasks are m_block x n_block tiles (n_tasks per row) */
  size_t tasks;
  float min, max;
  const void* params; /* op-specific state built at load (ops_vision.c: geometry, packed weights) */
  void* scratch;      /* the model's shared scratch area (im2col, indirection), sized at load */
  void* owned;        /* freed with the model */
  int serial; /* work below WT_SERIAL_WORK: runs on the calling thread, no pool hand-off */
};

/* Multiply-adds (or elements touched) below which waking the pool costs more than it saves. The
 * step's task split is the same either way, so outputs do not depend on it. */
#ifndef WT_SERIAL_WORK
#define WT_SERIAL_WORK 16384
#endif

typedef struct wt_model_io {
  float* data;
  uint32_t nbytes;
  uint32_t rank;
  uint32_t dtype; /* wt_dtype */
  uint32_t dims[WT_MAX_RANK];
  const char* name; /* NUL-terminated, in the model's name buffer */
} wt_model_io;

/* What profiling reports per step (built at load, so a profiled forward allocates nothing). */
typedef struct wt_step_profile {
  uint32_t code; /* wt_op_code */
  uint32_t rank;
  uint32_t dims[WT_MAX_RANK]; /* the step's first output */
  const char* label;          /* the plan op's label (not NUL-terminated), in labels */
  uint32_t label_len;
  double ms; /* elapsed in the last profiled forward */
} wt_step_profile;

typedef struct wt_model {
  uint8_t* arena;
  size_t arena_bytes;
  uint8_t* weights; /* a copy of the plan's weights, only when an op other than gemm reads them */
  size_t weights_bytes;
  float* packed;
  size_t packed_bytes;
  wt_step* steps;
  uint32_t n_steps;
  wt_model_io* io; /* inputs, then outputs */
  uint32_t n_inputs, n_outputs;
  char* names;
  wt_threadpool* pool;
  void* scratch; /* max over steps of their scratch needs (all threads), shared by every step */
  size_t scratch_bytes;
  wt_step_profile* profile; /* n_steps entries */
  char* labels;
  int profiling; /* wt_model_forward times each step */
} wt_model;

/* Validates the plan (wt_plan_parse), then builds the model. The plan bytes may be freed after.
 * Returns NULL on failure with wt_error_code/wt_error_message set. */
wt_model* wt_model_create(const uint8_t* bytes, size_t len, size_t threads);
void wt_model_destroy(wt_model* model);
/* Returns a wt_status: WT_E_INPUT when an input value is out of range (outputs then undefined). */
int wt_model_forward(const wt_model* model);
/* Profiling on: each forward records every step's elapsed ms in model->profile. */
void wt_model_set_profiling(wt_model* model, int on);

/* Step kernels (ops.c): how each op code runs and how its work is split into tasks. */
/* An op's own state block for a step: zeroed, owned by the step (freed with the model), set as its
 * params. NULL when out of memory, with the error already recorded (return WT_E_NOMEM). */
void* wt_step_params(wt_step* step, size_t bytes);
void wt_step_gemm(wt_step* step, size_t threads);
void wt_step_clamp(wt_step* step, size_t threads);
void wt_step_add(wt_step* step, size_t threads);
void wt_step_copy(wt_step* step, size_t threads);
/* Packs a [K, N] weight (matmul's other) into the gemm panel layout of include/wt_kernels.h. */
void wt_pack_gemm_kn(size_t n, size_t k, size_t nr, const float* w, const float* bias,
                     float* packed);
