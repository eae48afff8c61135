/*
 * impasto live without a camera: an FFmpeg test source played in real time,
 * headless into a file and as YUV4MPEG2 piped into ffmpeg, and in a window
 * under Xvfb whose screenshot must show the stylized picture. The style
 * network is the tiny fixture.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "harness.h"
#include "image.h"
#include "video.h"

static const char *style = IMP_SOURCE_DIR "/tests/data/style/tiny_style.onnx";
static const char *source = "lavfi:testsrc2=size=160x120:rate=30";
static struct imp_test_cli io;

/* Frame `index` of a video and the count of its frames. */
static int frame_of(const char *path, int index, struct imp_image *img)
{
    char err[512];
    struct imp_video_reader *r;
    if (imp_video_reader_open(path, &r, err, sizeof err)) {
        printf("  %s\n", err);
        return -1;
    }
    int n = 0;
    struct imp_video_frame f;
    while (imp_video_reader_next(r, &f, err, sizeof err) == 1) {
        if (n == index) {
            img->width = f.width;
            img->height = f.height;
            img->channels = 3;
            img->pixels = f.rgb;
            f.rgb = NULL;
        }
        n++;
        imp_video_frame_free(&f);
    }
    imp_video_frame_free(&f);
    imp_video_reader_close(r);
    return n;
}

static void mean_rgb(const uint8_t *px, int stride_w, int x0, int y0, int w, int h,
                     double m[3])
{
    m[0] = m[1] = m[2] = 0;
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++)
            for (int c = 0; c < 3; c++)
                m[c] += px[((size_t)y * stride_w + x) * 3 + c];
    for (int c = 0; c < 3; c++)
        m[c] /= (double)w * h;
}

static void headless_writes_the_frames_asked_for(void)
{
    const char *out = imp_test_cli_path(&io, "live.mp4");
    CHECK(imp_test_sh(&io, "'%s' live --style '%s' --input '%s' --headless --frames 45 -o '%s'",
                      imp_test_cli_binary, style, source, out) == 0);
    printf("  %s", io.err);
    CHECK(strstr(io.err, "45 frames") != NULL);
    struct imp_image img = {0};
    CHECK(frame_of(out, 0, &img) == 45);
    CHECK(img.width == 160 && img.height == 120);
    imp_image_free(&img);
    /* Real time: 45 frames of a 30 fps source take about 1.5 s. */
    double secs = 0;
    const char *in = strstr(io.err, " frames in ");
    if (in)
        secs = atof(in + 11);
    CHECK(secs > 1.2 && secs < 4);
}

/* --input -: a stream on standard input, not paced (so frames that come
 * while one is being painted may be dropped). */
static void reads_a_stream_on_standard_input(void)
{
    const char *out = imp_test_cli_path(&io, "from-stdin.mkv");
    CHECK(imp_test_sh(&io,
                      "ffmpeg -nostdin -v error -f lavfi -i %s -frames:v 12 -c:v ffv1 -f matroska - "
                      "| '%s' live --style '%s' --input - --headless -o '%s'",
                      source + 6, imp_test_cli_binary, style, out) == 0);
    struct imp_image img = {0};
    const int n = frame_of(out, 0, &img);
    printf("  %d of 12 frames painted\n", n);
    CHECK(n >= 1 && n <= 12);
    CHECK(img.width == 160 && img.height == 120);
    imp_image_free(&img);
}

static void y4m_pipes_into_ffmpeg(void)
{
    const char *out = imp_test_cli_path(&io, "piped.mkv");
    CHECK(imp_test_sh(&io,
                      "'%s' live --style '%s' --input '%s' --headless --frames 20 -o - | ffmpeg "
                      "-nostdin -v error -y -f yuv4mpegpipe -i - -c:v ffv1 '%s'",
                      imp_test_cli_binary, style, source, out) == 0);
    struct imp_image piped = {0}, direct = {0};
    CHECK(frame_of(out, 5, &piped) == 20);
    CHECK(piped.width == 160 && piped.height == 120);
    /* The same picture as the file output (up to 4:2:0 and rounding). */
    CHECK(frame_of(imp_test_cli_path(&io, "live.mp4"), 5, &direct) == 45);
    if (piped.pixels && direct.pixels) {
        double a[3], b[3];
        mean_rgb(piped.pixels, 160, 0, 0, 160, 120, a);
        mean_rgb(direct.pixels, 160, 0, 0, 160, 120, b);
        for (int c = 0; c < 3; c++)
            CHECK(fabs(a[c] - b[c]) < 8);
    }
    imp_image_free(&piped);
    imp_image_free(&direct);
}

