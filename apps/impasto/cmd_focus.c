/* impasto focus: a portrait with its background blurred like a lens (or
 * replaced), from a person segmentation model. The work per frame is
 * apps/effects/focus.h; this file wires files, the model and threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomic_file.h"
#include "cli.h"
#include "focus.h"
#include "focus_frames.h"
#include "video.h"
#include "video_module.h"
#include "video_pipeline.h"
#include "video_progress.h"

static const char help[] =
    "usage: impasto focus PHOTO -o OUT.png|OUT.jpg [--blur RADIUS] [--mask MASK.png]\n"
    "                     [--background IMAGE|#RRGGBB] [--model general|landscape|FILE]\n"
    "                     [--style-background STYLE] [--style-person STYLE]\n"
    "       impasto focus VIDEO -o OUT.mp4 [--blur RADIUS] [--mask MASK.mp4]\n"
    "                     [--background B] [--model M] [--per-frame]\n"
    "                     [--style-background STYLE] [--style-person STYLE]\n"
    "                     [--crf N] [--codec NAME] [--preset NAME]\n"
    "\n"
    "Blur a portrait's background the way a lens does, keeping the person\n"
    "sharp: MediaPipe's selfie segmentation finds the person, the mask is\n"
    "refined against the photo's own edges (hair, shoulders), and the\n"
    "background is blurred from background pixels only, with a flat disc in\n"
    "linear light, so bright spots bloom into discs and no halo of the person\n"
    "is smeared round them. Or lay the person over another background.\n"
    "\n"
    "A video goes through frame by frame and keeps its container, timestamps,\n"
    "rotation and audio, as with impasto video (any output name that is not a\n"
    "picture's is a video: .mp4, .mkv, .webm, .mov). The mask is steadied\n"
    "over time where the model hesitates and the person is still, and follows\n"
    "at once where the person moves; the network rests on frames that barely\n"
    "change.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT      the picture to write (PNG or JPEG by its extension),\n"
    "                        or the video\n"
    "  -b, --blur RADIUS     the blur disc's radius in pixels of the photo\n"
    "                        (default: 2% of its longer side; 0: no blur)\n"
    "  -m, --mask MASK       also write the refined person mask, grey, 255 =\n"
    "                        person: for a photo a picture (.png, .jpg); for a\n"
    "                        video a second video (.mp4, .mkv, .webm, .mov) of\n"
    "                        the same frames and timestamps, the steadied mask\n"
    "                        each frame was composited with, encoded as the\n"
    "                        output is, without audio: one file that any editor\n"
    "                        or ffmpeg's alphamerge takes as a track matte (a\n"
    "                        folder of PNGs would be thousands of files)\n"
    "      --background B    replace the background instead of blurring it: a\n"
    "                        picture (scaled to cover, centred) or a colour as\n"
    "                        #RRGGBB\n"
    "      --model M         general (256x256), landscape (144x256) or a model\n"
    "                        file; default: landscape for pictures wider than\n"
    "                        4:3. The two are looked for in $IMP_SELFIE_DIR, then\n"
    "                        where scripts/build.sh fetches them\n"
    "      --style-background STYLE\n"
    "                        paint the background with a style (a shipped\n"
    "                        style's name or a model file, as for impasto\n"
    "                        stylize) instead of blurring it; the person stays\n"
    "                        as it is. The style sees the background with the\n"
    "                        person taken out: no halo. On a video the painted\n"
    "                        side follows the steadied mask, and the style's\n"
    "                        flicker is steadied as impasto video's does\n"
    "      --style-person STYLE\n"
    "                        paint the person, keep the background as it is\n"
    "                        (give both: each side its own style)\n"
    "  -q, --quality Q       JPEG quality 1..100 (default 92)\n"
    "      --runs N          process the photo N times and print each step's\n"
    "                        median and fastest time, and its median CPU time\n"
    "                        (a benchmark; the output is the same)\n"
    "      --per-frame       video: every frame's own mask, the network on every\n"
    "                        frame (no steadying; to compare)\n"
    "      --quiet           video: no progress line\n"
    "video encoder (of the output and the mask):\n" VIDEO_WRITER_HELP
    "threads and kernels:\n" IMP_CLI_MODEL_HELP
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto focus me.jpg -o me-focus.png\n"
    "  impasto focus me.jpg -o me-focus.png --blur 40 --mask me-mask.png\n"
    "  impasto focus me.jpg -o me-green.jpg --background '#00b140' --quality 95\n"
    "  impasto focus me.jpg -o me-beach.png --background beach.jpg\n"
    "  impasto focus me.jpg -o me-candy.png --style-background candy.onnx\n"
    "  impasto focus call.mp4 -o call-focus.mp4 --blur 30\n"
    "  impasto focus call.mp4 -o call-focus.mp4 --mask call-matte.mp4 --crf 18\n"
    "  impasto focus call.mp4 -o call-candy.mp4 --style-background candy\n"
    "  impasto focus call.mp4 -o call-both.mp4 --style-person udnie \\\n"
    "      --style-background wave.onnx\n"
    "  impasto focus assets/astronaut.png -o out/astronaut-focus.png --runs 20\n";


struct request {
    const char *in, *out, *mask, *background, *model;
    const char *style_person, *style_background; /* photos */
    float blur;
    int runs, quality;
    /* Video only. */
    int per_frame, quiet;
    struct imp_video_writer_options wopt;
};

