/*
 * The focus effect on video, on clips this test makes with ffmpeg: the
 * astronaut's person (cut out with the model's own refined mask) over a
 * moving test pattern, with a sine tone.
 *
 *   - `impasto focus IN.mp4 -o OUT.mp4` keeps every frame and the audio;
 *   - `--mask MATTE.mp4` writes the mask of every frame, as composited;
 *   - `--style-background` / `--style-person` paint one side, keep the other;
 *   - on a still person, the steadied mask flickers at least 2x less than
 *     every frame's own mask, measured on the full-resolution refined mask
 *     where the model hesitates;
 *   - when the person jumps sideways, the steadied mask is where the
 *     frame's own mask is in that same frame (no lag);
 *   - a still picture lets the network skip frames;
 *   - `impasto live --focus` writes the frames asked for, blurred, to a
 *     file and as YUV4MPEG2, and with --background replaced;
 *   - bad input fails with one line and leaves no file.
 *
 * Needs ../shared/models (the MediaPipe selfie model) and ffmpeg; skips
 * without them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "focus_measures.h"
#include "focus_stream.h"
#include "harness.h"
#include "image.h"
#include "impasto.h"
#include "video.h"

#define SIZE 512 /* the astronaut's size, and the clips' */
#define MODEL 256

static const char *photo_path = IMP_SOURCE_DIR "/assets/astronaut.png";
static char model_path[512];
static struct imp_test_cli io;
static struct imp_model *model;

static bool make(const char *args, const char *out)
{
    int rc = imp_test_sh(&io, "ffmpeg -nostdin -hide_banner -loglevel error -y %s '%s'", args,
                         out);
    if (rc != 0)
        printf("  ffmpeg %s failed: %s\n", args, io.err);
    return rc == 0;
}

/* Every frame of a clip. */
struct clip {
    int n, has_audio;
    uint8_t *rgb[64];
    double seconds[64]; /* each frame's timestamp */
};

static bool load(const char *path, struct clip *c)
{
    struct imp_video_reader *r = NULL;
    char err[512];
    memset(c, 0, sizeof *c);
    if (imp_video_reader_open(path, &r, err, sizeof err)) {
        printf("  %s\n", err);
        return false;
    }
    c->has_audio = imp_video_reader_info(r)->has_audio;
    bool ok = true;
    for (;;) {
        struct imp_video_frame f;
        int rc = imp_video_reader_next(r, &f, err, sizeof err);
        if (rc == 1 && c->n < 64 && f.width == SIZE && f.height == SIZE) {
            c->seconds[c->n] = f.seconds;
            c->rgb[c->n++] = f.rgb;
            f.rgb = NULL;
        } else if (rc != 0) {
            ok = false;
        }
        imp_video_frame_free(&f);
        if (rc != 1)
            break;
    }
    imp_video_reader_close(r);
    return ok;
}

static void unload(struct clip *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->rgb[i]);
    memset(c, 0, sizeof *c);
}

/* The stream's network: the selfie model on one predictor. */
static int segment(void *ctx, const float *input, float *mask, char *err, size_t err_size)
{
    struct imp_predictor *pred = ctx;
    struct imp_tensor_info t;
    const void *out = NULL;
    if (imp_predictor_set_input(pred, 0, input, sizeof *input * MODEL * MODEL * 3) != IMP_OK ||
        imp_predictor_run(pred) != IMP_OK || imp_predictor_output(pred, 0, &t, &out) != IMP_OK ||
        t.dtype != IMP_DTYPE_F32) {
        snprintf(err, err_size, "the model: %s", imp_predictor_last_error(pred));
        return -1;
    }
    memcpy(mask, out, sizeof *mask * MODEL * MODEL);
    return 0;
}

/* The full-resolution refined masks of every frame of the clip, through
 * the stream with these options (steadied or each frame's own). */
