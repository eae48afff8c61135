/*
 * impasto video end to end, on small videos this test makes with the ffmpeg
 * program (FFmpeg's lavfi sources): what the new file keeps of the source
 * (frames, timestamps, frame rate, size, rotation, aspect, range, audio),
 * the flicker and ghosting measures of --stabilize, the pipeline's
 * independence from thread timing, Ctrl-C, and bad input. The style network
 * is the tiny fixture tests/data/style/tiny_style.onnx.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_run.h"
#include "core/util.h"
#include "harness.h"
#include "video.h"

static const char *style = IMP_SOURCE_DIR "/tests/data/style/tiny_style.onnx";
static struct imp_test_cli io;

/* ffmpeg making a test video; fails the test when it cannot. */
static bool make(const char *args, const char *out)
{
    int rc = imp_test_sh(&io, "ffmpeg -nostdin -hide_banner -loglevel error -y %s '%s'", args, out);
    if (rc != 0)
        printf("  ffmpeg %s failed: %s\n", args, io.err);
    return rc == 0;
}

static int video(const char *in, const char *out, const char *more)
{
    return imp_test_sh(&io, "'%s' video '%s' -o '%s' --style '%s' -q %s", imp_test_cli_binary, in,
                       out, style, more);
}

/* ffprobe's one number for a stream entry, or -1. */
static double probe(const char *path, const char *stream, const char *entry)
{
    if (imp_test_sh(&io,
                    "ffprobe -v error -select_streams %s -show_entries stream=%s -of "
                    "default=nw=1:nk=1 '%s'",
                    stream, entry, path) != 0)
        return -1;
    char *end;
    double v = strtod(io.out, &end);
    return end == io.out ? -1 : v;
}

/* Every frame of a video, decoded with apps/media's reader. */
struct clip {
    struct imp_video_info info;
    int n, w, h;
    uint8_t **rgb;
    double *seconds;
};

/* Every frame of an open reader, which it closes. */
static bool load_from(struct imp_video_reader *r, struct clip *c)
{
    memset(c, 0, sizeof *c);
    char err[512];
    c->info = *imp_video_reader_info(r);
    c->info.codec = c->info.audio_codec = NULL; /* borrowed from r */
    c->w = c->info.width;
    c->h = c->info.height;
    int cap = 0, rc;
    struct imp_video_frame f;
    while ((rc = imp_video_reader_next(r, &f, err, sizeof err)) == 1) {
        if (c->n == cap) {
            cap = cap ? 2 * cap : 64;
            c->rgb = realloc(c->rgb, (size_t)cap * sizeof *c->rgb);
            c->seconds = realloc(c->seconds, (size_t)cap * sizeof *c->seconds);
        }
        c->rgb[c->n] = f.rgb;
        c->seconds[c->n] = f.seconds;
        c->n++;
        f.rgb = NULL;
        imp_video_frame_free(&f);
    }
    imp_video_frame_free(&f);
    imp_video_reader_close(r);
    if (rc < 0)
        printf("  %s\n", err);
    return rc == 0;
}

static bool load(const char *path, struct clip *c)
{
    char err[512];
    struct imp_video_reader *r;
    if (imp_video_reader_open(path, &r, err, sizeof err)) {
        printf("  %s\n", err);
        memset(c, 0, sizeof *c);
        return false;
    }
    return load_from(r, c);
}

static void unload(struct clip *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->rgb[i]);
    free(c->rgb);
    free(c->seconds);
    memset(c, 0, sizeof *c);
}

static bool no_leftovers(void)
{
    bool ok =
        /* atomic_file.c's temporary names are hidden: ".NAME.XXXXXX" */
        imp_test_sh(&io, "ls -A '%s' | grep -c '^\\.'", io.dir) == 1; /* grep found none */
    if (!ok)
        printf("  temporary files left: %s\n", io.out);
    return ok;
}

/* ---- the reader ---------------------------------------------------------------------- */

/* swscale's x86 converter from YUV 4:2:0 skips the last width % 8 pixels of
 * a row it cannot write in a whole run of 8; those bytes used to be left as
 * malloc gave them. A clip of one colour must come back that colour in
 * every pixel, at widths of every remainder class that matters. */