/* CPU time of the whole process, all threads. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Per-step times of every run, for the medians. */
enum { T_SHRINK, T_MODEL, T_REFINE, T_MASK, T_BLUR, T_COMPOSITE, T_TOTAL, N_TIMES };
static const char *const time_names[N_TIMES] = {
    "shrink", "model", "refine", "mask", "blur", "composite", "total"};

static int focus_photo(const struct request *r, const struct imp_cli_model_flags *flags)
{
    struct imp_image photo = {0};
    char why[512];
    if (imp_image_load(r->in, &photo, why, sizeof why) != 0)
        return imp_cli_fail_message(r->in, why);
    /* One frame of a stream that forgets: every frame's own mask. */
    struct imp_focus_stream_options opt = imp_focus_stream_options_default();
    opt.focus.blur = r->blur;
    opt.smooth = 0;
    opt.max_skip = 0;
    struct focus_frames ff;
    int rc = focus_frames_open(&ff, r->model, r->background, flags, photo.width, photo.height,
                               &opt);
    if (rc) {
        imp_image_free(&photo);
        return rc;
    }
    int styled = r->style_person || r->style_background;
    if (styled && (rc = focus_frames_open_styles(&ff, r->style_person, r->style_background,
                                                 flags, 0)) != 0) {
        focus_frames_close(&ff);
        imp_image_free(&photo);
        return rc;
    }
    struct imp_focus *fx = imp_focus_stream_effect(ff.stream);
    size_t np = (size_t)photo.width * photo.height;
    uint8_t *out = malloc(np * 3);
    /* Per run: the steps' wall-clock times, then their CPU times. */
    double *times = calloc((size_t)r->runs * N_TIMES * 2, sizeof *times);
    struct imp_atomic_file out_file = {0}, mask_file = {0};
    if (!out || !times) {
        rc = imp_cli_fail(r->in, "out of memory");
        goto done;
    }
    for (int run = 0; run < r->runs; run++) {
        double *t = times + (size_t)run * N_TIMES * 2, *cpu = t + N_TIMES;
        double t0 = imp_cli_now_ms(), c0 = cpu_ms();
        imp_focus_stream_restart(ff.stream);
        if (imp_focus_stream_frame(ff.stream, photo.pixels, out, why, sizeof why)) {
            rc = imp_cli_fail_message(ff.model, why);
            goto done;
        }
        double t1 = imp_cli_now_ms(), c1 = cpu_ms();
        const struct imp_focus_stats *w = imp_focus_stats(fx), *c = imp_focus_cpu_stats(fx);
        double wall[N_TIMES] = {w->shrink_ms, w->model_ms,  w->refine_ms,    w->mask_ms,
                                w->blur_ms,   w->composite_ms, t1 - t0};
        double used[N_TIMES] = {c->shrink_ms, c->model_ms,  c->refine_ms,    c->mask_ms,
                                c->blur_ms,   c->composite_ms, c1 - c0};
        memcpy(t, wall, sizeof wall);
        memcpy(cpu, used, sizeof used);
    }

    if (styled && focus_frames_paint(&ff, photo.pixels, out, why, sizeof why)) {
        rc = imp_cli_fail_message(r->in, why);
        goto done;
    }
    struct imp_image result = {photo.width, photo.height, 3, out};
    struct imp_image mask_img = {photo.width, photo.height, 1,
                                 (uint8_t *)imp_focus_mask(fx)};
    /* Both pictures are written in full before either is renamed into
     * place: a failure leaves neither. */
    if (imp_image_save_pending(r->out, &result, r->quality, &out_file, why, sizeof why)) {
        rc = imp_cli_fail_message(r->out, why);
        goto done;
    }
    if (r->mask &&
        imp_image_save_pending(r->mask, &mask_img, r->quality, &mask_file, why, sizeof why)) {
        rc = imp_cli_fail_message(r->mask, why);
        goto done;
    }
    if (imp_atomic_commit(&out_file, why, sizeof why) != 0)
        rc = imp_cli_fail(r->out, "%s", why);
    else if (r->mask && imp_atomic_commit(&mask_file, why, sizeof why) != 0)
        rc = imp_cli_fail(r->mask, "%s", why);
    if (rc)
        goto done;

    int gf, bf;
    imp_focus_grids(fx, &gf, &bf);
    size_t person = 0;
    for (size_t i = 0; i < np; i++)
        person += mask_img.pixels[i] >= 128;
    printf("focus    %s -> %s (%dx%d, %s)\n", r->in, r->out, photo.width, photo.height,
           styled ? (r->style_person && r->style_background ? "both sides stylized"
                     : r->style_person                      ? "person stylized"
                                                            : "background stylized")
           : r->background ? (ff.has_colour ? "background colour" : "background replaced")
                           : "background blurred");
    printf("model    %s %s, %dx%d input (%d threads, the network on one; %s)\n", ff.kind,
           ff.model, ff.mw, ff.mh, ff.threads, imp_isa_name(ff.s.isa));
    if (!r->background && !styled)
        printf("blur     disc radius %.1f px (computed on a 1/%d grid)\n",
               imp_focus_blur_radius(fx), bf);
    printf("mask     refined on a 1/%d grid; person on %.1f%% of the photo%s%s\n", gf,
           100.0 * (double)person / (double)np, r->mask ? " -> " : "",
           r->mask ? r->mask : "");
    /* Each step's median over the runs; with several, also the fastest run
     * and the median CPU time of the process (all threads): on a busy
     * machine those are the steadier figures. */
    static const char *const rows[3] = {"median", "min", "cpu"};
    for (int row = 0; row < (r->runs > 1 ? 3 : 1); row++) {
        printf(r->runs > 1 ? (row ? "         %-6s" : "time     %-6s") : "time    %.0s",
               rows[row]);
        for (int k = 0; k < N_TIMES; k++) {
            double v[r->runs];
            for (int run = 0; run < r->runs; run++)
                v[run] = times[(size_t)run * N_TIMES * 2 + (row == 2 ? N_TIMES : 0) + k];
            double m = median(v, r->runs); /* sorts v */
            printf(" %s %.2f", time_names[k], row == 1 ? v[0] : m);
        }
        printf(" ms\n");
    }
done:
    imp_atomic_abandon(&out_file);
    imp_atomic_abandon(&mask_file);
    focus_frames_close(&ff);
    imp_image_free(&photo);
    free(out);
    free(times);
    return rc;
}

