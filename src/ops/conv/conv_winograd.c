/*
 * Conv engine "winograd": 3x3 stride-1 convolution by Winograd's minimal
 * filtering F(4x4, 3x3) (Lavin & Gray 2016).
 *
 * Each 4x4 output tile needs a 6x6 input tile. In the transformed domain
 * the 3x3 convolution becomes 36 independent products summed over input
 * channels, i.e. 36 GEMMs [M x C] x [C x tiles]: 36 multiplies per tile
 * and channel pair instead of 144, a 4x cut in arithmetic. The weights are
 * transformed and packed once in prepare.
 *
 * Tiles go in groups of 8 along a tile row (kernels/winograd.h), so the
 * per-ISA transform kernels read and write whole rows; groups that cross
 * the image edge go through small zero-padded patches. Per block of 64
 * tiles (a thread's unit of work) the input transform writes V straight in
 * the GEMM microkernel's packed B layout, then for each block of 24 output
 * channels the 36 GEMMs run and the output transform adds the bias and
 * writes the 4x4 tiles. Each U matrix is read once per block, so 64
 * columns share every pass over the weights.
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/gemm.h"
#include "kernels/winograd.h"
#include "ops/conv/conv_engines.h"
#include "ops/conv/conv_common.h"

#define WG_OUT 4  /* output tile */
#define WG_IN 6   /* input tile  */
#define WG_POS 36 /* transformed positions per tile */
#define WG_MAX_GROUPS 16 /* groups per block: 64 tiles rounded up to nr */
#define WG_NARROW_M 48 /* below this, the ISA's narrow GEMM microkernel */

struct conv_winograd {
    const struct imp_gemm_ukernel *uk;
    const struct imp_wino_kernels *wk;
    int64_t c, m;           /* input and output channels */
    int64_t ih, iw, oh, ow; /* spatial sizes             */
    int64_t pad_top, pad_left;
    int64_t groups_x;       /* tile groups per tile row  */
    int64_t n_groups;       /* tile groups per image     */
    int64_t block_groups;   /* tile groups per block     */
    int64_t block_tiles;    /* block_groups * 8, a multiple of nr */
    float *packed_u;        /* WG_POS packed A matrices [M x C] */
    size_t packed_u_stride; /* floats between positions        */
    size_t v_pos_stride;    /* C * block_tiles, padded          */
    int64_t m_block;        /* output channels per GEMM pass, a multiple of mr */
    size_t m_pos_stride;    /* m_block * block_tiles, padded    */
    float *bias;
    int threads;
    size_t scratch_per_thread; /* floats */
    struct imp_activation act; /* fused, applied to each output tile */
};

