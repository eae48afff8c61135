/*
 * Conv engine "depthwise_blocked": depthwise convolutions (one input
 * channel per output channel) whose output rows are narrower than a
 * vector, the 14x14 and 7x7 layers of MobileNets with hundreds of
 * channels (AVX-512 holds 16 floats). The "depthwise" engine, which
 * vectorises along a row, runs those one output at a time.
 *
 * Here a vector holds one pixel of `vf` channels. A work item is a block
 * of vf channels of one image: their planes are copied into a zero-padded
 * channels-last tile in per-thread scratch, every output pixel is one
 * chain of taps over the tile (kernels/dwconv.h `blocked`: bias, then taps
 * in order, as "depthwise" sums them), and the block's results are copied
 * back to NCHW, where the fused activation runs over its planes; both
 * copies go vf pixels by vf channels at a time through an in-register
 * transpose. The weights of a block are gathered per
 * item, so weights fed as graph inputs work unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "kernels/dwconv.h"
#include "ops/conv/conv_common.h"
#include "ops/conv/conv_engines.h"

#define DWB_MAX_K 16
#define DWB_MAX_STRIDE 4
#define DWB_MAX_PAD 16
/* Pictures up to this many padded pixels: a tile of 16 channels then
 * stays within 128 KB, in L2 with its output. */
#define DWB_MAX_TILE_PIXELS 2048
/* Below this many multiply-adds a layer runs on the calling thread. */
#define DWB_MIN_PARALLEL_MACS (64 * 1024)

struct conv_dwb {
    const struct imp_dwconv_kernels *k;
    int64_t n, c, ih, iw, oh, ow, taps, vf, blocks;
    int64_t pt, pl, th, tw;
    ptrdiff_t row_step, col_step;
    ptrdiff_t *off; /* per tap, floats into the tile */
    size_t tile_floats, out_floats, thread_floats;
    bool has_bias;
    struct imp_activation act;
};

/* Whether the node is a depthwise conv (multiplier 1) within this
 * engine's limits; its geometry in g. */
static bool dwb_geometry(const struct imp_kernel_args *a, struct imp_conv_geom *g)
{
    if (a->in[0]->shape.rank != 4 ||
        imp_conv_forward_geometry(a->node, a->in, a->n_in, g, NULL) != IMP_OK)
        return false;
    if (g->cg != 1 || g->group != g->c || g->mg != 1)
        return false;
    const struct imp_window *w = &g->w;
    for (int i = IMP_WIN_AXES - 2; i < IMP_WIN_AXES; i++)
        if (w->k[i] > DWB_MAX_K || w->s[i] > DWB_MAX_STRIDE || w->d[i] > DWB_MAX_STRIDE ||
            w->pb[i] < 0 || w->pe[i] < 0 || w->pb[i] > DWB_MAX_PAD ||
            w->pe[i] > DWB_MAX_PAD || w->out[i] < 1)
            return false;
    return true;
}

static bool conv_dwb_supports(const struct imp_kernel_args *a)
{
    if (!imp_conv_pads_zeros(a->node))
        return false;
    struct imp_conv_geom g;
    if (!dwb_geometry(a, &g))
        return false;
    const int ax = IMP_WIN_AXES - 2;
    const int64_t vf = imp_dwconv_kernels_for(a->isa)->vf;
    const int64_t th = g.w.pb[ax] + g.w.in[ax] + g.w.pe[ax];
    const int64_t tw = g.w.pb[ax + 1] + g.w.in[ax + 1] + g.w.pe[ax + 1];
    /* Rows narrower than a vector, which the row kernel computes one
     * output at a time, and enough channels to fill the vectors. On rows
     * of one to two vectors (28x28 maps at AVX-512) the row kernel is
     * twice as fast for 3x3 kernels, the copies to and from the tile
     * costing more than they save, and half as fast for 5x5 ones, where
     * the taps outweigh the copies (MobileNetV2 and V3-large, 1 thread). */
    const int64_t ow = g.w.out[ax + 1], taps = g.w.k[ax] * g.w.k[ax + 1];
    return (ow < vf || (ow < 2 * vf && taps > 9)) && g.c >= vf &&
           th * tw <= DWB_MAX_TILE_PIXELS;
}

static void conv_dwb_release(void *state)
{
    struct conv_dwb *s = state;
    if (!s)
        return;
    free(s->off);
    free(s);
}

