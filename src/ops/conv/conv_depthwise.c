/*
 * Conv engine "depthwise": 2-D convolutions with one input channel per
 * group (group == C, M a multiple of C), the 3x3 and 5x5 layers of
 * MobileNet-style networks. GEMM serves them badly: each output channel
 * is a 1-row matrix product over 9 or 25 taps, so im2col copies the
 * image 9-25 times for almost no arithmetic.
 *
 * Here a work item is a band of output rows of one output channel, items
 * ordered band by band (every channel's top band first), so that the
 * pool's two ends (core/threadpool.c) are the top and the bottom of
 * the picture, as in the pointwise convs around it. The
 * band's input rows are staged into per-thread scratch (padded with
 * zeros and split into `stride` column phases, so every tap of a stride-2
 * conv is a unit-stride run), sized to stay in L1, and each output row is
 * computed by the row kernel (kernels/dwconv.h): vectors of outputs,
 * every tap an FMA of a broadcast weight with a shifted load. Convs
 * without padding or horizontal stride read the image in place. Every
 * output is summed in the same order (bias, then taps in order) whatever
 * the band and thread split, so results do not depend on the thread
 * count.
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/dwconv.h"
#include "ops/conv/conv_common.h"
#include "ops/conv/conv_engines.h"

#define DW_MAX_K 16
#define DW_MAX_STRIDE 4
#define DW_MAX_PAD 64
/* Staged rows of one band: about this many bytes (L1). */
#define DW_STAGE_BYTES (24 * 1024)
/* Below this many multiply-adds (some 20 us on one core) a layer runs on
 * the calling thread alone. */
#define DW_MIN_PARALLEL_MACS (64 * 1024)

struct conv_dw {
    const struct imp_dwconv_kernels *k;
    int64_t planes, m, mult, ih, iw, oh, ow, taps;
    int64_t kh, sh, sw, dh, pt, pl;
    bool staged, has_bias;
    int64_t band, bands;           /* output rows per work item; items per plane */
    int64_t phase_len, row_len;    /* staged layout of one input row */
    size_t stage_floats;           /* per thread */
    ptrdiff_t *off;                /* per tap, from the row under output row 0 */
    struct imp_activation act;     /* fused, applied to each band as stored */
};

static bool conv_dw_supports(const struct imp_kernel_args *a)
{
    if (!imp_conv_pads_zeros(a->node))
        return false;
    if (a->in[0]->shape.rank != 4)
        return false;
    struct imp_conv_geom g;
    if (imp_conv_forward_geometry(a->node, a->in, a->n_in, &g, NULL) != IMP_OK)
        return false;
    if (g.cg != 1 || g.group != g.c)
        return false;
    const struct imp_window *w = &g.w;
    for (int i = IMP_WIN_AXES - 2; i < IMP_WIN_AXES; i++)
        if (w->k[i] > DW_MAX_K || w->s[i] > DW_MAX_STRIDE || w->d[i] > DW_MAX_STRIDE ||
            w->pb[i] < 0 || w->pe[i] < 0 || w->pb[i] > DW_MAX_PAD || w->pe[i] > DW_MAX_PAD ||
            w->out[i] < 1)
            return false;
    return true;
}

static void conv_dw_release(void *state)
{
    struct conv_dw *s = state;
    if (!s)
        return;
    free(s->off);
    free(s);
}

