/*
 * Engine "planes" for float32 Add, Sub, Mul and Div: one operand of the
 * output's full shape and the other either the same shape or constant over
 * trailing axes, such as the [N, C, 1, 1] scale of a squeeze-and-
 * excitation block or of a TensorFlow-converted normalisation applied to
 * [N, C, H, W], or a scalar. The output then splits into `outer` blocks of
 * `inner` elements, each against one value of the small operand: plain
 * loops the compiler vectorises, blocks (or, for two full operands,
 * slices) split between threads. The same float operation per element as
 * the reference engine, so the same bits.
 */
#include "core/threadpool.h"
#include "ops/op_util.h"

enum bin_kind { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV };

struct bin_geom {
    int64_t outer, inner;
    int small; /* -1: both full; else the operand constant over blocks */
};

/* Operand x against output o (right-aligned): constant over all axes from
 * some k on and equal to o before k. Returns the number of blocks
 * (product of o's dims before k), or -1. */
static int64_t blocks_of(const struct imp_shape *x, const struct imp_shape *o)
{
    int off = o->rank - x->rank;
    if (off < 0)
        return -1;
    /* k: after the last axis where x is not 1 (size-1 axes of o too). */
    int k = 0;
    for (int d = 0; d < o->rank; d++) {
        int64_t xd = d >= off ? x->d[d - off] : 1;
        if (xd != 1)
            k = d + 1;
    }
    int64_t outer = 1;
    for (int d = 0; d < k; d++) {
        int64_t xd = d >= off ? x->d[d - off] : 1;
        if (xd != o->d[d])
            return -1;
        outer *= o->d[d];
    }
    return outer;
}

static bool bin_geometry(const struct imp_kernel_args *a, struct bin_geom *g)
{
    if (a->n_in != 2 || !a->in[0] || !a->in[1] || a->in[0]->dtype != IMP_DTYPE_F32 ||
        a->in[1]->dtype != IMP_DTYPE_F32 || a->out[0]->dtype != IMP_DTYPE_F32)
        return false;
    const int64_t n = imp_numel(a->out[0]);
    const int64_t na = imp_numel(a->in[0]), nb = imp_numel(a->in[1]);
    if (n < 1)
        return false;
    if (na == n && nb == n) {
        *g = (struct bin_geom){.outer = 1, .inner = n, .small = -1};
        return true;
    }
    const int small = na == n ? 1 : nb == n ? 0 : -2;
    if (small < 0)
        return false;
    int64_t outer = blocks_of(&a->in[small]->shape, &a->out[0]->shape);
    if (outer < 1 || n % outer != 0)
        return false;
    *g = (struct bin_geom){.outer = outer, .inner = n / outer, .small = small};
    return true;
}

static bool bin_supports(const struct imp_kernel_args *a)
{
    struct bin_geom g;
    return bin_geometry(a, &g);
}

struct bin_job {
    enum bin_kind kind;
    struct bin_geom g;
    const float *a, *b;
    float *y;
};

/* y = a op b over n elements; a_step / b_step 0 holds that operand. */
#define BIN_RUN(OP)                                                          \
    do {                                                                     \
        if (!as)                                                             \
            for (int64_t i = 0; i < n; i++)                                  \
                y[i] = av OP b[i];                                           \
        else if (!bs)                                                        \
            for (int64_t i = 0; i < n; i++)                                  \
                y[i] = a[i] OP bv;                                           \
        else                                                                 \
            for (int64_t i = 0; i < n; i++)                                  \
                y[i] = a[i] OP b[i];                                         \
    } while (0)

static void bin_span(enum bin_kind kind, const float *a, int as, const float *b, int bs,
                     float *y, int64_t n)
{
    const float av = a[0], bv = b[0];
    switch (kind) {
    case BIN_ADD: BIN_RUN(+); break;
    case BIN_SUB: BIN_RUN(-); break;
    case BIN_MUL: BIN_RUN(*); break;
    case BIN_DIV: BIN_RUN(/); break;
    }
}

static void bin_blocks(void *ctx, size_t begin, size_t end, int thread)
{
    const struct bin_job *j = ctx;
    const int64_t inner = j->g.inner;
    (void)thread;
    if (j->g.small < 0) { /* slices of two full operands */
        bin_span(j->kind, j->a + begin, 1, j->b + begin, 1, j->y + begin,
                 (int64_t)(end - begin));
        return;
    }
    for (size_t o = begin; o < end; o++) {
        const int64_t at = (int64_t)o * inner;
        const float *a = j->g.small == 0 ? j->a + o : j->a + at;
        const float *b = j->g.small == 1 ? j->b + o : j->b + at;
        bin_span(j->kind, a, j->g.small != 0, b, j->g.small != 1, j->y + at, inner);
    }
}

static void bin_run(const struct imp_kernel_args *a, enum bin_kind kind)
{
    struct bin_job j = {.kind = kind, .a = a->in[0]->data, .b = a->in[1]->data,
                        .y = a->out[0]->data};
    if (!bin_geometry(a, &j.g))
        return; /* supports said yes for these shapes */
    /* About 16K elements per hand-off, below that one thread. */
    size_t items, grain;
    if (j.g.small < 0) {
        items = (size_t)j.g.inner;
        grain = 1 << 14;
    } else {
        items = (size_t)j.g.outer;
        grain = j.g.inner >= 16384 ? 1 : (size_t)(16384 / j.g.inner);
    }
    imp_parallel_for(a->pool, items, grain, bin_blocks, &j);
}

static void add_planes_run(const struct imp_kernel_args *a) { bin_run(a, BIN_ADD); }
static void sub_planes_run(const struct imp_kernel_args *a) { bin_run(a, BIN_SUB); }
static void mul_planes_run(const struct imp_kernel_args *a) { bin_run(a, BIN_MUL); }
static void div_planes_run(const struct imp_kernel_args *a) { bin_run(a, BIN_DIV); }

const struct imp_engine imp_add_planes_engine = {
    .name = "planes", .supports = bin_supports, .run = add_planes_run};
const struct imp_engine imp_sub_planes_engine = {
    .name = "planes", .supports = bin_supports, .run = sub_planes_run};
const struct imp_engine imp_mul_planes_engine = {
    .name = "planes", .supports = bin_supports, .run = mul_planes_run};
const struct imp_engine imp_div_planes_engine = {
    .name = "planes", .supports = bin_supports, .run = div_planes_run};
