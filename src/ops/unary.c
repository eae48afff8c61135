/* Element-wise operators with one tensor input: activations, Cast, and the
 * legacy per-channel affine ops (ImageScaler, Affine).
 *
 * Relu, Tanh, Sigmoid and HardSwish also have a "simd" engine: the
 * per-ISA kernels of kernels/eltwise.inc over slices split between threads (Tanh's and
 * Sigmoid's are a vector exp in double, within an ulp of the correctly
 * rounded result). */
#include <math.h>
#include <string.h>

#include "core/dtype.h"
#include "core/threadpool.h"
#include "kernels/eltwise.h"
#include "ops/activation.h"
#include "ops/op_util.h"

/* Shape passes through; float ops insist on float32 (fp16 is widened at
 * load, so any other type is a model error). */
static enum imp_status infer_float_unary(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    IMP_CHECK(c, c->in[0]->dtype == IMP_DTYPE_F32, IMP_ERR_UNSUPPORTED,
              "input is %s; only float32 is supported",
              imp_dtype_name(c->in[0]->dtype));
    c->out[0].dtype = IMP_DTYPE_F32;
    c->out[0].shape = c->in[0]->shape;
    return IMP_OK;
}

/* One loop per activation, written so the compiler can vectorise it. */
#define UNARY_KERNEL(fname, expr)                                            \
    static void fname(const struct imp_kernel_args *a)                      \
    {                                                                        \
        const float *x = a->in[0]->data;                                     \
        float *y = a->out[0]->data;                                          \
        int64_t n = imp_numel(a->in[0]);                                     \
        (void)a;                                                             \
        for (int64_t i = 0; i < n; i++) {                                    \
            float v = x[i];                                                  \
            y[i] = (expr);                                                   \
        }                                                                    \
    }

#define NODE_F(name, dflt) imp_node_float(a->node, name, dflt)

UNARY_KERNEL(relu_run, v > 0.0f ? v : 0.0f)
UNARY_KERNEL(sigmoid_run, 1.0f / (1.0f + expf(-v)))
UNARY_KERNEL(tanh_run, tanhf(v))
UNARY_KERNEL(sqrt_run, sqrtf(v))

static void leaky_relu_run(const struct imp_kernel_args *a)
{
    const float *x = a->in[0]->data;
    float *y = a->out[0]->data;
    float alpha = NODE_F("alpha", 0.01f);
    for (int64_t i = 0, n = imp_numel(a->in[0]); i < n; i++)
        y[i] = x[i] >= 0.0f ? x[i] : alpha * x[i];
}

static void hard_sigmoid_run(const struct imp_kernel_args *a)
{
    const float *x = a->in[0]->data;
    float *y = a->out[0]->data;
    float alpha = NODE_F("alpha", 0.2f), beta = NODE_F("beta", 0.5f);
    for (int64_t i = 0, n = imp_numel(a->in[0]); i < n; i++)
        y[i] = fmaxf(0.0f, fminf(1.0f, alpha * x[i] + beta));
}

static void hard_swish_run(const struct imp_kernel_args *a)
{
    const float *x = a->in[0]->data;
    float *y = a->out[0]->data;
    for (int64_t i = 0, n = imp_numel(a->in[0]); i < n; i++)
        y[i] = x[i] * fmaxf(0.0f, fminf(1.0f, x[i] / 6.0f + 0.5f));
}

static void affine_run(const struct imp_kernel_args *a)
{
    const float *x = a->in[0]->data;
    float *y = a->out[0]->data;
    float alpha = NODE_F("alpha", 1.0f), beta = NODE_F("beta", 0.0f);
    for (int64_t i = 0, n = imp_numel(a->in[0]); i < n; i++)
        y[i] = alpha * x[i] + beta;
}

#define SIMPLE_FLOAT_OP(ID, run)                                             \
    IMP_REF_ENGINES(ID, run, NULL, NULL);                                    \
    const struct imp_op_def imp_opdef_##ID = {                               \
        .infer = infer_float_unary, .engines = ID##_engines,                 \
        .flags = IMP_OPF_INPLACE}

/* LeakyRelu, HardSigmoid and Clip: "simd" engines in activation.c. */
#define ACTIVATION_OP(ID, simd_engine, ref_fn, infer_fn)                     \
    static const struct imp_engine ID##_ref = {.name = "ref", .run = ref_fn}; \
    static const struct imp_engine *const ID##_engines[] = {                 \
        &simd_engine, &ID##_ref, NULL};                                      \
    const struct imp_op_def imp_opdef_##ID = {                               \
        .infer = infer_fn, .engines = ID##_engines, .flags = IMP_OPF_INPLACE}

ACTIVATION_OP(LEAKY_RELU, imp_leaky_relu_simd_engine, leaky_relu_run, infer_float_unary);
ACTIVATION_OP(HARD_SIGMOID, imp_hard_sigmoid_simd_engine, hard_sigmoid_run,
              infer_float_unary);
SIMPLE_FLOAT_OP(SQRT, sqrt_run);
SIMPLE_FLOAT_OP(AFFINE, affine_run);

