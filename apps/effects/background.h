/*
 * Background replacement: the person laid over another picture or a flat
 * colour through the refined mask, mixed in linear light so the soft edge
 * (hair) blends the way light does rather than darkening.
 */
#ifndef IMP_FX_BACKGROUND_H
#define IMP_FX_BACKGROUND_H

#include <stdint.h>

#include "srgb.h"

/* Scales src to cover dw x dh (the smaller scale that leaves no gap), crops
 * the centre, and writes dw x dh RGB bytes. Returns 0, or -1 when out of
 * memory or a size is below 1. */
int imp_background_cover(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw,
                         int dh);

/* One row of w pixels: mask 255 keeps rgb, 0 takes bg. */
void imp_background_replace_row(const uint8_t *rgb_row, const uint8_t *mask_row,
                                const uint8_t *bg_row, int w, const struct imp_srgb *t,
                                uint8_t *out_row);

#endif
