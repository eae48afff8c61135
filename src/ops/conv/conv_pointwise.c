/*
 * Conv engine "pointwise": 1x1 convolutions with stride 1 and no padding,
 * half the arithmetic of a MobileNet, as a GEMM straight on the NCHW
 * activation: Y[M x HW] = W[M x C] * X[C x HW] per image, X being already
 * a row-major matrix, so no im2col.
 *
 * The weights are packed once (the GEMM's A operand). Per block of
 * output columns the block of X (C rows of a few panels of nr pixels) is
 * copied into the microkernel's panel layout, one fixed-size copy per row
 * of a panel, then every panel of mr output channels runs over it while
 * it sits in L2, and the fused activation is applied to the rows just
 * written. On small images the columns alone do not give every thread
 * work, so the output channels are split too (each part packs the same
 * columns; the copy is a small fraction of the products).
 *
 * A picture of a few pixels (the 1x1 maps of squeeze-and-excitation
 * blocks) would fill the microkernel's nr columns with padding, so there
 * each output is a dot product of a weight row, kept unpacked, with the
 * pixel's channels (gathered per image), by the matrix-vector kernels of
 * kernels/gemv.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/gemm.h"
#include "kernels/gemv.h"
#include "ops/conv/conv_common.h"
#include "ops/conv/conv_engines.h"

/* Below this many multiply-adds a layer stays on the calling thread: the
 * pool's hand-off costs several microseconds. */
#define PW_MIN_PARALLEL_MACS (48 * 1024)
/* Up to this many pixels per image, dot products instead of tiles. */
#define PW_DOT_MAX_HW 4

struct conv_pw {
    const struct imp_gemm_ukernel *uk;
    const struct imp_gemv_kernels *gemv;
    int64_t n, c, m, hw;
    int64_t block_cols;  /* columns per packed block, a multiple of nr */
    int64_t col_blocks;  /* per image */
    int64_t m_parts;     /* output channel ranges per column block */
    int64_t m_per_part;  /* a multiple of mr */
    float *packed_w, *bias;
    float *rows;         /* unpacked weights, for images of <= PW_DOT_MAX_HW pixels */
    size_t block_floats; /* packed block per thread */
    struct imp_activation act;
};

static bool conv_pw_supports(const struct imp_kernel_args *a)
{
    if (!imp_conv_pads_zeros(a->node))
        return false;
    /* Weights and bias are packed in prepare: both must be constants. */
    if (a->in[0]->shape.rank != 4 || !a->in[1]->data ||
        (a->n_in > 2 && a->in[2] && !a->in[2]->data))
        return false;
    struct imp_conv_geom g;
    if (imp_conv_forward_geometry(a->node, a->in, a->n_in, &g, NULL) != IMP_OK)
        return false;
    const struct imp_window *w = &g.w;
    for (int i = IMP_WIN_AXES - 2; i < IMP_WIN_AXES; i++)
        if (w->k[i] != 1 || w->s[i] != 1 || w->pb[i] != 0 || w->pe[i] != 0)
            return false;
    return g.group == 1 && g.c <= INT32_MAX && g.m <= INT32_MAX &&
           w->in[IMP_WIN_AXES - 2] * w->in[IMP_WIN_AXES - 1] <= INT32_MAX;
}

static void conv_pw_release(void *state)
{
    struct conv_pw *s = state;
    if (!s)
        return;
    imp_aligned_free(s->packed_w);
    imp_aligned_free(s->bias);
    free(s->rows);
    free(s);
}