static void window_under_xvfb_shows_the_stylized_picture(void)
{
    if (system("command -v xvfb-run >/dev/null && command -v import >/dev/null") != 0) {
        printf("  (skipped: xvfb-run or ImageMagick's import is missing)\n");
        return;
    }
    /* The window opens at the source's size in the middle of a 320x240
     * screen. Screenshots are taken every 0.4 s while it plays (a loaded
     * machine may take a while to show the first frame); one must show the
     * stylized picture. */
    /* (The X and GL client libraries SDL loads leak a few allocations of
     * their own at exit, from unloaded modules: leak detection is off for
     * this one run; the headless runs above keep it.) */
    CHECK(imp_test_sh(&io,
                      "cd '%s' && xvfb-run -a -s '-screen 0 320x240x24' sh -c \"ASAN_OPTIONS="
                      "detect_leaks=0 '%s' live --style '%s' --input '%s' --frames 120 & pid=\\$!; "
                      "i=0; while kill -0 \\$pid 2>/dev/null && [ \\$i -lt 20 ]; do sleep 0.4; "
                      "i=\\$((i+1)); import -window root shot-\\$i.png; done; wait \\$pid\"",
                      io.dir, imp_test_cli_binary, style, source) == 0);
    struct imp_image img = {0}, styled = {0}, plain = {0};
    char err[512];
    CHECK(frame_of(imp_test_cli_path(&io, "live.mp4"), 20, &styled) == 45);
    CHECK(imp_test_sh(&io, "ffmpeg -nostdin -v error -y -f lavfi -i %s -frames:v 1 '%s'",
                      source + 6, imp_test_cli_path(&io, "plain.png")) == 0);
    CHECK(imp_image_load(imp_test_cli_path(&io, "plain.png"), &plain, err, sizeof err) == 0);
    int shots = 0, matching = 0;
    double want[3] = {0, 0, 0}, src[3] = {0, 0, 0};
    if (styled.pixels && plain.pixels) {
        /* The left-hand colour bars are static in the test source. */
        mean_rgb(styled.pixels, 160, 0, 30, 100, 60, want);
        mean_rgb(plain.pixels, 160, 0, 30, 100, 60, src);
    }
    for (int i = 1; i <= 20; i++) {
        char name[32];
        snprintf(name, sizeof name, "shot-%d.png", i);
        if (imp_image_load(imp_test_cli_path(&io, name), &img, err, sizeof err) != 0)
            continue;
        shots++;
        if (img.width == 320 && img.height == 240) {
            double screen[3];
            mean_rgb(img.pixels, 320, 80, 90, 100, 60, screen);
            int ok = 1;
            for (int c = 0; c < 3; c++)
                ok &= fabs(screen[c] - want[c]) < 12;
            if (ok && !matching)
                printf("  screenshot %d: bars %.0f %.0f %.0f, stylized %.0f %.0f %.0f\n", i,
                       screen[0], screen[1], screen[2], want[0], want[1], want[2]);
            matching += ok;
        }
        imp_image_free(&img);
    }
    printf("  %d of %d screenshots show the stylized picture\n", matching, shots);
    CHECK(shots > 0 && matching > 0);
    /* ...which is not the unstylized source. */
    CHECK(fabs(src[0] - want[0]) + fabs(src[1] - want[1]) + fabs(src[2] - want[2]) > 40);
    imp_image_free(&img);
    imp_image_free(&styled);
    imp_image_free(&plain);
}

/* The line of the key-press log (from the script below) that follows
 * pressing `key` for the n-th time (n from 1), or NULL. */
