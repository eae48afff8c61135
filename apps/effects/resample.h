/*
 * Resampling of interleaved float images (c channels per pixel), for model
 * inputs and masks: bilinear when enlarging (pixel centres aligned, edges
 * clamped), area average when shrinking, so a large photo going into a
 * small model does not alias. Separable: rows first, then columns.
 */
#ifndef IMP_APP_RESAMPLE_H
#define IMP_APP_RESAMPLE_H

/* Returns 0, or -1 when out of memory or a size is below 1. */
int imp_resample_f32(const float *src, int sw, int sh, int c, float *dst, int dw,
                     int dh);

/* One channel, bilinear with pixel centres aligned and edges clamped, and
 * no allocation (for a per-frame path that must not fail): for smooth
 * pictures such as masks, or when shrinking by less than 2x. */
void imp_resample_bilinear_f32(const float *src, int sw, int sh, float *dst, int dw,
                               int dh);

#endif
