/*
 * ConvTranspose engine "gemm": a transposed convolution is a GEMM followed
 * by a scatter (col2im).
 *
 * With W viewed as [C x M*kh*kw], cols[M*kh*kw x H*W] = W^T * X computes,
 * for every input pixel, its contribution to each output channel through
 * each kernel tap; the scatter then adds tap (ky, kx) of input pixel
 * (iy, ix) into output (iy*s + ky*d - pad, ix*s + kx*d - pad). The GEMM
 * runs over column blocks in parallel; the scatter runs per output channel
 * in parallel, since channels never share an output element. W^T is
 * packed once in prepare. 2-D, one group.
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/gemm.h"
#include "ops/conv/conv_common.h"
#include "ops/conv/conv_engines.h"

/* The column buffer is the engine's price: cap it. */
#define CONVT_MAX_COLS_BYTES ((size_t)256 << 20)

struct convt_gemm {
    struct imp_conv_geom g;
    const struct imp_gemm_ukernel *uk;
    int64_t rows;  /* M * kh * kw */
    int64_t cols;  /* H * W of the input */
    int64_t block; /* columns per packed B block */
    int threads;
    float *packed_wt;
    float *bias;
};

/* Bytes of the column buffer, rounded to 64 so the packed panels after it
 * stay aligned for the microkernel's aligned loads. */
static size_t cols_bytes(const struct imp_conv_geom *g)
{
    const int ax = IMP_WIN_AXES - 2;
    size_t bytes = sizeof(float) * (size_t)(g->m * g->w.k[ax] * g->w.k[ax + 1]) *
                   (size_t)(g->w.in[ax] * g->w.in[ax + 1]);
    return (bytes + 63) & ~(size_t)63;
}

static bool convt_gemm_supports(const struct imp_kernel_args *a)
{
    if (a->in[0]->shape.rank != 4 || !a->in[1]->data ||
        (a->n_in > 2 && a->in[2] && !a->in[2]->data))
        return false;
    struct imp_conv_geom g;
    if (imp_conv_transpose_geometry(a->node, a->in, a->n_in, &g, NULL) != IMP_OK)
        return false;
    return g.group == 1 && cols_bytes(&g) <= CONVT_MAX_COLS_BYTES;
}

static enum imp_status convt_gemm_prepare(const struct imp_kernel_args *a,
                                          void **state, size_t *scratch,
                                          struct imp_error *err)
{
    struct convt_gemm *s = calloc(1, sizeof *s);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = s;
    enum imp_status st = imp_conv_transpose_geometry(a->node, a->in, a->n_in, &s->g, err);
    if (st != IMP_OK)
        return st;
    const int ax = IMP_WIN_AXES - 2;
    const struct imp_conv_geom *g = &s->g;
    s->uk = imp_gemm_ukernel_for(a->isa);
    s->rows = g->m * g->w.k[ax] * g->w.k[ax + 1];
    s->cols = g->w.in[ax] * g->w.in[ax + 1];
    int64_t nr = s->uk->nr;
    int64_t block = (64 * 1024) / (g->c > 0 ? g->c : 1) / nr * nr;
    s->block = block < nr ? nr : block > 512 ? 512 : block;
    s->threads = imp_threadpool_size(a->pool);

    /* W is [C][M*kh*kw]; the GEMM wants its transpose as A. */
    float *wt = malloc(sizeof(float) * (size_t)(s->rows * g->c));
    s->packed_wt = imp_aligned_alloc(sizeof(float) *
                                     imp_gemm_packed_a_size(s->uk, (int)s->rows, (int)g->c));
    if (!wt || !s->packed_wt) {
        free(wt);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory packing weights");
    }
    const float *w = a->in[1]->data;
    for (int64_t c = 0; c < g->c; c++)
        for (int64_t r = 0; r < s->rows; r++)
            wt[r * g->c + c] = w[c * s->rows + r];
    imp_gemm_pack_a(s->uk, (int)s->rows, (int)g->c, wt, (size_t)g->c, s->packed_wt);
    free(wt);
    if (g->has_bias) {
        s->bias = malloc(sizeof(float) * (size_t)g->m);
        if (!s->bias)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        memcpy(s->bias, a->in[2]->data, sizeof(float) * (size_t)g->m);
    }
    *scratch = cols_bytes(g) +
               sizeof(float) * (size_t)s->threads * (size_t)(g->c * s->block);
    return IMP_OK;
}

