#include "box_filter.h"

/* Rows are summed in float: the planes this serves (guide images and
 * masks, values within 0..1, a few hundred rows) stay far from float's
 * precision limits. */
void imp_box_mean(const float *src, float *dst, int w, int h, int r, float *col)
{
    for (int x = 0; x < w; x++)
        col[x] = 0.0f;
    for (int y = 0; y <= r && y < h; y++)
        for (int x = 0; x < w; x++)
            col[x] += src[(long)y * w + x];
    for (int y = 0; y < h; y++) {
        int y0 = y - r < 0 ? 0 : y - r, y1 = y + r >= h ? h - 1 : y + r;
        float inv_rows = 1.0f / (float)(y1 - y0 + 1);
        float *d = dst + (long)y * w;
        float sum = 0.0f;
        for (int x = 0; x <= r && x < w; x++)
            sum += col[x];
        /* Three runs: the window growing at the left border, sliding
         * whole through the middle (one reciprocal for all), shrinking at
         * the right border. */
        int x = 0;
        for (; x < w && x - r < 0; x++) {
            int x1 = x + r >= w ? w - 1 : x + r;
            d[x] = sum * inv_rows / (float)(x1 + 1);
            if (x + r + 1 < w)
                sum += col[x + r + 1];
        }
        float inv_full = inv_rows / (float)(2 * r + 1);
        for (; x + r + 1 < w; x++) {
            d[x] = sum * inv_full;
            sum += col[x + r + 1] - col[x - r];
        }
        for (; x < w; x++) {
            d[x] = sum * inv_rows / (float)(w - (x - r));
            sum -= col[x - r];
        }
        /* Slide the column sums down one row. */
        if (y + r + 1 < h) {
            const float *add = src + (long)(y + r + 1) * w;
            for (int i = 0; i < w; i++)
                col[i] += add[i];
        }
        if (y - r >= 0) {
            const float *sub = src + (long)(y - r) * w;
            for (int i = 0; i < w; i++)
                col[i] -= sub[i];
        }
    }
}
