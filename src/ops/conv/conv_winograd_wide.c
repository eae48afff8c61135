/*
 * Conv engine "wide": stride-1 convolution with kernels larger than 3x3
 * (the 9x9 layers that open and close a style network) by nested
 * Winograd F(3x3, 3x3).
 *
 * The K x K kernel is zero-padded to a multiple of 3 and cut into a grid
 * of 3x3 sub-kernels g_ab (offsets 3a, 3b). Output tile (p, q) of 3x3 is
 *     A^T [ sum_ab U_ab (.) V_{p+a, q+b} ] A
 * where V_{p', q'} is the transformed 5x5 input tile at (3p', 3q') and
 * U_ab the transformed sub-kernel: for 9x9, 9 x 25 = 225 multiplies per
 * tile and channel pair instead of 729. Each input tile is transformed
 * once and serves the grid of neighbours; each output tile is
 * transformed back once.
 *
 * Per transformed position the sum is a GEMM [M x (grid * C)] x
 * [(grid * C) x tiles]. A is the transformed weights, packed at prepare.
 * The B rows of sub-kernel (a, b) are tile row p + a of V shifted by b
 * tiles, so the microkernel reads them in place through one pointer per
 * sub-kernel (kernels/wide.h) and V is never copied.
 *
 * Work items are a column strip of nr tiles (one microkernel width) by a
 * band of tile rows. An item walks down its band keeping the V rows of
 * its strip, [position][channel][nr + grid - 1 tiles], in a ring of as
 * many rows as the grid is tall: a few hundred KB at most, so the GEMMs
 * read V from L2 rather than from a whole image row of V. An item starts
 * by computing the V rows above its band, and strips overlap by grid - 1
 * tiles: each V tile is computed the same way whoever computes it, so
 * results do not depend on the thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/wide.h"
#include "ops/conv/conv_common.h"
#include "ops/conv/conv_engines.h"

#define WIDE_MAX_GRID 5 /* sub-kernels per side: kernels up to 15x15 */

struct conv_wide {
    const struct imp_wide_ukernel *uk;
    int64_t c, m, mpad; /* channels; output channels padded to mr */
    int64_t ih, iw, oh, ow, pad_top, pad_left;
    int grid_y, grid_x;     /* sub-kernels per side */
    int64_t kh, kw;         /* the kernel */
    int64_t tiles_y, tiles_x;
    size_t nb;              /* V tiles per strip: nr + grid_x - 1 */
    size_t ldp;             /* staged phase row length: nb + 1 */
    size_t vrow;            /* floats of one strip's V row: 25 * C * nb */
    int64_t strips, bands, band_rows;
    float *ua;              /* per position: packed [mpad x grid * C] */
    size_t ua_stride;
    float *bias;
    struct imp_activation act; /* fused, applied to each block of output tiles */
    size_t scratch_per_thread; /* floats */
};

/* Tiles the GEMMs compute across a row: whole strips of nr, the last one
 * narrower when it fits the narrow kernel. */
static int64_t lanes(const struct imp_wide_ukernel *uk, int64_t tiles_x)
{
    const int64_t nr = uk->nr, last = tiles_x - (tiles_x - 1) / nr * nr;
    return (tiles_x - last) + (uk->gemm_half && last <= uk->nr_half ? uk->nr_half : nr);
}

