/* Element-wise operators with two inputs and numpy broadcasting: Add, Sub,
 * Mul, Div, Pow, PRelu.
 *
 * Every broadcast is reduced to one plan: the output's dims with size-1
 * dims dropped and neighbours merged wherever both inputs stay contiguous
 * (or stay broadcast) across them. Same-shape operands become one flat
 * loop, a scalar operand a loop against a register, and a per-channel
 * [1,C,1,1] operand on NCHW a [N,C,H*W] walk whose inner loop is again
 * against a register; anything else takes the strided inner loop.
 *
 * Add has a "simd" engine for the residual connections of image networks:
 * float32 operands of one shape, slices split between threads. */
#include <math.h>

#include "core/dtype.h"
#include "core/threadpool.h"
#include "kernels/eltwise.h"
#include "ops/op_util.h"
#include "ops/tensor_util.h"

struct bplan {
    int rank; /* >= 1 */
    int64_t n[IMP_MAX_RANK];
    int64_t sa[IMP_MAX_RANK], sb[IMP_MAX_RANK]; /* element strides, 0: broadcast */
};

/* `out` must be the broadcast of `a` and `b`. */
static void bplan_make(const struct imp_shape *out, const struct imp_shape *a,
                       const struct imp_shape *b, struct bplan *p)
{
    int r = out->rank;
    int64_t tsa[IMP_MAX_RANK], tsb[IMP_MAX_RANK];
    int64_t stride_a = 1, stride_b = 1;
    for (int i = r - 1; i >= 0; i--) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        tsa[i] = da == 1 ? 0 : stride_a;
        tsb[i] = db == 1 ? 0 : stride_b;
        stride_a *= da;
        stride_b *= db;
    }
    p->rank = 0;
    for (int i = 0; i < r; i++) {
        int64_t n = out->d[i];
        if (n == 1)
            continue;
        int k = p->rank - 1;
        if (k >= 0 && p->sa[k] == tsa[i] * n && p->sb[k] == tsb[i] * n) {
            p->n[k] *= n;
            p->sa[k] = tsa[i];
            p->sb[k] = tsb[i];
            continue;
        }
        p->n[p->rank] = n;
        p->sa[p->rank] = tsa[i];
        p->sb[p->rank] = tsb[i];
        p->rank++;
    }
    if (p->rank == 0) {
        p->rank = 1;
        p->n[0] = 1;
        p->sa[0] = p->sb[0] = 0;
    }
}

/* One broadcasting loop per (operation, types): `x` is the element of a,
 * `z` the element of b. Output may be a's buffer (then a is not broadcast,
 * so each element is read before it is overwritten). */
#define BIN_LOOP(NAME, TA, TB, TO, EXPR)                                     \
    static void NAME(const struct bplan *p, const void *va, const void *vb,  \
                     void *vy)                                               \
    {                                                                        \
        const TA *a = va;                                                    \
        const TB *b = vb;                                                    \
        TO *y = vy;                                                          \
        int r = p->rank;                                                     \
        int64_t inner = p->n[r - 1], ia = p->sa[r - 1], ib = p->sb[r - 1];   \
        int64_t idx[IMP_MAX_RANK] = {0}, oa = 0, ob = 0;                     \
        for (;;) {                                                           \
            const TA *pa = a + oa;                                           \
            const TB *pb = b + ob;                                           \
            if (ia == 1 && ib == 1) {                                        \
                for (int64_t i = 0; i < inner; i++) {                        \
                    TA x = pa[i];                                            \
                    TB z = pb[i];                                            \
                    y[i] = (EXPR);                                           \
                }                                                            \
            } else if (ib == 0) {                                            \
                TB z = *pb;                                                  \
                for (int64_t i = 0; i < inner; i++) {                        \
                    TA x = pa[i * ia];                                       \
                    y[i] = (EXPR);                                           \
                }                                                            \
            } else if (ia == 0) {                                            \
                TA x = *pa;                                                  \
                for (int64_t i = 0; i < inner; i++) {                        \
                    TB z = pb[i * ib];                                       \
                    y[i] = (EXPR);                                           \
                }                                                            \
            } else {                                                         \
                for (int64_t i = 0; i < inner; i++) {                        \
                    TA x = pa[i * ia];                                       \
                    TB z = pb[i * ib];                                       \
                    y[i] = (EXPR);                                           \
                }                                                            \
            }                                                                \
            y += inner;                                                      \
            int d = r - 2;                                                   \
            for (; d >= 0; d--) {                                            \
                oa += p->sa[d];                                              \
                ob += p->sb[d];                                              \
                if (++idx[d] < p->n[d])                                      \
                    break;                                                   \
                oa -= p->sa[d] * p->n[d];                                    \
                ob -= p->sb[d] * p->n[d];                                    \
                idx[d] = 0;                                                  \
            }                                                                \
            if (d < 0)                                                       \
                break;                                                       \
        }                                                                    \
    }

