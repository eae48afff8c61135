/* The fuse_norm pass: InstanceNormalization -> Relu -> spatial Pad becomes
 * one node with activation="Relu" and pads when nothing else can see the
 * tensors in between; the numbers stay those of the separate nodes; the
 * pass is idempotent, directly and through a saved .imp. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
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
enum shape {
    SIMPLE, CHAIN, IN_IS_OUTPUT, SECOND_READER, NOT_RELU,
    PAD_REFLECT,  /* IN -> Relu -> Pad reflect (pads input)    */
    PAD_EDGE,     /* IN -> Pad edge (legacy pads attribute)    */
    PAD_CONSTANT, /* IN -> Relu -> Pad constant 1.5 (inputs)   */
    PAD_CHANNEL,  /* IN -> Relu -> Pad on the channel axis too */
    PAD_SHARED,   /* IN -> Relu -> Pad, and the Relu output read again */
};

static const int64_t spatial_pads[8] = {0, 0, 2, 1, 0, 0, 1, 3};

static int add_pad(struct imp_graph *g, int x, const char *mode, bool legacy,
                   const int64_t *pads, bool value_input)
{
    int in[3] = {x, -1, -1};
    int n_in = 1;
    if (!legacy) {
        struct imp_shape ps = {.rank = 1, .d = {8}};
        in[n_in++] = imp_graph_add_const(g, "pads", IMP_DTYPE_I64, &ps, pads);
    }
    if (value_input) {
        struct imp_shape vs = {.rank = 0};
        float v = 1.5f;
        in[n_in++] = imp_graph_add_const(g, "value", IMP_DTYPE_F32, &vs, &v);
    }
    int y = imp_graph_add_value(g, "pad", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int node = imp_graph_add_node(g, IMP_OP_PAD, "pad", n_in, in, 1, &y);
    imp_node_set_string(g, node, "mode", mode);
    if (legacy)
        imp_node_set_ints(g, node, "pads", pads, 8);
    return y;
}

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
    case PAD_REFLECT:
        r = add_node(g, IMP_OP_RELU, 1, &n, "relu1");
        imp_graph_add_output(g, add_pad(g, r, "reflect", false, spatial_pads, false));
        break;
    case PAD_EDGE:
        imp_graph_add_output(g, add_pad(g, n, "edge", true, spatial_pads, false));
        break;
    case PAD_CONSTANT:
        r = add_node(g, IMP_OP_RELU, 1, &n, "relu1");
        imp_graph_add_output(g, add_pad(g, r, "constant", false, spatial_pads, true));
        break;
    case PAD_CHANNEL: {
        static const int64_t channel_pads[8] = {0, 1, 1, 1, 0, 0, 1, 1};
        r = add_node(g, IMP_OP_RELU, 1, &n, "relu1");
        imp_graph_add_output(g, add_pad(g, r, "reflect", false, channel_pads, false));
        break;
    }
    case PAD_SHARED: {
        r = add_node(g, IMP_OP_RELU, 1, &n, "relu1");
        imp_graph_add_output(g, add_pad(g, r, "reflect", false, spatial_pads, false));
        imp_graph_add_output(g, add_node(g, IMP_OP_SIGMOID, 1, &r, "sig"));
        break;
    }
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

static int padded_count(const struct imp_graph *g)
{
    int k = 0;
    for (int i = 0; i < g->n_nodes; i++)
        k += g->nodes[i].op == IMP_OP_INSTANCE_NORM && imp_node_attr(&g->nodes[i], "pads");
    return k;
}

static void pass_rewrites_only_what_it_may(void)
{
    static const struct {
        enum shape kind;
        int relus_after, fused, pads_after, padded;
    } cases[] = {
        {SIMPLE, 0, 1, 0, 0},       {CHAIN, 0, 2, 0, 0},       {IN_IS_OUTPUT, 1, 0, 0, 0},
        {SECOND_READER, 1, 0, 0, 0}, {NOT_RELU, 0, 0, 0, 0},   {PAD_REFLECT, 0, 1, 0, 1},
        {PAD_EDGE, 0, 0, 0, 1},      {PAD_CONSTANT, 0, 1, 0, 1}, {PAD_CHANNEL, 0, 1, 1, 0},
        {PAD_SHARED, 0, 1, 1, 0},
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
        CHECK(count(&g, IMP_OP_PAD) == cases[k].pads_after);
        if (!CHECK(padded_count(&g) == cases[k].padded))
            printf("  case %zu: %d padded\n", k, padded_count(&g));
        CHECK(g.n_nodes == nodes_before - cases[k].fused - cases[k].padded);
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
        CHECK(padded_count(&g) == cases[k].padded);
        CHECK_STATUS(imp_graph_sort(&g, &err), IMP_OK);
        imp_graph_release(&g);
    }
}

#define OH (H + 3)
#define OW (W + 4)

#define OH (H + 3)
#define OW (W + 4)

/* What InstanceNormalization (+ Relu) computes, in double like the
 * reference. */
static void expect_in(const float *x, bool relu, float *y)
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
            y[c * H * W + i] = relu && !(v > 0.0f) ? 0.0f : v;
        }
    }
}

