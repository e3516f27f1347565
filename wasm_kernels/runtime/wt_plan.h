/* The .wtm plan format (docs/wtm-format.md is the spec; py/wasm_torch/plan.py the writer) and the
 * parsed plan. wt_plan_parse validates EVERYTHING before anything is used: framing, checksum,
 * every value's bounds, every op's code, operand count, operand kinds and shapes (recomputed
 * here and compared), so later code may index without checks. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define WT_PLAN_MAGIC "\x89WTM\r\n\x1a\n"
#define WT_PLAN_VERSION_MAJOR 1
#define WT_PLAN_VERSION_MINOR 6
#define WT_PLAN_ENVELOPE_BYTES 64
#define WT_PLAN_HEADER_BYTES 64
#define WT_PLAN_VALUE_BYTES 56
#define WT_PLAN_IO_BYTES 12
#define WT_PLAN_OP_HEADER_BYTES 16
#define WT_PLAN_ALIGN 64

/* Bounds a valid plan stays within (a wasm32 module cannot address more anyway). */
#define WT_MAX_RANK 8
#define WT_MAX_OPERANDS 8
#define WT_MAX_DIM 0x7fffffffu
#define WT_MAX_VALUES (1u << 20)
#define WT_MAX_OPS (1u << 20)
#define WT_MAX_IO 1024u
#define WT_MAX_TENSOR_BYTES (1u << 30)
#define WT_MAX_ARENA_BYTES (1u << 30)
#define WT_MAX_PACKED_BYTES (1u << 30)
#define WT_MAX_FILE_BYTES 0x7fffffffu

enum wt_dtype {
  WT_DTYPE_F32 = 1,
  WT_DTYPE_I64 = 2,  /* since 1.1: embedding ids */
  WT_DTYPE_BOOL = 3, /* since 1.4: one byte, 0 or 1 */
  /* since 1.4, for casts, copies and model inputs/outputs only: */
  WT_DTYPE_I32 = 4,
  WT_DTYPE_U8 = 5,
  WT_DTYPE_F64 = 6,
  WT_DTYPE_F16 = 7, /* IEEE binary16 bits */
};
enum wt_space { WT_SPACE_ARENA = 0, WT_SPACE_WEIGHTS = 1 };

