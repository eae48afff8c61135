/*
 * Matrix products (ONNX): Gemm (alpha, beta, transA, transB, C broadcast
 * to [M, N]) and MatMul (numpy: 1-D operands, broadcast batch axes).
 *
 * The reference engine computes one output row at a time into a double
 * accumulator row (per-thread scratch): for untransposed B it adds
 * A[i, k] * B[k, :] row by row, which streams B contiguously; for Gemm's
 * transposed B each output is a contiguous dot product. Rows are rounded
 * to float once, at the end.
 */
#include <stdlib.h>

#include "core/dtype.h"
#include "core/threadpool.h"
#include "ops/op_util.h"

static enum imp_status check_f32(struct imp_infer_ctx *c, const char *const *names)
{
    for (int i = 0; i < c->n_in; i++)
        IMP_CHECK(c, !c->in[i] || c->in[i]->dtype == IMP_DTYPE_F32,
                  IMP_ERR_UNSUPPORTED, "input %s is %s; only float32 is supported",
                  names[i], imp_dtype_name(c->in[i]->dtype));
    return IMP_OK;
}

/* acc[0..n) = sum_k a[k * a_step] * B[k, j], with B [k, n] or, when
 * b_trans, [n, k]. */
static void row_product(const float *a, int64_t a_step, const float *b, bool b_trans,
                        int64_t n, int64_t k, double *acc)
{
    if (!b_trans) {
        for (int64_t j = 0; j < n; j++)
            acc[j] = 0.0;
        for (int64_t kk = 0; kk < k; kk++) {
            const double av = a[kk * a_step];
            const float *br = b + kk * n;
            for (int64_t j = 0; j < n; j++)
                acc[j] += av * br[j];
        }
    } else {
        for (int64_t j = 0; j < n; j++) {
            const float *br = b + j * k;
            double s = 0.0;
            for (int64_t kk = 0; kk < k; kk++)
                s += (double)a[kk * a_step] * br[kk];
            acc[j] = s;
        }
    }
}

/* Scratch: one accumulator row of n doubles per thread. */
static enum imp_status row_scratch(const struct imp_kernel_args *a, int64_t n,
                                   size_t *scratch_bytes)
{
    size_t row = ((size_t)n * sizeof(double) + 63) & ~(size_t)63;
    *scratch_bytes = row * (size_t)imp_threadpool_size(a->pool);
    return IMP_OK;
}

static double *thread_row(const struct imp_kernel_args *a, int64_t n, int thread)
{
    size_t row = ((size_t)n * sizeof(double) + 63) & ~(size_t)63;
    return (double *)((char *)a->scratch + row * (size_t)thread);
}

/* ---- Gemm ---------------------------------------------------------------- */

static enum imp_status gemm_infer(struct imp_infer_ctx *c)
{
    static const char *const names[] = {"A", "B", "C"};
    IMP_CHECK(c, c->n_in == 2 || c->n_in == 3, IMP_ERR_FORMAT,
              "%d inputs; 2 or 3 (A, B, C) expected", c->n_in);
    IMP_CHECK(c, c->n_out == 1, IMP_ERR_FORMAT, "%d outputs; 1 expected", c->n_out);
    enum imp_status st = imp_need_inputs(c, 0, 1);
    if (st == IMP_OK)
        st = check_f32(c, names);
    if (st != IMP_OK)
        return st;
    const struct imp_shape *as = &c->in[0]->shape, *bs = &c->in[1]->shape;
    IMP_CHECK(c, as->rank == 2 && bs->rank == 2, IMP_ERR_SHAPE,
              "A and B must be matrices; they have rank %d and %d", as->rank,
              bs->rank);
    const char *ints[] = {"transA", "transB"};
    for (int i = 0; i < 2; i++) {
        const struct imp_attr *t = imp_node_attr(c->node, ints[i]);
        IMP_CHECK(c, !t || (t->type == IMP_ATTR_INT && (t->i == 0 || t->i == 1)),
                  IMP_ERR_FORMAT, "%s must be 0 or 1", ints[i]);
    }
    const char *floats[] = {"alpha", "beta"};
    for (int i = 0; i < 2; i++) {
        const struct imp_attr *f = imp_node_attr(c->node, floats[i]);
        IMP_CHECK(c, !f || f->type == IMP_ATTR_FLOAT, IMP_ERR_FORMAT,
                  "%s must be a float", floats[i]);
    }
    bool ta = imp_node_int(c->node, "transA", 0), tb = imp_node_int(c->node, "transB", 0);
    int64_t m = ta ? as->d[1] : as->d[0], ka = ta ? as->d[0] : as->d[1];
    int64_t kb = tb ? bs->d[1] : bs->d[0], n = tb ? bs->d[0] : bs->d[1];
    IMP_CHECK(c, ka == kb, IMP_ERR_SHAPE,
              "inner dimensions differ: op(A) is %lldx%lld, op(B) is %lldx%lld",
              (long long)m, (long long)ka, (long long)kb, (long long)n);
    if (c->n_in == 3 && c->in[2]) {
        const struct imp_shape *cs = &c->in[2]->shape;
        bool ok = cs->rank <= 2;
        if (ok && cs->rank >= 1)
            ok = cs->d[cs->rank - 1] == n || cs->d[cs->rank - 1] == 1;
        if (ok && cs->rank == 2)
            ok = cs->d[0] == m || cs->d[0] == 1;
        char buf[64];
        IMP_CHECK(c, ok, IMP_ERR_SHAPE, "C (%s) does not broadcast to [%lld, %lld]",
                  imp_shape_str(cs, buf, sizeof buf), (long long)m, (long long)n);
    }
    int64_t d[2] = {m, n};
    c->out[0].dtype = IMP_DTYPE_F32;
    c->out[0].shape = imp_shape_make(2, d);
    return IMP_OK;
}

