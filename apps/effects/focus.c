#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "background.h"
#include "bokeh.h"
#include "downsample.h"
#include "focus.h"
#include "grid.h"
#include "guided_filter.h"
#include "lens_blur.h"
#include "resample.h"
#include "srgb.h"

/* The blur grid is chosen so the disc's radius on it is about this many
 * cells: round enough to look like a disc, small enough to be cheap. */
#define BLUR_GRID_RADIUS 8

struct imp_focus {
    int w, h, mw, mh, threads;
    int refine_r; /* the guided filter's window radius in guide pixels */
    struct imp_focus_options opt;
    struct imp_fx_parallel par;
    struct imp_srgb *srgb;
    float boost[256];
    struct imp_grid_axis gx, gy, bx, by; /* guide and blur grids */
    float *guide;       /* gx.cells x gy.cells x 3 */
    float *coarse;      /* the model's mask on the guide grid */
    float *coef;        /* guided filter coefficients, 4 per guide pixel */
    signed char *sure;  /* per guide pixel: surely 0, surely 1, or -1 */
    float *fit_scratch; /* for imp_guided_coefficients */
    float *cells;       /* gathered background, bx.cells x by.cells x 4 */
    float *blurred;     /* the same, disc-blurred */
    float *blur_scratch;
    float *row_tmp;     /* per thread: grid rows read back at full width */
    size_t row_tmp_floats;
    uint8_t *mask;      /* width x height */
    const uint8_t *background;
    float blur;
    int guide_ready; /* this frame's guide statistics are computed */
    struct imp_focus_stats stats, cpu; /* wall-clock and CPU time */
};

/* Each step is timed by the wall clock and by the process's CPU time:
 * on a machine shared with other work the CPU time (with one thread) is
 * the step's cost without the waiting. */
struct mark {
    double wall, cpu;
};

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct mark mark_now(void)
{
    return (struct mark){clock_ms(CLOCK_MONOTONIC), clock_ms(CLOCK_PROCESS_CPUTIME_ID)};
}

/* The time since *m into *wall and *cpu; *m becomes now. */
static void lap(struct mark *m, double *wall, double *cpu)
{
    struct mark now = mark_now();
    *wall = now.wall - m->wall;
    *cpu = now.cpu - m->cpu;
    *m = now;
}

struct imp_focus_options imp_focus_options_default(void)
{
    struct imp_focus_options o = {-1.0f, 2.0f, 2.0f, 1e-3f, 0.15f, 320};
    return o;
}

struct imp_focus *imp_focus_create(int width, int height, int model_w, int model_h,
                                   const struct imp_focus_options *o,
                                   const struct imp_fx_parallel *par)
{
    if (width < 1 || height < 1 || width > 65535 || height > 65535 || model_w < 1 ||
        model_h < 1 || model_w > 4096 || model_h > 4096)
        return NULL;
    struct imp_focus *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->w = width;
    f->h = height;
    f->mw = model_w;
    f->mh = model_h;
    f->opt = o ? *o : imp_focus_options_default();
    if (par)
        f->par = *par;
    f->threads = imp_fx_threads(par);
    int longer = width > height ? width : height;
    f->blur = f->opt.blur >= 0 ? f->opt.blur : 0.02f * (float)longer;
    if (!(f->blur <= 8.0f * IMP_LENS_MAX_RADIUS)) /* also NaN */
        f->blur = 8.0f * IMP_LENS_MAX_RADIUS;
    if (!(f->opt.snap >= 0.0f && f->opt.snap < 0.49f))
        f->opt.snap = f->opt.snap >= 0.49f ? 0.49f : 0.0f;
    if (!(f->opt.refine_eps > 1e-8f))
        f->opt.refine_eps = 1e-8f;
    if (!(f->opt.highlight_gain >= 0.0f && f->opt.highlight_gain <= 100.0f))
        f->opt.highlight_gain = f->opt.highlight_gain > 100.0f ? 100.0f : 0.0f;
    /* At least 16 guide pixels across, which also keeps a cell's byte sums
     * (factor <= 4096) within 32 bits. */
    if (f->opt.guide_size < 16)
        f->opt.guide_size = 16;
    int gf = imp_grid_factor(longer, f->opt.guide_size);
    /* The fit's window must span the coarse mask's uncertain band, which
     * is a model pixel or two wide whatever the frame's size. */
    double model_px = fmax((double)width / model_w, (double)height / model_h) / gf;
    double r = f->opt.refine_radius * model_px;
    f->refine_r = !(r >= 1.0) ? 1 : r > 64 ? 64 : (int)(r + 0.5);
    int bf = (int)(f->blur / BLUR_GRID_RADIUS);
    bf = bf < 1 ? 1 : bf;
    if (imp_grid_axis_init(&f->gx, width, gf) || imp_grid_axis_init(&f->gy, height, gf) ||
        imp_grid_axis_init(&f->bx, width, bf) || imp_grid_axis_init(&f->by, height, bf))
        goto fail;
    size_t gn = (size_t)f->gx.cells * f->gy.cells, bn = (size_t)f->bx.cells * f->by.cells;
    /* Per thread: a grid cache (two wide rows) and the row read back; the
     * mask's row flags (a byte per guide cell) fit in the same space. */
    f->row_tmp_floats = (size_t)width * 4 * 3 + (size_t)width / 4 + 1;
    f->srgb = malloc(sizeof *f->srgb);
    f->guide = malloc(sizeof *f->guide * gn * 3);
    f->coarse = malloc(sizeof *f->coarse * gn);
    f->coef = malloc(sizeof *f->coef * gn * 4);
    f->sure = malloc(gn);
    f->fit_scratch = malloc(sizeof *f->fit_scratch *
                            imp_guided_scratch_floats(f->gx.cells, f->gy.cells, f->threads));
    f->cells = malloc(sizeof *f->cells * bn * 4);
    f->blurred = malloc(sizeof *f->blurred * bn * 4);
    f->blur_scratch = malloc(sizeof *f->blur_scratch *
                             imp_lens_blur_scratch_floats(f->bx.cells, f->by.cells, 4));
    f->row_tmp = malloc(sizeof *f->row_tmp * f->row_tmp_floats * f->threads);
    f->mask = malloc((size_t)width * height);
    if (!f->srgb || !f->guide || !f->coarse || !f->coef || !f->sure || !f->fit_scratch ||
        !f->cells || !f->blurred || !f->blur_scratch || !f->row_tmp || !f->mask)
        goto fail;
    imp_srgb_init(f->srgb);
    imp_bokeh_boost_table(f->srgb, f->opt.highlight_gain, f->boost);
    return f;
fail:
    imp_focus_free(f);
    return NULL;
}