static uint8_t *masks_of(const struct clip *c, const struct imp_focus_stream_options *o,
                         long long *network_runs)
{
    struct imp_predictor *pred = NULL;
    struct imp_error e;
    uint8_t *masks = malloc((size_t)c->n * SIZE * SIZE), *out = malloc((size_t)SIZE * SIZE * 3);
    struct imp_focus_stream *s = NULL;
    if (!CHECK(masks && out) ||
        !CHECK(imp_predictor_init(model, NULL, &pred, &e) == IMP_OK))
        goto fail;
    s = imp_focus_stream_create(SIZE, SIZE, MODEL, MODEL, o, NULL, segment, pred);
    if (!CHECK(s))
        goto fail;
    char err[256];
    for (int i = 0; i < c->n; i++) {
        if (!CHECK(imp_focus_stream_frame(s, c->rgb[i], out, err, sizeof err) == 0))
            goto fail;
        memcpy(masks + (size_t)i * SIZE * SIZE, imp_focus_mask(imp_focus_stream_effect(s)),
               (size_t)SIZE * SIZE);
    }
    *network_runs = imp_focus_stream_counts(s).network_runs;
    imp_focus_stream_free(s);
    imp_predictor_free(pred);
    free(out);
    return masks;
fail:
    imp_focus_stream_free(s);
    imp_predictor_free(pred);
    free(out);
    free(masks);
    return NULL;
}

static struct imp_focus_stream_options per_frame(void)
{
    struct imp_focus_stream_options o = imp_focus_stream_options_default();
    o.smooth = 0;
    o.max_skip = 0;
    return o;
}

/* The person cut out of the astronaut with the refined mask focus writes,
 * as an RGBA picture for ffmpeg's overlay. */
static bool make_person(const char *path)
{
    const char *mask_path = imp_test_cli_path(&io, "mask.png");
    if (imp_test_cli_run(&io, "focus '%s' -o '%s' --mask '%s' --model '%s'", photo_path,
                         imp_test_cli_path(&io, "photo-focus.png"), mask_path,
                         model_path) != 0) {
        printf("  %s", io.err);
        return false;
    }
    struct imp_image photo = {0}, mask = {0};
    char err[256];
    bool ok = imp_image_load(photo_path, &photo, err, sizeof err) == 0 &&
              imp_image_load(mask_path, &mask, err, sizeof err) == 0 &&
              photo.width == SIZE && photo.height == SIZE && mask.width == SIZE;
    struct imp_image rgba = {SIZE, SIZE, 4, ok ? malloc((size_t)SIZE * SIZE * 4) : NULL};
    if (rgba.pixels) {
        for (size_t i = 0; i < (size_t)SIZE * SIZE; i++) {
            memcpy(rgba.pixels + i * 4, photo.pixels + i * 3, 3);
            rgba.pixels[i * 4 + 3] = mask.pixels[i * 3];
        }
        ok = imp_image_save(path, &rgba, 0, err, sizeof err) == 0;
    }
    if (!ok)
        printf("  %s\n", err);
    imp_image_free(&photo);
    imp_image_free(&mask);
    imp_image_free(&rgba);
    return ok;
}

/* The person over the pattern panning sideways, for 2 s at 25 fps, with
 * a tone; `overlay_x` places the person (an ffmpeg expression of n). */
static bool make_clip(const char *person, const char *overlay_x, const char *out)
{
    char args[2048];
    snprintf(args, sizeof args,
             "-f lavfi -i testsrc2=size=1024x%d:rate=25,crop=%d:%d:'t*60':0 -i '%s' "
             "-f lavfi -i sine=frequency=440:sample_rate=44100 -filter_complex "
             "\"[0][1]overlay=x='%s':y=0:eval=frame\" -t 2 -c:v libx264 -preset veryfast "
             "-crf 18 -pix_fmt yuv420p -c:a aac",
             SIZE, SIZE, SIZE, person, overlay_x);
    return make(args, out);
}

