/* Elementwise and row-wise normalisation kernels: f32-vunary, f32-vbinary-bcast, f32-vcmp,
 * f32-softmax, f32-layernorm. Names follow XNNPACK: <datatype>-<op>-<isa>-<tile>. Every family has
 * a scalar twin (the test oracle; transcendental ops call libm there) and a wasmsimd variant; which
 * micro-kernel runs is data (the config tables below), indexed by the variant.
 *
 * Conventions shared by every micro-kernel here:
 *   - sizes are in ELEMENTS (as the f32-vbinary vadd kernels, unlike the gemm kernels' bytes);
 *   - n == 0 is allowed and does nothing;
 *   - nothing outside x[0..n) is read and nothing outside y[0..n) is written (tails go through a
 *     4-float stack buffer, never a wide out-of-bounds load);
 *   - y may equal x (in place); other overlaps are not allowed;
 *   - no allocation.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* 0 = scalar twin (reference), 1 = wasmsimd (production). */
enum wt_elementwise_variant {
  WT_ELEMENTWISE_SCALAR = 0,
  WT_ELEMENTWISE_WASMSIMD = 1,
  WT_ELEMENTWISE_VARIANT_COUNT = 2,
};

/* ---- f32-vunary: y[i] = op(x[i]) ------------------------------------------------------------
 *
 * Semantics follow torch's CPU kernels (float32):
 *   RELU         max(x, 0)                        (NaN -> NaN, relu(-0) = +0)
 *   CLAMP        min(max(x, lo), hi), NaN -> NaN  (relu6 = clamp(0, 6), hardtanh = clamp(-1, 1))
 *   LEAKY_RELU   x > 0 ? x : x * slope
 *   SIGMOID      1 / (1 + exp(-x))
 *   TANH         tanh(x)
 *   SILU         x / (1 + exp(-x))                (silu(-inf) = NaN, as torch)
 *   GELU         x * 0.5 * (1 + erf(x / sqrt(2)))  (gelu(-inf) = NaN, as torch)
 *   GELU_TANH    0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
 *   HARDSWISH    x * min(max(x + 3, 0), 6) / 6
 *   HARDSIGMOID  min(max(x + 3, 0), 6) / 6
 *   ELU          x > 0 ? scale * x : alpha * scale * expm1(input_scale * x)
 *                (elu: scale = input_scale = 1; selu: torch's constants; celu: input_scale =
 *                1/alpha; input_scale must be > 0)
 *   SOFTPLUS     beta * x > threshold ? x : log1p(exp(beta * x)) / beta
 *   EXP, ABS, NEG, SQRT, RSQRT (= 1 / sqrt(x))
 *   FLOOR, CEIL, TRUNC, ROUND (half to even, as torch.round), SQUARE
 *   SIGN         1 / -1, +0 for zeros and NaN (as torch.sign)
 *   ERF          erf(x)
 *   MISH         x * tanh(softplus(x))
 *   LOG_SIGMOID  min(x, 0) - log1p(exp(-|x|))
 *
 * The wasmsimd kernels of RELU, CLAMP, LEAKY_RELU, HARDSWISH, HARDSIGMOID, ABS, NEG, SQRT and
 * RSQRT, FLOOR, CEIL, TRUNC, ROUND, SIGN and SQUARE are bit-identical to their scalar twins. The
 * transcendental ones (SIGMOID, TANH, SILU, GELU, GELU_TANH, ELU, SOFTPLUS, EXP, ERF, MISH,
 * LOG_SIGMOID) use range-reduced polynomial / rational approximations
 * (f32-vunary/f32-vmath-wasmsimd.c.inc) accurate to a few float32 ulp; their scalar twins call
 * libm (expf, expm1f, tanhf, erff, log1pf), so the two agree to a tolerance, not bit for bit. */
enum wt_vunary_op {
  WT_VUNARY_RELU = 0,
  WT_VUNARY_CLAMP = 1,
  WT_VUNARY_LEAKY_RELU = 2,
  WT_VUNARY_SIGMOID = 3,
  WT_VUNARY_TANH = 4,
  WT_VUNARY_SILU = 5,
  WT_VUNARY_GELU = 6,
  WT_VUNARY_GELU_TANH = 7,
  WT_VUNARY_HARDSWISH = 8,
  WT_VUNARY_HARDSIGMOID = 9,
  WT_VUNARY_ELU = 10,
  WT_VUNARY_SOFTPLUS = 11,
  WT_VUNARY_EXP = 12,
  WT_VUNARY_ABS = 13,
  WT_VUNARY_NEG = 14,
  WT_VUNARY_SQRT = 15,
  WT_VUNARY_RSQRT = 16,
  WT_VUNARY_FLOOR = 17,
  WT_VUNARY_CEIL = 18,
  WT_VUNARY_TRUNC = 19,
  WT_VUNARY_ROUND = 20,
  WT_VUNARY_SIGN = 21,
  WT_VUNARY_SQUARE = 22,
  WT_VUNARY_ERF = 23,
  WT_VUNARY_MISH = 24,
  WT_VUNARY_LOG_SIGMOID = 25,
  WT_VUNARY_OP_COUNT = 26,
};

