/* Step kernels run by wt_model_forward, and how each op's work is split across threads.
 * GEMM tiles C into blocks of whole NR panels (columns) and MR rows; elementwise ops split the
 * flat range. Splits are fixed at load, so forward does no arithmetic beyond the kernels. */
#include <string.h>

#include "wt_model.h"

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }
static size_t round_up(size_t a, size_t b) { return div_up(a, b) * b; }

/* ---- gemm ---------------------------------------------------------------------------------- */

static void gemm_task(void* context, size_t task) {
  const wt_step* s = context;
  const size_t m0 = task / s->n_tasks * s->m_block, n0 = task % s->n_tasks * s->n_block;
  const size_t mc = s->m - m0 < s->m_block ? s->m - m0 : s->m_block;
  const size_t nc = s->n - n0 < s->n_block ? s->n - n0 : s->n_block;
  const size_t panel = (s->k + 1) * s->gemm->nr;
  wt_f32_gemm(s->gemm, mc, nc, s->k, s->a + m0 * s->k, s->k, s->packed + n0 / s->gemm->nr * panel,
              s->y + m0 * s->n + n0, s->n, s->min, s->max);
}

static void run_gemm(const wt_step* s, wt_threadpool* pool) {
  wt_threadpool_run(pool, gemm_task, (void*)s, s->tasks);
}

void wt_step_gemm(wt_step* s, size_t threads) {
  s->run = run_gemm;
  s->m_block = s->m;
  s->n_block = round_up(s->n, s->gemm->nr);
  if (threads > 1) {
    /* Columns first (each thread streams a disjoint slice of the weights); rows when N is too
     * narrow to give every thread a panel. */
    const size_t panels = div_up(s->n, s->gemm->nr);
    if (panels >= threads)
      s->n_block = div_up(panels, threads) * s->gemm->nr;
    else
      s->m_block = round_up(div_up(s->m, threads), s->gemm->mr);
  }
  s->n_tasks = s->n ? div_up(s->n, s->n_block) : 0;
  s->tasks = s->m ? div_up(s->m, s->m_block) * s->n_tasks : 0;
}

void wt_pack_gemm_kn(size_t n, size_t k, size_t nr, const float* w, const float* bias,
                     float* packed) {
  for (size_t n0 = 0; n0 < n; n0 += nr) {
    const size_t nb = n - n0 < nr ? n - n0 : nr;
    for (size_t j = 0; j < nr; j++) packed[j] = j < nb && bias != NULL ? bias[n0 + j] : 0.0f;
    packed += nr;
    for (size_t kk = 0; kk < k; kk++, packed += nr)
      for (size_t j = 0; j < nr; j++) packed[j] = j < nb ? w[kk * n + n0 + j] : 0.0f;
  }
}

/* ---- elementwise ----------------------------------------------------------------------------- */

/* Elementwise ranges are split in chunks of whole cache lines. */
#define WT_ELEMENTWISE_ALIGN 16

static void split_flat(wt_step* s, size_t threads) {
  s->n_block = s->n;
  if (threads > 1) s->n_block = round_up(div_up(s->n, threads), WT_ELEMENTWISE_ALIGN);
  s->tasks = s->n ? div_up(s->n, s->n_block) : 0;
}

static size_t chunk(const wt_step* s, size_t task, size_t* n0) {
  *n0 = task * s->n_block;
  return s->n - *n0 < s->n_block ? s->n - *n0 : s->n_block;
}

/* Same comparisons as the GEMM epilogue, in the same order: min first, so max wins when
 * min > max, and NaN propagates (torch.clamp). */
static void clamp_task(void* context, size_t task) {
  const wt_step* s = context;
  size_t n0;
  const size_t nc = chunk(s, task, &n0);
  const float* x = s->a + n0;
  float* y = s->y + n0;
  const float lo = s->min, hi = s->max;
  for (size_t i = 0; i < nc; i++) {
    float v = x[i];
    v = v < lo ? lo : v;
    y[i] = hi < v ? hi : v;
  }
}

static void add_task(void* context, size_t task) {
  const wt_step* s = context;
  size_t n0;
  const size_t nc = chunk(s, task, &n0);
  wt_f32_vadd_ukernel__wasmsimd_x8(nc, s->a + n0, s->b + n0, s->y + n0);
}

static void copy_task(void* context, size_t task) {
  const wt_step* s = context;
  size_t n0;
  const size_t nc = chunk(s, task, &n0);
  memcpy(s->y + n0, s->a + n0, nc * sizeof(float));
}

static void run_clamp(const wt_step* s, wt_threadpool* pool) {
  wt_threadpool_run(pool, clamp_task, (void*)s, s->tasks);
}
static void run_add(const wt_step* s, wt_threadpool* pool) {
  wt_threadpool_run(pool, add_task, (void*)s, s->tasks);
}
static void run_copy(const wt_step* s, wt_threadpool* pool) {
  wt_threadpool_run(pool, copy_task, (void*)s, s->tasks);
}

void wt_step_clamp(wt_step* s, size_t threads) {
  s->run = run_clamp;
  split_flat(s, threads);
}

void wt_step_add(wt_step* s, size_t threads) {
  s->run = run_add;
  split_flat(s, threads);
}

void wt_step_copy(wt_step* s, size_t threads) {
  s->run = run_copy;
  split_flat(s, threads);
}
