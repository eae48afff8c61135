/*
 * A person mask steadied over time, on the segmentation model's own grid.
 *
 * Per-frame masks flicker where the model hesitates (hair, shoulders, a
 * busy background behind them), and the usual cure, an average over time,
 * makes the mask trail behind a moving head. Here each pixel decides how
 * far to follow the new mask from two things it can see:
 *
 *   - confidence: where the new mask is sure (near 0 or 1), it is taken at
 *     once, so a head moving into a place is there in the same frame;
 *   - motion of the person: where the picture changed and the pixel was (or
 *     now is) person, or the mask jumped by more than it flickers, the
 *     person moved, and the new mask is taken at once, so the place a head
 *     left clears in the same frame. A background that moves behind a still
 *     person does not count, so the person's uncertain rim stays steady
 *     over it.
 *
 * Everywhere else (uncertain and still) the mask moves a fraction `settle`
 * of the way per frame: an exponential average that evens out the flicker.
 *
 * The same grid gives a cheap test of whether the network needs to run at
 * all: the largest change of an 8x8 block's mean colour since the frame it
 * last ran on (noise averages out inside a block; motion does not).
 */
#ifndef IMP_FX_MASK_TEMPORAL_H
#define IMP_FX_MASK_TEMPORAL_H

struct imp_mask_temporal_options {
    float settle; /* per frame, the part of the way an uncertain, still pixel
                     moves to the new mask (0..1; 1: no smoothing) */
    float motion; /* colour change (0..1 per channel) at which a person
                     pixel counts as fully moved */
    float sure;   /* confidence |2m - 1| at which the new mask is taken at
                     once (a ramp from sure - 0.4 up to it) */
};

struct imp_mask_temporal_options imp_mask_temporal_options_default(void);

/* One step: smoothed (w x h, the previous frame's smoothed mask) moves
 * towards mask (this frame's, w x h, 0..1), pixel by pixel as above.
 * frame and prev_frame are this frame's and the previous frame's pictures
 * on the same grid (w x h x 3, RGB 0..1). */
void imp_mask_temporal_step(float *smoothed, const float *mask, const float *frame,
                            const float *prev_frame, int w, int h,
                            const struct imp_mask_temporal_options *o);

/* The largest change of an 8x8 block's mean colour between a and b (both
 * w x h x 3, RGB 0..1), summed over the channels: 0 for the same picture. */
float imp_mask_temporal_change(const float *a, const float *b, int w, int h);

#endif
