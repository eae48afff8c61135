/*
 * Edge-aware mask refinement: the colour guided filter (He, Sun and Tang,
 * 2010/2013), in its fast form (He and Sun, 2015). Within each window the
 * refined mask is modelled as an affine function of the photo's colour,
 * q = a . I + b, fitted by least squares to the coarse mask p with a ridge
 * `eps` (larger: smoother, smaller: follows colour edges more closely).
 * The fit is made on a small grid; a and b are smooth, so they are
 * interpolated up to full resolution and applied to the full-resolution
 * photo there: the mask's edges then sit on the photo's real edges, not on
 * the segmentation model's 256x256 grid.
 */
#ifndef IMP_FX_GUIDED_FILTER_H
#define IMP_FX_GUIDED_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "grid.h"
#include "parallel.h"

/* Floats of scratch imp_guided_coefficients needs. */
size_t imp_guided_scratch_floats(int w, int h, int threads);

/* guide: w x h x 3 interleaved, 0..1; p: the coarse mask, w x h. Writes
 * w x h x 4 floats to coef, interleaved: a_r, a_g, a_b, b (already
 * window-averaged, the form the filter's output is read from). r >= 0 is
 * the window radius in grid pixels, eps > 0. */
void imp_guided_coefficients(const float *guide, const float *p, int w, int h, int r,
                             float eps, float *coef, float *scratch,
                             const struct imp_fx_parallel *par);

/* The same in two halves: the guide's statistics (its window means and
 * inverse covariances, kept in scratch), which need no mask and so can be
 * computed while the segmentation network runs, then the fit of a mask p
 * to them (same guide, r and scratch). */
void imp_guided_guide_stats(const float *guide, int w, int h, int r, float eps,
                            float *scratch, const struct imp_fx_parallel *par);
void imp_guided_fit(const float *guide, const float *p, int w, int h, int r, float *coef,
                    float *scratch, const struct imp_fx_parallel *par);

/* Which coefficient cells cannot give anything but 0 (or 255) once
 * stretched between lo and hi, whatever the colour (0..1 per channel):
 * sure[i] = 0 or 1 for those, -1 for the rest. n cells of coef. Most of a
 * portrait is surely background or surely person; apply_row fills those
 * runs without arithmetic. */
void imp_guided_sure_cells(const float *coef, size_t n, float lo, float hi,
                           signed char *sure);

/* One full-resolution row y of the refined mask, 0..255, from the photo's
 * row (8-bit RGB): the coefficient grid (gx->cells x gy->cells x 4, with
 * its sure cells) interpolated to each pixel and applied to its colour.
 * The fit's values are stretched so that lo and below give 0 and hi and
 * above 255 (0 and 1 keep them as they are): the coarse mask's hesitant
 * fringe is snapped to sure, and the pixels left between are the real soft
 * edge. tmp is scratch for gx->cells bytes. */
void imp_guided_apply_row(const float *coef, const signed char *sure,
                          const struct imp_grid_axis *gx, const struct imp_grid_axis *gy,
                          int y, const uint8_t *rgb_row, float lo, float hi,
                          uint8_t *mask_row, signed char *tmp);

#endif