static const char *still_clip, *moving_clip;

static void focus_keeps_every_frame_and_the_audio(void)
{
    const char *out = imp_test_cli_path(&io, "focus.mp4");
    if (!CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s' --model '%s' --quiet", still_clip, out,
                                model_path) == 0)) {
        printf("  %s", io.err);
        return;
    }
    printf("  %s", io.out);
    struct clip in, got;
    if (CHECK(load(still_clip, &in)) && CHECK(load(out, &got))) {
        printf("  %d frames in, %d out; audio %d -> %d\n", in.n, got.n, in.has_audio,
               got.has_audio);
        CHECK(in.n == 50 && got.n == in.n);
        CHECK(in.has_audio && got.has_audio);
        /* The background was blurred: the output differs from the source
         * where the pattern is, on every frame. */
        double diff = 0;
        for (int i = 0; i < got.n && i < in.n; i++)
            for (size_t k = 0; k < (size_t)SIZE * 40 * 3; k++) /* the top rows */
                diff += fabs((double)got.rgb[i][k] - in.rgb[i][k]);
        diff /= (double)got.n * SIZE * 40 * 3;
        printf("  top rows (background): %.1f levels from the source\n", diff);
        CHECK(diff > 2.0);
    }
    unload(&in);
    unload(&got);
}

/* --mask on a video: a second video of the same frames and timestamps,
 * each frame the steadied mask that frame was composited with. On the
 * clip where the person jumps, so that a mask a frame early or late would
 * show; compared with the stream's own masks computed here, within what
 * the encoder changes. */
static void mask_video_holds_the_mask_of_each_frame(void)
{
    const char *out = imp_test_cli_path(&io, "moving-focus.mp4");
    const char *matte = imp_test_cli_path(&io, "moving-matte.mp4");
    if (!CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s' --mask '%s' --model '%s' --quiet",
                                moving_clip, out, matte, model_path) == 0)) {
        printf("  %s", io.err);
        return;
    }
    CHECK(imp_test_has(io.out, matte));
    struct clip in, got, m;
    struct imp_focus_stream_options steady = imp_focus_stream_options_default();
    long long runs = 0;
    uint8_t *want = NULL;
    if (CHECK(load(moving_clip, &in)) && CHECK(load(out, &got)) && CHECK(load(matte, &m)) &&
        CHECK(in.n == 50 && got.n == in.n && m.n == in.n) && CHECK(!m.has_audio) &&
        CHECK((want = masks_of(&in, &steady, &runs)) != NULL)) {
        size_t px = (size_t)SIZE * SIZE;
        int same_times = 1, grey = 1;
        double diff = 0, worst = 0, shifted = 0;
        size_t far = 0;
        for (int t = 0; t < m.n; t++) {
            same_times &= m.seconds[t] == got.seconds[t] && m.seconds[t] == in.seconds[t];
            double frame = 0, off = 0;
            for (size_t i = 0; i < px; i++) {
                const uint8_t *p = m.rgb[t] + i * 3;
                grey &= abs((int)p[0] - p[1]) <= 3 && abs((int)p[0] - p[2]) <= 3;
                int d = abs((int)p[0] - want[t * px + i]);
                frame += d;
                far += d > 32;
                /* The neighbouring frame's mask, for scale. */
                int u = t > 0 ? t - 1 : 1;
                off += abs((int)p[0] - want[u * px + i]);
            }
            diff += frame / (double)px;
            worst = frame / (double)px > worst ? frame / (double)px : worst;
            shifted = off / (double)px > shifted ? off / (double)px : shifted;
        }
        diff /= m.n;
        printf("  %d frames, %d masks; mask video off the composited mask by %.2f levels "
               "on average, %.2f on the worst frame, %.4f%% of pixels by more than 32; the "
               "neighbouring frame's mask is up to %.2f off\n",
               got.n, m.n, diff, worst, 100.0 * (double)far / ((double)px * m.n), shifted);
        CHECK(same_times);
        CHECK(grey);
        CHECK(diff < 1.5);
        CHECK(worst < 3.0);
        CHECK((double)far < 0.002 * (double)px * m.n);
        /* The jump moves the person by 32 pixels: a frame's mask against
         * its neighbour's is far worse than the encoder's error. */
        CHECK(shifted > 3 * worst);
    }
    free(want);
    unload(&in);
    unload(&got);
    unload(&m);
    /* Nothing half-written: a mask that cannot be written leaves neither
     * file. */
    const char *lost = imp_test_cli_path(&io, "lost.mp4");
    CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s' --mask '%s' --model '%s' --quiet",
                           moving_clip, lost, imp_test_cli_path(&io, "no-dir/matte.mp4"),
                           model_path) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "matte.mp4"));
    CHECK(access(lost, F_OK) != 0);
}