static const char *after_key(const char *log, const char *key, int n)
{
    char want[64];
    snprintf(want, sizeof want, "\n%s|", key);
    const char *p = log;
    for (int i = 0; i < n; i++) {
        p = strstr(p, want);
        if (!p)
            return NULL;
        p += 1;
    }
    return p;
}

/* Whether the key's log line holds `what` (in the title or geometry). */
static bool line_has(const char *line, const char *what)
{
    if (!line)
        return false;
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
    bool ok = strstr(buf, what) != NULL;
    if (!ok)
        printf("  '%s' is not in: %s\n", what, buf);
    return ok;
}

/* The processing size in a log line's title (" - WxH"), or false. */
static void keys_drive_the_real_window(void)
{
    if (system("command -v xvfb-run >/dev/null && command -v xdotool >/dev/null") != 0) {
        printf("  (skipped: xvfb-run or xdotool is missing: scripts/lib.sh "
               "imp_install_video_deps)\n");
        return;
    }
    /* Real key presses (XTEST) into the window, as a user types them; after
     * each, the window's title (which shows everything the keys change)
     * and geometry go to the log. Three styles: the same network thrice. */
    FILE *f = fopen(imp_test_cli_path(&io, "keys.sh"), "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f,
            "cd '%s' || exit 9\n"
            "ASAN_OPTIONS=detect_leaks=0 '%s' live --style '%s' --style '%s' --style '%s' "
            "--input '%s' 2> live.err & pid=$!\n"
            "id=; for i in $(seq 150); do id=$(xdotool search --name '^impasto live - style' "
            "2>/dev/null | head -1); [ -n \"$id\" ] && break; sleep 0.2; done\n"
            "[ -n \"$id\" ] || { kill $pid; echo 'no window'; exit 3; }\n"
            "xdotool windowfocus --sync $id 2>/dev/null\n"
            "log() { echo \"$1|$(xdotool getwindowname $id)|$(xdotool getwindowgeometry $id "
            "| tr '\\n' ' ')\"; }\n"
            "press() { xdotool key \"$1\"; sleep 1.2; log \"$1\"; }\n"
            "sleep 1; echo; log start\n"
            "for k in n n p Right Left 3 1 minus minus plus Down Up c space space s r; do "
            "press $k; done\n"
            "sleep 1; press r; press f; press f\n"
            "xdotool key q; wait $pid; echo \"exit|$?\"\n",
            io.dir, imp_test_cli_binary, style, style, style, source);
    fclose(f);
    CHECK(imp_test_sh(&io, "rm -f '%s'/live-snapshot-*.png '%s'/live-*.mp4; xvfb-run -a -s "
                      "'-screen 0 320x240x24' sh '%s'",
                      io.dir, io.dir, imp_test_cli_path(&io, "keys.sh")) == 0);
    const char *log = io.out;
    printf("%s", log);
    CHECK(line_has(after_key(log, "start", 1), "style 1/3 - strength 1.0"));
    /* Styles: next, previous, arrows, digits. */
    CHECK(line_has(after_key(log, "n", 1), "style 2/3"));
    CHECK(line_has(after_key(log, "n", 2), "style 3/3"));
    CHECK(line_has(after_key(log, "p", 1), "style 2/3"));
    CHECK(line_has(after_key(log, "Right", 1), "style 3/3"));
    CHECK(line_has(after_key(log, "Left", 1), "style 2/3"));
    CHECK(line_has(after_key(log, "3", 1), "style 3/3"));
    CHECK(line_has(after_key(log, "1", 1), "style 1/3"));
    /* Strength: -, -, +, down, up. */
    CHECK(line_has(after_key(log, "minus", 1), "strength 0.9"));
    CHECK(line_has(after_key(log, "minus", 2), "strength 0.8"));
    CHECK(line_has(after_key(log, "plus", 1), "strength 0.9"));
    CHECK(line_has(after_key(log, "Down", 1), "strength 0.8"));
    CHECK(line_has(after_key(log, "Up", 1), "strength 0.9"));
    /* Colours kept, side by side on and off. */
    CHECK(line_has(after_key(log, "c", 1), "colours kept"));
    CHECK(line_has(after_key(log, "space", 1), "side by side"));
    const char *off = after_key(log, "space", 2);
    CHECK(off && !strstr(strchr(off, '|'), "side by side -") && line_has(off, "colours kept"));
    /* Recording on, then off. */
    CHECK(line_has(after_key(log, "r", 1), "REC"));
    const char *stopped = after_key(log, "r", 2);
    CHECK(stopped && line_has(stopped, "strength") && !strstr(strchr(stopped, '|'), "REC|"));
    /* Fullscreen on and off, as SDL sees the window (a bare Xvfb has no
     * window manager to make it fill the screen: the geometry stays). */
    CHECK(line_has(after_key(log, "f", 1), "- fullscreen|"));
    const char *windowed = after_key(log, "f", 2);
    CHECK(windowed && line_has(windowed, "strength") &&
          !strstr(strchr(windowed, '|'), "fullscreen|"));
    CHECK(imp_test_has(log, "exit|0"));
    /* The snapshot: a PNG of the size the program says it wrote, at most
     * the camera's (the processing size follows the machine's speed, so the
     * title logged after the key may already show another). */
    int w = 0, h = 0;
    static char said[1 << 16];
    char err[512];
    FILE *ef = fopen(imp_test_cli_path(&io, "live.err"), "r");
    if (CHECK(ef != NULL)) {
        said[fread(said, 1, sizeof said - 1, ef)] = '\0';
        fclose(ef);
    }
    const char *line = strstr(said, "snapshot live-snapshot-1.png (");
    CHECK(line && sscanf(strchr(line, '(') + 1, "%dx%d", &w, &h) == 2);
    CHECK(w > 0 && h > 0 && w <= 160 && h <= 120);
    struct imp_image img = {0};
    CHECK(imp_image_load(imp_test_cli_path(&io, "live-snapshot-1.png"), &img, err,
                         sizeof err) == 0);
    printf("  snapshot %dx%d (said %dx%d)\n", img.width, img.height, w, h);
    CHECK(img.width == w && img.height == h && w > 0);
    imp_image_free(&img);
    /* The recording plays: frames of the processing size. */
    int n = frame_of(imp_test_cli_path(&io, "live-1.mp4"), 0, &img);
    printf("  recording: %d frames of %dx%d\n", n, img.width, img.height);
    CHECK(n >= 5 && img.width > 0 && img.height > 0);
    imp_image_free(&img);
}