static void reader_writes_every_pixel_of_any_width(void)
{
    static const int sizes[][2] = {{162, 98}, {100, 60}, {70, 34}, {64, 48}};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        int w = sizes[k][0], h = sizes[k][1];
        char args[256];
        snprintf(args, sizeof args,
                 "-f lavfi -i color=c=0x3080C0:size=%dx%d:rate=25 -t 0.12 -c:v libx264 "
                 "-qp 0 -pix_fmt yuv420p",
                 w, h);
        const char *src = imp_test_cli_path(&io, "solid.mp4");
        struct clip c;
        CHECK(make(args, src) && load(src, &c));
        CHECK(c.n >= 2 && c.w == w && c.h == h);
        for (int i = 0; i < c.n; i++) {
            const uint8_t *p = c.rgb[i];
            /* The colour itself, measured independently of the rows' ends. */
            CHECK(abs(p[0] - 0x30) <= 3 && abs(p[1] - 0x80) <= 3 && abs(p[2] - 0xC0) <= 3);
            int off = 0, first_x = -1;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int ch = 0; ch < 3; ch++)
                        if (abs(p[((size_t)y * w + x) * 3 + ch] - p[ch]) > 2) {
                            off++;
                            if (first_x < 0)
                                first_x = x;
                        }
            if (off)
                printf("  %dx%d frame %d: %d bytes off the colour, the first at x=%d\n", w, h,
                       i, off, first_x);
            CHECK(off == 0);
        }
        unload(&c);
    }
}

/* The fuzz target reads through imp_video_reader_open_memory, so it must be
 * the file reader's twin: the same info, the same frames at the same
 * times. And a video in memory is all there is: a playlist in memory that
 * names a file beside it is refused it, where the same playlist as a file
 * may read it. */
static void memory_reader_is_the_file_readers_twin_and_opens_nothing_else(void)
{
    const char *src = imp_test_cli_path(&io, "twin.mkv");
    CHECK(make("-f lavfi -i testsrc2=size=46x30:rate=10 -f lavfi -i "
               "sine=frequency=440:sample_rate=8000 -t 1 -vf setsar=3/2 -c:v libx264 "
               "-pix_fmt yuv420p -c:a pcm_s16le",
               src));
    unsigned char *bytes = NULL;
    size_t size = 0;
    CHECK(imp_read_file(src, &bytes, &size) == 0);
    struct clip a, b;
    char err[512] = "";
    struct imp_video_reader *r = NULL;
    CHECK(load(src, &a));
    CHECK(imp_video_reader_open_memory(bytes, size, "twin", &r, err, sizeof err) == 0 &&
          load_from(r, &b));
    CHECK(a.n == 10 && b.n == a.n && b.w == 46 && b.h == 30);
    CHECK(b.info.has_audio && b.info.sar_num * 2 == b.info.sar_den * 3);
    CHECK(b.info.fps_num == a.info.fps_num && b.info.fps_den == a.info.fps_den &&
          b.info.frames == a.info.frames);
    for (int i = 0; i < a.n && i < b.n; i++)
        CHECK(a.seconds[i] == b.seconds[i] &&
              memcmp(a.rgb[i], b.rgb[i], (size_t)a.w * a.h * 3) == 0);
    unload(&a);
    unload(&b);
    free(bytes);

    const char *list = imp_test_cli_path(&io, "list.ffconcat");
    FILE *f = fopen(list, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f, "ffconcat version 1.0\nfile twin.mkv\n");
    fclose(f);
    CHECK(load(list, &a) && a.n == 10);
    unload(&a);
    /* FFmpeg picks the demuxer by content: the same list, or a playlist,
     * named as a video is refused before it opens what it names. */
    const struct {
        const char *name, *text, *why;
    } disguised[] = {
        {"list.mkv", "ffconcat version 1.0\nfile twin.mkv\n", "concat list"},
        {"clip.mp4", "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\ntwin.ts\n"
                     "#EXT-X-ENDLIST\n", "names another file"},
    };
    for (size_t i = 0; i < sizeof disguised / sizeof disguised[0]; i++) {
        const char *path = imp_test_cli_path(&io, disguised[i].name);
        FILE *g = fopen(path, "w");
        if (!CHECK(g != NULL))
            continue;
        fputs(disguised[i].text, g);
        fclose(g);
        r = NULL;
        err[0] = '\0';
        int opened = imp_video_reader_open(path, &r, err, sizeof err);
        if (!CHECK(opened != 0 && r == NULL && strstr(err, disguised[i].why) != NULL))
            printf("  %s: %s\n", disguised[i].name, opened ? err : "opened");
        imp_video_reader_close(r);
    }
    CHECK(imp_read_file(list, &bytes, &size) == 0);
    r = NULL;
    /* Named as the file: FFmpeg finds twin.mkv beside the name it is given. */
    int rc = imp_video_reader_open_memory(bytes, size, list, &r, err, sizeof err);
    if (rc == 0) { /* a demuxer may open lazily: then reading fails */
        rc = load_from(r, &a) && a.n > 0 ? 0 : -1;
        unload(&a);
    } else {
        printf("  refused: %s\n", err);
        CHECK(r == NULL);
    }
    CHECK(rc != 0);
    free(bytes);
}