static bool conv_wide_supports(const struct imp_kernel_args *a)
{
    if (!imp_conv_pads_zeros(a->node))
        return false;
    const struct imp_tensor *x = a->in[0], *w = a->in[1];
    if (x->shape.rank != 4 || w->shape.rank != 4 || !w->data ||
        (a->n_in > 2 && a->in[2] && !a->in[2]->data))
        return false;
    struct imp_conv_geom g;
    if (imp_conv_forward_geometry(a->node, a->in, a->n_in, &g, NULL) != IMP_OK)
        return false;
    const int ax = IMP_WIN_AXES - 2;
    if (g.group != 1 || g.w.s[ax] != 1 || g.w.s[ax + 1] != 1 || g.w.d[ax] != 1 ||
        g.w.d[ax + 1] != 1)
        return false;
    int64_t kh = w->shape.d[2], kw = w->shape.d[3];
    if (kh > 3 * WIDE_MAX_GRID || kw > 3 * WIDE_MAX_GRID)
        return false;
    /* Where it beat "direct" (AVX2, 1 thread): the style nets' 9x9 layers
     * by 1.8-2.0x (3->32, 3->8) and 1.5-1.7x (32->3, 8->3) from 256x256
     * to 728x728, 11x11 by 1.2-1.6x, 32->32 by 2x; 5x5 to 7x7 only with
     * many channels on both sides (1.6-2.3x at 32->32; 0.55-1.0x at 3->32
     * and 32->3, where a grid of 2 or 3 sub-kernels saves too few
     * multiplies to pay for the transforms). */
    if (!(kh >= 9 && kw >= 9) && !(kh >= 5 && kw >= 5 && g.c >= 32 && g.m >= 32))
        return false;
    /* The GEMMs run over whole strips of tiles: on a narrow image many of
     * their lanes would be wasted. With 3 output channels it lost to
     * direct at 11 tiles of 16 lanes (0.7x) and won at 15 of 16 (1.1x),
     * 19 of 24 (1.3x). */
    const struct imp_wide_ukernel *uk = imp_wide_ukernel_for(a->isa, (long long)g.m);
    const int64_t tiles_x = (g.w.out[ax + 1] + 2) / 3;
    return tiles_x * 4 >= lanes(uk, tiles_x) * 3;
}

/* U = G g G^T for one 3x3 sub-kernel, in double. */
static void transform_filter(const double g[3][3], double u[5][5])
{
    static const double G[5][3] = {
        {1.0 / 2, 0, 0},
        {-1.0 / 2, -1.0 / 2, -1.0 / 2},
        {-1.0 / 6, 1.0 / 6, -1.0 / 6},
        {1.0 / 6, 1.0 / 3, 2.0 / 3},
        {0, 0, 1},
    };
    double t[5][3];
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 3; j++)
            t[i][j] = G[i][0] * g[0][j] + G[i][1] * g[1][j] + G[i][2] * g[2][j];
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            u[i][j] = t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
}

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Every sub-kernel's U straight into the packed A matrices (padding rows
 * stay as prepare zeroed them), so that new weights need no buffer. */
static void transform_weights(struct conv_wide *s, const float *w)
{
    const int64_t kh = s->kh, kw = s->kw, mr = s->uk->mr;
    const size_t kdim = (size_t)(s->grid_y * s->grid_x) * (size_t)s->c;
    for (int64_t m = 0; m < s->m; m++) {
        const int64_t panel = m / mr, row = m % mr;
        for (int64_t c = 0; c < s->c; c++) {
            const float *wk = w + (m * s->c + c) * kh * kw;
            for (int ga = 0; ga < s->grid_y; ga++) {
                for (int gb = 0; gb < s->grid_x; gb++) {
                    double g[3][3], u[5][5];
                    for (int i = 0; i < 3; i++) {
                        for (int j = 0; j < 3; j++) {
                            int64_t y = 3 * ga + i, x = 3 * gb + j;
                            g[i][j] = y < kh && x < kw ? wk[y * kw + x] : 0.0;
                        }
                    }
                    transform_filter(g, u);
                    size_t k = (size_t)(ga * s->grid_x + gb) * (size_t)s->c + (size_t)c;
                    for (int p = 0; p < IMP_WIDE_POS; p++)
                        s->ua[(size_t)p * s->ua_stride + (size_t)panel * kdim * (size_t)mr +
                              k * (size_t)mr + (size_t)row] = (float)u[p / 5][p % 5];
                }
            }
        }
    }
}

void imp_conv_wide_set_weights(void *state, const float *w, const float *bias)
{
    struct conv_wide *s = state;
    transform_weights(s, w);
    if (s->bias && bias)
        memcpy(s->bias, bias, sizeof(float) * (size_t)s->m);
}

