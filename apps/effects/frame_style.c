/* A frame through the style network: pack, run, unpack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_style.h"
#include "resample.h"

static int fail(char *err, size_t size, const char *why, const char *detail)
{
    snprintf(err, size, "%s%s", why, detail ? detail : "");
    return -1;
}

static int fail_pred(struct imp_frame_style *s, char *err, size_t size, const char *what)
{
    const char *msg = imp_predictor_last_error(s->pred);
    snprintf(err, size, "%s: %s", what, msg && *msg ? msg : "failed");
    return -1;
}

int imp_frame_style_init(struct imp_frame_style *s, const struct imp_model *m,
                         struct imp_predictor *pred, float range, char *err,
                         size_t err_size)
{
    memset(s, 0, sizeof *s);
    s->pred = pred;
    s->range = range;
    struct imp_tensor_info in, out;
    if (imp_model_input_count(m) != 1 || imp_model_output_count(m) < 1 ||
        imp_model_input_info(m, 0, &in) != IMP_OK ||
        imp_model_output_info(m, 0, &out) != IMP_OK)
        return fail(err, err_size, "a style model has one input and an output", NULL);
    if (in.dtype != IMP_DTYPE_F32 || in.rank != 4 || (in.dims[0] != 1 && in.dims[0] >= 0) ||
        (in.dims[1] != 3 && in.dims[1] >= 0))
    {
        snprintf(err, err_size,
                 "a style model takes float32 NCHW RGB pictures [1, 3, H, W]; its input "
                 "'%s' is not one",
                 in.name);
        return -1;
    }
    s->fixed_h = in.dims[2] > 0 ? (int)in.dims[2] : 0;
    s->fixed_w = in.dims[3] > 0 ? (int)in.dims[3] : 0;
    return 0;
}

static float *grow(float **buf, size_t *cap, size_t n)
{
    if (n > *cap) {
        float *b = realloc(*buf, n * sizeof *b);
        if (!b)
            return NULL;
        *buf = b;
        *cap = n;
    }
    return *buf;
}

/* Frames run at their size rounded up to a multiple of 4, or at the
 * model's fixed size. */
static void run_size(const struct imp_frame_style *s, int w, int h, int *rw, int *rh)
{
    *rw = s->fixed_w ? s->fixed_w : (w + 3) / 4 * 4;
    *rh = s->fixed_h ? s->fixed_h : (h + 3) / 4 * 4;
}

int imp_frame_style_prepare(struct imp_frame_style *s, int w, int h, char *err,
                            size_t err_size)
{
    int rw, rh;
    run_size(s, w, h, &rw, &rh);
    if (rw == s->run_w && rh == s->run_h)
        return 0;
    int64_t dims[4] = {1, 3, rh, rw};
    if (imp_predictor_resize_input(s->pred, 0, 4, dims) != IMP_OK)
        return fail_pred(s, err, err_size, "the style model");
    size_t n = (size_t)3 * rw * rh;
    size_t big = (size_t)3 * (rw > w ? rw : w) * (rh > h ? rh : h);
    if (!grow(&s->input, &s->input_cap, n) ||
        ((s->fixed_w || s->fixed_h) &&
         (!grow(&s->work, &s->work_cap, big) ||
          !(s->work2 = realloc(s->work2, big * sizeof *s->work2)))))
        return fail(err, err_size, "out of memory", NULL);
    s->run_w = rw;
    s->run_h = rh;
    return 0;
}

/* rgb into the planar input at run size: edges repeated into the padding. */
static void pack_padded(struct imp_frame_style *s, const uint8_t *rgb, int w, int h)
{
    int rw = s->run_w, rh = s->run_h;
    float k = s->range / 255.0f;
    size_t plane = (size_t)rw * rh;
    for (int y = 0; y < rh; y++) {
        const uint8_t *row = rgb + (size_t)(y < h ? y : h - 1) * w * 3;
        float *r = s->input + (size_t)y * rw, *g = r + plane, *b = g + plane;
        for (int x = 0; x < rw; x++) {
            const uint8_t *p = row + (size_t)(x < w ? x : w - 1) * 3;
            r[x] = p[0] * k;
            g[x] = p[1] * k;
            b[x] = p[2] * k;
        }
    }
}

static uint8_t to_byte(float v)
{
    v = v < 0 ? 0 : v > 255 ? 255 : v; /* NaN becomes 255: never garbage */
    return (uint8_t)(v + 0.5f);
}

