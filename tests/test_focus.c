/*
 * `impasto focus` end to end on the bundled astronaut photo with the
 * MediaPipe selfie model from ../shared/models (skips when absent): the
 * model sees what the reference statistics were computed on, the refined
 * mask's edges sit on the photo's edges better than a bilinear upscale of
 * the model's mask, the background loses its detail and the person keeps
 * it, the blurred background next to the person holds no person colour,
 * and bad input fails with one line and leaves no file behind.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "focus.h"
#include "focus_measures.h"
#include "cli_run.h"
#include "harness.h"
#include "image.h"
#include "resample.h"
#include "srgb.h"

static const char *photo_path = IMP_SOURCE_DIR "/assets/astronaut.png";
static char model_path[512];
static struct imp_test_cli io;
static struct imp_image photo;
static float *model_mask; /* the model's own 256x256 output on the astronaut */

/* Runs the CLI with these arguments. Returns the exit code. */
static int run(const char *args)
{
    return imp_test_cli_run(&io, "%s", args);
}

/* The one-line error the last run printed, or "" (and a failed check)
 * when it printed anything else. */
static const char *last_error(void)
{
    return CHECK(imp_test_cli_one_error_line(&io, NULL)) ? io.err : "";
}

/* Files in the folder other than the captured stdout and stderr and the
 * names given (NULL-ended). */
static int stray_files(const char *const *expected)
{
    DIR *d = opendir(io.dir);
    int stray = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        /* Temporary files (".name.XXXXXX") count: none may be left. */
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, "stdout") == 0 ||
            strcmp(e->d_name, "stderr") == 0)
            continue;
        int known = 0;
        for (int i = 0; expected && expected[i]; i++)
            known |= strcmp(e->d_name, expected[i]) == 0;
        if (!known) {
            printf("  stray file %s\n", e->d_name);
            stray++;
        }
    }
    if (d)
        closedir(d);
    return stray;
}

/* What the model says on the focus pipeline's own input: the reference
 * statistics in ../shared/models/README.md (the astronaut 2x2-mean pooled
 * to 256x256). */
static void model_input_matches_reference_statistics(void)
{
    struct imp_focus *f = imp_focus_create(512, 512, 256, 256, NULL, NULL);
    struct imp_model *m = NULL;
    struct imp_error err;
    float *input = malloc(sizeof *input * 256 * 256 * 3);
    if (!CHECK(f && input) ||
        !CHECK(imp_model_load_file(model_path, &m, &err) == IMP_OK))
        goto done;
    imp_focus_prepare(f, photo.pixels, input);
    size_t count = 0;
    enum imp_status st;
    model_mask = imp_test_run_once(m, NULL, input, sizeof *input * 256 * 256 * 3, &count,
                                   &st);
    if (!CHECK(model_mask && count == 256 * 256))
        goto done;
    double sum = 0;
    size_t above = 0;
    for (size_t i = 0; i < count; i++) {
        sum += model_mask[i];
        above += model_mask[i] > 0.5f;
    }
    CHECK_NEAR(sum / (double)count, 0.5443, 0.002);
    CHECK_NEAR((double)above / (double)count, 0.5450, 0.002);
    CHECK(model_mask[10 * 256 + 10] < 0.01f && model_mask[128 * 256 + 128] > 0.99f);
done:
    imp_model_free(m);
    imp_focus_free(f);
    free(input);
}

/* The disc average, in linear light, of the photo's pixels that the mask
 * calls background (highlights boosted as the effect does): what the
 * background should look like, computed directly. */
static void background_only_blur(const uint8_t *mask, size_t i, float radius,
                                 const struct imp_srgb *t, const float *boost,
                                 int use_all, uint8_t out[3])
{
    int w = photo.width, h = photo.height, x = (int)(i % (size_t)w), y = (int)(i / (size_t)w);
    int r = (int)radius;
    double sum[3] = {0, 0, 0}, weight = 0;
    for (int v = y - r; v <= y + r; v++)
        for (int u = x - r; u <= x + r; u++) {
            if (u < 0 || v < 0 || u >= w || v >= h ||
                (double)(u - x) * (u - x) + (double)(v - y) * (v - y) >
                    (radius + 0.5) * (radius + 0.5))
                continue;
            size_t j = (size_t)v * w + u;
            if (!use_all && mask[j] != 0)
                continue;
            const uint8_t *p = photo.pixels + j * 3;
            int top = p[0] > p[1] ? p[0] : p[1];
            top = top > p[2] ? top : p[2];
            for (int c = 0; c < 3; c++)
                sum[c] += boost[top] * t->to_linear[p[c]];
            weight += 1;
        }
    for (int c = 0; c < 3; c++)
        out[c] = imp_srgb_encode(t, (float)(sum[c] / weight));
}

