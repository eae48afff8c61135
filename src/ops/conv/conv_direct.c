/*
 * Conv engine "direct": 2-D convolution without im2col, by register-blocked
 * output tiles (kernels/conv_rows.h). It takes the layers GEMM serves
 * badly: wide kernels over few channels (9x9 3->32, 9x9 32->3), where
 * im2col copies every input pixel 81 times, and strided convolutions,
 * where it copies each one 2 to 3 times. It leaves 1x1 and grouped convs,
 * and many channels over a narrow image, to GEMM; Winograd comes first
 * for 3x3 stride 1.
 *
 * Work items are bands of output rows; a band computes every output
 * channel block, so the input rows under it are reused from cache, and
 * each kernel call covers a chunk of input channels whose rows in the
 * band fit L1 (later chunks add to what the earlier ones stored). When
 * the conv pads or strides horizontally, the band first stages the input
 * rows it needs into per-thread scratch: padded with zeros, and split
 * into `stride` column phases (phase p holds columns p, p + s, p + 2s...),
 * which turns every tap into a unit-stride run. A Conv whose padding
 * repeats or reflects the border (`pad_mode`, a Pad fused in) is staged
 * the same way with those values in place of the zeros, so the Pad node
 * and its copy of the tensor are gone. Otherwise the kernel reads
 * the image in place. Every output value is summed in the same order
 * whatever the band and thread split, so results do not depend on the
 * thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/conv_rows.h"
#include "ops/conv/conv_common.h"
#include "ops/conv/conv_engines.h"

#define DIRECT_MAX_TAPS 1024
/* Staged rows of one band: about this many bytes per thread (L2). */
#define DIRECT_STAGE_BYTES (192 * 1024)
#define DIRECT_MAX_BAND 16
#define DIRECT_L1_BYTES (32 * 1024)
#define DIRECT_MIN_STEPS 64

struct conv_direct {
    imp_conv_rows_fn rows;
    imp_conv_split2_fn split2;
    int64_t n, c, m, ih, iw, oh, ow, taps;
    int64_t kh, sh, sw, dh, pt, pl;
    enum imp_conv_pad_mode pad_mode;
    int64_t padded_w; /* pl + iw + right pad */
    int64_t blocks;   /* output channel blocks of IMP_CONV_ROWS_BLOCK */
    int64_t band;     /* output rows per work item */
    int64_t chunk;    /* input channels per kernel call */
    bool staged;
    int64_t stage_rows, phase_len, row_len; /* staged layout, per channel */
    size_t stage_floats;                    /* per thread */
    float *w, *bias;                        /* packed by block */
    ptrdiff_t *tap_off;
    ptrdiff_t x_chan, x_row;
    struct imp_activation act; /* fused, applied to each block of a band */
};

static bool direct_geometry(const struct imp_kernel_args *a, struct imp_conv_geom *g,
                            struct imp_error *err)
{
    return imp_conv_forward_geometry(a->node, a->in, a->n_in, g, err) == IMP_OK;
}

static bool conv_direct_supports(const struct imp_kernel_args *a)
{
    /* Weights and bias are packed in prepare: both must be constants. */
    if (a->in[0]->shape.rank != 4 || !a->in[1]->data ||
        (a->n_in > 2 && a->in[2] && !a->in[2]->data))
        return false;
    struct imp_conv_geom g;
    if (!direct_geometry(a, &g, NULL))
        return false;
    const struct imp_window *w = &g.w;
    const int ax = IMP_WIN_AXES - 2;
    const int64_t taps = w->k[ax] * w->k[ax + 1];
    /* 1x1 is a plain GEMM; depthwise and grouped layers go elsewhere. */
    if (g.group != 1 || g.c < 1 || taps < 2 || taps > DIRECT_MAX_TAPS)
        return false;
    /* Many channels over a narrow image: a row makes few tiles, and GEMM's
     * bigger register block wins (128->256 3x3 at 28 wide: 64 vs 80
     * GFLOP/s). */
    if (g.m >= 128 && g.c * taps >= 512 && w->out[ax + 1] < 32 &&
        g.pad_mode == IMP_CONV_PAD_ZEROS) /* gemm pads with zeros only */
        return false;
    for (int i = ax; i < ax + 2; i++)
        if (w->s[i] > 4 || w->pb[i] < 0 || w->pe[i] < 0 || w->pb[i] > 64 ||
            w->pe[i] > 64)
            return false;
    return true;
}