static bool conv_winograd_supports(const struct imp_kernel_args *a)
{
    if (!imp_conv_pads_zeros(a->node))
        return false;
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

/* U of every filter of w [M, C, 3, 3], straight into the packed A layout
 * (imp_gemm_pack_a: panels of mr rows, one column of mr values per input
 * channel), so that new weights need no buffer. */
static void transform_weights(struct conv_winograd *s, const float *w)
{
    const size_t mr = (size_t)s->uk->mr, c_n = (size_t)s->c;
    for (size_t m = 0; m < (size_t)s->m; m++) {
        size_t row = (m / mr) * mr * c_n + m % mr;
        for (size_t c = 0; c < c_n; c++) {
            double t[WG_IN][WG_IN];
            transform_filter(w + (m * c_n + c) * 9, t);
            float *dst = s->packed_u + row + c * mr;
            for (int p = 0; p < WG_POS; p++)
                dst[(size_t)p * s->packed_u_stride] = (float)t[p / WG_IN][p % WG_IN];
        }
    }
}

void imp_conv_winograd_set_weights(void *state, const float *w, const float *bias)
{
    struct conv_winograd *s = state;
    transform_weights(s, w);
    if (s->bias && bias)
        memcpy(s->bias, bias, sizeof(float) * (size_t)s->m);
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
    s->c = ws->d[1];
    s->m = ws->d[0];
    s->wk = imp_wino_kernels_for(a->isa);
    /* The library's microkernel is a little faster per FMA; the narrow
     * one wastes no rows on the few output channels of narrow layers. */
    s->uk = s->wk->gemm_narrow && s->m < WG_NARROW_M
                ? s->wk->gemm_narrow
                : imp_gemm_ukernel_for(a->isa);
    s->ih = xs->d[2];
    s->iw = xs->d[3];
    s->oh = win.out[ax];
    s->ow = win.out[ax + 1];
    s->pad_top = win.pb[ax];
    s->pad_left = win.pb[ax + 1];
    int64_t tiles_y = (s->oh + WG_OUT - 1) / WG_OUT;
    s->groups_x = (s->ow + IMP_WINO_OUT_W - 1) / IMP_WINO_OUT_W;
    s->n_groups = tiles_y * s->groups_x;
    s->threads = imp_threadpool_size(a->pool);

    /* Transformed weights, one [M x C] matrix per position, packed. */
    size_t per_pos = imp_gemm_packed_a_size(s->uk, (int)s->m, (int)s->c);
    s->packed_u_stride = (per_pos + 15) & ~(size_t)15;
    s->packed_u = imp_aligned_alloc(sizeof(float) * s->packed_u_stride * WG_POS);
    if (!s->packed_u)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory transforming weights");
    /* The rows past M in the last panel stay zero. */
    memset(s->packed_u, 0, sizeof(float) * s->packed_u_stride * WG_POS);
    transform_weights(s, a->in[1]->data);
    s->act = geom.act;
    imp_activation_bind(&s->act, a->isa);
    if (geom.has_bias) {
        s->bias = imp_aligned_alloc(sizeof(float) * (size_t)s->m);
        if (!s->bias)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        memcpy(s->bias, a->in[2]->data, sizeof(float) * (size_t)s->m);
    }
    /* Tiles per block: enough that each pass over the 36 U matrices feeds
     * many columns, few enough that V and the GEMM results stay cached. */
    int64_t nr = s->uk->nr;
    int64_t nt = (64 + nr - 1) / nr * nr;
    /* At least 8 blocks where the image allows, so that threads share the
     * work evenly. (Every column is computed on its own, so the blocking
     * cannot change the results.) */
    int64_t eighth = (s->n_groups * IMP_WINO_GROUP / 8 + nr - 1) / nr * nr;
    if (nt > eighth)
        nt = eighth > nr ? eighth : nr;
    s->block_tiles = nt;
    s->block_groups = nt / IMP_WINO_GROUP;
    if (s->block_groups > WG_MAX_GROUPS)
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "winograd: GEMM microkernel %s is too wide", s->uk->name);
    /* The 36 positions are written (V) and read (results) together: a
     * stride of a multiple of 4 KiB would put them all in one cache set. */
    s->v_pos_stride = (size_t)(s->c * nt) + 16;
    int64_t mr = s->uk->mr;
    s->m_block = (24 + mr - 1) / mr * mr;
    if (s->m_block > s->m)
        s->m_block = s->m;
    s->m_pos_stride = (size_t)(s->m_block * nt) + 16;
    s->scratch_per_thread = WG_POS * (s->v_pos_stride + s->m_pos_stride);
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

struct winograd_job {
    const struct conv_winograd *s;
    const float *x; /* one image [C, IH, IW] */
    float *y;       /* one image [M, OH, OW] */
    float *scratch;
};

/* Input transform of one group whose 6 x 34 patch crosses the image edge:
 * each channel goes through a zero-padded copy. */
static void input_edge_group(const struct conv_winograd *s, const float *x, int64_t iy0,
                             int64_t ix0, float *v)
{
    float patch[WG_IN * IMP_WINO_PATCH_W];
    int64_t q0 = ix0 < 0 ? -ix0 : 0;
    int64_t q1 = s->iw - ix0 < IMP_WINO_PATCH_W ? s->iw - ix0 : IMP_WINO_PATCH_W;
    for (int64_t c = 0; c < s->c; c++) {
        const float *plane = x + c * s->ih * s->iw;
        for (int r = 0; r < WG_IN; r++) {
            float *row = patch + r * IMP_WINO_PATCH_W;
            int64_t iy = iy0 + r;
            if (iy < 0 || iy >= s->ih || q1 <= q0) {
                memset(row, 0, sizeof(float) * IMP_WINO_PATCH_W);
                continue;
            }
            memset(row, 0, sizeof(float) * (size_t)q0);
            memcpy(row + q0, plane + iy * s->iw + ix0 + q0, sizeof(float) * (size_t)(q1 - q0));
            memset(row + q1, 0, sizeof(float) * (size_t)(IMP_WINO_PATCH_W - q1));
        }
        s->wk->input(patch, IMP_WINO_PATCH_W, 0, 1, v + (size_t)c * (size_t)s->uk->nr,
                     (size_t)s->uk->nr, s->v_pos_stride);
    }
}

/* Output transform of channel m for groups [g0, g0 + ng) of a block; res
 * is the channel's row of the GEMM results. */
static void output_channel(const struct conv_winograd *s, float *y, const float *res,
                           int64_t m, int64_t g0, int ng)
{
    float out_patch[WG_OUT * IMP_WINO_OUT_W];
    float b = s->bias ? s->bias[m] : 0.0f;
    float *plane = y + m * s->oh * s->ow;
    for (int i = 0; i < ng; i++) {
        int64_t g = g0 + i;
        int64_t oy0 = (g / s->groups_x) * WG_OUT;
        int64_t ox0 = (g % s->groups_x) * IMP_WINO_OUT_W;
        const float *mg = res + (size_t)i * IMP_WINO_GROUP;
        if (oy0 + WG_OUT <= s->oh && ox0 + IMP_WINO_OUT_W <= s->ow) {
            float *dst = plane + oy0 * s->ow + ox0;
            s->wk->output(mg, s->m_pos_stride, b, dst, (size_t)s->ow);
            imp_activation_apply_rows(&s->act, dst, WG_OUT, IMP_WINO_OUT_W, s->ow);
            continue;
        }
        s->wk->output(mg, s->m_pos_stride, b, out_patch, IMP_WINO_OUT_W);
        imp_activation_apply(&s->act, out_patch, WG_OUT * IMP_WINO_OUT_W);
        int64_t rows = s->oh - oy0 < WG_OUT ? s->oh - oy0 : WG_OUT;
        int64_t cols = s->ow - ox0 < IMP_WINO_OUT_W ? s->ow - ox0 : IMP_WINO_OUT_W;
        for (int64_t r = 0; r < rows; r++)
            memcpy(plane + (oy0 + r) * s->ow + ox0, out_patch + r * IMP_WINO_OUT_W,
                   sizeof(float) * (size_t)cols);
    }
}

static void winograd_blocks(void *ctx, size_t begin, size_t end, int thread)
{
    const struct winograd_job *job = ctx;
    const struct conv_winograd *s = job->s;
    const size_t nr = (size_t)s->uk->nr, nt = (size_t)s->block_tiles;
    const size_t c_n = (size_t)s->c;
    float *v = job->scratch + (size_t)thread * s->scratch_per_thread;
    float *mres = v + WG_POS * s->v_pos_stride;
    const size_t m_pos_stride = s->m_pos_stride;

    for (size_t blk = begin; blk < end; blk++) {
        int64_t g0 = (int64_t)blk * s->block_groups;
        int ng = s->n_groups - g0 < s->block_groups ? (int)(s->n_groups - g0)
                                                     : (int)s->block_groups;
        size_t n = (size_t)ng * IMP_WINO_GROUP;
        /* Channel by channel over the block's groups: the groups of a tile
         * row read consecutive stretches of the same six input rows, a
         * pattern the hardware prefetcher follows (group by group, all
         * channels, would be 6 x C streams). Edge groups go whole. */
        const float *src[WG_MAX_GROUPS];
        float *dst[WG_MAX_GROUPS];
        int n_fast = 0;
        for (int i = 0; i < ng; i++) {
            int64_t g = g0 + i;
            int64_t iy0 = (g / s->groups_x) * WG_OUT - s->pad_top;
            int64_t ix0 = (g % s->groups_x) * IMP_WINO_OUT_W - s->pad_left;
            size_t slot = (size_t)i * IMP_WINO_GROUP;
            float *vg = v + (slot / nr) * c_n * nr + slot % nr;
            if (iy0 >= 0 && iy0 + WG_IN <= s->ih && ix0 >= 0 &&
                ix0 + IMP_WINO_PATCH_W <= s->iw) {
                src[n_fast] = job->x + iy0 * s->iw + ix0;
                dst[n_fast++] = vg;
            } else {
                input_edge_group(s, job->x, iy0, ix0, vg);
            }
        }
        const size_t plane = (size_t)(s->ih * s->iw);
        for (size_t c = 0; c < c_n; c++) {
            /* Each channel's stretch of rows is short for the hardware
             * prefetcher to catch on: ask for the next channel's now. */
            if (c + 1 < c_n)
                for (int i = 0; i < n_fast; i++)
                    for (int r = 0; r < WG_IN; r++) {
                        const float *row = src[i] + (c + 1) * plane + (size_t)r * (size_t)s->iw;
                        __builtin_prefetch(row);
                        __builtin_prefetch(row + 16);
                    }
            for (int i = 0; i < n_fast; i++)
                s->wk->input(src[i] + c * plane, (size_t)s->iw, 0, 1, dst[i] + c * nr, nr,
                             s->v_pos_stride);
        }
        /* The GEMM reads whole nr-column panels: the columns past the last
         * group must be finite. */
        if (n % nr) {
            size_t slot = n, width = nr - n % nr;
            float *vp = v + (slot / nr) * c_n * nr + slot % nr;
            for (size_t p = 0; p < WG_POS; p++)
                for (size_t c = 0; c < c_n; c++)
                    memset(vp + p * s->v_pos_stride + c * nr, 0, sizeof(float) * width);
        }
        /* Output channels in blocks, so the GEMM results stay in cache
         * between the GEMMs that write them and the transform that reads
         * them. */
        for (int64_t m0 = 0; m0 < s->m; m0 += s->m_block) {
            int64_t mb = s->m - m0 < s->m_block ? s->m - m0 : s->m_block;
            for (size_t p = 0; p < WG_POS; p++)
                imp_gemm_packed(s->uk, (int)mb, (int)n, (int)s->c,
                                s->packed_u + p * s->packed_u_stride + (size_t)(m0 * s->c),
                                v + p * s->v_pos_stride, mres + p * m_pos_stride, nt, NULL);
            for (int64_t m = m0; m < m0 + mb; m++)
                output_channel(s, job->y, mres + (size_t)(m - m0) * nt, m, g0, ng);
        }
    }
}

static void conv_winograd_run(const struct imp_kernel_args *a)
{
    const struct conv_winograd *s = a->state;
    const size_t blocks = (size_t)((s->n_groups + s->block_groups - 1) / s->block_groups);
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