/* Operator attributes; each op reads only its own member. */
typedef union wt_f32_vunary_params {
  struct {
    float min;
    float max;
  } clamp;
  struct {
    float slope;
  } leaky_relu;
  struct {
    float alpha;
    float scale;
    float input_scale;
  } elu;
  struct {
    float beta;
    float threshold;
  } softplus;
} wt_f32_vunary_params;

typedef void (*wt_f32_vunary_ukernel_fn)(size_t n, const float* x, float* y,
                                         const wt_f32_vunary_params* params);

#define WT_DECLARE_VUNARY(op, tile)                                                    \
  void wt_f32_##op##_ukernel__scalar_##tile(size_t n, const float* x, float* y,        \
                                            const wt_f32_vunary_params* params);       \
  void wt_f32_##op##_ukernel__wasmsimd_x8(size_t n, const float* x, float* y,          \
                                          const wt_f32_vunary_params* params);
WT_DECLARE_VUNARY(vrelu, x4)
WT_DECLARE_VUNARY(vclamp, x4)
WT_DECLARE_VUNARY(vlrelu, x4)
WT_DECLARE_VUNARY(vsigmoid, x1)
WT_DECLARE_VUNARY(vtanh, x1)
WT_DECLARE_VUNARY(vsilu, x1)
WT_DECLARE_VUNARY(vgelu, x1)
WT_DECLARE_VUNARY(vgelutanh, x1)
WT_DECLARE_VUNARY(vhswish, x4)
WT_DECLARE_VUNARY(vhsigmoid, x4)
WT_DECLARE_VUNARY(velu, x1)
WT_DECLARE_VUNARY(vsoftplus, x1)
WT_DECLARE_VUNARY(vexp, x1)
WT_DECLARE_VUNARY(vabs, x4)
WT_DECLARE_VUNARY(vneg, x4)
WT_DECLARE_VUNARY(vsqrt, x4)
WT_DECLARE_VUNARY(vrsqrt, x4)
WT_DECLARE_VUNARY(vfloor, x4)
WT_DECLARE_VUNARY(vceil, x4)
WT_DECLARE_VUNARY(vtrunc, x4)
WT_DECLARE_VUNARY(vround, x4)
WT_DECLARE_VUNARY(vsign, x4)
WT_DECLARE_VUNARY(vsqr, x4)
WT_DECLARE_VUNARY(verf, x1)
WT_DECLARE_VUNARY(vmish, x1)
WT_DECLARE_VUNARY(vlogsigmoid, x1)
#undef WT_DECLARE_VUNARY

typedef struct wt_vunary_config {
  wt_f32_vunary_ukernel_fn ukernel[WT_VUNARY_OP_COUNT];
  const char* name;
} wt_vunary_config;

/* NULL for an unknown variant. */
const wt_vunary_config* wt_f32_vunary_config(int variant);

/* ---- f32-vbinary-bcast: y = clamp(a OP b, min, max) with NumPy/torch broadcasting -----------
 *
 * Contiguous micro-kernels (n elements; min/max = -inf/+inf for no clamp; the clamp is
 * v < min ? min : v, then max < v ? max : v, so NaN passes through as torch.clamp):
 *   v<op>    y[i] = a[i] OP b[i]
 *   v<op>c   y[i] = a[i] OP b[0]       (b is one scalar)
 *   vr<op>c  y[i] = b[0] OP a[i]       (reversed, for the non-commutative sub and div)
 * ADD/SUB/MUL/DIV are IEEE; MAX/MIN propagate NaN as torch.maximum/minimum (wasm f32.max/min:
 * NaN if either is NaN, and -0 < +0). All variants are bit-identical to the scalar twin. */
enum wt_vbinary_op {
  WT_VBINARY_ADD = 0,
  WT_VBINARY_SUB = 1,
  WT_VBINARY_MUL = 2,
  WT_VBINARY_DIV = 3,
  WT_VBINARY_MAX = 4,
  WT_VBINARY_MIN = 5,
  WT_VBINARY_OP_COUNT = 6,
};

