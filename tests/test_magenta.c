/*
 * Magenta arbitrary style through impasto: the prediction network and the
 * transfer network against the reference statistics in
 * ../shared/models/README.md (synthetic picture v = 127.5 (1 + sin(0.05 x +
 * 0.09 y + c)), at 256x256 and 384x384), and the transfer through the
 * stylizer at a size other than 384x384 (tiles). Skips without ../shared.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "stylize.h"

static double synthetic(int x, int y, int c)
{
    return 127.5 * (1 + sin(0.05 * x + 0.09 * y + c));
}

static struct imp_model *load(const char *rel)
{
    char path[512];
    if (!imp_test_shared(rel, path, sizeof path))
        return NULL;
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_load_file(path, &m, &err) != IMP_OK)
        printf("  %s: %s\n", path, err.message);
    return m;
}

static float bottleneck[100];
static int have_bottleneck;

static void prediction_matches_the_reference(void)
{
    struct imp_model *m = load("models/style/magenta-arbitrary-tflite/style_predict_quantized_256.tflite");
    if (!CHECK(m))
        return;
    float *x = malloc(256 * 256 * 3 * sizeof *x);
    for (int y = 0; y < 256; y++)
        for (int xx = 0; xx < 256; xx++)
            for (int c = 0; c < 3; c++)
                x[((size_t)y * 256 + xx) * 3 + c] = (float)(synthetic(xx, y, c) / 255.0);
    size_t count = 0;
    enum imp_status st;
    float *v = imp_test_run_once(m, NULL, x, 256 * 256 * 3 * sizeof *x, &count, &st);
    if (CHECK(v && count == 100)) {
        double norm = 0;
        for (int k = 0; k < 100; k++)
            norm += (double)v[k] * v[k];
        norm = sqrt(norm);
        printf("  L2 %.4f, first %.4f %.4f %.4f %.4f %.4f\n", norm, v[0], v[1], v[2], v[3],
               v[4]);
        CHECK_NEAR(norm, 14.85, 0.005);
        const double first[5] = {0.5136, 0.7961, 2.3096, 1.7132, 0.3204};
        for (int k = 0; k < 5; k++)
            CHECK(fabs(v[k] - first[k]) < 0.002);
        memcpy(bottleneck, v, sizeof bottleneck);
        have_bottleneck = 1;
    }
    free(v);
    free(x);
    imp_model_free(m);
}

static void transfer_matches_the_reference_and_runs_at_other_sizes(void)
{
    if (IMP_TEST_SANITIZED) { /* 1.85 GMAC a run: the Release build checks it */
        printf("  (skipped in the sanitizer build)\n");
        return;
    }
    struct imp_model *m = load("models/style/magenta-arbitrary-tflite/style_transfer_f16_384.tflite");
    if (!CHECK(m && have_bottleneck)) {
        imp_model_free(m);
        return;
    }
    struct imp_stylizer_options o = imp_stylizer_options_default();
    char why[256];
    CHECK(imp_style_detect(m, &o.convention, why, sizeof why) == 0 && o.convention.nhwc &&
          !o.convention.bgr);
    o.predictor.threads = 2;
    struct imp_stylizer *s = NULL;
    if (!CHECK(imp_stylizer_create(m, &o, &s, why, sizeof why) == 0)) {
        imp_model_free(m);
        return;
    }
    CHECK_STATUS(imp_predictor_set_input(imp_stylizer_predictor(s), 1, bottleneck,
                                         sizeof bottleneck),
                 IMP_OK);
    const int n = 384;
    uint8_t *in = malloc((size_t)n * n * 3), *out = malloc((size_t)n * n * 3);
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
            for (int c = 0; c < 3; c++)
                in[((size_t)y * n + x) * 3 + c] = (uint8_t)lround(synthetic(x, y, c));
    if (CHECK(imp_stylizer_run(s, in, n, n, out, why, sizeof why) == 0)) {
        const double want[3] = {0.6309, 0.5650, 0.5804};
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            for (size_t p = 0; p < (size_t)n * n; p++)
                sum += out[p * 3 + c];
            double mean = sum / ((double)n * n) / 255.0;
            printf("  mean %c %.4f (reference %.4f)\n", "RGB"[c], mean, want[c]);
            CHECK(fabs(mean - want[c]) < 0.002);
        }
    }
    /* 640x480: four 384x384 tiles at the photo's own resolution. */
    const int w = 640, h = 480;
    uint8_t *big = malloc((size_t)w * h * 3), *bout = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                big[((size_t)y * w + x) * 3 + c] = (uint8_t)lround(synthetic(x, y, c));
    if (CHECK(imp_stylizer_run(s, big, w, h, bout, why, sizeof why) == 0)) {
        struct imp_stylizer_report r;
        imp_stylizer_last_report(s, &r);
        CHECK(r.tiles_x == 2 && r.tiles_y == 2 && r.run_w == 384);
        printf("  640x480: %dx%d tiles, transfer %.0f ms of %.0f ms\n", r.tiles_x, r.tiles_y,
               r.network_ms, r.total_ms);
    }
    free(in);
    free(out);
    free(big);
    free(bout);
    imp_stylizer_free(s);
    imp_model_free(m);
}

int main(void)
{
    RUN(prediction_matches_the_reference);
    RUN(transfer_matches_the_reference_and_runs_at_other_sizes);
    return imp_test_finish();
}
