/*
 * The focus effect on one frame: a portrait's background blurred the way a
 * lens blurs it (or replaced), with the person kept sharp. The steps, each
 * its own file:
 *
 *   1. the photo shrunk to a guide grid of about 320 pixels across
 *      (downsample.h), which also feeds the segmentation model;
 *   2. the model's coarse mask refined against the guide and read back at
 *      full resolution (guided_filter.h), so its edges follow the photo's;
 *   3. the background gathered from background pixels only onto a coarser
 *      grid, blurred there with a flat disc, and composited under the
 *      person in linear light (bokeh.h, lens_blur.h); or the person laid
 *      over a replacement background (background.h).
 *
 * The blur is computed on a grid about blur/8 times smaller than the
 * frame: a disc of radius R removes all detail finer than R, so the grid
 * loses nothing visible, and the cost no longer grows with R.
 *
 * A struct imp_focus belongs to one frame size and holds all the memory it
 * needs, so the per-frame calls allocate nothing and cannot fail; a video
 * pipeline keeps one per stream (it is also where state carried from frame
 * to frame, such as a smoothed mask, belongs).
 */
#ifndef IMP_FX_FOCUS_H
#define IMP_FX_FOCUS_H

#include <stddef.h>
#include <stdint.h>

#include "parallel.h"

struct imp_focus_options {
    float blur;           /* disc radius in output pixels; < 0: 2% of the longer side */
    float highlight_gain; /* clipped highlights count (1 + gain) times as bright */
    float refine_radius;  /* guided filter window radius, in the model's pixels */
    float refine_eps;     /* guided filter ridge (colour variance, 0..1 units) */
    float snap;           /* refined values below this are 0, above 1 - snap 1 */
    int guide_size;       /* the guide grid's longer side, about; keep it near the
                             model's size (its input is read from the guide) */
};

struct imp_focus_options imp_focus_options_default(void);

/* Milliseconds the last frame spent in each step (wall clock). */
struct imp_focus_stats {
    double shrink_ms;    /* photo to guide and model input */
    double model_ms;     /* imp_focus_segment: the network, and beside it the
                            guide's half of the refinement */
    double refine_ms;    /* mask to guide, guided filter fit */
    double mask_ms;      /* full-resolution mask (and background gathering) */
    double blur_ms;      /* disc blur on the coarse grid */
    double composite_ms; /* the output frame */
};

struct imp_focus;

/* For frames of width x height and a model taking model_w x model_h RGB.
 * `par` (copied; NULL: one thread) runs the row loops. Returns NULL when
 * out of memory or a size is out of range (1..65535). */
struct imp_focus *imp_focus_create(int width, int height, int model_w, int model_h,
                                   const struct imp_focus_options *o,
                                   const struct imp_fx_parallel *par);
void imp_focus_free(struct imp_focus *f);

/* Replace the background with this width x height RGB frame instead of
 * blurring it (NULL: blur again). The pointer is kept: the caller keeps
 * the pixels alive while it renders. */
void imp_focus_set_background(struct imp_focus *f, const uint8_t *rgb);

/* Step 1 for frame `rgb` (width x height x 3): keeps its guide and writes
 * the model's input, model_h x model_w x 3 floats, RGB 0..1. */
void imp_focus_prepare(struct imp_focus *f, const uint8_t *rgb, float *model_input);

/* The segmentation network, the caller's: writes the model's mask
 * (model_h x model_w, person 0..1) for `input` (model_h x model_w x 3, RGB
 * 0..1). Returns 0, or -1 with one line in err. */
typedef int (*imp_focus_segment_fn)(void *ctx, const float *input, float *mask, char *err,
                                     size_t err_size);

/* Step 1 (unless rgb is NULL: imp_focus_prepare already ran on the frame),
 * then the network on one thread while another computes the guide's half
 * of step 2 (which needs no mask): with two threads the network costs no
 * time of its own. The network must not use the effect's threads (a
 * predictor of one thread). Returns what segment returned. */
int imp_focus_segment(struct imp_focus *f, const uint8_t *rgb, float *model_input,
                      imp_focus_segment_fn segment, void *ctx, float *mask, char *err,
                      size_t err_size);

/* Steps 2 and 3 for the same frame: `mask` is the model's output
 * (model_h x model_w, person probability 0..1); writes width x height x 3
 * bytes to out (which may not be rgb). */
void imp_focus_render(struct imp_focus *f, const uint8_t *rgb, const float *mask,
                      uint8_t *out);

/* After a render in blur mode (no replacement background): the frame
 * with the person taken out, filled from the background-only blur, and
 * the photo kept where the mask says background. A style network run on
 * this plate paints the background without ever seeing the person, so
 * none of the person's colours end up round it (no halo). */
void imp_focus_plate(struct imp_focus *f, const uint8_t *rgb, uint8_t *out);

/* After a render: `person` laid over `background` (both width x height x
 * 3) through the refined mask, mixed in linear light, into out (which may
 * be neither). For one side stylized and the other kept as it is. */
void imp_focus_layer(struct imp_focus *f, const uint8_t *person, const uint8_t *background,
                     uint8_t *out);

/* The last render's refined mask, width x height bytes (255 = person),
 * valid until the next render. */
const uint8_t *imp_focus_mask(const struct imp_focus *f);
const struct imp_focus_stats *imp_focus_stats(const struct imp_focus *f);
/* The same steps in CPU time of the whole process (all threads). */
const struct imp_focus_stats *imp_focus_cpu_stats(const struct imp_focus *f);
/* The blur radius in use (pixels) and the grid factors chosen. */
float imp_focus_blur_radius(const struct imp_focus *f);
void imp_focus_grids(const struct imp_focus *f, int *guide_factor, int *blur_factor);

#endif