enum wt_opcode {
  WT_OP_GEMM = 1,    /* y = clamp(x . W^T + bias): in (x, w[, bias]), attrs (flags, min, max) */
  WT_OP_CLAMP = 2,   /* y = clamp(x, min, max): in (x), attrs (min, max) */
  WT_OP_ADD = 3,     /* y = a + b, same shapes */
  WT_OP_RESHAPE = 4, /* y aliases x's bytes (zero-copy): no work at run time */
  WT_OP_COPY = 5,    /* y = x (a constant returned as an output) */
  /* 6..19: vision ops (ops_vision.c, wt_vision.h); activations NHWC */
  WT_OP_CONV2D = 6,        /* in (x, w[, bias][, gamma, beta, mean, var]); BN folded at load */
  WT_OP_BATCH_NORM = 7,    /* in (x, gamma, beta, mean, var): per-channel (last dim) scale/shift */
  WT_OP_MAX_POOL2D = 8,    /* x [N, H, W, C] */
  WT_OP_AVG_POOL2D = 9,    /* x [N, H, W, C] */
  WT_OP_ADAPTIVE_AVG_POOL2D = 10, /* x [N, H, W, C] -> y [N, OH, OW, C] */
  WT_OP_LAYOUT = 11,       /* 4-d transpose NCHW <-> NHWC */
  WT_OP_ADD_CLAMP = 12,    /* y = clamp(a + b, min, max), same shapes */
  /* 20..39: sequence/transformer ops (ops_transformer.c, wt_transformer.h) */
  WT_OP_EMBEDDING = 20,  /* y[..., :] = table[ids[...], :]: in (table f32 [V, D], ids int64) */
  WT_OP_BINARY = 21,     /* y = a OP b broadcast, or a OP scalar: attrs (op, flags, scalar) */
  WT_OP_UNARY = 22,      /* y = op(x): attrs (wt_vunary_op, p0, p1) */
  WT_OP_LAYER_NORM = 23, /* over the last dim: in (x[, gamma][, beta]), attrs (flags, eps) */
  WT_OP_SOFTMAX = 24,    /* (log_)softmax over the last dim: attrs (flags) */
  WT_OP_MATMUL = 25,     /* batched y = a @ b, b an activation: attrs (flags) */
  WT_OP_TRANSPOSE = 26,  /* y = x.permute(perm): attrs (perm[8]) */
  WT_OP_SLICE = 27,      /* y = x.narrow(dim, start, len) with a step: attrs (dim, start, step) */
  WT_OP_EXPAND = 28,     /* y = x broadcast to y's shape */
  /* 40..49: recurrent/sequence ops (ops_sequence.c, wt_sequence.h) */
  WT_OP_LSTM = 40, /* one layer direction: in (x, w_ih, w_hh, b_ih, b_hh, h0, c0), out (y, h_n, c_n) */
  WT_OP_CAT = 41,  /* y = cat(inputs, dim): attrs (dim) */
  WT_OP_FLIP = 42, /* y = x.flip(dim): attrs (dim) */
  /* 50..69: dtype-aware elementwise ops and reductions (since 1.4; ops_dtype.c, wt_dtype_ops.h) */
  WT_OP_CAST = 50,     /* y = x converted to y's dtype (float32, int64, bool) */
  WT_OP_ELEMWISE = 51, /* y = a OP b broadcast, any dtype: attrs (wt_elemwise_op) */
  WT_OP_WHERE = 52,    /* y = cond ? a : b broadcast: in (cond bool, a, b) */
  WT_OP_MAP = 53,      /* y = op(x) on int64/bool, float32 tests: attrs (wt_map_op) */
  WT_OP_REDUCE = 54,   /* y = reduce x over dims [start, end): attrs (op, start, end, p) */
  WT_OP_SCAN = 55,     /* cumulative sum/product along a dim: attrs (op, dim) */
  WT_OP_TOPK = 56,     /* since 1.6: k best of the last dim, sorted: out (values, int64 indices), attrs (k, flags) */
  WT_OP_SOFTMAX_DIM = 57, /* since 1.6: (log_)softmax over any dim: attrs (dim, flags) */
  /* 70..89: more vision ops (since 1.5; ops_vision.c, wt_vision.h) */
  WT_OP_CONV_TRANSPOSE2D = 70,    /* in (x NHWC, w [IC, OC/groups, KH, KW][, bias]) */
  WT_OP_PAD = 71,                 /* any layout: attrs (mode, value, before/after per dim [16]) */
  WT_OP_MAX_POOL2D_INDICES = 72,  /* out (y NHWC, indices int64 NCHW) */
  WT_OP_ADAPTIVE_MAX_POOL2D = 73, /* x [N, H, W, C] -> y [N, OH, OW, C] */
  WT_OP_UPSAMPLE2D = 74,          /* NHWC nearest/bilinear: attrs (flags, 1/scale h, w) */
  WT_OP_GROUP_NORM = 75,          /* NCHW [N, C, *]: in (x[, gamma][, beta]), attrs (flags, groups, eps) */
  /* 90..109: recurrent, attention and indexing ops (ops_sequence.c, ...) */
  WT_OP_GRU = 90, /* one layer direction: in (x, w_ih, w_hh, b_ih, b_hh, h0), out (y, h_n) */
  WT_OP_RNN = 91, /* as GRU; attrs flag WT_RNN_FLAG_RELU picks relu over tanh */
  WT_OP_SDPA = 92,     /* in (q, k, v[, mask]): attrs (flags, scale); ops_attention.c */
  WT_OP_RMS_NORM = 93, /* in (x[, gamma]): attrs (row length, eps) */
  WT_OP_INDEX = 94,     /* in (x, idx int64...): attrs (first indexed dim); ops_indexing.c */
  WT_OP_INDEX_PUT = 95, /* in (x, values, idx int64...): attrs (first, accumulate) */
  WT_OP_GATHER = 96,    /* in (x, index int64): attrs (dim) */
  WT_OP_COUNT = 110,
};

