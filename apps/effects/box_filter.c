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
        float rows = (float)(y1 - y0 + 1);
        float *d = dst + (long)y * w;
        float sum = 0.0f;
        for (int x = 0; x <= r && x < w; x++)
            sum += col[x];
        for (int x = 0; x < w; x++) {
            int x0 = x - r < 0 ? 0 : x - r, x1 = x + r >= w ? w - 1 : x + r;
            d[x] = sum / (rows * (float)(x1 - x0 + 1));
            if (x + r + 1 < w)
                sum += col[x + r + 1];
            if (x - r >= 0)
                sum -= col[x - r];
        }
        /* Slide the column sums down one row. */
        if (y + r + 1 < h) {
            const float *add = src + (long)(y + r + 1) * w;
            for (int x = 0; x < w; x++)
                col[x] += add[x];
        }
        if (y - r >= 0) {
            const float *sub = src + (long)(y - r) * w;
            for (int x = 0; x < w; x++)
                col[x] -= sub[x];
        }
    }
}