static enum imp_status gemm_prepare(const struct imp_kernel_args *a, void **state,
                                    size_t *scratch_bytes, struct imp_error *err)
{
    (void)err;
    *state = NULL;
    return row_scratch(a, a->out[0]->shape.d[1], scratch_bytes);
}

struct gemm_task {
    const struct imp_kernel_args *a;
    const float *A, *B, *C;
    float *Y;
    int64_t m, n, k;
    int64_t c_si, c_sj; /* C strides after broadcasting (0 on size-1 axes) */
    bool ta, tb;
    double alpha, beta;
};

static void gemm_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct gemm_task *t = ctx;
    double *acc = thread_row(t->a, t->n, thread);
    for (size_t r = begin; r < end; r++) {
        const int64_t i = (int64_t)r;
        const float *arow = t->ta ? t->A + i : t->A + i * t->k;
        row_product(arow, t->ta ? t->m : 1, t->B, t->tb, t->n, t->k, acc);
        float *y = t->Y + i * t->n;
        for (int64_t j = 0; j < t->n; j++) {
            double v = t->alpha * acc[j];
            if (t->C)
                v += t->beta * t->C[i * t->c_si + j * t->c_sj];
            y[j] = (float)v;
        }
    }
}

static void gemm_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *as = &a->in[0]->shape;
    struct gemm_task t = {
        .a = a, .A = a->in[0]->data, .B = a->in[1]->data, .Y = a->out[0]->data,
        .m = a->out[0]->shape.d[0], .n = a->out[0]->shape.d[1],
        .ta = imp_node_int(a->node, "transA", 0) != 0,
        .tb = imp_node_int(a->node, "transB", 0) != 0,
        .alpha = imp_node_float(a->node, "alpha", 1.0f),
        .beta = imp_node_float(a->node, "beta", 1.0f)};
    t.k = t.ta ? as->d[0] : as->d[1];
    if (a->n_in == 3 && a->in[2]) {
        const struct imp_shape *cs = &a->in[2]->shape;
        int64_t cm = cs->rank == 2 ? cs->d[0] : 1;
        int64_t cn = cs->rank >= 1 ? cs->d[cs->rank - 1] : 1;
        t.C = a->in[2]->data;
        t.c_si = cm == 1 ? 0 : cn;
        t.c_sj = cn == 1 ? 0 : 1;
    }
    int64_t grain = t.n * t.k > 0 ? 65536 / (t.n * t.k) : 1;
    imp_parallel_for(a->pool, (size_t)t.m, grain < 1 ? 1 : (size_t)grain, gemm_rows, &t);
}

/* Constant weights: the packed GEMM (gemm_packed.c). */
extern const struct imp_engine imp_gemm_packed_engine;
static const struct imp_engine GEMM_ref = {
    .name = "ref", .prepare = gemm_prepare, .run = gemm_run};
static const struct imp_engine *const GEMM_engines[] = {&imp_gemm_packed_engine, &GEMM_ref,
                                                        NULL};
const struct imp_op_def imp_opdef_GEMM = {.infer = gemm_infer, .engines = GEMM_engines};

/* ---- MatMul ---------------------------------------------------------------- */

/* Operand views: 1-D A is [1, K] and 1-D B is [K, 1]; batch axes are the
 * rest, right-aligned to the output's. */
struct matmul_geom {
    int batch_rank;
    int64_t batch[IMP_MAX_RANK];
    int64_t a_stride[IMP_MAX_RANK], b_stride[IMP_MAX_RANK]; /* 0: broadcast */
    int64_t m, n, k;
};