static void conv_direct_release(void *state)
{
    struct conv_direct *s = state;
    if (!s)
        return;
    imp_aligned_free(s->w);
    imp_aligned_free(s->bias);
    free(s->tap_off);
    free(s);
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
    *state = s;
    const struct imp_window *win = &g.w;
    const int ax = IMP_WIN_AXES - 2;
    const int64_t kh = win->k[ax], kw = win->k[ax + 1];
    *s = (struct conv_direct){
        .rows = imp_conv_rows_for(a->isa), .split2 = imp_conv_split2_for(a->isa), .n = g.n, .c = g.c, .m = g.m,
        .ih = win->in[ax], .iw = win->in[ax + 1], .oh = win->out[ax],
        .ow = win->out[ax + 1], .taps = kh * kw, .kh = kh, .sh = win->s[ax],
        .sw = win->s[ax + 1], .dh = win->d[ax], .pt = win->pb[ax],
        .pl = win->pb[ax + 1], .pad_mode = g.pad_mode,
        .padded_w = win->pb[ax + 1] + win->in[ax + 1] + win->pe[ax + 1], .act = g.act};
    imp_activation_bind(&s->act, a->isa);
    const int64_t dw = win->d[ax + 1];
    s->blocks = (g.m + IMP_CONV_ROWS_BLOCK - 1) / IMP_CONV_ROWS_BLOCK;
    s->staged = s->sw != 1 || s->pt || s->pl || win->pe[ax] || win->pe[ax + 1];

    /* Weights as [block][c][tap][IMP_CONV_ROWS_BLOCK]: the kernel's
     * broadcasts then walk memory in order. Missing channels are zeros. */
    const size_t block_floats = (size_t)(g.c * s->taps * IMP_CONV_ROWS_BLOCK);
    s->w = imp_aligned_alloc(sizeof(float) * block_floats * (size_t)s->blocks);
    s->bias = imp_aligned_alloc(sizeof(float) * IMP_CONV_ROWS_BLOCK * (size_t)s->blocks);
    s->tap_off = malloc(sizeof(ptrdiff_t) * (size_t)(s->taps * g.c));
    if (!s->w || !s->bias || !s->tap_off)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory packing weights");
    const float *w = a->in[1]->data;
    const float *b = g.has_bias ? a->in[2]->data : NULL;
    for (int64_t blk = 0; blk < s->blocks; blk++) {
        float *dst = s->w + (size_t)blk * block_floats;
        for (int64_t c = 0; c < g.c; c++)
            for (int64_t t = 0; t < s->taps; t++)
                for (int64_t k = 0; k < IMP_CONV_ROWS_BLOCK; k++) {
                    int64_t m = blk * IMP_CONV_ROWS_BLOCK + k;
                    *dst++ = m < g.m ? w[(m * g.c + c) * s->taps + t] : 0.0f;
                }
        for (int64_t k = 0; k < IMP_CONV_ROWS_BLOCK; k++) {
            int64_t m = blk * IMP_CONV_ROWS_BLOCK + k;
            s->bias[blk * IMP_CONV_ROWS_BLOCK + k] = b && m < g.m ? b[m] : 0.0f;
        }
    }

    int64_t row_floats; /* one input row as the kernel reads it */
    /* A few bands per thread for balance. Band and chunk sizes change
     * only how the work is cut, never the order of any output's sum. */
    const int64_t threads = imp_threadpool_size(a->pool);
    int64_t max_band = s->oh / (4 * (threads > 0 ? threads : 1));
    max_band = max_band < 1 ? 1 : max_band > DIRECT_MAX_BAND ? DIRECT_MAX_BAND : max_band;
    if (s->staged) {
        /* Each staged row holds `sw` phases of phase_len columns, enough
         * for the padded row; tap (ky, kx) of output column ox reads phase
         * (kx*dw) % sw at index ox + (kx*dw) / sw. A band's staged rows
         * should stay in L2 while every channel block reads them. */
        const int64_t padded_w = s->pl + s->iw + win->pe[ax + 1];
        s->phase_len = (padded_w + s->sw - 1) / s->sw;
        s->row_len = s->phase_len * s->sw;
        row_floats = s->row_len;
        int64_t band = DIRECT_MAX_BAND;
        for (; band > 1; band--) {
            int64_t rows = (band - 1) * s->sh + (kh - 1) * s->dh + 1;
            if ((size_t)(rows * s->row_len * g.c) * sizeof(float) <= DIRECT_STAGE_BYTES)
                break;
        }
        s->band = band < max_band ? band : max_band;
        s->stage_rows = (s->band - 1) * s->sh + (kh - 1) * s->dh + 1;
        s->stage_floats = (size_t)(s->stage_rows * s->row_len * g.c);
        s->stage_floats = (s->stage_floats + 15) & ~(size_t)15;
        s->x_chan = (ptrdiff_t)(s->stage_rows * s->row_len);
        s->x_row = (ptrdiff_t)(s->sh * s->row_len);
        *scratch = sizeof(float) * s->stage_floats * (size_t)imp_threadpool_size(a->pool);
    } else {
        /* Tall bands let a channel's rows serve many output rows from L1. */
        s->band = max_band;
        row_floats = s->iw;
        s->x_chan = (ptrdiff_t)(s->ih * s->iw);
        s->x_row = (ptrdiff_t)(s->sh * s->iw);
        *scratch = 0;
    }
    for (int64_t c = 0; c < g.c; c++)
        for (int64_t ky = 0; ky < kh; ky++)
            for (int64_t kx = 0; kx < kw; kx++)
                s->tap_off[(c * kh + ky) * kw + kx] =
                    (ptrdiff_t)(c * s->x_chan + ky * s->dh * row_floats +
                                (kx * dw) % s->sw * s->phase_len + (kx * dw) / s->sw);
    /* Input channels per kernel call: the rows of the band they read (and
     * their weights) should fit L1, so each row is fetched from L2 once
     * per band rather than once per output row. */
    const int64_t band_rows = (s->band - 1) * s->sh + (kh - 1) * s->dh + 1;
    const int64_t per_channel =
        (int64_t)sizeof(float) * (band_rows * row_floats + s->taps * IMP_CONV_ROWS_BLOCK);
    int64_t chunk = DIRECT_L1_BYTES / per_channel;
    /* ...but enough steps per call to amortise loading the accumulators */
    const int64_t min_chunk = (DIRECT_MIN_STEPS + s->taps - 1) / s->taps;
    chunk = chunk < min_chunk ? min_chunk : chunk;
    chunk = chunk > g.c ? g.c : chunk;
    const int64_t chunks = (g.c + chunk - 1) / chunk; /* even chunks */
    s->chunk = (g.c + chunks - 1) / chunks;
    return IMP_OK;
}

