/*
 * impasto stylize, behind the option parsing (cmd_stylize.c): the style
 * networks resolved and loaded, photos found, workers run (stylize_run.c),
 * and the Magenta arbitrary-style path (stylize_magenta.c).
 */
#ifndef IMP_CLI_STYLIZE_CLI_H
#define IMP_CLI_STYLIZE_CLI_H

#include <stddef.h>

#include "cli.h"
#include "frame_effect.h"

#define IMP_STYLIZE_MAX_ARGS 4096
#define IMP_STYLIZE_MAX_BLEND 16

struct imp_stylize_job {
    struct imp_cli_model_flags model_flags;
    struct imp_cli_image_flags image_flags;
    int convention_given; /* a pixel flag was given: no detection */
    float range;          /* --range: 1 or 255 (0: not given); only the scale */
    const char *inputs[IMP_STYLIZE_MAX_ARGS];
    int n_inputs;
    const char *output;
    const char *style;
    struct {
        char style[1024];
        float weight;
    } blend[IMP_STYLIZE_MAX_BLEND];
    int n_blend;
    float strength;
    int strength_set;
    int preserve_colors;
    int size; /* long side, 0 = as is */
    int tile;
    size_t max_memory;
    int quality;
    int jobs;
    const char *magenta_dir;
    const char *style_images[IMP_STYLIZE_MAX_BLEND];
    int n_style_images;
    const char *save_style;
    const char *style_vector;
};

/* Runs the job; returns the exit code (errors already printed). */
int imp_stylize_execute(struct imp_stylize_job *job, int magenta);

/* The job's style, resolved and loaded as a frame effect whose instances
 * are stylizers: a shipped name or a model file (the first shipped style
 * when none is given), a blend, or Magenta's pair with a painting or a
 * style vector; the input convention, strength and colours as stylize does
 * them. `impasto video` and `impasto live` paint with it too. Returns 0, or
 * the exit code after printing the failure. */
int imp_stylize_open_style(struct imp_stylize_job *job, struct imp_frame_effect *out);
void imp_stylize_close_style(struct imp_frame_effect *e);
/* 1 when the job's style is Magenta's arbitrary style. */
int imp_stylize_is_magenta(const struct imp_stylize_job *job);

/* "a:0.7,b:0.3" into job->blend (weights normalised); -1 after a usage
 * message. */
int imp_stylize_parse_blend(const char *cmd, const char *text, struct imp_stylize_job *job);

/* ---- the style options, shared by stylize, video and live (style_options.c) -- */

enum {
    IMP_STYLE_OPT_STYLE = 1200,
    IMP_STYLE_OPT_STRENGTH,
    IMP_STYLE_OPT_BLEND,
    IMP_STYLE_OPT_PRESERVE,
    IMP_STYLE_OPT_RANGE,
    IMP_STYLE_OPT_MAGENTA,
    IMP_STYLE_OPT_STYLE_IMAGE,
    IMP_STYLE_OPT_SAVE_STYLE,
    IMP_STYLE_OPT_STYLE_VECTOR,
};

#define IMP_STYLE_OPTIONS                                                              \
    {"style", 0, 1, IMP_STYLE_OPT_STYLE}, {"strength", 0, 1, IMP_STYLE_OPT_STRENGTH},  \
        {"blend", 0, 1, IMP_STYLE_OPT_BLEND},                                          \
        {"preserve-colors", 0, 0, IMP_STYLE_OPT_PRESERVE},                             \
        {"preserve-colours", 0, 0, IMP_STYLE_OPT_PRESERVE},                            \
        {"range", 0, 1, IMP_STYLE_OPT_RANGE}, {"magenta", 0, 1, IMP_STYLE_OPT_MAGENTA}, \
        {"style-image", 0, 1, IMP_STYLE_OPT_STYLE_IMAGE},                              \
        {"save-style", 0, 1, IMP_STYLE_OPT_SAVE_STYLE},                                \
        {"style-vector", 0, 1, IMP_STYLE_OPT_STYLE_VECTOR},                            \
        {"image-layout", 0, 1, IMP_CLI_OPT_LAYOUT}, {"scale", 0, 1, IMP_CLI_OPT_SCALE}, \
        {"mean", 0, 1, IMP_CLI_OPT_MEAN}, {"bgr", 0, 0, IMP_CLI_OPT_BGR}

#define IMP_STYLE_HELP                                                                \
    "style (as impasto stylize takes it):\n"                                          \
    "      --style S         a shipped style's name (see 'impasto styles'; the\n"    \
    "                        default is the first) or a model file\n"                \
    "      --strength S      0 (the source) to 1 (the full style, default)\n"        \
    "      --blend S:W,...   mix styles of one conditional network\n"                \
    "      --preserve-colors the style's texture and light in the source's\n"        \
    "                        colours (OKLab)\n"                                       \
    "      --magenta DIR     Magenta's arbitrary style (style_predict*.tflite and\n" \
    "                        style_transfer*.tflite in DIR), with\n"                 \
    "      --style-image P   the painting whose style to take, or\n"                 \
    "      --style-vector V.npy  a style vector kept by --save-style\n"              \
    "      --save-style V.npy  keep the painting's style vector for later\n"         \
    "pixels into the network (default: the model's metadata, else detected):\n"       \
    "      --range R         the network's pixel values: 1 (0..1) or 255\n"          \
    "      --image-layout L  nchw or nhwc\n"                                          \
    "      --scale S         multiply pixel values 0..255 by S\n"                    \
    "      --mean R,G,B      subtract after scaling\n"                                \
    "      --bgr             feed the channels in B, G, R order\n"

/* A job with the defaults of every command (strength 1, tiles as memory
 * needs). */
void imp_stylize_job_init(struct imp_stylize_job *job);
/* One of IMP_STYLE_OPTIONS into the job: 1 when taken, 0 when the id is
 * not a style option, -1 after a usage message. */
int imp_stylize_style_option(struct imp_stylize_job *job, const char *cmd, int id,
                             const char *value);
/* The style options together make sense (Magenta's need each other, and
 * exclude --style); returns 0 or the usage exit code after the message. */
int imp_stylize_check_style(const struct imp_stylize_job *job, const char *cmd);

/* One photo: loaded (alpha kept), scaled to job->size, stylized by `paint`,
 * alpha put back, saved. Returns 0 or -1 with why. */
typedef imp_frame_effect_fn imp_stylize_paint_fn;
int imp_stylize_one_file(const struct imp_stylize_job *job, const char *in,
                         const char *out, imp_stylize_paint_fn paint, void *ctx,
                         char *summary, size_t summary_size, char *why, size_t why_size);

/* Magenta arbitrary style (stylize_magenta.c), opened as imp_stylize_open_style
 * does. */
int imp_stylize_magenta_open(struct imp_stylize_job *job, struct imp_frame_effect *out);

/* The same networks for one painting in memory, on one thread at a time
 * (impasto style-score's Magenta reference): the painting's style vector
 * is predicted once, then each run paints w x h interleaved RGB into out.
 * Return 0, or -1 with why. */
struct imp_image;
struct imp_magenta_painter;
int imp_magenta_painter_create(const char *dir, const struct imp_image *painting, int threads,
                               struct imp_magenta_painter **out, char *why, size_t why_size);
int imp_magenta_painter_run(struct imp_magenta_painter *mp, const unsigned char *rgb, int w,
                            int h, unsigned char *out, char *why, size_t why_size);
void imp_magenta_painter_free(struct imp_magenta_painter *mp);

#endif