/* Integer arithmetic wraps (through unsigned) instead of invoking undefined
 * behaviour; division truncates like ONNX Runtime, and the two cases C
 * leaves undefined get defined answers: x/0 = 0, INT_MIN/-1 = INT_MIN. */
#define WRAP(T, U, OP) ((T)((U)x OP (U)z))
#define IDIV(T, U) (z == 0 ? (T)0 : z == -1 ? (T)(0u - (U)x) : (T)(x / z))
#define UDIV(T) (z == 0 ? (T)0 : (T)(x / z))

/* Integer powers: exact, wrapping like the products they are; a negative
 * exponent truncates 1 / x^n toward zero, as numpy's cast would. */
static inline int64_t ipow(int64_t x, int64_t n)
{
    if (n < 0)
        return x == 1 ? 1 : x == -1 ? (n % 2 ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)x;
    for (uint64_t e = (uint64_t)n; e; e >>= 1) {
        if (e & 1)
            r *= b;
        b *= b;
    }
    return (int64_t)r;
}

/* A float power cast to an integer type: truncated, NaN as 0 and values
 * beyond the type saturated (C leaves those conversions undefined). */
static inline int64_t fpow_int(double base, double e, double lo, double hi)
{
    double v = pow(base, e);
    if (isnan(v))
        return 0;
    return v <= lo ? (int64_t)lo : v >= hi ? (int64_t)hi : (int64_t)v;
}
#define I64_RANGE -9223372036854775808.0, 9223372036854775807.0
#define I32_RANGE -2147483648.0, 2147483647.0

