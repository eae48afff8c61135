#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "background.h"
#include "core/threadpool.h"
#include "focus_frames.h"
#include "npy.h"
#include "stylize.h"
#include "stylize_cli.h"
#include "temporal.h"
#include "video_pipeline.h"

int focus_parse_colour(const char *text, uint8_t rgb[3])
{
    if (text[0] != '#' || strlen(text) != 7)
        return -1;
    for (int i = 1; i < 7; i++)
        if (!isxdigit((unsigned char)text[i]))
            return -1;
    unsigned long v = strtoul(text + 1, NULL, 16);
    rgb[0] = (uint8_t)(v >> 16);
    rgb[1] = (uint8_t)(v >> 8);
    rgb[2] = (uint8_t)v;
    return 0;
}

/* The effects' parallel-for, run on the runtime's thread pool. */
static void pool_run(void *pool, size_t n, size_t grain, imp_fx_task fn, void *ctx)
{
    imp_parallel_for(pool, n, grain, (imp_parallel_fn)fn, ctx);
}

/* The stream's network: the model's input in, its mask out. */
static int segment(void *ctx, const float *input, float *mask, char *err, size_t err_size)
{
    struct focus_frames *ff = ctx;
    struct imp_predictor *pred = ff->s.pred;
    size_t n = (size_t)ff->mw * ff->mh;
    const float *data = input;
    if (ff->nchw) {
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                ff->planar[c * n + i] = input[i * 3 + c];
        data = ff->planar;
    }
    struct imp_tensor_info t;
    const void *out = NULL;
    enum imp_status st = imp_predictor_set_input(pred, 0, data, sizeof *data * n * 3);
    if (st == IMP_OK)
        st = imp_predictor_run(pred);
    if (st == IMP_OK)
        st = imp_predictor_output(pred, 0, &t, &out);
    if (st != IMP_OK) {
        snprintf(err, err_size, "%s: %s", ff->model, imp_predictor_last_error(pred));
        return -1;
    }
    /* open() checked the output is a mask of the input's size. */
    if (imp_convert_elements(t.dtype, out, IMP_DTYPE_F32, mask, n) != 0) {
        snprintf(err, err_size, "%s: its mask is not a number", ff->model);
        return -1;
    }
    return 0;
}

static int painting(const struct focus_frames *ff)
{
    return ff->person.job || ff->behind.job;
}

/* The buffers of the painted sides for frames of w x h: each side's
 * painting, the plate for a background style, and in a stream the
 * unpainted frame and what each side's temporal blend keeps. */
static int side_buffers(struct focus_frames *ff, int w, int h)
{
    size_t bytes = (size_t)w * h * 3;
    int stream = ff->person.stream || ff->behind.stream;
    struct {
        uint8_t **buf;
        int needed;
    } bufs[] = {
        {&ff->plate, ff->behind.job != NULL},
        {&ff->focused, stream},
        {&ff->person.painted, ff->person.job != NULL},
        {&ff->person.prev_in, ff->person.stream},
        {&ff->person.prev_painted, ff->person.stream},
        {&ff->behind.painted, ff->behind.job != NULL},
        {&ff->behind.prev_in, ff->behind.stream},
        {&ff->behind.prev_painted, ff->behind.stream},
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        free(*bufs[i].buf);
        *bufs[i].buf = bufs[i].needed ? malloc(bytes) : NULL;
        ok &= !bufs[i].needed || *bufs[i].buf;
    }
    struct focus_side *sides[2] = {&ff->person, &ff->behind};
    for (int i = 0; i < 2; i++) {
        free(sides[i]->work);
        sides[i]->have_prev = 0;
        sides[i]->work =
            sides[i]->stream ? malloc(imp_temporal_work_size(w, h) * sizeof(float)) : NULL;
        ok &= !sides[i]->stream || sides[i]->work;
    }
    return ok ? 0 : -1;
}

/* The effect for frames of w x h (and the background scaled to them). */
static int rebuild(struct focus_frames *ff, int w, int h)
{
    imp_focus_stream_free(ff->stream);
    ff->stream = NULL;
    free(ff->background);
    ff->background = NULL;
    ff->w = ff->h = 0;
    size_t np = (size_t)w * h;
    if (side_buffers(ff, w, h) != 0)
        return -1;
    if (ff->replace) {
        ff->background = malloc(np * 3);
        if (!ff->background)
            return -1;
        if (ff->has_colour) {
            for (size_t i = 0; i < np; i++)
                memcpy(ff->background + i * 3, ff->colour, 3);
        } else if (imp_background_cover(ff->picture.pixels, ff->picture.width,
                                        ff->picture.height, ff->background, w, h) != 0) {
            return -1;
        }
    }
    ff->stream = imp_focus_stream_create(w, h, ff->mw, ff->mh, &ff->opt, &ff->par, segment, ff);
    if (!ff->stream)
        return -1;
    if (ff->background)
        imp_focus_set_background(imp_focus_stream_effect(ff->stream), ff->background);
    ff->w = w;
    ff->h = h;
    return 0;
}

