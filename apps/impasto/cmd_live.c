/* impasto live: a camera (or a test source) through a style network, shown in
 * a window, recorded, or sent on as a stream or a virtual camera. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "focus_frames.h"
#include "live_out.h"
#include "readout.h"
#include "styles.h"
#include "stylize.h"
#include "stylize_cli.h"
#include "temporal.h"
#include "video.h"
#include "video_module.h"
#include "window.h"

#define MAX_STYLES 9

static const char help[] =
    "usage: impasto live [--style NAME|MODEL...] [--focus] [--camera /dev/videoN |\n"
    "                    --input FILE|lavfi:SPEC] [options]\n"
    "\n"
    "Stylize a camera live and show it in a window, with a readout of the frame\n"
    "rate and the capture-to-display latency (at the end too: its median and\n"
    "95th percentile). Without a camera, --input plays a file or an FFmpeg test\n"
    "source in real time, or takes a stream from standard input. Frames that\n"
    "come while one is being stylized are skipped, so what is shown is always\n"
    "recent; when frames take longer than the deadline the network runs at a\n"
    "lower resolution, and at a higher one again when there is room. The style\n"
    "options are those of 'impasto stylize'; --style may be given up to 9\n"
    "times (without it: the shipped styles), and the keys switch between them.\n"
    "--strength and the keys set how much of the style: as stylize does, a\n"
    "conditional network's norm weights move towards its identity style, live,\n"
    "and the picture is blended with the camera's.\n"
    "\n"
    "options:\n"
    "      --camera DEV      a V4L2 camera (default /dev/video0)\n"
    "      --input SRC       a video file, '-' (a stream on standard input), or\n"
    "                        lavfi:SPEC for an FFmpeg test source\n"
    "                        such as lavfi:testsrc2=size=640x480:rate=30\n"
    "      --size WxH|H      start the network at this size (default: the source's)\n"
    "      --deadline MS     the time a frame may take (default 33)\n"
    "      --stabilize S     0 (off) to 1: smooth flicker over time (default 1)\n"
    "  -o, --output OUT      also write the stylized video: a file (.mp4, .mkv, ...)\n"
    "                        or '-' for YUV4MPEG2 on standard output\n"
    "      --virtual-camera DEV\n"
    "                        also send it to a v4l2loopback device (YUYV)\n"
    "      --headless        no window (with -o or --virtual-camera)\n"
    "      --frames N        stop after N frames (default: until quit)\n"
    "      --focus           blur the background behind the person like a lens\n"
    "                        (as impasto focus; the key b turns it on and off),\n"
    "                        before the style; with no --style, focus alone\n"
    "      --focus-model M   general, landscape or a segmentation model file\n"
    "                        (default: by the picture's aspect)\n"
    "      --blur RADIUS     the focus blur's disc radius in pixels (default: 2%\n"
    "                        of the picture's longer side)\n"
    "      --background B    with --focus: replace the background instead of\n"
    "                        blurring it, with a picture (scaled to cover the\n"
    "                        frame, centred) or a colour as #RRGGBB (the key b\n"
    "                        shows the camera's own background again)\n"
    IMP_STYLE_HELP IMP_CLI_MODEL_HELP
    "  -h, --help            show this help\n"
    "\n"
    "keys:\n"
    "  1-9, n/p, left/right  pick a style / next / previous\n"
    "  b                     background blur (focus) on / off\n"
    "  + / - (up / down)     strength of the style\n"
    "  c                     keep the camera's colours (the style's light and shade)\n"
    "  space                 camera picture side by side\n"
    "  i                     FPS and latency readout on / off\n"
    "  s                     snapshot to live-snapshot-N.png\n"
    "  r                     start / stop recording to live-N.mp4\n"
    "  f                     fullscreen\n"
    "  q, Esc                quit\n"
    "\n"
    "examples:\n"
    "  impasto live --style candy\n"
    "  impasto live --style a.onnx --style b.onnx --input lavfi:testsrc2=size=640x480\n"
    "  impasto live --style a.onnx --headless --frames 300 -o out.mp4\n"
    "  impasto live --style a.onnx --headless -o - | ffmpeg -i - out.webm\n"
    "  impasto live --magenta magenta/ --style-vector starry.npy --preserve-colors\n"
    "  impasto live --style a.onnx --virtual-camera /dev/video10\n"
    "  impasto live --focus --virtual-camera /dev/video10    # a blurred background\n"
    "  impasto live --focus --background office.jpg --virtual-camera /dev/video10\n"
    "  impasto live --focus --background '#00b140' --headless -o green.mp4 \\\n"
    "      --frames 300\n";

static volatile sig_atomic_t stop_requested;

static void on_interrupt(int sig)
{
    stop_requested = 1;
    signal(sig, SIG_DFL);
}

/* ---- capture: a thread that always holds the newest frame ------------------------ */

