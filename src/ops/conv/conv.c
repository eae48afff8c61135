/*
 * Conv (ONNX): 1-D to 3-D, groups (depthwise included), dilations,
 * explicit or automatic padding. ConvTranspose lives in conv_transpose.c.
 *
 * The reference engine computes one output row (fixed n, m, od, oh) at a
 * time: the row starts at the bias and receives, for each input channel
 * and kernel tap, a scaled slice of one input row. The row stays in L1
 * while it accumulates, and with stride 1 the update is a contiguous axpy
 * that the compiler vectorises. Rows are independent, so threads split
 * them and the result does not depend on the thread count.
 */
#include <stdlib.h>

#include "core/threadpool.h"
#include "ops/conv/conv_common.h"
#include "ops/conv/conv_engines.h"

enum imp_status imp_conv_forward_geometry(const struct imp_node *node,
                                          const struct imp_tensor *const *in,
                                          int n_in, struct imp_conv_geom *g,
                                          struct imp_error *err)
{
    enum imp_status st = imp_conv_geometry(node, in, n_in, false, g, err);
    if (st == IMP_OK)
        st = imp_window_forward(&g->w, false, err);
    return st;
}

static enum imp_status conv_infer(struct imp_infer_ctx *c)
{
    struct imp_conv_geom g;
    enum imp_status st = imp_conv_forward_geometry(c->node, c->in, c->n_in, &g, c->err);
    if (st != IMP_OK)
        return st;
    IMP_CHECK(c, c->n_out == 1, IMP_ERR_FORMAT, "Conv has %d outputs; 1 expected",
              c->n_out);
    c->out[0].dtype = IMP_DTYPE_F32;
    imp_conv_output_shape(&g, &c->out[0].shape);
    return IMP_OK;
}

static enum imp_status conv_prepare(const struct imp_kernel_args *a, void **state,
                                    size_t *scratch_bytes, struct imp_error *err)
{
    return imp_conv_prepare_geometry(a, imp_conv_forward_geometry, state, scratch_bytes, err);
}

struct conv_task {
    const struct imp_conv_geom *g;
    const float *x, *w, *b;
    float *y;
};

static void conv_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct conv_task *t = ctx;
    const struct imp_conv_geom *g = t->g;
    const struct imp_window *w = &g->w;
    const int64_t ID = w->in[0], IH = w->in[1], IW = w->in[2];
    const int64_t OD = w->out[0], OH = w->out[1], OW = w->out[2];
    const int64_t KD = w->k[0], KH = w->k[1], KW = w->k[2];
    const int64_t sw = w->s[2], dw = w->d[2], pw = w->pb[2];
    (void)thread;
    for (size_t r = begin; r < end; r++) {
        int64_t rest = (int64_t)r;
        const int64_t oh = rest % OH;
        rest /= OH;
        const int64_t od = rest % OD;
        rest /= OD;
        const int64_t m = rest % g->m, n = rest / g->m;
        const int64_t grp = m / g->mg;
        float *y = t->y + (int64_t)r * OW;
        const float bias = t->b ? t->b[m] : 0.0f;
        for (int64_t ow = 0; ow < OW; ow++)
            y[ow] = bias;
        for (int64_t c = 0; c < g->cg; c++) {
            const float *xc = t->x + (n * g->c + grp * g->cg + c) * ID * IH * IW;
            const float *wc = t->w + (m * g->cg + c) * KD * KH * KW;
            for (int64_t kd = 0; kd < KD; kd++) {
                const int64_t id = od * w->s[0] + kd * w->d[0] - w->pb[0];
                if (id < 0 || id >= ID)
                    continue;
                for (int64_t kh = 0; kh < KH; kh++) {
                    const int64_t ih = imp_conv_pad_source(
                        g->pad_mode, oh * w->s[1] + kh * w->d[1] - w->pb[1], IH);
                    if (ih < 0)
                        continue;
                    const float *xr = xc + (id * IH + ih) * IW;
                    const float *wk = wc + (kd * KH + kh) * KW;
                    for (int64_t kw = 0; kw < KW; kw++) {
                        const int64_t off = kw * dw - pw;
                        if (g->pad_mode != IMP_CONV_PAD_ZEROS) {
                            /* Every tap reads a pixel: the border's own. */
                            for (int64_t ow = 0; ow < OW; ow++)
                                y[ow] += wk[kw] * xr[imp_conv_pad_source(g->pad_mode,
                                                                         ow * sw + off, IW)];
                            continue;
                        }
                        /* Output columns whose tap lands inside the row. */
                        int64_t lo = off >= 0 ? 0 : imp_ceil_div(-off, sw);
                        int64_t hi = imp_floor_div(IW - 1 - off, sw) + 1;
                        if (hi > OW)
                            hi = OW;
                        const float wv = wk[kw];
                        if (sw == 1) {
                            for (int64_t ow = lo; ow < hi; ow++)
                                y[ow] += wv * xr[ow + off];
                        } else {
                            for (int64_t ow = lo; ow < hi; ow++)
                                y[ow] += wv * xr[ow * sw + off];
                        }
                    }
                }
            }
        }
        imp_activation_apply(&g->act, y, OW);
    }
}

static void conv_run(const struct imp_kernel_args *a)
{
    const struct imp_conv_geom *g = a->state;
    struct conv_task t = {
        .g = g, .x = a->in[0]->data, .w = a->in[1]->data,
        .b = g->has_bias ? a->in[2]->data : NULL, .y = a->out[0]->data};
    const struct imp_window *w = &g->w;
    int64_t rows = g->n * g->m * w->out[0] * w->out[1];
    int64_t row_macs = w->out[2] * g->cg * w->k[0] * w->k[1] * w->k[2];
    imp_parallel_for(a->pool, (size_t)rows, imp_conv_grain(row_macs), conv_rows, &t);
}

static const struct imp_engine conv_ref = {
    .name = "ref", .prepare = conv_prepare, .run = conv_run,
    .release = imp_conv_release};
/* Best first: each fast engine declines the nodes it cannot take. */
static const struct imp_engine *const conv_engines[] = {
    &imp_conv_dw_blocked_engine, &imp_conv_depthwise_engine, &imp_conv_winograd_engine,
    &imp_conv_wide_engine,
    &imp_conv_direct_engine,    &imp_conv_pointwise_engine, &imp_conv_gemm_engine,
    &conv_ref,
    NULL};
const struct imp_op_def imp_opdef_CONV = {.infer = conv_infer, .engines = conv_engines};
