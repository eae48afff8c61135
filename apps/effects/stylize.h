/*
 * Style transfer of one picture in memory with any image-to-image network:
 * the photo goes in at its own size and comes out at its own size.
 *
 * - Open height/width: the photo is padded (reflect) to the network's
 *   stride multiple (found by probing the model once) and cropped back.
 * - Fixed height/width (Johnson's 720x720 nets): overlapping tiles of
 *   exactly that size, blended with linear ramps; a picture smaller than a
 *   tile is reflect-padded. Never a squashed picture.
 * - Tiles also when the whole picture would need more activation memory
 *   than allowed (or when asked), and then every instance norm uses the
 *   whole picture's statistics (see imp_stylizer_options.tile_stats), so
 *   tiles do not show seams or colour shifts.
 *
 * No file I/O: a stylizer is one predictor on a shared model, for one
 * thread; video runs one per worker. Frames of one size reuse the plan.
 */
#ifndef IMP_EFFECTS_STYLIZE_H
#define IMP_EFFECTS_STYLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "impasto.h"

/* How pixels become the network's numbers: value = pixel (0..255) * scale
 * - mean[c], channels in R, G, B order or reversed, NCHW or NHWC. The
 * output is read back through the inverse. */
struct imp_style_convention {
    int nhwc;
    int bgr;
    float scale;
    float mean[3]; /* R, G, B */
    /* The output's value for black and for white when it differs from the
     * input's (metadata impasto.output.range); both 0: the input's. */
    float out_lo, out_hi;
};

/* Fill *c from the model: its metadata when it says (impasto.input.layout,
 * .channels, .range and impasto.output.range, docs/format.md); else the
 * layout from which side has the 3 channels, and BGR 0..255 when the
 * network starts with an ImageScaler (the Caffe-style convention of the
 * Johnson nets), else RGB 0..1. Returns 0, or -1 with why when input 0 is
 * not a picture (rank 4 with a channel dim of 3) or a metadata value is
 * malformed. */
int imp_style_detect(const struct imp_model *m, struct imp_style_convention *c, char *why,
                     size_t why_size);

struct imp_stylizer_options {
    struct imp_predictor_options predictor;
    struct imp_style_convention convention;
    /* -1: tile only when the whole picture needs more than max_memory of
     * activations; 0: never tile; N > 0: tiles of about N pixels. Networks
     * with a fixed size always run in tiles of that size. */
    int tile;
    size_t max_memory;
    /* For tiles: every instance norm normalises by the whole picture's
     * statistics, measured by one run on the whole picture at the largest
     * scale that fits max_memory (fixed-size networks: shrunk into one
     * tile). N > 1 adds N - 1 rounds over all tiles that replace them by
     * the tiles' combined measurements (overlaps and tile borders bias
     * those, so this helps only where the first measure was far off). 0
     * leaves each tile its own statistics. */
    int tile_stats;
    /* 1 = the network's output; below 1 blends towards the photo. */
    float strength;
    /* The painting's lightness with the photo's colours (OKLab). */
    int preserve_colors;
    /* 1: the dims the model fixes but lets be resized
     * (imp_model_input_resizable: a fully convolutional network converted
     * at one size) count as open, so a picture runs at its own size. */
    int resize_fixed;
};

struct imp_stylizer_options imp_stylizer_options_default(void);

struct imp_stylizer;

/* One predictor on m (borrowed: m must outlive the stylizer). Returns 0,
 * or -1 with why. */
int imp_stylizer_create(const struct imp_model *m, const struct imp_stylizer_options *o,
                        struct imp_stylizer **out, char *why, size_t why_size);
void imp_stylizer_free(struct imp_stylizer *s);

/* Stylize w x h pixels of interleaved 8-bit RGB into out (the same size).
 * Returns 0, or -1 with why (a size the network cannot take, out of
 * memory). */
int imp_stylizer_run(struct imp_stylizer *s, const uint8_t *rgb, int w, int h,
                     uint8_t *out, char *why, size_t why_size);

/* Plans the predictor for pictures of w x h without running it (a video
 * pipeline asks the norm-statistics count before the first frame). *tiled
 * (may be NULL) says whether such pictures run in tiles. Returns 0, or -1
 * with why. */
int imp_stylizer_prepare(struct imp_stylizer *s, int w, int h, int *tiled, char *why,
                         size_t why_size);

/* Live changes between runs: a weight of the network (instance-norm scale
 * and shift of conditional networks; see style_mix.h), and the pixel blend. */
int imp_stylizer_set_param(struct imp_stylizer *s, const char *name, const float *data,
                           size_t count, char *why, size_t why_size);
void imp_stylizer_set_strength(struct imp_stylizer *s, float strength);
void imp_stylizer_set_preserve_colors(struct imp_stylizer *s, int on);
/* The instance-norm statistics (default MEASURED; a video pipeline sets
 * SMOOTHED against flicker, and imp_predictor_reset_norm_stats on the
 * stylizer's predictor at a scene cut). Tiled runs hold the whole
 * picture's statistics for every tile: in SMOOTHED mode the run that
 * measures them smooths them with what the predictor holds, as an untiled
 * run does, so tiled frames are smoothed too. */
int imp_stylizer_set_norm_stats_mode(struct imp_stylizer *s, enum imp_norm_stats_mode mode,
                                     double weight, char *why, size_t why_size);
/* What the last run measured over the whole picture, per instance-norm
 * plane (count = imp_predictor_norm_stats_count): for a tiled run, the
 * measurement of its whole-picture run (the last tile's would be the
 * predictor's); else the predictor's. For a video's chain of statistics.
 * Returns 0, or -1 with why. */
int imp_stylizer_measured_norm_stats(struct imp_stylizer *s, double *mean, double *var,
                                     size_t count, char *why, size_t why_size);

/* What the last run did, for reports and benchmarks. */
struct imp_stylizer_report {
    int tiles_x, tiles_y; /* 1 x 1 when untiled */
    int run_w, run_h;     /* the size each network run took */
    int runs;             /* network runs (tiles x statistics rounds, + measuring) */
    int stride;           /* the multiple open sizes are padded to */
    double network_ms;    /* time inside imp_predictor_run */
    double total_ms;      /* the whole imp_stylizer_run */
};
void imp_stylizer_last_report(const struct imp_stylizer *s, struct imp_stylizer_report *r);
/* The predictor, for callers that need more (statistics, profiles). */
struct imp_predictor *imp_stylizer_predictor(struct imp_stylizer *s);

#endif
