/*
 * ConvTranspose engine "phase": a strided transposed convolution split
 * into its s*s output phases, each an ordinary correlation.
 *
 * Along one axis (stride s, dilation d, leading pad pb), output o gets
 * tap k from input i = (o + pb - k*d) / s when that divides evenly. Write
 * o = q*s + r: only the taps with k*d = r + pb (mod s) reach phase r, and
 * they read input q + off_k, off_k = (r + pb - k*d) / s. So the outputs of
 * phase (ry, rx) form a small image that is a plain correlation of the
 * input with the phase's sub-kernel (for 3x3 stride 2: 1x1, 1x2, 2x1 and
 * 2x2 taps, nine in all), with no multiplications by the zeros that a
 * zero-stuffed input or a gather over all taps would pay for.
 *
 * Work items are bands of q rows: band [q0, q0 + B) owns output rows
 * [q0*sy, (q0 + B)*sy), so items never share an output. A band stages the
 * input rows its taps read, zero-padded so every tap is an in-bounds
 * unit-stride run; then, per q row, the row kernel (kernels/convt_rows.h)
 * computes every phase and channel block tile by tile and writes the
 * column phases interleaved straight into the output rows. Nothing
 * image-sized is materialised: the staged band sits in L2 beside the
 * packed weights, the input under a tile in L1. Each output sums its taps
 * in one fixed order (channel chunks add to what the earlier ones stored)
 * whatever the band and thread split, so results do not depend on the
 * thread count.
 *
 * It takes 2-D, ungrouped layers with constant weights, strides up to 4,
 * kernels and dilations up to 64 per axis, and any pads, output_padding,
 * output_shape or auto_pad; "gemm" and "ref" get the rest.
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/convt_rows.h"
#include "ops/conv/conv_common.h"
#include "ops/conv/conv_engines.h"

#define PHASE_MAX_K 64 /* kernel extent per axis */
#define PHASE_MAX_TAPS 1024
#define PHASE_MAX_DIM ((int64_t)1 << 24) /* channels, output rows and columns */
/* Staged input rows of one band, with the packed weights that stream
 * through for every tile: about this many bytes per thread (L2). */
#define PHASE_L2_BYTES (448 * 1024)
#define PHASE_MIN_STAGE_BYTES (96 * 1024)
#define PHASE_MAX_STAGE_BYTES (256 * 1024)
#define PHASE_MAX_BAND 16
/* Input channels per kernel call: their input under one tile (span rows
 * of a 25-float run, 2.5 cache lines on average) should stay in L1 while
 * every channel block and phase reads it, beside the next tile's input
 * on its way in. 64 channels of a 3x3 stride-2 layer measured best (83
 * GFLOP/s at 128->64 against 79 for 32 or 128 channels). */
#define PHASE_TILE_L1_BYTES (20 * 1024)
#define PHASE_TILE_ROW_BYTES 160

/* One axis: the taps of each phase, and the input offsets they read. */
struct phase_axis {
    int64_t s, q[IMP_CONVT_MAX_STRIDE];  /* outputs per phase            */
    int ntaps[IMP_CONVT_MAX_STRIDE];     /* taps per phase               */
    int first[IMP_CONVT_MAX_STRIDE];     /* index of its first tap below */
    int64_t k[PHASE_MAX_K], off[PHASE_MAX_K];
    int64_t lo, hi;                      /* smallest and largest offset  */
};

struct convt_phase {
    imp_convt_rows_fn rows;
    int64_t n, c, m, ih, iw, oh, ow, kh, kw;
    struct phase_axis ay, ax;
    int64_t chunk;      /* input channels per kernel call */
    int64_t band;       /* q rows per work item */
    int64_t stage_rows; /* input rows a band reads, per channel */
    int64_t row_len;    /* staged row: input columns from ax.lo on */
    size_t stage_floats; /* per thread, with the kernels' overread */
    float *bias;        /* by IMP_CONVT_BLOCK, zeros past m */
    /* Per phase p = ry*sx + rx: its taps, the offsets of its (channel,
     * tap) steps in the staged band [c][tap], and where its taps start
     * among all kh*kw. */
    int64_t taps[IMP_CONVT_MAX_PHASES], first_tap[IMP_CONVT_MAX_PHASES];
    ptrdiff_t *tap_off[IMP_CONVT_MAX_PHASES];
    /* Weights in the order a kernel call reads them, one stream per tile:
     * [chunk][block][phase][channel of the chunk][tap][IMP_CONVT_BLOCK]. */
    float *w;
};

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

