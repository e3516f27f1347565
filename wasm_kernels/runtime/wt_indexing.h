/* Indexing ops of the plan runtime (op codes 94..96, docs/wtm-format.md): advanced indexing with
 * int64 index tensors over a run of adjacent dims (gather rows: x[:, idx0, idx1]; any dtype), its
 * write form (index_put, with accumulate; float32) and gather along one dim (any dtype). Indices
 * come from the caller or from earlier ops, so each forward checks them before any element is read
 * or written (negative ones wrap for INDEX and INDEX_PUT, not for GATHER, as torch): an index out
 * of range fails with WT_E_INPUT, never an out-of-bounds access. ops_indexing.c implements them. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wt_model.h"

#define WT_INDEX_ATTR_BYTES 4     /* u32 first: the first indexed dim of x */
#define WT_INDEX_PUT_ATTR_BYTES 8 /* u32 first, u32 accumulate (0 or 1) */
#define WT_GATHER_ATTR_BYTES 4    /* u32 dim */

/* Ranks of every operand. */
#define WT_INDEXING_MAX_RANK 6

/* 1 for an op code of this family. */
int wt_indexing_op(uint16_t code);
/* 1 when wt_indexing_check checks every operand's dtype (ops of this family). */
int wt_indexing_own_dtypes(const wt_op* op);
/* Shape, dtype and attribute rule (operand counts and ids already checked). Returns a wt_status;
 * on failure writes a one-line reason to detail. */
int wt_indexing_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size);
/* Builds the step and reports the scratch bytes it needs (shared by all steps). weights: the
 * model's copy of the plan weights. Returns a wt_status (NOMEM). */
int wt_indexing_build(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                      const uint8_t* weights, wt_step* step, size_t* scratch_bytes);
