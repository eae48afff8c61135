/* The student network's shapes (imp_student_*): both the Johnson and the
 * fast shape give back the size they take, hold the parameters their
 * layers call for (counted here from the shape, independently of the
 * builder), refuse bad shapes, and export to a .imp the runtime runs with
 * the training forward pass's numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "harness.h"
#include "impasto_train.h"

#define H 24
#define W 40

static size_t conv_params(int k, int in, int out, int bias)
{
    return (size_t)k * (size_t)k * (size_t)in * (size_t)out + (bias ? (size_t)out : 0);
}

/* Every conv but the last has no bias and is followed by a norm with a
 * scale and a shift per channel and per style. */
static size_t expected_params(const struct imp_student_shape *s, int n_styles)
{
    size_t n = 0, per_norm = 2 * (size_t)n_styles;
    int k = s->edge_kernel, in = 3;
    for (int i = 0; i < s->levels; i++) {
        int out = s->channels[i];
        n += conv_params(i == 0 ? k : 3, in, out, 0) + per_norm * (size_t)out;
        in = out;
    }
    n += (size_t)s->res_blocks * 2 * (conv_params(3, in, in, 0) + per_norm * (size_t)in);
    for (int i = s->levels - 2; i >= 0; i--) {
        n += conv_params(3, in, s->channels[i], 0) + per_norm * (size_t)s->channels[i];
        in = s->channels[i];
    }
    return n + conv_params(k, in, 3, 1);
}

static float *random_picture(int n)
{
    float *x = malloc(sizeof(float) * (size_t)n * 3 * H * W);
    unsigned seed = 11;
    for (size_t i = 0; x && i < (size_t)n * 3 * H * W; i++)
        x[i] = imp_test_frand(&seed);
    return x;
}

/* Plans the shape at 2 x 3 x H x W: the output has the input's size. */
static void check_shape(const char *name, const struct imp_student_shape *s, int stride)
{
    printf("  %s\n", name);
    CHECK(imp_student_shape_valid(s));
    CHECK(imp_student_stride(s) == stride);
    int out = -1;
    struct imp_tnet *net = imp_student_create_shaped(3, s, &out);
    if (!CHECK(net != NULL))
        return;
    CHECK(imp_tnet_param_count(net) == expected_params(s, 3));
    struct imp_error err = {0};
    struct imp_tnet_plan_options o = {.batch = 2, .height = H, .width = W, .threads = 2,
                                      .max_isa = IMP_ISA_BEST, .seeds = &out, .n_seeds = 1};
    if (CHECK(imp_tnet_plan(net, &o, &err) == IMP_OK)) {
        int d[4];
        imp_tnet_value_shape(net, out, d);
        CHECK(d[0] == 2 && d[1] == 3 && d[2] == H && d[3] == W);
    } else {
        printf("  %s\n", err.message);
    }
    imp_tnet_free(net);
}

static void test_shapes_give_back_their_size(void)
{
    struct imp_student_shape j = imp_student_johnson(4, 1), f = imp_student_fast();
    check_shape("johnson {4, 8, 16}, 1 block", &j, 4);
    check_shape("fast (the shipped shape)", &f, 8);
    struct imp_student_shape sm = imp_student_smooth();
    check_shape("smooth (fast, bilinear decoder)", &sm, 8);
    f.channels[0] = 4, f.channels[1] = 6, f.channels[2] = 8, f.res_blocks = 0;
    check_shape("fast {4, 6, 8}, no blocks", &f, 8);
    struct imp_student_shape two = {.levels = 2, .channels = {5, 7}, .edge_kernel = 5,
                                    .stem_stride = 2, .res_blocks = 2};
    check_shape("two levels, 5x5 edges, stride-2 stem", &two, 4);
}

static void test_bad_shapes_are_refused(void)
{
    const struct imp_student_shape good = imp_student_fast();
    struct imp_student_shape s;
    int out;
    s = good, s.levels = 0;
    CHECK(!imp_student_shape_valid(&s) && !imp_student_create_shaped(1, &s, &out));
    s = good, s.levels = IMP_STUDENT_MAX_LEVELS + 1;
    CHECK(!imp_student_shape_valid(&s));
    s = good, s.edge_kernel = 4;
    CHECK(!imp_student_shape_valid(&s));
    s = good, s.stem_stride = 3;
    CHECK(!imp_student_shape_valid(&s));
    s = good, s.channels[1] = 0;
    CHECK(!imp_student_shape_valid(&s));
    s = good, s.res_blocks = -1;
    CHECK(!imp_student_shape_valid(&s));
    CHECK(!imp_student_create_shaped(0, &good, &out));
    CHECK(!imp_student_create_shaped(1, NULL, &out));
}

/* A fast-family shape exported for style 1 of 2 runs in the runtime with
 * the training forward pass's numbers. */