static void focus_blurs_the_background_and_keeps_the_person(void)
{
    char args[2048], out_path[256], mask_path[256];
    snprintf(out_path, sizeof out_path, "%s/focus.png", io.dir);
    snprintf(mask_path, sizeof mask_path, "%s/mask.png", io.dir);
    snprintf(args, sizeof args, "focus '%s' -o '%s' --mask '%s' --model '%s'", photo_path,
             out_path, mask_path, model_path);
    if (!CHECK(run(args) == 0))
        return;
    struct imp_image out, mask;
    char err[256];
    if (!CHECK(imp_image_load(out_path, &out, err, sizeof err) == 0))
        return;
    if (!CHECK(imp_image_load(mask_path, &mask, err, sizeof err) == 0)) {
        imp_image_free(&out);
        return;
    }
    int w = photo.width, h = photo.height;
    size_t n = (size_t)w * h;
    CHECK(out.width == w && out.height == h && mask.width == w && mask.height == h);
    uint8_t *m = malloc(n);
    float *refined = calloc(n, sizeof *refined), *upscaled = calloc(n, sizeof *upscaled);
    size_t person = 0;
    for (size_t i = 0; i < n; i++) {
        m[i] = mask.pixels[i * 3]; /* loaded as RGB */
        refined[i] = m[i] / 255.0f;
        person += m[i] >= 128;
    }
    /* The refined mask covers what the model found. */
    CHECK_NEAR((double)person / (double)n, 0.5450, 0.04);

    /* Edges: the refined mask's change sits on stronger photo edges than
     * a bilinear upscale of the model's mask does. */
    if (model_mask) {
        imp_resample_f32(model_mask, 256, 256, 1, upscaled, w, h);
        double a_ref = fm_edge_alignment(refined, photo.pixels, w, h);
        double a_bil = fm_edge_alignment(upscaled, photo.pixels, w, h);
        printf("  edge alignment: refined %.3f, bilinear upscale %.3f\n", a_ref, a_bil);
        CHECK(a_ref > 1.15 * a_bil);
    }

    /* Detail: gone from the background, kept on the person, where the
     * model (not our refinement) says so, 4 pixels in from its edge. */
    uint8_t *model8 = calloc(n, 1);
    for (size_t i = 0; i < n; i++)
        model8[i] = model_mask ? (uint8_t)(upscaled[i] * 255.0f + 0.5f) : m[i];
    uint8_t *bg = fm_core(model8, w, h, 0, 127, 4), *fg = fm_core(model8, w, h, 128, 255, 4);
    free(model8);
    double hf_in = fm_hf_energy(photo.pixels, bg, w, h);
    double hf_out = fm_hf_energy(out.pixels, bg, w, h);
    double psnr = fm_psnr(out.pixels, photo.pixels, fg, n);
    printf("  background detail %.1f -> %.1f (%.1fx less); person %.1f dB\n", hf_in, hf_out,
           hf_in / hf_out, psnr);
    CHECK(hf_out * 4 <= hf_in);
    CHECK(psnr >= 40.0);

    /* Halo: just outside the edge band (pixels the refined mask calls
     * background, within 12 px of the person), the output against the background-only blur computed
     * directly, and against a blur of everything (which smears the person
     * outwards): the first must be close, and much closer than the second. */
    struct imp_srgb *t = malloc(sizeof *t);
    imp_srgb_init(t);
    float boost[256];
    float *is_bg = malloc(sizeof *is_bg * n), *near = malloc(sizeof *near * n);
    float col[512];
    for (size_t i = 0; i < n; i++)
        is_bg[i] = m[i] == 0;
    imp_box_mean(is_bg, near, w, h, 12, col);
    const float radius = 0.02f * 512; /* the default blur */
    double diff_ok = 0, diff_naive = 0;
    size_t ring = 0;
    for (int v = 0; v < 256; v++) {
        /* The effect's default: clipped light 3x, from linear 0.9 up. */
        double s = fmin(1.0, fmax(0.0, (t->to_linear[v] - 0.9) / 0.1));
        boost[v] = (float)(1.0 + 2.0 * s * s * (3.0 - 2.0 * s));
    }
    for (size_t i = 0; i < n; i += 3) {
        if (m[i] != 0 || near[i] > 0.97f) /* only background near the person */
            continue;
        uint8_t good[3], naive[3];
        background_only_blur(m, i, radius, t, boost, 0, good);
        background_only_blur(m, i, radius, t, boost, 1, naive);
        for (int c = 0; c < 3; c++) {
            diff_ok += fabs((double)out.pixels[i * 3 + c] - good[c]);
            diff_naive += fabs((double)out.pixels[i * 3 + c] - naive[c]);
        }
        ring += 3;
    }
    diff_ok /= (double)ring;
    diff_naive /= (double)ring;
    printf("  next to the person (%zu samples): %.2f levels from the background-only "
           "blur, %.2f from a blur of everything\n",
           ring / 3, diff_ok, diff_naive);
    CHECK(ring > 1000);
    CHECK(diff_ok < 2.0);
    CHECK(diff_naive > 3 * diff_ok);

    free(t);
    free(is_bg);
    free(near);
    free(bg);
    free(fg);
    free(m);
    free(refined);
    free(upscaled);
    imp_image_free(&out);
    imp_image_free(&mask);
}