int imp_frame_style_run(struct imp_frame_style *s, const uint8_t *rgb, int w, int h,
                        uint8_t *out, char *err, size_t err_size)
{
    if (w < 1 || h < 1)
        return fail(err, err_size, "empty frame", NULL);
    if (imp_frame_style_prepare(s, w, h, err, err_size))
        return -1;
    int rw = s->run_w, rh = s->run_h;
    size_t plane = (size_t)rw * rh;
    int resized = s->fixed_w || s->fixed_h;
    if (!resized) {
        pack_padded(s, rgb, w, h);
    } else {
        size_t n = (size_t)w * h * 3;
        for (size_t i = 0; i < n; i++)
            s->work[i] = rgb[i];
        if (imp_resample_f32(s->work, w, h, 3, s->work2, rw, rh))
            return fail(err, err_size, "out of memory", NULL);
        float k = s->range / 255.0f;
        for (size_t i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                s->input[c * plane + i] = s->work2[i * 3 + c] * k;
    }
    if (imp_predictor_set_input(s->pred, 0, s->input, plane * 3 * sizeof(float)) !=
            IMP_OK ||
        imp_predictor_run(s->pred) != IMP_OK)
        return fail_pred(s, err, err_size, "the style model");
    struct imp_tensor_info t;
    const void *data;
    if (imp_predictor_output(s->pred, 0, &t, &data) != IMP_OK)
        return fail_pred(s, err, err_size, "the style model");
    if (t.dtype != IMP_DTYPE_F32 || t.rank != 4 || t.dims[0] != 1 || t.dims[1] != 3 ||
        t.dims[2] < 1 || t.dims[3] < 1 || (!resized && (t.dims[2] < h || t.dims[3] < w)))
        return fail(err, err_size,
                    "the style model's output is not a float32 [1, 3, H, W] picture "
                    "of the input's size",
                    NULL);
    const float *y = data;
    float k = 255.0f / s->range;
    int ow = (int)t.dims[3], oh = (int)t.dims[2];
    size_t oplane = (size_t)ow * oh;
    if (!resized) {
        for (int yy = 0; yy < h; yy++) {
            const float *r = y + (size_t)yy * ow, *g = r + oplane, *b = g + oplane;
            uint8_t *o = out + (size_t)yy * w * 3;
            for (int x = 0; x < w; x++) {
                o[x * 3 + 0] = to_byte(r[x] * k);
                o[x * 3 + 1] = to_byte(g[x] * k);
                o[x * 3 + 2] = to_byte(b[x] * k);
            }
        }
        return 0;
    }
    if (oplane * 3 > s->work_cap && !grow(&s->work, &s->work_cap, oplane * 3))
        return fail(err, err_size, "out of memory", NULL);
    for (size_t i = 0; i < oplane; i++)
        for (int c = 0; c < 3; c++)
            s->work[i * 3 + c] = y[c * oplane + i] * k;
    float *back = malloc((size_t)w * h * 3 * sizeof *back);
    if (!back || imp_resample_f32(s->work, ow, oh, 3, back, w, h)) {
        free(back);
        return fail(err, err_size, "out of memory", NULL);
    }
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        out[i] = to_byte(back[i]);
    free(back);
    return 0;
}

void imp_frame_style_free(struct imp_frame_style *s)
{
    free(s->input);
    free(s->work);
    free(s->work2);
    memset(s, 0, sizeof *s);
}

void imp_frame_style_finish(uint8_t *out, const uint8_t *src, size_t pixels,
                            float strength, int keep_colours)
{
    if (strength >= 1 && !keep_colours)
        return;
    for (size_t i = 0; i < pixels; i++) {
        uint8_t *o = out + i * 3;
        const uint8_t *s = src + i * 3;
        float r = o[0], g = o[1], b = o[2];
        if (keep_colours) {
            float shift = 0.299f * (r - s[0]) + 0.587f * (g - s[1]) + 0.114f * (b - s[2]);
            r = s[0] + shift;
            g = s[1] + shift;
            b = s[2] + shift;
        }
        float v[3] = {s[0] + strength * (r - s[0]), s[1] + strength * (g - s[1]),
                      s[2] + strength * (b - s[2])};
        for (int c = 0; c < 3; c++)
            o[c] = (uint8_t)(v[c] < 0 ? 0 : v[c] > 255 ? 255 : v[c] + 0.5f);
    }
}
