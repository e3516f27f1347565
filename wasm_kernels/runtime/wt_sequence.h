/* Recurrent and sequence ops of the plan runtime (op codes 40..49, 90..91, docs/wtm-format.md):
 * one LSTM, GRU or RNN layer direction (weights packed and biases folded at load, hidden states in scratch), cat
 * along any dim and flip of one dim. ops_sequence.c implements them. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wt_model.h"

#define WT_LSTM_ATTR_BYTES 8 /* u32 flags, u32 state index (layer * directions + direction) */
#define WT_CAT_ATTR_BYTES 4  /* u32 dim */
#define WT_FLIP_ATTR_BYTES 4 /* u32 dim */

#define WT_LSTM_FLAG_BATCH_FIRST 1u /* x, y are [B, T, F] (else [T, B, F]) */
#define WT_LSTM_FLAG_REVERSE 2u     /* runs t = T-1 .. 0 (the reverse direction) */
/* GRU and RNN (op codes 90, 91) take the LSTM's attributes and flags; RNN adds: */
#define WT_RNN_FLAG_RELU 4u         /* nonlinearity relu (else tanh) */

/* 1 for a sequence op code. */
int wt_sequence_op(uint16_t code);
/* Shape and attribute rule (operand counts, ids and dtypes already checked). Returns a wt_status;
 * on failure writes a one-line reason to detail. */
int wt_sequence_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size);
/* Builds the step and reports the scratch bytes it needs (shared by all steps). Weights are read
 * from the plan bytes (packed at load); weights: the model's copy, for run-time constant reads. */
int wt_sequence_build(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                      const uint8_t* weights, wt_step* step, size_t threads,
                      size_t* scratch_bytes);