/* --style-background and --style-person on a video: on every frame the
 * side asked for is painted and the other is the source as it was, where
 * the mask (the --mask video of the same run) is sure of the side. The
 * tiny in-tree style network, on the first 10 frames of the still clip,
 * encoded at --crf 12. The kept side must be at least 38 dB from the
 * source on every frame: the frames' round trip from YUV 4:2:0 to RGB and
 * back alone costs about 42 dB on the test pattern's sharp coloured edges
 * (at --crf 0 too), where the photo path gives the exact bytes. The painted
 * side must be at least 10 levels (of 255) from the source on average. */
static void video_paints_one_side_and_keeps_the_other(void)
{
    char style[512];
    snprintf(style, sizeof style, "%s/tests/data/style/tiny_style.onnx", IMP_SOURCE_DIR);
    const char *clip = imp_test_cli_path(&io, "short.mp4");
    char args[1024];
    snprintf(args, sizeof args, "-i '%s' -frames:v 10 -c:v libx264 -preset veryfast -crf 12 "
             "-pix_fmt yuv420p -an", still_clip);
    if (!CHECK(make(args, clip)))
        return;
    static const char *const sides[2] = {"background", "person"};
    struct clip in;
    if (!CHECK(load(clip, &in)) || !CHECK(in.n == 10)) {
        unload(&in);
        return;
    }
    size_t px = (size_t)SIZE * SIZE;
    for (int side = 0; side < 2; side++) {
        const char *out = imp_test_cli_path(&io, side ? "paint-person.mp4" : "paint-bg.mp4");
        const char *matte = imp_test_cli_path(&io, side ? "paint-person-m.mp4"
                                                        : "paint-bg-m.mp4");
        if (!CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s' --mask '%s' --model '%s' "
                                    "--style-%s '%s' --crf 12 --quiet",
                                    clip, out, matte, model_path, sides[side], style) == 0)) {
            printf("  %s", io.err);
            continue;
        }
        struct clip got, m;
        if (CHECK(load(out, &got)) && CHECK(load(matte, &m)) &&
            CHECK(got.n == in.n && m.n == in.n)) {
            double worst_psnr = 1e9, change = 0;
            uint8_t *mask = malloc(px);
            for (int t = 0; mask && t < in.n; t++) {
                for (size_t i = 0; i < px; i++)
                    mask[i] = m.rgb[t][i * 3];
                uint8_t *bg = fm_core(mask, SIZE, SIZE, 0, 8, 2);
                uint8_t *fg = fm_core(mask, SIZE, SIZE, 247, 255, 2);
                const uint8_t *kept = side == 0 ? fg : bg, *painted = side == 0 ? bg : fg;
                double psnr = fm_psnr(got.rgb[t], in.rgb[t], kept, px), sum = 0;
                size_t k = 0;
                for (size_t i = 0; i < px; i++)
                    if (painted[i])
                        for (int c = 0; c < 3; c++, k++)
                            sum += fabs((double)got.rgb[t][i * 3 + c] - in.rgb[t][i * 3 + c]);
                worst_psnr = psnr < worst_psnr ? psnr : worst_psnr;
                change += k ? sum / (double)k : 0;
                free(bg);
                free(fg);
            }
            change /= in.n;
            printf("  --style-%s on %d frames: the other side at least %.1f dB from the "
                   "source, this side %.1f levels from it\n",
                   sides[side], in.n, worst_psnr, change);
            CHECK(worst_psnr >= 38.0);
            CHECK(change >= 10.0);
            free(mask);
        }
        unload(&got);
        unload(&m);
    }
    unload(&in);
}

