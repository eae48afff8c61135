/*
 * Gemm engine "packed": the classifier heads (and any Gemm whose B is a
 * constant) on the packed GEMM microkernels of kernels/gemm.h.
 *
 * A head is Y[M x N] = A[M x K] * W^T + C with M the batch (often 1) and N
 * the classes, so it is computed transposed: T[N x M] = W'[N x K] *
 * A^T[K x M], with W' = op(B)^T packed once in prepare as the GEMM's A
 * operand (mr rows at a time, many of them) and A^T packed per run as its
 * B operand (the few batch rows). Threads split W' by panels of mr rows;
 * each writes its rows of T, then Y = alpha * T^T + beta * C for them.
 *
 * With a batch of a few rows the microkernel's nr columns would be mostly
 * padding, and the layer is a read of the weights anyway: then each output
 * is a dot product of a row of A with a row of W' kept unpacked, by the
 * per-ISA matrix-vector kernels (kernels/gemv.h; W' read once, at memory
 * speed).
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/gemm.h"
#include "kernels/gemv.h"
#include "ops/op_util.h"

#define GEMV_MAX_M 4

struct gemm_packed {
    const struct imp_gemm_ukernel *uk;
    const struct imp_gemv_kernels *gemv;
    int64_t m, n, k, mpad; /* mpad: M rounded up to the microkernel's nr */
    bool ta;
    float alpha, beta;
    float *packed_w; /* op(B)^T, [N x K] packed as the GEMM's A operand */
    float *rows;     /* or, for a batch of at most GEMV_MAX_M, unpacked  */
    int64_t c_si, c_sj; /* C strides after broadcasting (0 on size-1 axes) */
};

/* The weights must be a constant: they are packed in prepare. */
static bool gemm_packed_supports(const struct imp_kernel_args *a)
{
    return a->in[1]->data != NULL && a->in[0]->shape.rank == 2 &&
           a->in[1]->shape.rank == 2 && imp_numel(a->out[0]) > 0;
}

static void gemm_packed_release(void *state)
{
    struct gemm_packed *s = state;
    if (!s)
        return;
    imp_aligned_free(s->packed_w);
    free(s->rows);
    free(s);
}

static enum imp_status gemm_packed_prepare(const struct imp_kernel_args *a, void **state,
                                           size_t *scratch, struct imp_error *err)
{
    struct gemm_packed *s = calloc(1, sizeof *s);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = s;
    const struct imp_shape *as = &a->in[0]->shape, *bs = &a->in[1]->shape;
    const bool tb = imp_node_int(a->node, "transB", 0) != 0;
    s->ta = imp_node_int(a->node, "transA", 0) != 0;
    s->alpha = imp_node_float(a->node, "alpha", 1.0f);
    s->beta = imp_node_float(a->node, "beta", 1.0f);
    s->m = a->out[0]->shape.d[0];
    s->n = a->out[0]->shape.d[1];
    s->k = s->ta ? as->d[0] : as->d[1];
    s->uk = imp_gemm_ukernel_for(a->isa);
    s->gemv = imp_gemv_kernels_for(a->isa);
    s->mpad = (s->m + s->uk->nr - 1) / s->uk->nr * s->uk->nr;
    if (s->n > INT32_MAX || s->k > INT32_MAX || s->mpad > INT32_MAX)
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "Gemm too large for the packed engine");
    /* W' row j is column j of op(B): row j of B when transB, else a
     * strided column, gathered first. */
    const float *b = a->in[1]->data;
    float *wt = malloc(sizeof(float) * (size_t)(s->n * s->k) + 1);
    if (!wt)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory packing weights");
    if (tb)
        memcpy(wt, b, sizeof(float) * (size_t)(s->n * s->k));
    else
        for (int64_t j = 0; j < s->n; j++)
            for (int64_t p = 0; p < s->k; p++)
                wt[j * s->k + p] = b[p * bs->d[1] + j];
    if (s->m <= GEMV_MAX_M && (!s->ta || s->m == 1)) {
        s->rows = wt;
    } else {
        s->packed_w = imp_aligned_alloc(
            sizeof(float) * imp_gemm_packed_a_size(s->uk, (int)s->n, (int)s->k));
        if (s->packed_w)
            imp_gemm_pack_a(s->uk, (int)s->n, (int)s->k, wt, (size_t)s->k, s->packed_w);
        free(wt);
        if (!s->packed_w)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory packing weights");
    }
    if (a->n_in == 3 && a->in[2]) {
        const struct imp_shape *cs = &a->in[2]->shape;
        int64_t cm = cs->rank == 2 ? cs->d[0] : 1;
        int64_t cn = cs->rank >= 1 ? cs->d[cs->rank - 1] : 1;
        s->c_si = cm == 1 ? 0 : cn;
        s->c_sj = cn == 1 ? 0 : 1;
    }
    /* Packed A^T, then T (none for the dot products). */
    *scratch = s->rows ? 0 : sizeof(float) * (size_t)(s->k * s->mpad + s->n * s->mpad) + 64;
    return IMP_OK;
}