static enum imp_status conv_wide_prepare(const struct imp_kernel_args *a, void **state,
                                         size_t *scratch, struct imp_error *err)
{
    const struct imp_shape *xs = &a->in[0]->shape, *ws = &a->in[1]->shape;
    struct conv_wide *s = calloc(1, sizeof *s);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = s;
    struct imp_conv_geom geom;
    enum imp_status st = imp_conv_forward_geometry(a->node, a->in, a->n_in, &geom, err);
    if (st != IMP_OK)
        return st;
    const int ax = IMP_WIN_AXES - 2;
    s->c = ws->d[1];
    s->m = ws->d[0];
    s->uk = imp_wide_ukernel_for(a->isa, (long long)s->m);
    const int mr = s->uk->mr, nr = s->uk->nr;
    s->mpad = (s->m + mr - 1) / mr * mr;
    s->ih = xs->d[2];
    s->iw = xs->d[3];
    s->oh = geom.w.out[ax];
    s->ow = geom.w.out[ax + 1];
    s->pad_top = geom.w.pb[ax];
    s->pad_left = geom.w.pb[ax + 1];
    const int64_t kh = ws->d[2], kw = ws->d[3];
    s->kh = kh;
    s->kw = kw;
    s->grid_y = (int)((kh + 2) / 3);
    s->grid_x = (int)((kw + 2) / 3);
    s->tiles_y = (s->oh + 2) / 3;
    s->tiles_x = (s->ow + 2) / 3;
    s->nb = (size_t)(nr + s->grid_x - 1);
    s->ldp = s->nb + 1;
    s->vrow = IMP_WIDE_POS * (size_t)s->c * s->nb;
    s->strips = (s->tiles_x + nr - 1) / nr;

    /* Transformed weights: position p's A is [mpad][grid * C], k = g * C + c. */
    const int groups = s->grid_y * s->grid_x;
    const size_t kdim = (size_t)groups * (size_t)s->c;
    s->ua_stride = round16((size_t)s->mpad * kdim);
    s->ua = imp_aligned_alloc(sizeof(float) * s->ua_stride * IMP_WIDE_POS);
    if (!s->ua)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory transforming weights");
    memset(s->ua, 0, sizeof(float) * s->ua_stride * IMP_WIDE_POS);
    transform_weights(s, a->in[1]->data);
    s->act = geom.act;
    imp_activation_bind(&s->act, a->isa);
    if (geom.has_bias) {
        s->bias = imp_aligned_alloc(sizeof(float) * (size_t)s->m);
        if (!s->bias)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        memcpy(s->bias, a->in[2]->data, sizeof(float) * (size_t)s->m);
    }
    /* Per thread: the ring of V rows, the staged input rows and their
     * column transform, the GEMM results and one block of output tiles. */
    s->scratch_per_thread = round16((size_t)s->grid_y * s->vrow) + 2 * round16(15 * s->ldp) +
                            round16(IMP_WIDE_POS * (size_t)mr * (size_t)nr) +
                            round16(9 * (size_t)nr);
    int threads = imp_threadpool_size(a->pool);
    if (threads < 1)
        threads = 1;
    *scratch = sizeof(float) * s->scratch_per_thread * (size_t)threads;
    /* A band recomputes grid_y - 1 V rows above it: one band per strip on
     * one thread; with more, enough items (about 8 per thread) that the
     * last ones even out the threads, and a late thread does not hold up
     * the rest. */
    s->bands = 1;
    if (threads > 1) {
        s->bands = (8 * threads + s->strips - 1) / s->strips;
        if (s->bands > (s->tiles_y + 3) / 4)
            s->bands = (s->tiles_y + 3) / 4;
        if (s->bands < 1)
            s->bands = 1;
    }
    s->band_rows = (s->tiles_y + s->bands - 1) / s->bands;
    s->bands = (s->tiles_y + s->band_rows - 1) / s->band_rows;
    return IMP_OK;
}

static void conv_wide_release(void *state)
{
    struct conv_wide *s = state;
    imp_aligned_free(s->ua);
    imp_aligned_free(s->bias);
    free(s);
}

struct wide_job {
    const struct conv_wide *s;
    const float *x; /* one image [C, IH, IW] */
    float *y;       /* one image [M, OH, OW] */
    float *scratch;
};

/* Input rows 3 * vr + r (r < 5) of one channel under tiles q0 .. q0 + ldp,
 * split into column phases (column 3 (q0 + q) + s at ph[(r * 3 + s) * ldp
 * + q]), zero outside the image. */