void imp_focus_free(struct imp_focus *f)
{
    if (!f)
        return;
    imp_grid_axis_free(&f->gx);
    imp_grid_axis_free(&f->gy);
    imp_grid_axis_free(&f->bx);
    imp_grid_axis_free(&f->by);
    free(f->srgb);
    free(f->guide);
    free(f->coarse);
    free(f->coef);
    free(f->sure);
    free(f->fit_scratch);
    free(f->cells);
    free(f->blurred);
    free(f->blur_scratch);
    free(f->row_tmp);
    free(f->mask);
    free(f);
}

void imp_focus_set_background(struct imp_focus *f, const uint8_t *rgb)
{
    f->background = rgb;
}

/* The model's input from the guide, per output row, bilinear (the guide
 * is already an area average near the model's size, so no aliasing). */
static void model_input_from_guide(const struct imp_focus *f, float *input)
{
    int gw = f->gx.cells, gh = f->gy.cells;
    if (gw == f->mw && gh == f->mh) {
        memcpy(input, f->guide, sizeof *input * (size_t)gw * gh * 3);
        return;
    }
    for (int y = 0; y < f->mh; y++) {
        double v = (y + 0.5) * ((double)gh / f->mh) - 0.5;
        v = v < 0 ? 0 : v;
        int y0 = (int)v < gh - 1 ? (int)v : gh - 1, y1 = y0 + 1 < gh ? y0 + 1 : y0;
        float fy = y1 == y0 ? 0.0f : (float)(v - y0);
        for (int x = 0; x < f->mw; x++) {
            double u = (x + 0.5) * ((double)gw / f->mw) - 0.5;
            u = u < 0 ? 0 : u;
            int x0 = (int)u < gw - 1 ? (int)u : gw - 1, x1 = x0 + 1 < gw ? x0 + 1 : x0;
            float fx = x1 == x0 ? 0.0f : (float)(u - x0);
            for (int c = 0; c < 3; c++) {
                const float *g = f->guide + c;
                float a = g[((size_t)y0 * gw + x0) * 3], b = g[((size_t)y0 * gw + x1) * 3];
                float d = g[((size_t)y1 * gw + x0) * 3], e = g[((size_t)y1 * gw + x1) * 3];
                float top = a + fx * (b - a), bottom = d + fx * (e - d);
                input[((size_t)y * f->mw + x) * 3 + c] = top + fy * (bottom - top);
            }
        }
    }
}