struct direct_job {
    const struct conv_direct *s;
    const float *x; /* one image */
    float *y;
    float *scratch;
};

/* Splits input row src into the staged row d: its column phases, with
 * zeros for the padding. */
static void split_row(const struct conv_direct *s, const float *src, float *d)
{
    if (s->sw == 1) {
        memset(d, 0, sizeof(float) * (size_t)s->pl);
        memcpy(d + s->pl, src, sizeof(float) * (size_t)s->iw);
        memset(d + s->pl + s->iw, 0,
               sizeof(float) * (size_t)(s->row_len - s->pl - s->iw));
        return;
    }
    if (s->sw == 2) {
        /* Input column i lands in phase (i + pl) % 2 at index
         * (i + pl) / 2: with pl even the input's even columns make
         * phase 0, with pl odd phase 1. */
        if (s->pl || s->row_len != s->iw)
            memset(d, 0, sizeof(float) * (size_t)s->row_len);
        float *ph0 = d + s->pl / 2, *ph1 = d + s->phase_len + s->pl / 2;
        if (s->pl % 2) {
            ph0 = d + s->phase_len + (s->pl - 1) / 2;
            ph1 = d + (s->pl + 1) / 2;
        }
        s->split2(src, s->iw / 2, ph0, ph1);
        if (s->iw % 2)
            ph0[s->iw / 2] = src[s->iw - 1];
        return;
    }
    for (int64_t p = 0; p < s->sw; p++) {
        /* Phase p, index j holds padded column j*sw + p, input
         * column j*sw + p - pl: inside for j in [lo, hi). */
        float *dp = d + p * s->phase_len;
        int64_t lo = imp_ceil_div(s->pl - p, s->sw);
        int64_t hi = imp_floor_div(s->iw - 1 + s->pl - p, s->sw) + 1;
        lo = lo < 0 ? 0 : lo;
        hi = hi > s->phase_len ? s->phase_len : hi;
        hi = hi < lo ? lo : hi;
        for (int64_t j = 0; j < lo; j++)
            dp[j] = 0.0f;
        const float *sp = src + lo * s->sw + p - s->pl;
        for (int64_t j = 0; j < hi - lo; j++)
            dp[lo + j] = sp[j * s->sw];
        for (int64_t j = hi; j < s->phase_len; j++)
            dp[j] = 0.0f;
    }
}