/* ---- simd engines: Relu, Tanh ------------------------------------------- */

typedef void (*unary_kernel_fn)(const float *x, float *y, int64_t n);

struct unary_task {
    const float *x;
    float *y;
    unary_kernel_fn fn;
};

static void unary_slices(void *ctx, size_t begin, size_t end, int thread)
{
    const struct unary_task *t = ctx;
    (void)thread;
    t->fn(t->x + begin, t->y + begin, (int64_t)(end - begin));
}

/* `grain` elements per slice: enough work to amortise a hand-off. Relu
 * streams from cache so fast that splitting 128K elements measured slower
 * than one thread; Tanh computes about 25 times longer per element. */
static void unary_simd(const struct imp_kernel_args *a, unary_kernel_fn fn, size_t grain)
{
    struct unary_task t = {.x = a->in[0]->data, .y = a->out[0]->data, .fn = fn};
    imp_parallel_for(a->pool, (size_t)imp_numel(a->in[0]), grain, unary_slices, &t);
}

static void relu_simd_run(const struct imp_kernel_args *a)
{
    unary_simd(a, imp_eltwise_kernels_for(a->isa)->relu, 1 << 18);
}

static void tanh_simd_run(const struct imp_kernel_args *a)
{
    unary_simd(a, imp_eltwise_kernels_for(a->isa)->tanh, 8192);
}

/* Sigmoid costs about what Tanh does; HardSwish a division and a few
 * logic ops per element, between Relu and Tanh. */
static void sigmoid_simd_run(const struct imp_kernel_args *a)
{
    unary_simd(a, imp_eltwise_kernels_for(a->isa)->sigmoid, 8192);
}

static void hard_swish_simd_run(const struct imp_kernel_args *a)
{
    unary_simd(a, imp_eltwise_kernels_for(a->isa)->hard_swish, 1 << 17);
}

#define SIMD_FLOAT_OP(ID, simd_fn, ref_fn)                                   \
    static const struct imp_engine ID##_simd = {.name = "simd",              \
                                                .run = simd_fn};             \
    static const struct imp_engine ID##_ref = {.name = "ref", .run = ref_fn}; \
    static const struct imp_engine *const ID##_engines[] = {                 \
        &ID##_simd, &ID##_ref, NULL};                                        \
    const struct imp_op_def imp_opdef_##ID = {                               \
        .infer = infer_float_unary, .engines = ID##_engines,                 \
        .flags = IMP_OPF_INPLACE}

SIMD_FLOAT_OP(RELU, relu_simd_run, relu_run);
SIMD_FLOAT_OP(TANH, tanh_simd_run, tanh_run);
SIMD_FLOAT_OP(SIGMOID, sigmoid_simd_run, sigmoid_run);
SIMD_FLOAT_OP(HARD_SWISH, hard_swish_simd_run, hard_swish_run);

/* ---- Clip: bounds from attributes (opset < 11) or inputs 1 and 2 ------ */

/* Clip-12 and later take integers too (bounds of the input's type). */
static bool clip_integer(enum imp_dtype t)
{
    return t == IMP_DTYPE_I64 || t == IMP_DTYPE_I32 || t == IMP_DTYPE_I8 ||
           t == IMP_DTYPE_U8;
}

static enum imp_status clip_infer(struct imp_infer_ctx *c)
{
    for (int i = 1; i < c->n_in && i < 3; i++)
        IMP_CHECK(c, !c->in[i] || imp_numel(c->in[i]) == 1, IMP_ERR_SHAPE,
                  "bound %d must be a scalar", i);
    if (c->n_in >= 1 && c->in[0] && clip_integer(c->in[0]->dtype)) {
        for (int i = 1; i < c->n_in && i < 3; i++)
            IMP_CHECK(c, !c->in[i] || c->in[i]->dtype == c->in[0]->dtype, IMP_ERR_FORMAT,
                      "bound %d is %s but the input is %s", i,
                      imp_dtype_name(c->in[i]->dtype), imp_dtype_name(c->in[0]->dtype));
        c->out[0].dtype = c->in[0]->dtype;
        c->out[0].shape = c->in[0]->shape;
        return IMP_OK;
    }
    return infer_float_unary(c);
}

/* Integer Clip: each element through int64, bounds defaulting to the
 * type's range (no bound at all). */
static void clip_integer_run(const struct imp_kernel_args *a)
{
    enum imp_dtype t = a->in[0]->dtype;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (a->n_in > 1 && a->in[1])
        lo = imp_load_i64(t, a->in[1]->data, 0);
    if (a->n_in > 2 && a->in[2])
        hi = imp_load_i64(t, a->in[2]->data, 0);
    const void *x = a->in[0]->data;
    void *y = a->out[0]->data;
    for (int64_t i = 0, n = imp_numel(a->in[0]); i < n; i++) {
        int64_t v = imp_load_i64(t, x, (size_t)i);
        v = v < lo ? lo : v > hi ? hi : v;
        switch (t) {
        case IMP_DTYPE_I64: ((int64_t *)y)[i] = v; break;
        case IMP_DTYPE_I32: ((int32_t *)y)[i] = (int32_t)v; break;
        case IMP_DTYPE_I8: ((int8_t *)y)[i] = (int8_t)v; break;
        default: ((uint8_t *)y)[i] = (uint8_t)v; break;
        }
    }
}

