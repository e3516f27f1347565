/* Helpers shared by the plan checks (plan.c and the per-family op checks): one formatter for the
 * failure detail and for shapes, so every message reads the same. */
#pragma once
#include <stddef.h>

#include "wt_plan.h"

/* Formats the detail message into `detail` and returns `status`, so checks can `return wt_check_fail(...)`. */
int wt_check_fail(char* detail, size_t size, int status, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "[2, 3, 4]" */
void wt_shape_text(const wt_value* v, char* buf, size_t size);
int wt_same_shape(const wt_value* a, const wt_value* b);
