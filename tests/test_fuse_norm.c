/* The fuse_norm pass: InstanceNormalization -> Relu becomes one node with
 * activation="Relu" when nothing else can see the normalised tensor; the
 * numbers stay those of the two nodes; the pass is idempotent, directly
 * and through a saved .imp. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/model.h"
#include "harness.h"
#include "passes/passes.h"

#define C 3
#define H 5
#define W 7

static const float scale[C] = {1.5f, -0.5f, 2.0f}, bias[C] = {0.25f, -0.125f, 0.5f};

static int add_node(struct imp_graph *g, enum imp_op op, int n_in, const int *in,
                    const char *name)
{
    int y = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    imp_graph_add_node(g, op, name, n_in, in, 1, &y);
    return y;
}

static int add_in(struct imp_graph *g, int x, const char *name)
{
    struct imp_shape cs = {.rank = 1, .d = {C}};
    char sn[64], bn[64];
    snprintf(sn, sizeof sn, "%s.scale", name);
    snprintf(bn, sizeof bn, "%s.bias", name);
    int in[3] = {x, imp_graph_add_const(g, sn, IMP_DTYPE_F32, &cs, scale),
                 imp_graph_add_const(g, bn, IMP_DTYPE_F32, &cs, bias)};
    return add_node(g, IMP_OP_INSTANCE_NORM, 3, in, name);
}

static int add_input(struct imp_graph *g)
{
    int64_t xd[4] = {1, C, H, W};
    struct imp_shape xs = imp_shape_make(4, xd);
    int x = imp_graph_add_value(g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    imp_graph_add_input(g, x);
    return x;
}

/* Graph kinds. */
enum shape { SIMPLE, CHAIN, IN_IS_OUTPUT, SECOND_READER, NOT_RELU };

static void build(struct imp_graph *g, enum shape kind)
{
    imp_graph_init(g);
    int x = add_input(g);
    int n = add_in(g, x, "in1");
    int r;
    switch (kind) {
    case SIMPLE:
        imp_graph_add_output(g, add_node(g, IMP_OP_RELU, 1, &n, "relu1"));
        break;
    case CHAIN:
        r = add_node(g, IMP_OP_RELU, 1, &n, "relu1");
        n = add_in(g, r, "in2");
        imp_graph_add_output(g, add_node(g, IMP_OP_RELU, 1, &n, "relu2"));
        break;
    case IN_IS_OUTPUT:
        imp_graph_add_output(g, add_node(g, IMP_OP_RELU, 1, &n, "relu1"));
        imp_graph_add_output(g, n);
        break;
    case SECOND_READER: {
        r = add_node(g, IMP_OP_RELU, 1, &n, "relu1");
        int in[2] = {n, r};
        imp_graph_add_output(g, add_node(g, IMP_OP_ADD, 2, in, "add"));
        break;
    }
    case NOT_RELU:
        imp_graph_add_output(g, add_node(g, IMP_OP_SIGMOID, 1, &n, "sig"));
        break;
    }
}

static int count(const struct imp_graph *g, enum imp_op op)
{
    int k = 0;
    for (int i = 0; i < g->n_nodes; i++)
        k += g->nodes[i].op == op;
    return k;
}

static int fused_count(const struct imp_graph *g)
{
    int k = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const char *act = imp_node_string(&g->nodes[i], "activation", NULL);
        k += g->nodes[i].op == IMP_OP_INSTANCE_NORM && act && strcmp(act, "Relu") == 0;
    }
    return k;
}