/* Mean |m_t - m_(t-1)| (0..255) over the pixels where the frame's own
 * mask is not sure (neither 0 nor 255) on some frame: the rim. */
static double flicker(const uint8_t *masks, const uint8_t *band, int n)
{
    double sum = 0;
    size_t count = 0, px = (size_t)SIZE * SIZE;
    for (int t = 1; t < n; t++)
        for (size_t i = 0; i < px; i++)
            if (band[i]) {
                sum += abs((int)masks[t * px + i] - masks[(t - 1) * px + i]);
                count++;
            }
    return count ? sum / (double)count : 0;
}

static void steadied_mask_flickers_less_on_a_still_person(void)
{
    struct clip c;
    if (!CHECK(load(still_clip, &c)) || !CHECK(c.n >= 40)) {
        unload(&c);
        return;
    }
    struct imp_focus_stream_options own = per_frame();
    struct imp_focus_stream_options steady = imp_focus_stream_options_default();
    long long runs_own = 0, runs_steady = 0;
    uint8_t *a = masks_of(&c, &own, &runs_own), *b = masks_of(&c, &steady, &runs_steady);
    size_t px = (size_t)SIZE * SIZE, rim = 0;
    uint8_t *band = calloc(px, 1);
    if (a && b && band) {
        for (int t = 0; t < c.n; t++)
            for (size_t i = 0; i < px; i++)
                band[i] |= a[t * px + i] != 0 && a[t * px + i] != 255;
        for (size_t i = 0; i < px; i++)
            rim += band[i];
        double fa = flicker(a, band, c.n), fb = flicker(b, band, c.n);
        printf("  rim of %zu pixels: flicker %.3f levels per frame with each frame's own "
               "mask, %.3f steadied (%.1fx less); network on %lld and %lld of %d frames\n",
               rim, fa, fb, fa / fb, runs_own, runs_steady, c.n);
        CHECK(rim > 2000);
        CHECK(fa > 0.2);
        CHECK(fb * 2 <= fa);
        CHECK(runs_own == c.n);
    }
    free(a);
    free(b);
    free(band);
    unload(&c);
}