#define WT_GEMM_FLAG_KN 1u /* weight stored [K, N] (matmul's other) instead of [N, K] (Linear) */

/* Status codes: the C ABI of wt_model_load / wt_forward (docs/wtm-format.md lists them). */
enum wt_status {
  WT_OK = 0,
  WT_E_TRUNCATED = 1, /* the bytes end before a structure they declare */
  WT_E_MAGIC = 2,     /* not a .wtm plan */
  WT_E_VERSION = 3,   /* a plan major version this runtime does not read */
  WT_E_CHECKSUM = 4,  /* the payload's SHA-256 does not match */
  WT_E_LAYOUT = 5,    /* header, section or record framing inconsistent, reserved bytes set */
  WT_E_VALUE = 6,     /* a value entry: dtype, space, rank, size, offset out of range */
  WT_E_OPCODE = 7,    /* an op code this runtime does not know */
  WT_E_OPERANDS = 8,  /* wrong operand count/kind, use before definition, overlap, aliasing */
  WT_E_SHAPE = 9,     /* shapes inconsistent with the op */
  WT_E_LIMIT = 10,    /* a count or size above the runtime's bounds */
  WT_E_IO = 11,       /* the model's inputs/outputs table */
  WT_E_NOMEM = 12,    /* allocation failed at load */
  WT_E_THREADS = 13,  /* thread count unavailable in this module variant */
  WT_E_ARG = 14,      /* a bad argument to an exported call (NULL model, index out of range) */
  WT_E_INPUT = 15,    /* forward: an input value out of range (an embedding id) */
};

typedef struct wt_value {
  uint8_t dtype;
  uint8_t space;
  uint8_t rank;
  uint32_t offset;
  uint32_t nbytes;
  uint32_t dims[WT_MAX_RANK];
  const char* name;
  uint32_t name_len;
} wt_value;

typedef struct wt_op {
  uint16_t code;
  uint8_t n_in;
  uint8_t n_out;
  uint32_t in[WT_MAX_OPERANDS];
  uint32_t out[WT_MAX_OPERANDS];
  const uint8_t* attrs;
  const char* label;
  uint32_t label_len;
} wt_op;

typedef struct wt_io {
  uint32_t value;
  const char* name;
  uint32_t name_len;
} wt_io;

/* Pointers into the plan bytes stay valid only while those bytes do (i.e. during load). */
typedef struct wt_plan {
  uint16_t version_minor;
  uint32_t n_values, n_ops, n_inputs, n_outputs;
  uint32_t arena_bytes;
  wt_value* values;
  wt_op* ops;
  wt_io* io; /* n_inputs inputs, then n_outputs outputs */
  const uint8_t* weights;
  uint32_t weights_bytes;
} wt_plan;

/* Parses and validates; on failure returns a wt_status and sets the error message
 * (wt_error_message), leaving *plan empty. wt_plan_release frees the tables either way. */
int wt_plan_parse(const uint8_t* bytes, size_t len, wt_plan* plan);
void wt_plan_release(wt_plan* plan);
/* "gemm", "conv2d", ...: the lower-case name of an op code, NULL when unknown. */
const char* wt_plan_op_name(uint32_t code);

/* Bytes per element of a wt_dtype, 0 for an unknown one. */
uint32_t wt_dtype_size(uint8_t dtype);

/* Attribute readers (little-endian; attrs were bounds-checked by the parser). */
uint32_t wt_plan_u32(const uint8_t* p);
float wt_plan_f32(const uint8_t* p);

/* The error of the last failed call, as code + one-line message. */
int wt_fail(int code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
int wt_error_code(void);
const char* wt_error_message(void);
void wt_error_clear(void);
