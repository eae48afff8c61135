/*
 * One model shared by several predictors running at once, as the video
 * pipeline does: each thread runs its own sequence of frames (changing
 * sizes, smoothed norm statistics carried with get/set) and must get
 * exactly the bytes the same sequence gives when run alone. Under the
 * sanitizer build this is also the race and lifetime check.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define THREADS 4
#define FRAMES 30

static struct imp_model *model;

struct job {
    unsigned seed;
    double checksum[FRAMES];
    int failures;
};

static const int sizes[3][2] = {{32, 24}, {48, 40}, {64, 32}};

/* Runs this job's frames; checksums of every output (or -1 on failure). */
static void run_sequence(struct job *j)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.threads = 1;
    struct imp_predictor *p;
    if (imp_predictor_init(model, &o, &p, NULL) != IMP_OK) {
        j->failures++;
        return;
    }
    imp_predictor_set_norm_stats_mode(p, IMP_NORM_STATS_SMOOTHED, 0.7);
    unsigned seed = j->seed;
    double mean[64], var[64];
    for (int f = 0; f < FRAMES; f++) {
        const int *sz = sizes[(f / 4) % 3]; /* a few frames at each size */
        int64_t dims[4] = {1, 3, sz[1], sz[0]};
        size_t n = (size_t)3 * sz[0] * sz[1];
        float *x = malloc(n * sizeof *x);
        for (size_t i = 0; i < n; i++)
            x[i] = 0.5f + 0.5f * imp_test_frand(&seed);
        size_t count = 0;
        const void *y;
        struct imp_tensor_info t;
        if (imp_predictor_resize_input(p, 0, 4, dims) != IMP_OK ||
            imp_predictor_set_input(p, 0, x, n * sizeof *x) != IMP_OK ||
            imp_predictor_norm_stats_count(p, &count) != IMP_OK || count > 64 ||
            imp_predictor_run(p) != IMP_OK || imp_predictor_output(p, 0, &t, &y) != IMP_OK) {
            j->failures++;
            free(x);
            break;
        }
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += ((const float *)y)[i] * (double)((i % 97) + 1);
        j->checksum[f] = sum;
        /* Carry the held statistics out and back in, as the pipeline does
         * between predictors. */
        if (imp_predictor_get_norm_stats(p, 0, mean, var, count) != IMP_OK ||
            imp_predictor_set_norm_stats(p, mean, var, count) != IMP_OK)
            j->failures++;
        free(x);
    }
    imp_predictor_free(p);
}

static void *thread_main(void *arg)
{
    run_sequence(arg);
    return NULL;
}

static void predictors_on_one_model_match_running_alone(void)
{
    struct job together[THREADS], alone[THREADS];
    pthread_t th[THREADS];
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < THREADS; i++) {
            memset(&together[i], 0, sizeof together[i]);
            together[i].seed = 1000u * (unsigned)i + (unsigned)round + 1;
            alone[i] = together[i];
        }
        for (int i = 0; i < THREADS; i++)
            CHECK(pthread_create(&th[i], NULL, thread_main, &together[i]) == 0);
        for (int i = 0; i < THREADS; i++)
            pthread_join(th[i], NULL);
        for (int i = 0; i < THREADS; i++)
            run_sequence(&alone[i]);
        for (int i = 0; i < THREADS; i++) {
            CHECK(together[i].failures == 0 && alone[i].failures == 0);
            CHECK(memcmp(together[i].checksum, alone[i].checksum,
                         sizeof alone[i].checksum) == 0);
        }
    }
    /* The sequences differ from each other: the check compares real work. */
    CHECK(together[0].checksum[0] != together[1].checksum[0]);
}

int main(void)
{
    if (imp_model_load_file(IMP_SOURCE_DIR "/tests/data/style/tiny_style.onnx", &model,
                            NULL) != IMP_OK) {
        printf("cannot load tests/data/style/tiny_style.onnx\n");
        return 1;
    }
    RUN(predictors_on_one_model_match_running_alone);
    imp_model_free(model);
    return imp_test_finish();
}