static enum imp_status matmul_geometry(const struct imp_shape *as,
                                       const struct imp_shape *bs,
                                       struct matmul_geom *g, struct imp_shape *out,
                                       struct imp_error *err)
{
    if (as->rank < 1 || bs->rank < 1)
        return imp_fail(err, IMP_ERR_SHAPE, "operands must have rank >= 1, not %d and %d",
                        as->rank, bs->rank);
    const int ra = as->rank, rb = bs->rank;
    g->m = ra >= 2 ? as->d[ra - 2] : 1;
    g->k = as->d[ra - 1];
    const int64_t kb = rb >= 2 ? bs->d[rb - 2] : bs->d[0];
    g->n = rb >= 2 ? bs->d[rb - 1] : 1;
    if (g->k != kb)
        return imp_fail(err, IMP_ERR_SHAPE,
                        "inner dimensions differ: A has %lld columns, B %lld rows",
                        (long long)g->k, (long long)kb);
    const int ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0;
    g->batch_rank = ba > bb ? ba : bb;
    int64_t sa = g->m * g->k, sb = g->k * g->n;
    for (int i = g->batch_rank - 1; i >= 0; i--) {
        int ia = i - (g->batch_rank - ba), ib = i - (g->batch_rank - bb);
        int64_t da = ia >= 0 ? as->d[ia] : 1, db = ib >= 0 ? bs->d[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "batch axes do not broadcast: %lld vs %lld",
                            (long long)da, (long long)db);
        g->batch[i] = da == 1 ? db : da;
        g->a_stride[i] = da == 1 ? 0 : sa;
        g->b_stride[i] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
    }
    if (out) {
        int r = g->batch_rank;
        out->rank = 0;
        for (int i = 0; i < r; i++)
            out->d[out->rank++] = g->batch[i];
        if (ra >= 2)
            out->d[out->rank++] = g->m;
        if (rb >= 2)
            out->d[out->rank++] = g->n;
    }
    return IMP_OK;
}

static enum imp_status matmul_infer(struct imp_infer_ctx *c)
{
    static const char *const names[] = {"A", "B"};
    IMP_CHECK(c, c->n_in == 2, IMP_ERR_FORMAT, "%d inputs; 2 expected", c->n_in);
    IMP_CHECK(c, c->n_out == 1, IMP_ERR_FORMAT, "%d outputs; 1 expected", c->n_out);
    enum imp_status st = imp_need_inputs(c, 0, 1);
    if (st == IMP_OK)
        st = check_f32(c, names);
    if (st != IMP_OK)
        return st;
    struct matmul_geom g;
    c->out[0].dtype = IMP_DTYPE_F32;
    return matmul_geometry(&c->in[0]->shape, &c->in[1]->shape, &g, &c->out[0].shape,
                           c->err);
}

static void matmul_release(void *state)
{
    free(state);
}

static enum imp_status matmul_prepare(const struct imp_kernel_args *a, void **state,
                                      size_t *scratch_bytes, struct imp_error *err)
{
    struct matmul_geom *g = malloc(sizeof *g);
    if (!g)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    enum imp_status st =
        matmul_geometry(&a->in[0]->shape, &a->in[1]->shape, g, NULL, err);
    if (st != IMP_OK) {
        free(g);
        return st;
    }
    *state = g;
    return row_scratch(a, g->n, scratch_bytes);
}

struct matmul_task {
    const struct imp_kernel_args *a;
    const struct matmul_geom *g;
    const float *A, *B;
    float *Y;
};

/* Item r is row r % m of batch entry r / m. */
static void matmul_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct matmul_task *t = ctx;
    const struct matmul_geom *g = t->g;
    double *acc = thread_row(t->a, g->n, thread);
    for (size_t r = begin; r < end; r++) {
        int64_t bi = (int64_t)r / g->m, i = (int64_t)r % g->m;
        int64_t ao = 0, bo = 0;
        for (int d = g->batch_rank - 1; d >= 0; d--) {
            int64_t idx = bi % g->batch[d];
            bi /= g->batch[d];
            ao += idx * g->a_stride[d];
            bo += idx * g->b_stride[d];
        }
        row_product(t->A + ao + i * g->k, 1, t->B + bo, false, g->n, g->k, acc);
        float *y = t->Y + (int64_t)r * g->n;
        for (int64_t j = 0; j < g->n; j++)
            y[j] = (float)acc[j];
    }
}

static void matmul_run(const struct imp_kernel_args *a)
{
    const struct matmul_geom *g = a->state;
    struct matmul_task t = {.a = a, .g = g, .A = a->in[0]->data, .B = a->in[1]->data,
                            .Y = a->out[0]->data};
    int64_t rows = g->m;
    for (int d = 0; d < g->batch_rank; d++)
        rows *= g->batch[d];
    int64_t grain = g->n * g->k > 0 ? 65536 / (g->n * g->k) : 1;
    imp_parallel_for(a->pool, (size_t)rows, grain < 1 ? 1 : (size_t)grain, matmul_rows,
                     &t);
}

IMP_REF_ENGINES(MATMUL, matmul_run, matmul_prepare, matmul_release);
const struct imp_op_def imp_opdef_MATMUL = {.infer = matmul_infer,
                                            .engines = MATMUL_engines};
