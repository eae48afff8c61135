/* The VGG19 loss network: hostile manifests and shards (built here, in a
 * temporary folder, so these run everywhere), then, when ../shared has
 * the real weights, its first convolution against a hand computation
 * from the shard and its frozen (runtime engines) path against the
 * trainable (GEMM) path up to relu3_4. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "impasto_train.h"

static const int chans[8][2] = {{3, 64},    {64, 64},   {64, 128},  {128, 128},
                                {128, 256}, {256, 256}, {256, 256}, {256, 256}};
static const char *names[8] = {"block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2",
                               "block3_conv1", "block3_conv2", "block3_conv3", "block3_conv4"};

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

/* A manifest like the real one; `shape0` replaces the first kernel shape. */
static void write_manifest(const char *dir, const char *shape0)
{
    char path[512], *text = malloc(1 << 16);
    size_t n = 0;
    n += (size_t)sprintf(text + n, "[");
    for (int i = 0; i < 8; i++) {
        char shape[64];
        snprintf(shape, sizeof shape, "[3, 3, %d, %d]", chans[i][0], chans[i][1]);
        n += (size_t)sprintf(text + n,
                             "%s{\"paths\": [\"group%d-shard1of1\"], \"weights\": ["
                             "{\"name\": \"%s/kernel\", \"shape\": %s, \"dtype\": \"float32\"},"
                             "{\"name\": \"%s/bias\", \"shape\": [%d], \"dtype\": \"float32\"}]}",
                             i ? "," : "", i + 1, names[i], i == 0 && shape0 ? shape0 : shape,
                             names[i], chans[i][1]);
    }
    sprintf(text + n, "]");
    snprintf(path, sizeof path, "%s/weights_manifest_groups1-8.json", dir);
    write_text(path, text);
    free(text);
}

static void write_shards(const char *dir)
{
    for (int i = 0; i < 8; i++) {
        size_t n = (size_t)9 * (size_t)chans[i][0] * (size_t)chans[i][1] + (size_t)chans[i][1];
        float *v = malloc(sizeof(float) * n);
        for (size_t k = 0; k < n; k++)
            v[k] = 0.01f * (float)((k * 13) % 7) - 0.03f;
        char path[512];
        snprintf(path, sizeof path, "%s/group%d-shard1of1", dir, i + 1);
        FILE *f = fopen(path, "wb");
        fwrite(v, sizeof(float), n, f);
        fclose(f);
        free(v);
    }
}

static enum imp_status try_load(const char *dir, struct imp_error *err)
{
    struct imp_tnet *net = NULL;
    int relus[8];
    enum imp_status st = imp_vgg19_load(dir, &net, relus, err);
    imp_tnet_free(net);
    return st;
}

static void test_hostile_files(void)
{
    char dir[] = "/tmp/impasto-vgg-XXXXXX";
    if (!CHECK(mkdtemp(dir) != NULL))
        return;
    struct imp_error err = {0};
    char path[512];

    CHECK(try_load(dir, &err) == IMP_ERR_IO);
    CHECK(strstr(err.message, "weights_manifest_groups1-8.json") != NULL);
    CHECK(strstr(err.message, "vgg19-tensorflowjs-model") != NULL); /* where to get it */

    write_manifest(dir, NULL);
    write_shards(dir);
    CHECK(try_load(dir, &err) == IMP_OK);

    snprintf(path, sizeof path, "%s/group5-shard1of1", dir);
    CHECK(truncate(path, 1000) == 0);
    CHECK(try_load(dir, &err) == IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "group5-shard1of1") && strstr(err.message, "short"));
    unlink(path);
    CHECK(try_load(dir, &err) == IMP_ERR_IO);
    CHECK(strstr(err.message, "group5-shard1of1") != NULL);
    write_shards(dir);

    /* NaN weights */
    snprintf(path, sizeof path, "%s/group2-shard1of1", dir);
    FILE *f = fopen(path, "r+b");
    float nan_v = NAN;
    fwrite(&nan_v, sizeof nan_v, 1, f);
    fclose(f);
    CHECK(try_load(dir, &err) == IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "corrupt") != NULL);
    write_shards(dir);

    write_manifest(dir, "[3, 3, 3, 65]");
    CHECK(try_load(dir, &err) == IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "block1_conv1/kernel") != NULL);

    snprintf(path, sizeof path, "%s/weights_manifest_groups1-8.json", dir);
    write_text(path, "[{\"paths\": [\"../../etc/passwd\"], \"weights\": []}]");
    CHECK(try_load(dir, &err) == IMP_ERR_FORMAT);
    write_text(path, "[{\"paths\": [\"a\"], \"weights\": [{\"name\": \"block1_conv1/kernel\"");
    CHECK(try_load(dir, &err) == IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "not JSON") != NULL);
    char deep[300];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    write_text(path, deep);
    CHECK(try_load(dir, &err) == IMP_ERR_FORMAT);
    write_manifest(dir, NULL);
    snprintf(path, sizeof path, "%s/group8-shard1of1", dir);
    f = fopen(path, "ab");
    fputc(0, f);
    fclose(f);
    CHECK(try_load(dir, &err) == IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "too long") != NULL);

    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof path, "%s/group%d-shard1of1", dir, i + 1);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/weights_manifest_groups1-8.json", dir);
    unlink(path);
    rmdir(dir);
}