static enum imp_status conv_pw_prepare(const struct imp_kernel_args *a, void **state,
                                       size_t *scratch, struct imp_error *err)
{
    struct imp_conv_geom g;
    enum imp_status st = imp_conv_forward_geometry(a->node, a->in, a->n_in, &g, err);
    if (st != IMP_OK)
        return st;
    struct conv_pw *s = calloc(1, sizeof *s);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = s;
    const int ax = IMP_WIN_AXES - 2;
    s->uk = imp_gemm_ukernel_for(a->isa);
    s->gemv = imp_gemv_kernels_for(a->isa);
    s->n = g.n;
    s->c = g.c;
    s->m = g.m;
    s->hw = g.w.in[ax] * g.w.in[ax + 1];
    s->act = g.act;
    imp_activation_bind(&s->act, a->isa);
    const int64_t mr = s->uk->mr, nr = s->uk->nr;

    if (g.has_bias) {
        s->bias = imp_aligned_alloc(sizeof(float) * (size_t)s->m);
        if (!s->bias)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        memcpy(s->bias, a->in[2]->data, sizeof(float) * (size_t)s->m);
    }
    if (s->hw <= PW_DOT_MAX_HW) {
        s->rows = malloc(sizeof(float) * (size_t)(s->m * s->c));
        if (!s->rows)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        memcpy(s->rows, a->in[1]->data, sizeof(float) * (size_t)(s->m * s->c));
        /* the image's pixels, channels contiguous */
        *scratch = sizeof(float) * (size_t)(s->c * s->hw);
        return IMP_OK;
    }
    s->packed_w = imp_aligned_alloc(sizeof(float) *
                                    imp_gemm_packed_a_size(s->uk, (int)s->m, (int)s->c));
    if (!s->packed_w)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory packing weights");
    imp_gemm_pack_a(s->uk, (int)s->m, (int)s->c, a->in[1]->data, (size_t)s->c, s->packed_w);

    /* A packed block of about 64 KB: it stays in L2 while all the output
     * channel panels stream over it. */
    int64_t cols = 16 * 1024 / s->c / nr * nr;
    cols = cols < nr ? nr : cols > 1024 ? 1024 : cols;
    const int64_t hw_pad = (s->hw + nr - 1) / nr * nr;
    s->block_cols = cols < hw_pad ? cols : hw_pad;
    s->col_blocks = (s->hw + s->block_cols - 1) / s->block_cols;
    const int64_t threads = imp_threadpool_size(a->pool);
    const int64_t m_panels = (s->m + mr - 1) / mr;
    s->m_parts = 1;
    if (threads > 1 && s->n * s->col_blocks < 4 * threads) {
        s->m_parts = (4 * threads + s->n * s->col_blocks - 1) / (s->n * s->col_blocks);
        if (s->m_parts > m_panels)
            s->m_parts = m_panels;
    }
    s->m_per_part = (m_panels + s->m_parts - 1) / s->m_parts * mr;
    s->m_parts = (s->m + s->m_per_part - 1) / s->m_per_part;
    s->block_floats = ((size_t)(s->c * s->block_cols) + 15) & ~(size_t)15;
    *scratch = sizeof(float) * s->block_floats * (size_t)threads;
    return IMP_OK;
}

/* Columns [col0, col0 + n) of the C x HW matrix x as nr-column panels,
 * row-major inside each (what the microkernel streams); the columns past
 * n are zero. The copy sizes are constants per nr so they compile to
 * vector moves. */
static void pack_columns(const float *x, int64_t c, int64_t hw, int64_t col0, int64_t n,
                         int nr, float *packed)
{
    for (int64_t j0 = 0; j0 < n; j0 += nr) {
        const float *src = x + col0 + j0;
        if (n - j0 >= nr) {
            switch (nr) {
            case 32:
                for (int64_t p = 0; p < c; p++, packed += 32)
                    memcpy(packed, src + p * hw, 32 * sizeof(float));
                break;
            case 16:
                for (int64_t p = 0; p < c; p++, packed += 16)
                    memcpy(packed, src + p * hw, 16 * sizeof(float));
                break;
            case 8:
                for (int64_t p = 0; p < c; p++, packed += 8)
                    memcpy(packed, src + p * hw, 8 * sizeof(float));
                break;
            default:
                for (int64_t p = 0; p < c; p++, packed += nr)
                    memcpy(packed, src + p * hw, sizeof(float) * (size_t)nr);
            }
            continue;
        }
        const int64_t w = n - j0;
        for (int64_t p = 0; p < c; p++, packed += nr) {
            memcpy(packed, src + p * hw, sizeof(float) * (size_t)w);
            memset(packed + w, 0, sizeof(float) * (size_t)(nr - w));
        }
    }
}

struct pw_job {
    const struct conv_pw *s;
    const float *x;
    float *y, *scratch;
};

