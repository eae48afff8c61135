#include <stddef.h>

#include "bokeh.h"

void imp_bokeh_boost_table(const struct imp_srgb *t, float gain, float boost[256])
{
    for (int v = 0; v < 256; v++) {
        /* A smooth step over the top of the range (linear 0.9..1, bytes
         * ~243..255), so no visible contour appears where it starts. */
        float s = (t->to_linear[v] - 0.9f) / 0.1f;
        s = s < 0 ? 0 : s > 1 ? 1 : s;
        boost[v] = 1.0f + gain * s * s * (3.0f - 2.0f * s);
    }
}

void imp_bokeh_gather_row(const uint8_t *rgb_row, const uint8_t *mask_row, int w,
                          int factor, const struct imp_srgb *t, const float *boost,
                          float *cells)
{
    const float *lin = t->to_linear;
    for (int x0 = 0, cell = 0; x0 < w; x0 += factor, cell++) {
        int x1 = x0 + factor < w ? x0 + factor : w;
        float r = 0, g = 0, b = 0, wsum = 0;
        for (int x = x0; x < x1; x++) {
            /* Only what is more likely background than person counts, and
             * fully only where the mask is sure: a pixel on the fence
             * (hair, a shoulder the model half sees) is mostly person
             * colour, which must not spread into the blur as a halo. */
            int m = mask_row[x];
            if (m >= 128)
                continue;
            const uint8_t *p = rgb_row + (size_t)x * 3;
            float wgt = (float)(127 - m) * (1.0f / 127.0f);
            uint8_t top = p[0] > p[1] ? p[0] : p[1];
            top = top > p[2] ? top : p[2];
            float k = wgt * boost[top];
            r += k * lin[p[0]];
            g += k * lin[p[1]];
            b += k * lin[p[2]];
            wsum += wgt;
        }
        float *c = cells + (size_t)cell * 4;
        c[0] += r;
        c[1] += g;
        c[2] += b;
        c[3] += wsum;
    }
}

void imp_bokeh_composite_row(const uint8_t *rgb_row, const uint8_t *mask_row,
                             const float *sums_row, int n, const struct imp_srgb *t,
                             uint8_t *out_row)
{
    const float *lin = t->to_linear;
    for (int x = 0; x < n; x++) {
        const uint8_t *p = rgb_row + (size_t)x * 3;
        uint8_t *o = out_row + (size_t)x * 3;
        int m = mask_row[x];
        if (m == 255) { /* all person: the photo as it is */
            o[0] = p[0];
            o[1] = p[1];
            o[2] = p[2];
            continue;
        }
        const float *v = sums_row + (size_t)x * 4;
        if (!(v[3] > 1e-12f)) {
            /* No background weight anywhere near (a pixel the person all but
             * covers): the pixel's own light is the best guess. */
            o[0] = p[0];
            o[1] = p[1];
            o[2] = p[2];
            continue;
        }
        float inv = 1.0f / v[3];
        if (m == 0) {
            for (int k = 0; k < 3; k++)
                o[k] = imp_srgb_encode(t, v[k] * inv);
            continue;
        }
        float a = (float)m * (1.0f / 255.0f);
        for (int k = 0; k < 3; k++)
            o[k] = imp_srgb_encode(t, a * lin[p[k]] + (1.0f - a) * v[k] * inv);
    }
}