static void convt_gemm_release(void *state)
{
    struct convt_gemm *s = state;
    imp_aligned_free(s->packed_wt);
    free(s->bias);
    free(s);
}

struct convt_job {
    const struct convt_gemm *s;
    const float *x; /* one image [C, H*W] */
    float *y;       /* one image [M, OH, OW] */
    float *cols;    /* [rows, H*W] */
    float *panels;  /* per thread: C x block packed B */
};

static void gemm_blocks(void *ctx, size_t begin, size_t end, int thread)
{
    const struct convt_job *j = ctx;
    const struct convt_gemm *s = j->s;
    float *packed = j->panels + (size_t)thread * (size_t)(s->g.c * s->block);
    for (size_t b = begin; b < end; b++) {
        int64_t col0 = (int64_t)b * s->block;
        int64_t n = s->cols - col0 < s->block ? s->cols - col0 : s->block;
        imp_gemm_pack_b(s->uk, (int)s->g.c, (int)col0, (int)n, j->x, (size_t)s->cols,
                        packed);
        imp_gemm_packed(s->uk, (int)s->rows, (int)n, (int)s->g.c, s->packed_wt, packed,
                        j->cols + col0, (size_t)s->cols, NULL);
    }
}

static void scatter_channels(void *ctx, size_t begin, size_t end, int thread)
{
    const struct convt_job *j = ctx;
    const struct convt_gemm *s = j->s;
    const struct imp_window *w = &s->g.w;
    const int ax = IMP_WIN_AXES - 2;
    const int64_t ih = w->in[ax], iw = w->in[ax + 1], oh = w->out[ax], ow = w->out[ax + 1];
    const int64_t kh = w->k[ax], kw = w->k[ax + 1], sh = w->s[ax], sw = w->s[ax + 1];
    const int64_t dh = w->d[ax], dw = w->d[ax + 1], ph = w->pb[ax], pw = w->pb[ax + 1];
    (void)thread;
    for (size_t m = begin; m < end; m++) {
        float *y = j->y + (int64_t)m * oh * ow;
        float b = s->bias ? s->bias[m] : 0.0f;
        for (int64_t i = 0; i < oh * ow; i++)
            y[i] = b;
        for (int64_t ky = 0; ky < kh; ky++) {
            for (int64_t kx = 0; kx < kw; kx++) {
                const float *col = j->cols + (((int64_t)m * kh + ky) * kw + kx) * s->cols;
                /* input columns whose output column lands inside */
                int64_t off = kx * dw - pw;
                int64_t lo = imp_ceil_div(-off, sw), hi = imp_floor_div(ow - 1 - off, sw) + 1;
                lo = lo < 0 ? 0 : lo;
                hi = hi > iw ? iw : hi;
                for (int64_t iy = 0; iy < ih; iy++) {
                    int64_t oy = iy * sh + ky * dh - ph;
                    if (oy < 0 || oy >= oh)
                        continue;
                    float *yr = y + oy * ow + off;
                    const float *cr = col + iy * iw;
                    for (int64_t ix = lo; ix < hi; ix++)
                        yr[ix * sw] += cr[ix];
                }
            }
        }
    }
}

static void convt_gemm_run(const struct imp_kernel_args *a)
{
    const struct convt_gemm *s = a->state;
    const int ax = IMP_WIN_AXES - 2;
    const int64_t out_image = s->g.m * s->g.w.out[ax] * s->g.w.out[ax + 1];
    struct convt_job job = {
        .s = s,
        .cols = a->scratch,
        .panels = (float *)a->scratch + cols_bytes(&s->g) / sizeof(float),
    };
    const size_t blocks = (size_t)((s->cols + s->block - 1) / s->block);
    for (int64_t n = 0; n < s->g.n; n++) {
        job.x = (const float *)a->in[0]->data + n * s->g.c * s->cols;
        job.y = (float *)a->out[0]->data + n * out_image;
        imp_parallel_for(a->pool, blocks, 1, gemm_blocks, &job);
        imp_parallel_for(a->pool, (size_t)s->g.m, 1, scatter_channels, &job);
    }
}

const struct imp_engine imp_conv_transpose_gemm_engine = {
    .name = "gemm",
    .supports = convt_gemm_supports,
    .prepare = convt_gemm_prepare,
    .run = convt_gemm_run,
    .release = convt_gemm_release,
};