static void pw_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct pw_job *j = ctx;
    const struct conv_pw *s = j->s;
    float *packed = j->scratch + (size_t)thread * s->block_floats;
    int64_t packed_for = -1; /* which (image, column block) `packed` holds */
    for (size_t item = begin; item < end; item++) {
        /* Items run image, column block, channel part: consecutive parts
         * of one block reuse its packing. */
        const int64_t part = (int64_t)item % s->m_parts;
        const int64_t blk = (int64_t)item / s->m_parts;
        const int64_t img = blk / s->col_blocks;
        const int64_t col0 = blk % s->col_blocks * s->block_cols;
        const int64_t n = s->hw - col0 < s->block_cols ? s->hw - col0 : s->block_cols;
        const float *x = j->x + img * s->c * s->hw;
        float *y = j->y + img * s->m * s->hw;
        if (packed_for != blk) {
            pack_columns(x, s->c, s->hw, col0, n, s->uk->nr, packed);
            packed_for = blk;
        }
        const int64_t m0 = part * s->m_per_part;
        const int64_t rows = s->m - m0 < s->m_per_part ? s->m - m0 : s->m_per_part;
        imp_gemm_packed(s->uk, (int)rows, (int)n, (int)s->c, s->packed_w + m0 * s->c, packed,
                        y + m0 * s->hw + col0, (size_t)s->hw, s->bias ? s->bias + m0 : NULL);
        imp_activation_apply_rows(&s->act, y + m0 * s->hw + col0, rows, n, s->hw);
    }
}

struct pw_dot_job {
    const struct conv_pw *s;
    const float *xt; /* [hw][c] */
    float *y;        /* this image's [m][hw] */
};

static void pw_dot_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct pw_dot_job *j = ctx;
    const struct conv_pw *s = j->s;
    (void)thread;
    const int64_t m0 = (int64_t)begin, n = (int64_t)(end - begin);
    if (s->hw == 1) {
        /* One pixel (squeeze-and-excitation): the outputs are contiguous. */
        float *y = j->y + m0;
        s->gemv->rows(j->xt, s->rows + m0 * s->c, s->c, s->c, n, y);
        if (s->bias)
            for (int64_t i = 0; i < n; i++)
                y[i] += s->bias[m0 + i];
        imp_activation_apply(&s->act, y, n);
        return;
    }
    for (int64_t mi = m0; mi < m0 + n; mi++) {
        /* The pixels as the rows: output channel mi's hw values in a row. */
        float *y = j->y + mi * s->hw;
        s->gemv->rows(s->rows + mi * s->c, j->xt, s->c, s->c, s->hw, y);
        if (s->bias)
            for (int64_t p = 0; p < s->hw; p++)
                y[p] += s->bias[mi];
        imp_activation_apply(&s->act, y, s->hw);
    }
}

/* Each image: its pixels' channel vectors gathered, then one dot product
 * per output. */
static void conv_pw_dot_run(const struct imp_kernel_args *a)
{
    const struct conv_pw *s = a->state;
    float *xt = a->scratch;
    for (int64_t img = 0; img < s->n; img++) {
        const float *x = (const float *)a->in[0]->data + img * s->c * s->hw;
        for (int64_t ci = 0; ci < s->c; ci++)
            for (int64_t p = 0; p < s->hw; p++)
                xt[p * s->c + ci] = x[ci * s->hw + p];
        struct pw_dot_job j = {.s = s, .xt = xt,
                               .y = (float *)a->out[0]->data + img * s->m * s->hw};
        int64_t grain = PW_MIN_PARALLEL_MACS / (s->c * s->hw);
        imp_parallel_for(a->pool, (size_t)s->m, grain < 1 ? 1 : (size_t)grain, pw_dot_rows,
                         &j);
    }
}

static void conv_pw_run(const struct imp_kernel_args *a)
{
    const struct conv_pw *s = a->state;
    if (s->rows) {
        conv_pw_dot_run(a);
        return;
    }
    struct pw_job j = {.s = s, .x = a->in[0]->data, .y = a->out[0]->data,
                       .scratch = a->scratch};
    const size_t items = (size_t)(s->n * s->col_blocks * s->m_parts);
    size_t grain = 1;
    if (s->n * s->m * s->c * s->hw < PW_MIN_PARALLEL_MACS)
        grain = items;
    imp_parallel_for(a->pool, items, grain, pw_items, &j);
}

const struct imp_engine imp_conv_pointwise_engine = {
    .name = "pointwise", .supports = conv_pw_supports, .prepare = conv_pw_prepare,
    .run = conv_pw_run, .release = conv_pw_release};