/* With a pad_mode, the border's pixels over split_row's zeros: padded
 * column j is phase j % sw, index j / sw. */
static void stage_border(const struct conv_direct *s, const float *src, float *d)
{
    for (int64_t j = 0; j < s->padded_w; j++) {
        if (j == s->pl)
            j += s->iw; /* the picture itself is in place */
        if (j >= s->padded_w)
            break;
        d[j % s->sw * s->phase_len + j / s->sw] =
            src[imp_conv_pad_source(s->pad_mode, j - s->pl, s->iw)];
    }
}

/* Copies the padded input rows [row0, row0 + rows) of every channel into
 * the staged layout: zeros for the padding, or the border's pixels for a
 * pad_mode. */
static void stage(const struct conv_direct *s, const float *x, int64_t row0,
                  int64_t rows, float *dst)
{
    for (int64_t c = 0; c < s->c; c++) {
        for (int64_t r = 0; r < rows; r++) {
            float *d = dst + (c * s->stage_rows + r) * s->row_len;
            const int64_t iy = imp_conv_pad_source(s->pad_mode, row0 + r - s->pt, s->ih);
            if (iy < 0) {
                memset(d, 0, sizeof(float) * (size_t)s->row_len);
                continue;
            }
            const float *src = x + (c * s->ih + iy) * s->iw;
            split_row(s, src, d);
            if (s->pad_mode != IMP_CONV_PAD_ZEROS)
                stage_border(s, src, d);
        }
    }
}

static void direct_bands(void *ctx, size_t begin, size_t end, int thread)
{
    const struct direct_job *j = ctx;
    const struct conv_direct *s = j->s;
    for (size_t item = begin; item < end; item++) {
        const int64_t oy = (int64_t)item * s->band;
        const int64_t rows = s->oh - oy < s->band ? s->oh - oy : s->band;
        struct imp_conv_rows_args args = {
            .x_row = s->x_row, .y_chan = (ptrdiff_t)(s->oh * s->ow), .ow = s->ow,
            .rows = rows};
        if (s->staged) {
            float *buf = j->scratch + (size_t)thread * s->stage_floats;
            stage(s, j->x, oy * s->sh, (rows - 1) * s->sh + (s->kh - 1) * s->dh + 1, buf);
            args.x = buf;
        } else {
            args.x = j->x + oy * s->sh * s->iw;
        }
        for (int64_t blk = 0; blk < s->blocks; blk++) {
            const int64_t m0 = blk * IMP_CONV_ROWS_BLOCK;
            args.mb = s->m - m0 < IMP_CONV_ROWS_BLOCK ? (int)(s->m - m0) : IMP_CONV_ROWS_BLOCK;
            args.w = s->w + blk * s->c * s->taps * IMP_CONV_ROWS_BLOCK;
            args.bias = s->bias + blk * IMP_CONV_ROWS_BLOCK;
            args.y = j->y + (m0 * s->oh + oy) * s->ow;
            const float *w = args.w;
            for (int64_t c0 = 0; c0 < s->c; c0 += s->chunk) {
                const int64_t cc = s->c - c0 < s->chunk ? s->c - c0 : s->chunk;
                args.steps = cc * s->taps;
                args.tap_off = s->tap_off + c0 * s->taps;
                args.w = w + c0 * s->taps * IMP_CONV_ROWS_BLOCK;
                args.accumulate = c0 > 0;
                s->rows(&args);
            }
            /* The block's rows are contiguous per channel. */
            imp_activation_apply_rows(&s->act, args.y, args.mb, rows * s->ow, s->oh * s->ow);
        }
    }
}

static void conv_direct_run(const struct imp_kernel_args *a)
{
    const struct conv_direct *s = a->state;
    const size_t bands = (size_t)((s->oh + s->band - 1) / s->band);
    for (int64_t n = 0; n < s->n; n++) {
        struct direct_job job = {
            .s = s,
            .x = (const float *)a->in[0]->data + n * s->c * s->ih * s->iw,
            .y = (float *)a->out[0]->data + n * s->m * s->oh * s->ow,
            .scratch = a->scratch};
        imp_parallel_for(a->pool, bands, 1, direct_bands, &job);
    }
}

const struct imp_engine imp_conv_direct_engine = {
    .name = "direct",
    .supports = conv_direct_supports,
    .prepare = conv_direct_prepare,
    .run = conv_direct_run,
    .release = conv_direct_release,
};
