/* Instance-norm statistics under the caller's control
 * (imp_predictor_*_norm_stats): what a run measures is reported per plane;
 * HELD normalises by given statistics, SMOOTHED by an exponential average,
 * both without re-planning; the held statistics survive set_param; bad
 * arguments are refused. Every case runs on both engines and every ISA cap
 * the machine has. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "harness.h"

#define N 2
#define C 3
#define H 9
#define W 11
#define PLANE (H * W)
#define COUNT (N * C * PLANE)
#define EPS 1e-5

static const float scale[C] = {1.5f, -0.5f, 2.0f}, bias[C] = {0.25f, -0.125f, 0.5f};

static int add_in(struct imp_graph *g, int x, const char *name)
{
    struct imp_shape cs = {.rank = 1, .d = {C}};
    char sn[64], bn[64];
    snprintf(sn, sizeof sn, "%s.scale", name);
    snprintf(bn, sizeof bn, "%s.bias", name);
    int in[3] = {x, imp_graph_add_const(g, sn, IMP_DTYPE_F32, &cs, scale),
                 imp_graph_add_const(g, bn, IMP_DTYPE_F32, &cs, bias)};
    int y = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    imp_graph_add_node(g, IMP_OP_INSTANCE_NORM, name, 3, in, 1, &y);
    return y;
}

/* x [N, C, H, W] -> InstanceNormalization "in1" (-> Relu -> "in2" when
 * two) -> output. */
static struct imp_model *make_model(bool two)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {N, C, H, W};
    struct imp_shape xs = imp_shape_make(4, xd);
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    imp_graph_add_input(&g, x);
    int y = add_in(&g, x, "in1");
    if (two) {
        int r = imp_graph_add_value(&g, "relu", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
        imp_graph_add_node(&g, IMP_OP_RELU, "relu", 1, &y, 1, &r);
        y = add_in(&g, r, "in2");
    }
    imp_graph_add_output(&g, y);
    struct imp_model *m = NULL;
    struct imp_error err = {0};
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  model: %s\n", err.message);
    return m;
}

/* Per-plane statistics of x, in double. */
static void plane_stats(const float *x, double *mean, double *var)
{
    for (int p = 0; p < N * C; p++) {
        double s = 0, q = 0;
        for (int i = 0; i < PLANE; i++)
            s += x[p * PLANE + i];
        mean[p] = s / PLANE;
        for (int i = 0; i < PLANE; i++) {
            double d = x[p * PLANE + i] - mean[p];
            q += d * d;
        }
        var[p] = q / PLANE;
    }
}

/* The one-norm model's output for x normalised by the given statistics. */
static void expected(const float *x, const double *mean, const double *var, float *y)
{
    for (int p = 0; p < N * C; p++) {
        double a = scale[p % C] / sqrt(var[p] + EPS);
        for (int i = 0; i < PLANE; i++)
            y[p * PLANE + i] = (float)((x[p * PLANE + i] - mean[p]) * a + bias[p % C]);
    }
}

static bool run(struct imp_predictor *p, const float *x, float *y)
{
    if (imp_predictor_set_input(p, 0, x, COUNT * sizeof(float)) != IMP_OK ||
        imp_predictor_run(p) != IMP_OK)
        return false;
    struct imp_tensor_info info;
    const void *data;
    if (imp_predictor_output(p, 0, &info, &data) != IMP_OK)
        return false;
    memcpy(y, data, COUNT * sizeof(float));
    return true;
}

static bool close_to(const float *y, const float *want, double tol, const char *what)
{
    double e = imp_test_max_rel_error(y, want, COUNT, 1.0);
    if (!(e <= tol))
        printf("  %s: max error %g\n", what, e);
    return e <= tol;
}

static bool stats_near(const double *got, const double *want, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= 1e-9 * (1 + fabs(want[i])))) {
            printf("  %s[%d]: %.17g, want %.17g\n", what, i, got[i], want[i]);
            return false;
        }
    return true;
}

static float xa[COUNT], xb[COUNT];