int focus_frames_open(struct focus_frames *ff, const char *model, const char *background,
                      const struct imp_cli_model_flags *flags, int width, int height,
                      const struct imp_focus_stream_options *o)
{
    memset(ff, 0, sizeof *ff);
    ff->opt = o ? *o : imp_focus_stream_options_default();
    ff->kind = "file";
    ff->model = model;
    if (!model || strcmp(model, "general") == 0 || strcmp(model, "landscape") == 0) {
        ff->kind = model ? model : 3 * width > 4 * height ? "landscape" : "general";
        ff->model = imp_cli_selfie_model(ff->kind, ff->model_buf, sizeof ff->model_buf);
        if (!ff->model)
            return IMP_CLI_EXIT_FAIL;
    }
    char why[512];
    if (background) {
        ff->replace = 1;
        ff->has_colour = focus_parse_colour(background, ff->colour) == 0;
        if (!ff->has_colour &&
            imp_image_load(background, &ff->picture, why, sizeof why) != 0)
            return imp_cli_fail_message(background, why);
    }
    /* The network runs on one thread beside the effect's other work (see
     * imp_focus_segment): a 256x256 network only waits on a second thread. */
    struct imp_cli_model_flags one = *flags;
    one.opt.threads = 1;
    int rc = imp_cli_open(ff->model, &one, &ff->s);
    if (rc) {
        imp_image_free(&ff->picture);
        return rc;
    }
    rc = imp_cli_rgb_input_size(&ff->s, &ff->mh, &ff->mw, &ff->nchw);
    if (rc)
        goto fail;
    size_t n = (size_t)ff->mw * ff->mh;
    ff->planar = malloc(sizeof *ff->planar * n * 3);
    float *zeros = calloc(n * 3, sizeof *zeros), *mask = NULL;
    if (!ff->planar || !zeros) {
        free(zeros);
        rc = imp_cli_fail(ff->model, "out of memory");
        goto fail;
    }
    /* Plan once and check the mask's shape here, so that per frame only
     * the data changes. */
    rc = imp_cli_set_rgb_input(&ff->s, zeros, ff->mh, ff->mw, ff->nchw, ff->planar);
    free(zeros);
    if (rc)
        goto fail;
    enum imp_status st = imp_predictor_run(ff->s.pred);
    if (st != IMP_OK) {
        rc = imp_cli_pred_fail(&ff->s, st);
        goto fail;
    }
    int oh, ow;
    rc = imp_cli_mask_output(&ff->s, &mask, &oh, &ow);
    free(mask);
    if (rc)
        goto fail;
    if (oh != ff->mh || ow != ff->mw) {
        rc = imp_cli_fail(ff->model, "its mask is %dx%d, its input %dx%d: they must match", ow,
                          oh, ff->mw, ff->mh);
        goto fail;
    }
    ff->threads = flags->opt.threads > 0 ? flags->opt.threads
                                         : (int)sysconf(_SC_NPROCESSORS_ONLN);
    ff->threads = ff->threads < 1 ? 1 : ff->threads;
    ff->pool = imp_threadpool_create(ff->threads);
    ff->par = (struct imp_fx_parallel){pool_run, ff->pool, ff->threads};
    if (rebuild(ff, width, height) != 0) {
        rc = imp_cli_fail(ff->model, "out of memory (or a frame too large) for the effect");
        goto fail;
    }
    return 0;
fail:
    focus_frames_close(ff);
    return rc;
}

/* A side's style, opened as impasto stylize opens --style. */
static int open_side(struct focus_side *side, const char *style,
                     const struct imp_cli_model_flags *flags, int threads, int stream)
{
    side->job = malloc(sizeof *side->job);
    if (!side->job)
        return imp_cli_fail(style, "out of memory");
    imp_stylize_job_init(side->job);
    side->job->model_flags = *flags;
    side->job->style = style;
    int rc = imp_stylize_open_style(side->job, &side->effect);
    if (rc) {
        free(side->job);
        side->job = NULL;
        return rc;
    }
    char err[512];
    side->instance = side->effect.start(side->effect.shared, threads, err, sizeof err);
    if (!side->instance)
        return imp_cli_fail(style, "%s", err);
    side->st = imp_frame_effect_stylizer(&side->effect, side->instance);
    side->stream = stream;
    /* Frame to frame, the statistics as impasto video smooths them at the
     * default --stabilize (in frame order here, so the library's own
     * running average is exact). */
    if (stream && side->st &&
        imp_stylizer_set_norm_stats_mode(side->st, IMP_NORM_STATS_SMOOTHED,
                                         video_norm_weight(1.0f), err, sizeof err))
        return imp_cli_fail(style, "%s", err);
    return 0;
}

