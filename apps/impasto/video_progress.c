#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "video_progress.h"

void video_progress_init(struct video_progress *pr, int64_t total, int quiet)
{
    pr->total = total;
    pr->start_ms = imp_cli_now_ms();
    pr->last_ms = 0;
    pr->tty = isatty(2);
    pr->quiet = quiet;
}

void video_progress_end(const struct video_progress *pr)
{
    if (pr->tty && !pr->quiet)
        fputc('\n', stderr);
}

void video_progress_show(void *ctx, int64_t done)
{
    struct video_progress *pr = ctx;
    if (pr->quiet)
        return;
    double now = imp_cli_now_ms();
    int last = pr->total > 0 && done >= pr->total;
    if (!last && now - pr->last_ms < (pr->tty ? 100.0 : 2000.0))
        return;
    pr->last_ms = now;
    double secs = (now - pr->start_ms) / 1000.0;
    double fps = secs > 0 ? (double)done / secs : 0;
    char eta[32] = "";
    if (pr->total > 0 && fps > 0 && done < pr->total) {
        int left = (int)((double)(pr->total - done) / fps + 0.5);
        snprintf(eta, sizeof eta, "  ETA %d:%02d", left / 60, left % 60);
    }
    if (pr->total > 0) {
        int pct = (int)(100 * done / pr->total);
        pct = pct > 100 ? 100 : pct;
        if (pr->tty) {
            char bar[31];
            int fill = pct * 30 / 100;
            for (int i = 0; i < 30; i++)
                bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
            bar[30] = '\0';
            fprintf(stderr, "\r[%s] %3d%%  frame %lld/%lld  %.1f fps%s   ", bar, pct,
                    (long long)done, (long long)pr->total, fps, eta);
        } else {
            fprintf(stderr, "frame %lld/%lld (%d%%), %.1f fps%s\n", (long long)done,
                    (long long)pr->total, pct, fps, eta);
        }
    } else {
        fprintf(stderr, pr->tty ? "\rframe %lld  %.1f fps   " : "frame %lld, %.1f fps\n",
                (long long)done, fps);
    }
    fflush(stderr);
}

int video_writer_option(struct imp_video_writer_options *o, const char *cmd, int id,
                        const char *value)
{
    switch (id) {
    case VIDEO_OPT_CRF:
        return imp_cli_parse_int(cmd, "--crf", value, 0, 63, &o->crf) ? -1 : 1;
    case VIDEO_OPT_CODEC:
        o->codec = value;
        return 1;
    case VIDEO_OPT_PRESET:
        o->preset = value;
        return 1;
    default:
        return 0;
    }
}

int video_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static volatile sig_atomic_t stop_requested;

static void on_interrupt(int sig)
{
    stop_requested = 1;
    signal(sig, SIG_DFL); /* a second Ctrl-C ends at once */
}

int video_run_to_file(struct video_pipeline_config *cfg, int64_t total, int quiet,
                      const char *in_path, const char *out_path, const char *side_path,
                      struct video_pipeline_result *res, double *secs)
{
    char err[512];
    struct video_progress pr;
    video_progress_init(&pr, total, quiet);
    cfg->progress = video_progress_show;
    cfg->progress_ctx = &pr;
    stop_requested = 0;
    cfg->stop = &stop_requested;
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    int failed = video_pipeline_run(cfg, res, err, sizeof err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    video_progress_end(&pr);
    *secs = (imp_cli_now_ms() - pr.start_ms) / 1000.0;
    if (failed)
        return imp_cli_fail(in_path, "%s", err);
    if (res->frames == 0 && !res->interrupted)
        return imp_cli_fail(in_path, "no frame of its video stream could be decoded");
    /* Both files whole before either is renamed into place: a failure
     * leaves neither. */
    struct imp_video_writer *side = cfg->side_writer;
    if (imp_video_writer_complete(cfg->writer, err, sizeof err))
        return imp_cli_fail_message(out_path, err);
    if (side && imp_video_writer_complete(side, err, sizeof err))
        return imp_cli_fail_message(side_path, err);
    if (imp_video_writer_commit(cfg->writer, err, sizeof err))
        return imp_cli_fail_message(out_path, err);
    if (side && imp_video_writer_commit(side, err, sizeof err))
        return imp_cli_fail_message(side_path, err);
    return 0;
}

int video_stopped_early(const struct video_pipeline_result *res)
{
    if (!res->interrupted)
        return 0;
    printf("stopped  early on request: the file holds the first %lld frames\n",
           (long long)res->frames);
    return 130;
}