void imp_focus_prepare(struct imp_focus *f, const uint8_t *rgb, float *model_input)
{
    struct mark m = mark_now();
    imp_downsample_rgb8(rgb, f->w, f->h, f->gx.factor, f->guide, &f->par);
    model_input_from_guide(f, model_input);
    f->guide_ready = 0;
    f->stats.model_ms = f->cpu.model_ms = 0;
    lap(&m, &f->stats.shrink_ms, &f->cpu.shrink_ms);
}

struct beside {
    struct imp_focus *f;
    const float *input;
    imp_focus_segment_fn segment;
    void *ctx;
    float *mask;
    char *err;
    size_t err_size;
    int rc;
};

static void guide_stats(struct imp_focus *f, const struct imp_fx_parallel *par)
{
    imp_guided_guide_stats(f->guide, f->gx.cells, f->gy.cells, f->refine_r, f->opt.refine_eps,
                           f->fit_scratch, par);
    f->guide_ready = 1;
}

/* Item 0: the network; item 1: the guide's statistics, on one thread (the
 * pool is busy running this). */
static void network_beside_guide(void *ctx, size_t begin, size_t end, int thread)
{
    struct beside *b = ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++) {
        if (i == 0)
            b->rc = b->segment(b->ctx, b->input, b->mask, b->err, b->err_size);
        else
            guide_stats(b->f, NULL);
    }
}

int imp_focus_segment(struct imp_focus *f, const uint8_t *rgb, float *model_input,
                      imp_focus_segment_fn segment, void *ctx, float *mask, char *err,
                      size_t err_size)
{
    if (rgb)
        imp_focus_prepare(f, rgb, model_input);
    struct mark m = mark_now();
    struct beside b = {f, model_input, segment, ctx, mask, err, err_size, 0};
    imp_fx_parallel_for(&f->par, 2, 1, network_beside_guide, &b);
    lap(&m, &f->stats.model_ms, &f->cpu.model_ms);
    return b.rc;
}

struct pass {
    struct imp_focus *f;
    const uint8_t *rgb;
    uint8_t *out;
};

/* This thread's scratch: an empty grid cache, and where the row read
 * back goes. */
static float *thread_rows(const struct imp_focus *f, int thread,
                         struct imp_grid_cache *cache)
{
    float *base = f->row_tmp + (size_t)thread * f->row_tmp_floats;
    size_t wide = (size_t)f->w * 4;
    cache->wide[0] = base;
    cache->wide[1] = base + wide;
    cache->row[0] = cache->row[1] = -1;
    return base + 2 * wide;
}

/* The full-resolution mask, one blur-grid row (a band of `factor` rows) at
 * a time, gathering that band's background into its grid row. */
static void mask_and_gather(void *ctx, size_t begin, size_t end, int thread)
{
    const struct pass *p = ctx;
    struct imp_focus *f = p->f;
    signed char *flags = (signed char *)(f->row_tmp + (size_t)thread * f->row_tmp_floats);
    float lo = f->opt.snap, hi = 1.0f - f->opt.snap;
    for (size_t row = begin; row < end; row++) {
        float *cells = f->cells + row * (size_t)f->bx.cells * 4;
        memset(cells, 0, sizeof *cells * (size_t)f->bx.cells * 4);
        int y0 = (int)row * f->by.factor;
        int y1 = y0 + f->by.factor < f->h ? y0 + f->by.factor : f->h;
        for (int y = y0; y < y1; y++) {
            const uint8_t *src = p->rgb + (size_t)y * f->w * 3;
            uint8_t *m = f->mask + (size_t)y * f->w;
            imp_guided_apply_row(f->coef, f->sure, &f->gx, &f->gy, y, src, lo, hi, m, flags);
            imp_bokeh_gather_row(src, m, f->w, f->bx.factor, f->srgb, f->boost, cells);
        }
    }
}

/* With a replacement background there is nothing to gather: the mask row
 * and the output row are made together. */
static void mask_and_replace(void *ctx, size_t begin, size_t end, int thread)
{
    const struct pass *p = ctx;
    struct imp_focus *f = p->f;
    signed char *flags = (signed char *)(f->row_tmp + (size_t)thread * f->row_tmp_floats);
    for (size_t y = begin; y < end; y++) {
        size_t at = y * (size_t)f->w;
        imp_guided_apply_row(f->coef, f->sure, &f->gx, &f->gy, (int)y, p->rgb + at * 3,
                             f->opt.snap, 1.0f - f->opt.snap, f->mask + at, flags);
        imp_background_replace_row(p->rgb + at * 3, f->mask + at, f->background + at * 3,
                                   f->w, f->srgb, p->out + at * 3);
    }
}

