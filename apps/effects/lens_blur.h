/*
 * The blur a lens makes out of focus: every point spreads into a flat disc
 * (the aperture's shape), not a Gaussian bell. So a small bright light
 * becomes a uniform disc with a crisp rim, the way a camera renders it.
 *
 * The disc is a stack of horizontal runs, one per row it covers; with a
 * running (prefix) sum along each row a run costs two reads whatever its
 * length, so a pixel costs 2 x (2r+1) reads per channel: linear in the
 * radius, and the focus effect keeps r small by blurring a reduced grid.
 *
 * The result is the disc's *sum*, not its mean: callers blur premultiplied
 * channels plus a weight channel and divide at the end, which makes the
 * blur gather only the pixels that carry weight (the background) and
 * handles the picture's borders the same way.
 */
#ifndef IMP_FX_LENS_BLUR_H
#define IMP_FX_LENS_BLUR_H

#include <stddef.h>

#include "parallel.h"

/* The largest radius (in grid pixels) imp_lens_blur_sum takes. */
#define IMP_LENS_MAX_RADIUS 64

/* The disc of radius `radius` (> = 0, at most IMP_LENS_MAX_RADIUS) as half
 * widths of its rows: half[dy + r] for dy = -r..r, the pixel centres whose
 * distance from the centre is within radius + 0.5. Returns r. */
int imp_lens_disc(float radius, int *half);

size_t imp_lens_blur_scratch_floats(int w, int h, int channels);

/* dst(x, y) = sum of src over the disc round (x, y) (cut at the borders),
 * for each of `channels` (1..4) interleaved channels. src and dst are
 * w x h x channels and must not overlap. */
void imp_lens_blur_sum(const float *src, float *dst, int w, int h, int channels,
                       float radius, float *scratch, const struct imp_fx_parallel *par);

#endif