/* ---- what the new file keeps -------------------------------------------------------- */

static void keeps_size_rotation_aspect_range_rate_and_audio(void)
{
    /* Odd size, 25 fps, 2 s, full-range pixels, 2:3 pixels, sine audio,
     * rotated 90 degrees by its display matrix (added by a stream copy). */
    const char *plain = imp_test_cli_path(&io, "plain.mp4"),
               *src = imp_test_cli_path(&io, "src.mp4"), *out = imp_test_cli_path(&io, "out.mp4");
    CHECK(make("-f lavfi -i testsrc2=size=162x98:rate=25 -f lavfi -i "
               "sine=frequency=440:sample_rate=44100 -t 2 -vf "
               "scale=161:97:out_range=full,setsar=2/3 -pix_fmt yuvj444p -c:v libx264 "
               "-c:a aac",
               plain));
    CHECK(imp_test_sh(&io,
                      "ffmpeg -nostdin -v error -y -i '%s' -c copy -metadata:s:v:0 rotate=90 '%s'",
                      plain, src) == 0);
    CHECK(video(src, out, "") == 0);
    CHECK(strstr(io.out, "video    ") != NULL);
    CHECK(no_leftovers());
    struct clip a, b;
    CHECK(load(src, &a));
    CHECK(load(out, &b));
    CHECK(a.n == 50 && b.n == a.n);
    CHECK(b.w == 161 && b.h == 97);
    CHECK(b.info.rotation == 90 && a.info.rotation == 90);
    CHECK(b.info.fps_num == 25 && b.info.fps_den == 1);
    CHECK(b.info.sar_num * 3 == b.info.sar_den * 2);
    CHECK(a.info.full_range == 1 && b.info.full_range == 1);
    CHECK(b.info.has_audio);
    for (int i = 0; i < a.n && i < b.n; i++)
        CHECK(fabs(a.seconds[i] - b.seconds[i]) < 1e-6);
    double dur_a = probe(src, "a:0", "duration"), dur_b = probe(out, "a:0", "duration");
    printf("  audio %.3f s -> %.3f s; video %.3f s\n", dur_a, dur_b,
           probe(out, "v:0", "duration"));
    CHECK(dur_a > 1.9 && fabs(dur_a - dur_b) < 0.03);
    CHECK(fabs(probe(out, "v:0", "duration") - 2.0) < 0.05);
    unload(&a);
    unload(&b);
}

static void keeps_variable_frame_rate_timestamps_at_a_lower_network_size(void)
{
    /* 30 fps with frames dropped in an irregular pattern: a VFR stream. */
    const char *src = imp_test_cli_path(&io, "vfr.mkv"),
               *out = imp_test_cli_path(&io, "vfr-out.mp4");
    CHECK(make("-f lavfi -i testsrc2=size=96x64:rate=30 -t 2 -vf "
               "select='not(eq(mod(n\\,5)\\,2))*not(eq(mod(n\\,7)\\,3))' -fps_mode vfr "
               "-c:v libx264",
               src));
    /* The network at a third of the size; the file keeps the source's. */
    CHECK(video(src, out, "--size 32") == 0);
    CHECK(strstr(io.out, "network at 48x32") != NULL);
    struct clip a, b;
    CHECK(load(src, &a) && load(out, &b));
    CHECK(b.w == 96 && b.h == 64);
    printf("  %d frames in, %d out\n", a.n, b.n);
    CHECK(a.n > 30 && a.n < 60 && b.n == a.n);
    int irregular = 0;
    for (int i = 0; i < a.n && i < b.n; i++) {
        CHECK(fabs(a.seconds[i] - b.seconds[i]) < 1e-3);
        if (i > 1 && fabs((a.seconds[i] - a.seconds[i - 1]) -
                          (a.seconds[i - 1] - a.seconds[i - 2])) > 1e-3)
            irregular++;
    }
    CHECK(irregular > 5); /* the source really is VFR */
    unload(&a);
    unload(&b);
}