static void focus_replaces_the_background(void)
{
    char args[2048], out_path[256], mask_path[256], bg_path[256];
    snprintf(out_path, sizeof out_path, "%s/green.png", io.dir);
    snprintf(mask_path, sizeof mask_path, "%s/green-mask.png", io.dir);
    snprintf(args, sizeof args,
             "focus '%s' -o '%s' --mask '%s' --model '%s' --background '#00B140'",
             photo_path, out_path, mask_path, model_path);
    struct imp_image out = {0}, mask = {0};
    char err[256];
    if (!CHECK(run(args) == 0) ||
        !CHECK(imp_image_load(out_path, &out, err, sizeof err) == 0) ||
        !CHECK(imp_image_load(mask_path, &mask, err, sizeof err) == 0))
        goto done;
    size_t n = (size_t)out.width * out.height, wrong_bg = 0, wrong_fg = 0, bg = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *o = out.pixels + i * 3, *p = photo.pixels + i * 3;
        if (mask.pixels[i * 3] == 0) {
            bg++;
            wrong_bg += o[0] != 0x00 || o[1] != 0xB1 || o[2] != 0x40;
        } else if (mask.pixels[i * 3] == 255) {
            wrong_fg += memcmp(o, p, 3) != 0;
        }
    }
    CHECK(bg > n / 4 && wrong_bg == 0 && wrong_fg == 0);
    /* A picture as the background: scaled to cover, so a 64x32 picture
     * with a left-dark, right-light split shows dark at the left edge. */
    struct imp_image pic = {64, 32, 3, malloc(64 * 32 * 3)};
    for (int i = 0; i < 64 * 32; i++)
        memset(pic.pixels + i * 3, i % 64 < 32 ? 10 : 240, 3);
    snprintf(bg_path, sizeof bg_path, "%s/backdrop.png", io.dir);
    imp_image_free(&out);
    if (CHECK(imp_image_save_png(bg_path, &pic, err, sizeof err) == 0)) {
        snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s' --background '%s'",
                 photo_path, out_path, model_path, bg_path);
        if (CHECK(run(args) == 0) &&
            CHECK(imp_image_load(out_path, &out, err, sizeof err) == 0)) {
            CHECK(out.pixels[(20 * 512 + 5) * 3] == 10);    /* top left: background */
            CHECK(out.pixels[(20 * 512 + 506) * 3] == 240); /* top right */
        }
    }
    imp_image_free(&pic);
done:
    imp_image_free(&out);
    imp_image_free(&mask);
}

/* JPEG output by the name, at the quality asked for: the same picture as
 * the PNG within JPEG's loss, and a lower quality makes a smaller file. */
