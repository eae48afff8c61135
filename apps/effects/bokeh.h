/*
 * Portrait background blur without a halo: the background is blurred from
 * background pixels only. Each full-resolution pixel adds its linear light
 * times its background weight (1 - mask), and that weight itself, into a
 * coarse grid cell (premultiplied); the grid is disc-blurred
 * (lens_blur.h); reading it back, blurred light / blurred weight is the
 * background as the lens would see it with the person taken out, so the
 * person's colours never spread into it. The sharp photo is then laid
 * over it through the mask, in linear light.
 *
 * Clipped highlights (bytes near 255) stood for light brighter than the
 * sensor could hold; they are brightened before blurring, so that they
 * bloom into bright discs instead of fading into grey ones.
 */
#ifndef IMP_FX_BOKEH_H
#define IMP_FX_BOKEH_H

#include <stdint.h>

#include "srgb.h"

/* Per byte value of a pixel's brightest channel: how much its linear
 * light is multiplied before blurring (1 + gain near 255, 1 below ~240). */
void imp_bokeh_boost_table(const struct imp_srgb *t, float gain, float boost[256]);

/* Adds one full-resolution row (w pixels; rgb bytes, mask 0..255 with 255
 * = person) into a grid row of ceil(w / factor) cells of 4 floats:
 * weighted linear R, G, B and the weight. */
void imp_bokeh_gather_row(const uint8_t *rgb_row, const uint8_t *mask_row, int w,
                          int factor, const struct imp_srgb *t, const float *boost,
                          float *cells);

/* One output row of n pixels: the blurred grid's sums read back at this
 * row (n x 4 floats, imp_grid_read_row over imp_lens_blur_sum of the
 * gathered cells) divided out into the background, and the photo's row
 * laid over it through the mask. */
void imp_bokeh_composite_row(const uint8_t *rgb_row, const uint8_t *mask_row,
                             const float *sums_row, int n, const struct imp_srgb *t,
                             uint8_t *out_row);

#endif
