#include "stylize.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "color.h"
#include "resample.h"

/* One dim of the network input: fixed by the model (size > 0) or open. */
struct dim_plan {
    int fixed;  /* the model's size, or 0 when open */
    int tile;   /* the size each run takes in this dim */
    int n;      /* tiles along it */
    int *start; /* picture coordinate of each tile's first pixel (may be < 0) */
};

struct imp_stylizer {
    const struct imp_model *model;
    struct imp_predictor *pred;
    struct imp_stylizer_options opt;
    int b_dim, c_dim, h_dim; /* indices into the rank-4 input (w is h + 1) */
    int fixed_h, fixed_w;    /* 0 when open */
    int stride;              /* open dims are padded to a multiple of this */
    double bytes_per_pixel;  /* activation bytes per input pixel (open dims) */
    int run_w, run_h;        /* the input size planned now (0: none yet) */
    float *tensor;           /* run_w * run_h * 3 */
    float *tile_rgb;         /* the same, back in RGB 0..255 interleaved */
    size_t tensor_cap;
    float *acc;              /* the picture's runs added up (tiles, padding) */
    size_t acc_cap;
    size_t stats_count;
    /* mean, var, summed mean, summed mean of squares, and what the last
     * tiled run's whole-picture measuring run measured (mean, var) */
    double *stats[6];
    int tiled_measured; /* the last run measured the whole picture apart */
    enum imp_norm_stats_mode norm_mode; /* untiled runs, tiled ones' measuring run */
    double norm_weight;
    struct imp_stylizer_report report;
};

