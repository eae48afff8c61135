/*
 * Conv engine "gemm": 2-D convolution as packed GEMM.
 *
 * Per group, output[M x OH*OW] = W[M x K] * im2col(X)[K x OH*OW] with
 * K = C/group * kh * kw. The weights are packed once in prepare; im2col is
 * fused with B packing and done per block of output columns, so the
 * column matrix never exists whole (a 9x9 layer at 720x720 would need
 * gigabytes). Column blocks are spread over the thread pool, each thread
 * packing into its own slice of scratch.
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/gemm.h"
#include "ops/conv/conv_engines.h"
#include "ops/conv/conv_common.h"

struct conv_gemm {
    const struct imp_gemm_ukernel *uk;
    struct imp_window win;
    int64_t groups, m_per_group, k_per_group;
    int64_t block_cols; /* output columns per packed B block (multiple of nr) */
    int threads;
    float *packed_w; /* groups x packed A */
    size_t packed_w_group_stride;
    float *bias; /* M values or NULL */
    struct imp_activation act; /* fused, applied to each block as stored */
};

/* 2-D with constant weights, and not depthwise: K of a few taps starves
 * the microkernel. */
static bool conv_gemm_supports(const struct imp_kernel_args *a)
{
    if (!imp_conv_pads_zeros(a->node))
        return false;
    /* Weights and bias are packed in prepare: both must be constants. */
    if (a->in[0]->shape.rank != 4 || !a->in[1]->data ||
        (a->n_in > 2 && a->in[2] && !a->in[2]->data))
        return false;
    const struct imp_shape *w = &a->in[1]->shape;
    return w->d[1] * w->d[2] * w->d[3] >= 8;
}

static enum imp_status conv_gemm_prepare(const struct imp_kernel_args *a,
                                         void **state, size_t *scratch,
                                         struct imp_error *err)
{
    const struct imp_shape *ws = &a->in[1]->shape;
    struct conv_gemm *s = calloc(1, sizeof *s);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = s;
    struct imp_conv_geom geom;
    enum imp_status st = imp_conv_forward_geometry(a->node, a->in, a->n_in, &geom, err);
    if (st != IMP_OK)
        return st;
    s->win = geom.w;
    s->act = geom.act;
    imp_activation_bind(&s->act, a->isa);
    s->uk = imp_gemm_ukernel_for(a->isa);
    s->groups = geom.group;
    s->m_per_group = geom.mg;
    s->k_per_group = geom.cg * ws->d[2] * ws->d[3];
    /* Keep a B block around 256 KB so it stays in L2 beside an A panel. */
    int64_t nr = s->uk->nr;
    int64_t cols = (64 * 1024) / s->k_per_group / nr * nr;
    s->block_cols = cols < nr ? nr : cols > 512 ? 512 : cols;
    s->threads = imp_threadpool_size(a->pool);

    size_t per_group = imp_gemm_packed_a_size(s->uk, (int)s->m_per_group,
                                              (int)s->k_per_group);
    s->packed_w_group_stride = (per_group + 15) & ~(size_t)15;
    s->packed_w = imp_aligned_alloc(sizeof(float) * s->packed_w_group_stride *
                                    (size_t)s->groups);
    if (!s->packed_w)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory packing weights");
    const float *w = a->in[1]->data;
    for (int64_t g = 0; g < s->groups; g++)
        imp_gemm_pack_a(s->uk, (int)s->m_per_group, (int)s->k_per_group,
                        w + g * s->m_per_group * s->k_per_group,
                        (size_t)s->k_per_group,
                        s->packed_w + (size_t)g * s->packed_w_group_stride);
    if (geom.has_bias) {
        s->bias = imp_aligned_alloc(sizeof(float) * (size_t)ws->d[0]);
        if (!s->bias)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        memcpy(s->bias, a->in[2]->data, sizeof(float) * (size_t)ws->d[0]);
    }
    *scratch = sizeof(float) * (size_t)s->threads * (size_t)s->k_per_group *
               (size_t)s->block_cols;
    return IMP_OK;
}

static void conv_gemm_release(void *state)
{
    struct conv_gemm *s = state;
    imp_aligned_free(s->packed_w);
    imp_aligned_free(s->bias);
    free(s);
}

/* im2col for output columns [col0, col0 + n) of one group, written as
 * nr-column panels, k-major: exactly what the microkernel streams. */
