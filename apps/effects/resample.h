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

/* Scratch for resampling in a loop (a training step): grown when a call
 * needs more and kept, so once reserved for the largest sizes the calls
 * allocate nothing. Zero-initialise; imp_resample_work_free releases. */
struct imp_resample_work {
    float *rows;
    size_t rows_cap;
    int *index;
    float *weight;
    size_t taps_cap;
};
/* Grows w for a resample of sw x sh to dw x dh (c channels); it then
 * holds every smaller source too. Returns 0, or -1 out of memory. */
int imp_resample_work_reserve(struct imp_resample_work *w, int sw, int sh, int c, int dw,
                              int dh);
/* imp_resample_f32 with its scratch in w (grown when needed). */
int imp_resample_f32_work(struct imp_resample_work *w, const float *src, int sw, int sh,
                          int c, float *dst, int dw, int dh);
void imp_resample_work_free(struct imp_resample_work *w);

/* One channel, bilinear with pixel centres aligned and edges clamped, and
 * no allocation (for a per-frame path that must not fail): for smooth
 * pictures such as masks, or when shrinking by less than 2x. */
void imp_resample_bilinear_f32(const float *src, int sw, int sh, float *dst, int dw,
                               int dh);

#endif