BIN_LOOP(add_f32, float, float, float, x + z)
BIN_LOOP(add_i64, int64_t, int64_t, int64_t, WRAP(int64_t, uint64_t, +))
BIN_LOOP(add_i32, int32_t, int32_t, int32_t, WRAP(int32_t, uint32_t, +))
BIN_LOOP(add_i8, int8_t, int8_t, int8_t, WRAP(int8_t, uint32_t, +))
BIN_LOOP(add_u8, uint8_t, uint8_t, uint8_t, WRAP(uint8_t, uint32_t, +))
BIN_LOOP(sub_f32, float, float, float, x - z)
BIN_LOOP(sub_i64, int64_t, int64_t, int64_t, WRAP(int64_t, uint64_t, -))
BIN_LOOP(sub_i32, int32_t, int32_t, int32_t, WRAP(int32_t, uint32_t, -))
BIN_LOOP(sub_i8, int8_t, int8_t, int8_t, WRAP(int8_t, uint32_t, -))
BIN_LOOP(sub_u8, uint8_t, uint8_t, uint8_t, WRAP(uint8_t, uint32_t, -))
BIN_LOOP(mul_f32, float, float, float, x * z)
BIN_LOOP(mul_i64, int64_t, int64_t, int64_t, WRAP(int64_t, uint64_t, *))
BIN_LOOP(mul_i32, int32_t, int32_t, int32_t, WRAP(int32_t, uint32_t, *))
BIN_LOOP(mul_i8, int8_t, int8_t, int8_t, WRAP(int8_t, uint32_t, *))
BIN_LOOP(mul_u8, uint8_t, uint8_t, uint8_t, WRAP(uint8_t, uint32_t, *))
BIN_LOOP(div_f32, float, float, float, x / z)
BIN_LOOP(div_i64, int64_t, int64_t, int64_t, IDIV(int64_t, uint64_t))
BIN_LOOP(div_i32, int32_t, int32_t, int32_t, IDIV(int32_t, uint32_t))
BIN_LOOP(div_i8, int8_t, int8_t, int8_t, IDIV(int8_t, uint32_t))
BIN_LOOP(div_u8, uint8_t, uint8_t, uint8_t, UDIV(uint8_t))
BIN_LOOP(pow_f32, float, float, float, powf(x, z))
BIN_LOOP(pow_i64, float, int64_t, float, powf(x, (float)z))
BIN_LOOP(pow_i32, float, int32_t, float, powf(x, (float)z))
BIN_LOOP(pow_i64_i64, int64_t, int64_t, int64_t, ipow(x, z))
BIN_LOOP(pow_i64_i32, int64_t, int32_t, int64_t, ipow(x, z))
BIN_LOOP(pow_i64_f32, int64_t, float, int64_t, fpow_int((double)x, z, I64_RANGE))
BIN_LOOP(pow_i32_i64, int32_t, int64_t, int32_t, (int32_t)(uint32_t)(uint64_t)ipow(x, z))
BIN_LOOP(pow_i32_i32, int32_t, int32_t, int32_t, (int32_t)(uint32_t)(uint64_t)ipow(x, z))
BIN_LOOP(pow_i32_f32, int32_t, float, int32_t, (int32_t)fpow_int(x, z, I32_RANGE))
BIN_LOOP(prelu_f32, float, float, float, x < 0.0f ? z * x : x)

typedef void (*bin_loop_fn)(const struct bplan *, const void *, const void *,
                            void *);

/* ---- inference ---------------------------------------------------------- */

static enum imp_status broadcast_out(struct imp_infer_ctx *c)
{
    const struct imp_tensor *a = c->in[0], *b = c->in[1];
    struct imp_shape out;
    char sa[96], sb[96];
    IMP_CHECK(c, imp_broadcast(&a->shape, &b->shape, &out), IMP_ERR_SHAPE,
              "shapes %s and %s do not broadcast",
              imp_shape_str(&a->shape, sa, sizeof sa),
              imp_shape_str(&b->shape, sb, sizeof sb));
    c->out[0].dtype = a->dtype;
    c->out[0].shape = out;
    return IMP_OK;
}

/* Add, Sub, Mul, Div: float32 for activations, int64/int32 for the shape
 * arithmetic exporters emit, int8/uint8 for quantised pictures. */
static enum imp_status arith_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 1);
    if (st != IMP_OK)
        return st;
    enum imp_dtype ta = c->in[0]->dtype, tb = c->in[1]->dtype;
    IMP_CHECK(c, ta == tb, IMP_ERR_FORMAT, "inputs are %s and %s; they must match",
              imp_dtype_name(ta), imp_dtype_name(tb));
    IMP_CHECK(c, ta == IMP_DTYPE_F32 || ta == IMP_DTYPE_I64 || ta == IMP_DTYPE_I32 ||
                     ta == IMP_DTYPE_I8 || ta == IMP_DTYPE_U8,
              IMP_ERR_UNSUPPORTED,
              "%s inputs are not supported (float32, int64, int32, int8, uint8 are)",
              imp_dtype_name(ta));
    return broadcast_out(c);
}

