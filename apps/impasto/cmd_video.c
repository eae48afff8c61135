/* impasto video: a video file through a style network, into a new file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "stylize_cli.h"
#include "video.h"
#include "video_module.h"
#include "video_pipeline.h"
#include "video_progress.h"

static const char help[] =
    "usage: impasto video IN -o OUT [--style NAME|MODEL] [options]\n"
    "       impasto video IN -o OUT --magenta DIR --style-image PAINTING [options]\n"
    "\n"
    "Stylize every frame of a video file. Any file FFmpeg reads goes in; the\n"
    "container of OUT comes from its extension (.mp4, .mkv, .webm, .mov). The\n"
    "new file keeps the source's timestamps (a variable frame rate too), frame\n"
    "rate, rotation, pixel aspect, colour range and audio (copied when the\n"
    "container can hold it, else re-encoded). It is written under a temporary\n"
    "name and renamed when complete; Ctrl-C stops early and still leaves a\n"
    "playable file of the frames done. The style options are those of\n"
    "'impasto stylize': frames go through the same stylizer.\n"
    "\n"
    "Style networks flicker: each frame gets its own instance-norm statistics,\n"
    "and sensor noise turns into moving texture. --stabilize smooths the\n"
    "statistics over time and blends each frame with the previous output where\n"
    "the picture did not move; a scene cut starts afresh.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT      the video to write\n"
    "      --stabilize S     0 (off) to 1 (strongest, default)\n"
    "      --size WxH|H      run the network at this size (H alone keeps the\n"
    "                        aspect); the output keeps the source's size\n"
    VIDEO_WRITER_HELP
    "      --predictors N    frames run side by side, each by its own predictor\n"
    "                        on the one model (default: one per thread)\n"
    "  -q, --quiet           no progress bar\n" IMP_STYLE_HELP IMP_CLI_MODEL_HELP
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto video holiday.mp4 -o holiday-candy.mp4 --style candy\n"
    "  impasto video talk.mkv -o talk.webm --style style.imp --size 360 --crf 30\n"
    "  impasto video clip.mov -o soft.mp4 --style candy.onnx --strength 0.6 \\\n"
    "      --preserve-colors\n"
    "  impasto video clip.mov -o flicker.mp4 --style style.onnx --stabilize 0\n"
    "  impasto video clip.mp4 -o starry.mp4 --magenta magenta/ \\\n"
    "      --style-vector starry.npy\n";

static int video_run(struct imp_stylize_job *job, const char *in_path, const char *out_path,
                     float stabilize, int size_w, int size_h, int predictors, int quiet,
                     const struct imp_video_writer_options *wopt)
{
    const char *cmd = "video";
    if (!in_path)
        return imp_cli_usage(cmd, "give the video to read");
    if (!out_path)
        return imp_cli_usage(cmd, "give the video to write with -o OUT");
    if (video_same_file(in_path, out_path))
        return imp_cli_fail(out_path, "is the input video; write to another file");

    char err[512];
    if (imp_video_module_open(err, sizeof err))
        return imp_cli_fail_message(imp_video_module_path(), err);
    imp_video_quiet_logs();
    struct imp_video_reader *reader = NULL;
    struct imp_video_writer *writer = NULL;
    struct imp_frame_effect style;
    int rc = imp_stylize_open_style(job, &style);
    if (rc)
        return rc;
    if (imp_video_reader_open(in_path, &reader, err, sizeof err)) {
        rc = imp_cli_fail_message(in_path, err);
        goto done;
    }
    const struct imp_video_info *info = imp_video_reader_info(reader);
    int pw = info->width, ph = info->height;
    if (size_h) {
        ph = size_h;
        pw = size_w ? size_w
                    : (int)((double)info->width * size_h / info->height / 2 + 0.5) * 2;
        pw = pw < 8 ? 8 : pw;
        if (imp_video_reader_set_output_size(reader, pw, ph, err, sizeof err)) {
            rc = imp_cli_fail_message(in_path, err);
            goto done;
        }
    }
    if (imp_video_writer_open(out_path, reader, wopt, &writer, err, sizeof err)) {
        rc = imp_cli_fail_message(out_path, err);
        goto done;
    }
    int threads = job->model_flags.opt.threads > 0 ? job->model_flags.opt.threads
                                                   : (int)sysconf(_SC_NPROCESSORS_ONLN);
    threads = threads < 1 ? 1 : threads;
    if (predictors == 0)
        predictors = threads;
    struct video_pipeline_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.effect = &style;
    cfg.threads = threads / predictors > 0 ? threads / predictors : 1;
    cfg.predictors = predictors;
    cfg.stabilize = stabilize;
    cfg.reader = reader;
    cfg.writer = writer;
    struct video_pipeline_result res;
    double secs;
    rc = video_run_to_file(&cfg, info->frames, quiet, in_path, out_path, NULL, &res,
                           &secs);
    if (rc)
        goto done;
    printf("video    %s (%dx%d, %lld frames, %s; audio: %s)\n", out_path, info->width,
           info->height, (long long)res.frames, imp_video_writer_codec(writer),
           info->has_audio ? imp_video_writer_audio(writer) : "none");
    printf("took     %.2f s, %.1f fps (network at %dx%d, %d predictors x %d threads, "
           "stabilize %.2g, %lld scene cuts; style %s)\n",
           secs, secs > 0 ? (double)res.frames / secs : 0.0, pw, ph, predictors, cfg.threads,
           stabilize, (long long)res.cuts, style.label);
    rc = video_stopped_early(&res);
done:
    imp_video_writer_close(writer);
    imp_video_reader_close(reader);
    imp_stylize_close_style(&style);
    return rc;
}


static int video_options(struct imp_stylize_job *job, int argc, char **argv,
                         const char **in_path, const char **out_path, float *stabilize,
                         int *size_w, int *size_h, int *predictors, int *quiet,
                         struct imp_video_writer_options *wopt)
{
    enum {
        OPT_OUTPUT = 1,
        OPT_STABILIZE,
        OPT_SIZE,
        OPT_PREDICTORS,
        OPT_QUIET,
    };
    static const struct imp_cli_option opts[] = {
        IMP_CLI_MODEL_OPTIONS,
        IMP_STYLE_OPTIONS,
        {"output", 'o', 1, OPT_OUTPUT},
        {"stabilize", 0, 1, OPT_STABILIZE},
        VIDEO_WRITER_OPTIONS,
        {"size", 0, 1, OPT_SIZE},
        {"predictors", 0, 1, OPT_PREDICTORS},
        {"quiet", 'q', 0, OPT_QUIET},
        {0},
    };
    const char *cmd = "video";
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_video_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            return -1;
        if (id == IMP_CLI_ARG_ERROR)
            return IMP_CLI_EXIT_USAGE;
        switch (id) {
        case IMP_CLI_ARG_POSITIONAL:
            if (*in_path)
                return imp_cli_usage(cmd, "unexpected argument '%s'", a.value);
            *in_path = a.value;
            break;
        case OPT_OUTPUT:
            *out_path = a.value;
            break;
        case OPT_STABILIZE:
            if (imp_cli_parse_unit(cmd, "--stabilize", a.value, stabilize))
                return IMP_CLI_EXIT_USAGE;
            break;
        case OPT_SIZE:
            if (imp_cli_parse_frame_size(a.value, IMP_VIDEO_MAX_SIDE, size_w, size_h))
                return imp_cli_usage(cmd,
                                     "--size wants WxH or H (8 to %d), such as 640x360 or "
                                     "360, not '%s'",
                                     IMP_VIDEO_MAX_SIDE, a.value);
            break;
        case OPT_PREDICTORS:
            if (imp_cli_parse_int(cmd, "--predictors", a.value, 1, 64, predictors))
                return IMP_CLI_EXIT_USAGE;
            break;
        case OPT_QUIET:
            *quiet = 1;
            break;
        default: {
            int r = video_writer_option(wopt, cmd, id, a.value);
            if (r == 0)
                r = imp_stylize_style_option(job, cmd, id, a.value);
            if (r == 0)
                r = imp_cli_model_flag(&job->model_flags, cmd, id, a.value);
            if (r <= 0)
                return r < 0 ? IMP_CLI_EXIT_USAGE
                             : imp_cli_usage(cmd, "option not valid here");
        }
        }
    }
    return imp_stylize_check_style(job, cmd);
}

static int video_main(int argc, char **argv)
{
    struct imp_stylize_job *job = calloc(1, sizeof *job);
    if (!job)
        return imp_cli_fail("video", "out of memory");
    imp_stylize_job_init(job);
    struct imp_video_writer_options wopt = imp_video_writer_options_default();
    const char *in_path = NULL, *out_path = NULL;
    float stabilize = 1;
    int size_w = 0, size_h = 0, predictors = 0, quiet = 0;
    int rc = video_options(job, argc, argv, &in_path, &out_path, &stabilize, &size_w,
                           &size_h, &predictors, &quiet, &wopt);
    if (rc == 0)
        rc = video_run(job, in_path, out_path, stabilize, size_w, size_h, predictors, quiet,
                       &wopt);
    free(job);
    return rc < 0 ? 0 : rc; /* -1: --help was shown */
}

const struct imp_cli_command imp_cli_video_command = {
    "video", "stylize a video file, without flicker", help, video_main};
