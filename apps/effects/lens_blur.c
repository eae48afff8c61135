#include <math.h>
#include <string.h>

#include "lens_blur.h"

int imp_lens_disc(float radius, int *half)
{
    if (!(radius >= 0.0f))
        radius = 0.0f;
    if (radius > IMP_LENS_MAX_RADIUS)
        radius = IMP_LENS_MAX_RADIUS;
    /* Half a pixel beyond the radius, so the disc's area is close to
     * pi r^2 and a radius of 0 is the pixel itself. */
    double reach = radius + 0.5;
    int r = (int)floor(reach - 1e-9);
    for (int dy = -r; dy <= r; dy++) {
        double span = reach * reach - (double)dy * dy;
        half[dy + r] = span > 0 ? (int)floor(sqrt(span) - 1e-9) : 0;
    }
    return r;
}

size_t imp_lens_blur_scratch_floats(int w, int h, int channels)
{
    return (size_t)(w + 1) * h * channels;
}

struct job {
    const float *src;
    float *dst, *prefix;
    int w, h, c, r;
    int half[2 * IMP_LENS_MAX_RADIUS + 1];
};

/* prefix row y holds, at x, the sum of the first x pixels of row y. */
static void prefix_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct job *j = ctx;
    int c = j->c;
    (void)thread;
    for (size_t y = begin; y < end; y++) {
        const float *s = j->src + y * (size_t)j->w * c;
        float *p = j->prefix + y * (size_t)(j->w + 1) * c;
        for (int k = 0; k < c; k++)
            p[k] = 0.0f;
        for (int i = 0; i < j->w * c; i++)
            p[i + c] = p[i] + s[i];
    }
}

static void disc_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct job *j = ctx;
    int w = j->w, c = j->c;
    (void)thread;
    for (size_t y = begin; y < end; y++) {
        float *d = j->dst + y * (size_t)w * c;
        memset(d, 0, sizeof *d * (size_t)w * c);
        for (int dy = -j->r; dy <= j->r; dy++) {
            long sy = (long)y + dy;
            if (sy < 0 || sy >= j->h)
                continue;
            const float *p = j->prefix + (size_t)sy * (w + 1) * c;
            int hw = j->half[dy + j->r];
            /* Interior: the run [x - hw, x + hw] lies inside the row, and
             * the loop is a plain vector difference of two shifted rows. */
            int x_lo = hw, x_hi = w - hw; /* x in [x_lo, x_hi) */
            if (x_lo >= x_hi)
                x_lo = x_hi = w;
            int ahead = (hw + 1) * c, behind = hw * c;
            for (int i = x_lo * c; i < x_hi * c; i++)
                d[i] += p[i + ahead] - p[i - behind];
            for (int x = 0; x < w; x++) {
                if (x == x_lo) {
                    x = x_hi - 1;
                    continue;
                }
                int a = x - hw < 0 ? 0 : x - hw, b = x + hw + 1 > w ? w : x + hw + 1;
                for (int k = 0; k < c; k++)
                    d[x * c + k] += p[b * c + k] - p[a * c + k];
            }
        }
    }
}

void imp_lens_blur_sum(const float *src, float *dst, int w, int h, int channels,
                       float radius, float *scratch, const struct imp_fx_parallel *par)
{
    struct job j = {src, dst, scratch, w, h, channels, 0, {0}};
    j.r = imp_lens_disc(radius, j.half);
    imp_fx_parallel_for(par, (size_t)h, 8, prefix_rows, &j);
    imp_fx_parallel_for(par, (size_t)h, 4, disc_rows, &j);
}