static enum imp_status pow_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 1);
    if (st != IMP_OK)
        return st;
    enum imp_dtype ta = c->in[0]->dtype, tb = c->in[1]->dtype;
    IMP_CHECK(c, ta == IMP_DTYPE_F32 || ta == IMP_DTYPE_I64 || ta == IMP_DTYPE_I32,
              IMP_ERR_UNSUPPORTED, "base is %s; float32, int64 or int32 expected",
              imp_dtype_name(ta));
    IMP_CHECK(c, tb == IMP_DTYPE_F32 || tb == IMP_DTYPE_I64 || tb == IMP_DTYPE_I32,
              IMP_ERR_UNSUPPORTED, "exponent is %s; float32, int64 or int32 expected",
              imp_dtype_name(tb));
    return broadcast_out(c);
}

/* The shape the slope takes against X: numpy broadcasting towards X, or
 * (old exporters) a 1-D per-channel slope [C] against [N, C, ...]. */
static bool prelu_slope_shape(const struct imp_shape *x, const struct imp_shape *s,
                              struct imp_shape *eff)
{
    struct imp_shape o;
    if (imp_broadcast(x, s, &o) && imp_shape_equal(&o, x)) {
        *eff = *s;
        return true;
    }
    if (s->rank == 1 && x->rank >= 2 && s->d[0] == x->d[1]) {
        eff->rank = x->rank - 1;
        eff->d[0] = s->d[0];
        for (int i = 1; i < eff->rank; i++)
            eff->d[i] = 1;
        return true;
    }
    return false;
}

static enum imp_status prelu_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 1);
    if (st != IMP_OK)
        return st;
    const struct imp_tensor *x = c->in[0], *s = c->in[1];
    IMP_CHECK(c, x->dtype == IMP_DTYPE_F32 && s->dtype == IMP_DTYPE_F32,
              IMP_ERR_UNSUPPORTED, "inputs are %s and %s; only float32 is supported",
              imp_dtype_name(x->dtype), imp_dtype_name(s->dtype));
    struct imp_shape eff;
    char sx[96], ss[96];
    IMP_CHECK(c, prelu_slope_shape(&x->shape, &s->shape, &eff), IMP_ERR_SHAPE,
              "slope %s does not broadcast to X %s",
              imp_shape_str(&s->shape, ss, sizeof ss),
              imp_shape_str(&x->shape, sx, sizeof sx));
    c->out[0].dtype = IMP_DTYPE_F32;
    c->out[0].shape = x->shape;
    return IMP_OK;
}

/* ---- kernels ------------------------------------------------------------ */

static void run_loop(const struct imp_kernel_args *a, bin_loop_fn fn,
                     const struct imp_shape *b_shape)
{
    if (!fn || imp_numel(a->out[0]) == 0)
        return;
    struct bplan p;
    bplan_make(&a->out[0]->shape, &a->in[0]->shape, b_shape, &p);
    fn(&p, a->in[0]->data, a->in[1]->data, a->out[0]->data);
}

#define ARITH_RUN(name)                                                      \
    static void name##_run(const struct imp_kernel_args *a)                  \
    {                                                                        \
        bin_loop_fn fn = NULL;                                               \
        switch (a->in[0]->dtype) {                                           \
        case IMP_DTYPE_F32: fn = name##_f32; break;                          \
        case IMP_DTYPE_I64: fn = name##_i64; break;                          \
        case IMP_DTYPE_I32: fn = name##_i32; break;                          \
        case IMP_DTYPE_I8: fn = name##_i8; break;                            \
        case IMP_DTYPE_U8: fn = name##_u8; break;                            \
        default: break;                                                      \
        }                                                                    \
        run_loop(a, fn, &a->in[1]->shape);                                   \
    }

ARITH_RUN(add)
ARITH_RUN(sub)
ARITH_RUN(mul)
ARITH_RUN(div)