static void copies_audio_the_container_holds_and_reencodes_the_rest(void)
{
    /* PCM cannot go into WebM: it becomes Opus, as long as it was. */
    const char *src = imp_test_cli_path(&io, "pcm.mkv"), *out = imp_test_cli_path(&io, "pcm.webm");
    CHECK(make("-f lavfi -i testsrc2=size=64x48:rate=20 -f lavfi -i "
               "sine=frequency=300:sample_rate=22050 -t 1.5 -c:v libx264 -c:a pcm_s16le",
               src));
    CHECK(video(src, out, "--crf 40") == 0);
    CHECK(strstr(io.out, "re-encoded") != NULL);
    struct clip b;
    CHECK(load(out, &b));
    CHECK(b.n == 30 && b.info.has_audio);
    CHECK(imp_test_sh(&io,
                      "ffprobe -v error -select_streams a:0 -show_entries stream=codec_name -of "
                      "default=nw=1:nk=1 '%s'",
                      out) == 0 &&
          strncmp(io.out, "opus", 4) == 0);
    /* WebM keeps the duration in the container, not the stream. */
    CHECK(imp_test_sh(&io,
                      "ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 '%s'",
                      out) == 0);
    double total = atof(io.out);
    printf("  webm lasts %.3f s\n", total);
    CHECK(fabs(total - 1.5) < 0.06);
    unload(&b);
    /* QuickTime holds PCM as it is. */
    CHECK(video(src, imp_test_cli_path(&io, "pcm.mov"), "") == 0);
    CHECK(strstr(io.out, "pcm_s16le (copied)") != NULL);
    CHECK(load(imp_test_cli_path(&io, "pcm.mov"), &b));
    CHECK(b.n == 30 && b.info.has_audio);
    unload(&b);
}

/* ---- stabilization ----------------------------------------------------------------- */

static double mean_abs_change(const struct clip *c)
{
    double sum = 0;
    size_t n = (size_t)c->w * c->h * 3;
    for (int i = 1; i < c->n; i++)
        for (size_t k = 0; k < n; k++)
            sum += abs((int)c->rgb[i][k] - (int)c->rgb[i - 1][k]);
    return sum / ((double)n * (c->n - 1));
}

static double psnr(const uint8_t *a, const uint8_t *b, size_t n)
{
    double se = 0;
    for (size_t k = 0; k < n; k++) {
        double d = (double)a[k] - b[k];
        se += d * d;
    }
    return se == 0 ? 99 : 10 * log10(255.0 * 255.0 / (se / (double)n));
}

static void stabilize_takes_out_flicker_of_a_static_scene(void)
{
    /* A still picture with fresh sensor noise on every frame; outputs are
     * lossless (FFV1) so only the pipeline is measured. */
    const char *src = imp_test_cli_path(&io, "static.mkv");
    CHECK(make("-f lavfi -i smptebars=size=128x96:rate=25 -t 2 -vf "
               "noise=alls=14:allf=t -c:v ffv1",
               src));
    CHECK(video(src, imp_test_cli_path(&io, "static-0.mkv"), "--codec ffv1 --stabilize 0") == 0);
    CHECK(video(src, imp_test_cli_path(&io, "static-1.mkv"), "--codec ffv1 --stabilize 1") == 0);
    struct clip in, off, on;
    CHECK(load(src, &in) && load(imp_test_cli_path(&io, "static-0.mkv"), &off) &&
          load(imp_test_cli_path(&io, "static-1.mkv"), &on));
    double f_in = mean_abs_change(&in), f_off = mean_abs_change(&off),
           f_on = mean_abs_change(&on);
    printf("  mean |frame-to-frame change|: source %.2f, per-frame %.2f, stabilized "
           "%.2f (%.1fx less)\n",
           f_in, f_off, f_on, f_off / f_on);
    CHECK(off.n == 50 && on.n == 50);
    CHECK(f_off > 1.0);            /* the network does flicker */
    CHECK(f_off >= 3.0 * f_on);    /* and stabilization takes it out */
    unload(&in);
    unload(&off);
    unload(&on);
}

