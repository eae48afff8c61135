/*
 * ConvTranspose (ONNX): the gradient of Conv with respect to its input.
 * Each input pixel scatters W[c, m, k] into output pixel i*s + k*d - pad.
 *
 * Output size and padding. Full size along an axis is
 *   full = s*(in-1) + output_padding + (k-1)*d + 1;
 * the output is the window [pb, pb + out) of it. With output_shape given,
 * or with SAME_* (out = in*s), total = full - out is split as the ONNX
 * text says: SAME_UPPER puts the odd unit at the end, everything else
 * (NOTSET, VALID, SAME_LOWER) at the start. ONNX Runtime 1.30 agrees
 * (tests/data/goldens convtranspose_shape_*); ONNX Runtime before about
 * 1.10 put it at the end for NOTSET. A requested output larger than full
 * (total < 0, the Johnson nets' 362 from 180) starts at 0 and extends past
 * the end, where only the bias lands. Without output_shape, VALID uses no
 * padding and NOTSET the explicit pads.
 *
 * `crop` (impasto's, added by the fold_crop pass; ONNX pads layout, begins
 * then ends) cuts that many more outputs off each side afterwards: a
 * legacy Crop after the layer, folded in so that the cut-off pixels are
 * never computed or copied.
 *
 * The reference engine gathers rather than scatters, so each thread owns
 * whole output rows: for output row (n, m, od, oh), the kernel taps with
 * od + pb - kd*d divisible by s select the input rows that reach it.
 */
#include "ops/conv/conv_common.h"
#include "ops/conv/conv_engines.h"

#include <stdlib.h>

#include "core/threadpool.h"

static enum imp_status read_ints(const struct imp_node *node, const char *name,
                                 int *count, int64_t *dst, int max, int64_t lo,
                                 int64_t hi, struct imp_error *err)
{
    const struct imp_attr *a = imp_node_attr(node, name);
    *count = 0;
    if (!a)
        return IMP_OK;
    if (a->type != IMP_ATTR_INTS || a->n > max)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "%s must be a list of at most %d ints", name, max);
    for (int i = 0; i < a->n; i++) {
        if (a->ints[i] < lo || a->ints[i] > hi)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "%s[%d] = %lld is out of range [%lld, %lld]", name, i,
                            (long long)a->ints[i], (long long)lo, (long long)hi);
        dst[i] = a->ints[i];
    }
    *count = a->n;
    return IMP_OK;
}

enum imp_status imp_conv_transpose_geometry(const struct imp_node *node,
                                            const struct imp_tensor *const *in,
                                            int n_in, struct imp_conv_geom *g,
                                            struct imp_error *err)
{
    enum imp_status st = imp_conv_geometry(node, in, n_in, true, g, err);
    if (st != IMP_OK)
        return st;
    struct imp_window *w = &g->w;
    const int nsp = w->nsp, off = IMP_WIN_AXES - nsp;
    int64_t opad[IMP_WIN_AXES + 2] = {0}, oshape[IMP_WIN_AXES + 2];
    int n_opad, n_oshape;
    st = read_ints(node, "output_padding", &n_opad, opad, IMP_WIN_AXES + 2, 0,
                   IMP_WIN_ATTR_MAX, err);
    if (st != IMP_OK)
        return st;
    if (n_opad != 0 && n_opad != nsp)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "output_padding has %d values; %d expected", n_opad, nsp);
    st = read_ints(node, "output_shape", &n_oshape, oshape, IMP_WIN_AXES + 2, 1,
                   IMP_WIN_DIM_MAX, err);
    if (st != IMP_OK)
        return st;
    if (n_oshape != 0 && n_oshape != nsp && n_oshape != nsp + 2)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "output_shape has %d values; %d (spatial) or %d expected",
                        n_oshape, nsp, nsp + 2);
    /* A full [N, C, ...] output_shape: batch and channels come from X and W. */
    const int64_t *os = n_oshape == nsp + 2 ? oshape + 2 : oshape;
    int64_t crop[2 * IMP_WIN_AXES] = {0};
    int n_crop;
    st = read_ints(node, "crop", &n_crop, crop, 2 * IMP_WIN_AXES, 0, IMP_WIN_DIM_MAX, err);
    if (st != IMP_OK)
        return st;
    if (n_crop != 0 && n_crop != 2 * nsp)
        return imp_fail(err, IMP_ERR_FORMAT, "crop has %d values; %d expected", n_crop,
                        2 * nsp);

    for (int a = 0; a < nsp; a++) {
        const int i = off + a;
        const int64_t full = w->s[i] * (w->in[i] - 1) + opad[a] + imp_window_extent(w, i);
        int64_t out;
        if (n_oshape || w->auto_pad == IMP_AUTO_PAD_SAME_UPPER ||
            w->auto_pad == IMP_AUTO_PAD_SAME_LOWER) {
            out = n_oshape ? os[a] : w->in[i] * w->s[i];
            int64_t total = full - out;
            if (total < 0)
                total = 0;
            w->pb[i] = w->auto_pad == IMP_AUTO_PAD_SAME_UPPER ? total / 2
                                                              : total - total / 2;
        } else if (w->auto_pad == IMP_AUTO_PAD_VALID) {
            w->pb[i] = 0;
            out = full;
        } else {
            out = full - w->pb[i] - w->pe[i];
        }
        w->pb[i] += crop[a];
        out -= crop[a] + crop[nsp + a];
        if (out < 1 || out > IMP_WIN_DIM_MAX)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "output spatial axis %d would have size %lld (input "
                            "%lld, stride %lld, kernel extent %lld, pads %lld+%lld)",
                            a, (long long)out, (long long)w->in[i],
                            (long long)w->s[i], (long long)imp_window_extent(w, i),
                            (long long)w->pb[i], (long long)w->pe[i]);
        w->out[i] = out;
        w->pe[i] = full - out - w->pb[i];
    }
    return IMP_OK;
}

