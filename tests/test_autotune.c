/* options.autotune: engines chosen by timing must be fast engines that
 * accept the node, give the reference engine's numbers, and yield to an
 * explicit --engine override. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "harness.h"

enum { C = 16, M = 16, H = 23, W = 29 };

/* x -> Conv 3x3 (pads 1) -> Affine -> y: Winograd, direct-rows and GEMM can
 * all take the Conv; only the reference engine runs the (legacy) Affine,
 * which no pass fuses into the Conv. */
static struct imp_model *conv_affine_model(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {1, C, H, W}, wd[4] = {M, C, 3, 3};
    struct imp_shape xs = imp_shape_make(4, xd), ws = imp_shape_make(4, wd);
    struct imp_shape bs = {.rank = 1, .d = {M}};
    float *w = malloc(sizeof(float) * M * C * 9), *b = malloc(sizeof(float) * M);
    unsigned s = 12345;
    for (int i = 0; i < M * C * 9; i++) {
        s = s * 1664525u + 1013904223u;
        w[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
    for (int i = 0; i < M; i++)
        b[i] = 0.01f * (float)i - 0.05f;
    int in[3];
    in[0] = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    in[1] = imp_graph_add_const(&g, "w", IMP_DTYPE_F32, &ws, w);
    in[2] = imp_graph_add_const(&g, "b", IMP_DTYPE_F32, &bs, b);
    int mid = imp_graph_add_value(&g, "mid", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int conv = imp_graph_add_node(&g, IMP_OP_CONV, "conv", 3, in, 1, &mid);
    int64_t pads[4] = {1, 1, 1, 1};
    imp_node_set_ints(&g, conv, "pads", pads, 4);
    int affine = imp_graph_add_node(&g, IMP_OP_AFFINE, "affine", 1, &mid, 1, &y);
    imp_node_set_float(&g, affine, "alpha", 0.5f);
    imp_graph_add_input(&g, in[0]);
    imp_graph_add_output(&g, y);
    free(w);
    free(b);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  model: %s\n", err.message);
    return m;
}

/* Runs once; copies the output into `y` and the engine names of the two
 * nodes into `eng`. */
static bool run_model(struct imp_model *m, const struct imp_predictor_options *o,
                      const float *x, float *y, const char *eng[2])
{
    struct imp_predictor *p;
    struct imp_error err;
    if (imp_predictor_init(m, o, &p, &err) != IMP_OK) {
        printf("  init: %s\n", err.message);
        return false;
    }
    bool ok = imp_predictor_set_input(p, 0, x, sizeof(float) * C * H * W) == IMP_OK &&
              imp_predictor_run(p) == IMP_OK;
    struct imp_tensor_info info;
    const float *out;
    ok = ok && imp_predictor_output(p, 0, &info, (const void **)&out) == IMP_OK;
    if (ok)
        memcpy(y, out, sizeof(float) * M * H * W);
    for (int i = 0; ok && i < 2; i++) {
        struct imp_node_profile prof;
        ok = imp_predictor_node_profile(p, i, &prof) == IMP_OK;
        eng[i] = ok ? prof.engine : NULL; /* static engine names outlive p */
    }
    imp_predictor_free(p);
    return ok;
}

static void tuned_engines_are_fast_and_agree(void)
{
    struct imp_model *m = conv_affine_model();
    if (!CHECK(m != NULL))
        return;
    static float x[C * H * W], want[M * H * W], got[M * H * W];
    for (int i = 0; i < C * H * W; i++)
        x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
    const char *eng[2];
    struct imp_predictor_options o = imp_predictor_options_default();
    o.threads = 1;
    o.engines = "Conv=ref";
    CHECK(run_model(m, &o, x, want, eng));
    for (int threads = 1; threads <= 2; threads++) {
        o = imp_predictor_options_default();
        o.threads = threads;
        o.autotune = 1;
        if (!CHECK(run_model(m, &o, x, got, eng)))
            continue;
        printf("  %d thread(s): Conv tuned to %s\n", threads, eng[0]);
        CHECK(strcmp(eng[0], "ref") != 0);
        CHECK(strcmp(eng[1], "ref") == 0); /* nothing else runs Affine */
        CHECK(imp_test_max_rel_error(got, want, M * H * W, 1.0) < 1e-4);
    }
    imp_model_free(m);
}

static void an_override_beats_tuning(void)
{
    struct imp_model *m = conv_affine_model();
    if (!CHECK(m != NULL))
        return;
    static float x[C * H * W], y[M * H * W];
    const char *eng[2];
    static const char *const forced[] = {"gemm", "winograd"};
    for (int i = 0; i < 2; i++) {
        char spec[32];
        snprintf(spec, sizeof spec, "Conv=%s", forced[i]);
        struct imp_predictor_options o = imp_predictor_options_default();
        o.threads = 1;
        o.autotune = 1;
        o.engines = spec;
        if (CHECK(run_model(m, &o, x, y, eng)))
            CHECK(strcmp(eng[0], forced[i]) == 0);
    }
    imp_model_free(m);
}

int main(void)
{
    RUN(tuned_engines_are_fast_and_agree);
    RUN(an_override_beats_tuning);
    return imp_test_finish();
}