static void stabilize_does_not_ghost_a_moving_scene(void)
{
    const char *src = imp_test_cli_path(&io, "moving.mkv");
    CHECK(make("-f lavfi -i testsrc2=size=128x96:rate=25 -t 2 -c:v ffv1", src));
    CHECK(video(src, imp_test_cli_path(&io, "moving-0.mkv"), "--codec ffv1 --stabilize 0") == 0);
    CHECK(video(src, imp_test_cli_path(&io, "moving-1.mkv"), "--codec ffv1 --stabilize 1") == 0);
    struct clip off, on;
    CHECK(load(imp_test_cli_path(&io, "moving-0.mkv"), &off) &&
          load(imp_test_cli_path(&io, "moving-1.mkv"), &on));
    CHECK(off.n == 50 && on.n == 50);
    double worst = 99, sum = 0;
    for (int i = 0; i < off.n && i < on.n; i++) {
        double p = psnr(on.rgb[i], off.rgb[i], (size_t)on.w * on.h * 3);
        worst = p < worst ? p : worst;
        sum += p;
    }
    printf("  PSNR against per-frame stylization: worst %.1f dB, mean %.1f dB\n", worst,
           sum / on.n);
    CHECK(worst >= 30.0);
    unload(&off);
    unload(&on);
}

static void scene_cuts_start_afresh_and_results_do_not_depend_on_timing(void)
{
    /* Two scenes back to back; three predictors twice over must give the
     * same bytes (the statistics follow frame order, not thread timing). */
    const char *src = imp_test_cli_path(&io, "cut.mkv");
    CHECK(make("-f lavfi -i testsrc2=size=96x64:rate=25:duration=1 -f lavfi -i "
               "smptebars=size=96x64:rate=25:duration=1 -filter_complex "
               "[0:v][1:v]concat=n=2:v=1[v] -map [v] -c:v ffv1",
               src));
    CHECK(video(src, imp_test_cli_path(&io, "cut-a.mkv"),
                "--codec ffv1 --predictors 3 --threads 3") == 0);
    CHECK(strstr(io.out, " 1 scene cuts") != NULL);
    CHECK(video(src, imp_test_cli_path(&io, "cut-b.mkv"),
                "--codec ffv1 --predictors 3 --threads 3") == 0);
    CHECK(video(src, imp_test_cli_path(&io, "cut-0.mkv"), "--codec ffv1 --stabilize 0") == 0);
    struct clip a, b, off;
    CHECK(load(imp_test_cli_path(&io, "cut-a.mkv"), &a) &&
          load(imp_test_cli_path(&io, "cut-b.mkv"), &b) &&
          load(imp_test_cli_path(&io, "cut-0.mkv"), &off));
    CHECK(a.n == 50 && b.n == 50 && off.n == 50);
    size_t n = (size_t)a.w * a.h * 3;
    int same = 0;
    for (int i = 0; i < a.n && i < b.n; i++)
        same += memcmp(a.rgb[i], b.rgb[i], n) == 0;
    CHECK(same == a.n);
    /* The first frame of the new scene is its own per-frame stylization. */
    if (a.n == 50 && off.n == 50)
        CHECK(psnr(a.rgb[25], off.rgb[25], n) > 45);
    unload(&a);
    unload(&b);
    unload(&off);
}

/* A network of fixed size (tests/data/styles/fixed32.onnx, 32x32) runs a
 * 96x64 video in tiles: those frames join the statistics chain too (their
 * tiles share the whole frame's smoothed statistics), so the result is
 * steady and, as for untiled frames, the same bytes whatever the thread
 * timing. */
