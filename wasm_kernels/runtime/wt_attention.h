/* Attention and normalisation ops of the plan runtime (op codes 92..93, docs/wtm-format.md):
 * scaled dot-product attention (one op: two GEMMs per batch with the scale, mask and softmax
 * fused per score row) and RMS norm over the trailing elements of each row. ops_attention.c
 * implements them. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wt_model.h"

#define WT_SDPA_ATTR_BYTES 8     /* u32 flags, f32 scale */
#define WT_RMS_NORM_ATTR_BYTES 8 /* u32 row length (the normalized elements), f32 eps */

#define WT_SDPA_FLAG_CAUSAL 1u /* keep score (i, j) only where j <= i (top-left aligned) */

/* Ranks of q, k, v, mask and y (batch dims broadcast like matmul's). */
#define WT_ATTENTION_MAX_RANK 6

/* 1 for an op code of this family. */
int wt_attention_op(uint16_t code);
/* Whether operand `operand` (inputs first, then outputs) of the op may have a dtype other than
 * float32 (the attention mask may be bool). */
int wt_attention_other_dtype(const wt_op* op, uint32_t operand);
/* Shape, dtype and attribute rule (operand counts and ids already checked). Returns a wt_status;
 * on failure writes a one-line reason to detail. */
int wt_attention_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size);
/* Builds the step and reports the scratch bytes it needs (shared by all steps). weights: the
 * model's copy of the plan weights. Returns a wt_status (NOMEM). */
int wt_attention_build(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                       const uint8_t* weights, wt_step* step, size_t threads,
                       size_t* scratch_bytes);