static void pack_im2col(const struct conv_gemm *s, const float *x, int64_t col0,
                        int64_t n, float *packed)
{
    const struct imp_window *w = &s->win;
    const int ax = IMP_WIN_AXES - 2; /* the H axis of a 2-D window */
    const int64_t ih = w->in[ax], iw = w->in[ax + 1], ow = w->out[ax + 1];
    const int64_t kh = w->k[ax], kw = w->k[ax + 1];
    const int64_t sh = w->s[ax], sw = w->s[ax + 1];
    const int64_t dh = w->d[ax], dw = w->d[ax + 1];
    const int64_t cin = s->k_per_group / (kh * kw);
    const int nr = s->uk->nr;
    int64_t iy0[32], ix0[32]; /* nr <= 32 for every kernel in kernels.def */
    for (int64_t j0 = 0; j0 < n; j0 += nr) {
        int width = n - j0 < nr ? (int)(n - j0) : nr;
        for (int j = 0; j < width; j++) {
            int64_t col = col0 + j0 + j;
            iy0[j] = (col / ow) * sh - w->pb[ax];
            ix0[j] = (col % ow) * sw - w->pb[ax + 1];
        }
        /* With stride 1 and a panel inside one output row, each tap reads
         * a contiguous run of one input row: copy it whole when it lies
         * inside the image. That is the common case, and the gather below
         * (with its bounds checks) only handles borders. */
        bool one_row = sw == 1 && width == nr && iy0[0] == iy0[nr - 1];
        for (int64_t c = 0; c < cin; c++) {
            const float *plane = x + c * ih * iw;
            for (int64_t ky = 0; ky < kh; ky++) {
                for (int64_t kx = 0; kx < kw; kx++) {
                    int64_t iy = iy0[0] + ky * dh, ix = ix0[0] + kx * dw;
                    if (one_row && iy >= 0 && iy < ih && ix >= 0 && ix + nr <= iw) {
                        memcpy(packed, plane + iy * iw + ix, sizeof(float) * (size_t)nr);
                        packed += nr;
                        continue;
                    }
                    for (int j = 0; j < width; j++) {
                        iy = iy0[j] + ky * dh;
                        ix = ix0[j] + kx * dw;
                        packed[j] = (iy >= 0 && iy < ih && ix >= 0 && ix < iw)
                                        ? plane[iy * iw + ix] : 0.0f;
                    }
                    for (int j = width; j < nr; j++)
                        packed[j] = 0.0f;
                    packed += nr;
                }
            }
        }
    }
}

struct conv_gemm_job {
    const struct conv_gemm *s;
    const float *x; /* this image and group's input channels */
    float *y;       /* this image and group's output channels */
    const float *packed_w;
    const float *bias;
    float *scratch;
    int64_t cols;
};

static void conv_gemm_blocks(void *ctx, size_t begin, size_t end, int thread)
{
    const struct conv_gemm_job *j = ctx;
    const struct conv_gemm *s = j->s;
    float *packed_b = j->scratch + (size_t)thread * (size_t)s->k_per_group *
                                       (size_t)s->block_cols;
    for (size_t blk = begin; blk < end; blk++) {
        int64_t col0 = (int64_t)blk * s->block_cols;
        int64_t n = j->cols - col0 < s->block_cols ? j->cols - col0 : s->block_cols;
        pack_im2col(s, j->x, col0, n, packed_b);
        imp_gemm_packed(s->uk, (int)s->m_per_group, (int)n, (int)s->k_per_group,
                        j->packed_w, packed_b, j->y + col0, (size_t)j->cols,
                        j->bias);
        imp_activation_apply_rows(&s->act, j->y + col0, s->m_per_group, n, j->cols);
    }
}

static void conv_gemm_run(const struct imp_kernel_args *a)
{
    const struct conv_gemm *s = a->state;
    const struct imp_shape *xs = &a->in[0]->shape, *ys = &a->out[0]->shape;
    const int64_t cols = ys->d[2] * ys->d[3];
    const int64_t in_group = (xs->d[1] / s->groups) * xs->d[2] * xs->d[3];
    const int64_t out_group = s->m_per_group * cols;
    const size_t blocks = (size_t)((cols + s->block_cols - 1) / s->block_cols);
    for (int64_t n = 0; n < xs->d[0]; n++) {
        for (int64_t g = 0; g < s->groups; g++) {
            struct conv_gemm_job job = {
                .s = s,
                .x = (const float *)a->in[0]->data + (n * s->groups + g) * in_group,
                .y = (float *)a->out[0]->data + (n * s->groups + g) * out_group,
                .packed_w = s->packed_w + (size_t)g * s->packed_w_group_stride,
                .bias = s->bias ? s->bias + g * s->m_per_group : NULL,
                .scratch = a->scratch,
                .cols = cols,
            };
            imp_parallel_for(a->pool, blocks, 1, conv_gemm_blocks, &job);
        }
    }
}

const struct imp_engine imp_conv_gemm_engine = {
    .name = "gemm",
    .supports = conv_gemm_supports,
    .prepare = conv_gemm_prepare,
    .run = conv_gemm_run,
    .release = conv_gemm_release,
};