static int64_t pad_src(const char *mode, int64_t i, int64_t n)
{
    if (i >= 0 && i < n)
        return i;
    if (strcmp(mode, "constant") == 0)
        return -1;
    if (strcmp(mode, "edge") == 0)
        return i < 0 ? 0 : n - 1;
    return i < 0 ? -i : 2 * (n - 1) - i;
}

/* The same, then the Pad of spatial_pads. */
static void expect_padded(const float *x, bool relu, const char *mode, float value,
                          float *y)
{
    float plain[C * H * W];
    expect_in(x, relu, plain);
    for (int c = 0; c < C; c++)
        for (int64_t r = 0; r < OH; r++)
            for (int64_t o = 0; o < OW; o++) {
                int64_t sr = pad_src(mode, r - spatial_pads[2], H);
                int64_t sc = pad_src(mode, o - spatial_pads[3], W);
                y[(c * OH + r) * OW + o] =
                    sr < 0 || sc < 0 ? value : plain[(c * H + sr) * W + sc];
            }
}

static bool run_model_n(struct imp_model *m, const float *x, float *y, size_t n,
                        const char *engines)
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
        size_t got = 1;
        for (int i = 0; i < info.rank; i++)
            got *= (size_t)info.dims[i];
        ok = got == n;
        if (ok)
            memcpy(y, out, sizeof(float) * n);
    }
    imp_predictor_free(p);
    return ok;
}

static bool run_model(struct imp_model *m, const float *x, float *y, const char *engines)
{
    return run_model_n(m, x, y, C * H * W, engines);
}

static void fused_model_computes_in_then_relu(void)
{
    float x[C * H * W], want[C * H * W], got[C * H * W];
    for (int i = 0; i < C * H * W; i++)
        x[i] = (float)sin(0.7 * i) * 3.0f + (float)(i % 4);
    expect_in(x, true, want);
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

static void padded_models_compute_in_relu_pad(void)
{
    static const struct {
        enum shape kind;
        bool relu;
        const char *mode;
        float value;
    } cases[] = {
        {PAD_REFLECT, true, "reflect", 0.0f},
        {PAD_EDGE, false, "edge", 0.0f},
        {PAD_CONSTANT, true, "constant", 1.5f},
    };
    static const char *const engines[] = {"InstanceNormalization=ref",
                                          "InstanceNormalization=simd"};
    float x[C * H * W], want[C * OH * OW], got[C * OH * OW];
    for (int i = 0; i < C * H * W; i++)
        x[i] = (float)cos(0.3 * i) * 2.0f - (float)(i % 3);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        expect_padded(x, cases[k].relu, cases[k].mode, cases[k].value, want);
        struct imp_graph g;
        build(&g, cases[k].kind);
        struct imp_model *m = NULL;
        struct imp_error err;
        if (!CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK))
            continue;
        CHECK(imp_model_node_count(m) == 1);
        for (int e = 0; e < 2; e++) {
            if (CHECK(run_model_n(m, x, got, C * OH * OW, engines[e]))) {
                double worst = imp_test_max_rel_error(got, want, C * OH * OW, 1.0);
                if (!CHECK(worst <= 1e-6))
                    printf("  case %zu %s: error %g\n", k, engines[e], worst);
            }
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/test_fuse_norm_pad.imp", IMP_BINARY_DIR);
        struct imp_model *back = NULL;
        if (CHECK(imp_model_save_imp(m, path, &err) == IMP_OK) &&
            CHECK(imp_model_load_file(path, &back, &err) == IMP_OK)) {
            CHECK(imp_model_node_count(back) == 1);
            if (CHECK(run_model_n(back, x, got, C * OH * OW, NULL)))
                CHECK(imp_test_max_rel_error(got, want, C * OH * OW, 1.0) <= 1e-6);
        }
        imp_model_free(back);
        imp_model_free(m);
        remove(path);
    }
}

int main(void)
{
    RUN(pass_rewrites_only_what_it_may);
    RUN(fused_model_computes_in_then_relu);
    RUN(padded_models_compute_in_relu_pad);
    return imp_test_finish();
}