static void close_side(struct focus_side *side)
{
    if (side->instance)
        side->effect.stop(side->instance);
    if (side->job)
        imp_stylize_close_style(&side->effect);
    free(side->job);
    free(side->painted);
    free(side->prev_painted);
    free(side->prev_in);
    free(side->work);
    memset(side, 0, sizeof *side);
}

int focus_frames_open_styles(struct focus_frames *ff, const char *person,
                             const char *background, const struct imp_cli_model_flags *flags,
                             int stream)
{
    int rc = 0;
    if (person)
        rc = open_side(&ff->person, person, flags, ff->threads, stream);
    if (rc == 0 && background)
        rc = open_side(&ff->behind, background, flags, ff->threads, stream);
    if (rc == 0 && side_buffers(ff, ff->w, ff->h) != 0)
        rc = imp_cli_fail(person ? person : background, "out of memory");
    return rc;
}

/* A side's style on one picture. In a stream, its output is pulled
 * towards the last one where the picture it paints did not move (as
 * impasto video steadies a style at its default --stabilize 1): on the
 * painted side alone, so the kept side stays the source's pixels. A cut
 * forgets the past. */
static int paint_side(struct focus_side *side, const uint8_t *rgb, int w, int h, int cut,
                      char *err, size_t err_size)
{
    if (cut) {
        side->have_prev = 0;
        if (side->st)
            imp_predictor_reset_norm_stats(imp_stylizer_predictor(side->st));
    }
    char note[128], why[512];
    if (side->effect.apply(side->instance, rgb, w, h, side->painted, note, sizeof note, why,
                           sizeof why)) {
        snprintf(err, err_size, "%s: %s", side->effect.label, why);
        return -1;
    }
    if (!side->stream)
        return 0;
    size_t bytes = (size_t)w * h * 3;
    if (side->have_prev)
        imp_temporal_blend(side->painted, side->prev_painted, rgb, side->prev_in, w, h,
                           video_blend_weight(1.0f), side->work);
    memcpy(side->prev_painted, side->painted, bytes);
    memcpy(side->prev_in, rgb, bytes);
    side->have_prev = 1;
    return 0;
}

static int paint(struct focus_frames *ff, const uint8_t *rgb, uint8_t *out, int cut,
                 char *err, size_t err_size)
{
    struct imp_focus *fx = imp_focus_stream_effect(ff->stream);
    if (ff->person.job && paint_side(&ff->person, rgb, ff->w, ff->h, cut, err, err_size))
        return -1;
    if (ff->behind.job) {
        imp_focus_plate(fx, rgb, ff->plate);
        if (paint_side(&ff->behind, ff->plate, ff->w, ff->h, cut, err, err_size))
            return -1;
    }
    imp_focus_layer(fx, ff->person.job ? ff->person.painted : rgb,
                    ff->behind.job ? ff->behind.painted : rgb, out);
    return 0;
}

int focus_frames_paint(struct focus_frames *ff, const uint8_t *rgb, uint8_t *out, char *err,
                       size_t err_size)
{
    return paint(ff, rgb, out, 1, err, err_size);
}

int focus_frames_apply(void *ctx, const uint8_t *src, uint8_t *out, int w, int h, int cut,
                       char *err, size_t err_size)
{
    struct focus_frames *ff = ctx;
    if (w != ff->w || h != ff->h) {
        if (rebuild(ff, w, h) != 0) {
            snprintf(err, err_size, "out of memory for the focus effect at %dx%d", w, h);
            return -1;
        }
        cut = 1;
    } else if (cut) {
        imp_focus_stream_restart(ff->stream);
    }
    if (!painting(ff))
        return imp_focus_stream_frame(ff->stream, src, out, err, err_size);
    /* The blurred frame itself is not shown: the plate comes from the
     * render's background-only blur. */
    return imp_focus_stream_frame(ff->stream, src, ff->focused, err, err_size) ||
                   paint(ff, src, out, cut, err, err_size)
               ? -1
               : 0;
}

int focus_frames_mask(void *ctx, uint8_t *out, int w, int h, char *err, size_t err_size)
{
    struct focus_frames *ff = ctx;
    if (w != ff->w || h != ff->h) {
        snprintf(err, err_size, "the mask is %dx%d, the frame %dx%d", ff->w, ff->h, w, h);
        return -1;
    }
    const uint8_t *mask = imp_focus_mask(imp_focus_stream_effect(ff->stream));
    for (size_t i = 0, n = (size_t)w * h; i < n; i++)
        out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = mask[i];
    return 0;
}

void focus_frames_close(struct focus_frames *ff)
{
    imp_focus_stream_free(ff->stream);
    close_side(&ff->person);
    close_side(&ff->behind);
    free(ff->plate);
    free(ff->focused);
    imp_threadpool_free(ff->pool);
    imp_cli_close(&ff->s);
    imp_image_free(&ff->picture);
    free(ff->planar);
    free(ff->background);
    memset(ff, 0, sizeof *ff);
}
