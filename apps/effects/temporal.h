/*
 * Temporal smoothing of a stylized video, on 8-bit RGB frames: the two
 * pieces that need no model.
 *
 * - A scene-cut score: how different two consecutive source frames are as
 *   a whole, on 16x16 block averages (sensor noise averages out, motion
 *   moves a few blocks, a cut changes all of them).
 * - A motion-gated blend: where the source did not move between two frames,
 *   the new output is pulled towards the previous output (an exponential
 *   average over time that takes out the texture flicker a style network
 *   makes of sensor noise); where it moved, the new output is kept as it is,
 *   so nothing ghosts.
 */
#ifndef IMP_APP_TEMPORAL_H
#define IMP_APP_TEMPORAL_H

#include <stdint.h>

/* Mean absolute difference of 16x16-block averages, 0..255. Above
 * IMP_TEMPORAL_CUT the second frame starts a new scene. */
double imp_temporal_cut_score(const uint8_t *a, const uint8_t *b, int w, int h);
#define IMP_TEMPORAL_CUT 30.0

/* Where a pixel's 8x8 block and its neighbours changed by less than the
 * noise between prev_src and src (both w x h x 3), out = blend * prev_out +
 * (1 - blend) * out; where they changed more, out stays; between, a linear
 * ramp. blend in 0..1. work holds at least imp_temporal_work_size(w, h)
 * floats. */
void imp_temporal_blend(uint8_t *out, const uint8_t *prev_out, const uint8_t *src,
                        const uint8_t *prev_src, int w, int h, float blend, float *work);
size_t imp_temporal_work_size(int w, int h);

#endif