static enum imp_status conv_dw_prepare(const struct imp_kernel_args *a, void **state,
                                       size_t *scratch, struct imp_error *err)
{
    struct imp_conv_geom g;
    enum imp_status st = imp_conv_forward_geometry(a->node, a->in, a->n_in, &g, err);
    if (st != IMP_OK)
        return st;
    struct conv_dw *s = calloc(1, sizeof *s);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = s;
    const struct imp_window *win = &g.w;
    const int ax = IMP_WIN_AXES - 2;
    const int64_t kh = win->k[ax], kw = win->k[ax + 1];
    const int64_t sw = win->s[ax + 1], dw = win->d[ax + 1];
    *s = (struct conv_dw){
        .k = imp_dwconv_kernels_for(a->isa), .planes = g.n * g.m, .m = g.m, .mult = g.mg,
        .ih = win->in[ax], .iw = win->in[ax + 1], .oh = win->out[ax],
        .ow = win->out[ax + 1], .taps = kh * kw, .kh = kh, .sh = win->s[ax], .sw = sw,
        .dh = win->d[ax], .pt = win->pb[ax], .pl = win->pb[ax + 1],
        .has_bias = g.has_bias, .act = g.act};
    imp_activation_bind(&s->act, a->isa);
    /* Columns the taps reach, from the first padded one. */
    const int64_t need_w = (s->ow - 1) * sw + (kw - 1) * dw + 1;
    const int64_t need_h = (s->oh - 1) * s->sh + (kh - 1) * s->dh + 1;
    s->staged = !(sw == 1 && s->pt == 0 && s->pl == 0 && need_w <= s->iw && need_h <= s->ih);
    if (s->staged) {
        /* Phases start on 32-byte boundaries (the scratch is 64-byte
         * aligned): the unshifted taps' loads then split no cache line. */
        s->phase_len = ((need_w + sw - 1) / sw + 7) & ~(int64_t)7;
        s->row_len = s->phase_len * sw;
    } else {
        s->phase_len = s->row_len = s->iw;
    }
    s->off = malloc(sizeof(ptrdiff_t) * (size_t)s->taps);
    if (!s->off)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    for (int64_t ky = 0; ky < kh; ky++)
        for (int64_t kx = 0; kx < kw; kx++)
            s->off[ky * kw + kx] = (ptrdiff_t)(ky * s->dh * s->row_len +
                                               (kx * dw) % sw * s->phase_len +
                                               (kx * dw) / sw);
    /* The tallest band whose staged rows fit DW_STAGE_BYTES (at least one
     * row), but a few bands per thread when the planes are few. */
    int64_t band = s->oh;
    while (band > 1 &&
           (size_t)(((band - 1) * s->sh + (kh - 1) * s->dh + 1) * s->row_len) * sizeof(float) >
               DW_STAGE_BYTES)
        band = (band + 1) / 2;
    const int64_t threads = imp_threadpool_size(a->pool);
    while (band > 1 && s->planes * ((s->oh + band - 1) / band) < 4 * threads)
        band = (band + 1) / 2;
    s->band = band;
    s->bands = (s->oh + band - 1) / band;
    if (s->staged) {
        const int64_t rows = (band - 1) * s->sh + (kh - 1) * s->dh + 1;
        s->stage_floats = ((size_t)(rows * s->row_len) + 15) & ~(size_t)15;
        *scratch = sizeof(float) * s->stage_floats * (size_t)(threads > 0 ? threads : 1);
    } else {
        *scratch = 0;
    }
    return IMP_OK;
}

struct dw_job {
    const struct conv_dw *s;
    const float *x, *w, *b;
    float *y, *scratch;
};

static void dw_bands(void *ctx, size_t begin, size_t end, int thread)
{
    const struct dw_job *j = ctx;
    const struct conv_dw *s = j->s;
    const struct imp_dwconv_kernels *k = s->k;
    float *buf = s->staged ? j->scratch + (size_t)thread * s->stage_floats : NULL;
    for (size_t item = begin; item < end; item++) {
        /* Output plane p = n * M + m reads input plane n * C + m / mult,
         * which is p / mult since M = C * mult. */
        const int64_t p = (int64_t)item % s->planes;
        const int64_t o0 = (int64_t)item / s->planes * s->band;
        const int64_t rows = s->oh - o0 < s->band ? s->oh - o0 : s->band;
        const int64_t m = p % s->m;
        const float *x = j->x + p / s->mult * s->ih * s->iw;
        const float *w = j->w + m * s->taps;
        const float bias = j->b ? j->b[m] : 0.0f;
        float *y = j->y + (p * s->oh + o0) * s->ow;
        const float *base;
        if (s->staged) {
            k->stage(x, s->ih, s->iw, o0 * s->sh - s->pt,
                     (rows - 1) * s->sh + (s->kh - 1) * s->dh + 1, s->pl, s->sw,
                     s->phase_len, buf);
            base = buf;
        } else {
            base = x + o0 * s->sh * s->iw;
        }
        k->rows(base, (ptrdiff_t)(s->sh * s->row_len), s->off, w, s->taps, bias, y,
                (ptrdiff_t)s->ow, s->ow, rows);
        imp_activation_apply(&s->act, y, rows * s->ow);
    }
}

static void conv_dw_run(const struct imp_kernel_args *a)
{
    const struct conv_dw *s = a->state;
    struct dw_job j = {.s = s, .x = a->in[0]->data, .w = a->in[1]->data,
                       .b = s->has_bias ? a->in[2]->data : NULL,
                       .y = a->out[0]->data, .scratch = a->scratch};
    const size_t items = (size_t)(s->planes * s->bands);
    size_t grain = imp_conv_grain(s->band * s->ow * s->taps);
    /* A layer this small finishes before a sleeping worker wakes up. */
    if (s->planes * s->oh * s->ow * s->taps < DW_MIN_PARALLEL_MACS)
        grain = items;
    imp_parallel_for(a->pool, items, grain, dw_bands, &j);
}

const struct imp_engine imp_conv_depthwise_engine = {
    .name = "depthwise", .supports = conv_dw_supports, .prepare = conv_dw_prepare,
    .run = conv_dw_run, .release = conv_dw_release};