static void steadied_mask_follows_a_moved_person_in_the_same_frame(void)
{
    struct clip c;
    if (!CHECK(load(moving_clip, &c)) || !CHECK(c.n >= 40)) {
        unload(&c);
        return;
    }
    struct imp_focus_stream_options own = per_frame();
    struct imp_focus_stream_options steady = imp_focus_stream_options_default();
    long long runs;
    uint8_t *a = masks_of(&c, &own, &runs), *b = masks_of(&c, &steady, &runs);
    if (a && b) {
        /* The pixels the person entered or left between k-1 and k (by the
         * frame's own masks), and how many the steadied mask has on the
         * right side at frame k; with a lag of a frame it would have none. */
        size_t px = (size_t)SIZE * SIZE, moved = 0, right = 0;
        double lag = 0, step = 0;
        /* The jump (asked of ffmpeg at frame 25): the frame whose own mask
         * changed most. */
        int k = 1;
        size_t most = 0;
        for (int t = 1; t < c.n; t++) {
            size_t changed = 0;
            for (size_t i = 0; i < px; i++)
                changed += (a[(t - 1) * px + i] >= 128) != (a[t * px + i] >= 128);
            if (changed > most) {
                most = changed;
                k = t;
            }
        }
        const uint8_t *a0 = a + (k - 1) * px, *a1 = a + k * px, *b1 = b + k * px;
        for (size_t i = 0; i < px; i++) {
            if ((a0[i] >= 128) == (a1[i] >= 128))
                continue;
            moved++;
            /* On the same side, or within an eighth of the range of it. */
            right += (b1[i] >= 128) == (a1[i] >= 128) || abs((int)b1[i] - a1[i]) <= 32;
            lag += abs((int)b1[i] - a1[i]);
            step += abs((int)a1[i] - a0[i]);
        }
        printf("  %zu pixels changed side at the jump (frame %d); the steadied mask has %.1f%% of them "
               "right in the same frame, off by %.1f%% of the step\n",
               moved, k, 100.0 * (double)right / (double)(moved ? moved : 1),
               100.0 * lag / (step > 0 ? step : 1));
        CHECK(moved > 3000 && k >= 20 && k <= 30);
        CHECK(right >= 0.98 * (double)moved);
        CHECK(lag <= 0.1 * step);
    }
    free(a);
    free(b);
    unload(&c);
}

/* Energy of the horizontal steps over the top 40 rows (background there):
 * a blur spreads an edge over many small steps, so their squares add up to
 * far less. */
static double top_detail(const uint8_t *rgb)
{
    double sum = 0;
    for (int y = 0; y < 40; y++)
        for (int x = 0; x + 1 < SIZE; x++)
            for (int c = 0; c < 3; c++) {
                size_t i = ((size_t)y * SIZE + x) * 3 + c;
                double d = (double)rgb[i + 3] - rgb[i];
                sum += d * d;
            }
    return sum;
}

/* impasto live --focus without a style, on an endless test source (so
 * the frames asked for always come, however slow the machine): a file and
 * a YUV4MPEG2 stream of them, their background blurred (the pattern holds
 * no person, so all of it is background). */
static void live_focus_writes_blurred_frames(void)
{
    const char *out = imp_test_cli_path(&io, "live.mp4"), *y4m = imp_test_cli_path(&io, "live.y4m");
    const char *ref = imp_test_cli_path(&io, "pattern.png");
    const char *source = "lavfi:testsrc2=size=512x512:rate=25";
    if (!CHECK(make("-f lavfi -i testsrc2=size=512x512:rate=25 -frames:v 1", ref)) ||
        !CHECK(imp_test_cli_run(&io, "live --focus --focus-model '%s' --input %s --headless "
                                "--frames 10 -o '%s' --deadline 1000",
                                model_path, source, out) == 0)) {
        printf("  %s", io.err);
        return;
    }
    struct imp_image pattern = {0};
    struct clip got;
    char err[256];
    if (CHECK(imp_image_load(ref, &pattern, err, sizeof err) == 0) &&
        CHECK(pattern.width == SIZE && pattern.height == SIZE) && CHECK(load(out, &got)) &&
        CHECK(got.n == 10)) {
        double a = top_detail(pattern.pixels), b = top_detail(got.rgb[5]);
        printf("  background detail %.0f in the pattern, %.0f live with focus\n", a, b);
        CHECK(b * 4 < a);
    }
    imp_image_free(&pattern);
    unload(&got);
    CHECK(imp_test_sh(&io, "'%s' live --focus --focus-model '%s' --input %s --headless "
                      "--frames 4 -o - --deadline 1000 > '%s'",
                      imp_test_cli_binary, model_path, source, y4m) == 0);
    CHECK(imp_test_sh(&io, "head -c 19 '%s'", y4m) == 0);
    CHECK(imp_test_has(io.out, "YUV4MPEG2 W512 H512"));
    CHECK(imp_test_sh(&io, "grep -a -c FRAME '%s'", y4m) == 0);
    CHECK(atoi(io.out) == 4);
    /* Options that go with --focus only, and no effect at all: usage errors. */
    CHECK(imp_test_cli_run(&io, "live --blur 20 --input %s --headless -o '%s'", source, out) ==
          2);
    CHECK(imp_test_cli_one_error_line(&io, "--focus"));
}

