/* What the video commands (video, focus) share around the pipeline: the
 * progress line and the check that the output is not the input. */
#ifndef IMP_VIDEO_PROGRESS_H
#define IMP_VIDEO_PROGRESS_H

#include <stdint.h>

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

/* 1 when the two paths name the same file (or the same name). */
int video_same_file(const char *a, const char *b);

#endif
