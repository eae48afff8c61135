/* What the video commands (video, focus) share around the pipeline: the
 * progress line, the run to a file with Ctrl-C, and the check that the
 * output is not the input. */
#ifndef IMP_VIDEO_PROGRESS_H
#define IMP_VIDEO_PROGRESS_H

#include <stdint.h>

#include "video.h"
#include "video_pipeline.h"

struct video_progress {
    int64_t total; /* 0 when unknown */
    double start_ms, last_ms;
    int tty, quiet;
};

/* Starts the clock; the line goes to stderr (a bar on a terminal, a line
 * every 2 s otherwise; nothing when quiet). */
void video_progress_init(struct video_progress *pr, int64_t total, int quiet);
/* The pipeline's progress callback: ctx is a struct video_progress. */
void video_progress_show(void *ctx, int64_t done);
/* Ends the bar's line (on a terminal). */
void video_progress_end(const struct video_progress *pr);

/* Runs the pipeline into its writer (and its side writer, if any, named
 * side_path) with the progress line (total frames, quiet as for
 * video_progress_init). Ctrl-C or SIGTERM during the run stops it early
 * with a playable file (a second one ends at once; cfg->stop is set here).
 * Both files are completed before either is renamed into place. Fails with
 * one line naming in_path (the pipeline's error, or no frame decoded),
 * out_path or side_path (finishing that file). Returns 0, or the exit code
 * after the message; *secs is the run's wall time. */
int video_run_to_file(struct video_pipeline_config *cfg, int64_t total, int quiet,
                      const char *in_path, const char *out_path, const char *side_path,
                      struct video_pipeline_result *res, double *secs);
/* After a successful run: says so when it was stopped early and returns
 * 130, else returns 0. */
int video_stopped_early(const struct video_pipeline_result *res);

/* The encoder options of the commands that write video files (video,
 * focus): in a command's option table, parsed by video_writer_option, and
 * taught in its --help by VIDEO_WRITER_HELP. */
enum { VIDEO_OPT_CRF = 1300, VIDEO_OPT_CODEC, VIDEO_OPT_PRESET };
#define VIDEO_WRITER_OPTIONS                                                       \
    {"crf", 0, 1, VIDEO_OPT_CRF}, {"codec", 0, 1, VIDEO_OPT_CODEC},                \
        {"preset", 0, 1, VIDEO_OPT_PRESET}
#define VIDEO_WRITER_HELP                                                          \
    "      --crf N           encoder quality, lower is better (x264: 0-51,\n"     \
    "                        default 23; VP9: 0-63, default 32)\n"                \
    "      --codec NAME      video encoder (default: libx264 for mp4, mkv, mov;\n" \
    "                        libvpx-vp9 for webm; see 'ffmpeg -encoders')\n"     \
    "      --preset NAME     encoder speed preset (x264 default: veryfast)\n"
/* One of VIDEO_WRITER_OPTIONS into o: 1 when taken, 0 when the id is not
 * one of them, -1 after a usage message. */
int video_writer_option(struct imp_video_writer_options *o, const char *cmd, int id,
                        const char *value);

/* 1 when the two paths name the same file (or the same name). */
int video_same_file(const char *a, const char *b);

#endif