static void composite(void *ctx, size_t begin, size_t end, int thread)
{
    const struct pass *p = ctx;
    struct imp_focus *f = p->f;
    struct imp_grid_cache cache;
    float *sums = thread_rows(f, thread, &cache);
    for (size_t y = begin; y < end; y++) {
        size_t at = y * (size_t)f->w;
        imp_grid_read_row(f->blurred, 4, &f->bx, &f->by, (int)y, &cache, sums);
        imp_bokeh_composite_row(p->rgb + at * 3, f->mask + at, sums, f->w, f->srgb,
                                p->out + at * 3);
    }
}

void imp_focus_render(struct imp_focus *f, const uint8_t *rgb, const float *mask,
                      uint8_t *out)
{
    struct mark m = mark_now();
    struct imp_focus_stats *w = &f->stats, *c = &f->cpu;
    int gw = f->gx.cells, gh = f->gy.cells;
    imp_resample_bilinear_f32(mask, f->mw, f->mh, f->coarse, gw, gh);
    if (!f->guide_ready)
        guide_stats(f, &f->par);
    imp_guided_fit(f->guide, f->coarse, gw, gh, f->refine_r, f->coef, f->fit_scratch,
                   &f->par);
    imp_guided_sure_cells(f->coef, (size_t)gw * gh, f->opt.snap, 1.0f - f->opt.snap, f->sure);
    lap(&m, &w->refine_ms, &c->refine_ms);
    struct pass p = {f, rgb, out};
    if (f->background) {
        imp_fx_parallel_for(&f->par, (size_t)f->h, 16, mask_and_replace, &p);
        lap(&m, &w->mask_ms, &c->mask_ms);
        w->blur_ms = c->blur_ms = w->composite_ms = c->composite_ms = 0;
        return;
    }
    imp_fx_parallel_for(&f->par, (size_t)f->by.cells, 1, mask_and_gather, &p);
    lap(&m, &w->mask_ms, &c->mask_ms);
    imp_lens_blur_sum(f->cells, f->blurred, f->bx.cells, f->by.cells, 4,
                      f->blur / (float)f->bx.factor, f->blur_scratch, &f->par);
    lap(&m, &w->blur_ms, &c->blur_ms);
    imp_fx_parallel_for(&f->par, (size_t)f->h, 16, composite, &p);
    lap(&m, &w->composite_ms, &c->composite_ms);
}

/* The plate: the mask turned over, so the blurred background (from
 * background pixels only) fills the person and the photo stays elsewhere. */
static void plate_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct pass *p = ctx;
    struct imp_focus *f = p->f;
    struct imp_grid_cache cache;
    float *sums = thread_rows(f, thread, &cache);
    uint8_t *turned = (uint8_t *)(sums + (size_t)f->w * 4);
    for (size_t y = begin; y < end; y++) {
        size_t at = y * (size_t)f->w;
        for (int x = 0; x < f->w; x++)
            turned[x] = (uint8_t)(255 - f->mask[at + x]);
        imp_grid_read_row(f->blurred, 4, &f->bx, &f->by, (int)y, &cache, sums);
        imp_bokeh_composite_row(p->rgb + at * 3, turned, sums, f->w, f->srgb,
                                p->out + at * 3);
    }
}

void imp_focus_plate(struct imp_focus *f, const uint8_t *rgb, uint8_t *out)
{
    struct pass p = {f, rgb, out};
    imp_fx_parallel_for(&f->par, (size_t)f->h, 16, plate_rows, &p);
}

struct layers {
    struct imp_focus *f;
    const uint8_t *person, *background;
    uint8_t *out;
};

static void layer_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct layers *l = ctx;
    const struct imp_focus *f = l->f;
    for (size_t y = begin; y < end; y++) {
        size_t at = y * (size_t)f->w;
        imp_background_replace_row(l->person + at * 3, f->mask + at, l->background + at * 3,
                                   f->w, f->srgb, l->out + at * 3);
    }
}

void imp_focus_layer(struct imp_focus *f, const uint8_t *person, const uint8_t *background,
                     uint8_t *out)
{
    struct layers l = {f, person, background, out};
    imp_fx_parallel_for(&f->par, (size_t)f->h, 16, layer_rows, &l);
}

const uint8_t *imp_focus_mask(const struct imp_focus *f)
{
    return f->mask;
}

const struct imp_focus_stats *imp_focus_stats(const struct imp_focus *f)
{
    return &f->stats;
}

const struct imp_focus_stats *imp_focus_cpu_stats(const struct imp_focus *f)
{
    return &f->cpu;
}

float imp_focus_blur_radius(const struct imp_focus *f)
{
    return f->blur;
}

void imp_focus_grids(const struct imp_focus *f, int *guide_factor, int *blur_factor)
{
    *guide_factor = f->gx.factor;
    *blur_factor = f->bx.factor;
}
