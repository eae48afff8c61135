/* Plain bilinear sampling skips pixels when shrinking by more than 2x (a
 * phone photo going into a 256x256 model would alias badly): shrinking
 * averages the covered area instead. */
#include <math.h>
#include <stdlib.h>

#include "resample.h"

/* For each output index, `n` source indices and weights (summing to 1),
 * in arrays the caller provides (taps_count entries). */
struct taps {
    int n;
    int *index;
    float *weight;
};

static int taps_per_output(int in, int out)
{
    double scale = (double)in / out;
    return scale <= 1.0 ? 2 : (int)ceil(scale) + 1;
}

static size_t taps_count(int in, int out)
{
    return (size_t)out * (size_t)taps_per_output(in, out);
}

static void make_taps(int in, int out, struct taps *t)
{
    double scale = (double)in / out;
    t->n = taps_per_output(in, out);
    for (int o = 0; o < out; o++) {
        int *idx = t->index + (size_t)o * t->n;
        float *w = t->weight + (size_t)o * t->n;
        if (scale <= 1.0) {
            double x = (o + 0.5) * scale - 0.5;
            if (x < 0)
                x = 0;
            int x0 = (int)x;
            if (x0 > in - 1)
                x0 = in - 1;
            double frac = x - x0;
            idx[0] = x0;
            idx[1] = x0 + 1 < in ? x0 + 1 : in - 1;
            w[0] = (float)(1.0 - frac);
            w[1] = (float)frac;
        } else {
            /* Output pixel o covers source span [lo, hi). */
            double lo = o * scale, hi = (o + 1) * scale;
            int j0 = (int)lo;
            for (int k = 0; k < t->n; k++) {
                int j = j0 + k;
                double a = lo > j ? lo : j, b = hi < j + 1 ? hi : j + 1;
                idx[k] = j < in ? j : in - 1;
                w[k] = b > a && j < in ? (float)((b - a) / scale) : 0.0f;
            }
        }
    }
}

int imp_resample_work_reserve(struct imp_resample_work *w, int sw, int sh, int c, int dw,
                              int dh)
{
    if (sw < 1 || sh < 1 || dw < 1 || dh < 1 || c < 1)
        return -1;
    size_t rows = (size_t)sh * (size_t)dw * (size_t)c;
    size_t taps = taps_count(sw, dw) + taps_count(sh, dh);
    if (rows > w->rows_cap) {
        float *grown = realloc(w->rows, sizeof *grown * rows);
        if (!grown)
            return -1;
        w->rows = grown;
        w->rows_cap = rows;
    }
    if (taps > w->taps_cap) {
        int *index = realloc(w->index, sizeof *index * taps);
        if (index)
            w->index = index;
        float *weight = realloc(w->weight, sizeof *weight * taps);
        if (weight)
            w->weight = weight;
        if (!index || !weight)
            return -1;
        w->taps_cap = taps;
    }
    return 0;
}

void imp_resample_work_free(struct imp_resample_work *w)
{
    free(w->rows);
    free(w->index);
    free(w->weight);
    *w = (struct imp_resample_work){0};
}

int imp_resample_f32_work(struct imp_resample_work *w, const float *src, int sw, int sh,
                          int c, float *dst, int dw, int dh)
{
    if (imp_resample_work_reserve(w, sw, sh, c, dw, dh) != 0)
        return -1;
    float *rows = w->rows;
    struct taps tx = {.index = w->index, .weight = w->weight};
    size_t x_taps = taps_count(sw, dw);
    struct taps ty = {.index = w->index + x_taps, .weight = w->weight + x_taps};
    make_taps(sw, dw, &tx);
    make_taps(sh, dh, &ty);
    for (int y = 0; y < sh; y++) {
        const float *s = src + (size_t)y * sw * c;
        float *r = rows + (size_t)y * dw * c;
        for (int x = 0; x < dw; x++) {
            const int *idx = tx.index + (size_t)x * tx.n;
            const float *wt = tx.weight + (size_t)x * tx.n;
            for (int ch = 0; ch < c; ch++) {
                float acc = 0;
                for (int k = 0; k < tx.n; k++)
                    acc += wt[k] * s[(size_t)idx[k] * c + ch];
                r[(size_t)x * c + ch] = acc;
            }
        }
    }
    for (int y = 0; y < dh; y++) {
        const int *idx = ty.index + (size_t)y * ty.n;
        const float *wt = ty.weight + (size_t)y * ty.n;
        float *d = dst + (size_t)y * dw * c;
        for (size_t i = 0; i < (size_t)dw * c; i++) {
            float acc = 0;
            for (int k = 0; k < ty.n; k++)
                acc += wt[k] * rows[(size_t)idx[k] * dw * c + i];
            d[i] = acc;
        }
    }
    return 0;
}

int imp_resample_f32(const float *src, int sw, int sh, int c, float *dst, int dw,
                     int dh)
{
    struct imp_resample_work w = {0};
    int rc = imp_resample_f32_work(&w, src, sw, sh, c, dst, dw, dh);
    imp_resample_work_free(&w);
    return rc;
}

/* Where output index o of `out` falls on an axis of `in` samples. */
static void bilinear_tap(int o, int in, int out, int *i0, int *i1, float *frac)
{
    double x = (o + 0.5) * ((double)in / out) - 0.5;
    if (x < 0)
        x = 0;
    int lo = (int)x;
    if (lo > in - 1)
        lo = in - 1;
    *i0 = lo;
    *i1 = lo + 1 < in ? lo + 1 : lo;
    *frac = *i1 == lo ? 0.0f : (float)(x - lo);
}

void imp_resample_bilinear_f32(const float *src, int sw, int sh, float *dst, int dw,
                               int dh)
{
    for (int y = 0; y < dh; y++) {
        int y0, y1;
        float fy;
        bilinear_tap(y, sh, dh, &y0, &y1, &fy);
        const float *r0 = src + (size_t)y0 * sw, *r1 = src + (size_t)y1 * sw;
        for (int x = 0; x < dw; x++) {
            int x0, x1;
            float fx;
            bilinear_tap(x, sw, dw, &x0, &x1, &fx);
            float top = r0[x0] + fx * (r0[x1] - r0[x0]);
            float bottom = r1[x0] + fx * (r1[x1] - r1[x0]);
            dst[(size_t)y * dw + x] = top + fy * (bottom - top);
        }
    }
}