typedef struct wt_f32_vbinary_minmax_params {
  float min;
  float max;
} wt_f32_vbinary_minmax_params;

typedef void (*wt_f32_vbinary_ukernel_fn)(size_t n, const float* a, const float* b, float* y,
                                          const wt_f32_vbinary_minmax_params* params);

#define WT_DECLARE_VBINARY(op)                                                                  \
  void wt_f32_##op##_minmax_ukernel__scalar_x4(size_t n, const float* a, const float* b,        \
                                               float* y,                                       \
                                               const wt_f32_vbinary_minmax_params* params);    \
  void wt_f32_##op##_minmax_ukernel__wasmsimd_x8(size_t n, const float* a, const float* b,      \
                                                 float* y,                                     \
                                                 const wt_f32_vbinary_minmax_params* params);
WT_DECLARE_VBINARY(vadd)
WT_DECLARE_VBINARY(vaddc)
WT_DECLARE_VBINARY(vsub)
WT_DECLARE_VBINARY(vsubc)
WT_DECLARE_VBINARY(vrsubc)
WT_DECLARE_VBINARY(vmul)
WT_DECLARE_VBINARY(vmulc)
WT_DECLARE_VBINARY(vdiv)
WT_DECLARE_VBINARY(vdivc)
WT_DECLARE_VBINARY(vrdivc)
WT_DECLARE_VBINARY(vmax)
WT_DECLARE_VBINARY(vmaxc)
WT_DECLARE_VBINARY(vmin)
WT_DECLARE_VBINARY(vminc)
#undef WT_DECLARE_VBINARY

/* op[k]: both vectors; opc[k]: b scalar; ropc[k]: a scalar (y = a[0] OP b[i], called as
 * ropc(n, b, a, y)). For commutative ops ropc == opc. */
typedef struct wt_vbinary_config {
  wt_f32_vbinary_ukernel_fn op[WT_VBINARY_OP_COUNT];
  wt_f32_vbinary_ukernel_fn opc[WT_VBINARY_OP_COUNT];
  wt_f32_vbinary_ukernel_fn ropc[WT_VBINARY_OP_COUNT];
  const char* name;
} wt_vbinary_config;

const wt_vbinary_config* wt_f32_vbinary_config(int variant);

#define WT_VBINARY_MAX_RANK 6

enum wt_vbinary_status {
  WT_VBINARY_OK = 0,
  WT_VBINARY_BAD_ARGUMENT = -1,  /* unknown op, rank > WT_VBINARY_MAX_RANK */
  WT_VBINARY_BAD_SHAPES = -2,    /* shapes do not broadcast */
};

/* Broadcasting driver. a has rank a_rank and shape a_shape[0..a_rank), b likewise (rank 0 = a
 * scalar); both are dense row-major. y is dense row-major with the broadcast shape (rank
 * max(a_rank, b_rank), shapes aligned at the last dimension, each dimension equal or 1). Dims of
 * size 1 are dropped and adjacent dims with the same broadcast pattern merged, so the innermost
 * contiguous run goes to one micro-kernel call (v<op> if neither operand broadcasts along it,
 * v<op>c / vr<op>c if one does) and at most 5 outer loops walk the rest. y may alias a or b only
 * if that operand already has the output's shape. No allocation. */
int wt_f32_vbinary_bcast(const wt_vbinary_config* config, int op, size_t a_rank,
                         const size_t* a_shape, size_t b_rank, const size_t* b_shape,
                         const float* a, const float* b, float* y, float min, float max);

/* ---- f32-vcmp: comparisons to 0/1 bytes, and the 32-bit select --------------------------------
 *
 *   vcmp<op>   y[i] = a[i] OP b[i]      vcmp<op>c  y[i] = a[i] OP b[0]
 * (b[0] OP a[i] is the mirrored op: lt <-> gt, le <-> ge.) IEEE: a comparison with NaN is false
 * except NE. y holds 1 or 0. The wasmsimd kernels are bit-identical to their scalar twins.
 *   x32-vselect  y[i] = c[i * sc] ? a[i * sa] : b[i * sb], 32-bit elements (float32 or int32
 *                bits), strides 0 (a broadcast value) or 1; c is bytes, any non-zero is true. */
enum wt_vcmp_op {
  WT_VCMP_EQ = 0,
  WT_VCMP_NE = 1,
  WT_VCMP_LT = 2,
  WT_VCMP_LE = 3,
  WT_VCMP_GT = 4,
  WT_VCMP_GE = 5,
  WT_VCMP_OP_COUNT = 6,
};

