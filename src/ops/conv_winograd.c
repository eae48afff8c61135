/*
 * Conv engine "winograd": 3x3 stride-1 convolution by Winograd's minimal
 * filtering F(4x4, 3x3) (Lavin & Gray 2016).
 *
 * Each 4x4 output tile needs a 6x6 input tile. In the transformed domain
 * the 3x3 convolution becomes 36 independent products summed over input
 * channels, i.e. 36 GEMMs [M x C] x [C x tiles]: 36 multiplies per tile
 * and channel pair instead of 144, a 4x cut in arithmetic. The weights are
 * transformed and packed once in prepare; per block of nr tiles, the input
 * transform writes straight into the microkernel's packed B layout, the
 * GEMMs run, and the output transform adds the bias and scatters the
 * 4x4 results. Transforms work on nr tiles at once with the tile index
 * innermost, so they vectorise.
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/gemm.h"
#include "ops/conv_engines.h"
#include "ops/conv_common.h"

#define WG_OUT 4  /* output tile */
#define WG_IN 6   /* input tile  */
#define WG_POS 36 /* transformed positions per tile */
#define WG_MAX_NR 32

struct conv_winograd {
    const struct imp_gemm_ukernel *uk;
    int64_t c, m;           /* input and output channels */
    int64_t ih, iw, oh, ow; /* spatial sizes             */
    int64_t pad_top, pad_left;
    int64_t tiles_y, tiles_x;
    float *packed_u;        /* WG_POS packed A matrices [M x C] */
    size_t packed_u_stride; /* floats between positions        */
    float *bias;
    int threads;
    size_t scratch_per_thread; /* floats */
};

static bool conv_winograd_supports(const struct imp_kernel_args *a)
{
    const struct imp_tensor *x = a->in[0], *w = a->in[1];
    /* Weights and bias are transformed in prepare: both must be constants. */
    if (x->shape.rank != 4 || !w->data || w->shape.d[2] != 3 || w->shape.d[3] != 3 ||
        (a->n_in > 2 && a->in[2] && !a->in[2]->data))
        return false;
    struct imp_conv_geom g;
    if (imp_conv_forward_geometry(a->node, a->in, a->n_in, &g, NULL) != IMP_OK)
        return false;
    const int ax = IMP_WIN_AXES - 2;
    if (g.group != 1 || g.w.s[ax] != 1 || g.w.s[ax + 1] != 1 || g.w.d[ax] != 1 ||
        g.w.d[ax + 1] != 1)
        return false;
    /* Below a few channels the transforms cost more than they save. */
    return g.m >= 4 && g.c >= 4;
}

/* U = G g G^T for one 3x3 filter, in double for accuracy. */
static void transform_filter(const float *g, double u[WG_IN][WG_IN])
{
    static const double G[WG_IN][3] = {
        {1.0 / 4, 0, 0},
        {-1.0 / 6, -1.0 / 6, -1.0 / 6},
        {-1.0 / 6, 1.0 / 6, -1.0 / 6},
        {1.0 / 24, 1.0 / 12, 1.0 / 6},
        {1.0 / 24, -1.0 / 12, 1.0 / 6},
        {0, 0, 1},
    };
    double tmp[WG_IN][3];
    for (int i = 0; i < WG_IN; i++)
        for (int j = 0; j < 3; j++)
            tmp[i][j] = G[i][0] * g[0 * 3 + j] + G[i][1] * g[1 * 3 + j] +
                        G[i][2] * g[2 * 3 + j];
    for (int i = 0; i < WG_IN; i++)
        for (int j = 0; j < WG_IN; j++)
            u[i][j] = tmp[i][0] * G[j][0] + tmp[i][1] * G[j][1] + tmp[i][2] * G[j][2];
}

