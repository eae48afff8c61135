#include <stddef.h>

#include "guided_filter.h"
#include "box_filter.h"

/* The guide's part of the fit (9 planes: the window means of R, G, B and
 * the inverse of the colour covariance plus eps, upper triangle) comes
 * first and needs no mask; the mask's part (p and I p: 4 window means, 4
 * coefficients, 4 averaged) after. Scratch: the 9 guide planes, 9 planes
 * of products and 9 of means (the mask's part reuses them), and a column
 * buffer per thread. */
enum { N_GUIDE = 9, N_MASK = 4, N_PLANES = 3 * N_GUIDE };

size_t imp_guided_scratch_floats(int w, int h, int threads)
{
    return (size_t)N_PLANES * w * h + (size_t)threads * w;
}

struct box_job {
    const float *src;
    float *dst;
    float *cols;
    int w, h, r;
};

static void box_planes(void *ctx, size_t begin, size_t end, int thread)
{
    const struct box_job *j = ctx;
    size_t plane = (size_t)j->w * j->h;
    for (size_t k = begin; k < end; k++)
        imp_box_mean(j->src + k * plane, j->dst + k * plane, j->w, j->h, j->r,
                     j->cols + (size_t)thread * j->w);
}

struct fit {
    const float *guide, *p;
    float *stats, *in, *mean, *coef;
    size_t n;
    double eps;
};

static struct fit fit_of(const float *guide, const float *p, size_t n, float eps,
                         float *coef, float *scratch)
{
    struct fit f = {guide, p, scratch, scratch + N_GUIDE * n, scratch + 2 * N_GUIDE * n,
                    coef, n, eps};
    return f;
}

/* The guide's products whose window means the fit needs: I, I I^T (upper
 * triangle). */
static void guide_products(void *ctx, size_t begin, size_t end, int thread)
{
    const struct fit *f = ctx;
    size_t n = f->n;
    (void)thread;
    for (size_t i = begin; i < end; i++) {
        const float *g = f->guide + i * 3;
        float R = g[0], G = g[1], B = g[2];
        float v[N_GUIDE] = {R, G, B, R * R, R * G, R * B, G * G, G * B, B * B};
        for (int k = 0; k < N_GUIDE; k++)
            f->in[k * n + i] = v[k];
    }
}

/* Per window: the means of I, and (cov(I) + eps)^-1 through the adjugate
 * of the symmetric 3x3 (zero when it is singular: then a = 0). */
static void guide_invert(void *ctx, size_t begin, size_t end, int thread)
{
    const struct fit *f = ctx;
    size_t n = f->n;
    double eps = f->eps;
    (void)thread;
    for (size_t i = begin; i < end; i++) {
        double m[N_GUIDE];
        for (int k = 0; k < N_GUIDE; k++)
            m[k] = f->mean[k * n + i];
        double mr = m[0], mg = m[1], mb = m[2];
        double s_rr = m[3] - mr * mr + eps, s_rg = m[4] - mr * mg, s_rb = m[5] - mr * mb;
        double s_gg = m[6] - mg * mg + eps, s_gb = m[7] - mg * mb;
        double s_bb = m[8] - mb * mb + eps;
        double i_rr = s_gg * s_bb - s_gb * s_gb, i_rg = s_gb * s_rb - s_rg * s_bb;
        double i_rb = s_rg * s_gb - s_gg * s_rb, i_gg = s_rr * s_bb - s_rb * s_rb;
        double i_gb = s_rb * s_rg - s_rr * s_gb, i_bb = s_rr * s_gg - s_rg * s_rg;
        double det = s_rr * i_rr + s_rg * i_rg + s_rb * i_rb;
        double inv = det > 1e-30 ? 1.0 / det : 0.0;
        double v[N_GUIDE] = {mr,         mg,         mb,         i_rr * inv, i_rg * inv,
                             i_rb * inv, i_gg * inv, i_gb * inv, i_bb * inv};
        for (int k = 0; k < N_GUIDE; k++)
            f->stats[k * n + i] = (float)v[k];
    }
}

/* The mask's products: p and I p. */
static void mask_products(void *ctx, size_t begin, size_t end, int thread)
{
    const struct fit *f = ctx;
    size_t n = f->n;
    (void)thread;
    for (size_t i = begin; i < end; i++) {
        const float *g = f->guide + i * 3;
        float P = f->p[i];
        f->in[i] = P;
        f->in[n + i] = g[0] * P;
        f->in[2 * n + i] = g[1] * P;
        f->in[3 * n + i] = g[2] * P;
    }
}

/* Per window: a = (cov(I) + eps)^-1 cov(I, p), b = mean p - a . mean I,
 * into the product planes (free by then). */
static void solve(void *ctx, size_t begin, size_t end, int thread)
{
    const struct fit *f = ctx;
    size_t n = f->n;
    (void)thread;
    for (size_t i = begin; i < end; i++) {
        const float *st = f->stats;
        double mr = st[i], mg = st[n + i], mb = st[2 * n + i];
        double i_rr = st[3 * n + i], i_rg = st[4 * n + i], i_rb = st[5 * n + i];
        double i_gg = st[6 * n + i], i_gb = st[7 * n + i], i_bb = st[8 * n + i];
        double mp = f->mean[i];
        double c_r = f->mean[n + i] - mr * mp, c_g = f->mean[2 * n + i] - mg * mp;
        double c_b = f->mean[3 * n + i] - mb * mp;
        double a_r = i_rr * c_r + i_rg * c_g + i_rb * c_b;
        double a_g = i_rg * c_r + i_gg * c_g + i_gb * c_b;
        double a_b = i_rb * c_r + i_gb * c_g + i_bb * c_b;
        f->in[i] = (float)a_r;
        f->in[n + i] = (float)a_g;
        f->in[2 * n + i] = (float)a_b;
        f->in[3 * n + i] = (float)(mp - a_r * mr - a_g * mg - a_b * mb);
    }
}

