/* Scene cuts and motion-gated blending for stylized video. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "temporal.h"

/* Block sizes: cut detection looks at the picture's layout, the blend at
 * local motion. */
#define CUT_BLOCK 16
#define MOTION_BLOCK 8
/* Block-average change (0..255, see below) under which a block counts as
 * still, and over which as moving. Heavy sensor noise (a standard deviation
 * of 10 levels a pixel) averages to 1-2 over an 8x8 block; an edge moving a
 * pixel or two changes a block by tens. Tuned on test_video's flicker and
 * ghosting measures (4.6x less flicker, >= 36 dB against per-frame). */
#define STILL 4.0f
#define MOVING 12.0f

double imp_temporal_cut_score(const uint8_t *a, const uint8_t *b, int w, int h)
{
    if (w < 1 || h < 1)
        return 0;
    double total = 0;
    long blocks = 0;
    for (int by = 0; by < h; by += CUT_BLOCK) {
        int y1 = by + CUT_BLOCK < h ? by + CUT_BLOCK : h;
        for (int bx = 0; bx < w; bx += CUT_BLOCK) {
            int x1 = bx + CUT_BLOCK < w ? bx + CUT_BLOCK : w;
            long sa[3] = {0, 0, 0}, sb[3] = {0, 0, 0};
            for (int y = by; y < y1; y++) {
                const uint8_t *pa = a + ((size_t)y * w + bx) * 3;
                const uint8_t *pb = b + ((size_t)y * w + bx) * 3;
                for (int x = 0; x < (x1 - bx) * 3; x += 3)
                    for (int c = 0; c < 3; c++) {
                        sa[c] += pa[x + c];
                        sb[c] += pb[x + c];
                    }
            }
            double n = (double)(y1 - by) * (x1 - bx);
            for (int c = 0; c < 3; c++)
                total += fabs((double)(sa[c] - sb[c])) / n / 3.0;
            blocks++;
        }
    }
    return total / (double)blocks;
}

size_t imp_temporal_work_size(int w, int h)
{
    size_t bw = (size_t)(w + MOTION_BLOCK - 1) / MOTION_BLOCK;
    size_t bh = (size_t)(h + MOTION_BLOCK - 1) / MOTION_BLOCK;
    return 2 * bw * bh;
}

void imp_temporal_blend(uint8_t *out, const uint8_t *prev_out, const uint8_t *src,
                        const uint8_t *prev_src, int w, int h, float blend, float *work)
{
    if (w < 1 || h < 1 || !(blend > 0))
        return;
    if (blend > 1)
        blend = 1;
    int bw = (w + MOTION_BLOCK - 1) / MOTION_BLOCK;
    int bh = (h + MOTION_BLOCK - 1) / MOTION_BLOCK;
    float *change = work, *weight = work + (size_t)bw * bh;
    /* The change of each block's average colour. */
    for (int by = 0; by < bh; by++) {
        int y0 = by * MOTION_BLOCK, y1 = y0 + MOTION_BLOCK < h ? y0 + MOTION_BLOCK : h;
        for (int bx = 0; bx < bw; bx++) {
            int x0 = bx * MOTION_BLOCK, x1 = x0 + MOTION_BLOCK < w ? x0 + MOTION_BLOCK : w;
            int d[3] = {0, 0, 0};
            for (int y = y0; y < y1; y++) {
                const uint8_t *p = src + ((size_t)y * w + x0) * 3;
                const uint8_t *q = prev_src + ((size_t)y * w + x0) * 3;
                for (int x = 0; x < (x1 - x0) * 3; x += 3)
                    for (int c = 0; c < 3; c++)
                        d[c] += p[x + c] - q[x + c];
            }
            /* Mostly the change of brightness: sensor noise in the colour
             * channels partly cancels in their sum, moving edges do not;
             * half the largest channel's change catches edges between
             * colours of one brightness. */
            float n = (float)((y1 - y0) * (x1 - x0));
            float m = fabsf((float)(d[0] + d[1] + d[2])) / (3 * n);
            for (int c = 0; c < 3; c++) {
                float v = 0.5f * fabsf((float)d[c]) / n;
                m = v > m ? v : m;
            }
            change[(size_t)by * bw + bx] = m;
        }
    }
    /* A block is still only if its neighbours are too: the style network
     * sees a neighbourhood, and motion next door changes this block's
     * output. */
    for (int by = 0; by < bh; by++)
        for (int bx = 0; bx < bw; bx++) {
            float m = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int y = by + dy, x = bx + dx;
                    if (y >= 0 && y < bh && x >= 0 && x < bw) {
                        float v = change[(size_t)y * bw + x];
                        m = v > m ? v : m;
                    }
                }
            float still = (MOVING - m) / (MOVING - STILL);
            still = still < 0 ? 0 : still > 1 ? 1 : still;
            weight[(size_t)by * bw + bx] = blend * still;
        }
    /* Fixed point (weights out of 256) keeps the per-pixel loop cheap: it
     * runs on every pixel of every frame in the encoding thread. */
    for (int y = 0; y < h; y++) {
        const float *wrow = weight + (size_t)(y / MOTION_BLOCK) * bw;
        uint8_t *o = out + (size_t)y * w * 3;
        const uint8_t *p = prev_out + (size_t)y * w * 3;
        for (int bx = 0; bx < bw; bx++) {
            unsigned a = (unsigned)(wrow[bx] * 256.0f + 0.5f);
            if (a == 0)
                continue;
            int x0 = bx * MOTION_BLOCK * 3;
            int x1 = (bx + 1) * MOTION_BLOCK < w ? (bx + 1) * MOTION_BLOCK * 3 : w * 3;
            for (int i = x0; i < x1; i++)
                o[i] = (uint8_t)(((256 - a) * o[i] + a * p[i] + 128) >> 8);
        }
    }
}