static void axis_init(struct phase_axis *a, int64_t k, int64_t s, int64_t d, int64_t pb,
                      int64_t out)
{
    memset(a, 0, sizeof *a);
    a->s = s;
    int n = 0;
    a->lo = INT64_MAX;
    a->hi = INT64_MIN;
    for (int64_t r = 0; r < s; r++) {
        a->q[r] = out > r ? (out - r + s - 1) / s : 0;
        a->first[r] = n;
        for (int64_t t = 0; t < k; t++) {
            if (floor_mod(r + pb - t * d, s) != 0)
                continue;
            a->k[n] = t;
            a->off[n] = (r + pb - t * d) / s; /* exact */
            a->lo = a->off[n] < a->lo ? a->off[n] : a->lo;
            a->hi = a->off[n] > a->hi ? a->off[n] : a->hi;
            n++;
        }
        a->ntaps[r] = n - a->first[r];
    }
}

static bool phase_supports(const struct imp_kernel_args *a)
{
    /* Weights and bias are packed in prepare: both must be constants. */
    if (a->in[0]->shape.rank != 4 || !a->in[1]->data ||
        (a->n_in > 2 && a->in[2] && !a->in[2]->data))
        return false;
    struct imp_conv_geom g;
    if (imp_conv_transpose_geometry(a->node, a->in, a->n_in, &g, NULL) != IMP_OK)
        return false;
    const struct imp_window *w = &g.w;
    const int ax = IMP_WIN_AXES - 2;
    if (g.group != 1 || g.c < 1 || g.m < 1 || g.n < 1)
        return false;
    /* Bounds that keep the staging and offset arithmetic far from
     * overflow, whatever the model says. */
    if (w->k[ax] * w->k[ax + 1] > PHASE_MAX_TAPS || g.c > PHASE_MAX_DIM ||
        w->out[ax] > PHASE_MAX_DIM || w->out[ax + 1] > PHASE_MAX_DIM)
        return false;
    for (int i = ax; i < ax + 2; i++)
        if (w->in[i] < 1 || w->s[i] > IMP_CONVT_MAX_STRIDE || w->k[i] > PHASE_MAX_K ||
            w->d[i] > PHASE_MAX_K || w->pb[i] > 4096)
            return false;
    /* Many channels over phase rows narrower than two AVX2 vectors: a
     * tile is mostly empty lanes, and "gemm" (which takes any such layer
     * whose column buffer is this small) wins: 128->64 from 12x12 runs
     * at 77 GFLOP/s there against 55 here, from 8x8 at 78 against 45;
     * from 16x16 on, and with 64x64 channels, this engine is as fast or
     * faster. */
    const int64_t qx = (w->out[ax + 1] + w->s[ax + 1] - 1) / w->s[ax + 1];
    const int64_t cols_bytes = (int64_t)sizeof(float) * g.m * w->k[ax] * w->k[ax + 1] *
                               w->in[ax] * w->in[ax + 1];
    if (qx < 16 && g.c * g.m > 4096 && cols_bytes <= ((int64_t)64 << 20))
        return false;
    return true;
}

static void phase_release(void *state)
{
    struct convt_phase *s = state;
    if (!s)
        return;
    for (int p = 0; p < IMP_CONVT_MAX_PHASES; p++)
        free(s->tap_off[p]);
    imp_aligned_free(s->w);
    imp_aligned_free(s->bias);
    free(s);
}

/* The offset of each (channel, tap) step of phase (ry, rx) in the staged
 * band. A phase no tap reaches (kernel 1, stride 2) gets only the bias; it
 * still gets an (unused) array, so the kernels never offset NULL. */
