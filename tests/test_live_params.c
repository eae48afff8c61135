/*
 * imp_predictor_set_param: a weight read by run alone (instance-norm scale
 * and B) changes with no re-planning, and the next run uses it; a weight an
 * engine packed at planning (convolution weights) re-plans, and the fast
 * engines see the new values exactly as the reference engine does. On the
 * conditional network of tools/make_style_fixtures.py, whose styles differ
 * only in their norm weights.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define STYLES IMP_SOURCE_DIR "/tests/data/styles/"

static struct imp_model *load(const char *path)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_load_file(path, &m, &err) != IMP_OK)
        printf("  %s: %s\n", path, err.message);
    return m;
}

static struct imp_predictor *predictor(const struct imp_model *m, const char *engines,
                                       const float *x)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.threads = 2;
    o.profile = 1; /* node run counts restart when the plan is rebuilt */
    o.engines = engines;
    struct imp_predictor *p = NULL;
    struct imp_error err;
    if (imp_predictor_init(m, &o, &p, &err) != IMP_OK) {
        printf("  init: %s\n", err.message);
        return NULL;
    }
    int64_t dims[4] = {1, 3, 36, 44};
    imp_predictor_resize_input(p, 0, 4, dims);
    imp_predictor_set_input(p, 0, x, sizeof(float) * 3 * 36 * 44);
    return p;
}

static const float *output(struct imp_predictor *p)
{
    const void *y = NULL;
    if (imp_predictor_run(p) != IMP_OK || imp_predictor_output(p, 0, NULL, &y) != IMP_OK)
        return NULL;
    return y;
}

static int runs_of_first_node(const struct imp_predictor *p)
{
    struct imp_node_profile np;
    return imp_predictor_node_profile(p, 0, &np) == IMP_OK ? np.runs : -1;
}

static void norm_weights_change_without_replanning(void)
{
    struct imp_model *waves = load(STYLES "cin/waves.onnx");
    struct imp_model *embers = load(STYLES "cin/embers.onnx");
    if (!CHECK(waves && embers))
        goto done;
    const size_t n = 3 * 36 * 44;
    float *x = malloc(n * sizeof *x), *want = malloc(n * sizeof *want);
    unsigned seed = 9;
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5f + 0.5f * imp_test_frand(&seed);
    struct imp_predictor *ref = predictor(embers, NULL, x), *p = predictor(waves, NULL, x);
    const float *y = ref ? output(ref) : NULL;
    if (!CHECK(y && p && output(p)))
        goto free_all;
    memcpy(want, y, n * sizeof *want);
    CHECK(imp_test_max_rel_error(output(p), want, n, 1e-3) > 1e-2); /* styles differ */
    int before = runs_of_first_node(p);
    /* Every norm weight of embers into the waves predictor. */
    static const char *const names[] = {"in1.scale", "in1.shift", "in2.scale",
                                        "in2.shift", "in3.scale", "in3.shift"};
    for (int i = 0; i < 6; i++) {
        const float *d;
        size_t count;
        if (CHECK(imp_model_param(embers, names[i], &d, &count) == IMP_OK))
            CHECK_STATUS(imp_predictor_set_param(p, names[i], d, count), IMP_OK);
    }
    y = output(p);
    /* The same plan ran (its node counters kept counting), with embers' look. */
    CHECK(runs_of_first_node(p) == before + 1);
    CHECK(y && imp_test_max_rel_error(y, want, n, 1e-3) < 1e-5);
    /* Again (the override buffer now exists), back to waves' own weights. */
    const float *d;
    size_t count;
    struct imp_predictor *fresh = predictor(waves, NULL, x);
    const float *yw = fresh ? output(fresh) : NULL;
    for (int i = 0; i < 6 && yw; i++)
        if (imp_model_param(waves, names[i], &d, &count) == IMP_OK)
            imp_predictor_set_param(p, names[i], d, count);
    y = output(p);
    CHECK(runs_of_first_node(p) == before + 2);
    CHECK(y && yw && imp_test_max_rel_error(y, yw, n, 1e-3) < 1e-5);
    imp_predictor_free(fresh);
    /* Wrong sizes and names still fail, and change nothing. */
    CHECK_STATUS(imp_predictor_set_param(p, "in1.scale", d, 3), IMP_ERR_SHAPE);
    CHECK_STATUS(imp_predictor_set_param(p, "nope", d, 3), IMP_ERR_ARGUMENT);
free_all:
    imp_predictor_free(ref);
    imp_predictor_free(p);
    free(x);
    free(want);
done:
    imp_model_free(waves);
    imp_model_free(embers);
}

/* A packed weight: the plan is rebuilt and the fast engines agree with the
 * reference engines (which read the weight as it is). */
static void packed_weights_replan_and_are_seen(void)
{
    struct imp_model *m = load(STYLES "cin/waves.onnx");
    if (!CHECK(m))
        return;
    const size_t n = 3 * 36 * 44;
    float *x = malloc(n * sizeof *x), *fast = malloc(n * sizeof *fast);
    unsigned seed = 10;
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5f + 0.5f * imp_test_frand(&seed);
    struct imp_predictor *p = predictor(m, NULL, x);
    struct imp_predictor *r = predictor(m, "Conv=ref,ConvTranspose=ref", x);
    const float *w2, *w3;
    size_t c2, c3;
    if (!CHECK(p && r && output(p) && output(r) &&
               imp_model_param(m, "w2", &w2, &c2) == IMP_OK &&
               imp_model_param(m, "w3", &w3, &c3) == IMP_OK))
        goto done;
    memcpy(fast, output(p), n * sizeof *fast);
    float *nw2 = malloc(c2 * sizeof *nw2), *nw3 = malloc(c3 * sizeof *nw3);
    for (size_t i = 0; i < c2; i++)
        nw2[i] = -1.5f * w2[i];
    for (size_t i = 0; i < c3; i++)
        nw3[i] = 0.5f * w3[(i + 7) % c3];
    int before = runs_of_first_node(p);
    CHECK_STATUS(imp_predictor_set_param(p, "w2", nw2, c2), IMP_OK);
    CHECK_STATUS(imp_predictor_set_param(p, "w3", nw3, c3), IMP_OK);
    CHECK_STATUS(imp_predictor_set_param(r, "w2", nw2, c2), IMP_OK);
    CHECK_STATUS(imp_predictor_set_param(r, "w3", nw3, c3), IMP_OK);
    const float *y = output(p), *yr = output(r);
    CHECK(runs_of_first_node(p) == 1 && before >= 1); /* a new plan */
    CHECK(y && yr && imp_test_max_rel_error(y, yr, n, 1e-2) < 1e-3);
    CHECK(y && imp_test_max_rel_error(y, fast, n, 1e-2) > 1e-2); /* it changed */
    free(nw2);
    free(nw3);
done:
    imp_predictor_free(p);
    imp_predictor_free(r);
    free(x);
    free(fast);
    imp_model_free(m);
}

int main(void)
{
    RUN(norm_weights_change_without_replanning);
    RUN(packed_weights_replan_and_are_seen);
    return imp_test_finish();
}
