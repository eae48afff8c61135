/*
 * The video pipeline: decode (the calling thread) -> a pool of predictors
 * on one shared model -> blend and encode in frame order (one thread).
 * Frames travel through a ring of slots; each stage waits on the slot it
 * needs next, so at most `ring` frames are in memory.
 *
 * Temporal stability (stabilize > 0) keeps frame order even though the
 * predictors run frames side by side. The instance-norm statistics follow
 * one chain, folded in frame order by whichever worker finishes:
 *     S_k = w * S_{k-1} + (1 - w) * measured_k      (S_k = measured_k at a cut)
 * and frame k runs in SMOOTHED mode holding S_{k-P} (P = predictors: the
 * newest state that frame order guarantees, without making the predictors
 * wait for each other), or S_{k-1} for the few frames after a scene cut, so
 * that no frame of a new scene is normalised with the old one's statistics.
 * With one predictor this is exactly the library's own exponential average.
 * The result does not depend on thread timing. Frames the stylizer runs in
 * tiles (a network of fixed size, or frames over its memory budget) hold
 * each frame's whole-picture statistics instead, and only the blend with
 * the previous output smooths them.
 */
#ifndef IMP_VIDEO_PIPELINE_H
#define IMP_VIDEO_PIPELINE_H

#include <signal.h>
#include <stdint.h>

#include "frame_effect.h"
#include "impasto.h"
#include "video.h"

struct video_pipeline_config {
    /* What each frame goes through: one instance per predictor thread. When
     * it has a stylizer, its instance-norm statistics are smoothed. NULL:
     * only the ordered effect below. */
    const struct imp_frame_effect *effect;
    int threads;                      /* per instance */
    int predictors;                   /* instances running frames side by side */
    float stabilize;                  /* 0 (off) .. 1 */
    struct imp_video_reader *reader;  /* already set to the processing size */
    struct imp_video_writer *writer;
    volatile sig_atomic_t *stop;      /* set (by a signal) to finish early */
    /* An effect on each frame after `effect` (or on the source when
     * `effect` is NULL: then the frames go to this one alone), called
     * from the encoding thread in frame order, so it may carry state from
     * frame to frame; cut says the frame starts a new scene. It writes
     * out (w x h x 3, not src); returns 0, or -1 with one line in err. */
    int (*ordered_effect)(void *ctx, const uint8_t *src, uint8_t *out, int w, int h, int cut,
                          char *err, size_t err_size);
    void *ordered_ctx;
    /* A second video written in step with the first (impasto focus --mask):
     * the same frames with the same timestamps, no audio. side_frame draws
     * each frame's picture (w x h x 3 into out) after the effects ran on
     * it, from the encoding thread in frame order. NULL: none. */
    struct imp_video_writer *side_writer;
    int (*side_frame)(void *ctx, uint8_t *out, int w, int h, char *err, size_t err_size);
    void *side_ctx;
    /* Called from the encoding thread after each frame is written. */
    void (*progress)(void *ctx, int64_t frames_written);
    void *progress_ctx;
};

struct video_pipeline_result {
    int64_t frames;
    int64_t cuts;    /* scene cuts found (the first frame not counted) */
    int interrupted; /* stopped early through *stop */
};

/* Runs the whole video through. Returns 0, or -1 with one line in err. The
 * writer is not finished: the caller finishes (or closes) it. */
int video_pipeline_run(const struct video_pipeline_config *c,
                       struct video_pipeline_result *r, char *err, size_t err_size);

/* The norm-statistics weight and the output blend for a --stabilize value. */
double video_norm_weight(float stabilize);
float video_blend_weight(float stabilize);

#endif