static void check_export(const char *name, struct imp_student_shape s)
{
    printf("  %s\n", name);
    s.channels[0] = 4, s.channels[1] = 8, s.channels[2] = 12, s.res_blocks = 1;
    int out = -1;
    struct imp_tnet *net = imp_student_create_shaped(2, &s, &out);
    if (!CHECK(net != NULL))
        return;
    imp_tnet_init_params(net, 7);
    /* distinct norm parameters per style, so that picking the style matters */
    float *p = imp_tnet_params(net);
    unsigned seed = 5;
    for (size_t i = 0; i < imp_tnet_param_count(net); i++)
        p[i] += 0.05f * imp_test_frand(&seed);
    struct imp_error err = {0};
    struct imp_tnet_plan_options o = {.batch = 1, .height = H, .width = W, .threads = 1,
                                      .max_isa = IMP_ISA_BEST, .seeds = &out, .n_seeds = 1};
    float *x = random_picture(1);
    char path[] = "/tmp/impasto-student-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    const float mix[2] = {0.0f, 1.0f};
    const int style_of[1] = {1};
    struct imp_model *m = NULL;
    struct imp_predictor *pr = NULL;
    const int64_t dims[4] = {1, 3, H, W};
    const void *y = NULL;
    struct imp_tensor_info info;
    bool ok = CHECK(x != NULL) && CHECK(imp_tnet_plan(net, &o, &err) == IMP_OK) &&
              CHECK(imp_tnet_set_styles(net, style_of, &err) == IMP_OK) &&
              CHECK(imp_tnet_export_imp(net, mix, path, &err) == IMP_OK) &&
              CHECK(imp_model_load_file(path, &m, &err) == IMP_OK) &&
              CHECK(imp_predictor_init(m, NULL, &pr, &err) == IMP_OK) &&
              CHECK(imp_predictor_resize_input(pr, 0, 4, dims) == IMP_OK) &&
              CHECK(imp_predictor_set_input(pr, 0, x, sizeof(float) * 3 * H * W) == IMP_OK) &&
              CHECK(imp_predictor_run(pr) == IMP_OK) &&
              CHECK(imp_predictor_output(pr, 0, &info, &y) == IMP_OK);
    if (ok) {
        imp_tnet_forward(net, x, -1);
        double e = imp_test_max_rel_error(y, imp_tnet_value(net, out), 3 * H * W, 1e-3);
        printf("  runtime vs training forward: max rel error %.3g\n", e);
        CHECK(e < 1e-4);
    } else {
        printf("  %s %s\n", err.message, pr ? imp_predictor_last_error(pr) : "");
    }
    imp_predictor_free(pr);
    imp_model_free(m);
    unlink(path);
    free(x);
    imp_tnet_free(net);
}

static void test_fast_shapes_export(void)
{
    check_export("fast", imp_student_fast());
    check_export("smooth", imp_student_smooth());
}

/* Whether the model plans with its input at 1x3xside x side. */
static bool plans_at(const char *path, int side)
{
    struct imp_model *m = NULL;
    struct imp_predictor *pr = NULL;
    struct imp_error err;
    struct imp_plan_stats st;
    const int64_t dims[4] = {1, 3, side, side};
    bool ok = imp_model_load_file(path, &m, &err) == IMP_OK &&
              imp_predictor_init(m, NULL, &pr, &err) == IMP_OK &&
              imp_predictor_resize_input(pr, 0, 4, dims) == IMP_OK &&
              imp_predictor_plan_stats(pr, &st) == IMP_OK;
    imp_predictor_free(pr);
    imp_model_free(m);
    return ok;
}

/* `impasto info` on a student (open height and width, which its strides
 * and reflection pads refuse at the default 1x1) plans at the smallest
 * power of two it can and says so; an explicit --shape it cannot take is
 * still an error. */
static void test_info_plans_a_student_where_it_can(void)
{
    static struct imp_test_cli io;
    if (access(imp_test_cli_binary, X_OK) != 0) {
        printf("  the impasto program is not built; skipped\n");
        return;
    }
    if (!CHECK(imp_test_cli_open(&io, "imp_test_student_info_")))
        return;
    struct imp_student_shape shapes[2] = {imp_student_fast(), imp_student_johnson(4, 1)};
    shapes[0].channels[0] = 4, shapes[0].channels[1] = 8, shapes[0].channels[2] = 12;
    shapes[0].res_blocks = 1;
    for (int k = 0; k < 2; k++) {
        int out = -1;
        struct imp_tnet *net = imp_student_create_shaped(1, &shapes[k], &out);
        struct imp_error err = {0};
        struct imp_tnet_plan_options o = {.batch = 1, .height = H, .width = W, .threads = 1,
                                          .max_isa = IMP_ISA_BEST, .seeds = &out,
                                          .n_seeds = 1};
        const char *path = imp_test_cli_path(&io, k ? "johnson.imp" : "fast.imp");
        if (!CHECK(net != NULL) || !CHECK(imp_tnet_plan(net, &o, &err) == IMP_OK) ||
            !CHECK(imp_tnet_export_imp(net, NULL, path, &err) == IMP_OK)) {
            printf("  %s\n", err.message);
            imp_tnet_free(net);
            continue;
        }
        imp_tnet_free(net);
        CHECK(!plans_at(path, 1));
        CHECK(imp_test_cli_run(&io, "info '%s'", path) == 0);
        const char *line = strstr(io.out, "for input=1x3x");
        int h = 0, w = 0, side = 0;
        if (!CHECK(line && sscanf(line, "for input=1x3x%dx%d (open dims at %d", &h, &w,
                                  &side) == 3)) {
            printf("%s%s", io.out, io.err);
            continue;
        }
        int stride = imp_student_stride(&shapes[k]);
        printf("  %s shape (stride %d): info planned at %dx%d\n", k ? "johnson" : "fast",
               stride, h, w);
        CHECK(h == side && w == side && side % stride == 0);
        CHECK(plans_at(path, side) && !plans_at(path, side / 2));
        CHECK(strstr(io.out, "GMAC") != NULL);
        CHECK(imp_test_cli_run(&io, "info '%s' --shape 1x3x1x1", path) == 1);
        CHECK(imp_test_cli_one_error_line(&io, "cannot plan for input=1x3x1x1"));
    }
    imp_test_cli_close(&io);
}

int main(void)
{
    RUN(test_shapes_give_back_their_size);
    RUN(test_bad_shapes_are_refused);
    RUN(test_fast_shapes_export);
    RUN(test_info_plans_a_student_where_it_can);
    return imp_test_finish();
}