/* A video file through the effect, frame by frame in order, with the
 * container, timestamps, rotation, audio and progress of impasto video
 * (the same pipeline, with the effect in place of a style network). */
static int focus_video(const struct request *r, const struct imp_cli_model_flags *flags)
{
    char err[512];
    if (imp_video_module_open(err, sizeof err))
        return imp_cli_fail_message(imp_video_module_path(), err);
    imp_video_quiet_logs();
    struct imp_video_reader *reader = NULL;
    struct imp_video_writer *writer = NULL, *mask_writer = NULL;
    struct focus_frames ff;
    memset(&ff, 0, sizeof ff);
    int rc = 0;
    if (imp_video_reader_open(r->in, &reader, err, sizeof err)) {
        rc = imp_cli_fail_message(r->in, err);
        goto done;
    }
    const struct imp_video_info *info = imp_video_reader_info(reader);
    struct imp_focus_stream_options opt = imp_focus_stream_options_default();
    opt.focus.blur = r->blur;
    if (r->per_frame) {
        opt.smooth = 0;
        opt.max_skip = 0;
    }
    rc = focus_frames_open(&ff, r->model, r->background, flags, info->width, info->height,
                           &opt);
    if (rc == 0 && (r->style_person || r->style_background))
        rc = focus_frames_open_styles(&ff, r->style_person, r->style_background, flags, 1);
    if (rc)
        goto done;
    if (imp_video_writer_open(r->out, reader, &r->wopt, &writer, err, sizeof err)) {
        rc = imp_cli_fail_message(r->out, err);
        goto done;
    }
    /* The mask: a second video of the same frames and timestamps, grey,
     * with the encoder settings of the first and no audio. */
    struct imp_video_writer_options mask_opt = r->wopt;
    mask_opt.no_audio = 1;
    if (r->mask &&
        imp_video_writer_open(r->mask, reader, &mask_opt, &mask_writer, err, sizeof err)) {
        rc = imp_cli_fail_message(r->mask, err);
        goto done;
    }
    struct video_pipeline_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.predictors = 1;
    cfg.reader = reader;
    cfg.writer = writer;
    cfg.ordered_effect = focus_frames_apply;
    cfg.ordered_ctx = &ff;
    cfg.side_writer = mask_writer;
    cfg.side_frame = focus_frames_mask;
    cfg.side_ctx = &ff;
    struct video_pipeline_result res;
    double secs;
    rc = video_run_to_file(&cfg, info->frames, r->quiet, r->in, r->out, r->mask, &res, &secs);
    if (rc)
        goto done;
    struct imp_focus_stream_counts n = imp_focus_stream_counts(ff.stream);
    printf("focus    %s -> %s (%dx%d, %lld frames, %s; audio: %s)\n", r->in, r->out,
           info->width, info->height, (long long)res.frames, imp_video_writer_codec(writer),
           info->has_audio ? imp_video_writer_audio(writer) : "none");
    if (r->style_person)
        printf("style    person painted with %s\n", ff.person.effect.label);
    if (r->style_background)
        printf("style    background painted with %s (from the plate: the person taken "
               "out)\n", ff.behind.effect.label);
    printf("model    %s %s, %dx%d input, run on %lld of %lld frames (%s)\n", ff.kind,
           ff.model, ff.mw, ff.mh, n.network_runs, n.frames,
           r->per_frame ? "every frame's own mask" : "mask steadied over time");
    if (r->mask)
        printf("mask     %s (the refined mask of every frame, 255 = person)\n", r->mask);
    printf("took     %.2f s, %.1f fps (%d threads, %s)\n", secs,
           secs > 0 ? (double)res.frames / secs : 0.0, ff.threads, imp_isa_name(ff.s.isa));
    rc = video_stopped_early(&res);
done:
    imp_video_writer_close(writer);
    imp_video_writer_close(mask_writer);
    imp_video_reader_close(reader);
    focus_frames_close(&ff);
    return rc;
}

