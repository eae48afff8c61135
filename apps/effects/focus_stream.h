/*
 * The focus effect on a stream of frames (a video file, a camera): the
 * photo steps of focus.h per frame, plus what only a stream has.
 *
 *   - The segmentation network is skipped, and its last mask kept, while
 *     the picture barely changes (mask_temporal.h's block test against the
 *     frame it last ran on), up to `max_skip` frames in a row.
 *   - The mask is steadied over time where it is uncertain and the person
 *     is still, and follows at once where it is sure or the person moved
 *     (mask_temporal.h), before it is refined against the full frame.
 *
 * The network itself is the caller's: a callback that turns the model's
 * input (model_h x model_w x 3, RGB 0..1) into its mask, so the effect
 * stays free of files and of any one runtime API. Frames must come in
 * order; imp_focus_stream_restart forgets the past (a scene cut).
 */
#ifndef IMP_FX_FOCUS_STREAM_H
#define IMP_FX_FOCUS_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "focus.h"
#include "mask_temporal.h"
#include "parallel.h"

struct imp_focus_stream_options {
    struct imp_focus_options focus;
    struct imp_mask_temporal_options temporal;
    int smooth;   /* 0: every frame's mask as the network gives it */
    int max_skip; /* frames in a row that may reuse the last mask (0: none) */
    float still;  /* block change (see imp_mask_temporal_change) below which
                     a frame may reuse the last mask */
};

struct imp_focus_stream_options imp_focus_stream_options_default(void);

struct imp_focus_stream;

/* For frames of width x height and a model of model_w x model_h. Returns
 * NULL when out of memory or a size is out of range. */
struct imp_focus_stream *imp_focus_stream_create(int width, int height, int model_w,
                                                 int model_h,
                                                 const struct imp_focus_stream_options *o,
                                                 const struct imp_fx_parallel *par,
                                                 imp_focus_segment_fn segment, void *ctx);
void imp_focus_stream_free(struct imp_focus_stream *s);

/* The next frame (width x height x 3) into out (the same size; not rgb).
 * Returns 0, or -1 when the network failed (err says why). */
int imp_focus_stream_frame(struct imp_focus_stream *s, const uint8_t *rgb, uint8_t *out,
                           char *err, size_t err_size);
/* The next frame starts afresh: no smoothing with, nor mask from, before. */
void imp_focus_stream_restart(struct imp_focus_stream *s);

/* The per-frame effect (its refined mask, timings, background). */
struct imp_focus *imp_focus_stream_effect(struct imp_focus_stream *s);
/* The last frame's mask on the model's grid, after smoothing. */
const float *imp_focus_stream_model_mask(const struct imp_focus_stream *s);

struct imp_focus_stream_counts {
    long long frames, network_runs;
};
struct imp_focus_stream_counts imp_focus_stream_counts(const struct imp_focus_stream *s);

#endif