static void stage_rows(const struct conv_wide *s, const float *plane, int64_t vr,
                       int64_t q0, float *ph)
{
    const int64_t n = q0 + (int64_t)s->ldp;
    /* Tiles [q_lo, q_hi) have their 3 columns inside the image. */
    int64_t q_lo = (s->pad_left + 2) / 3, q_hi = (s->iw + s->pad_left) / 3;
    if (q_hi > n)
        q_hi = n;
    if (q_lo < q0)
        q_lo = q0;
    if (q_lo > q_hi)
        q_lo = q_hi;
    for (int r = 0; r < 5; r++) {
        int64_t y = 3 * vr + r - s->pad_top;
        float *p0 = ph + (size_t)(r * 3) * s->ldp, *p1 = p0 + s->ldp, *p2 = p1 + s->ldp;
        if (y < 0 || y >= s->ih) {
            memset(p0, 0, sizeof(float) * 3 * s->ldp);
            continue;
        }
        const float *row = plane + y * s->iw;
        for (int64_t q = q0; q < n; q++) {
            if (q == q_lo && q < q_hi) {
                const size_t at = (size_t)(q - q0);
                s->uk->split3(row + 3 * q - s->pad_left, (size_t)(q_hi - q), p0 + at, p1 + at,
                              p2 + at);
                q = q_hi;
                if (q >= n)
                    break;
            }
            const int64_t x = 3 * q - s->pad_left;
            const size_t at = (size_t)(q - q0);
            if (x >= s->iw || x + 2 < 0) { /* wholly outside: the common edge */
                p0[at] = p1[at] = p2[at] = 0.0f;
                continue;
            }
            p0[at] = x >= 0 && x < s->iw ? row[x] : 0.0f;
            p1[at] = x + 1 >= 0 && x + 1 < s->iw ? row[x + 1] : 0.0f;
            p2[at] = x + 2 >= 0 && x + 2 < s->iw ? row[x + 2] : 0.0f;
        }
    }
    /* The next V row needs 3 more input rows; a band walks down a strip of
     * many channel planes, more streams than the hardware prefetcher
     * follows, so fetch them while this row is computed. */
    int64_t x0 = 3 * q0 - s->pad_left, x1 = x0 + 3 * (int64_t)s->ldp;
    x0 = x0 < 0 ? 0 : x0;
    x1 = x1 > s->iw ? s->iw : x1;
    for (int64_t y = 3 * vr + 5 - s->pad_top; y < 3 * vr + 8 - s->pad_top; y++) {
        if (y < 0 || y >= s->ih)
            continue;
        for (int64_t x = x0; x < x1; x += 16)
            __builtin_prefetch(plane + y * s->iw + x, 0, 3);
    }
}