struct capture {
    struct imp_video_reader *reader;
    int paced;     /* a file or a test source: play at its own speed */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct imp_video_frame latest;
    double latest_ms; /* when it was captured */
    int have, ended, failed;
    int want_w, want_h; /* processing size asked for */
    int64_t dropped;
    char err[512];
};

static void *capture_main(void *arg)
{
    struct capture *c = arg;
    double start_ms = imp_cli_now_ms();
    double first_seconds = -1;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        int w = c->want_w, h = c->want_h, stop = c->ended;
        pthread_mutex_unlock(&c->lock);
        if (stop)
            return NULL;
        char err[512];
        struct imp_video_frame f;
        int rc = imp_video_reader_set_output_size(c->reader, w, h, err, sizeof err);
        if (rc == 0)
            rc = imp_video_reader_next(c->reader, &f, err, sizeof err);
        if (rc == 1 && c->paced) {
            if (first_seconds < 0)
                first_seconds = f.seconds;
            double due = start_ms + (f.seconds - first_seconds) * 1000.0;
            double wait = due - imp_cli_now_ms();
            if (wait > 0) {
                struct timespec ts = {(time_t)(wait / 1000), (long)(fmod(wait, 1000) * 1e6)};
                nanosleep(&ts, NULL);
            }
        }
        pthread_mutex_lock(&c->lock);
        if (rc != 1) {
            if (rc < 0) {
                c->failed = 1;
                snprintf(c->err, sizeof c->err, "%s", err);
            }
            if (rc == 0)
                imp_video_frame_free(&f); /* the audio after the last frame */
            c->ended = 1;
            pthread_cond_broadcast(&c->ready);
            pthread_mutex_unlock(&c->lock);
            return NULL;
        }
        if (c->have) {
            imp_video_frame_free(&c->latest);
            c->dropped++;
        }
        struct imp_video_frame sound = {0}; /* live shows no audio */
        sound.audio = f.audio;
        imp_video_frame_free(&sound);
        f.audio = NULL;
        c->latest = f;
        c->latest_ms = imp_cli_now_ms();
        c->have = 1;
        pthread_cond_broadcast(&c->ready);
        pthread_mutex_unlock(&c->lock);
    }
}

