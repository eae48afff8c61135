/*
 * The main job end to end: `impasto segment` and `impasto run` with the
 * MediaPipe selfie model on the bundled astronaut photo, checked against
 * the reference statistics in ../shared/models/README.md (computed with an
 * independent implementation). Skips when ../shared/models is absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "harness.h"
#include "image.h"
#include "npy.h"

static const char *photo = IMP_SOURCE_DIR "/assets/astronaut.png";
static char model[512];
static struct imp_test_cli io;

/* Runs the CLI; its exit code, with stderr shown when it failed. */
static int run(const char *args)
{
    int rc = imp_test_cli_run(&io, "%s", args);
    if (rc != 0)
        printf("  stderr was: [%s]\n", io.err);
    return rc;
}

/* The model's own output: the photo shrunk 2x (area average = the 2x2
 * mean the reference used) and fed as RGB 0..1. */
static void run_matches_reference_statistics(void)
{
    char args[2048];
    snprintf(args, sizeof args, "run '%s' -i '%s' -o '%s'", model, photo, io.dir);
    if (!CHECK(run(args) == 0))
        return;
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/activation_10.npy", io.dir);
    struct imp_npy m;
    if (!CHECK(imp_npy_load(path, &m, err, sizeof err) == 0)) {
        printf("  %s\n", err);
        return;
    }
    CHECK(m.rank == 4 && m.dims[1] == 256 && m.dims[2] == 256 && m.dims[3] == 1);
    if (m.count == 256 * 256) {
        const float *v = m.data;
        double sum = 0;
        size_t above = 0;
        for (size_t i = 0; i < m.count; i++) {
            sum += v[i];
            above += v[i] > 0.5f;
        }
        CHECK_NEAR(sum / (double)m.count, 0.5443, 0.002);
        CHECK_NEAR((double)above / (double)m.count, 0.5450, 0.002);
        CHECK(v[10 * 256 + 10] < 0.01f);
        CHECK(v[128 * 256 + 128] > 0.99f);
    }
    imp_npy_free(&m);
}

/* The mask the user gets: back at the photo's 512x512, 8-bit. */
static void segment_writes_the_person_mask(void)
{
    char args[2048], mask_path[256], overlay_path[256];
    snprintf(mask_path, sizeof mask_path, "%s/mask.png", io.dir);
    snprintf(overlay_path, sizeof overlay_path, "%s/overlay.png", io.dir);
    snprintf(args, sizeof args, "segment '%s' '%s' -o '%s' --overlay '%s'", model, photo,
             mask_path, overlay_path);
    if (!CHECK(run(args) == 0))
        return;
    struct imp_image mask, over, orig;
    char err[256];
    if (!CHECK(imp_image_load(mask_path, &mask, err, sizeof err) == 0))
        return;
    CHECK(mask.width == 512 && mask.height == 512);
    double sum = 0;
    size_t n = (size_t)mask.width * mask.height, above = 0;
    for (size_t i = 0; i < n; i++) {
        sum += mask.pixels[i * 3] / 255.0;
        above += mask.pixels[i * 3] >= 128;
    }
    CHECK_NEAR(sum / (double)n, 0.5443, 0.005);
    CHECK_NEAR((double)above / (double)n, 0.5450, 0.005);
    CHECK(mask.pixels[(20 * 512 + 20) * 3] < 3);    /* top-left: background */
    CHECK(mask.pixels[(256 * 512 + 256) * 3] > 252); /* centre: the astronaut */
    /* The overlay keeps the person and dims the background to a quarter. */
    if (CHECK(imp_image_load(overlay_path, &over, err, sizeof err) == 0) &&
        CHECK(imp_image_load(photo, &orig, err, sizeof err) == 0)) {
        size_t bg = (20 * 512 + 20) * 3, fg = (256 * 512 + 256) * 3;
        CHECK(abs(over.pixels[fg] - orig.pixels[fg]) <= 2);
        CHECK(abs(over.pixels[bg] * 4 - orig.pixels[bg]) <= 4);
        imp_image_free(&orig);
    }
    imp_image_free(&over);
    imp_image_free(&mask);
}

int main(void)
{
    if (access(imp_test_cli_binary, X_OK) != 0)
        imp_test_skip("the impasto program is not built (IMP_BUILD_APPS=OFF)");
    if (!imp_test_shared("models/segmentation/mediapipe-selfie/selfie_segmentation.tflite",
                         model, sizeof model))
        imp_test_skip("../shared/models is absent");
    if (!imp_test_cli_open(&io, "imp_test_selfie_"))
        return 1;
    RUN(run_matches_reference_statistics);
    RUN(segment_writes_the_person_mask);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