static enum imp_status conv_dwb_prepare(const struct imp_kernel_args *a, void **state,
                                        size_t *scratch, struct imp_error *err)
{
    struct imp_conv_geom g;
    if (!dwb_geometry(a, &g))
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "not a depthwise conv the blocked engine takes");
    struct conv_dwb *s = calloc(1, sizeof *s);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = s;
    const struct imp_window *win = &g.w;
    const int ax = IMP_WIN_AXES - 2;
    const int64_t kh = win->k[ax], kw = win->k[ax + 1];
    s->k = imp_dwconv_kernels_for(a->isa);
    s->vf = s->k->vf;
    s->n = g.n;
    s->c = g.c;
    s->ih = win->in[ax];
    s->iw = win->in[ax + 1];
    s->oh = win->out[ax];
    s->ow = win->out[ax + 1];
    s->taps = kh * kw;
    s->pt = win->pb[ax];
    s->pl = win->pb[ax + 1];
    s->th = s->pt + s->ih + win->pe[ax];
    s->tw = s->pl + s->iw + win->pe[ax + 1];
    s->blocks = (s->c + s->vf - 1) / s->vf;
    s->has_bias = g.has_bias;
    s->act = g.act;
    imp_activation_bind(&s->act, a->isa);
    s->row_step = (ptrdiff_t)(win->s[ax] * s->tw * s->vf);
    s->col_step = (ptrdiff_t)(win->s[ax + 1] * s->vf);
    s->off = malloc(sizeof(ptrdiff_t) * (size_t)s->taps);
    if (!s->off)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    for (int64_t ky = 0; ky < kh; ky++)
        for (int64_t kx = 0; kx < kw; kx++)
            s->off[ky * kw + kx] =
                (ptrdiff_t)((ky * win->d[ax] * s->tw + kx * win->d[ax + 1]) * s->vf);
    /* The windows of the last output row and column may end before the
     * padded picture does; the tile holds all of it. */
    s->tile_floats = (size_t)(s->th * s->tw * s->vf);
    s->out_floats = (size_t)(s->oh * s->ow * s->vf);
    /* tile, output, the block's weights and bias; 64-byte steps */
    s->thread_floats = (s->tile_floats + s->out_floats + (size_t)((s->taps + 1) * s->vf) + 15) &
                       ~(size_t)15;
    *scratch = sizeof(float) * s->thread_floats * (size_t)imp_threadpool_size(a->pool);
    return IMP_OK;
}

struct dwb_job {
    const struct conv_dwb *s;
    const float *x, *w, *b;
    float *y, *scratch;
};

/* The tile's padding: whole rows above and below the picture, and the
 * columns left and right of each of its rows. */
static void zero_border(const struct conv_dwb *s, float *tile)
{
    const size_t vf = (size_t)s->vf, row = (size_t)s->tw * vf;
    const size_t left = (size_t)s->pl * vf, right = (size_t)(s->tw - s->pl - s->iw) * vf;
    memset(tile, 0, sizeof(float) * (size_t)s->pt * row);
    const size_t below = (size_t)(s->pt + s->ih);
    memset(tile + below * row, 0, sizeof(float) * ((size_t)s->th - below) * row);
    for (int64_t i = 0; i < s->ih; i++) {
        float *r = tile + (size_t)(s->pt + i) * row;
        memset(r, 0, sizeof(float) * left);
        memset(r + row - right, 0, sizeof(float) * right);
    }
}

static void dwb_blocks(void *ctx, size_t begin, size_t end, int thread)
{
    const struct dwb_job *j = ctx;
    const struct conv_dwb *s = j->s;
    const int64_t vf = s->vf, taps = s->taps, plane_in = s->ih * s->iw;
    const int64_t plane_out = s->oh * s->ow;
    float *tile = j->scratch + (size_t)thread * s->thread_floats;
    float *out = tile + s->tile_floats;
    float *w = out + s->out_floats, *bias = w + taps * vf;
    for (size_t item = begin; item < end; item++) {
        const int64_t img = (int64_t)item / s->blocks;
        const int64_t c0 = (int64_t)item % s->blocks * vf;
        const int64_t lanes = s->c - c0 < vf ? s->c - c0 : vf;
        const float *x = j->x + (img * s->c + c0) * plane_in;
        float *y = j->y + (img * s->c + c0) * plane_out;
        /* to_tile writes every lane of the picture's pixels (missing
         * lanes of the last block of a channel count no multiple of vf as
         * zeros, never stored), so only the padding around it needs
         * zeros, and it keeps them for the rest of the chunk. */
        if (item == begin)
            zero_border(s, tile);
        for (int64_t l = 0; l < vf; l++) {
            for (int64_t t = 0; t < taps; t++)
                w[t * vf + l] = l < lanes ? j->w[(c0 + l) * taps + t] : 0.0f;
            bias[l] = l < lanes && j->b ? j->b[c0 + l] : 0.0f;
        }
        s->k->to_tile(x, (ptrdiff_t)plane_in, lanes, s->ih, s->iw,
                      tile + (s->pt * s->tw + s->pl) * vf, (ptrdiff_t)s->tw);
        s->k->blocked(tile, s->row_step, s->col_step, s->off, w, taps, bias, s->oh, s->ow,
                      out);
        s->k->from_tile(out, plane_out, lanes, y, (ptrdiff_t)plane_out);
        imp_activation_apply(&s->act, y, lanes * plane_out);
    }
}

static void conv_dwb_run(const struct imp_kernel_args *a)
{
    const struct conv_dwb *s = a->state;
    struct dwb_job j = {.s = s, .x = a->in[0]->data, .w = a->in[1]->data,
                        .b = s->has_bias ? a->in[2]->data : NULL,
                        .y = a->out[0]->data, .scratch = a->scratch};
    const size_t items = (size_t)(s->n * s->blocks);
    const size_t grain =
        s->n * s->c * s->oh * s->ow * s->taps < DWB_MIN_PARALLEL_MACS ? items : 1;
    imp_parallel_for(a->pool, items, grain, dwb_blocks, &j);
}

const struct imp_engine imp_conv_dw_blocked_engine = {
    .name = "depthwise_blocked", .supports = conv_dwb_supports, .prepare = conv_dwb_prepare,
    .run = conv_dwb_run, .release = conv_dwb_release};