static enum imp_status conv_winograd_prepare(const struct imp_kernel_args *a,
                                             void **state, size_t *scratch,
                                             struct imp_error *err)
{
    const struct imp_shape *xs = &a->in[0]->shape, *ws = &a->in[1]->shape;
    struct conv_winograd *s = calloc(1, sizeof *s);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = s;
    struct imp_conv_geom geom;
    enum imp_status st = imp_conv_forward_geometry(a->node, a->in, a->n_in, &geom, err);
    if (st != IMP_OK)
        return st;
    const struct imp_window win = geom.w;
    const int ax = IMP_WIN_AXES - 2;
    s->uk = imp_gemm_ukernel_for(a->isa);
    s->c = ws->d[1];
    s->m = ws->d[0];
    s->ih = xs->d[2];
    s->iw = xs->d[3];
    s->oh = win.out[ax];
    s->ow = win.out[ax + 1];
    s->pad_top = win.pb[ax];
    s->pad_left = win.pb[ax + 1];
    s->tiles_y = (s->oh + WG_OUT - 1) / WG_OUT;
    s->tiles_x = (s->ow + WG_OUT - 1) / WG_OUT;
    s->threads = imp_threadpool_size(a->pool);

    /* Transformed weights, one [M x C] matrix per position, packed. */
    float *u = malloc(sizeof(float) * (size_t)(WG_POS * s->m * s->c));
    size_t per_pos = imp_gemm_packed_a_size(s->uk, (int)s->m, (int)s->c);
    s->packed_u_stride = (per_pos + 15) & ~(size_t)15;
    s->packed_u = imp_aligned_alloc(sizeof(float) * s->packed_u_stride * WG_POS);
    if (!u || !s->packed_u) {
        free(u);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory transforming weights");
    }
    const float *w = a->in[1]->data;
    for (int64_t m = 0; m < s->m; m++) {
        for (int64_t c = 0; c < s->c; c++) {
            double t[WG_IN][WG_IN];
            transform_filter(w + (m * s->c + c) * 9, t);
            for (int p = 0; p < WG_POS; p++)
                u[((size_t)p * (size_t)s->m + (size_t)m) * (size_t)s->c + (size_t)c] =
                    (float)t[p / WG_IN][p % WG_IN];
        }
    }
    for (int p = 0; p < WG_POS; p++)
        imp_gemm_pack_a(s->uk, (int)s->m, (int)s->c,
                        u + (size_t)p * (size_t)(s->m * s->c), (size_t)s->c,
                        s->packed_u + (size_t)p * s->packed_u_stride);
    free(u);
    if (geom.has_bias) {
        s->bias = imp_aligned_alloc(sizeof(float) * (size_t)s->m);
        if (!s->bias)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        memcpy(s->bias, a->in[2]->data, sizeof(float) * (size_t)s->m);
    }
    /* Per thread: V (36 x C x nr) and the GEMM results (36 x M x nr). */
    size_t nr = (size_t)s->uk->nr;
    s->scratch_per_thread = WG_POS * nr * (size_t)(s->c + s->m);
    s->scratch_per_thread = (s->scratch_per_thread + 15) & ~(size_t)15;
    *scratch = sizeof(float) * s->scratch_per_thread * (size_t)s->threads;
    return IMP_OK;
}

static void conv_winograd_release(void *state)
{
    struct conv_winograd *s = state;
    imp_aligned_free(s->packed_u);
    imp_aligned_free(s->bias);
    free(s);
}

