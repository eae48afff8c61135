#include <math.h>
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

void imp_guided_coefficients(const float *guide, const float *p, int w, int h, int r,
                             float eps, float *coef, float *scratch,
                             const struct imp_fx_parallel *par)
{
    size_t n = (size_t)w * h;
    float *in = scratch, *mean = scratch + N_MEANS * n, *ab = mean + N_MEANS * n;
    float *cols = ab + 4 * n;
    /* The products whose window means the fit needs: I, p, I I^T (upper
     * triangle), I p. */
    for (size_t i = 0; i < n; i++) {
        float R = guide[i * 3], G = guide[i * 3 + 1], B = guide[i * 3 + 2], P = p[i];
        float v[N_MEANS] = {R,     G,     B,     P,     R * R, R * G, R * B,
                            G * G, G * B, B * B, R * P, G * P, B * P};
        for (int k = 0; k < N_MEANS; k++)
            in[k * n + i] = v[k];
    }
    struct box_job bj = {in, mean, cols, w, h, r};
    imp_fx_parallel_for(par, N_MEANS, 1, box_planes, &bj);

    for (size_t i = 0; i < n; i++) {
        double m[N_MEANS];
        for (int k = 0; k < N_MEANS; k++)
            m[k] = mean[k * n + i];
        double mr = m[0], mg = m[1], mb = m[2], mp = m[3];
        /* Covariance of the colour in the window (+ eps on the diagonal)
         * and of colour with mask. */
        double s_rr = m[4] - mr * mr + eps, s_rg = m[5] - mr * mg, s_rb = m[6] - mr * mb;
        double s_gg = m[7] - mg * mg + eps, s_gb = m[8] - mg * mb;
        double s_bb = m[9] - mb * mb + eps;
        double c_r = m[10] - mr * mp, c_g = m[11] - mg * mp, c_b = m[12] - mb * mp;
        /* a = S^-1 c through the adjugate of the symmetric 3x3 S. */
        double i_rr = s_gg * s_bb - s_gb * s_gb, i_rg = s_gb * s_rb - s_rg * s_bb;
        double i_rb = s_rg * s_gb - s_gg * s_rb, i_gg = s_rr * s_bb - s_rb * s_rb;
        double i_gb = s_rb * s_rg - s_rr * s_gb, i_bb = s_rr * s_gg - s_rg * s_rg;
        double det = s_rr * i_rr + s_rg * i_rg + s_rb * i_rb;
        double a_r = 0, a_g = 0, a_b = 0;
        if (det > 1e-30) {
            a_r = (i_rr * c_r + i_rg * c_g + i_rb * c_b) / det;
            a_g = (i_rg * c_r + i_gg * c_g + i_gb * c_b) / det;
            a_b = (i_rb * c_r + i_gb * c_g + i_bb * c_b) / det;
        }
        ab[i] = (float)a_r;
        ab[n + i] = (float)a_g;
        ab[2 * n + i] = (float)a_b;
        ab[3 * n + i] = (float)(mp - a_r * mr - a_g * mg - a_b * mb);
    }
    struct box_job cj = {ab, coef, cols, w, h, r};
    imp_fx_parallel_for(par, 4, 1, box_planes, &cj);
}

void imp_guided_apply_row(const float *coef, const struct imp_grid_axis *gx,
                          const struct imp_grid_axis *gy, int y, const uint8_t *rgb_row,
                          uint8_t *mask_row, float *tmp, float lo, float hi)
{
    int gw = gx->cells;
    size_t plane = (size_t)gw * gy->cells;
    const float *r0 = coef + (size_t)gy->lo[y] * gw, *r1 = coef + (size_t)gy->hi[y] * gw;
    float fy = gy->frac[y];
    /* Rows first, interleaved per cell so each pixel reads 8 neighbours
     * from two runs of 4. The photo's bytes are scaled into the 0..1 the
     * fit used by folding 1/255 into a. */
    float stretch = 1.0f / (hi - lo);
    for (int c = 0; c < gw; c++)
        for (int k = 0; k < 4; k++) {
            float v0 = r0[k * plane + c], v1 = r1[k * plane + c];
            float v = v0 + fy * (v1 - v0);
            /* (a . I + b - lo) * stretch, folded into a and b. */
            tmp[c * 4 + k] = k < 3 ? v * stretch * (1.0f / 255.0f) : (v - lo) * stretch;
        }
    /* Where a cell's fit cannot leave 0 (or 255) after rounding, whatever
     * the colour, mark it: most of a portrait is surely background or
     * surely person, and between two such cells of one kind every pixel
     * is that too, without the arithmetic. */
    signed char *sure = (signed char *)(tmp + 4 * gw);
    for (int c = 0; c < gw; c++) {
        const float *t = tmp + c * 4;
        float reach = 255.0f * (fabsf(t[0]) + fabsf(t[1]) + fabsf(t[2]));
        float half = 0.5f / 255.0f;
        sure[c] = t[3] + reach < half ? 0 : t[3] - reach >= 1.0f - half ? 1 : -1;
    }
    for (int x = 0; x < gx->n; x++) {
        int c0 = gx->lo[x], c1 = gx->hi[x];
        if (sure[c0] >= 0 && sure[c0] == sure[c1]) {
            mask_row[x] = sure[c0] ? 255 : 0;
            continue;
        }
        const float *t0 = tmp + c0 * 4, *t1 = tmp + c1 * 4;
        float fx = gx->frac[x];
        const uint8_t *px = rgb_row + (size_t)x * 3;
        float q = 0.0f;
        for (int k = 0; k < 3; k++)
            q += (t0[k] + fx * (t1[k] - t0[k])) * (float)px[k];
        q += t0[3] + fx * (t1[3] - t0[3]);
        q = q > 0.0f ? (q < 1.0f ? q : 1.0f) : 0.0f;
        mask_row[x] = (uint8_t)(q * 255.0f + 0.5f);
    }
}
