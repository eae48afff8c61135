/*
 * Conv engine "direct": stride-1 convolution with few output channels,
 * computed by output rows (kernels/conv_rows.h). It is chosen for layers
 * like the final 9x9 32->3 of a style network, where GEMM would have a
 * handful of rows and im2col would dominate.
 */
#include <stdlib.h>

#include "core/threadpool.h"
#include "kernels/conv_rows.h"
#include "ops/conv_common.h"
#include "ops/conv_engines.h"

#define DIRECT_MAX_OUT_CHANNELS 8
#define DIRECT_BLOCK 4 /* output channels per pass over the input */

struct conv_direct {
    struct imp_conv_rows_args args; /* pointers filled per run */
    imp_conv_rows_fn rows;
    int64_t batch;
};

static bool conv_direct_supports(const struct imp_kernel_args *a)
{
    if (a->in[0]->shape.rank != 4 || !a->in[1]->data)
        return false;
    struct imp_conv_geom g;
    if (imp_conv_forward_geometry(a->node, a->in, a->n_in, &g, NULL) != IMP_OK)
        return false;
    const int ax = IMP_WIN_AXES - 2;
    return g.group == 1 && g.m <= DIRECT_MAX_OUT_CHANNELS && g.w.s[ax] == 1 &&
           g.w.s[ax + 1] == 1 && g.w.d[ax] == 1 && g.w.d[ax + 1] == 1;
}

static enum imp_status conv_direct_prepare(const struct imp_kernel_args *a,
                                           void **state, size_t *scratch,
                                           struct imp_error *err)
{
    struct imp_conv_geom g;
    enum imp_status st = imp_conv_forward_geometry(a->node, a->in, a->n_in, &g, err);
    if (st != IMP_OK)
        return st;
    struct conv_direct *s = calloc(1, sizeof *s);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    const int ax = IMP_WIN_AXES - 2;
    s->args = (struct imp_conv_rows_args){
        .c = g.c, .ih = g.w.in[ax], .iw = g.w.in[ax + 1], .m = g.m,
        .kh = g.w.k[ax], .kw = g.w.k[ax + 1], .oh = g.w.out[ax],
        .ow = g.w.out[ax + 1], .pad_top = g.w.pb[ax], .pad_left = g.w.pb[ax + 1]};
    s->rows = imp_conv_rows_for(a->isa);
    s->batch = g.n;
    *state = s;
    *scratch = 0;
    return IMP_OK;
}

struct direct_job {
    const struct conv_direct *s;
    struct imp_conv_rows_args args;
    int64_t blocks;
};

/* Items are (channel block, output row) pairs, rows fastest. */
static void direct_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct direct_job *j = ctx;
    const int64_t oh = j->args.oh;
    (void)thread;
    size_t item = begin;
    while (item < end) {
        int64_t blk = (int64_t)item / oh, row = (int64_t)item % oh;
        int64_t stop = row + (int64_t)(end - item) < oh ? row + (int64_t)(end - item) : oh;
        int64_t m0 = blk * DIRECT_BLOCK;
        int mb = j->args.m - m0 < DIRECT_BLOCK ? (int)(j->args.m - m0) : DIRECT_BLOCK;
        j->s->rows(&j->args, m0, mb, row, stop);
        item += (size_t)(stop - row);
    }
}

static void conv_direct_run(const struct imp_kernel_args *a)
{
    const struct conv_direct *s = a->state;
    struct direct_job job = {.s = s, .args = s->args};
    job.args.w = a->in[1]->data;
    job.args.bias = a->n_in > 2 && a->in[2] ? a->in[2]->data : NULL;
    job.blocks = (s->args.m + DIRECT_BLOCK - 1) / DIRECT_BLOCK;
    const int64_t in_image = s->args.c * s->args.ih * s->args.iw;
    const int64_t out_image = s->args.m * s->args.oh * s->args.ow;
    for (int64_t n = 0; n < s->batch; n++) {
        job.args.x = (const float *)a->in[0]->data + n * in_image;
        job.args.y = (float *)a->out[0]->data + n * out_image;
        imp_parallel_for(a->pool, (size_t)(job.blocks * s->args.oh), 4, direct_rows, &job);
    }
}

static void conv_direct_release(void *state)
{
    free(state);
}

const struct imp_engine imp_conv_direct_engine = {
    .name = "direct",
    .supports = conv_direct_supports,
    .prepare = conv_direct_prepare,
    .run = conv_direct_run,
    .release = conv_direct_release,
};