static struct imp_predictor *predictor(struct imp_model *m, enum imp_isa isa,
                                       const char *engines)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.threads = 2;
    o.max_isa = isa;
    o.engines = engines;
    struct imp_predictor *p = NULL;
    struct imp_error err = {0};
    if (imp_predictor_init(m, &o, &p, &err) != IMP_OK)
        printf("  predictor: %s\n", err.message);
    return p;
}

static void one_norm(enum imp_isa isa, const char *engines)
{
    struct imp_model *m = make_model(false);
    struct imp_predictor *p = m ? predictor(m, isa, engines) : NULL;
    if (!CHECK(p != NULL)) {
        imp_model_free(m);
        return;
    }
    static float y[COUNT], want[COUNT];
    double ma[N * C], va[N * C], mb[N * C], vb[N * C], got_m[N * C], got_v[N * C];
    plane_stats(xa, ma, va);
    plane_stats(xb, mb, vb);
    size_t count = 0;
    CHECK_STATUS(imp_predictor_norm_stats_count(p, &count), IMP_OK);
    CHECK(count == N * C);

    /* MEASURED: ONNX's answer, and the measurement reported. */
    CHECK(run(p, xb, y));
    expected(xb, mb, vb, want);
    CHECK(close_to(y, want, 2e-6, "measured output"));
    CHECK_STATUS(imp_predictor_get_norm_stats(p, 1, got_m, got_v, count), IMP_OK);
    CHECK(stats_near(got_m, mb, N * C, "measured mean"));
    CHECK(stats_near(got_v, vb, N * C, "measured var"));
    CHECK_STATUS(imp_predictor_get_norm_stats(p, 0, got_m, got_v, count), IMP_OK);
    CHECK(got_m[0] == 0 && got_v[N * C - 1] == 0); /* nothing held yet */

    /* HELD: the first run holds its own statistics, later runs use them. */
    CHECK_STATUS(imp_predictor_set_norm_stats_mode(p, IMP_NORM_STATS_HELD, 0), IMP_OK);
    CHECK(run(p, xa, y));
    expected(xa, ma, va, want);
    CHECK(close_to(y, want, 2e-6, "held, first run"));
    CHECK(run(p, xb, y));
    expected(xb, ma, va, want);
    CHECK(close_to(y, want, 2e-6, "held: b normalised by a's statistics"));
    CHECK_STATUS(imp_predictor_get_norm_stats(p, 1, got_m, got_v, count), IMP_OK);
    CHECK(stats_near(got_m, mb, N * C, "held mode still measures"));

    /* Given statistics, and a set_param (re-plan) that keeps them. */
    CHECK_STATUS(imp_predictor_set_norm_stats(p, mb, vb, count), IMP_OK);
    const float scale2[C] = {1.5f, -0.5f, 2.0f};
    CHECK_STATUS(imp_predictor_set_param(p, "in1.scale", scale2, C), IMP_OK);
    CHECK(run(p, xa, y));
    expected(xa, mb, vb, want);
    CHECK(close_to(y, want, 2e-6, "given statistics after set_param"));
    CHECK_STATUS(imp_predictor_get_norm_stats(p, 0, got_m, got_v, count), IMP_OK);
    CHECK(stats_near(got_v, vb, N * C, "held var round trip"));

    /* SMOOTHED: held = w * held + (1 - w) * measured. */
    const double w = 0.75;
    CHECK_STATUS(imp_predictor_set_norm_stats_mode(p, IMP_NORM_STATS_SMOOTHED, w), IMP_OK);
    imp_predictor_reset_norm_stats(p);
    CHECK(run(p, xa, y)); /* holds a */
    CHECK(run(p, xb, y));
    double sm[N * C], sv[N * C];
    for (int i = 0; i < N * C; i++) {
        sm[i] = w * ma[i] + (1 - w) * mb[i];
        sv[i] = w * va[i] + (1 - w) * vb[i];
    }
    expected(xb, sm, sv, want);
    CHECK(close_to(y, want, 2e-6, "smoothed output"));
    CHECK_STATUS(imp_predictor_get_norm_stats(p, 0, got_m, got_v, count), IMP_OK);
    CHECK(stats_near(got_m, sm, N * C, "smoothed mean"));
    CHECK(stats_near(got_v, sv, N * C, "smoothed var"));

    /* Back to MEASURED: ONNX's answer again, the held values untouched. */
    CHECK_STATUS(imp_predictor_set_norm_stats_mode(p, IMP_NORM_STATS_MEASURED, 0), IMP_OK);
    CHECK(run(p, xa, y));
    expected(xa, ma, va, want);
    CHECK(close_to(y, want, 2e-6, "measured again"));
    CHECK_STATUS(imp_predictor_get_norm_stats(p, 0, got_m, got_v, count), IMP_OK);
    CHECK(stats_near(got_m, sm, N * C, "held kept while measuring"));

    /* Refusals. */
    double bad_v[N * C];
    memcpy(bad_v, vb, sizeof bad_v);
    bad_v[1] = -1;
    CHECK_STATUS(imp_predictor_set_norm_stats(p, mb, bad_v, count), IMP_ERR_ARGUMENT);
    bad_v[1] = NAN;
    CHECK_STATUS(imp_predictor_set_norm_stats(p, mb, bad_v, count), IMP_ERR_ARGUMENT);
    CHECK_STATUS(imp_predictor_set_norm_stats(p, mb, vb, count - 1), IMP_ERR_SHAPE);
    CHECK_STATUS(imp_predictor_get_norm_stats(p, 1, got_m, got_v, count + 1), IMP_ERR_SHAPE);
    CHECK_STATUS(imp_predictor_set_norm_stats_mode(p, IMP_NORM_STATS_SMOOTHED, 1.5),
                 IMP_ERR_ARGUMENT);
    CHECK_STATUS(imp_predictor_set_norm_stats_mode(p, (enum imp_norm_stats_mode)7, 0),
                 IMP_ERR_ARGUMENT);
    imp_predictor_free(p);
    imp_model_free(m);
}