/* impasto live --focus --background, headless on the endless test
 * pattern (no person in it: all of it is background): with a colour every
 * frame is that colour, with a picture every frame is the picture (of the
 * frame's size here, so scaled by 1); within what the encoder changes. */
static void live_focus_replaces_the_background(void)
{
    const char *out = imp_test_cli_path(&io, "live-bg.mp4");
    const char *source = "lavfi:testsrc2=size=512x512:rate=25";
    static const uint8_t colour[3] = {0x20, 0x80, 0xc0};
    struct clip got;
    if (!CHECK(imp_test_cli_run(&io, "live --focus --focus-model '%s' --background '#2080c0' "
                                "--input %s --headless --frames 6 -o '%s' --deadline 1000",
                                model_path, source, out) == 0)) {
        printf("  %s", io.err);
        return;
    }
    size_t px = (size_t)SIZE * SIZE;
    if (CHECK(load(out, &got)) && CHECK(got.n == 6)) {
        double diff = 0;
        size_t off = 0;
        for (int t = 0; t < got.n; t++)
            for (size_t i = 0; i < px; i++)
                for (int c = 0; c < 3; c++) {
                    int d = abs((int)got.rgb[t][i * 3 + c] - colour[c]);
                    diff += d;
                    off += d > 12;
                }
        diff /= (double)got.n * px * 3;
        printf("  --background '#2080c0': %.2f levels from the colour on average, %.3f%% of "
               "values more than 12 off\n",
               diff, 100.0 * (double)off / ((double)got.n * px * 3));
        CHECK(diff < 2.0);
        CHECK((double)off < 0.01 * (double)got.n * px * 3);
    }
    unload(&got);
    if (!CHECK(imp_test_cli_run(&io, "live --focus --focus-model '%s' --background '%s' "
                                "--input %s --headless --frames 4 -o '%s' --deadline 1000",
                                model_path, photo_path, source, out) == 0)) {
        printf("  %s", io.err);
        return;
    }
    struct imp_image photo = {0};
    char err[256];
    if (CHECK(load(out, &got)) && CHECK(got.n == 4) &&
        CHECK(imp_image_load(photo_path, &photo, err, sizeof err) == 0)) {
        uint8_t *all = malloc(px);
        memset(all, 1, px);
        double worst = 1e9;
        for (int t = 0; all && t < got.n; t++) {
            double p = fm_psnr(got.rgb[t], photo.pixels, all, px);
            worst = p < worst ? p : worst;
        }
        printf("  --background astronaut.png: every frame at least %.1f dB from the picture\n",
               worst);
        CHECK(worst >= 30.0);
        free(all);
    }
    imp_image_free(&photo);
    unload(&got);
    /* A colour that is none, and --background without --focus. */
    CHECK(imp_test_cli_run(&io, "live --focus --background '#12345' --input %s --headless "
                           "-o '%s'", source, out) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "#12345"));
    CHECK(imp_test_cli_run(&io, "live --background '#123456' --input %s --headless -o '%s'",
                           source, out) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "--focus"));
}

/* Bad input: one line, non-zero exit, and no output file (nor a temporary
 * one) left behind. */