static void focus_writes_jpeg(void)
{
    char args[2048], png_path[256], jpg_path[256], low_path[256];
    snprintf(png_path, sizeof png_path, "%s/focus.png", io.dir);
    snprintf(jpg_path, sizeof jpg_path, "%s/focus.jpg", io.dir);
    snprintf(low_path, sizeof low_path, "%s/focus-low.JPEG", io.dir);
    snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s' --quality 95", photo_path,
             jpg_path, model_path);
    if (!CHECK(run(args) == 0))
        return;
    snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s' -q 40", photo_path, low_path,
             model_path);
    if (!CHECK(run(args) == 0))
        return;
    struct imp_image png = {0}, jpg = {0};
    char err[256];
    if (CHECK(imp_image_load(png_path, &png, err, sizeof err) == 0) &&
        CHECK(imp_image_load(jpg_path, &jpg, err, sizeof err) == 0) &&
        CHECK(png.width == jpg.width && png.height == jpg.height)) {
        size_t n = (size_t)png.width * png.height;
        uint8_t *all = malloc(n);
        if (all)
            memset(all, 1, n);
        double psnr = all ? fm_psnr(jpg.pixels, png.pixels, all, n) : 0;
        free(all);
        printf("  JPEG (quality 95) against the PNG: %.1f dB\n", psnr);
        CHECK(psnr > 35.0);
    }
    FILE *a = fopen(jpg_path, "rb"), *b = fopen(low_path, "rb");
    if (CHECK(a && b)) {
        fseek(a, 0, SEEK_END);
        fseek(b, 0, SEEK_END);
        printf("  quality 95: %ld bytes, quality 40: %ld bytes\n", ftell(a), ftell(b));
        CHECK(ftell(b) < ftell(a));
    }
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    imp_image_free(&png);
    imp_image_free(&jpg);
}

/* Mean absolute difference per channel over a region. */
static double mean_diff(const uint8_t *a, const uint8_t *b, const uint8_t *region, size_t n)
{
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (region[i]) {
            for (int c = 0; c < 3; c++)
                sum += fabs((double)a[i * 3 + c] - b[i * 3 + c]);
            k += 3;
        }
    return k ? sum / (double)k : 0;
}

/* --style-background and --style-person: the side asked for is painted,
 * the other is the photo as it was (where the refined mask is sure). */
static void focus_stylizes_one_side(void)
{
    char style[512];
    if (!imp_test_shared("models/style/johnson-instancenorm-onnx/candy.onnx", style,
                         sizeof style))
        snprintf(style, sizeof style, "%s/tests/data/style/tiny_style.onnx", IMP_SOURCE_DIR);
    static const char *const sides[2] = {"background", "person"};
    for (int side = 0; side < 2; side++) {
        char args[4096], out_path[256], mask_path[256];
        snprintf(out_path, sizeof out_path, "%s/style-%s.png", io.dir, sides[side]);
        snprintf(mask_path, sizeof mask_path, "%s/style-%s-mask.png", io.dir, sides[side]);
        snprintf(args, sizeof args, "focus '%s' -o '%s' --mask '%s' --model '%s' --style-%s '%s'",
                 photo_path, out_path, mask_path, model_path, sides[side], style);
        if (!CHECK(run(args) == 0))
            continue;
        struct imp_image out = {0}, mask = {0};
        char err[256];
        if (CHECK(imp_image_load(out_path, &out, err, sizeof err) == 0) &&
            CHECK(imp_image_load(mask_path, &mask, err, sizeof err) == 0) &&
            CHECK(out.width == photo.width && mask.width == photo.width)) {
            size_t n = (size_t)photo.width * photo.height;
            uint8_t *m = malloc(n);
            for (size_t i = 0; m && i < n; i++)
                m[i] = mask.pixels[i * 3];
            /* Where the refined mask is sure of a side, 2 px in. */
            uint8_t *bg = m ? fm_core(m, photo.width, photo.height, 0, 0, 2) : NULL;
            uint8_t *fg = m ? fm_core(m, photo.width, photo.height, 255, 255, 2) : NULL;
            if (CHECK(bg && fg)) {
                const uint8_t *kept = side == 0 ? fg : bg, *painted = side == 0 ? bg : fg;
                double psnr = fm_psnr(out.pixels, photo.pixels, kept, n);
                double change = mean_diff(out.pixels, photo.pixels, painted, n);
                printf("  --style-%s: the other side %.1f dB from the photo, this side %.1f "
                       "levels from it\n",
                       sides[side], psnr, change);
                CHECK(psnr >= 40.0);
                CHECK(change >= 10.0);
            }
            free(m);
            free(bg);
            free(fg);
        }
        imp_image_free(&out);
        imp_image_free(&mask);
    }
}

