/* (Conditional) instance normalisation, forward and backward, one plane
 * per work item; statistics and sums in double (train_kernels.h). */
#include <math.h>
#include <string.h>

#include "core/threadpool.h"
#include "train/train_kernels.h"

struct norm_job {
    const float *x, *dy, *gamma, *beta, *mean_in, *rstd_in;
    float *y, *mean, *rstd;
    const int *style_of;
    int c;
    size_t hw;
    bool acc;
    double *part_g, *part_b;
};

static void norm_fwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct norm_job *j = ctx;
    for (size_t pl = begin; pl < end; pl++) {
        const float *x = j->x + pl * j->hw;
        float *y = j->y + pl * j->hw;
        int n = (int)(pl / (size_t)j->c), c = (int)(pl % (size_t)j->c);
        size_t pi = (size_t)j->style_of[n] * (size_t)j->c + (size_t)c;
        double s = 0.0;
        for (size_t i = 0; i < j->hw; i++)
            s += x[i];
        double mean = s / (double)j->hw, v = 0.0;
        for (size_t i = 0; i < j->hw; i++) {
            double d = x[i] - mean;
            v += d * d;
        }
        double rstd = 1.0 / sqrt(v / (double)j->hw + TK_NORM_EPS);
        double a = j->gamma[pi] * rstd, b = j->beta[pi] - mean * a;
        for (size_t i = 0; i < j->hw; i++)
            y[i] = (float)(a * x[i] + b);
        j->mean[pl] = (float)mean;
        j->rstd[pl] = (float)rstd;
    }
}

void tk_norm_forward(const float *x, float *y, int n, int c, size_t hw, const float *gamma,
                     const float *beta, const int *style_of, float *mean, float *rstd,
                     struct imp_threadpool *pool)
{
    struct norm_job j = {.x = x, .y = y, .gamma = gamma, .beta = beta, .style_of = style_of,
                         .c = c, .hw = hw, .mean = mean, .rstd = rstd};
    imp_parallel_for(pool, (size_t)n * (size_t)c, 1, norm_fwd_items, &j);
}

static void norm_bwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct norm_job *j = ctx;
    for (size_t pl = begin; pl < end; pl++) {
        const float *x = j->x + pl * j->hw, *dy = j->dy + pl * j->hw;
        float *dx = j->y + pl * j->hw;
        int n = (int)(pl / (size_t)j->c), c = (int)(pl % (size_t)j->c);
        double g = j->gamma[(size_t)j->style_of[n] * (size_t)j->c + (size_t)c];
        double mean = j->mean_in[pl], rstd = j->rstd_in[pl];
        double s_dy = 0.0, s_dyx = 0.0;
        for (size_t i = 0; i < j->hw; i++) {
            double xh = (x[i] - mean) * rstd;
            s_dy += dy[i];
            s_dyx += dy[i] * xh;
        }
        j->part_g[pl] = s_dyx;
        j->part_b[pl] = s_dy;
        double inv_n = 1.0 / (double)j->hw, k = g * rstd;
        double m_dy = s_dy * inv_n, m_dyx = s_dyx * inv_n;
        for (size_t i = 0; i < j->hw; i++) {
            double xh = (x[i] - mean) * rstd;
            float d = (float)(k * (dy[i] - m_dy - xh * m_dyx));
            dx[i] = j->acc ? dx[i] + d : d;
        }
    }
}

void tk_norm_backward(const float *x, const float *dy, float *dx, int n, int c, size_t hw,
                      const float *gamma, const int *style_of, const float *mean,
                      const float *rstd, bool acc, double *part_g, double *part_b,
                      float *dgamma, float *dbeta, int n_styles,
                      struct imp_threadpool *pool)
{
    struct norm_job j = {.x = x, .dy = dy, .y = dx, .gamma = gamma, .style_of = style_of,
                         .c = c, .hw = hw, .mean_in = mean, .rstd_in = rstd, .acc = acc,
                         .part_g = part_g, .part_b = part_b};
    imp_parallel_for(pool, (size_t)n * (size_t)c, 1, norm_bwd_items, &j);
    /* Per style and channel, the samples' sums in batch order. */
    if (!dgamma)
        return;
    for (int s = 0; s < n_styles; s++)
        for (int ch = 0; ch < c; ch++) {
            double sg = 0.0, sb = 0.0;
            for (int i = 0; i < n; i++)
                if (style_of[i] == s) {
                    sg += part_g[(size_t)i * (size_t)c + (size_t)ch];
                    sb += part_b[(size_t)i * (size_t)c + (size_t)ch];
                }
            dgamma[(size_t)s * (size_t)c + (size_t)ch] = (float)sg;
            dbeta[(size_t)s * (size_t)c + (size_t)ch] = (float)sb;
        }
}
