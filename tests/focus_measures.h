/*
 * The measures the focus tests judge pictures by, shared by the effect's
 * unit tests (synthetic scenes with a known person) and the end-to-end
 * tests (the astronaut). Pictures are 8-bit RGB, masks 8-bit (255 =
 * person) unless said otherwise.
 */
#ifndef IMP_TEST_FOCUS_MEASURES_H
#define IMP_TEST_FOCUS_MEASURES_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "box_filter.h"

static inline double fm_luma(const uint8_t *rgb, size_t i)
{
    return 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];
}

/* Pixels whose whole (2r+1)^2 neighbourhood passes `keep` (mask >= lo and
 * <= hi): a region shrunk by r, away from the uncertain edge band. */
static inline uint8_t *fm_core(const uint8_t *mask, int w, int h, int lo, int hi, int r)
{
    size_t n = (size_t)w * h;
    float *in = calloc(n, sizeof *in), *mean = calloc(n, sizeof *mean);
    float *col = malloc(sizeof *col * (size_t)w);
    uint8_t *core = malloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = mask[i] >= lo && mask[i] <= hi ? 1.0f : 0.0f;
    imp_box_mean(in, mean, w, h, r, col);
    for (size_t i = 0; i < n; i++)
        core[i] = mean[i] > 0.9999f;
    free(in);
    free(mean);
    free(col);
    return core;
}

/* Detail: the mean squared 4-neighbour Laplacian of luma over a region
 * (pixels on the picture's border left out). */
static inline double fm_hf_energy(const uint8_t *rgb, const uint8_t *region, int w, int h)
{
    double sum = 0;
    size_t k = 0;
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            size_t i = (size_t)y * w + x;
            if (!region[i])
                continue;
            double l = 4 * fm_luma(rgb, i) - fm_luma(rgb, i - 1) - fm_luma(rgb, i + 1) -
                       fm_luma(rgb, i - (size_t)w) - fm_luma(rgb, i + (size_t)w);
            sum += l * l;
            k++;
        }
    return k ? sum / (double)k : 0;
}

/* PSNR in dB of a against b over a region, all three channels. */
static inline double fm_psnr(const uint8_t *a, const uint8_t *b, const uint8_t *region, size_t n)
{
    double se = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!region[i])
            continue;
        for (int c = 0; c < 3; c++) {
            double d = (double)a[i * 3 + c] - b[i * 3 + c];
            se += d * d;
        }
        k += 3;
    }
    if (!k)
        return 0;
    return se == 0 ? 200.0 : 10.0 * log10(255.0 * 255.0 / (se / (double)k));
}

/* How well a mask's edges sit on the photo's edges: the photo's gradient
 * magnitude averaged with the mask's gradient magnitude as weight, over
 * the photo's mean gradient magnitude. 1 means the mask's edges fall
 * anywhere; the higher, the more of the mask's change lies on the photo's
 * edges. mask is w x h floats 0..1. */
static inline double fm_edge_alignment(const float *mask, const uint8_t *rgb, int w, int h)
{
    double weighted = 0, weight = 0, photo = 0;
    size_t k = 0;
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            size_t i = (size_t)y * w + x;
            double mx = mask[i + 1] - mask[i - 1], my = mask[i + w] - mask[i - w];
            double gx = fm_luma(rgb, i + 1) - fm_luma(rgb, i - 1);
            double gy = fm_luma(rgb, i + (size_t)w) - fm_luma(rgb, i - (size_t)w);
            double gm = sqrt(mx * mx + my * my), gp = sqrt(gx * gx + gy * gy);
            weighted += gm * gp;
            weight += gm;
            photo += gp;
            k++;
        }
    if (weight == 0 || photo == 0)
        return 0;
    return (weighted / weight) / (photo / (double)k);
}

#endif