typedef void (*wt_f32_vcmp_ukernel_fn)(size_t n, const float* a, const float* b, uint8_t* y);
typedef void (*wt_x32_vselect_ukernel_fn)(size_t n, const uint8_t* c, size_t sc, const uint32_t* a,
                                          size_t sa, const uint32_t* b, size_t sb, uint32_t* y);

#define WT_DECLARE_VCMP(op)                                                                     \
  void wt_f32_##op##_ukernel__scalar_x4(size_t n, const float* a, const float* b, uint8_t* y);  \
  void wt_f32_##op##_ukernel__wasmsimd_x8(size_t n, const float* a, const float* b, uint8_t* y);
WT_DECLARE_VCMP(vcmpeq)
WT_DECLARE_VCMP(vcmpeqc)
WT_DECLARE_VCMP(vcmpne)
WT_DECLARE_VCMP(vcmpnec)
WT_DECLARE_VCMP(vcmplt)
WT_DECLARE_VCMP(vcmpltc)
WT_DECLARE_VCMP(vcmple)
WT_DECLARE_VCMP(vcmplec)
WT_DECLARE_VCMP(vcmpgt)
WT_DECLARE_VCMP(vcmpgtc)
WT_DECLARE_VCMP(vcmpge)
WT_DECLARE_VCMP(vcmpgec)
#undef WT_DECLARE_VCMP
void wt_x32_vselect_ukernel__scalar_x1(size_t n, const uint8_t* c, size_t sc, const uint32_t* a,
                                       size_t sa, const uint32_t* b, size_t sb, uint32_t* y);
void wt_x32_vselect_ukernel__wasmsimd_x4(size_t n, const uint8_t* c, size_t sc, const uint32_t* a,
                                         size_t sa, const uint32_t* b, size_t sb, uint32_t* y);

typedef struct wt_vcmp_config {
  wt_f32_vcmp_ukernel_fn op[WT_VCMP_OP_COUNT];
  wt_f32_vcmp_ukernel_fn opc[WT_VCMP_OP_COUNT];
  wt_x32_vselect_ukernel_fn select;
  const char* name;
} wt_vcmp_config;

const wt_vcmp_config* wt_f32_vcmp_config(int variant);

/* ---- f32-softmax: softmax / log_softmax along the last dimension of [rows, n] ---------------
 *
 * Per row: m = max(x) (NaN-propagating), then e[i] = exp(x[i] - m) and s = sum(e) in one pass,
 * then softmax y = e * (1/s); log_softmax y = (x - m) - log(s). A row holding NaN or +inf, and
 * an all -inf row, gives NaN (as torch). The row micro-kernels: */
void wt_f32_rmax_ukernel__scalar_x4(size_t n, const float* x, float* max);
void wt_f32_rmax_ukernel__wasmsimd_x16(size_t n, const float* x, float* max);
/* y[i] = exp(x[i] - *max); *sum = sum of y. */
void wt_f32_raddstoreexpminusmax_ukernel__scalar_x1(size_t n, const float* x, const float* max,
                                                    float* y, float* sum);
void wt_f32_raddstoreexpminusmax_ukernel__wasmsimd_x8(size_t n, const float* x, const float* max,
                                                      float* y, float* sum);
/* *sum = sum of exp(x[i] - *max) (no store: log_softmax in place). */
void wt_f32_raddexpminusmax_ukernel__scalar_x1(size_t n, const float* x, const float* max,
                                               float* sum);
void wt_f32_raddexpminusmax_ukernel__wasmsimd_x8(size_t n, const float* x, const float* max,
                                                 float* sum);
/* y[i] = (x[i] - c[0]) - c[1]. */
void wt_f32_vsubc2_ukernel__scalar_x4(size_t n, const float* x, const float* c, float* y);
void wt_f32_vsubc2_ukernel__wasmsimd_x8(size_t n, const float* x, const float* c, float* y);

typedef struct wt_softmax_config {
  void (*rmax)(size_t n, const float* x, float* max);
  void (*raddstoreexpminusmax)(size_t n, const float* x, const float* max, float* y, float* sum);
  void (*raddexpminusmax)(size_t n, const float* x, const float* max, float* sum);
  wt_f32_vbinary_ukernel_fn vmulc;
  void (*vsubc2)(size_t n, const float* x, const float* c, float* y);
  const char* name;
} wt_softmax_config;

const wt_softmax_config* wt_f32_softmax_config(int variant);

/* Strides in elements between rows. y may equal x (same stride). */
void wt_f32_softmax(const wt_softmax_config* config, size_t rows, size_t n, const float* x,
                    size_t x_stride, float* y, size_t y_stride);
void wt_f32_log_softmax(const wt_softmax_config* config, size_t rows, size_t n, const float* x,
                        size_t x_stride, float* y, size_t y_stride);

