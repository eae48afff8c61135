/*
 * Time of one training step: the student forward, the perceptual loss
 * (VGG19 to relu3_4: the content pictures to the content layer, the
 * generated ones forward and back), the student backward, Adam.
 *
 *   build/bench/train/train_step_time VGG_DIR [--batch 4] [--size 256]
 *       [--threads 2] [--steps 3] [--width 16] [--blocks 3]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "impasto_train.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of all threads: on a shared machine, steadier than the wall
 * clock (a step's wall time with T threads is at least cpu / T). */
static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s VGG_DIR [--batch N] [--size S] [--threads T] [--steps K] "
                        "[--width W] [--blocks R]\n", argv[0]);
        return 2;
    }
    int batch = 4, size = 256, threads = 2, steps = 3, width = 16, blocks = 3;
    for (int i = 2; i + 1 < argc; i += 2) {
        int v = atoi(argv[i + 1]);
        if (!strcmp(argv[i], "--batch")) batch = v;
        else if (!strcmp(argv[i], "--size")) size = v;
        else if (!strcmp(argv[i], "--threads")) threads = v;
        else if (!strcmp(argv[i], "--steps")) steps = v;
        else if (!strcmp(argv[i], "--width")) width = v;
        else if (!strcmp(argv[i], "--blocks")) blocks = v;
    }
    struct imp_error err = {0};
    struct imp_tnet *vgg = NULL;
    int relu[8];
    if (imp_vgg19_load(argv[1], &vgg, relu, &err) != IMP_OK) {
        fprintf(stderr, "step_time: %s\n", err.message);
        return 1;
    }
    int out;
    struct imp_tnet *student = imp_student_create(1, width, blocks, &out);
    imp_tnet_init_params(student, 1);
    /* content relu2_2; style relu1_2, relu2_2, relu3_4 */
    int styles[3] = {relu[1], relu[3], relu[7]};
    struct imp_ploss_options po = {.content_value = relu[3], .style_values = styles,
                                   .n_style_values = 3, .content_weight = 1,
                                   .style_weight = 5, .tv_weight = 1e-6};
    struct imp_ploss *pl;
    struct imp_tnet_plan_options o = {.batch = batch, .height = size, .width = size,
                                      .threads = threads, .max_isa = IMP_ISA_BEST,
                                      .seeds = &out, .n_seeds = 1};
    struct imp_adam adam;
    if (imp_ploss_create(vgg, &po, 1, batch, size, size, threads, IMP_ISA_BEST, &pl, &err) !=
            IMP_OK ||
        imp_tnet_plan(student, &o, &err) != IMP_OK ||
        imp_adam_init(&adam, imp_tnet_param_count(student), 1e-3, &err) != IMP_OK) {
        fprintf(stderr, "step_time: %s\n", err.message);
        return 1;
    }
    size_t n = (size_t)batch * 3 * (size_t)size * (size_t)size;
    float *x = malloc(sizeof(float) * n), *g = malloc(sizeof(float) * n);
    struct imp_rng rng = {7};
    for (size_t i = 0; i < n; i++)
        x[i] = (float)imp_rng_uniform(&rng);
    imp_ploss_set_style(pl, 0, x, &err);
    int *style_of = calloc((size_t)batch, sizeof(int));
    printf("student %zu parameters; batch %d of %dx%d, %d threads\n",
           imp_tnet_param_count(student), batch, size, size, threads);
    for (int s = 0; s <= steps; s++) {
        double t0 = now(), c0 = cpu();
        imp_tnet_forward(student, x, -1);
        double c1 = cpu();
        struct imp_ploss_value v = imp_ploss_eval(pl, imp_tnet_value(student, out), x,
                                                  style_of, g);
        double c2 = cpu();
        memcpy(imp_tnet_grad(student, out), g, sizeof(float) * n);
        imp_tnet_backward(student);
        double c3 = cpu();
        imp_adam_step(&adam, imp_tnet_params(student), imp_tnet_param_grads(student));
        double t4 = now(), c4 = cpu();
        printf("%sstep %d: wall %.3f s, cpu %.3f s (student fwd %.3f, loss %.3f, student "
               "bwd %.3f, adam %.4f cpu s) loss %.4g\n", s ? "" : "warm-up ", s, t4 - t0,
               c4 - c0, c1 - c0, c2 - c1, c3 - c2, c4 - c3, v.total);
    }
    return 0;
}