static void bad_input_fails_with_one_line_and_no_file(void)
{
    char args[4096], junk[256], out_path[256];
    snprintf(junk, sizeof junk, "%s/junk.png", io.dir);
    snprintf(out_path, sizeof out_path, "%s/never.png", io.dir);
    const char *const keep[] = {"junk.png", NULL};
    char cleanup[256];
    snprintf(cleanup, sizeof cleanup, "cd '%s' && rm -f -- *.png *.jpg *.JPEG",
             io.dir);
    if (system(cleanup) != 0)
        printf("  note: cleanup failed\n");
    FILE *f = fopen(junk, "w");
    if (f) {
        fputs("not a picture\n", f);
        fclose(f);
    }

    /* An unreadable photo. */
    snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s'", junk, out_path, model_path);
    CHECK(run(args) == 1);
    CHECK(strstr(last_error(), "junk.png") != NULL);
    /* A colour that is not one. */
    snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s' --background '#12G456'",
             photo_path, out_path, model_path);
    CHECK(run(args) == 2);
    CHECK(strstr(last_error(), "#12G456") != NULL);
    /* A model that is not there. */
    snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s/none.tflite'", photo_path, out_path,
             io.dir);
    CHECK(run(args) == 1);
    CHECK(strstr(last_error(), "none.tflite") != NULL);
    /* A model that is not a segmentation model (a picture is no model). */
    snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s'", photo_path, out_path,
             junk);
    CHECK(run(args) == 1);
    last_error();
    /* A background picture that cannot be read. */
    snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s' --background '%s'",
             photo_path, out_path, model_path, junk);
    CHECK(run(args) == 1);
    last_error();
    /* A style that is no model, a style name that is none. */
    snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s' --style-background '%s'",
             photo_path, out_path, model_path, junk);
    CHECK(run(args) == 1);
    CHECK(strstr(last_error(), "junk.png") != NULL);
    snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s' --style-person no-such-style",
             photo_path, out_path, model_path);
    CHECK(run(args) == 1);
    CHECK(strstr(last_error(), "no-such-style") != NULL);
    /* A folder that does not exist, for the mask written second: neither
     * file may appear. */
    snprintf(args, sizeof args, "focus '%s' -o '%s' --mask '%s/no/such/mask.png' --model '%s'",
             photo_path, out_path, io.dir, model_path);
    CHECK(run(args) == 1);
    last_error();
    /* A folder that does not exist for the picture, with the mask fine. */
    snprintf(args, sizeof args, "focus '%s' -o '%s/no/such/out.jpg' --mask '%s/m.png' "
             "--model '%s'", photo_path, io.dir, io.dir, model_path);
    CHECK(run(args) == 1);
    CHECK(strstr(last_error(), "out.jpg") != NULL);
    /* No blur radius below 0; no output name that is neither PNG nor JPEG;
     * no JPEG quality out of range. */
    snprintf(args, sizeof args, "focus '%s' -o '%s' --blur -3", photo_path, out_path);
    CHECK(run(args) == 2);
    last_error();
    snprintf(args, sizeof args, "focus '%s' -o '%s/out.gif'", photo_path, io.dir);
    CHECK(run(args) == 2);
    CHECK(strstr(last_error(), "out.gif") != NULL);
    snprintf(args, sizeof args, "focus '%s' -o '%s/out.jpg' --quality 101", photo_path,
             io.dir);
    CHECK(run(args) == 2);
    last_error();
    CHECK(stray_files(keep) == 0);
}

static void help_teaches_with_examples(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' focus --help | grep -q 'impasto focus me.jpg'",
             imp_test_cli_binary);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    if (access(imp_test_cli_binary, X_OK) != 0)
        imp_test_skip("the impasto program is not built (IMP_BUILD_APPS=OFF)");
    if (!imp_test_shared("models/segmentation/mediapipe-selfie/selfie_segmentation.tflite",
                         model_path, sizeof model_path))
        imp_test_skip("../shared/models is absent");
    char err[256];
    if (imp_image_load(photo_path, &photo, err, sizeof err) != 0) {
        printf("%s\n", err);
        return 1;
    }
    if (!imp_test_cli_open(&io, "imp_test_focus_"))
        return 1;
    RUN(model_input_matches_reference_statistics);
    RUN(focus_blurs_the_background_and_keeps_the_person);
    RUN(focus_replaces_the_background);
    RUN(focus_writes_jpeg);
    RUN(focus_stylizes_one_side);
    RUN(bad_input_fails_with_one_line_and_no_file);
    RUN(help_teaches_with_examples);
    imp_test_cli_close(&io);
    free(model_mask);
    imp_image_free(&photo);
    return imp_test_finish();
}