static void wide_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct wide_job *job = ctx;
    const struct conv_wide *s = job->s;
    const struct imp_wide_ukernel *uk = s->uk;
    const int mr = uk->mr, nr = uk->nr, gy = s->grid_y, gx = s->grid_x;
    const size_t c = (size_t)s->c, kdim = (size_t)(gy * gx) * c, nb = s->nb;
    float *ring = job->scratch + (size_t)thread * s->scratch_per_thread;
    float *ph = ring + round16((size_t)gy * s->vrow);
    float *tmp = ph + round16(15 * s->ldp);
    float *mres = tmp + round16(15 * s->ldp);
    float *yt = mres + round16(IMP_WIDE_POS * (size_t)mr * (size_t)nr);
    const float *bptr[WIDE_MAX_GRID * WIDE_MAX_GRID];

    for (size_t item = begin; item < end; item++) {
        const int64_t q0 = (int64_t)item / s->bands * nr;
        const int64_t ty0 = (int64_t)item % s->bands * s->band_rows;
        const int64_t ty1 = ty0 + s->band_rows < s->tiles_y ? ty0 + s->band_rows : s->tiles_y;
        const int64_t count = s->tiles_x - q0 < nr ? s->tiles_x - q0 : nr;
        /* A last strip that fits the narrow kernel computes only its lanes. */
        const bool half = uk->gemm_half && count <= uk->nr_half;
        const imp_wide_gemm_fn gemm = half ? uk->gemm_half : uk->gemm;
        const int width = half ? uk->nr_half : nr;
        const int64_t ox0 = 3 * q0;
        for (int64_t vr = ty0; vr < ty1 + gy - 1; vr++) {
            /* V row vr of the strip, then (once the ring holds rows ty ..
             * ty + gy - 1) output tile row ty. */
            float *v = ring + (size_t)(vr % gy) * s->vrow;
            for (size_t ci = 0; ci < c; ci++) {
                stage_rows(s, job->x + (int64_t)ci * s->ih * s->iw, vr, q0, ph);
                uk->input(ph, s->ldp, tmp, v + ci * nb, c * nb, nb);
            }
            const int64_t ty = vr - (gy - 1);
            if (ty < ty0)
                continue;
            const float *base[WIDE_MAX_GRID * WIDE_MAX_GRID];
            for (int ga = 0; ga < gy; ga++)
                for (int gb = 0; gb < gx; gb++)
                    base[ga * gx + gb] = ring + (size_t)((ty + ga) % gy) * s->vrow + (size_t)gb;
            const int64_t oy = 3 * ty, rows = s->oh - oy < 3 ? s->oh - oy : 3;
            const bool whole = rows == 3 && ox0 + 3 * width <= s->ow;
            const int64_t cols = s->ow - ox0 < 3 * count ? s->ow - ox0 : 3 * count;
            const size_t pos_stride = (size_t)mr * (size_t)nr;
            /* One panel of mr output channels at a time, all positions,
             * then its output transform: the products stay in L1. */
            for (int64_t m0 = 0; m0 < s->mpad; m0 += mr) {
                for (int p = 0; p < IMP_WIDE_POS; p++) {
                    for (int g = 0; g < gy * gx; g++)
                        bptr[g] = base[g] + (size_t)p * c * nb;
                    gemm((size_t)(gy * gx), c,
                             s->ua + (size_t)p * s->ua_stride + (size_t)m0 * kdim, bptr, nb,
                             mres + (size_t)p * pos_stride, (size_t)nr);
                }
                const int64_t m1 = m0 + mr < s->m ? m0 + mr : s->m;
                for (int64_t m = m0; m < m1; m++) {
                    const float b = s->bias ? s->bias[m] : 0.0f;
                    float *dst = job->y + (m * s->oh + oy) * s->ow + ox0;
                    /* Likewise for the output rows of the next tile row. */
                    if (ty + 1 < ty1 && whole)
                        for (int64_t r = 3; r < 6 && oy + r < s->oh; r++)
                            for (int64_t x = 0; x < cols; x += 16)
                                __builtin_prefetch(dst + r * s->ow + x, 1, 3);
                    const float *res = mres + (size_t)(m - m0) * (size_t)nr;
                    if (whole) {
                        uk->output(res, pos_stride, b, dst, (size_t)s->ow, (size_t)width);
                        imp_activation_apply_rows(&s->act, dst, 3, 3 * width, s->ow);
                        continue;
                    }
                    /* Edge strip or last tile row: through the block buffer. */
                    uk->output(res, pos_stride, b, yt, 3 * (size_t)width, (size_t)width);
                    imp_activation_apply(&s->act, yt, 9 * (int64_t)width);
                    for (int64_t r = 0; r < rows; r++)
                        memcpy(dst + r * s->ow, yt + r * 3 * width,
                               sizeof(float) * (size_t)cols);
                }
            }
        }
    }
}

static void conv_wide_run(const struct imp_kernel_args *a)
{
    const struct conv_wide *s = a->state;
    for (int64_t n = 0; n < a->in[0]->shape.d[0]; n++) {
        struct wide_job job = {
            .s = s,
            .x = (const float *)a->in[0]->data + n * s->c * s->ih * s->iw,
            .y = (float *)a->out[0]->data + n * s->m * s->oh * s->ow,
            .scratch = a->scratch,
        };
        imp_parallel_for(a->pool, (size_t)(s->strips * s->bands), 1, wide_items, &job);
    }
}

const struct imp_engine imp_conv_wide_engine = {
    .name = "wide",
    .supports = conv_wide_supports,
    .prepare = conv_wide_prepare,
    .run = conv_wide_run,
    .release = conv_wide_release,
};
