/* Reference twins of the training kernels (reference.h). */
#include "train/reference.h"

#include <math.h>
#include <string.h>

static double conv_x(const struct tconv_geom *g, const double *x, int n, int c, int iy, int ix)
{
    if (iy < 0 || ix < 0 || iy >= g->h || ix >= g->w)
        return 0.0;
    return x[(((size_t)n * (size_t)g->c + (size_t)c) * (size_t)g->h + (size_t)iy) *
                 (size_t)g->w + (size_t)ix];
}

void tref_conv_forward(const struct tconv_geom *g, const double *x, const double *w,
                       const double *b, double *y)
{
    const int k = g->k;
    for (int n = 0; n < g->n; n++)
        for (int m = 0; m < g->m; m++)
            for (int oy = 0; oy < g->oh; oy++)
                for (int ox = 0; ox < g->ow; ox++) {
                    double s = b ? b[m] : 0.0;
                    for (int c = 0; c < g->c; c++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                                s += w[(((size_t)m * (size_t)g->c + (size_t)c) * (size_t)k +
                                        (size_t)ky) * (size_t)k + (size_t)kx] *
                                     conv_x(g, x, n, c, oy * g->stride - g->pad_t + ky,
                                            ox * g->stride - g->pad_l + kx);
                    *y++ = s;
                }
}

void tref_conv_backward(const struct tconv_geom *g, const double *x, const double *w,
                        const double *dy, double *dx, double *dw, double *db)
{
    const int k = g->k;
    const size_t xn = (size_t)g->n * (size_t)g->c * (size_t)g->h * (size_t)g->w;
    const size_t wn = (size_t)g->m * (size_t)g->c * (size_t)k * (size_t)k;
    if (dx)
        memset(dx, 0, sizeof(double) * xn);
    if (dw)
        memset(dw, 0, sizeof(double) * wn);
    if (db)
        memset(db, 0, sizeof(double) * (size_t)g->m);
    for (int n = 0; n < g->n; n++)
        for (int m = 0; m < g->m; m++)
            for (int oy = 0; oy < g->oh; oy++)
                for (int ox = 0; ox < g->ow; ox++) {
                    double d = *dy++;
                    if (db)
                        db[m] += d;
                    for (int c = 0; c < g->c; c++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int iy = oy * g->stride - g->pad_t + ky;
                                int ix = ox * g->stride - g->pad_l + kx;
                                if (iy < 0 || ix < 0 || iy >= g->h || ix >= g->w)
                                    continue;
                                size_t wi = (((size_t)m * (size_t)g->c + (size_t)c) *
                                                 (size_t)k + (size_t)ky) * (size_t)k +
                                            (size_t)kx;
                                size_t xi = (((size_t)n * (size_t)g->c + (size_t)c) *
                                                 (size_t)g->h + (size_t)iy) * (size_t)g->w +
                                            (size_t)ix;
                                if (dw)
                                    dw[wi] += d * x[xi];
                                if (dx)
                                    dx[xi] += d * w[wi];
                            }
                }
}

static void plane_stats(const double *x, size_t hw, double *mean, double *rstd)
{
    double s = 0.0, v = 0.0;
    for (size_t i = 0; i < hw; i++)
        s += x[i];
    *mean = s / (double)hw;
    for (size_t i = 0; i < hw; i++)
        v += (x[i] - *mean) * (x[i] - *mean);
    *rstd = 1.0 / sqrt(v / (double)hw + TK_NORM_EPS);
}

void tref_norm_forward(const double *x, double *y, int n, int c, size_t hw,
                       const double *gamma, const double *beta, const int *style_of)
{
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++) {
            size_t pl = (size_t)i * (size_t)c + (size_t)ch;
            size_t pi = (size_t)style_of[i] * (size_t)c + (size_t)ch;
            double mean, rstd;
            plane_stats(x + pl * hw, hw, &mean, &rstd);
            for (size_t k = 0; k < hw; k++)
                y[pl * hw + k] = gamma[pi] * (x[pl * hw + k] - mean) * rstd + beta[pi];
        }
}

/* Through the chain rule of the three steps, not the closed form the
 * fast kernel uses: d xhat, then d var and d mean, then dx. */
void tref_norm_backward(const double *x, const double *dy, double *dx, int n, int c,
                        size_t hw, const double *gamma, const int *style_of, int n_styles,
                        double *dgamma, double *dbeta)
{
    memset(dgamma, 0, sizeof(double) * (size_t)n_styles * (size_t)c);
    memset(dbeta, 0, sizeof(double) * (size_t)n_styles * (size_t)c);
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++) {
            size_t pl = (size_t)i * (size_t)c + (size_t)ch;
            size_t pi = (size_t)style_of[i] * (size_t)c + (size_t)ch;
            const double *xp = x + pl * hw, *dyp = dy + pl * hw;
            double mean, rstd;
            plane_stats(xp, hw, &mean, &rstd);
            double dvar = 0.0, dmean = 0.0, sum_dev = 0.0;
            for (size_t k = 0; k < hw; k++) {
                double xh = (xp[k] - mean) * rstd, dxh = dyp[k] * gamma[pi];
                dgamma[pi] += dyp[k] * xh;
                dbeta[pi] += dyp[k];
                dvar += dxh * (xp[k] - mean) * -0.5 * rstd * rstd * rstd;
                dmean += -dxh * rstd;
                sum_dev += xp[k] - mean;
            }
            dmean += dvar * -2.0 * sum_dev / (double)hw;
            if (!dx)
                continue;
            for (size_t k = 0; k < hw; k++)
                dx[pl * hw + k] = dyp[k] * gamma[pi] * rstd +
                                  dvar * 2.0 * (xp[k] - mean) / (double)hw +
                                  dmean / (double)hw;
        }
}