/* The newest frame (0), or 1 at the end of the source, -1 on its failure. */
static int capture_take(struct capture *c, struct imp_video_frame *f, double *when)
{
    pthread_mutex_lock(&c->lock);
    while (!c->have && !c->ended && !stop_requested) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->ready, &c->lock, &ts);
    }
    int rc = 1;
    if (c->have) {
        *f = c->latest;
        *when = c->latest_ms;
        memset(&c->latest, 0, sizeof c->latest);
        c->have = 0;
        rc = 0;
    } else if (c->failed) {
        rc = -1;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static void capture_stop(struct capture *c)
{
    pthread_mutex_lock(&c->lock);
    c->ended = 1;
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    imp_video_frame_free(&c->latest);
}

/* ---- looks ----------------------------------------------------------------------- */

/* Source and stylized side by side, into a buffer of 2w x h. */
static void side_by_side(uint8_t *dst, const uint8_t *left, const uint8_t *right, int w,
                         int h)
{
    for (int y = 0; y < h; y++) {
        memcpy(dst + (size_t)y * w * 6, left + (size_t)y * w * 3, (size_t)w * 3);
        memcpy(dst + (size_t)y * w * 6 + (size_t)w * 3, right + (size_t)y * w * 3,
               (size_t)w * 3);
    }
}

/* ---- the command ------------------------------------------------------------------- */

struct style {
    struct imp_stylize_job *job; /* what the effect was opened from */
    struct imp_frame_effect effect;
    void *instance;
    struct imp_stylizer *st;
    float strength; /* what the instance was last set to */
};

/* The processing size for a scale of the source, multiples of 4. */
static void scaled(int sw, int sh, double scale, int *w, int *h)
{
    *w = (int)(sw * scale / 4 + 0.5) * 4;
    *h = (int)(sh * scale / 4 + 0.5) * 4;
    *w = *w < 16 ? 16 : *w;
    *h = *h < 16 ? 16 : *h;
}

struct live {
    struct style styles[MAX_STYLES];
    int n_styles, current;
    float stabilize, strength;
    int keep_colours, side;
    struct imp_video_reader *reader;
    struct capture cap;
    struct imp_window *win;
    struct imp_video_writer *file, *recording;
    FILE *y4m;
    struct imp_v4l2_out *vcam;
    void *scaler;
    uint8_t *styled, *shown, *full, *prev_src, *prev_out;
    float *work;
    size_t cap_bytes;
    int prev_w, prev_h, prev_style;
    int snapshots, recordings;
    int readout; /* FPS and latency drawn on the window's picture */
    /* The focus effect (--focus), applied to the camera's picture before
     * the style; `focus` says whether it is on (the key b). */
    struct focus_frames ff;
    int has_focus, focus;
    uint8_t *focused;
    double fps;
    float *latency; /* capture to display of every frame shown, ms */
    size_t n_latency, latency_cap;
};

/* Keeps a frame's latency for the end-of-run percentiles (a float a frame:
 * an hour at 30 FPS is 432 KB). */
static void record_latency(struct live *L, double ms)
{
    if (L->n_latency == L->latency_cap) {
        size_t cap = L->latency_cap ? 2 * L->latency_cap : 1024;
        float *b = realloc(L->latency, cap * sizeof *b);
        if (!b)
            return; /* the readout then covers the frames before */
        L->latency = b;
        L->latency_cap = cap;
    }
    L->latency[L->n_latency++] = (float)ms;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of the kept latencies, sorted first; 0 when none. */
static double latency_quantile(struct live *L, double q)
{
    if (L->n_latency == 0)
        return 0;
    qsort(L->latency, L->n_latency, sizeof *L->latency, cmp_float);
    size_t i = (size_t)(q * (double)(L->n_latency - 1) + 0.5);
    return L->latency[i];
}

static int grow_buffers(struct live *L, int w, int h, int sw, int sh)
{
    size_t need = (size_t)w * h * 3 * 2;
    size_t full = (size_t)sw * sh * 3;
    need = need > full ? need : full;
    if (need <= L->cap_bytes)
        return 0;
    uint8_t **bufs[] = {&L->styled, &L->shown, &L->full, &L->prev_src, &L->prev_out,
                        &L->focused};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        uint8_t *b = realloc(*bufs[i], need);
        if (!b)
            return -1;
        *bufs[i] = b;
    }
    float *wk = realloc(L->work, imp_temporal_work_size(sw > w ? sw : w, sh > h ? sh : h) *
                                     sizeof *wk * 2);
    if (!wk)
        return -1;
    L->work = wk;
    L->cap_bytes = need;
    return 0;
}

static int start_recording(struct live *L, char *err, size_t err_size)
{
    char path[64];
    snprintf(path, sizeof path, "live-%d.mp4", ++L->recordings);
    struct imp_video_writer_options o = imp_video_writer_options_default();
    o.no_audio = 1;
    if (imp_video_writer_open(path, L->reader, &o, &L->recording, err, err_size))
        return -1;
    fprintf(stderr, "impasto: recording to %s\n", path);
    return 0;
}

static int stop_recording(struct live *L, char *err, size_t err_size)
{
    int rc = imp_video_writer_finish(L->recording, err, err_size);
    imp_video_writer_close(L->recording);
    L->recording = NULL;
    if (rc == 0)
        fprintf(stderr, "impasto: recording saved (live-%d.mp4)\n", L->recordings);
    return rc;
}

static void on_key(struct live *L, int key, const struct imp_video_frame *f, char *err,
                   size_t err_size)
{
    if (key >= '1' && key <= '9' && key - '1' < L->n_styles)
        L->current = key - '1';
    else if ((key == 'n' || key == IMP_KEY_RIGHT) && L->n_styles)
        L->current = (L->current + 1) % L->n_styles;
    else if ((key == 'p' || key == IMP_KEY_LEFT) && L->n_styles)
        L->current = (L->current + L->n_styles - 1) % L->n_styles;
    else if (key == '+' || key == IMP_KEY_UP)
        L->strength = L->strength + 0.1f > 1 ? 1 : L->strength + 0.1f;
    else if (key == '-' || key == IMP_KEY_DOWN)
        L->strength = L->strength - 0.1f < 0 ? 0 : L->strength - 0.1f;
    else if (key == 'b' && L->has_focus)
        L->focus = !L->focus;
    else if (key == 'c')
        L->keep_colours = !L->keep_colours;
    else if (key == ' ')
        L->side = !L->side;
    else if (key == 'i')
        L->readout = !L->readout;
    else if (key == 'f' && L->win)
        imp_window_toggle_fullscreen(L->win);
    else if (key == 's') {
        char path[64];
        snprintf(path, sizeof path, "live-snapshot-%d.png", ++L->snapshots);
        struct imp_image img = {f->width, f->height, 3, L->styled};
        if (imp_image_save_png(path, &img, err, err_size) == 0)
            fprintf(stderr, "impasto: snapshot %s (%dx%d)\n", path, f->width, f->height);
        else
            fprintf(stderr, "impasto: %s\n", err);
    } else if (key == 'r') {
        if (L->recording ? stop_recording(L, err, err_size)
                         : start_recording(L, err, err_size))
            fprintf(stderr, "impasto: %s\n", err);
    }
}

/* The styles to switch between: each --style (else the shipped ones), or
 * the one Magenta style; each opened as impasto stylize opens it. The
 * strength is live (the keys), so the networks open at full strength and
 * each frame sets the current one's (the effect's set_strength, else its
 * stylizer's blend). Returns 0 or the exit code after the message. */
static int open_styles(struct live *L, const struct imp_stylize_job *base, const char **names,
                       int n_names)
{
    struct imp_style_list shipped;
    if (n_names == 0 && !imp_stylize_is_magenta(base)) {
        imp_styles_find(&shipped);
        for (int i = 0; i < shipped.n && n_names < MAX_STYLES; i++)
            names[n_names++] = shipped.styles[i].name;
    }
    int n = n_names ? n_names : 1; /* none: stylize's own message says why */
    for (int i = 0; i < n; i++) {
        struct style *s = &L->styles[i];
        s->job = malloc(sizeof *s->job);
        if (!s->job)
            return imp_cli_fail("live", "out of memory");
        *s->job = *base;
        s->job->style = n_names ? names[i] : NULL;
        s->job->strength = 1.0f;
        s->strength = 1.0f;
        L->n_styles = i + 1;
        int rc = imp_stylize_open_style(s->job, &s->effect);
        if (rc)
            return rc;
        char err[512];
        s->instance = s->effect.start(s->effect.shared, base->model_flags.opt.threads, err,
                                      sizeof err);
        if (!s->instance)
            return imp_cli_fail(s->job->style ? s->job->style : s->effect.label, "%s", err);
        s->st = imp_frame_effect_stylizer(&s->effect, s->instance);
        if (s->st && L->stabilize > 0 &&
            imp_stylizer_set_norm_stats_mode(s->st, IMP_NORM_STATS_SMOOTHED,
                                             0.9 * L->stabilize, err, sizeof err))
            return imp_cli_fail(s->effect.label, "%s", err);
    }
    return 0;
}

static void close_styles(struct live *L)
{
    for (int i = 0; i < L->n_styles; i++) {
        struct style *s = &L->styles[i];
        if (s->instance)
            s->effect.stop(s->instance);
        imp_stylize_close_style(&s->effect);
        free(s->job);
    }
}

enum {
    OPT_CAMERA = 1,
    OPT_INPUT,
    OPT_SIZE,
    OPT_DEADLINE,
    OPT_STABILIZE,
    OPT_OUTPUT,
    OPT_VCAM,
    OPT_HEADLESS,
    OPT_FRAMES,
    OPT_FOCUS,
    OPT_FOCUS_MODEL,
    OPT_BLUR,
    OPT_BACKGROUND,
};
static const struct imp_cli_option live_opts[] = {
    IMP_CLI_MODEL_OPTIONS,
    IMP_STYLE_OPTIONS,
    {"camera", 0, 1, OPT_CAMERA},
    {"input", 0, 1, OPT_INPUT},
    {"size", 0, 1, OPT_SIZE},
    {"deadline", 0, 1, OPT_DEADLINE},
    {"stabilize", 0, 1, OPT_STABILIZE},
    {"output", 'o', 1, OPT_OUTPUT},
    {"virtual-camera", 0, 1, OPT_VCAM},
    {"headless", 0, 0, OPT_HEADLESS},
    {"frames", 0, 1, OPT_FRAMES},
    {"focus", 0, 0, OPT_FOCUS},
    {"focus-model", 0, 1, OPT_FOCUS_MODEL},
    {"blur", 0, 1, OPT_BLUR},
    {"background", 0, 1, OPT_BACKGROUND},
    {0},
};

static int live_run(struct imp_stylize_job *job, int argc, char **argv)
{
    const char *cmd = "live";
    struct live L;
    memset(&L, 0, sizeof L);
    L.stabilize = 1;
    L.strength = 1;
    L.readout = 1;
    const char *style_names[MAX_STYLES];
    int n_names = 0;
    const char *camera = NULL, *input = NULL, *output = NULL, *vcam_path = NULL;
    int size_w = 0, size_h = 0, deadline = 33, headless = 0, max_frames = 0;
    const char *focus_model = NULL, *background = NULL;
    float blur = -1;
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_live_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, live_opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            return -1;
        if (id == IMP_CLI_ARG_ERROR)
            return IMP_CLI_EXIT_USAGE;
        switch (id) {
        case IMP_CLI_ARG_POSITIONAL:
            return imp_cli_usage(cmd, "unexpected argument '%s'", a.value);
        case IMP_STYLE_OPT_STYLE:
            if (n_names == MAX_STYLES)
                return imp_cli_usage(cmd, "at most %d --style networks", MAX_STYLES);
            style_names[n_names++] = job->style = a.value;
            break;
        case OPT_CAMERA:
            camera = a.value;
            break;
        case OPT_INPUT:
            input = a.value;
            break;
        case OPT_SIZE:
            if (imp_cli_parse_frame_size(a.value, IMP_VIDEO_MAX_SIDE, &size_w, &size_h))
                return imp_cli_usage(cmd, "--size wants WxH or H, not '%s'", a.value);
            break;
        case OPT_DEADLINE:
            if (imp_cli_parse_int(cmd, "--deadline", a.value, 1, 10000, &deadline))
                return IMP_CLI_EXIT_USAGE;
            break;
        case OPT_STABILIZE:
            if (imp_cli_parse_unit(cmd, "--stabilize", a.value, &L.stabilize))
                return IMP_CLI_EXIT_USAGE;
            break;
        case OPT_OUTPUT:
            output = a.value;
            break;
        case OPT_VCAM:
            vcam_path = a.value;
            break;
        case OPT_HEADLESS:
            headless = 1;
            break;
        case OPT_FRAMES:
            if (imp_cli_parse_int(cmd, "--frames", a.value, 1, 1 << 30, &max_frames))
                return IMP_CLI_EXIT_USAGE;
            break;
        case OPT_FOCUS:
            L.has_focus = L.focus = 1;
            break;
        case OPT_FOCUS_MODEL:
            focus_model = a.value;
            break;
        case OPT_BACKGROUND:
            background = a.value;
            break;
        case OPT_BLUR:
            if (imp_cli_parse_blur(cmd, a.value, &blur))
                return IMP_CLI_EXIT_USAGE;
            break;
        default: {
            int r = imp_stylize_style_option(job, cmd, id, a.value);
            if (r == 0)
                r = imp_cli_model_flag(&job->model_flags, cmd, id, a.value);
            if (r <= 0)
                return r < 0 ? IMP_CLI_EXIT_USAGE
                             : imp_cli_usage(cmd, "option not valid here");
        }
        }
    }
    int rc = imp_stylize_check_style(job, cmd);
    if (rc)
        return rc;
    L.strength = job->strength;
    L.keep_colours = job->preserve_colors;
    if (!L.has_focus && (focus_model || blur >= 0 || background))
        return imp_cli_usage(cmd, "%s goes with --focus",
                             focus_model ? "--focus-model"
                             : background ? "--background"
                                          : "--blur");
    uint8_t colour[3];
    if (background && background[0] == '#' && focus_parse_colour(background, colour) != 0)
        return imp_cli_usage(cmd, "--background '%s' is not a colour written #RRGGBB",
                             background);
    if (camera && input)
        return imp_cli_usage(cmd, "give --camera or --input, not both");
    if (headless && !output && !vcam_path)
        return imp_cli_usage(cmd, "--headless needs -o OUT or --virtual-camera DEV");
    if (output && strcmp(output, "-") == 0 && isatty(1))
        return imp_cli_usage(cmd, "-o - writes a video stream: pipe it into a program");

    char err[512];
    int cap_started = 0;
    if (imp_video_module_open(err, sizeof err)) {
        rc = imp_cli_fail_message(imp_video_module_path(), err);
        goto done;
    }
    imp_video_quiet_logs();
    /* --focus without --style: focus alone, no shipped styles */
    if (!L.has_focus || n_names > 0 || imp_stylize_is_magenta(job)) {
        rc = open_styles(&L, job, style_names, n_names);
        if (rc)
            goto done;
    }
    const char *src_name = input ? input : camera ? camera : "/dev/video0";
    int paced = 0;
    if (input && strncmp(input, "lavfi:", 6) == 0) {
        rc = imp_video_reader_open_format("lavfi", input + 6, &L.reader, err, sizeof err);
        paced = 1;
    } else if (input && strcmp(input, "-") == 0) {
        /* A live stream on standard input: taken as it comes, like a camera. */
        rc = imp_video_reader_open("pipe:0", &L.reader, err, sizeof err);
    } else if (input) {
        rc = imp_video_reader_open(input, &L.reader, err, sizeof err);
        paced = 1;
    } else {
        rc = imp_video_reader_open_format("v4l2", src_name, &L.reader, err, sizeof err);
    }
    if (rc) {
        rc = imp_cli_fail_message(src_name, err);
        goto done;
    }
    const struct imp_video_info *info = imp_video_reader_info(L.reader);
    int sw = info->width, sh = info->height;
    double scale = 1;
    if (size_h)
        scale = (double)size_h / sh;
    scale = scale > 1 ? 1 : scale;
    if (output && strcmp(output, "-") == 0) {
        L.y4m = stdout;
        if (imp_y4m_header(L.y4m, sw, sh, info->fps_num, info->fps_den, err, sizeof err)) {
            rc = imp_cli_fail("-o -", "%s", err);
            goto done;
        }
    } else if (output) {
        struct imp_video_writer_options o = imp_video_writer_options_default();
        o.no_audio = 1;
        if (imp_video_writer_open(output, L.reader, &o, &L.file, err, sizeof err)) {
            rc = imp_cli_fail_message(output, err);
            goto done;
        }
    }
    if (vcam_path && imp_v4l2_out_open(vcam_path, sw, sh, &L.vcam, err, sizeof err)) {
        rc = imp_cli_fail_message(vcam_path, err);
        goto done;
    }
    if (!headless && imp_window_open("impasto live", sw, sh, &L.win, err, sizeof err)) {
        rc = imp_cli_fail("live", "%s", err);
        goto done;
    }
    if (L.has_focus) {
        struct imp_focus_stream_options fo = imp_focus_stream_options_default();
        fo.focus.blur = blur;
        rc = focus_frames_open(&L.ff, focus_model, background, &job->model_flags, sw, sh,
                               &fo);
        if (rc)
            goto done;
    }
    L.cap.reader = L.reader;
    L.cap.paced = paced;
    scaled(sw, sh, scale, &L.cap.want_w, &L.cap.want_h);
    if (size_w && size_h) {
        L.cap.want_w = size_w;
        L.cap.want_h = size_h;
    }
    pthread_mutex_init(&L.cap.lock, NULL);
    pthread_cond_init(&L.cap.ready, NULL);
    if (pthread_create(&L.cap.thread, NULL, capture_main, &L.cap) != 0) {
        rc = imp_cli_fail("live", "cannot start the capture thread");
        goto done;
    }
    cap_started = 1;
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error, not a death */

    int64_t frames = 0;
    double t_start = imp_cli_now_ms(), proc_avg = 0, latency_avg = 0, latency_sum = 0;
    double last_title = 0;
    int since_resize = 0;
    while (!stop_requested && (max_frames == 0 || frames < max_frames)) {
        struct imp_video_frame f;
        double captured;
        int got = capture_take(&L.cap, &f, &captured);
        if (got < 0) {
            rc = imp_cli_fail(src_name, "%s", L.cap.err);
            break;
        }
        if (got > 0)
            break;
        double t0 = imp_cli_now_ms();
        if (grow_buffers(&L, f.width, f.height, sw, sh)) {
            imp_video_frame_free(&f);
            rc = imp_cli_fail("live", "out of memory");
            break;
        }
        size_t bytes = (size_t)f.width * f.height * 3;
        /* Focus works on the camera's picture: the style (if any) then
         * paints the blurred background as it is. */
        if (L.focus) {
            if (focus_frames_apply(&L.ff, f.rgb, L.focused, f.width, f.height, 0, err,
                                   sizeof err)) {
                imp_video_frame_free(&f);
                rc = imp_cli_fail("focus", "%s", err);
                break;
            }
            memcpy(f.rgb, L.focused, bytes);
        }
        if (L.n_styles == 0) {
            memcpy(L.styled, f.rgb, bytes);
            L.prev_w = f.width;
            L.prev_h = f.height;
            goto styled;
        }
        struct style *st = &L.styles[L.current];
        int same_size = f.width == L.prev_w && f.height == L.prev_h;
        /* A new scene, size or style starts afresh: no statistics or
         * blending carried from what was shown before. */
        int cut = !same_size || L.current != L.prev_style ||
                  imp_temporal_cut_score(L.prev_src, f.rgb, f.width, f.height) >
                      IMP_TEMPORAL_CUT;
        if (st->strength != L.strength) {
            /* a network's norm weights move; nothing is planned again */
            st->strength = L.strength;
            if (!st->effect.set_strength) {
                if (st->st)
                    imp_stylizer_set_strength(st->st, L.strength);
            } else if (st->effect.set_strength(st->instance, L.strength, err, sizeof err)) {
                imp_video_frame_free(&f);
                rc = imp_cli_fail(st->effect.label, "%s", err);
                break;
            }
        }
        if (st->st) {
            imp_stylizer_set_preserve_colors(st->st, L.keep_colours);
            if (cut && L.stabilize > 0)
                imp_predictor_reset_norm_stats(imp_stylizer_predictor(st->st));
        }
        char note[128];
        if (st->effect.apply(st->instance, f.rgb, f.width, f.height, L.styled, note,
                             sizeof note, err, sizeof err)) {
            imp_video_frame_free(&f);
            rc = imp_cli_fail(st->effect.label, "%s", err);
            break;
        }
        if (!cut && L.stabilize > 0)
            imp_temporal_blend(L.styled, L.prev_out, f.rgb, L.prev_src, f.width, f.height,
                               0.85f * L.stabilize, L.work);
        memcpy(L.prev_out, L.styled, bytes);
        memcpy(L.prev_src, f.rgb, bytes);
        L.prev_w = f.width;
        L.prev_h = f.height;
        L.prev_style = L.current;
    styled:;
        double proc = imp_cli_now_ms() - t0;
        proc_avg = frames ? 0.9 * proc_avg + 0.1 * proc : proc;
        /* Outputs. */
        struct imp_video_frame out = f;
        out.rgb = L.styled;
        out.audio = NULL;
        int bad = 0;
        if (L.file)
            bad = imp_video_writer_write(L.file, &out, err, sizeof err);
        if (!bad && L.recording)
            bad = imp_video_writer_write(L.recording, &out, err, sizeof err);
        if (!bad && (L.y4m || L.vcam)) {
            bad = imp_rgb_scale(&L.scaler, L.styled, f.width, f.height, L.full, sw, sh, err,
                                sizeof err);
            if (!bad && L.y4m)
                bad = imp_y4m_frame(L.y4m, L.full, sw, sh, err, sizeof err);
            if (!bad && L.vcam)
                bad = imp_v4l2_out_write(L.vcam, L.full, err, sizeof err);
        }
        if (!bad && L.win) {
            /* The readout goes on the window's copy only, never into outputs. */
            int sw2 = L.side ? 2 * f.width : f.width;
            if (L.side)
                side_by_side(L.shown, f.rgb, L.styled, f.width, f.height);
            else
                memcpy(L.shown, L.styled, bytes);
            if (L.readout) {
                char text[64];
                snprintf(text, sizeof text, "%.1f FPS %.0f MS %dX%d", L.fps, latency_avg,
                         f.width, f.height);
                int k = f.height >= 240 ? 2 : 1;
                imp_readout_draw(L.shown, sw2, f.height, 3 * k, 3 * k, k, text);
            }
            bad = imp_window_show(L.win, L.shown, sw2, f.height, err, sizeof err);
        }
        if (bad) {
            imp_video_frame_free(&f);
            rc = imp_cli_fail(output ? output : "live", "%s", err);
            break;
        }
        double latency = imp_cli_now_ms() - captured;
        latency_avg = frames ? 0.9 * latency_avg + 0.1 * latency : latency;
        latency_sum += latency;
        record_latency(&L, latency);
        frames++;
        /* Hold the deadline: shrink quickly when late, grow slowly when
         * there is room. */
        if (++since_resize >= 10) {
            double s2 = scale;
            if (proc_avg > deadline)
                s2 = scale * 0.85;
            else if (proc_avg < 0.6 * deadline && scale < 1)
                s2 = scale * 1.08 > 1 ? 1 : scale * 1.08;
            s2 = s2 < 0.2 ? 0.2 : s2;
            if (s2 != scale && !(size_w && size_h)) {
                scale = s2;
                pthread_mutex_lock(&L.cap.lock);
                scaled(sw, sh, scale, &L.cap.want_w, &L.cap.want_h);
                pthread_mutex_unlock(&L.cap.lock);
                since_resize = 0;
            }
        }
        double now = imp_cli_now_ms();
        double fps = frames / ((now - t_start) / 1000.0);
        L.fps = fps;
        if (L.win) {
            if (now - last_title > 500) {
                char title[256];
                /* Everything the keys change shows here (tests read it). */
                snprintf(title, sizeof title,
                         "impasto live - style %d/%d - strength %.1f - %.1f fps - %.0f ms "
                         "latency - %dx%d%s%s%s%s%s",
                         L.current + 1, L.n_styles, L.strength, fps, latency_avg, f.width,
                         f.height, L.keep_colours ? " - colours kept" : "",
                         L.focus ? " - focus" : "",
                         L.side ? " - side by side" : "", L.recording ? " - REC" : "",
                         imp_window_is_fullscreen(L.win) ? " - fullscreen" : "");
                imp_window_title(L.win, title);
                last_title = now;
            }
            for (int key; (key = imp_window_key(L.win)) != IMP_KEY_NONE;) {
                if (key == IMP_KEY_QUIT) {
                    stop_requested = 1;
                    break;
                }
                on_key(&L, key, &f, err, sizeof err);
            }
        }
        imp_video_frame_free(&f);
    }
    if (rc == 0) {
        double secs = (imp_cli_now_ms() - t_start) / 1000.0;
        /* The same readout as the window's, for headless runs and
         * benchmarks: held rate, and capture-to-display latency. */
        fprintf(stderr,
                "live     %lld frames in %.1f s: %.1f fps, latency median %.1f ms, p95 "
                "%.1f ms, mean %.1f ms, network %.1f ms, last at %dx%d, %lld source frames "
                "skipped\n",
                (long long)frames, secs, secs > 0 ? frames / secs : 0.0,
                latency_quantile(&L, 0.5), latency_quantile(&L, 0.95),
                frames ? latency_sum / frames : 0.0, proc_avg, L.prev_w, L.prev_h,
                (long long)L.cap.dropped);
    }
    if (L.recording && stop_recording(&L, err, sizeof err) && rc == 0)
        rc = imp_cli_fail("recording", "%s", err);
    if (L.file && imp_video_writer_finish(L.file, err, sizeof err) && rc == 0)
        rc = imp_cli_fail_message(output, err);
done:
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (cap_started)
        capture_stop(&L.cap);
    imp_video_writer_close(L.file);
    imp_video_writer_close(L.recording);
    imp_v4l2_out_close(L.vcam);
    imp_window_close(L.win);
    imp_video_reader_close(L.reader);
    imp_rgb_scale_free(L.scaler);
    close_styles(&L);
    free(L.styled);
    free(L.shown);
    free(L.full);
    free(L.prev_src);
    free(L.prev_out);
    free(L.work);
    free(L.latency);
    free(L.focused);
    focus_frames_close(&L.ff);
    return rc;
}

static int live_main(int argc, char **argv)
{
    struct imp_stylize_job *job = malloc(sizeof *job);
    if (!job)
        return imp_cli_fail("live", "out of memory");
    imp_stylize_job_init(job);
    int rc = live_run(job, argc, argv);
    free(job);
    return rc < 0 ? 0 : rc; /* -1: --help was shown */
}

const struct imp_cli_command imp_cli_live_command = {
    "live", "stylize a camera live: window, recording, stream, virtual camera", help,
    live_main};