static void bad_video_input_fails_with_one_line_and_no_file(void)
{
    const char *junk = imp_test_cli_path(&io, "junk.mp4"), *out = imp_test_cli_path(&io, "never.mp4");
    FILE *f = fopen(junk, "w");
    if (f) {
        fputs("not a video\n", f);
        fclose(f);
    }
    CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s' --model '%s' --quiet", junk, out,
                           model_path) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "junk.mp4"));
    /* A photo in, a video out; photo-only options on a video. */
    CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s'", photo_path, out) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "never.mp4"));
    CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s' --mask '%s'", still_clip, out,
                           imp_test_cli_path(&io, "m.png")) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "a video's mask is a video"));
    CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s' --mask '%s'", still_clip, out, out) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "mask"));
    CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s' --runs 3", still_clip, out) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "--runs"));
    CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s' --model '%s' --style-person x.onnx",
                           still_clip, out, model_path) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "x.onnx"));
    CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s' --style-person x.onnx --background "
                           "'#000000'", still_clip, out) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "--background"));
    /* The output is the input. */
    CHECK(imp_test_cli_run(&io, "focus '%s' -o '%s'", still_clip, still_clip) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "input"));
    CHECK(imp_test_sh(&io, "ls -A '%s' | grep -c never", io.dir) != 0 || atoi(io.out) == 0);
    CHECK(access(out, F_OK) != 0);
}

/* Frames that do not change let the network rest; its last mask serves. */
static void still_frames_skip_the_network(void)
{
    struct clip c;
    if (!CHECK(load(still_clip, &c)) || !CHECK(c.n >= 10)) {
        unload(&c);
        return;
    }
    /* The first frame ten times over, then a different one. */
    struct clip same = {.n = 11};
    for (int i = 0; i < 10; i++)
        same.rgb[i] = c.rgb[0];
    same.rgb[10] = c.rgb[9];
    struct imp_focus_stream_options o = imp_focus_stream_options_default();
    long long runs = 0;
    uint8_t *m = masks_of(&same, &o, &runs);
    printf("  network on %lld of 11 frames (at most %d skipped in a row)\n", runs, o.max_skip);
    /* Frames 0, 3, 6, 9 (a run of max_skip skipped after each), and 10. */
    CHECK(runs == 1 + 10 / (o.max_skip + 1) + 1);
    free(m);
    unload(&c);
}

int main(void)
{
    if (access(imp_test_cli_binary, X_OK) != 0)
        imp_test_skip("the impasto program is not built");
    if (!imp_test_shared("models/segmentation/mediapipe-selfie/selfie_segmentation.tflite",
                         model_path, sizeof model_path))
        imp_test_skip("../shared/models is absent");
    if (system("ffmpeg -version >/dev/null 2>&1") != 0)
        imp_test_skip("the ffmpeg program is not installed (scripts/lib.sh "
                      "imp_install_video_deps)");
    imp_video_quiet_logs();
    struct imp_error e;
    if (imp_model_load_file(model_path, &model, &e) != IMP_OK) {
        printf("%s\n", e.message);
        return 1;
    }
    if (!imp_test_cli_open(&io, "imp_test_focus_video_"))
        return 1;
    const char *person = imp_test_cli_path(&io, "person.png");
    still_clip = imp_test_cli_path(&io, "still.mp4");
    moving_clip = imp_test_cli_path(&io, "moving.mp4");
    if (CHECK(make_person(person)) && CHECK(make_clip(person, "0", still_clip)) &&
        CHECK(make_clip(person, "if(gte(n,25),32,0)", moving_clip))) {
        RUN(focus_keeps_every_frame_and_the_audio);
        RUN(mask_video_holds_the_mask_of_each_frame);
        RUN(video_paints_one_side_and_keeps_the_other);
        RUN(steadied_mask_flickers_less_on_a_still_person);
        RUN(steadied_mask_follows_a_moved_person_in_the_same_frame);
        RUN(still_frames_skip_the_network);
        RUN(live_focus_writes_blurred_frames);
        RUN(live_focus_replaces_the_background);
        RUN(bad_video_input_fails_with_one_line_and_no_file);
    }
    imp_test_cli_close(&io);
    imp_model_free(model);
    return imp_test_finish();
}