static int failf(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

struct imp_stylizer_options imp_stylizer_options_default(void)
{
    struct imp_stylizer_options o;
    memset(&o, 0, sizeof o);
    o.predictor = imp_predictor_options_default();
    o.convention.scale = 1.0f / 255.0f;
    o.tile = -1;
    o.max_memory = (size_t)1 << 30;
    o.tile_stats = 1;
    o.strength = 1.0f;
    return o;
}

static int input_layout(const struct imp_tensor_info *in, int *c_dim, char *why,
                        size_t why_size)
{
    if (in->rank != 4 || in->dtype != IMP_DTYPE_F32 || (in->dims[0] > 1))
        return failf(why, why_size,
                     "input '%s' is not a picture (want float32 [1, 3, H, W] or "
                     "[1, H, W, 3])",
                     in->name);
    if (in->dims[1] == 3)
        *c_dim = 1;
    else if (in->dims[3] == 3)
        *c_dim = 3;
    else
        return failf(why, why_size, "input '%s' has no channel dim of 3: not a picture",
                     in->name);
    return 0;
}

/* "LO,HI": two finite numbers that differ. */
static int parse_range(const char *text, float *lo, float *hi)
{
    char *end;
    double a = strtod(text, &end);
    if (end == text || *end != ',')
        return -1;
    const char *second = end + 1;
    double b = strtod(second, &end);
    if (end == second || *end || !isfinite(a) || !isfinite(b) || a == b ||
        fabs(a) > 1e6 || fabs(b) > 1e6)
        return -1;
    *lo = (float)a;
    *hi = (float)b;
    return 0;
}

int imp_style_detect(const struct imp_model *m, struct imp_style_convention *c, char *why,
                     size_t why_size)
{
    memset(c, 0, sizeof *c);
    struct imp_tensor_info in;
    if (imp_model_input_count(m) < 1 || imp_model_input_info(m, 0, &in) != IMP_OK)
        return failf(why, why_size, "the model has no input");
    int c_dim = 1;
    if (input_layout(&in, &c_dim, why, why_size) != 0)
        return -1;
    c->nhwc = c_dim == 3;
    c->scale = 1.0f / 255.0f;
    for (int i = 0; i < imp_model_node_count(m); i++) {
        const char *op = imp_model_node_op(m, i);
        if (op && strcmp(op, "ImageScaler") == 0) {
            c->bgr = 1;
            c->scale = 1.0f;
            break;
        }
    }
    /* What the model says about itself wins over the guesses. */
    const char *layout = imp_model_metadata_find(m, "impasto.input.layout");
    const char *channels = imp_model_metadata_find(m, "impasto.input.channels");
    const char *range = imp_model_metadata_find(m, "impasto.input.range");
    const char *out_range = imp_model_metadata_find(m, "impasto.output.range");
    if (layout) {
        if (strcmp(layout, "NCHW") != 0 && strcmp(layout, "NHWC") != 0)
            return failf(why, why_size, "impasto.input.layout '%s' is not NCHW or NHWC",
                         layout);
        c->nhwc = strcmp(layout, "NHWC") == 0;
        if (in.dims[c->nhwc ? 3 : 1] != 3)
            return failf(why, why_size, "impasto.input.layout says %s, but input '%s' has "
                                        "no 3 channels there",
                         layout, in.name);
    }
    if (channels) {
        if (strcmp(channels, "RGB") != 0 && strcmp(channels, "BGR") != 0)
            return failf(why, why_size, "impasto.input.channels '%s' is not RGB or BGR",
                         channels);
        c->bgr = strcmp(channels, "BGR") == 0;
    }
    float lo, hi;
    if (range) {
        if (parse_range(range, &lo, &hi) != 0)
            return failf(why, why_size, "impasto.input.range '%s' is not LO,HI", range);
        c->scale = (hi - lo) / 255.0f;
        c->mean[0] = c->mean[1] = c->mean[2] = -lo;
    }
    if (out_range) {
        if (parse_range(out_range, &lo, &hi) != 0)
            return failf(why, why_size, "impasto.output.range '%s' is not LO,HI", out_range);
        c->out_lo = lo;
        c->out_hi = hi;
    }
    return 0;
}

/* Picture index i mirrored into [0, n) without repeating the edge
 * (reflect), for any i: pads wider than the picture fold again. */
static int mirror(int i, int n)
{
    if (i >= 0 && i < n) /* inside: most pixels, and no division (video) */
        return i;
    if (n == 1)
        return 0;
    int period = 2 * n - 2;
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

static int ensure_size(struct imp_stylizer *s, int w, int h, char *why, size_t why_size)
{
    if (s->run_w == w && s->run_h == h)
        return 0;
    int64_t dims[4];
    dims[0] = 1;
    dims[s->c_dim] = 3;
    dims[s->h_dim] = h;
    dims[s->h_dim + 1] = w;
    if (imp_predictor_resize_input(s->pred, 0, 4, dims) != IMP_OK)
        return failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
    size_t n = (size_t)w * h * 3;
    if (n > s->tensor_cap) {
        free(s->tensor);
        free(s->tile_rgb);
        s->tensor = malloc(n * sizeof *s->tensor);
        s->tile_rgb = malloc(n * sizeof *s->tile_rgb);
        s->tensor_cap = s->tensor && s->tile_rgb ? n : 0;
        if (!s->tensor_cap)
            return failf(why, why_size, "out of memory");
    }
    s->run_w = w;
    s->run_h = h;
    return 0;
}

/* The network on the picture's region [x0, x0 + run_w) x [y0, y0 + run_h)
 * (mirrored where it leaves the picture); the result lands in s->tile_rgb
 * as RGB 0..255. */
static int run_region(struct imp_stylizer *s, const uint8_t *rgb, int w, int h, int x0,
                      int y0, char *why, size_t why_size)
{
    const struct imp_style_convention *cv = &s->opt.convention;
    int rw = s->run_w, rh = s->run_h;
    size_t plane = (size_t)rw * rh;
    float mul[3], add[3];
    for (int c = 0; c < 3; c++) {
        int k = cv->bgr ? 2 - c : c; /* the network's channel for colour c */
        mul[k] = cv->scale;
        add[k] = -cv->mean[c];
    }
    /* Where colour c of a pixel goes: its channel's plane (NCHW) or slot
     * (NHWC), and the step from pixel to pixel; decided once, not per value
     * (this loop runs for every pixel of every video frame). */
    float *base[3], m[3], a[3];
    size_t step = cv->nhwc ? 3 : 1;
    for (int c = 0; c < 3; c++) {
        int k = cv->bgr ? 2 - c : c;
        base[c] = cv->nhwc ? s->tensor + k : s->tensor + (size_t)k * plane;
        m[c] = mul[k];
        a[c] = add[k];
    }
    for (int y = 0; y < rh; y++) {
        const uint8_t *row = rgb + (size_t)mirror(y0 + y, h) * w * 3;
        size_t p0 = (size_t)y * rw * step;
        float *d0 = base[0] + p0, *d1 = base[1] + p0, *d2 = base[2] + p0;
        int inside = x0 >= 0 && x0 + rw <= w; /* no column to mirror */
        const uint8_t *from = row + (size_t)(inside ? x0 : 0) * 3;
        if (inside && step == 1) { /* NCHW within the picture: the common case */
            for (int x = 0; x < rw; x++) {
                d0[x] = from[x * 3] * m[0] + a[0];
                d1[x] = from[x * 3 + 1] * m[1] + a[1];
                d2[x] = from[x * 3 + 2] * m[2] + a[2];
            }
            continue;
        }
        for (int x = 0; x < rw; x++) {
            const uint8_t *px = row + (size_t)mirror(x0 + x, w) * 3;
            d0[x * step] = px[0] * m[0] + a[0];
            d1[x * step] = px[1] * m[1] + a[1];
            d2[x * step] = px[2] * m[2] + a[2];
        }
    }
    if (imp_predictor_set_input(s->pred, 0, s->tensor, plane * 3 * sizeof(float)) != IMP_OK)
        return failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
    double t0 = now_ms();
    enum imp_status st = imp_predictor_run(s->pred);
    s->report.network_ms += now_ms() - t0;
    s->report.runs++;
    if (st != IMP_OK)
        return failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
    struct imp_tensor_info out;
    const void *data;
    if (imp_predictor_output(s->pred, 0, &out, &data) != IMP_OK)
        return failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
    int oc = s->c_dim, oh = s->h_dim;
    if (out.rank != 4 || out.dtype != IMP_DTYPE_F32 || out.dims[oc] != 3 ||
        out.dims[oh] != rh || out.dims[oh + 1] != rw)
        return failf(why, why_size,
                     "output '%s' is not a %dx%d picture like the input (the network "
                     "must give back the size it takes)",
                     out.name, rw, rh);
    const float *o = data;
    float omul[3], oadd[3]; /* output value -> 0..255 */
    for (int k = 0; k < 3; k++) {
        if (cv->out_lo != cv->out_hi) {
            omul[k] = 255.0f / (cv->out_hi - cv->out_lo);
            oadd[k] = -cv->out_lo * omul[k];
        } else { /* the inverse of the input's mapping */
            omul[k] = 1.0f / mul[k];
            oadd[k] = -add[k] / mul[k];
        }
    }
    const float *src[3];
    float om[3], oa[3];
    for (int c = 0; c < 3; c++) {
        int k = cv->bgr ? 2 - c : c;
        src[c] = cv->nhwc ? o + k : o + (size_t)k * plane;
        om[c] = omul[k];
        oa[c] = oadd[k];
    }
    float *t = s->tile_rgb;
    if (step == 1) {
        for (size_t p = 0; p < plane; p++) {
            t[p * 3 + 0] = src[0][p] * om[0] + oa[0];
            t[p * 3 + 1] = src[1][p] * om[1] + oa[1];
            t[p * 3 + 2] = src[2][p] * om[2] + oa[2];
        }
        return 0;
    }
    for (size_t p = 0; p < plane; p++) {
        t[p * 3 + 0] = src[0][p * step] * om[0] + oa[0];
        t[p * 3 + 1] = src[1][p * step] * om[1] + oa[1];
        t[p * 3 + 2] = src[2][p * step] * om[2] + oa[2];
    }
    return 0;
}

/* The smallest of 1, 2, 4, ... 64 such that sizes that are multiples of it
 * come back at their size; probed at odd multiples (which a coarser
 * stride would not accept), about 96 pixels so wide reflect pads fit. */
static int probe_stride(struct imp_stylizer *s, char *why, size_t why_size)
{
    int open_h = !s->fixed_h, open_w = !s->fixed_w;
    for (int m = 1; m <= 64; m *= 2) {
        int k = (96 + m - 1) / m;
        k |= 1;
        int size = m * k;
        int64_t dims[4];
        dims[0] = 1;
        dims[s->c_dim] = 3;
        dims[s->h_dim] = open_h ? size : s->fixed_h;
        dims[s->h_dim + 1] = open_w ? size : s->fixed_w;
        if (imp_predictor_resize_input(s->pred, 0, 4, dims) != IMP_OK)
            continue;
        struct imp_plan_stats ps;
        if (imp_predictor_plan_stats(s->pred, &ps) != IMP_OK)
            continue;
        struct imp_tensor_info out;
        /* Output shapes are known after planning; output() wants a run, so
         * run once on zeros (tiny at this size). */
        if (imp_predictor_run(s->pred) != IMP_OK ||
            imp_predictor_output(s->pred, 0, &out, NULL) != IMP_OK)
            continue;
        if (out.rank == 4 && out.dims[s->h_dim] == dims[s->h_dim] &&
            out.dims[s->h_dim + 1] == dims[s->h_dim + 1]) {
            s->stride = m;
            s->bytes_per_pixel =
                (double)ps.arena_bytes / ((double)dims[s->h_dim] * dims[s->h_dim + 1]);
            return 0;
        }
    }
    return failf(why, why_size,
                 "the network does not give back the size it takes at any stride "
                 "multiple up to 64 (not an image-to-image network?)");
}

int imp_stylizer_create(const struct imp_model *m, const struct imp_stylizer_options *o,
                        struct imp_stylizer **out, char *why, size_t why_size)
{
    *out = NULL;
    struct imp_tensor_info in;
    if (imp_model_input_count(m) < 1 || imp_model_input_info(m, 0, &in) != IMP_OK)
        return failf(why, why_size, "the model has no input");
    struct imp_stylizer *s = calloc(1, sizeof *s);
    if (!s)
        return failf(why, why_size, "out of memory");
    s->model = m;
    s->opt = o ? *o : imp_stylizer_options_default();
    if (input_layout(&in, &s->c_dim, why, why_size) != 0)
        goto fail;
    if (s->opt.convention.nhwc != (s->c_dim == 3)) { /* the convention decides */
        int c_dim = s->opt.convention.nhwc ? 3 : 1;
        if (in.dims[c_dim] != 3 && in.dims[c_dim] >= 0) {
            failf(why, why_size, "input '%s' has no 3 channels where the %s layout puts them",
                  in.name, s->opt.convention.nhwc ? "NHWC" : "NCHW");
            goto fail;
        }
        s->c_dim = c_dim;
    }
    s->h_dim = s->c_dim == 1 ? 2 : 1;
    unsigned resizable = s->opt.resize_fixed ? imp_model_input_resizable(m, 0) : 0;
    s->fixed_h = in.dims[s->h_dim] > 0 && !(resizable >> s->h_dim & 1u)
                     ? (int)in.dims[s->h_dim] : 0;
    s->fixed_w = in.dims[s->h_dim + 1] > 0 && !(resizable >> (s->h_dim + 1) & 1u)
                     ? (int)in.dims[s->h_dim + 1] : 0;
    struct imp_error err;
    if (imp_predictor_init(m, &s->opt.predictor, &s->pred, &err) != IMP_OK) {
        failf(why, why_size, "%s", err.message);
        goto fail;
    }
    s->stride = 1;
    if ((!s->fixed_h || !s->fixed_w) && probe_stride(s, why, why_size) != 0)
        goto fail;
    if (s->fixed_h && s->fixed_w) {
        struct imp_plan_stats ps;
        if (imp_predictor_plan_stats(s->pred, &ps) != IMP_OK) {
            failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
            goto fail;
        }
        s->bytes_per_pixel = (double)ps.arena_bytes / ((double)s->fixed_h * s->fixed_w);
    }
    s->run_w = s->run_h = -1; /* the probe's size is not one we keep */
    *out = s;
    return 0;
fail:
    imp_stylizer_free(s);
    return -1;
}

void imp_stylizer_free(struct imp_stylizer *s)
{
    if (!s)
        return;
    imp_predictor_free(s->pred);
    free(s->tensor);
    free(s->tile_rgb);
    free(s->acc);
    for (int i = 0; i < 6; i++)
        free(s->stats[i]);
    free(s);
}

int imp_stylizer_set_param(struct imp_stylizer *s, const char *name, const float *data,
                           size_t count, char *why, size_t why_size)
{
    if (imp_predictor_set_param(s->pred, name, data, count) != IMP_OK)
        return failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
    return 0;
}

void imp_stylizer_set_strength(struct imp_stylizer *s, float strength)
{
    s->opt.strength = strength < 0 ? 0 : strength > 1 ? 1 : strength;
}

int imp_stylizer_set_norm_stats_mode(struct imp_stylizer *s, enum imp_norm_stats_mode mode,
                                     double weight, char *why, size_t why_size)
{
    if (imp_predictor_set_norm_stats_mode(s->pred, mode, weight) != IMP_OK)
        return failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
    s->norm_mode = mode;
    s->norm_weight = weight;
    return 0;
}

void imp_stylizer_set_preserve_colors(struct imp_stylizer *s, int on)
{
    s->opt.preserve_colors = on;
}

void imp_stylizer_last_report(const struct imp_stylizer *s, struct imp_stylizer_report *r)
{
    *r = s->report;
}

struct imp_predictor *imp_stylizer_predictor(struct imp_stylizer *s)
{
    return s->pred;
}

static int round_up(int v, int m)
{
    return (v + m - 1) / m * m;
}

/* Tiles along one dim of `len` pixels, each `tile` long, overlapping by at
 * least `overlap`; one tile centred over the picture when it fits. Starts
 * stay on the grid of `stride` from where the untiled run would start (the
 * picture padded to a multiple of the stride, centred): networks with
 * strided layers paint a pattern of that period, and a tile off the grid
 * would paint it shifted. */
static int place_tiles(struct dim_plan *d, int len, int tile, int overlap, int stride)
{
    d->tile = tile;
    int padded = (len + stride - 1) / stride * stride;
    if (padded <= tile) {
        d->n = 1;
    } else {
        if (overlap > tile / 2)
            overlap = tile / 2;
        d->n = (padded - overlap + (tile - overlap) - 1) / (tile - overlap);
        if (d->n < 2)
            d->n = 2;
    }
    d->start = malloc(sizeof *d->start * (size_t)d->n);
    if (!d->start)
        return -1;
    if (d->n == 1) {
        d->start[0] = -((tile - len) / 2);
        return 0;
    }
    int origin = -((padded - len) / 2), steps = (padded - tile) / stride;
    for (int i = 0; i < d->n; i++)
        d->start[i] = origin + stride * (int)((double)i * steps / (d->n - 1) + 0.5);
    return 0;
}

/* A tile's blending weight at offset t of its `tile` pixels, across each
 * overlap with a neighbour: 0 over the outer third (where the tile's own
 * border, padded by reflection, still shows in the network's output), a
 * linear ramp over the middle third, 1 beyond. The neighbour's weight is the
 * mirror image, so the two sum to 1. */
static float edge_weight(int t, int ov)
{
    float third = ov / 3.0f;
    float v = (t + 0.5f - third) / (ov - 2 * third);
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static float ramp(const struct dim_plan *d, int i, int t)
{
    float w = 1.0f;
    if (i > 0) {
        int ov = d->start[i - 1] + d->tile - d->start[i];
        if (ov > 0 && t < ov)
            w = fminf(w, edge_weight(t, ov));
    }
    if (i + 1 < d->n) {
        int ov = d->start[i] + d->tile - d->start[i + 1];
        int from_end = d->tile - 1 - t;
        if (ov > 0 && from_end < ov)
            w = fminf(w, edge_weight(from_end, ov));
    }
    return w;
}

/* Sizes for this picture: per dim, the run size and the tiles. */
static int plan_tiles(struct imp_stylizer *s, int w, int h, struct dim_plan *dx,
                      struct dim_plan *dy, char *why, size_t why_size)
{
    int tile = s->opt.tile;
    int pw = round_up(w, s->stride), ph = round_up(h, s->stride);
    if (tile < 0 && !s->fixed_w && !s->fixed_h && s->bytes_per_pixel > 0 &&
        s->bytes_per_pixel * pw * ph > (double)s->opt.max_memory) {
        /* The largest square tile whose run fits in the budget. */
        double side = sqrt((double)s->opt.max_memory / s->bytes_per_pixel);
        tile = (int)side / s->stride * s->stride;
        if (tile < 4 * s->stride)
            return failf(why, why_size,
                         "the memory limit allows tiles of only %d pixels: raise "
                         "--max-memory",
                         tile);
    }
    if (tile == 0 && ((s->fixed_w && w > s->fixed_w) || (s->fixed_h && h > s->fixed_h)))
        return failf(why, why_size,
                     "the network takes %dx%d pictures and tiling is off (--tile 0): "
                     "give a smaller --size or allow tiles",
                     s->fixed_w ? s->fixed_w : w, s->fixed_h ? s->fixed_h : h);
    int tx = s->fixed_w ? s->fixed_w : tile > 0 && pw > tile ? round_up(tile, s->stride) : pw;
    int ty = s->fixed_h ? s->fixed_h : tile > 0 && ph > tile ? round_up(tile, s->stride) : ph;
    /* Overlap: a quarter of a tile, at least 24 pixels (a third of it is
     * the blend; see edge_weight). */
    int ox = tx / 4 > 24 ? tx / 4 : 24, oy = ty / 4 > 24 ? ty / 4 : 24;
    if (place_tiles(dx, w, tx, ox, s->stride) != 0 || place_tiles(dy, h, ty, oy, s->stride) != 0)
        return failf(why, why_size, "out of memory");
    return 0;
}

/* Whole-picture instance-norm statistics for tiled runs, held for the
 * tiles: one run on the whole picture at the largest scale that fits
 * (open sizes: in max_memory, so at full size when tiling was only asked
 * for; fixed sizes: shrunk into one tile). It measures; in a video
 * (SMOOTHED) it smooths exactly as an untiled frame does, so the tiles
 * normalise by the running average and a tiled video does not flicker
 * more than an untiled one. */
static int measure_whole(struct imp_stylizer *s, const uint8_t *rgb, int w, int h,
                         char *why, size_t why_size)
{
    int tw = s->run_w, th = s->run_h, mw, mh;
    double f;
    if (s->fixed_w || s->fixed_h) {
        f = fmin(1.0, fmin((double)tw / w, (double)th / h));
        mw = tw;
        mh = th;
    } else {
        f = fmin(1.0, sqrt((double)s->opt.max_memory / (s->bytes_per_pixel * w * h)));
        for (;; f *= 0.97) {
            mw = round_up((int)(w * f) > 0 ? (int)(w * f) : 1, s->stride);
            mh = round_up((int)(h * f) > 0 ? (int)(h * f) : 1, s->stride);
            if (s->bytes_per_pixel * mw * mh <= (double)s->opt.max_memory || f < 0.01)
                break;
        }
    }
    int sw = f < 1 ? (int)(w * f) : w, sh = f < 1 ? (int)(h * f) : h;
    sw = sw < 1 ? 1 : sw > mw ? mw : sw;
    sh = sh < 1 ? 1 : sh > mh ? mh : sh;
    size_t n = (size_t)w * h * 3, sn = (size_t)sw * sh * 3;
    float *big = NULL, *small = NULL;
    uint8_t *small8 = NULL;
    const uint8_t *src = rgb;
    int rc = -1;
    if (sw != w || sh != h) {
        big = malloc(n * sizeof *big);
        small = malloc(sn * sizeof *small);
        small8 = malloc(sn);
        if (!big || !small || !small8) {
            failf(why, why_size, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            big[i] = rgb[i];
        if (imp_resample_f32(big, w, h, 3, small, sw, sh) != 0) {
            failf(why, why_size, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < sn; i++)
            small8[i] = (uint8_t)(small[i] < 0 ? 0 : small[i] > 255 ? 255 : small[i] + 0.5f);
        src = small8;
        free(big);
        big = NULL;
    }
    int smooth = s->norm_mode == IMP_NORM_STATS_SMOOTHED;
    imp_predictor_set_norm_stats_mode(s->pred, smooth ? IMP_NORM_STATS_SMOOTHED
                                                      : IMP_NORM_STATS_MEASURED,
                                      s->norm_weight);
    rc = ensure_size(s, mw, mh, why, why_size);
    if (rc == 0)
        rc = run_region(s, src, sw, sh, -(mw - sw) / 2, -(mh - sh) / 2, why, why_size);
    /* What the picture measured, for imp_stylizer_measured_norm_stats;
     * then what to hold: that, or the average the smoothing run left. */
    if (rc == 0 && (imp_predictor_get_norm_stats(s->pred, 1, s->stats[4], s->stats[5],
                                                 s->stats_count) != IMP_OK ||
                    imp_predictor_get_norm_stats(s->pred, !smooth, s->stats[0], s->stats[1],
                                                 s->stats_count) != IMP_OK))
        rc = failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
    if (rc == 0)
        rc = ensure_size(s, tw, th, why, why_size);
    if (rc == 0 && imp_predictor_set_norm_stats(s->pred, s->stats[0], s->stats[1],
                                                s->stats_count) != IMP_OK)
        rc = failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
done:
    free(big);
    free(small);
    free(small8);
    return rc;
}

static int alloc_stats(struct imp_stylizer *s, char *why, size_t why_size)
{
    size_t count;
    if (imp_predictor_norm_stats_count(s->pred, &count) != IMP_OK)
        return failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
    if (count != s->stats_count) {
        for (int i = 0; i < 6; i++) {
            free(s->stats[i]);
            s->stats[i] = calloc(count ? count : 1, sizeof(double));
            if (!s->stats[i])
                return failf(why, why_size, "out of memory");
        }
        s->stats_count = count;
    }
    return 0;
}

/* Adds the last run's measured statistics into the sums (mean, E[x^2]). */
static void add_measured(struct imp_stylizer *s)
{
    imp_predictor_get_norm_stats(s->pred, 1, s->stats[0], s->stats[1], s->stats_count);
    for (size_t i = 0; i < s->stats_count; i++) {
        s->stats[2][i] += s->stats[0][i];
        s->stats[3][i] += s->stats[1][i] + s->stats[0][i] * s->stats[0][i];
    }
}

/* Holds the tiles' combined statistics: every tile has the same size, so
 * the parallel combination is the plain average of means and of E[x^2]. */
static void hold_combined(struct imp_stylizer *s, int tiles)
{
    for (size_t i = 0; i < s->stats_count; i++) {
        double m = s->stats[2][i] / tiles, sq = s->stats[3][i] / tiles;
        s->stats[0][i] = m;
        s->stats[1][i] = sq - m * m > 0 ? sq - m * m : 0;
        s->stats[2][i] = s->stats[3][i] = 0;
    }
    imp_predictor_set_norm_stats(s->pred, s->stats[0], s->stats[1], s->stats_count);
}

int imp_stylizer_prepare(struct imp_stylizer *s, int w, int h, int *tiled, char *why,
                         size_t why_size)
{
    if (w < 1 || h < 1)
        return failf(why, why_size, "empty picture");
    struct dim_plan dx = {0}, dy = {0};
    int rc = plan_tiles(s, w, h, &dx, &dy, why, why_size);
    if (rc == 0)
        rc = ensure_size(s, dx.tile, dy.tile, why, why_size);
    if (tiled)
        *tiled = dx.n * dy.n > 1;
    free(dx.start);
    free(dy.start);
    return rc;
}

int imp_stylizer_run(struct imp_stylizer *s, const uint8_t *rgb, int w, int h,
                     uint8_t *out, char *why, size_t why_size)
{
    double t0 = now_ms();
    memset(&s->report, 0, sizeof s->report);
    s->tiled_measured = 0;
    if (w < 1 || h < 1)
        return failf(why, why_size, "empty picture");
    struct dim_plan dx = {0}, dy = {0};
    float *acc = NULL, *weight = NULL;
    int rc = plan_tiles(s, w, h, &dx, &dy, why, why_size);
    if (rc == 0)
        rc = ensure_size(s, dx.tile, dy.tile, why, why_size);
    int tiles = dx.n * dy.n;
    size_t n = (size_t)w * h;
    /* One run over exactly the picture (video frames of a stride multiple):
     * its result is the picture, with no copy. Otherwise the runs add up in
     * a buffer kept from run to run (a frame allocated afresh each time
     * costs page faults). */
    int whole = tiles == 1 && dx.start && dy.start && dx.start[0] == 0 &&
                dy.start[0] == 0 && dx.tile == w && dy.tile == h;
    if (rc == 0 && !whole) {
        if (n * 3 > s->acc_cap) {
            free(s->acc);
            s->acc = malloc(n * 3 * sizeof *s->acc);
            s->acc_cap = s->acc ? n * 3 : 0;
        }
        acc = s->acc;
        if (acc && tiles > 1)
            memset(acc, 0, n * 3 * sizeof *acc);
        weight = tiles > 1 ? calloc(n, sizeof *weight) : NULL;
        if (!acc || (tiles > 1 && !weight))
            rc = failf(why, why_size, "out of memory");
    }
    int rounds = tiles > 1 && s->opt.tile_stats > 0 ? s->opt.tile_stats : 1;
    if (rc == 0 && tiles > 1 && s->opt.tile_stats > 0) {
        rc = alloc_stats(s, why, why_size);
        if (rc == 0 && s->stats_count) {
            rc = measure_whole(s, rgb, w, h, why, why_size);
            s->tiled_measured = rc == 0;
        }
        if (rc == 0)
            imp_predictor_set_norm_stats_mode(s->pred, s->stats_count ? IMP_NORM_STATS_HELD
                                                                      : IMP_NORM_STATS_MEASURED,
                                              0);
        if (!s->stats_count)
            rounds = 1;
    } else if (rc == 0) {
        imp_predictor_set_norm_stats_mode(s->pred, s->norm_mode, s->norm_weight);
    }
    for (int round = 0; rc == 0 && round < rounds; round++) {
        int last = round == rounds - 1;
        for (int ty = 0; rc == 0 && ty < dy.n; ty++) {
            for (int tx = 0; rc == 0 && tx < dx.n; tx++) {
                int x0 = dx.start[tx], y0 = dy.start[ty];
                rc = run_region(s, rgb, w, h, x0, y0, why, why_size);
                if (rc != 0)
                    break;
                if (!last) {
                    add_measured(s);
                    continue;
                }
                if (whole) {
                    acc = s->tile_rgb;
                    continue;
                }
                /* Into the picture: the part of the tile inside it. */
                for (int y = y0 < 0 ? -y0 : 0; y < dy.tile && y0 + y < h; y++) {
                    float wy = tiles > 1 ? ramp(&dy, ty, y) : 1.0f;
                    for (int x = x0 < 0 ? -x0 : 0; x < dx.tile && x0 + x < w; x++) {
                        size_t p = (size_t)(y0 + y) * w + (x0 + x);
                        const float *t = s->tile_rgb + ((size_t)y * dx.tile + x) * 3;
                        if (tiles == 1) {
                            memcpy(acc + p * 3, t, 3 * sizeof *t);
                            continue;
                        }
                        float wt = wy * ramp(&dx, tx, x);
                        for (int c = 0; c < 3; c++)
                            acc[p * 3 + c] += wt * t[c];
                        weight[p] += wt;
                    }
                }
            }
        }
        if (rc == 0 && !last)
            hold_combined(s, tiles);
    }
    if (rc == 0 && tiles > 1)
        for (size_t p = 0; p < n; p++)
            for (int c = 0; c < 3; c++)
                acc[p * 3 + c] /= weight[p] > 0 ? weight[p] : 1.0f;
    if (rc == 0 && s->opt.preserve_colors)
        imp_keep_photo_colors_u8(acc, rgb, n);
    if (rc == 0) {
        float a = s->opt.strength, b = 1.0f - a;
        for (size_t i = 0; i < n * 3; i++) {
            float v = a * acc[i] + b * rgb[i];
            /* Clamped, and NaN becomes 0: never garbage bytes. */
            out[i] = v > 0 ? (uint8_t)(v < 255 ? v + 0.5f : 255) : 0;
        }
    }
    s->report.tiles_x = dx.n;
    s->report.tiles_y = dy.n;
    s->report.run_w = s->run_w;
    s->report.run_h = s->run_h;
    s->report.stride = s->stride;
    free(dx.start);
    free(dy.start);
    free(weight);
    s->report.total_ms = now_ms() - t0;
    return rc;
}

int imp_stylizer_measured_norm_stats(struct imp_stylizer *s, double *mean, double *var,
                                     size_t count, char *why, size_t why_size)
{
    if (s->tiled_measured) {
        if (count != s->stats_count)
            return failf(why, why_size, "%zu norm statistics asked for, the model has %zu",
                         count, s->stats_count);
        memcpy(mean, s->stats[4], count * sizeof *mean);
        memcpy(var, s->stats[5], count * sizeof *var);
        return 0;
    }
    if (imp_predictor_get_norm_stats(s->pred, 1, mean, var, count) != IMP_OK)
        return failf(why, why_size, "%s", imp_predictor_last_error(s->pred));
    return 0;
}