static void tiled_frames_are_stabilized_and_independent_of_timing(void)
{
    static const char *fixed = IMP_SOURCE_DIR "/tests/data/styles/fixed32.onnx";
    const char *src = imp_test_cli_path(&io, "tiled.mkv");
    CHECK(make("-f lavfi -i smptebars=size=96x64:rate=25 -t 1.2 -vf noise=alls=14:allf=t "
               "-c:v ffv1",
               src));
    const char *outs[3] = {"tiled-0.mkv", "tiled-a.mkv", "tiled-b.mkv"};
    const char *more[3] = {"--stabilize 0", "--predictors 3 --threads 3",
                           "--predictors 3 --threads 3"};
    struct clip c[3];
    for (int i = 0; i < 3; i++) {
        char out[1024];
        snprintf(out, sizeof out, "%s", imp_test_cli_path(&io, outs[i]));
        CHECK(imp_test_sh(&io, "'%s' video '%s' -o '%s' --style '%s' -q --codec ffv1 %s",
                          imp_test_cli_binary, src, out, fixed, more[i]) == 0);
        CHECK(load(out, &c[i]));
    }
    CHECK(c[0].n == 30 && c[1].n == 30 && c[2].n == 30);
    size_t n = (size_t)c[1].w * c[1].h * 3;
    int same = 0;
    for (int i = 0; i < c[1].n && i < c[2].n; i++)
        same += memcmp(c[1].rgb[i], c[2].rgb[i], n) == 0;
    double f_off = mean_abs_change(&c[0]), f_on = mean_abs_change(&c[1]);
    printf("  tiled: mean |frame-to-frame change| per-frame %.2f, stabilized %.2f (%.1fx "
           "less); %d of %d frames identical across two runs\n",
           f_off, f_on, f_off / f_on, same, c[1].n);
    CHECK(same == c[1].n);
    CHECK(f_off >= 3.0 * f_on);
    for (int i = 0; i < 3; i++)
        unload(&c[i]);
}

/* ---- the style options of stylize ------------------------------------------------- */

/* Mean |difference| of the colour (R - G and B - G) of two frames. */
static double colour_distance(const uint8_t *a, const uint8_t *b, size_t pixels)
{
    double sum = 0;
    for (size_t i = 0; i < pixels; i++) {
        const uint8_t *p = a + i * 3, *q = b + i * 3;
        sum += fabs((double)(p[0] - p[1]) - (q[0] - q[1])) +
               fabs((double)(p[2] - p[1]) - (q[2] - q[1]));
    }
    return sum / (2.0 * (double)pixels);
}

