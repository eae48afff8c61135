/*
 * impasto stylize, behind the option parsing (cmd_stylize.c): the style
 * networks resolved and loaded, photos found, workers run (stylize_run.c),
 * and the Magenta arbitrary-style path (stylize_magenta.c).
 */
#ifndef IMP_CLI_STYLIZE_CLI_H
#define IMP_CLI_STYLIZE_CLI_H

#include <stddef.h>

#include "cli.h"

#define IMP_STYLIZE_MAX_ARGS 4096
#define IMP_STYLIZE_MAX_BLEND 16

struct imp_stylize_job {
    struct imp_cli_model_flags model_flags;
    struct imp_cli_image_flags image_flags;
    int convention_given; /* a pixel flag was given: no detection */
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

/* One photo: loaded (alpha kept), scaled to job->size, stylized by `paint`,
 * alpha put back, saved. Returns 0 or -1 with why. */
struct imp_stylizer;
typedef int (*imp_stylize_paint_fn)(void *ctx, const unsigned char *rgb, int w, int h,
                                    unsigned char *out, char *note, size_t note_size,
                                    char *why, size_t why_size);
int imp_stylize_one_file(const struct imp_stylize_job *job, const char *in,
                         const char *out, imp_stylize_paint_fn paint, void *ctx,
                         char *summary, size_t summary_size, char *why, size_t why_size);

/* Magenta arbitrary style (stylize_magenta.c). */
int imp_stylize_magenta(struct imp_stylize_job *job, char **files, char **outs, int n);

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
