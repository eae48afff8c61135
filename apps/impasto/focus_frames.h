/*
 * The focus effect on a stream of frames for the CLI (impasto focus on a
 * video, impasto live --focus): the segmentation model in a session, the
 * effect's threads, and apps/effects/focus_stream.h, rebuilt when the frame
 * size changes. Its apply function is the video pipeline's effect callback.
 */
#ifndef IMP_FOCUS_FRAMES_H
#define IMP_FOCUS_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "focus_stream.h"
#include "frame_effect.h"

struct imp_stylize_job;

/* One side of the picture painted with a style (--style-person,
 * --style-background): the style as impasto stylize opens it, one
 * instance, and the painted frame. */
struct focus_side {
    struct imp_stylize_job *job; /* NULL: this side is kept as it is */
    struct imp_frame_effect effect;
    void *instance;
    struct imp_stylizer *st; /* the instance's, or NULL */
    uint8_t *painted;        /* w x h x 3 */
    /* A stream's: the last frame painted and what it was painted from,
     * for the motion-gated blend that takes out the style's flicker. */
    int stream, have_prev;
    uint8_t *prev_painted, *prev_in;
    float *work;
};

struct focus_frames {
    struct imp_cli_session s;
    struct imp_threadpool *pool;
    int threads;        /* the effect's (the network runs on one) */
    struct imp_fx_parallel par;
    struct imp_focus_stream *stream;
    struct imp_focus_stream_options opt;
    int w, h;           /* the stream's frame size */
    int mw, mh, nchw;   /* the model's input */
    float *planar;      /* the input as NCHW, for models that want it */
    const char *kind;   /* "general", "landscape" or "file" */
    const char *model;  /* its path */
    char model_buf[1024];
    /* The replacement background, if any: a colour, or a picture kept to
     * be scaled to cover each frame size. */
    int replace, has_colour;
    uint8_t colour[3];
    struct imp_image picture;
    uint8_t *background; /* w x h x 3 */
    /* Sides painted with a style, if any (then the background is never
     * replaced), and the plate the background style paints. */
    struct focus_side person, behind;
    uint8_t *plate;      /* w x h x 3, with a background style */
    uint8_t *focused;    /* w x h x 3: the focus output before the sides */
};

/* Loads the model (general, landscape, a file, or NULL to choose by the
 * aspect of width x height) and readies the effect for frames of that
 * size. background: NULL (blur), "#RRGGBB" or a picture file. Returns 0,
 * or an exit code after printing the one-line error (ff then closed). */
int focus_frames_open(struct focus_frames *ff, const char *model, const char *background,
                      const struct imp_cli_model_flags *flags, int width, int height,
                      const struct imp_focus_stream_options *o);
/* Paints the person, the background or both with a style (a shipped
 * name or a model file, as impasto stylize takes --style; NULL keeps that
 * side as it is), on ff->threads threads. Each frame then gets the side
 * painted and the other kept, laid together through the refined mask; the
 * background style paints the plate (the person taken out), so no colour
 * of the person is painted round them. A stream (video, camera) smooths
 * the styles' norm statistics from frame to frame, afresh at a cut.
 * Returns 0, or the exit code after printing the failure. */
int focus_frames_open_styles(struct focus_frames *ff, const char *person,
                             const char *background, const struct imp_cli_model_flags *flags,
                             int stream);
/* The painting step alone, for a frame imp_focus_stream_frame just ran on
 * (rgb): out gets the two sides laid together. Returns 0, or -1 with
 * err. */
int focus_frames_paint(struct focus_frames *ff, const uint8_t *rgb, uint8_t *out, char *err,
                       size_t err_size);
/* One frame (w x h x 3) into out; a new size rebuilds the effect, a cut
 * starts its smoothing afresh; the sides painted when styles are open.
 * The video pipeline's effect callback (ctx: the struct focus_frames).
 * Returns 0, or -1 with one line in err. */
int focus_frames_apply(void *ctx, const uint8_t *src, uint8_t *out, int w, int h, int cut,
                       char *err, size_t err_size);
/* The refined mask the last frame was composited with, as grey RGB
 * (w x h x 3, 255 = person): the video pipeline's side_frame callback for
 * impasto focus --mask. Returns 0, or -1 with err when w x h is not the
 * last frame's size. */
int focus_frames_mask(void *ctx, uint8_t *out, int w, int h, char *err, size_t err_size);
void focus_frames_close(struct focus_frames *ff);

/* "#RRGGBB" to bytes; -1 when it is not one. */
int focus_parse_colour(const char *text, uint8_t rgb[3]);

#endif
