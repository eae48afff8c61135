#include <stddef.h>

#include "guided_filter.h"
#include "box_filter.h"

/* Planes of the fit: 13 window means in, 4 coefficients, 4 averaged. */
enum { N_MEANS = 13, N_PLANES = 2 * N_MEANS + 4 };

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
    float *in, *mean, *ab, *coef;
    size_t n;
    double eps;
};

/* The products whose window means the fit needs: I, p, I I^T (upper
 * triangle), I p. */
static void products(void *ctx, size_t begin, size_t end, int thread)
{
    const struct fit *f = ctx;
    size_t n = f->n;
    (void)thread;
    for (size_t i = begin; i < end; i++) {
        const float *g = f->guide + i * 3;
        float R = g[0], G = g[1], B = g[2], P = f->p[i];
        float v[N_MEANS] = {R,     G,     B,     P,     R * R, R * G, R * B,
                            G * G, G * B, B * B, R * P, G * P, B * P};
        for (int k = 0; k < N_MEANS; k++)
            f->in[k * n + i] = v[k];
    }
}

/* Per window: a = (cov(I) + eps)^-1 cov(I, p), b = mean p - a . mean I. */
static void solve(void *ctx, size_t begin, size_t end, int thread)
{
    const struct fit *f = ctx;
    size_t n = f->n;
    double eps = f->eps;
    (void)thread;
    for (size_t i = begin; i < end; i++) {
        double m[N_MEANS];
        for (int k = 0; k < N_MEANS; k++)
            m[k] = f->mean[k * n + i];
        double mr = m[0], mg = m[1], mb = m[2], mp = m[3];
        double s_rr = m[4] - mr * mr + eps, s_rg = m[5] - mr * mg, s_rb = m[6] - mr * mb;
        double s_gg = m[7] - mg * mg + eps, s_gb = m[8] - mg * mb;
        double s_bb = m[9] - mb * mb + eps;
        double c_r = m[10] - mr * mp, c_g = m[11] - mg * mp, c_b = m[12] - mb * mp;
        /* The inverse through the adjugate of the symmetric 3x3. */
        double i_rr = s_gg * s_bb - s_gb * s_gb, i_rg = s_gb * s_rb - s_rg * s_bb;
        double i_rb = s_rg * s_gb - s_gg * s_rb, i_gg = s_rr * s_bb - s_rb * s_rb;
        double i_gb = s_rb * s_rg - s_rr * s_gb, i_bb = s_rr * s_gg - s_rg * s_rg;
        double det = s_rr * i_rr + s_rg * i_rg + s_rb * i_rb;
        double a_r = 0, a_g = 0, a_b = 0;
        if (det > 1e-30) {
            double inv = 1.0 / det;
            a_r = (i_rr * c_r + i_rg * c_g + i_rb * c_b) * inv;
            a_g = (i_rg * c_r + i_gg * c_g + i_gb * c_b) * inv;
            a_b = (i_rb * c_r + i_gb * c_g + i_bb * c_b) * inv;
        }
        f->ab[i] = (float)a_r;
        f->ab[n + i] = (float)a_g;
        f->ab[2 * n + i] = (float)a_b;
        f->ab[3 * n + i] = (float)(mp - a_r * mr - a_g * mg - a_b * mb);
    }
}

/* The averaged coefficients (in the planes of the means, free by then)
 * interleaved, so that reading them back is one pass. */
static void interleave(void *ctx, size_t begin, size_t end, int thread)
{
    const struct fit *f = ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++)
        for (int k = 0; k < 4; k++)
            f->coef[i * 4 + k] = f->mean[k * f->n + i];
}

void imp_guided_coefficients(const float *guide, const float *p, int w, int h, int r,
                             float eps, float *coef, float *scratch,
                             const struct imp_fx_parallel *par)
{
    size_t n = (size_t)w * h, grain = 4096;
    struct fit f = {guide, p, scratch, scratch + N_MEANS * n, scratch + 2 * N_MEANS * n,
                    coef, n, eps};
    float *cols = f.ab + 4 * n;
    imp_fx_parallel_for(par, n, grain, products, &f);
    struct box_job bj = {f.in, f.mean, cols, w, h, r};
    imp_fx_parallel_for(par, N_MEANS, 1, box_planes, &bj);
    imp_fx_parallel_for(par, n, grain, solve, &f);
    struct box_job cj = {f.ab, f.mean, cols, w, h, r};
    imp_fx_parallel_for(par, 4, 1, box_planes, &cj);
    imp_fx_parallel_for(par, n, grain, interleave, &f);
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