/* ---- f32-layernorm: layer_norm / rms_norm over the last n elements of each row --------------
 *
 * layer_norm: m0 = sum(x) / n, then with d = x - m0 (exact when x is near m0),
 *   c = sum(d) / n and var = sum(d^2) / n - c^2 (the corrected two-pass algorithm), so the mean
 *   is carried as m0 + c to about twice float32 precision; y = ((x - m0) - c) * rstd [* gamma]
 *   [+ beta], rstd = 1 / sqrt(var + eps). Rows like 1000 + noise keep their accuracy.
 * rms_norm: y = x * (1 / sqrt(sum(x^2) / n + eps)) [* gamma].
 * gamma / beta may be NULL (no affine weight / bias). */
void wt_f32_rsum_ukernel__scalar_x4(size_t n, const float* x, float* sum);
void wt_f32_rsum_ukernel__wasmsimd_x16(size_t n, const float* x, float* sum);
/* sums[0] = sum(x - m), sums[1] = sum((x - m)^2). */
void wt_f32_rsumdev_ukernel__scalar_x4(size_t n, const float* x, float m, float* sums);
void wt_f32_rsumdev_ukernel__wasmsimd_x16(size_t n, const float* x, float m, float* sums);
void wt_f32_rsumsq_ukernel__scalar_x4(size_t n, const float* x, float* sum);
void wt_f32_rsumsq_ukernel__wasmsimd_x16(size_t n, const float* x, float* sum);
/* y = ((x - m0) - c) * rstd [* gamma] [+ beta] */
void wt_f32_vlayernorm_ukernel__scalar_x1(size_t n, const float* x, float m0, float c, float rstd,
                                          const float* gamma, const float* beta, float* y);
void wt_f32_vlayernorm_ukernel__wasmsimd_x8(size_t n, const float* x, float m0, float c,
                                            float rstd, const float* gamma, const float* beta,
                                            float* y);
/* y = ((x - m0) - c) * s + b, s and b scalars (group_norm, one channel of a group) */
void wt_f32_vlayernormc_ukernel__scalar_x4(size_t n, const float* x, float m0, float c, float s,
                                           float b, float* y);
void wt_f32_vlayernormc_ukernel__wasmsimd_x8(size_t n, const float* x, float m0, float c, float s,
                                             float b, float* y);
/* y = x * r [* gamma] */
void wt_f32_vrmsnorm_ukernel__scalar_x4(size_t n, const float* x, float r, const float* gamma,
                                        float* y);
void wt_f32_vrmsnorm_ukernel__wasmsimd_x8(size_t n, const float* x, float r, const float* gamma,
                                          float* y);

typedef struct wt_layernorm_config {
  void (*rsum)(size_t n, const float* x, float* sum);
  void (*rsumdev)(size_t n, const float* x, float m, float* sums);
  void (*rsumsq)(size_t n, const float* x, float* sum);
  void (*vlayernorm)(size_t n, const float* x, float m0, float c, float rstd, const float* gamma,
                     const float* beta, float* y);
  void (*vrmsnorm)(size_t n, const float* x, float r, const float* gamma, float* y);
  void (*vlayernormc)(size_t n, const float* x, float m0, float c, float s, float b, float* y);
  const char* name;
} wt_layernorm_config;

const wt_layernorm_config* wt_f32_layernorm_config(int variant);

void wt_f32_layernorm(const wt_layernorm_config* config, size_t rows, size_t n, const float* x,
                      size_t x_stride, const float* gamma, const float* beta, float eps, float* y,
                      size_t y_stride);
void wt_f32_rmsnorm(const wt_layernorm_config* config, size_t rows, size_t n, const float* x,
                    size_t x_stride, const float* gamma, float eps, float* y, size_t y_stride);
/* group_norm of contiguous groups: `groups` blocks of `channels` x `inner` elements (NCHW: one
 * image's group of channels), statistics as layer_norm's over the whole block, then channel j of
 * block g is scaled by gamma[(g % channel_groups) * channels + j] and shifted by beta[...]
 * (channel_groups = C / channels; gamma / beta may be NULL). */
void wt_f32_groupnorm(const wt_layernorm_config* config, size_t groups, size_t channel_groups,
                      size_t channels, size_t inner, const float* x, const float* gamma,
                      const float* beta, float eps, float* y);

/* The scalar twins are compiled for plain wasm (no SIMD) so they stay an honest reference and an
 * honest scalar baseline in tools/bench_elementwise.mjs; helpers they inline need the same
 * attribute. */
#define WT_SCALAR_FN __attribute__((target("no-simd128")))