static void pass_rewrites_only_what_it_may(void)
{
    static const struct {
        enum shape kind;
        int relus_after, fused;
    } cases[] = {
        {SIMPLE, 0, 1}, {CHAIN, 0, 2}, {IN_IS_OUTPUT, 1, 0}, {SECOND_READER, 1, 0},
        {NOT_RELU, 0, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct imp_graph g;
        build(&g, cases[k].kind);
        struct imp_error err;
        int nodes_before = g.n_nodes;
        CHECK_STATUS(imp_graph_sort(&g, &err), IMP_OK);
        CHECK_STATUS(imp_pass_fuse_norm(&g, &err), IMP_OK);
        CHECK(count(&g, IMP_OP_RELU) == cases[k].relus_after);
        if (!CHECK(fused_count(&g) == cases[k].fused))
            printf("  case %zu: %d fused\n", k, fused_count(&g));
        CHECK(g.n_nodes == nodes_before - cases[k].fused);
        /* The graph outputs keep their names. */
        for (int i = 0; i < g.n_outputs; i++)
            CHECK(g.values[g.outputs[i]].name != NULL);
        if (cases[k].kind == SIMPLE)
            CHECK(strcmp(g.values[g.outputs[0]].name, "relu1") == 0 &&
                  g.nodes[0].outputs[0] == g.outputs[0]);
        /* Again: nothing changes. */
        int nodes = g.n_nodes, values = g.n_values;
        CHECK_STATUS(imp_pass_fuse_norm(&g, &err), IMP_OK);
        CHECK(g.n_nodes == nodes && g.n_values == values);
        CHECK(fused_count(&g) == cases[k].fused);
        CHECK_STATUS(imp_graph_sort(&g, &err), IMP_OK);
        imp_graph_release(&g);
    }
}

/* What the two-node graph computes, in double like the reference. */
static void expect_in_relu(const float *x, float *y)
{
    for (int c = 0; c < C; c++) {
        const float *p = x + c * H * W;
        double mean = 0, var = 0;
        for (int i = 0; i < H * W; i++)
            mean += p[i];
        mean /= H * W;
        for (int i = 0; i < H * W; i++)
            var += (p[i] - mean) * (p[i] - mean);
        var /= H * W;
        double a = scale[c] / sqrt(var + 1e-5);
        for (int i = 0; i < H * W; i++) {
            float v = (float)((p[i] - mean) * a + bias[c]);
            y[c * H * W + i] = v > 0.0f ? v : 0.0f;
        }
    }
}

static bool run_model(struct imp_model *m, const float *x, float *y, const char *engines)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.engines = engines;
    o.threads = 1;
    struct imp_predictor *p;
    struct imp_error err;
    if (imp_predictor_init(m, &o, &p, &err) != IMP_OK) {
        printf("  init: %s\n", err.message);
        return false;
    }
    imp_predictor_set_input(p, 0, x, sizeof(float) * C * H * W);
    bool ok = imp_predictor_run(p) == IMP_OK;
    if (ok) {
        struct imp_tensor_info info;
        const void *out;
        imp_predictor_output(p, 0, &info, &out);
        memcpy(y, out, sizeof(float) * C * H * W);
    }
    imp_predictor_free(p);
    return ok;
}

static void fused_model_computes_in_then_relu(void)
{
    float x[C * H * W], want[C * H * W], got[C * H * W];
    for (int i = 0; i < C * H * W; i++)
        x[i] = (float)sin(0.7 * i) * 3.0f + (float)(i % 4);
    expect_in_relu(x, want);
    struct imp_graph g;
    build(&g, SIMPLE);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (!CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK))
        return;
    CHECK(imp_model_node_count(m) == 1);
    static const char *const engines[] = {"InstanceNormalization=ref",
                                          "InstanceNormalization=simd"};
    for (int e = 0; e < 2; e++) {
        if (CHECK(run_model(m, x, got, engines[e]))) {
            double worst = imp_test_max_rel_error(got, want, C * H * W, 1.0);
            if (!CHECK(worst <= 1e-6))
                printf("  %s: error %g\n", engines[e], worst);
        }
    }
    /* Through .imp: stored by name, loads (passes again) to the same. */
    char path[1024];
    snprintf(path, sizeof path, "%s/test_fuse_norm.imp", IMP_BINARY_DIR);
    struct imp_model *back = NULL;
    if (CHECK(imp_model_save_imp(m, path, &err) == IMP_OK) &&
        CHECK(imp_model_load_file(path, &back, &err) == IMP_OK)) {
        CHECK(imp_model_node_count(back) == 1);
        CHECK(strcmp(imp_model_node_op(back, 0), "InstanceNormalization") == 0);
        if (CHECK(run_model(back, x, got, NULL)))
            CHECK(imp_test_max_rel_error(got, want, C * H * W, 1.0) <= 1e-6);
    }
    imp_model_free(back);
    imp_model_free(m);
    remove(path);
}

int main(void)
{
    RUN(pass_rewrites_only_what_it_may);
    RUN(fused_model_computes_in_then_relu);
    return imp_test_finish();
}