static enum imp_status plan_phase(struct convt_phase *s, int64_t ry, int64_t rx,
                                  struct imp_error *err)
{
    const int p = (int)(ry * s->ax.s + rx);
    const struct phase_axis *ay = &s->ay, *ax = &s->ax;
    const int64_t nty = ay->ntaps[ry], ntx = ax->ntaps[rx];
    s->taps[p] = nty * ntx;
    s->tap_off[p] = malloc(sizeof(ptrdiff_t) * (size_t)(s->c * s->taps[p] + 1));
    if (!s->tap_off[p])
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    const ptrdiff_t chan = (ptrdiff_t)(s->stage_rows * s->row_len);
    for (int64_t c = 0; c < s->c; c++)
        for (int64_t i = 0; i < nty; i++)
            for (int64_t j = 0; j < ntx; j++)
                s->tap_off[p][(c * nty + i) * ntx + j] =
                    (ptrdiff_t)c * chan +
                    (ptrdiff_t)((ay->off[ay->first[ry] + i] - ay->lo) * s->row_len +
                                ax->off[ax->first[rx] + j] - ax->lo);
    return IMP_OK;
}

/* Weight (c, m) of tap t of phase (ry, rx), or 0 past the last channel. */
static float weight(const struct convt_phase *s, const float *w, int64_t ry, int64_t rx,
                    int64_t t, int64_t c, int64_t m)
{
    if (m >= s->m)
        return 0.0f;
    const int64_t ntx = s->ax.ntaps[rx];
    const int64_t ky = s->ay.k[s->ay.first[ry] + t / ntx];
    const int64_t kx = s->ax.k[s->ax.first[rx] + t % ntx];
    return w[((c * s->m + m) * s->kh + ky) * s->kw + kx];
}

static enum imp_status pack_weights(struct convt_phase *s, const float *w,
                                    struct imp_error *err)
{
    const int64_t blocks = (s->m + IMP_CONVT_BLOCK - 1) / IMP_CONVT_BLOCK;
    const int phases = (int)(s->ay.s * s->ax.s);
    s->w = imp_aligned_alloc(sizeof(float) *
                             (size_t)(blocks * s->c * s->kh * s->kw * IMP_CONVT_BLOCK));
    if (!s->w)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory packing weights");
    float *dst = s->w;
    for (int64_t c0 = 0; c0 < s->c; c0 += s->chunk) {
        const int64_t c1 = s->c - c0 < s->chunk ? s->c : c0 + s->chunk;
        for (int64_t blk = 0; blk < blocks; blk++)
            for (int p = 0; p < phases; p++)
                for (int64_t c = c0; c < c1; c++)
                    for (int64_t t = 0; t < s->taps[p]; t++)
                        for (int64_t k = 0; k < IMP_CONVT_BLOCK; k++)
                            *dst++ = weight(s, w, p / s->ax.s, p % s->ax.s, t, c,
                                            blk * IMP_CONVT_BLOCK + k);
    }
    return IMP_OK;
}