static float clip_bound(const struct imp_kernel_args *a, int i, const char *attr,
                        float dflt)
{
    if (a->n_in > i && a->in[i])
        return (float)imp_load_f64(a->in[i]->dtype, a->in[i]->data, 0);
    return NODE_F(attr, dflt);
}

static void clip_run(const struct imp_kernel_args *a)
{
    if (clip_integer(a->in[0]->dtype)) {
        clip_integer_run(a);
        return;
    }
    const float *x = a->in[0]->data;
    float *y = a->out[0]->data;
    float lo = clip_bound(a, 1, "min", -INFINITY);
    float hi = clip_bound(a, 2, "max", INFINITY);
    for (int64_t i = 0, n = imp_numel(a->in[0]); i < n; i++)
        y[i] = fminf(fmaxf(x[i], lo), hi);
}

ACTIVATION_OP(CLIP, imp_clip_simd_engine, clip_run, clip_infer);

/* ---- ImageScaler: y = scale * x + bias[c] on NCHW --------------------- */

static enum imp_status image_scaler_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = infer_float_unary(c);
    if (st != IMP_OK)
        return st;
    IMP_CHECK(c, c->in[0]->shape.rank == 4, IMP_ERR_SHAPE, "input must be NCHW");
    const struct imp_attr *bias = imp_node_attr(c->node, "bias");
    IMP_CHECK(c, !bias || (bias->type == IMP_ATTR_FLOATS &&
                           bias->n == c->in[0]->shape.d[1]),
              IMP_ERR_SHAPE, "bias needs one value per channel");
    return IMP_OK;
}

static void image_scaler_run(const struct imp_kernel_args *a)
{
    const float *x = a->in[0]->data;
    float *y = a->out[0]->data;
    const struct imp_shape *s = &a->in[0]->shape;
    const struct imp_attr *bias = imp_node_attr(a->node, "bias");
    float scale = NODE_F("scale", 1.0f);
    int64_t plane = s->d[2] * s->d[3];
    for (int64_t nc = 0; nc < s->d[0] * s->d[1]; nc++) {
        float b = bias ? bias->floats[nc % s->d[1]] : 0.0f;
        for (int64_t i = 0; i < plane; i++)
            y[nc * plane + i] = scale * x[nc * plane + i] + b;
    }
}

IMP_REF_ENGINES(IMAGE_SCALER, image_scaler_run, NULL, NULL);
const struct imp_op_def imp_opdef_IMAGE_SCALER = {
    .infer = image_scaler_infer, .engines = IMAGE_SCALER_engines,
    .flags = IMP_OPF_INPLACE};

/* ---- Identity: a view, no copy ------------------------------------------ */

static enum imp_status identity_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape = c->in[0]->shape;
    return IMP_OK;
}

/* Shared by every alias op: the planner usually makes out == in, but when
 * it could not (plan-time evaluation), copy. */
static void copy_run(const struct imp_kernel_args *a)
{
    if (a->out[0]->data != a->in[0]->data)
        memcpy(a->out[0]->data, a->in[0]->data, imp_tensor_bytes(a->in[0]));
}

IMP_REF_ENGINES(IDENTITY, copy_run, NULL, NULL);
const struct imp_op_def imp_opdef_IDENTITY = {
    .infer = identity_infer, .engines = IDENTITY_engines, .flags = IMP_OPF_ALIAS};

/* ---- Cast (ONNX TensorProto element types) ------------------------------- */

static enum imp_dtype onnx_to_dtype(int64_t t)
{
    switch (t) {
    case 1: return IMP_DTYPE_F32;
    case 2: return IMP_DTYPE_U8;
    case 3: return IMP_DTYPE_I8;
    case 6: return IMP_DTYPE_I32;
    case 7: return IMP_DTYPE_I64;
    case 9: return IMP_DTYPE_BOOL;
    case 10: return IMP_DTYPE_F16;
    case 11: return IMP_DTYPE_F64;
    default: return IMP_DTYPE_UNDEFINED;
    }
}

static enum imp_status cast_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    int64_t to = imp_node_int(c->node, "to", 0);
    enum imp_dtype t = onnx_to_dtype(to);
    IMP_CHECK(c, t != IMP_DTYPE_UNDEFINED, IMP_ERR_UNSUPPORTED,
              "cannot cast to ONNX element type %lld", (long long)to);
    c->out[0].dtype = t;
    c->out[0].shape = c->in[0]->shape;
    return IMP_OK;
}

static void cast_run(const struct imp_kernel_args *a)
{
    imp_convert(a->out[0]->dtype, a->out[0]->data, a->in[0]->dtype,
                a->in[0]->data, (size_t)imp_numel(a->in[0]));
}

IMP_REF_ENGINES(CAST, cast_run, NULL, NULL);
const struct imp_op_def imp_opdef_CAST = {.infer = cast_infer, .engines = CAST_engines};