/* The averaged coefficients interleaved, so that reading them back is one
 * pass. */
static void interleave(void *ctx, size_t begin, size_t end, int thread)
{
    const struct fit *f = ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++)
        for (int k = 0; k < 4; k++)
            f->coef[i * 4 + k] = f->mean[k * f->n + i];
}

#define GRAIN 4096

void imp_guided_guide_stats(const float *guide, int w, int h, int r, float eps,
                            float *scratch, const struct imp_fx_parallel *par)
{
    size_t n = (size_t)w * h;
    struct fit f = fit_of(guide, NULL, n, eps, NULL, scratch);
    imp_fx_parallel_for(par, n, GRAIN, guide_products, &f);
    struct box_job bj = {f.in, f.mean, scratch + N_PLANES * n, w, h, r};
    imp_fx_parallel_for(par, N_GUIDE, 1, box_planes, &bj);
    imp_fx_parallel_for(par, n, GRAIN, guide_invert, &f);
}

void imp_guided_fit(const float *guide, const float *p, int w, int h, int r, float *coef,
                    float *scratch, const struct imp_fx_parallel *par)
{
    size_t n = (size_t)w * h;
    struct fit f = fit_of(guide, p, n, 0.0f, coef, scratch);
    float *cols = scratch + N_PLANES * n;
    imp_fx_parallel_for(par, n, GRAIN, mask_products, &f);
    struct box_job bj = {f.in, f.mean, cols, w, h, r};
    imp_fx_parallel_for(par, N_MASK, 1, box_planes, &bj);
    imp_fx_parallel_for(par, n, GRAIN, solve, &f);
    imp_fx_parallel_for(par, N_MASK, 1, box_planes, &bj);
    imp_fx_parallel_for(par, n, GRAIN, interleave, &f);
}

void imp_guided_coefficients(const float *guide, const float *p, int w, int h, int r,
                             float eps, float *coef, float *scratch,
                             const struct imp_fx_parallel *par)
{
    imp_guided_guide_stats(guide, w, h, r, eps, scratch, par);
    imp_guided_fit(guide, p, w, h, r, coef, scratch, par);
}

void imp_guided_sure_cells(const float *coef, size_t n, float lo, float hi,
                           signed char *sure)
{
    /* Over colours in [0, 1]^3 the fit a . I + b ranges from b plus the
     * negative a's to b plus the positive ones; rounding takes half a
     * level either way. */
    float half = 0.5f / 255.0f * (hi - lo);
    for (size_t i = 0; i < n; i++) {
        const float *t = coef + i * 4;
        float low = t[3], high = t[3];
        for (int k = 0; k < 3; k++) {
            low += t[k] < 0 ? t[k] : 0;
            high += t[k] > 0 ? t[k] : 0;
        }
        sure[i] = high < lo + half ? 0 : low >= hi - half ? 1 : -1;
    }
}

void imp_guided_apply_row(const float *coef, const signed char *sure,
                          const struct imp_grid_axis *gx, const struct imp_grid_axis *gy,
                          int y, const uint8_t *rgb_row, float lo, float hi,
                          uint8_t *mask_row, signed char *tmp)
{
    int gw = gx->cells;
    const float *r0 = coef + (size_t)gy->lo[y] * gw * 4, *r1 = coef + (size_t)gy->hi[y] * gw * 4;
    const signed char *s0 = sure + (size_t)gy->lo[y] * gw, *s1 = sure + (size_t)gy->hi[y] * gw;
    float fy = gy->frac[y];
    /* A pixel is sure when the (up to) four cells it mixes are sure alike:
     * its fit is a blend of theirs. */
    for (int c = 0; c < gw; c++)
        tmp[c] = s0[c] == s1[c] ? s0[c] : -1;
    float stretch = 255.0f / (hi - lo), shift = lo * stretch;
    for (int x = 0; x < gx->n; x++) {
        int c0 = gx->lo[x], c1 = gx->hi[x];
        if (tmp[c0] >= 0 && tmp[c0] == tmp[c1]) {
            mask_row[x] = tmp[c0] ? 255 : 0;
            continue;
        }
        const float *a0 = r0 + c0 * 4, *a1 = r0 + c1 * 4, *b0 = r1 + c0 * 4, *b1 = r1 + c1 * 4;
        float fx = gx->frac[x];
        const uint8_t *p = rgb_row + (size_t)x * 3;
        float t[4];
        for (int k = 0; k < 4; k++) {
            float top = a0[k] + fx * (a1[k] - a0[k]), bottom = b0[k] + fx * (b1[k] - b0[k]);
            t[k] = top + fy * (bottom - top);
        }
        float q = (t[0] * p[0] + t[1] * p[1] + t[2] * p[2]) * (1.0f / 255.0f) + t[3];
        q = q * stretch - shift;
        q = q > 0.0f ? (q < 255.0f ? q : 255.0f) : 0.0f;
        mask_row[x] = (uint8_t)(q + 0.5f);
    }
}
