#include <stdarg.h>
#include <stdio.h>

#include "wt_check.h"

int wt_check_fail(char* detail, size_t size, int status, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, size, fmt, ap);
  va_end(ap);
  return status;
}

void wt_shape_text(const wt_value* v, char* buf, size_t size) {
  size_t pos = (size_t)snprintf(buf, size, "[");
  for (uint32_t d = 0; d < v->rank && pos < size; d++)
    pos += (size_t)snprintf(buf + pos, size - pos, d ? ", %u" : "%u", v->dims[d]);
  if (pos < size) snprintf(buf + pos, size - pos, "]");
}

int wt_same_shape(const wt_value* a, const wt_value* b) {
  if (a->rank != b->rank) return 0;
  for (uint32_t d = 0; d < a->rank; d++)
    if (a->dims[d] != b->dims[d]) return 0;
  return 1;
}