/* V = B^T d B for nr tiles at once; d and the result are [6][6][nr]. */
static void input_transform(const float *d, float *v, int nr)
{
    float t[WG_IN][WG_IN][WG_MAX_NR];
    /* t = B^T d: combine rows */
    for (int col = 0; col < WG_IN; col++) {
        for (int j = 0; j < nr; j++) {
            float d0 = d[(0 * WG_IN + col) * nr + j], d1 = d[(1 * WG_IN + col) * nr + j];
            float d2 = d[(2 * WG_IN + col) * nr + j], d3 = d[(3 * WG_IN + col) * nr + j];
            float d4 = d[(4 * WG_IN + col) * nr + j], d5 = d[(5 * WG_IN + col) * nr + j];
            t[0][col][j] = 4 * d0 - 5 * d2 + d4;
            t[1][col][j] = -4 * d1 - 4 * d2 + d3 + d4;
            t[2][col][j] = 4 * d1 - 4 * d2 - d3 + d4;
            t[3][col][j] = -2 * d1 - d2 + 2 * d3 + d4;
            t[4][col][j] = 2 * d1 - d2 - 2 * d3 + d4;
            t[5][col][j] = 4 * d1 - 5 * d3 + d5;
        }
    }
    /* v = t B: combine columns */
    for (int row = 0; row < WG_IN; row++) {
        float *o = v + row * WG_IN * nr;
        for (int j = 0; j < nr; j++) {
            float t0 = t[row][0][j], t1 = t[row][1][j], t2 = t[row][2][j];
            float t3 = t[row][3][j], t4 = t[row][4][j], t5 = t[row][5][j];
            o[0 * nr + j] = 4 * t0 - 5 * t2 + t4;
            o[1 * nr + j] = -4 * t1 - 4 * t2 + t3 + t4;
            o[2 * nr + j] = 4 * t1 - 4 * t2 - t3 + t4;
            o[3 * nr + j] = -2 * t1 - t2 + 2 * t3 + t4;
            o[4 * nr + j] = 2 * t1 - t2 - 2 * t3 + t4;
            o[5 * nr + j] = 4 * t1 - 5 * t3 + t5;
        }
    }
}

/* Y = A^T m A for nr tiles; m is [36][nr] (stride between positions
 * `pos_stride`), y is [4][4][nr]. */
static void output_transform(const float *m, size_t pos_stride, float *y, int nr)
{
    float t[WG_OUT][WG_IN][WG_MAX_NR];
    for (int col = 0; col < WG_IN; col++) {
        for (int j = 0; j < nr; j++) {
            float m0 = m[(0 * WG_IN + col) * pos_stride + j];
            float m1 = m[(1 * WG_IN + col) * pos_stride + j];
            float m2 = m[(2 * WG_IN + col) * pos_stride + j];
            float m3 = m[(3 * WG_IN + col) * pos_stride + j];
            float m4 = m[(4 * WG_IN + col) * pos_stride + j];
            float m5 = m[(5 * WG_IN + col) * pos_stride + j];
            t[0][col][j] = m0 + m1 + m2 + m3 + m4;
            t[1][col][j] = m1 - m2 + 2 * (m3 - m4);
            t[2][col][j] = m1 + m2 + 4 * (m3 + m4);
            t[3][col][j] = m1 - m2 + 8 * (m3 - m4) + m5;
        }
    }
    for (int row = 0; row < WG_OUT; row++) {
        float *o = y + row * WG_OUT * nr;
        for (int j = 0; j < nr; j++) {
            float t0 = t[row][0][j], t1 = t[row][1][j], t2 = t[row][2][j];
            float t3 = t[row][3][j], t4 = t[row][4][j], t5 = t[row][5][j];
            o[0 * nr + j] = t0 + t1 + t2 + t3 + t4;
            o[1 * nr + j] = t1 - t2 + 2 * (t3 - t4);
            o[2 * nr + j] = t1 + t2 + 4 * (t3 + t4);
            o[3 * nr + j] = t1 - t2 + 8 * (t3 - t4) + t5;
        }
    }
}

struct winograd_job {
    const struct conv_winograd *s;
    const float *x; /* one image [C, IH, IW] */
    float *y;       /* one image [M, OH, OW] */
    float *scratch;
};