/* 8x8 block means of a 160x120 RGB picture: the y4m's 4:2:0 chroma blurs
 * the test network's fine texture, so pictures are compared by blocks. */
static void block_means(const uint8_t *px, double out[15][20][3])
{
    for (int by = 0; by < 15; by++)
        for (int bx = 0; bx < 20; bx++)
            mean_rgb(px, 160, bx * 8, by * 8, 8, 8, out[by][bx]);
}

static double block_distance(double a[15][20][3], double b[15][20][3])
{
    double d = 0;
    for (int by = 0; by < 15; by++)
        for (int bx = 0; bx < 20; bx++)
            for (int c = 0; c < 3; c++)
                d += fabs(a[by][bx][c] - b[by][bx][c]);
    return d / (15 * 20 * 3);
}

/* --strength with a conditional network: live moves its norm weights
 * towards the identity style as stylize does (the first frame, at the
 * source's size, against stylize's picture of it), not only a blend of the
 * full style with the camera picture. */
static void strength_mixes_the_norms_as_stylize_does(void)
{
    const char *waves = IMP_SOURCE_DIR "/tests/data/styles/cin/waves.onnx";
    const char *dir = io.dir;
    CHECK(imp_test_sh(&io, "'%s' live --style '%s' --strength 0.5 --stabilize 0 --input '%s' "
                      "--headless --frames 1 -o - > '%s/half.y4m'",
                      imp_test_cli_binary, waves, source, dir) == 0);
    CHECK(imp_test_sh(&io, "ffmpeg -nostdin -v error -y -f lavfi -i %s -frames:v 1 '%s/cam.png'",
                      source + 6, dir) == 0);
    CHECK(imp_test_cli_run(&io, "stylize '%s/cam.png' -o '%s/half.png' --style '%s' "
                           "--strength 0.5", dir, dir, waves) == 0);
    CHECK(imp_test_cli_run(&io, "stylize '%s/cam.png' -o '%s/full.png' --style '%s'", dir, dir,
                           waves) == 0);
    struct imp_image live = {0}, half = {0}, full = {0}, cam = {0};
    char err[512];
    if (CHECK(frame_of(imp_test_cli_path(&io, "half.y4m"), 0, &live) == 1) &&
        CHECK(imp_image_load(imp_test_cli_path(&io, "half.png"), &half, err, sizeof err) == 0) &&
        CHECK(imp_image_load(imp_test_cli_path(&io, "full.png"), &full, err, sizeof err) == 0) &&
        CHECK(imp_image_load(imp_test_cli_path(&io, "cam.png"), &cam, err, sizeof err) == 0) &&
        CHECK(live.width == 160 && live.height == 120 && half.width == 160 &&
              full.width == 160 && cam.width == 160)) {
        static double l[15][20][3], h[15][20][3], f[15][20][3], c[15][20][3];
        block_means(live.pixels, l);
        block_means(half.pixels, h);
        block_means(full.pixels, f);
        block_means(cam.pixels, c);
        /* what the blend alone would give: the full style blended with the
         * photo by the same weight, 1 - (1 - 0.5)^2 */
        for (int by = 0; by < 15; by++)
            for (int bx = 0; bx < 20; bx++)
                for (int k = 0; k < 3; k++)
                    f[by][bx][k] = 0.75 * f[by][bx][k] + 0.25 * c[by][bx][k];
        const double to_stylize = block_distance(l, h), to_blend = block_distance(l, f);
        printf("  live at strength 0.5: %.2f from stylize's, %.2f from a blend alone\n",
               to_stylize, to_blend);
        CHECK(to_stylize < 3 && to_blend > 4 * to_stylize);
    }
    imp_image_free(&live);
    imp_image_free(&half);
    imp_image_free(&full);
    imp_image_free(&cam);
}

