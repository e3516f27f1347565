/* The thread pool behind wt_threadpool.h. Workers sleep on a condition variable until the
 * generation counter moves, pull task indices from an atomic counter, and the last one to finish
 * wakes the caller. Under Emscripten the workers are pthreads (Web Workers sharing the memory);
 * -sPTHREAD_POOL_SIZE pre-starts them, so creating up to that many never waits on the event
 * loop of the thread that loads the model. */
#include <stdlib.h>

#include "wt_plan.h"
#include "wt_threadpool.h"

#ifdef __EMSCRIPTEN_PTHREADS__
#include <pthread.h>
#include <stdatomic.h>

struct wt_threadpool {
  pthread_mutex_t lock;
  pthread_cond_t wake; /* workers: a new generation (or stop) */
  pthread_cond_t idle; /* caller: every worker finished the generation */
  size_t generation;
  size_t busy; /* workers still inside the current generation */
  int stop;
  wt_task_fn fn;
  void* context;
  size_t tasks;
  atomic_size_t next;
  size_t workers;
  pthread_t threads[WT_MAX_THREADS - 1];
};

static void drain(wt_threadpool* pool) {
  for (;;) {
    const size_t task = atomic_fetch_add_explicit(&pool->next, 1, memory_order_relaxed);
    if (task >= pool->tasks) return;
    pool->fn(pool->context, task);
  }
}

static void* worker_main(void* arg) {
  wt_threadpool* pool = arg;
  size_t seen = 0;
  pthread_mutex_lock(&pool->lock);
  for (;;) {
    while (pool->generation == seen && !pool->stop) pthread_cond_wait(&pool->wake, &pool->lock);
    if (pool->stop) break;
    seen = pool->generation;
    pthread_mutex_unlock(&pool->lock);
    drain(pool);
    pthread_mutex_lock(&pool->lock);
    if (--pool->busy == 0) pthread_cond_signal(&pool->idle);
  }
  pthread_mutex_unlock(&pool->lock);
  return NULL;
}

int wt_threadpool_create(size_t threads, wt_threadpool** out) {
  *out = NULL;
  if (threads == 0 || threads > WT_MAX_THREADS)
    return wt_fail(WT_E_THREADS, "%zu threads requested, this runtime runs 1..%u", threads,
                   WT_MAX_THREADS);
  if (threads == 1) return WT_OK;
  wt_threadpool* pool = calloc(1, sizeof *pool);
  if (pool == NULL) return wt_fail(WT_E_NOMEM, "out of memory for a thread pool");
  pthread_mutex_init(&pool->lock, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pthread_cond_init(&pool->idle, NULL);
  for (; pool->workers < threads - 1; pool->workers++)
    if (pthread_create(&pool->threads[pool->workers], NULL, worker_main, pool) != 0) {
      const size_t started = pool->workers;
      wt_threadpool_destroy(pool);
      return wt_fail(WT_E_THREADS, "could only start %zu of %zu worker threads", started,
                     threads - 1);
    }
  *out = pool;
  return WT_OK;
}

void wt_threadpool_destroy(wt_threadpool* pool) {
  if (pool == NULL) return;
  pthread_mutex_lock(&pool->lock);
  pool->stop = 1;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (size_t i = 0; i < pool->workers; i++) pthread_join(pool->threads[i], NULL);
  pthread_cond_destroy(&pool->idle);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->lock);
  free(pool);
}

void wt_threadpool_run(wt_threadpool* pool, wt_task_fn fn, void* context, size_t tasks) {
  if (pool == NULL || tasks <= 1) {
    for (size_t i = 0; i < tasks; i++) fn(context, i);
    return;
  }
  pthread_mutex_lock(&pool->lock);
  pool->fn = fn;
  pool->context = context;
  pool->tasks = tasks;
  atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
  pool->busy = pool->workers;
  pool->generation++;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  drain(pool);
  pthread_mutex_lock(&pool->lock);
  while (pool->busy != 0) pthread_cond_wait(&pool->idle, &pool->lock);
  pthread_mutex_unlock(&pool->lock);
}

size_t wt_threadpool_threads(const wt_threadpool* pool) {
  return pool != NULL ? pool->workers + 1 : 1;
}

#else /* single-threaded module variant */

int wt_threadpool_create(size_t threads, wt_threadpool** out) {
  *out = NULL;
  if (threads != 1)
    return wt_fail(WT_E_THREADS,
                   "%zu threads requested, but this module variant is single-threaded (load the "
                   "-mt variant for threads)",
                   threads);
  return WT_OK;
}

void wt_threadpool_destroy(wt_threadpool* pool) { (void)pool; }

void wt_threadpool_run(wt_threadpool* pool, wt_task_fn fn, void* context, size_t tasks) {
  (void)pool;
  for (size_t i = 0; i < tasks; i++) fn(context, i);
}

size_t wt_threadpool_threads(const wt_threadpool* pool) {
  (void)pool;
  return 1;
}

#endif