/* By base type (rows: f32, i64, i32) and exponent type (f32, i64, i32). */
static void pow_run(const struct imp_kernel_args *a)
{
    static const bin_loop_fn table[3][3] = {
        {pow_f32, pow_i64, pow_i32},
        {pow_i64_f32, pow_i64_i64, pow_i64_i32},
        {pow_i32_f32, pow_i32_i64, pow_i32_i32},
    };
    int row = a->in[0]->dtype == IMP_DTYPE_F32 ? 0 : a->in[0]->dtype == IMP_DTYPE_I64 ? 1 : 2;
    int col = a->in[1]->dtype == IMP_DTYPE_F32 ? 0 : a->in[1]->dtype == IMP_DTYPE_I64 ? 1 : 2;
    run_loop(a, table[row][col], &a->in[1]->shape);
}

static void prelu_run(const struct imp_kernel_args *a)
{
    struct imp_shape eff;
    if (prelu_slope_shape(&a->in[0]->shape, &a->in[1]->shape, &eff))
        run_loop(a, prelu_f32, &eff);
}

#define BINARY_OP(ID, infer_fn, run_fn)                                      \
    IMP_REF_ENGINES(ID, run_fn, NULL, NULL);                                 \
    const struct imp_op_def imp_opdef_##ID = {                               \
        .infer = infer_fn, .engines = ID##_engines, .flags = IMP_OPF_INPLACE}

/* ---- Add simd engine ---------------------------------------------------- */

static bool add_simd_supports(const struct imp_kernel_args *a)
{
    return a->in[0]->dtype == IMP_DTYPE_F32 && a->in[1]->dtype == IMP_DTYPE_F32 &&
           imp_shape_equal(&a->in[0]->shape, &a->in[1]->shape);
}

struct add_task {
    const float *a, *b;
    float *y;
    const struct imp_eltwise_kernels *k;
};

static void add_slices(void *ctx, size_t begin, size_t end, int thread)
{
    const struct add_task *t = ctx;
    (void)thread;
    t->k->add(t->a + begin, t->b + begin, t->y + begin, (int64_t)(end - begin));
}

static void add_simd_run(const struct imp_kernel_args *a)
{
    struct add_task t = {.a = a->in[0]->data, .b = a->in[1]->data,
                         .y = a->out[0]->data, .k = imp_eltwise_kernels_for(a->isa)};
    /* 256K-element slices: a cache-resident 128K-element Add measured slower
     * split between two threads than on one. */
    imp_parallel_for(a->pool, (size_t)imp_numel(a->out[0]), 1 << 18, add_slices, &t);
}

static const struct imp_engine add_simd = {
    .name = "simd", .supports = add_simd_supports, .run = add_simd_run};
static const struct imp_engine add_ref = {.name = "ref", .run = add_run};
/* Same shape or constant over trailing axes: "planes" (binary_planes.c). */
extern const struct imp_engine imp_add_planes_engine, imp_sub_planes_engine,
    imp_mul_planes_engine, imp_div_planes_engine;
static const struct imp_engine *const add_engines[] = {&add_simd, &imp_add_planes_engine,
                                                       &add_ref, NULL};
const struct imp_op_def imp_opdef_ADD = {
    .infer = arith_infer, .engines = add_engines, .flags = IMP_OPF_INPLACE};

#define PLANES_OP(ID, planes, run_fn)                                        \
    static const struct imp_engine ID##_ref = {.name = "ref", .run = run_fn}; \
    static const struct imp_engine *const ID##_engines[] = {&planes, &ID##_ref, NULL}; \
    const struct imp_op_def imp_opdef_##ID = {                               \
        .infer = arith_infer, .engines = ID##_engines, .flags = IMP_OPF_INPLACE}

PLANES_OP(SUB, imp_sub_planes_engine, sub_run);
PLANES_OP(MUL, imp_mul_planes_engine, mul_run);
PLANES_OP(DIV, imp_div_planes_engine, div_run);
BINARY_OP(POW, pow_infer, pow_run);
BINARY_OP(PRELU, prelu_infer, prelu_run);