struct gemm_packed_job {
    const struct gemm_packed *s;
    const float *packed_at, *c;
    float *t, *y;
};

static void gemm_packed_panels(void *ctx, size_t begin, size_t end, int thread)
{
    const struct gemm_packed_job *j = ctx;
    const struct gemm_packed *s = j->s;
    const int64_t mr = s->uk->mr;
    (void)thread;
    const int64_t n0 = (int64_t)begin * mr;
    int64_t n1 = (int64_t)end * mr;
    if (n1 > s->n)
        n1 = s->n;
    float *t = j->t + n0 * s->mpad;
    imp_gemm_packed(s->uk, (int)(n1 - n0), (int)s->m, (int)s->k, s->packed_w + n0 * s->k,
                    j->packed_at, t, (size_t)s->mpad, NULL);
    for (int64_t jn = n0; jn < n1; jn++) {
        const float *tr = j->t + jn * s->mpad;
        for (int64_t i = 0; i < s->m; i++) {
            float v = s->alpha * tr[i];
            if (j->c)
                v += s->beta * j->c[i * s->c_si + jn * s->c_sj];
            j->y[i * s->n + jn] = v;
        }
    }
}

struct gemv_job {
    const struct gemm_packed *s;
    const float *x, *c; /* op(A) rows, contiguous */
    float *y;
};

static void gemv_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct gemv_job *j = ctx;
    const struct gemm_packed *s = j->s;
    (void)thread;
    const int64_t n0 = (int64_t)begin, n = (int64_t)(end - begin);
    for (int64_t i = 0; i < s->m; i++) {
        float *y = j->y + i * s->n + n0;
        s->gemv->rows(j->x + i * s->k, s->rows + n0 * s->k, s->k, s->k, n, y);
        for (int64_t jn = 0; jn < n; jn++) {
            float v = s->alpha * y[jn];
            if (j->c)
                v += s->beta * j->c[i * s->c_si + (n0 + jn) * s->c_sj];
            y[jn] = v;
        }
    }
}

static void gemm_packed_run(const struct imp_kernel_args *a)
{
    const struct gemm_packed *s = a->state;
    if (s->rows) {
        /* op(A)'s rows are contiguous: A is not transposed, or one column. */
        const float *x = a->in[0]->data;
        struct gemv_job job = {.s = s, .x = x, .y = a->out[0]->data,
                               .c = a->n_in == 3 && a->in[2] ? a->in[2]->data : NULL};
        int64_t grain = 16384 / (s->k * s->m > 0 ? s->k * s->m : 1);
        imp_parallel_for(a->pool, (size_t)s->n, grain < 1 ? 1 : (size_t)grain, gemv_rows,
                         &job);
        return;
    }
    const int64_t nr = s->uk->nr;
    float *packed_at = a->scratch;
    /* A^T as nr-column panels, k-major: panel column jj is row i = j0 + jj
     * of op(A); the columns past M are zeros. */
    const float *A = a->in[0]->data;
    for (int64_t j0 = 0; j0 < s->mpad; j0 += nr) {
        float *panel = packed_at + j0 * s->k;
        for (int64_t p = 0; p < s->k; p++)
            for (int64_t jj = 0; jj < nr; jj++) {
                int64_t i = j0 + jj;
                panel[p * nr + jj] = i >= s->m ? 0.0f : s->ta ? A[p * s->m + i] : A[i * s->k + p];
            }
    }
    struct gemm_packed_job job = {
        .s = s, .packed_at = packed_at,
        .c = a->n_in == 3 && a->in[2] ? a->in[2]->data : NULL,
        .t = packed_at + ((s->k * s->mpad + 15) & ~(int64_t)15), .y = a->out[0]->data};
    const int64_t panels = (s->n + s->uk->mr - 1) / s->uk->mr;
    const int64_t panel_macs = s->uk->mr * s->k * s->mpad;
    int64_t grain = panel_macs > 0 ? 65536 / panel_macs : 1;
    imp_parallel_for(a->pool, (size_t)panels, grain < 1 ? 1 : (size_t)grain,
                     gemm_packed_panels, &job);
}

const struct imp_engine imp_gemm_packed_engine = {
    .name = "packed",
    .supports = gemm_packed_supports,
    .prepare = gemm_packed_prepare,
    .run = gemm_packed_run,
    .release = gemm_packed_release,
};
