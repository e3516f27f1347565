/* Sequence/transformer ops of the plan runtime (op codes 20..39, docs/wtm-format.md): embedding
 * gather with run-time id checks, broadcasting binary ops, unary activations, layer norm and
 * softmax over the last dim, batched matmul of two activations, and strided copies (transpose,
 * slice, expand). ops_transformer.c implements them. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wt_model.h"

/* Attribute bytes per op code. */
#define WT_BINARY_ATTR_BYTES 12     /* u32 op (wt_vbinary_op), u32 flags, f32 scalar */
#define WT_UNARY_ATTR_BYTES 12      /* u32 op (wt_vunary_op), f32 p0, f32 p1 */
#define WT_LAYER_NORM_ATTR_BYTES 8  /* u32 flags, f32 eps */
#define WT_SOFTMAX_ATTR_BYTES 4     /* u32 flags */
#define WT_MATMUL_ATTR_BYTES 4      /* u32 flags */
#define WT_TRANSPOSE_ATTR_BYTES 32  /* u32 perm[8] */
#define WT_SLICE_ATTR_BYTES 12      /* u32 dim, u32 start, u32 step */

#define WT_BINARY_FLAG_REVERSED 1u  /* one input: y = scalar OP a */
#define WT_LAYER_NORM_FLAG_GAMMA 1u
#define WT_LAYER_NORM_FLAG_BETA 2u
#define WT_SOFTMAX_FLAG_LOG 1u
#define WT_MATMUL_FLAG_B_NK 1u      /* b stored [..., N, K] (a transposed view folded in) */

/* Strided copies and broadcasting handle up to this many dimensions. */
#define WT_TRANSFORMER_MAX_RANK 6

/* 1 for a transformer op code. */
int wt_transformer_op(uint16_t code);
/* Whether operand `operand` (inputs first, then outputs) of the op may be other than float32:
 * embedding ids (int64), and the strided copies (transpose, slice, expand) of any dtype, whose
 * rules check that input and output dtypes match. */
int wt_transformer_other_dtype(const wt_op* op, uint32_t operand);
/* Shape and attribute rule (operand counts, ids and dtypes already checked). Returns a wt_status;
 * on failure writes a one-line reason to detail. */
int wt_transformer_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size);
/* Builds the step and reports the scratch bytes it needs (shared by all steps). weights: the
 * model's copy of the plan weights. Returns a wt_status (NOMEM). */
int wt_transformer_build(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                         const uint8_t* weights, wt_step* step, size_t threads,
                         size_t* scratch_bytes);