/* Two norms: entries in graph order; holding a run's own statistics gives
 * that run's own output exactly. */
static void two_norms(enum imp_isa isa, const char *engines)
{
    struct imp_model *m = make_model(true);
    struct imp_predictor *p = m ? predictor(m, isa, engines) : NULL;
    if (!CHECK(p != NULL)) {
        imp_model_free(m);
        return;
    }
    static float own[COUNT], held[COUNT];
    size_t count = 0;
    CHECK_STATUS(imp_predictor_norm_stats_count(p, &count), IMP_OK);
    CHECK(count == 2 * N * C);
    double mean[2 * N * C], var[2 * N * C], ma[N * C], va[N * C];
    CHECK(run(p, xa, own));
    CHECK_STATUS(imp_predictor_get_norm_stats(p, 1, mean, var, count), IMP_OK);
    plane_stats(xa, ma, va);
    CHECK(stats_near(mean, ma, N * C, "first norm's mean comes first"));
    CHECK_STATUS(imp_predictor_set_norm_stats(p, mean, var, count), IMP_OK);
    CHECK_STATUS(imp_predictor_set_norm_stats_mode(p, IMP_NORM_STATS_HELD, 0), IMP_OK);
    CHECK(run(p, xa, held));
    CHECK(memcmp(own, held, sizeof own) == 0);
    CHECK(run(p, xb, held));
    CHECK(memcmp(own, held, sizeof own) != 0);
    imp_predictor_free(p);
    imp_model_free(m);
}

static void all(void)
{
    unsigned seed = 7;
    for (int i = 0; i < COUNT; i++) {
        xa[i] = 3.0f * imp_test_frand(&seed) + 1.0f;
        xb[i] = 0.5f * imp_test_frand(&seed) - 2.0f;
    }
    enum imp_isa best = imp_isa_detect();
    for (int isa = IMP_ISA_SCALAR; isa <= (int)best; isa++) {
        for (int e = 0; e < 2; e++) {
            const char *engines = e ? "InstanceNormalization=ref" : NULL;
            printf("  isa %s, engine %s\n", imp_isa_name((enum imp_isa)isa),
                   e ? "ref" : "default");
            one_norm((enum imp_isa)isa, engines);
            two_norms((enum imp_isa)isa, engines);
        }
    }
}

int main(void)
{
    RUN(all);
    return imp_test_finish();
}