void tref_act_forward(enum tk_act a, const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = a == TK_RELU      ? (x[i] > 0 ? x[i] : 0.0)
               : a == TK_SIGMOID ? 1.0 / (1.0 + exp(-x[i]))
                                 : tanh(x[i]);
}

void tref_act_backward(enum tk_act a, const double *x, const double *dy, double *dx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double d;
        if (a == TK_RELU) {
            d = x[i] > 0 ? 1.0 : 0.0;
        } else if (a == TK_SIGMOID) {
            double s = 1.0 / (1.0 + exp(-x[i]));
            d = s * (1.0 - s);
        } else {
            double t = tanh(x[i]);
            d = 1.0 - t * t;
        }
        dx[i] = dy[i] * d;
    }
}

static int mirror(int i, int n) { return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; }

void tref_pad_forward(const double *x, double *y, size_t planes, int h, int w, int p)
{
    int oh = h + 2 * p, ow = w + 2 * p;
    for (size_t pl = 0; pl < planes; pl++)
        for (int r = 0; r < oh; r++)
            for (int c = 0; c < ow; c++)
                *y++ = x[(pl * (size_t)h + (size_t)mirror(r - p, h)) * (size_t)w +
                         (size_t)mirror(c - p, w)];
}

void tref_pad_backward(const double *dy, double *dx, size_t planes, int h, int w, int p)
{
    int oh = h + 2 * p, ow = w + 2 * p;
    memset(dx, 0, sizeof(double) * planes * (size_t)h * (size_t)w);
    for (size_t pl = 0; pl < planes; pl++)
        for (int r = 0; r < oh; r++)
            for (int c = 0; c < ow; c++)
                dx[(pl * (size_t)h + (size_t)mirror(r - p, h)) * (size_t)w +
                   (size_t)mirror(c - p, w)] += *dy++;
}

/* Input index and weight of tap t (0, 1) of output o of 2n, as the
 * upsampling computes it: nearest reads o / 2 alone; bilinear reads o / 2
 * at 3/4 and its neighbour on o's side at 1/4, the edge repeated. */
static int up2_tap(int o, int n, bool linear, int t, double *f)
{
    if (!linear) {
        *f = t == 0 ? 1.0 : 0.0;
        return o / 2;
    }
    *f = t == 0 ? 0.75 : 0.25;
    int i = t == 0 ? o / 2 : (o & 1) ? o / 2 + 1 : o / 2 - 1;
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

void tref_up2_forward(const double *x, double *y, size_t planes, int h, int w, bool linear)
{
    for (size_t pl = 0; pl < planes; pl++)
        for (int r = 0; r < 2 * h; r++)
            for (int c = 0; c < 2 * w; c++, y++) {
                *y = 0.0;
                for (int ty = 0; ty < 2; ty++)
                    for (int tx = 0; tx < 2; tx++) {
                        double fy, fx;
                        int i = up2_tap(r, h, linear, ty, &fy), k = up2_tap(c, w, linear, tx, &fx);
                        *y += fy * fx * x[(pl * (size_t)h + (size_t)i) * (size_t)w + (size_t)k];
                    }
            }
}

void tref_up2_backward(const double *dy, double *dx, size_t planes, int h, int w, bool linear)
{
    memset(dx, 0, sizeof(double) * planes * (size_t)h * (size_t)w);
    for (size_t pl = 0; pl < planes; pl++)
        for (int r = 0; r < 2 * h; r++)
            for (int c = 0; c < 2 * w; c++, dy++)
                for (int ty = 0; ty < 2; ty++)
                    for (int tx = 0; tx < 2; tx++) {
                        double fy, fx;
                        int i = up2_tap(r, h, linear, ty, &fy), k = up2_tap(c, w, linear, tx, &fx);
                        dx[(pl * (size_t)h + (size_t)i) * (size_t)w + (size_t)k] += fy * fx * *dy;
                    }
}

/* Flat index of the window's first largest input. */
static size_t window_max(const double *x, size_t pl, int h, int w, int r, int c)
{
    size_t best = (pl * (size_t)h + (size_t)(2 * r)) * (size_t)w + (size_t)(2 * c);
    for (int dy = 0; dy < 2; dy++)
        for (int dx = 0; dx < 2; dx++) {
            size_t i = (pl * (size_t)h + (size_t)(2 * r + dy)) * (size_t)w + (size_t)(2 * c + dx);
            if (x[i] > x[best])
                best = i;
        }
    return best;
}

void tref_pool_forward(bool max, const double *x, double *y, size_t planes, int h, int w)
{
    for (size_t pl = 0; pl < planes; pl++)
        for (int r = 0; r < h / 2; r++)
            for (int c = 0; c < w / 2; c++) {
                if (max) {
                    *y++ = x[window_max(x, pl, h, w, r, c)];
                    continue;
                }
                double s = 0.0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                        s += x[(pl * (size_t)h + (size_t)(2 * r + dy)) * (size_t)w +
                               (size_t)(2 * c + dx)];
                *y++ = s / 4.0;
            }
}

void tref_pool_backward(bool max, const double *x, const double *dy, double *dx,
                        size_t planes, int h, int w)
{
    memset(dx, 0, sizeof(double) * planes * (size_t)h * (size_t)w);
    for (size_t pl = 0; pl < planes; pl++)
        for (int r = 0; r < h / 2; r++)
            for (int c = 0; c < w / 2; c++) {
                double g = *dy++;
                if (max) {
                    dx[window_max(x, pl, h, w, r, c)] += g;
                    continue;
                }
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++)
                        dx[(pl * (size_t)h + (size_t)(2 * r + a)) * (size_t)w +
                           (size_t)(2 * c + b)] += g / 4.0;
            }
}