static void takes_every_style_option_of_stylize(void)
{
    const char *src = imp_test_cli_path(&io, "opts.mkv");
    CHECK(make("-f lavfi -i testsrc2=size=96x64:rate=10 -t 1 -c:v ffv1", src));
    /* Full style, none (the network still runs), and colours kept. */
    CHECK(video(src, imp_test_cli_path(&io, "full.mkv"), "--codec ffv1 --stabilize 0") == 0);
    CHECK(video(src, imp_test_cli_path(&io, "none.mkv"),
                "--codec ffv1 --stabilize 0 --strength 0") == 0);
    CHECK(video(src, imp_test_cli_path(&io, "kept.mkv"),
                "--codec ffv1 --stabilize 0 --preserve-colors") == 0);
    /* A shipped style by name, from the models folder. */
    CHECK(imp_test_sh(&io, "mkdir -p '%s/models' && cp '%s' '%s/models/tiny.onnx'", io.dir, style,
                      io.dir) == 0);
    CHECK(imp_test_sh(&io, "IMPASTO_MODELS='%s/models' '%s' video '%s' -o '%s' --style tiny -q "
                      "--codec ffv1 --stabilize 0",
                      io.dir, imp_test_cli_binary, src, imp_test_cli_path(&io, "named.mkv")) == 0);
    CHECK(imp_test_sh(&io, "IMPASTO_MODELS='%s/models' '%s' video '%s' -o '%s' --style nosuch -q",
                      io.dir, imp_test_cli_binary, src, imp_test_cli_path(&io, "x.mkv")) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && strstr(io.err, "tiny"));
    struct clip in, full, none, kept, named;
    CHECK(load(src, &in) && load(imp_test_cli_path(&io, "full.mkv"), &full) &&
          load(imp_test_cli_path(&io, "none.mkv"), &none) &&
          load(imp_test_cli_path(&io, "kept.mkv"), &kept) &&
          load(imp_test_cli_path(&io, "named.mkv"), &named));
    CHECK(in.n == 10 && full.n == 10 && none.n == 10 && kept.n == 10 && named.n == 10);
    if (in.n == 10 && full.n == 10 && none.n == 10 && kept.n == 10 && named.n == 10) {
        size_t px = (size_t)in.w * in.h, n = px * 3;
        double p_full = psnr(full.rgb[5], in.rgb[5], n), p_none = psnr(none.rgb[5], in.rgb[5], n);
        double c_full = colour_distance(full.rgb[5], in.rgb[5], px),
               c_kept = colour_distance(kept.rgb[5], in.rgb[5], px);
        printf("  against the source: full style %.1f dB, strength 0 %.1f dB; colour "
               "difference %.1f, kept %.1f\n",
               p_full, p_none, c_full, c_kept);
        /* Strength 0 is the source, but for the output's 4:2:0 chroma. */
        CHECK(p_full < 25 && p_none > 30);
        /* The tiny network darkens so much that OKLab's colours of the
         * source leave the gamut and clip: kept moves them back only part
         * of the way. */
        CHECK(c_kept < 0.9 * c_full);
        CHECK(memcmp(kept.rgb[5], full.rgb[5], n) != 0);
        CHECK(memcmp(named.rgb[5], full.rgb[5], n) == 0);
    }
    unload(&in);
    unload(&full);
    unload(&none);
    unload(&kept);
    unload(&named);
    /* Magenta's arbitrary style from a style vector, when ../shared has it. */
    char dir[1024];
    if (imp_test_shared("models/style/magenta-arbitrary-tflite", dir, sizeof dir)) {
        CHECK(imp_test_sh(&io, "'%s' video '%s' -o '%s' -q --magenta '%s' --style-image "
                          "'%s/../shared/styles/wave.jpg' --save-style '%s'",
                          imp_test_cli_binary, src, imp_test_cli_path(&io, "wave.mkv"), dir,
                          IMP_SOURCE_DIR, imp_test_cli_path(&io, "wave.npy")) == 0);
        CHECK(imp_test_sh(&io, "'%s' video '%s' -o '%s' -q --magenta '%s' --style-vector '%s'",
                          imp_test_cli_binary, src, imp_test_cli_path(&io, "wave2.mkv"), dir,
                          imp_test_cli_path(&io, "wave.npy")) == 0 &&
              strstr(io.out, "magenta"));
        struct clip a;
        CHECK(load(imp_test_cli_path(&io, "wave2.mkv"), &a) && a.n == 10);
        unload(&a);
    }
    /* Magenta options that do not go together. */
    CHECK(video(src, imp_test_cli_path(&io, "x.mkv"), "--style-vector v.npy") == 2);
}

/* ---- interruption and bad input ---------------------------------------------------- */

