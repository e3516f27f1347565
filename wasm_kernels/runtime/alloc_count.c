/* Allocation accounting: the C allocation entry points count their calls, then defer to
 * Emscripten's dlmalloc (which defines them weak and exports emscripten_builtin_* for exactly
 * this kind of hook). wt_alloc_count() lets tests prove that wt_forward allocates nothing and
 * lets the JS side report it (getMemoryStats). aligned_alloc reaches posix_memalign; free needs
 * no hook. */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

void* emscripten_builtin_malloc(size_t size);
void* emscripten_builtin_memalign(size_t alignment, size_t size);
void emscripten_builtin_free(void* p);

static atomic_size_t allocations;

static void count(void) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); }

size_t wt_alloc_calls(void) { return atomic_load_explicit(&allocations, memory_order_relaxed); }

void* malloc(size_t size) {
  count();
  return emscripten_builtin_malloc(size);
}

void* calloc(size_t n, size_t size) {
  if (size != 0 && n > (size_t)-1 / size) return NULL;
  count();
  void* p = emscripten_builtin_malloc(n * size);
  if (p != NULL) memset(p, 0, n * size);
  return p;
}

void* realloc(void* p, size_t size) {
  if (p == NULL) return malloc(size);
  if (size == 0) {
    emscripten_builtin_free(p);
    return NULL;
  }
  const size_t old = malloc_usable_size(p);
  if (old >= size) return p;
  count();
  void* q = emscripten_builtin_malloc(size);
  if (q == NULL) return NULL;
  memcpy(q, p, old);
  emscripten_builtin_free(p);
  return q;
}

void* memalign(size_t alignment, size_t size) {
  count();
  return emscripten_builtin_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = memalign(alignment, size);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}