static void missing_camera_or_display_fails_with_one_line(void)
{
    CHECK(imp_test_sh(&io, "'%s' live --style '%s' --camera /dev/nonexistent-camera",
                      imp_test_cli_binary, style) == 1);
    CHECK(strncmp(io.err, "impasto: /dev/nonexistent-camera: ", 34) == 0);
    CHECK(imp_test_sh(&io, "env -u DISPLAY -u WAYLAND_DISPLAY '%s' live --style '%s' --input '%s'",
                      imp_test_cli_binary, style, source) == 1);
    CHECK(strstr(io.err, "no display") != NULL);
    CHECK(imp_test_sh(&io,
                      "'%s' live --style '%s' --input '%s' --headless --virtual-camera "
                      "/dev/nonexistent-loopback",
                      imp_test_cli_binary, style, source) == 1);
    CHECK(imp_test_sh(&io, "'%s' live --style '%s' --headless", imp_test_cli_binary, style) == 2);
    /* The range checks video and stylize share (options.c). */
    CHECK(imp_test_sh(&io, "'%s' live --style '%s' --stabilize 1.5", imp_test_cli_binary,
                      style) == 2 &&
          imp_test_has(io.err, "from 0 to 1"));
    CHECK(imp_test_sh(&io, "'%s' live --style '%s' --range 2", imp_test_cli_binary, style) == 2 &&
          imp_test_has(io.err, "1 or 255"));
}

int main(void)
{
    if (access(imp_test_cli_binary, X_OK) != 0)
        imp_test_skip("the impasto program is not built");
    if (system("ffmpeg -version >/dev/null 2>&1") != 0)
        imp_test_skip("the ffmpeg program is not installed");
    imp_video_quiet_logs();
    if (!imp_test_cli_open(&io, "imp_test_live_"))
        return 1;
    RUN(headless_writes_the_frames_asked_for);
    RUN(reads_a_stream_on_standard_input);
    RUN(y4m_pipes_into_ffmpeg);
    RUN(window_under_xvfb_shows_the_stylized_picture);
    RUN(keys_drive_the_real_window);
    RUN(strength_mixes_the_norms_as_stylize_does);
    RUN(missing_camera_or_display_fails_with_one_line);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
