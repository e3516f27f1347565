/* Vision ops of the plan runtime (op codes 6..19, docs/wtm-format.md): convolution (general and
 * depthwise, with batch norm folded into the weights at load), standalone batch norm, pooling, the
 * NCHW <-> NHWC layout change and add+clamp. Activations are NHWC. ops_vision.c implements them. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wt_model.h"

/* Attribute bytes per op code (0 for codes that are not vision ops). */
#define WT_CONV2D_ATTR_BYTES 52
#define WT_BATCH_NORM_ATTR_BYTES 12
#define WT_POOL2D_ATTR_BYTES 36
#define WT_LAYOUT_ATTR_BYTES 4
#define WT_ADD_CLAMP_ATTR_BYTES 8

#define WT_CONV2D_FLAG_BIAS 1u
#define WT_CONV2D_FLAG_BN 2u

enum wt_layout_direction { WT_LAYOUT_NCHW_TO_NHWC = 0, WT_LAYOUT_NHWC_TO_NCHW = 1 };

/* 1 for a vision op code. */
int wt_vision_op(uint16_t code);
/* Shape and attribute rule of a vision op (operand counts and ids already checked). Returns a
 * wt_status; on failure writes a one-line reason to detail. */
int wt_vision_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size);
/* Builds the step (packing weights, folding batch norm) and reports the scratch bytes it needs
 * with `threads` threads (shared by all steps; step->scratch is set after every step is built).
 * weights: the model's copy of the plan weights, for run-time constant reads. Returns a wt_status (NOMEM). */
int wt_vision_build(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                    const uint8_t* weights, wt_step* step, size_t threads, size_t* scratch_bytes);