static enum imp_status phase_prepare(const struct imp_kernel_args *a, void **state,
                                     size_t *scratch, struct imp_error *err)
{
    struct imp_conv_geom g;
    enum imp_status st = imp_conv_transpose_geometry(a->node, a->in, a->n_in, &g, err);
    if (st != IMP_OK)
        return st;
    struct convt_phase *s = calloc(1, sizeof *s);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = s;
    const struct imp_window *win = &g.w;
    const int ax = IMP_WIN_AXES - 2;
    s->rows = imp_convt_rows_for(a->isa);
    s->n = g.n;
    s->c = g.c;
    s->m = g.m;
    s->ih = win->in[ax];
    s->iw = win->in[ax + 1];
    s->oh = win->out[ax];
    s->ow = win->out[ax + 1];
    s->kh = win->k[ax];
    s->kw = win->k[ax + 1];
    axis_init(&s->ay, s->kh, win->s[ax], win->d[ax], win->pb[ax], s->oh);
    axis_init(&s->ax, s->kw, win->s[ax + 1], win->d[ax + 1], win->pb[ax + 1], s->ow);

    const int64_t blocks = (s->m + IMP_CONVT_BLOCK - 1) / IMP_CONVT_BLOCK;
    s->bias = imp_aligned_alloc(sizeof(float) * IMP_CONVT_BLOCK * (size_t)blocks);
    if (!s->bias)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    const float *b = g.has_bias ? a->in[2]->data : NULL;
    for (int64_t m = 0; m < blocks * IMP_CONVT_BLOCK; m++)
        s->bias[m] = b && m < s->m ? b[m] : 0.0f;

    /* A staged row holds input columns ax.lo .. so that phase rx, tap j,
     * output q reads column q + off_j - ax.lo, inside the row for every q
     * of the widest phase. */
    const int64_t qy = s->ay.q[0], qx = s->ax.q[0];
    s->row_len = qx + s->ax.hi - s->ax.lo;
    const int64_t span = s->ay.hi - s->ay.lo + 1;
    /* The band: a few per thread for balance, staged rows in L2. Its size
     * changes only how the work is cut, never any output's sum. */
    const int64_t weight_bytes = (int64_t)sizeof(float) * s->c * s->kh * s->kw * blocks *
                                 IMP_CONVT_BLOCK;
    int64_t budget = PHASE_L2_BYTES - weight_bytes;
    budget = budget < PHASE_MIN_STAGE_BYTES   ? PHASE_MIN_STAGE_BYTES
             : budget > PHASE_MAX_STAGE_BYTES ? PHASE_MAX_STAGE_BYTES
                                              : budget;
    int64_t band = PHASE_MAX_BAND;
    for (; band > 1; band--)
        if ((band - 1 + span) * s->row_len * s->c * (int64_t)sizeof(float) <= budget)
            break;
    const int64_t threads = imp_threadpool_size(a->pool);
    int64_t max_band = qy / (4 * (threads > 0 ? threads : 1));
    max_band = max_band < 1 ? 1 : max_band;
    s->band = band < max_band ? band : max_band;
    s->stage_rows = s->band - 1 + span;
    s->stage_floats = (size_t)(s->stage_rows * s->row_len * s->c) + IMP_CONVT_OVERREAD;
    s->stage_floats = (s->stage_floats + 15) & ~(size_t)15;
    *scratch = sizeof(float) * s->stage_floats * (size_t)(threads > 0 ? threads : 1);
    int64_t max_chunk = PHASE_TILE_L1_BYTES / (span * PHASE_TILE_ROW_BYTES);
    max_chunk = max_chunk < 8 ? 8 : max_chunk;
    const int64_t chunks = (s->c + max_chunk - 1) / max_chunk;
    s->chunk = (s->c + chunks - 1) / chunks;

    int64_t first = 0;
    for (int64_t ry = 0; ry < s->ay.s; ry++)
        for (int64_t rx = 0; rx < s->ax.s; rx++) {
            if ((st = plan_phase(s, ry, rx, err)) != IMP_OK)
                return st;
            s->first_tap[ry * s->ax.s + rx] = first;
            first += s->taps[ry * s->ax.s + rx];
        }
    return pack_weights(s, a->in[1]->data, err);
}

struct phase_job {
    const struct convt_phase *s;
    const float *x; /* one image */
    float *y;
    float *scratch;
};

/* Copies input rows [iy0, iy0 + stage_rows) of every channel, columns
 * from ax.lo on, into the staged layout; zeros outside the image and in
 * the kernels' overread after it. */
static void stage(const struct convt_phase *s, const float *x, int64_t iy0, float *dst)
{
    int64_t t0 = -s->ax.lo, t1 = s->iw - s->ax.lo; /* columns inside */
    t0 = t0 < 0 ? 0 : t0 > s->row_len ? s->row_len : t0;
    t1 = t1 > s->row_len ? s->row_len : t1 < t0 ? t0 : t1;
    for (int64_t c = 0; c < s->c; c++) {
        for (int64_t r = 0; r < s->stage_rows; r++) {
            float *d = dst + (c * s->stage_rows + r) * s->row_len;
            const int64_t iy = iy0 + r;
            if (iy < 0 || iy >= s->ih || t1 == t0) {
                memset(d, 0, sizeof(float) * (size_t)s->row_len);
                continue;
            }
            const float *src = x + (c * s->ih + iy) * s->iw + t0 + s->ax.lo;
            memset(d, 0, sizeof(float) * (size_t)t0);
            memcpy(d + t0, src, sizeof(float) * (size_t)(t1 - t0));
            memset(d + t1, 0, sizeof(float) * (size_t)(s->row_len - t1));
        }
    }
    const size_t used = (size_t)(s->c * s->stage_rows * s->row_len);
    memset(dst + used, 0, sizeof(float) * (s->stage_floats - used));
}

