/* Dtype-aware ops of the plan runtime (op codes 50..69, docs/wtm-format.md): casts between
 * float32, int64 and bool, broadcasting binary ops over any of those dtypes (comparisons, logical
 * and bitwise ops, integer arithmetic, the float ops the f32 kernels lack), where, unary ops on
 * int64/bool, reductions over a run of dims, cumulative sums, top-k and sort. ops_dtype.c
 * implements them. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wt_model.h"

#define WT_ELEMWISE_ATTR_BYTES 4 /* u32 op (wt_elemwise_op) */
#define WT_MAP_ATTR_BYTES 4      /* u32 op (wt_map_op) */
#define WT_REDUCE_ATTR_BYTES 16  /* u32 op (wt_reduce_op), u32 start, u32 end, f32 p */
#define WT_SCAN_ATTR_BYTES 8     /* u32 op (wt_scan_op), u32 dim */
#define WT_TOPK_ATTR_BYTES 8     /* u32 k, u32 flags */
#define WT_TOPK_FLAG_LARGEST 1u  /* the largest first (else the smallest first) */
#define WT_SOFTMAX_DIM_ATTR_BYTES 8 /* u32 dim, u32 flags (WT_SOFTMAX_FLAG_LOG) */

/* ELEMWISE: y = a OP b with NumPy broadcasting (rank <= 6), a and b of one dtype. */
enum wt_elemwise_op {
  WT_EW_ADD = 0, WT_EW_SUB, WT_EW_MUL, WT_EW_DIV, /* DIV: float32 only (true division) */
  WT_EW_FLOOR_DIV, WT_EW_TRUNC_DIV, WT_EW_REMAINDER, WT_EW_FMOD,
  WT_EW_MAX, WT_EW_MIN, WT_EW_POW, WT_EW_ATAN2, WT_EW_HYPOT, /* ATAN2, HYPOT: float32 */
  WT_EW_BITAND, WT_EW_BITOR, WT_EW_BITXOR,                   /* int64, bool */
  WT_EW_EQ, WT_EW_NE, WT_EW_LT, WT_EW_LE, WT_EW_GT, WT_EW_GE, /* -> bool */
  WT_EW_LOGICAL_AND, WT_EW_LOGICAL_OR, WT_EW_LOGICAL_XOR,   /* bool -> bool */
  WT_EW_OP_COUNT
};

/* MAP: y = op(x), same shape. */
enum wt_map_op {
  WT_MAP_NEG = 0, WT_MAP_ABS, WT_MAP_SIGN,  /* int64 */
  WT_MAP_LOGICAL_NOT,                       /* bool -> bool */
  WT_MAP_BITWISE_NOT,                       /* int64, bool */
  WT_MAP_ISNAN, WT_MAP_ISINF, WT_MAP_ISFINITE, /* float32 -> bool */
  /* float32 libm, one element at a time (the rarer math ops; the common ones are f32-vunary) */
  WT_MAP_LOG, WT_MAP_LOG2, WT_MAP_LOG10, WT_MAP_LOG1P, WT_MAP_EXPM1, WT_MAP_SIN, WT_MAP_COS,
  WT_MAP_TAN, WT_MAP_ASIN, WT_MAP_ACOS, WT_MAP_ATAN, WT_MAP_SINH, WT_MAP_COSH, WT_MAP_ASINH,
  WT_MAP_ACOSH, WT_MAP_ATANH, WT_MAP_ERFC, WT_MAP_EXP2, WT_MAP_FRAC, /* FRAC: x - trunc(x) */
  WT_MAP_OP_COUNT
};

/* REDUCE over x's dims [start, end): y has x's shape without them. */
enum wt_reduce_op {
  WT_REDUCE_SUM = 0, WT_REDUCE_MEAN, WT_REDUCE_PROD, WT_REDUCE_MAX, WT_REDUCE_MIN,
  WT_REDUCE_ARGMAX, WT_REDUCE_ARGMIN, /* -> int64, first index of the extreme (NaN wins) */
  WT_REDUCE_VAR, WT_REDUCE_STD,       /* p = correction (Bessel: 1) */
  WT_REDUCE_NORM,                     /* p-norm, p > 0 or +inf */
  WT_REDUCE_LOGSUMEXP,
  WT_REDUCE_ANY, WT_REDUCE_ALL,       /* bool -> bool */
  WT_REDUCE_OP_COUNT
};

/* TOPK over the last dim (float32, int64): the k values that rank first, in rank order, and their
 * int64 positions. Largest first with WT_TOPK_FLAG_LARGEST, else smallest first; NaN counts as the
 * largest value; equal values rank by position (so k = n is a stable sort). */

/* SOFTMAX_DIM: (log_)softmax of float32 over any dim, on [outer, r, inner] with rows of `inner`
 * columns combined by the f32-vbinary and f32-vunary kernels (no transpose); same shape. */

/* SCAN along one dim, same shape. */
enum wt_scan_op { WT_SCAN_CUMSUM = 0, WT_SCAN_CUMPROD, WT_SCAN_OP_COUNT };

/* 1 for an op code of this family. */
int wt_dtype_op(uint16_t code);
/* Dtype, shape and attribute rule (operand counts and ids already checked). Returns a wt_status;
 * on failure writes a one-line reason to detail. */
int wt_dtype_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size);
/* Builds the step and reports the scratch bytes it needs (shared by all steps). weights: the
 * model's copy of the plan weights. Returns a wt_status (NOMEM). */
int wt_dtype_build(const wt_plan* plan, const wt_op* op, uint8_t* arena, const uint8_t* weights,
                   wt_step* step, size_t threads, size_t* scratch_bytes);
