#include <stddef.h>

#include "downsample.h"

struct job {
    const uint8_t *rgb;
    int w, h, f, ow;
    float *out;
};

static void rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct job *j = ctx;
    (void)thread;
    for (size_t oy = begin; oy < end; oy++) {
        int y0 = (int)oy * j->f, y1 = y0 + j->f < j->h ? y0 + j->f : j->h;
        float *o = j->out + oy * (size_t)j->ow * 3;
        for (int ox = 0; ox < j->ow; ox++) {
            int x0 = ox * j->f, x1 = x0 + j->f < j->w ? x0 + j->f : j->w;
            unsigned sum[3] = {0, 0, 0};
            for (int y = y0; y < y1; y++) {
                const uint8_t *p = j->rgb + ((size_t)y * j->w + x0) * 3;
                for (int x = x0; x < x1; x++, p += 3) {
                    sum[0] += p[0];
                    sum[1] += p[1];
                    sum[2] += p[2];
                }
            }
            float scale = 1.0f / (255.0f * (float)((y1 - y0) * (x1 - x0)));
            for (int c = 0; c < 3; c++)
                o[ox * 3 + c] = (float)sum[c] * scale;
        }
    }
}

void imp_downsample_rgb8(const uint8_t *rgb, int w, int h, int f, float *out,
                         const struct imp_fx_parallel *par)
{
    struct job j = {rgb, w, h, f, (w + f - 1) / f, out};
    imp_fx_parallel_for(par, (size_t)((h + f - 1) / f), 4, rows, &j);
}
