/* A persistent thread pool for wt_forward: workers are created once per model (at load) and wait
 * for work; a parallel loop wakes them, the calling thread takes tasks too, and nothing allocates
 * per call. In the single-threaded module variant only 1 thread exists and loops run inline. */
#pragma once
#include <stddef.h>

#define WT_MAX_THREADS 16

typedef struct wt_threadpool wt_threadpool;
typedef void (*wt_task_fn)(void* context, size_t task);

/* threads <= 1 gives *pool = NULL (loops run inline). Returns a wt_status. */
int wt_threadpool_create(size_t threads, wt_threadpool** pool);
void wt_threadpool_destroy(wt_threadpool* pool);
/* Runs fn(context, i) for i in [0, tasks) across the pool; returns when all are done. */
void wt_threadpool_run(wt_threadpool* pool, wt_task_fn fn, void* context, size_t tasks);
size_t wt_threadpool_threads(const wt_threadpool* pool);
