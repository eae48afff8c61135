#include <stdlib.h>

#include "background.h"
#include "resample.h"

int imp_background_cover(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw,
                         int dh)
{
    if (sw < 1 || sh < 1 || dw < 1 || dh < 1)
        return -1;
    /* The source window with the destination's aspect, as large as fits. */
    int cw = sw, ch = sh;
    if ((double)sw * dh > (double)sh * dw)
        cw = (int)((double)sh * dw / dh + 0.5);
    else
        ch = (int)((double)sw * dh / dw + 0.5);
    cw = cw < 1 ? 1 : cw > sw ? sw : cw;
    ch = ch < 1 ? 1 : ch > sh ? sh : ch;
    int x0 = (sw - cw) / 2, y0 = (sh - ch) / 2;
    float *crop = malloc(sizeof *crop * (size_t)cw * ch * 3);
    float *sized = malloc(sizeof *sized * (size_t)dw * dh * 3);
    int rc = -1;
    if (crop && sized) {
        for (int y = 0; y < ch; y++)
            for (int i = 0; i < cw * 3; i++)
                crop[(size_t)y * cw * 3 + i] = src[((size_t)(y0 + y) * sw + x0) * 3 + i];
        rc = imp_resample_f32(crop, cw, ch, 3, sized, dw, dh);
    }
    if (rc == 0)
        for (size_t i = 0; i < (size_t)dw * dh * 3; i++) {
            float v = sized[i] + 0.5f;
            dst[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    free(crop);
    free(sized);
    return rc;
}

void imp_background_replace_row(const uint8_t *rgb_row, const uint8_t *mask_row,
                                const uint8_t *bg_row, int w, const struct imp_srgb *t,
                                uint8_t *out_row)
{
    const float *lin = t->to_linear;
    for (int x = 0; x < w; x++) {
        int m = mask_row[x];
        const uint8_t *p = rgb_row + (size_t)x * 3, *q = bg_row + (size_t)x * 3;
        uint8_t *o = out_row + (size_t)x * 3;
        if (m == 255 || m == 0) {
            const uint8_t *from = m ? p : q;
            o[0] = from[0];
            o[1] = from[1];
            o[2] = from[2];
            continue;
        }
        float a = (float)m * (1.0f / 255.0f);
        for (int k = 0; k < 3; k++)
            o[k] = imp_srgb_encode(t, a * lin[p[k]] + (1.0f - a) * lin[q[k]]);
    }
}