static void winograd_blocks(void *ctx, size_t begin, size_t end, int thread)
{
    const struct winograd_job *job = ctx;
    const struct conv_winograd *s = job->s;
    const int nr = s->uk->nr;
    const int64_t n_tiles = s->tiles_y * s->tiles_x;
    float *v = job->scratch + (size_t)thread * s->scratch_per_thread;
    float *mres = v + WG_POS * (size_t)nr * (size_t)s->c;
    float d[WG_IN * WG_IN * WG_MAX_NR], vt[WG_IN * WG_IN * WG_MAX_NR];
    float yt[WG_OUT * WG_OUT * WG_MAX_NR];
    int64_t oy[WG_MAX_NR], ox[WG_MAX_NR];

    for (size_t blk = begin; blk < end; blk++) {
        int64_t t0 = (int64_t)blk * nr;
        int count = n_tiles - t0 < nr ? (int)(n_tiles - t0) : nr;
        for (int j = 0; j < nr; j++) {
            int64_t t = t0 + (j < count ? j : 0);
            oy[j] = (t / s->tiles_x) * WG_OUT;
            ox[j] = (t % s->tiles_x) * WG_OUT;
        }
        /* Input transform, channel by channel, into packed-B panels:
         * position p's panel is [C][nr] at v + p * C * nr. */
        for (int64_t c = 0; c < s->c; c++) {
            const float *plane = job->x + c * s->ih * s->iw;
            for (int r = 0; r < WG_IN; r++) {
                for (int q = 0; q < WG_IN; q++) {
                    float *dst = d + (r * WG_IN + q) * nr;
                    for (int j = 0; j < nr; j++) {
                        int64_t iy = oy[j] - s->pad_top + r;
                        int64_t ix = ox[j] - s->pad_left + q;
                        dst[j] = (iy >= 0 && iy < s->ih && ix >= 0 && ix < s->iw)
                                     ? plane[iy * s->iw + ix] : 0.0f;
                    }
                }
            }
            input_transform(d, vt, nr);
            for (int p = 0; p < WG_POS; p++)
                memcpy(v + ((size_t)p * (size_t)s->c + (size_t)c) * (size_t)nr,
                       vt + p * nr, sizeof(float) * (size_t)nr);
        }
        /* 36 GEMMs: mres[p] = U[p] (M x C) * V[p] (C x nr). */
        for (int p = 0; p < WG_POS; p++)
            imp_gemm_packed(s->uk, (int)s->m, nr, (int)s->c,
                            s->packed_u + (size_t)p * s->packed_u_stride,
                            v + (size_t)p * (size_t)s->c * (size_t)nr,
                            mres + (size_t)p * (size_t)s->m * (size_t)nr,
                            (size_t)nr, NULL);
        /* Output transform per output channel, then scatter the tiles. */
        for (int64_t m = 0; m < s->m; m++) {
            output_transform(mres + (size_t)m * (size_t)nr, (size_t)(s->m * nr), yt, nr);
            float b = s->bias ? s->bias[m] : 0.0f;
            float *plane = job->y + m * s->oh * s->ow;
            for (int j = 0; j < count; j++) {
                for (int r = 0; r < WG_OUT && oy[j] + r < s->oh; r++) {
                    float *row = plane + (oy[j] + r) * s->ow + ox[j];
                    int64_t w = s->ow - ox[j] < WG_OUT ? s->ow - ox[j] : WG_OUT;
                    for (int q = 0; q < w; q++)
                        row[q] = yt[(r * WG_OUT + q) * nr + j] + b;
                }
            }
        }
    }
}

static void conv_winograd_run(const struct imp_kernel_args *a)
{
    const struct conv_winograd *s = a->state;
    const int nr = s->uk->nr;
    const size_t blocks = (size_t)((s->tiles_y * s->tiles_x + nr - 1) / nr);
    for (int64_t n = 0; n < a->in[0]->shape.d[0]; n++) {
        struct winograd_job job = {
            .s = s,
            .x = (const float *)a->in[0]->data + n * s->c * s->ih * s->iw,
            .y = (float *)a->out[0]->data + n * s->m * s->oh * s->ow,
            .scratch = a->scratch,
        };
        imp_parallel_for(a->pool, blocks, 1, winograd_blocks, &job);
    }
}

const struct imp_engine imp_conv_winograd_engine = {
    .name = "winograd",
    .supports = conv_winograd_supports,
    .prepare = conv_winograd_prepare,
    .run = conv_winograd_run,
    .release = conv_winograd_release,
};