static enum imp_status convt_infer(struct imp_infer_ctx *c)
{
    struct imp_conv_geom g;
    enum imp_status st = imp_conv_transpose_geometry(c->node, c->in, c->n_in, &g, c->err);
    if (st != IMP_OK)
        return st;
    IMP_CHECK(c, c->n_out == 1, IMP_ERR_FORMAT,
              "ConvTranspose has %d outputs; 1 expected", c->n_out);
    c->out[0].dtype = IMP_DTYPE_F32;
    imp_conv_output_shape(&g, &c->out[0].shape);
    return IMP_OK;
}

static enum imp_status convt_prepare(const struct imp_kernel_args *a, void **state,
                                     size_t *scratch_bytes, struct imp_error *err)
{
    return imp_conv_prepare_geometry(a, imp_conv_transpose_geometry, state, scratch_bytes,
                                     err);
}

struct convt_task {
    const struct imp_conv_geom *g;
    const float *x, *w, *b;
    float *y;
};

/* The input index that output index o reads through tap k, or -1. */
static inline int64_t source_index(int64_t o, int64_t k, int64_t s, int64_t d,
                                   int64_t pb, int64_t in)
{
    int64_t t = o + pb - k * d;
    if (t < 0 || t % s != 0 || t / s >= in)
        return -1;
    return t / s;
}

static void convt_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct convt_task *t = ctx;
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
        const int64_t grp = m / g->mg, mm = m % g->mg;
        float *y = t->y + (int64_t)r * OW;
        const float bias = t->b ? t->b[m] : 0.0f;
        for (int64_t ow = 0; ow < OW; ow++)
            y[ow] = bias;
        for (int64_t c = 0; c < g->cg; c++) {
            const int64_t ic = grp * g->cg + c;
            const float *xc = t->x + (n * g->c + ic) * ID * IH * IW;
            const float *wc = t->w + (ic * g->mg + mm) * KD * KH * KW;
            for (int64_t kd = 0; kd < KD; kd++) {
                const int64_t id = source_index(od, kd, w->s[0], w->d[0], w->pb[0], ID);
                if (id < 0)
                    continue;
                for (int64_t kh = 0; kh < KH; kh++) {
                    const int64_t ih =
                        source_index(oh, kh, w->s[1], w->d[1], w->pb[1], IH);
                    if (ih < 0)
                        continue;
                    const float *xr = xc + (id * IH + ih) * IW;
                    const float *wk = wc + (kd * KH + kh) * KW;
                    for (int64_t kw = 0; kw < KW; kw++) {
                        /* Input column iw lands on ow = iw*sw - off. */
                        const int64_t off = pw - kw * dw;
                        int64_t lo = imp_ceil_div(off, sw);
                        int64_t hi = imp_floor_div(OW - 1 + off, sw) + 1;
                        if (lo < 0)
                            lo = 0;
                        if (hi > IW)
                            hi = IW;
                        const float wv = wk[kw];
                        if (sw == 1) {
                            for (int64_t ow = lo - off; ow < hi - off; ow++)
                                y[ow] += wv * xr[ow + off];
                        } else {
                            for (int64_t iw = lo; iw < hi; iw++)
                                y[iw * sw - off] += wv * xr[iw];
                        }
                    }
                }
            }
        }
    }
}

static void convt_run(const struct imp_kernel_args *a)
{
    const struct imp_conv_geom *g = a->state;
    struct convt_task t = {
        .g = g, .x = a->in[0]->data, .w = a->in[1]->data,
        .b = g->has_bias ? a->in[2]->data : NULL, .y = a->out[0]->data};
    const struct imp_window *w = &g->w;
    int64_t rows = g->n * g->m * w->out[0] * w->out[1];
    /* Roughly the taps that reach a row: kernel area over the strides. */
    int64_t row_macs = w->in[2] * g->cg * w->k[1] * w->k[2] / w->s[1];
    imp_parallel_for(a->pool, (size_t)rows, imp_conv_grain(row_macs), convt_rows, &t);
}

static const struct imp_engine convt_ref = {
    .name = "ref", .prepare = convt_prepare, .run = convt_run,
    .release = imp_conv_release};
static const struct imp_engine *const convt_engines[] = {
    &imp_conv_transpose_phase_engine, &imp_conv_transpose_gemm_engine, &convt_ref, NULL};
const struct imp_op_def imp_opdef_CONV_TRANSPOSE = {
    .infer = convt_infer, .engines = convt_engines};
