/* Vision ops of the plan runtime (op codes 6..19 and 70..89, docs/wtm-format.md): convolution
 * (general and depthwise, with batch norm folded into the weights at load) and its transpose,
 * standalone batch norm, pooling (with indices, adaptive max), the NCHW <-> NHWC layout change,
 * add+clamp, pads, upsampling and group norm. Activations are NHWC (group norm: NCHW; pads: any).
 * ops_vision.c implements them. */
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
#define WT_CONV_TRANSPOSE2D_ATTR_BYTES 56
#define WT_PAD_ATTR_BYTES 72
#define WT_UPSAMPLE2D_ATTR_BYTES 12
#define WT_GROUP_NORM_ATTR_BYTES 12

#define WT_CONV2D_FLAG_BIAS 1u
#define WT_CONV2D_FLAG_BN 2u

enum wt_layout_direction { WT_LAYOUT_NCHW_TO_NHWC = 0, WT_LAYOUT_NHWC_TO_NCHW = 1 };
enum wt_pad_mode { WT_PAD_CONSTANT = 0, WT_PAD_REFLECT = 1, WT_PAD_REPLICATE = 2, WT_PAD_CIRCULAR = 3 };
/* upsample2d flags: WT_RESIZE_* of include/wt_resize.h */
#define WT_GROUP_NORM_FLAG_WEIGHT 1u
#define WT_GROUP_NORM_FLAG_BIAS 2u
#define WT_GROUP_NORM_FLAG_NHWC 4u /* channels last: x [N, ..., C] */

/* 1 for a vision op code. */
int wt_vision_op(uint16_t code);
/* 1 when operand j (inputs, then outputs) of a vision op is not float32 (the pool indices). */
int wt_vision_int64_operand(const wt_op* op, uint32_t operand);
/* Shape and attribute rule of a vision op (operand counts and ids already checked). Returns a
 * wt_status; on failure writes a one-line reason to detail. */
int wt_vision_check(const wt_plan* plan, const wt_op* op, char* detail, size_t size);
/* Builds the step (packing weights, folding batch norm) and reports the scratch bytes it needs
 * with `threads` threads (shared by all steps; step->scratch is set after every step is built).
 * weights: the model's copy of the plan weights, for run-time constant reads. Returns a wt_status (NOMEM). */
int wt_vision_build(const wt_plan* plan, const wt_op* op, uint8_t* arena,
                    const uint8_t* weights, wt_step* step, size_t threads, size_t* scratch_bytes);