static void phase_bands(void *ctx, size_t begin, size_t end, int thread)
{
    const struct phase_job *j = ctx;
    const struct convt_phase *s = j->s;
    const int sy = (int)s->ay.s, sx = (int)s->ax.s;
    float *staged = j->scratch + (size_t)thread * s->stage_floats;
    struct imp_convt_rows_args args = {
        .sx = sx, .sy = sy, .bias = s->bias, .y_chan = (ptrdiff_t)(s->oh * s->ow),
        .m = s->m};
    const int64_t blocks = (s->m + IMP_CONVT_BLOCK - 1) / IMP_CONVT_BLOCK;
    const int64_t all_taps = s->kh * s->kw;
    for (int rx = 0; rx < sx; rx++)
        args.qx[rx] = s->ax.q[rx];
    for (size_t item = begin; item < end; item++) {
        const int64_t q0 = (int64_t)item * s->band;
        const int64_t q1 = q0 + s->band < s->ay.q[0] ? q0 + s->band : s->ay.q[0];
        stage(s, j->x, q0 + s->ay.lo, staged);
        /* The next band's input rows come from memory: fetch them into
         * L2 a share at a time while this band computes. */
        const int64_t next = q1 + s->ay.lo, lines = (s->iw + 15) / 16;
        const int64_t total = s->c * s->stage_rows, share = (total + q1 - q0 - 1) / (q1 - q0);
        int64_t fetched = 0;
        for (int64_t q = q0; q < q1; q++) {
            for (int64_t i = 0; i < share && fetched < total; i++, fetched++) {
                const int64_t c = fetched / s->stage_rows, iy = next + fetched % s->stage_rows;
                if (iy < 0 || iy >= s->ih)
                    continue;
                const float *src = j->x + (c * s->ih + iy) * s->iw;
                for (int64_t l = 0; l < lines; l++)
                    __builtin_prefetch(src + 16 * l, 0, 2);
            }
            args.x = staged + (q - q0) * s->row_len;
            for (int ry = 0; ry < sy; ry++)
                args.y[ry] = q < s->ay.q[ry] ? j->y + (q * sy + ry) * s->ow : NULL;
            for (int64_t c0 = 0; c0 < s->c; c0 += s->chunk) {
                const int64_t cc = s->c - c0 < s->chunk ? s->c - c0 : s->chunk;
                const float *w = s->w + c0 * blocks * all_taps * IMP_CONVT_BLOCK;
                for (int p = 0; p < sx * sy; p++) {
                    args.steps[p] = cc * s->taps[p];
                    args.tap_off[p] = s->tap_off[p] + c0 * s->taps[p];
                    args.w[p] = w + cc * s->first_tap[p] * IMP_CONVT_BLOCK;
                    args.w_block[p] = (ptrdiff_t)(cc * all_taps * IMP_CONVT_BLOCK);
                }
                args.accumulate = c0 > 0;
                s->rows(&args);
            }
        }
    }
}

static void phase_run(const struct imp_kernel_args *a)
{
    const struct convt_phase *s = a->state;
    const size_t bands = (size_t)((s->ay.q[0] + s->band - 1) / s->band);
    for (int64_t n = 0; n < s->n; n++) {
        struct phase_job job = {
            .s = s,
            .x = (const float *)a->in[0]->data + n * s->c * s->ih * s->iw,
            .y = (float *)a->out[0]->data + n * s->m * s->oh * s->ow,
            .scratch = a->scratch};
        imp_parallel_for(a->pool, bands, 1, phase_bands, &job);
    }
}

const struct imp_engine imp_conv_transpose_phase_engine = {
    .name = "phase",
    .supports = phase_supports,
    .prepare = phase_prepare,
    .run = phase_run,
    .release = phase_release,
};
