/*
 * One video frame through a style network: 8-bit RGB in, 8-bit RGB out of
 * the same size. The network takes and gives NCHW RGB in 0..range (range 1
 * or 255); open height and width run at the frame's own size, padded by
 * repeating the edges up to a multiple of 4 (two stride-2 layers and their
 * upsampling give back the same size) and cropped after; fixed ones get
 * the frame resized to them and the result resized back.
 *
 * This is the video pipeline's only contact with the style model, kept
 * apart so the still-picture stylize pipeline can replace it.
 */
#ifndef IMP_APP_FRAME_STYLE_H
#define IMP_APP_FRAME_STYLE_H

#include <stddef.h>
#include <stdint.h>

#include "impasto.h"

struct imp_frame_style {
    struct imp_predictor *pred; /* borrowed; one thread at a time */
    float range;
    int fixed_w, fixed_h; /* the model's input size, 0 where open */
    int run_w, run_h;     /* the size the predictor is planned for */
    float *input;         /* 3 x run_h x run_w, planar */
    float *work, *work2;  /* resampling, for fixed-size models */
    size_t input_cap, work_cap;
};

/* Checks the model's one input and output ([N=1, 3, H, W] float32). */
int imp_frame_style_init(struct imp_frame_style *s, const struct imp_model *m,
                         struct imp_predictor *pred, float range, char *err,
                         size_t err_size);
/* Plans the predictor for frames of w x h (nothing when it already is):
 * call before touching state that depends on the planned shapes, such as
 * the norm statistics. */
int imp_frame_style_prepare(struct imp_frame_style *s, int w, int h, char *err,
                            size_t err_size);
/* Stylizes rgb (w x h x 3) into out (same size). Re-plans only when the
 * size changes. */
int imp_frame_style_run(struct imp_frame_style *s, const uint8_t *rgb, int w, int h,
                        uint8_t *out, char *err, size_t err_size);
void imp_frame_style_free(struct imp_frame_style *s);

/* The last touches on a stylized frame `out` of its source `src` (both
 * pixels x 3): the style's strength 0..1 (a mix with the source), and with
 * keep_colours the style's brightness under the source's colours (BT.601
 * luma moved, chroma kept). */
void imp_frame_style_finish(uint8_t *out, const uint8_t *src, size_t pixels,
                            float strength, int keep_colours);

#endif