static void ctrl_c_finishes_a_playable_file(void)
{
    const char *src = imp_test_cli_path(&io, "long.mp4"),
               *out = imp_test_cli_path(&io, "long-out.mp4");
    CHECK(make("-f lavfi -i testsrc2=size=320x240:rate=30 -t 20 -c:v libx264 -preset "
               "ultrafast",
               src));
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        execl(imp_test_cli_binary, imp_test_cli_binary, "video", src, "-o", out, "--style", style,
              "--threads", "1", (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    /* The first progress line means frames are flowing: interrupt then. */
    char buf[256];
    ssize_t got = read(pipefd[0], buf, sizeof buf);
    kill(pid, SIGINT);
    while (read(pipefd[0], buf, sizeof buf) > 0) {
    }
    close(pipefd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(got > 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 130);
    struct clip c;
    CHECK(load(out, &c));
    printf("  interrupted after %d of 600 frames\n", c.n);
    CHECK(c.n > 0 && c.n < 600);
    CHECK(no_leftovers());
    unload(&c);
}

static void bad_input_fails_with_one_line_and_no_file(void)
{
    const char *good = imp_test_cli_path(&io, "good.mp4"),
               *out = imp_test_cli_path(&io, "bad-out.mp4");
    CHECK(make("-f lavfi -i testsrc2=size=64x48:rate=10 -t 2 -c:v libx264", good));
    /* Truncated: the index (moov) of an mp4 comes last. */
    CHECK(imp_test_sh(&io, "head -c 3000 '%s' > '%s'", good, imp_test_cli_path(&io, "cut.mp4")) ==
          0);
    CHECK(video(imp_test_cli_path(&io, "cut.mp4"), out, "") == 1 &&
          imp_test_cli_one_error_line(&io, NULL));
    /* No video stream. */
    CHECK(make("-f lavfi -i sine=frequency=440 -t 1", imp_test_cli_path(&io, "audio.wav")));
    CHECK(video(imp_test_cli_path(&io, "audio.wav"), out, "") == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && strstr(io.err, "no video stream"));
    /* Not a video at all. */
    CHECK(imp_test_sh(&io, "head -c 5000 /dev/urandom > '%s'",
                      imp_test_cli_path(&io, "noise.mp4")) == 0);
    CHECK(video(imp_test_cli_path(&io, "noise.mp4"), out, "") == 1 &&
          imp_test_cli_one_error_line(&io, NULL));
    /* An encoder FFmpeg does not have, a container it does not know. */
    CHECK(video(good, out, "--codec nosuchcodec") == 1 && imp_test_cli_one_error_line(&io, NULL) &&
          strstr(io.err, "nosuchcodec"));
    CHECK(video(good, imp_test_cli_path(&io, "out.xyz"), "") == 1 &&
          imp_test_cli_one_error_line(&io, NULL));
    /* Nowhere to write. */
    CHECK(video(good, "/nonexistent-io.dir/out.mp4", "") == 1 &&
          imp_test_cli_one_error_line(&io, NULL));
    /* The output must not be the input. */
    CHECK(video(good, good, "") == 1 && imp_test_cli_one_error_line(&io, NULL));
    /* Usage mistakes. */
    CHECK(imp_test_sh(&io, "'%s' video '%s' --style '%s'", imp_test_cli_binary, good, style) == 2);
    CHECK(video(good, out, "--stabilize 2") == 2 && imp_test_has(io.err, "from 0 to 1"));
    CHECK(video(good, out, "--strength -1") == 2 && imp_test_has(io.err, "from 0 to 1"));
    CHECK(video(good, out, "--range 3") == 2 && imp_test_has(io.err, "1 or 255"));
    CHECK(video(good, out, "--size 0x0") == 2);
    CHECK(access(out, F_OK) != 0);
    CHECK(no_leftovers());
    CHECK(imp_test_sh(&io, "'%s' video --help", imp_test_cli_binary) == 0 &&
          strstr(io.out, "examples:"));
}

int main(void)
{
    if (access(imp_test_cli_binary, X_OK) != 0)
        imp_test_skip("the impasto program is not built");
    if (system("ffmpeg -version >/dev/null 2>&1") != 0 ||
        system("ffprobe -version >/dev/null 2>&1") != 0)
        imp_test_skip("the ffmpeg and ffprobe programs are not installed "
                      "(scripts/lib.sh imp_install_video_deps)");
    imp_video_quiet_logs();
    if (!imp_test_cli_open(&io, "imp_test_video_"))
        return 1;
    RUN(reader_writes_every_pixel_of_any_width);
    RUN(memory_reader_is_the_file_readers_twin_and_opens_nothing_else);
    RUN(keeps_size_rotation_aspect_range_rate_and_audio);
    RUN(keeps_variable_frame_rate_timestamps_at_a_lower_network_size);
    RUN(copies_audio_the_container_holds_and_reencodes_the_rest);
    RUN(stabilize_takes_out_flicker_of_a_static_scene);
    RUN(stabilize_does_not_ghost_a_moving_scene);
    RUN(scene_cuts_start_afresh_and_results_do_not_depend_on_timing);
    RUN(tiled_frames_are_stabilized_and_independent_of_timing);
    RUN(takes_every_style_option_of_stylize);
    RUN(ctrl_c_finishes_a_playable_file);
    RUN(bad_input_fails_with_one_line_and_no_file);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