static void test_real_vgg19(void)
{
    char dir[512];
    if (!imp_test_shared("models/backbones/vgg19-imagenet-keras-tfjs-partial", dir,
                         sizeof dir)) {
        printf("  skipped: ../shared/models has no VGG19\n");
        return;
    }
    struct imp_error err = {0};
    struct imp_tnet *net = NULL;
    int relus[8];
    if (!CHECK(imp_vgg19_load(dir, &net, relus, &err) == IMP_OK)) {
        printf("  %s\n", err.message);
        return;
    }
    const int S = 20;
    float *x = malloc(sizeof(float) * 3 * S * S);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < S; y++)
            for (int i = 0; i < S; i++)
                x[(c * S + y) * S + i] = 0.5f * (1.0f + sinf(0.3f * i + 0.45f * y + c));
    /* relu1_1 at a few pixels, by hand from the shard (HWIO, BGR - mean) */
    char path[600];
    snprintf(path, sizeof path, "%s/group1-shard1of1", dir);
    FILE *f = fopen(path, "rb");
    float shard[3 * 3 * 3 * 64 + 64];
    CHECK(f && fread(shard, sizeof(float), 1792, f) == 1792);
    if (f)
        fclose(f);
    const double mean[3] = {103.939, 116.779, 123.68};
    float *results[2] = {NULL, NULL};
    for (int frozen = 1; frozen >= 0; frozen--) {
        struct imp_tnet_plan_options o = {.batch = 1, .height = S, .width = S, .threads = 2,
                                          .max_isa = IMP_ISA_BEST, .frozen = frozen};
        if (!CHECK(imp_tnet_plan(net, &o, &err) == IMP_OK)) {
            printf("  %s\n", err.message);
            break;
        }
        imp_tnet_forward(net, x, -1);
        const float *r11 = imp_tnet_value(net, relus[0]);
        double worst = 0.0;
        for (int o_ = 0; o_ < 64; o_ += 9)
            for (int y = 0; y < S; y += 7)
                for (int i = 0; i < S; i += 6) {
                    double s = shard[1728 + o_];
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                            for (int bgr = 0; bgr < 3; bgr++) {
                                int yy = y + ky - 1, xx = i + kx - 1;
                                if (yy < 0 || xx < 0 || yy >= S || xx >= S)
                                    continue;
                                double v = 255.0 * x[((2 - bgr) * S + yy) * S + xx] - mean[bgr];
                                s += shard[((ky * 3 + kx) * 3 + bgr) * 64 + o_] * v;
                            }
                    s = s > 0 ? s : 0;
                    double e = fabs(r11[(o_ * S + y) * S + i] - s) / (fabs(s) + 1.0);
                    worst = e > worst ? e : worst;
                }
        CHECK(worst < 1e-4);
        int d[4];
        imp_tnet_value_shape(net, relus[7], d);
        CHECK(d[1] == 256 && d[2] == S / 4 && d[3] == S / 4);
        size_t n = (size_t)d[1] * (size_t)d[2] * (size_t)d[3];
        results[frozen] = malloc(sizeof(float) * n);
        memcpy(results[frozen], imp_tnet_value(net, relus[7]), sizeof(float) * n);
        if (frozen == 0) {
            /* Relative to each value, but never to less than 1% of the map's
             * largest: a Relu output near zero is the difference of large
             * sums, which Winograd and GEMM round differently. */
            double peak = 0.0;
            for (size_t k = 0; k < n; k++)
                peak = fabs(results[1][k]) > peak ? fabs(results[1][k]) : peak;
            double e = imp_test_max_rel_error(results[0], results[1], n, 0.01 * peak);
            printf("  relu3_4: frozen (runtime engines) vs GEMM path, max rel error %.3g "
                   "(largest value %.4g)\n", e, peak);
            CHECK(peak > 1.0 && e < 1e-3);
        }
    }
    free(results[0]);
    free(results[1]);
    free(x);
    imp_tnet_free(net);
}

int main(void)
{
    RUN(test_hostile_files);
    RUN(test_real_vgg19);
    return imp_test_finish();
}