static int focus_main(int argc, char **argv)
{
    enum { OPT_OUTPUT = 1, OPT_BLUR, OPT_MASK, OPT_BACKGROUND, OPT_MODEL, OPT_RUNS,
           OPT_QUALITY, OPT_PER_FRAME, OPT_QUIET, OPT_STYLE_PERSON, OPT_STYLE_BACKGROUND };
    static const struct imp_cli_option opts[] = {
        IMP_CLI_MODEL_OPTIONS,
        {"output", 'o', 1, OPT_OUTPUT},
        {"blur", 'b', 1, OPT_BLUR},
        {"mask", 'm', 1, OPT_MASK},
        {"background", 0, 1, OPT_BACKGROUND},
        {"model", 0, 1, OPT_MODEL},
        {"runs", 0, 1, OPT_RUNS},
        {"quality", 'q', 1, OPT_QUALITY},
        {"per-frame", 0, 0, OPT_PER_FRAME},
        {"quiet", 0, 0, OPT_QUIET},
        VIDEO_WRITER_OPTIONS,
        {"style-person", 0, 1, OPT_STYLE_PERSON},
        {"style-background", 0, 1, OPT_STYLE_BACKGROUND},
        {0},
    };
    const char *cmd = "focus";
    struct imp_cli_model_flags flags;
    imp_cli_model_flags_init(&flags);
    struct request r = {0};
    r.blur = -1.0f;
    r.runs = 1;
    r.wopt = imp_video_writer_options_default();
    int video_only = 0, photo_only = 0; /* options given for one or the other */
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_focus_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            return 0;
        if (id == IMP_CLI_ARG_ERROR)
            return IMP_CLI_EXIT_USAGE;
        if (id == IMP_CLI_ARG_POSITIONAL) {
            if (r.in)
                return imp_cli_usage(cmd, "unexpected argument '%s'", a.value);
            r.in = a.value;
        } else if (id == OPT_OUTPUT) {
            r.out = a.value;
        } else if (id == OPT_MASK) {
            r.mask = a.value;
        } else if (id == OPT_BACKGROUND) {
            r.background = a.value;
        } else if (id == OPT_MODEL) {
            r.model = a.value;
        } else if (id == OPT_BLUR) {
            if (imp_cli_parse_blur(cmd, a.value, &r.blur))
                return IMP_CLI_EXIT_USAGE;
        } else if (id == OPT_QUALITY) {
            if (imp_cli_parse_int(cmd, "--quality", a.value, 1, 100, &r.quality))
                return IMP_CLI_EXIT_USAGE;
            photo_only = id;
        } else if (id == OPT_STYLE_PERSON || id == OPT_STYLE_BACKGROUND) {
            *(id == OPT_STYLE_PERSON ? &r.style_person : &r.style_background) = a.value;
        } else if (id == OPT_PER_FRAME) {
            r.per_frame = 1;
            video_only = id;
        } else if (id == OPT_QUIET) {
            r.quiet = 1;
        } else if (id == OPT_RUNS) {
            if (imp_cli_parse_int(cmd, "--runs", a.value, 1, 10000, &r.runs))
                return IMP_CLI_EXIT_USAGE;
            photo_only = id;
        } else {
            int taken = video_writer_option(&r.wopt, cmd, id, a.value);
            if (taken > 0)
                video_only = id;
            else if (taken < 0 || imp_cli_model_flag(&flags, cmd, id, a.value) < 0)
                return IMP_CLI_EXIT_USAGE;
        }
    }
    if (!r.in)
        return imp_cli_usage(cmd, "give a PHOTO");
    if (!r.out)
        return imp_cli_usage(cmd, "give the picture to write with -o OUT.png");
    /* A picture's name makes a photo; any other, a video (its container
     * from the extension). */
    int video = imp_image_type_for_path(r.out) < 0;
    if (video && imp_image_type_for_path(r.in) >= 0)
        return imp_cli_usage(cmd, "%s: a photo gives a picture: name the output .png or "
                                  ".jpg", r.out);
    if (video && photo_only)
        return imp_cli_usage(cmd, "%s applies to photos, not to a video",
                             photo_only == OPT_RUNS ? "--runs" : "--quality");
    if ((r.style_person || r.style_background) && r.background)
        return imp_cli_usage(cmd, "--background replaces what --style-background or "
                                  "--style-person keep: give one or the other");
    if (!video && video_only)
        return imp_cli_usage(cmd, "%s applies to videos, not to a photo",
                             video_only == OPT_PER_FRAME  ? "--per-frame"
                             : video_only == VIDEO_OPT_CRF ? "--crf"
                             : video_only == VIDEO_OPT_CODEC ? "--codec"
                                                             : "--preset");
    if (video && video_same_file(r.in, r.out))
        return imp_cli_fail(r.out, "is the input video; write to another file");
    /* The mask is of the output's kind: a picture for a photo, a video
     * (of the same frames) for a video. */
    if (r.mask && !video && imp_image_type_for_path(r.mask) < 0)
        return imp_cli_usage(cmd, "%s: the mask's type comes from its name: .png, .jpg or "
                                  ".jpeg", r.mask);
    if (r.mask && video && imp_image_type_for_path(r.mask) >= 0)
        return imp_cli_usage(cmd, "%s: a video's mask is a video of the same frames: name "
                                  "it .mp4, .mkv, .webm or .mov", r.mask);
    if (r.mask && video && (video_same_file(r.mask, r.in) || video_same_file(r.mask, r.out)))
        return imp_cli_fail(r.mask, "is the input or the output video; write the mask to "
                                    "another file");
    uint8_t colour[3];
    if (r.background && r.background[0] == '#' && focus_parse_colour(r.background, colour) != 0)
        return imp_cli_usage(cmd, "--background '%s' is not a colour written #RRGGBB",
                             r.background);
    if (flags.n_shapes)
        return imp_cli_usage(cmd, "--shape does not apply: the photo sets the shapes");
    return video ? focus_video(&r, &flags) : focus_photo(&r, &flags);
}

const struct imp_cli_command imp_cli_focus_command = {
    "focus", "blur a portrait's background like a lens (or replace it)", help,
    focus_main};
