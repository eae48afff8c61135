/* The decomposed-norm pass: every written-out instance or layer norm it
 * claims to recognise (TensorFlow's moments + batch_normalization as the TFLite
 * Magenta networks have it, PyTorch-style (x - mean) / sqrt(var + eps),
 * rsqrt as Pow, opset-18 axes, gamma/beta as constants or as graph values)
 * becomes one InstanceNormalization (means over H and W) or
 * LayerNormalization (over other trailing axes) that computes what the
 * separate nodes
 * computed (the unfused graph evaluated node by node by the reference
 * engines) at every engine and ISA cap; near-misses stay as they are; a
 * fused model saved as .imp loads back the same; the Magenta transfer
 * network fuses all 13 of its norms. With the batch, height and width
 * left open (a style network of any picture size) every instance norm
 * still fuses, and what depends on an open dim (a layer norm over one, a
 * gamma of the picture's size) does not. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/infer.h"
#include "runtime/model.h"
#include "harness.h"

#define N 2
#define C 3
#define H 5
#define W 7
#define XN (N * C * H * W)

enum variant {
    TF_STYLE,       /* TF form, gamma and beta graph inputs [1,C,1,1] (Magenta) */
    TF_CONST,       /* TF form, constant gamma [C,1,1] and beta [1,C,1,1]       */
    TF_NO_GAMMA,    /* TF form, k = r                                           */
    TF_NO_BETA,     /* TF form, y = x * k - m * k                                */
    TORCH_AFFINE,   /* (x - m) / sqrt(v + eps) * gamma + beta, Pow(d, 2)         */
    TORCH_PLAIN,    /* (x - m) / sqrt(v + eps)                                   */
    RSQRT_POW,      /* (r * d) with r = Pow(eps + v, -0.5), then + beta only     */
    AXES_INPUT,     /* opset-18 ReduceMean with axes as an input, scalar gamma  */
    CHANNEL_AXES,   /* means over C, H and W: a layer norm from axis 1          */
    LAYER_LAST,     /* nn.LayerNorm over W as PyTorch < opset 17 writes it:
                       Pow, Div, gamma and beta [W]                             */
    LAYER_GAMMA_C,  /* means over W, gamma per channel: the layer norm fuses,
                       the Mul and Add stay                                     */
    /* Near-misses: must stay unfused. */
    EPS_OUTSIDE,    /* d / (sqrt(v) + eps)                                      */
    MEAN_SHARED,    /* the mean is also a graph output                          */
    SUB_REVERSED,   /* m - x                                                    */
    GAMMA_SPATIAL,  /* PyTorch form, gamma [1,1,H,W]: the norm fuses, the Mul
                       and Add after it stay                                   */
    TF_GAMMA_SPATIAL, /* TF form, gamma [1,1,H,W] inside k: nothing fuses      */
    VAR_OTHER_AXES, /* variance over W only                                     */
    N_VARIANTS
};

static const struct {
    const char *name;
    int fused, layer; /* InstanceNormalization, LayerNormalization nodes after */
} expect[N_VARIANTS] = {
    {"tf_style", 1, 0},      {"tf_const", 1, 0},     {"tf_no_gamma", 1, 0},
    {"tf_no_beta", 1, 0},    {"torch_affine", 1, 0}, {"torch_plain", 1, 0},
    {"rsqrt_pow", 1, 0},     {"axes_input", 1, 0},   {"channel_axes", 0, 1},
    {"layer_last", 0, 1},    {"layer_gamma_c", 0, 1}, {"eps_outside", 0, 0},
    {"mean_shared", 0, 0},   {"sub_reversed", 0, 0}, {"gamma_spatial", 1, 0},
    {"tf_gamma_spatial", 0, 0}, {"var_other_axes", 0, 0},
};

static float x_data[XN], gamma_data[C], beta_data[C], gamma_hw[H * W], gamma_w[W], beta_w[W];

static int value(struct imp_graph *g, const char *name)
{
    return imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
}

static int node(struct imp_graph *g, enum imp_op op, const char *name, int a, int b)
{
    int y = value(g, name);
    int in[2] = {a, b};
    imp_graph_add_node(g, op, name, b == -1 ? 1 : 2, in, 1, &y);
    return y;
}

static int scalar(struct imp_graph *g, const char *name, float v)
{
    struct imp_shape s = {.rank = 0};
    return imp_graph_add_const(g, name, IMP_DTYPE_F32, &s, &v);
}

static int mean(struct imp_graph *g, const char *name, int x, const int64_t *axes, int n_axes,
                bool axes_input)
{
    int y = value(g, name);
    int in[2] = {x, -1};
    if (axes_input) {
        struct imp_shape s = {.rank = 1, .d = {n_axes}};
        in[1] = imp_graph_add_const(g, "axes", IMP_DTYPE_I64, &s, axes);
    }
    int ni = imp_graph_add_node(g, IMP_OP_REDUCE_MEAN, name, axes_input ? 2 : 1, in, 1, &y);
    if (!axes_input)
        imp_node_set_ints(g, ni, "axes", axes, n_axes);
    imp_node_set_int(g, ni, "keepdims", 1);
    return y;
}

static int channel_const(struct imp_graph *g, const char *name, int rank, const float *data)
{
    int64_t d4[4] = {1, C, 1, 1}, d3[3] = {C, 1, 1};
    struct imp_shape s = rank == 4 ? imp_shape_make(4, d4) : imp_shape_make(3, d3);
    return imp_graph_add_const(g, name, IMP_DTYPE_F32, &s, data);
}

static int channel_input(struct imp_graph *g, const char *name)
{
    int64_t d[4] = {1, C, 1, 1};
    struct imp_shape s = imp_shape_make(4, d);
    int v = imp_graph_add_value(g, name, IMP_VALUE_INPUT, IMP_DTYPE_F32, &s);
    imp_graph_add_input(g, v);
    return v;
}

/* The graph of one variant; its inputs are x, then (TF_STYLE) gamma, beta.
 * open: x is [?, C, ?, ?]. */
static void build(struct imp_graph *g, enum variant k, bool open)
{
    imp_graph_init(g);
    int64_t xd[4] = {open ? -1 : N, C, open ? -1 : H, open ? -1 : W};
    struct imp_shape xs = imp_shape_make(4, xd);
    int x = imp_graph_add_value(g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    imp_graph_add_input(g, x);
    static const int64_t spatial[2] = {2, 3}, neg_spatial[2] = {-1, -2}, chw[3] = {1, 2, 3},
                         w_only[1] = {3}, last[1] = {-1};
    bool layer = k == LAYER_LAST || k == LAYER_GAMMA_C;
    int m = k == CHANNEL_AXES ? mean(g, "m", x, chw, 3, false)
            : layer           ? mean(g, "m", x, last, 1, false)
                              : mean(g, "m", x, k == AXES_INPUT ? neg_spatial : spatial, 2,
                                     k == AXES_INPUT);
    int d = k == SUB_REVERSED ? node(g, IMP_OP_SUB, "d", m, x) : node(g, IMP_OP_SUB, "d", x, m);
    int sq = k == TORCH_AFFINE || layer ? node(g, IMP_OP_POW, "sq", d, scalar(g, "two", 2.0f))
                                        : node(g, IMP_OP_MUL, "sq", d, d);
    int v = k == CHANNEL_AXES     ? mean(g, "v", sq, chw, 3, false)
            : layer               ? mean(g, "v", sq, w_only, 1, false)
            : k == VAR_OTHER_AXES ? mean(g, "v", sq, w_only, 1, false)
                                  : mean(g, "v", sq, spatial, 2, k == AXES_INPUT);
    int eps = scalar(g, "eps", 1e-3f), y;
    if (k == EPS_OUTSIDE) {
        int s = node(g, IMP_OP_SQRT, "s", v, -1);
        y = node(g, IMP_OP_DIV, "y", d, node(g, IMP_OP_ADD, "se", s, eps));
    } else if (k == TORCH_AFFINE || k == TORCH_PLAIN || k == CHANNEL_AXES ||
               k == VAR_OTHER_AXES || k == MEAN_SHARED || k == SUB_REVERSED ||
               k == GAMMA_SPATIAL || k == AXES_INPUT || layer) {
        int s = node(g, IMP_OP_SQRT, "s", node(g, IMP_OP_ADD, "a", v, eps), -1);
        y = node(g, IMP_OP_DIV, "y0", d, s);
        if (k == LAYER_LAST) {
            int64_t wd[1] = {W};
            struct imp_shape ws = imp_shape_make(1, wd);
            y = node(g, IMP_OP_MUL, "y1", y,
                     imp_graph_add_const(g, "gamma", IMP_DTYPE_F32, &ws, gamma_w));
            y = node(g, IMP_OP_ADD, "y", y,
                     imp_graph_add_const(g, "beta", IMP_DTYPE_F32, &ws, beta_w));
        } else if (k == LAYER_GAMMA_C) {
            y = node(g, IMP_OP_MUL, "y1", y, channel_const(g, "gamma", 4, gamma_data));
            y = node(g, IMP_OP_ADD, "y", y, channel_const(g, "beta", 4, beta_data));
        } else if (k == TORCH_AFFINE || k == GAMMA_SPATIAL) {
            int gam;
            if (k == GAMMA_SPATIAL) {
                int64_t gd[4] = {1, 1, H, W};
                struct imp_shape gs = imp_shape_make(4, gd);
                gam = imp_graph_add_const(g, "gamma", IMP_DTYPE_F32, &gs, gamma_hw);
            } else {
                gam = channel_const(g, "gamma", 3, gamma_data);
            }
            y = node(g, IMP_OP_MUL, "y1", y, gam);
            y = node(g, IMP_OP_ADD, "y", channel_const(g, "beta", 4, beta_data), y);
        } else if (k == AXES_INPUT) {
            y = node(g, IMP_OP_MUL, "y", scalar(g, "gamma", 1.75f), y);
        }
    } else if (k == RSQRT_POW) {
        int a = node(g, IMP_OP_ADD, "a", eps, v);
        int r = node(g, IMP_OP_POW, "r", a, scalar(g, "half", -0.5f));
        y = node(g, IMP_OP_MUL, "y0", r, d);
        y = node(g, IMP_OP_ADD, "y", y, channel_const(g, "beta", 4, beta_data));
    } else { /* the TF forms */
        int s = node(g, IMP_OP_SQRT, "s", node(g, IMP_OP_ADD, "a", v, eps), -1);
        int r = node(g, IMP_OP_DIV, "r", scalar(g, "one", 1.0f), s);
        int gam = k == TF_STYLE ? channel_input(g, "gamma")
                  : k == TF_NO_GAMMA ? -1 : channel_const(g, "gamma", 3, gamma_data);
        if (k == TF_GAMMA_SPATIAL) {
            int64_t gd[4] = {1, 1, H, W};
            struct imp_shape gs = imp_shape_make(4, gd);
            gam = imp_graph_add_const(g, "gamma", IMP_DTYPE_F32, &gs, gamma_hw);
        }
        int beta = k == TF_STYLE ? channel_input(g, "beta")
                   : k == TF_NO_BETA ? -1 : channel_const(g, "beta", 4, beta_data);
        int kk = gam < 0 ? r : node(g, IMP_OP_MUL, "k", r, gam);
        int p = node(g, IMP_OP_MUL, "p", x, kk);
        int q = node(g, IMP_OP_MUL, "q", m, kk);
        y = beta < 0 ? node(g, IMP_OP_SUB, "y", p, q)
                     : node(g, IMP_OP_ADD, "y", p, node(g, IMP_OP_SUB, "b", beta, q));
    }
    imp_graph_add_output(g, y);
    if (k == MEAN_SHARED)
        imp_graph_add_output(g, m);
}

/* Output 0 of the graph as written, node by node by the reference engines
 * (no passes): what the fused model must reproduce. */
static float *evaluate_unfused(enum variant k)
{
    struct imp_graph g;
    build(&g, k, false);
    struct imp_error err;
    float *out = NULL;
    if (!CHECK(imp_graph_sort(&g, &err) == IMP_OK)) {
        imp_graph_release(&g);
        return NULL;
    }
    struct imp_shape shapes[3];
    void *data[3] = {x_data, gamma_data, beta_data};
    for (int i = 0; i < g.n_inputs; i++)
        shapes[i] = g.values[g.inputs[i]].shape;
    struct imp_inference inf;
    if (CHECK(imp_infer_graph(&g, shapes, data, NULL, &inf, &err) == IMP_OK)) {
        const struct imp_tensor *t = &inf.tensors[g.outputs[0]];
        if (CHECK(t->data && imp_shape_count(&t->shape) == XN)) {
            out = malloc(sizeof(float) * XN);
            memcpy(out, t->data, sizeof(float) * XN);
        }
        imp_inference_release(&inf);
    } else {
        printf("  %s: %s\n", expect[k].name, err.message);
    }
    imp_graph_release(&g);
    return out;
}

static int count_op(const struct imp_model *m, const char *op)
{
    int n = 0;
    for (int i = 0; i < imp_model_node_count(m); i++)
        n += strcmp(imp_model_node_op(m, i), op) == 0;
    return n;
}

/* Output 0 of model m with the variant's inputs, or NULL. */
static float *run(struct imp_model *m, const char *engines, enum imp_isa isa, int threads)
{
    static const int64_t xd[4] = {N, C, H, W};
    struct imp_predictor_options o = imp_predictor_options_default();
    o.engines = engines;
    o.max_isa = isa;
    o.threads = threads;
    struct imp_predictor *p;
    struct imp_error err;
    if (imp_predictor_init(m, &o, &p, &err) != IMP_OK) {
        printf("  init: %s\n", err.message);
        return NULL;
    }
    const void *data[3] = {x_data, gamma_data, beta_data};
    const size_t bytes[3] = {sizeof x_data, sizeof gamma_data, sizeof beta_data};
    imp_predictor_resize_input(p, 0, 4, xd); /* open dims: the data's size */
    for (int i = 0; i < imp_model_input_count(m); i++)
        imp_predictor_set_input(p, i, data[i], bytes[i]);
    float *out = NULL;
    struct imp_tensor_info info;
    const void *y;
    if (imp_predictor_run(p) == IMP_OK && imp_predictor_output(p, 0, &info, &y) == IMP_OK) {
        int64_t count = 1;
        for (int i = 0; i < info.rank; i++)
            count *= info.dims[i];
        if (count == XN && (out = malloc(sizeof(float) * XN)))
            memcpy(out, y, sizeof(float) * XN);
    } else {
        printf("  run: %s\n", imp_predictor_last_error(p));
    }
    imp_predictor_free(p);
    return out;
}

static bool close_to(const float *got, const float *want, const char *what)
{
    double worst = 0;
    for (int i = 0; i < XN; i++)
        worst = fmax(worst, fabs((double)got[i] - want[i]) / fmax(1.0, fabs(want[i])));
    if (worst <= 1e-5)
        return true;
    printf("  %s: differs by %g\n", what, worst);
    return false;
}

static void fill_data(void)
{
    unsigned seed = 7;
    for (int i = 0; i < XN; i++) /* planes with different means and spreads */
        x_data[i] = imp_test_frand(&seed) * (1.0f + (float)(i / (H * W))) + 0.5f * (float)(i % 5);
    for (int c = 0; c < C; c++) {
        gamma_data[c] = 0.5f + imp_test_frand(&seed);
        beta_data[c] = imp_test_frand(&seed);
    }
    for (int i = 0; i < H * W; i++)
        gamma_hw[i] = imp_test_frand(&seed);
    for (int i = 0; i < W; i++) {
        gamma_w[i] = 0.5f + imp_test_frand(&seed);
        beta_w[i] = imp_test_frand(&seed);
    }
}

/* Whether the variant's fusion needs a dim that `open` leaves open: a
 * layer norm over W (or C, H and W), a gamma of H x W. */
static bool needs_picture_size(enum variant k)
{
    return k == CHANNEL_AXES || k == LAYER_LAST || k == LAYER_GAMMA_C || k == GAMMA_SPATIAL;
}

static void check_variant(enum variant k, bool open)
{
    static const enum imp_isa isas[] = {IMP_ISA_SCALAR, IMP_ISA_AVX2, IMP_ISA_AVX512};
    static const char *const engines[] = {"InstanceNormalization=ref",
                                          "InstanceNormalization=simd"};
    {
        float *want = evaluate_unfused(k);
        struct imp_graph g;
        build(&g, k, open);
        struct imp_model *m = NULL;
        struct imp_error err;
        if (!want || !CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK)) {
            free(want);
            return;
        }
        int instance = count_op(m, "InstanceNormalization");
        int layer = count_op(m, "LayerNormalization"), fused = instance + layer;
        int want_instance = open && needs_picture_size(k) ? 0 : expect[k].fused;
        int want_layer = open && needs_picture_size(k) ? 0 : expect[k].layer;
        if (!CHECK(instance == want_instance && layer == want_layer))
            printf("  %s%s: %d instance and %d layer norms, %d and %d expected\n",
                   expect[k].name, open ? " (open dims)" : "", instance, layer, want_instance,
                   want_layer);
        if (fused) /* nothing of the pattern is left */
            CHECK(count_op(m, "ReduceMean") == 0 && count_op(m, "Sqrt") == 0 &&
                  count_op(m, "Sub") == 0 && count_op(m, "Pow") == 0 &&
                  count_op(m, "Mul") == (k == GAMMA_SPATIAL || k == LAYER_GAMMA_C));
        for (int e = 0; e < (instance ? 2 : 1); e++)
            for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++)
                for (int threads = 1; threads <= 2; threads++) {
                    float *got = run(m, instance ? engines[e] : NULL, isas[i], threads);
                    char what[128];
                    snprintf(what, sizeof what, "%s%s %s %s %dT", expect[k].name,
                             open ? " (open dims)" : "",
                             instance ? engines[e] : fused ? "layer norm" : "unfused",
                             imp_isa_name(isas[i]), threads);
                    CHECK(got && close_to(got, want, what));
                    free(got);
                }
        /* Saved and loaded again: the fused node as it is, same numbers. */
        char path[1024];
        snprintf(path, sizeof path, "%s/test_fuse_decomposed_norm.imp", IMP_BINARY_DIR);
        struct imp_model *back = NULL;
        if (CHECK(imp_model_save_imp(m, path, &err) == IMP_OK) &&
            CHECK(imp_model_load_file(path, &back, &err) == IMP_OK)) {
            CHECK(imp_model_node_count(back) == imp_model_node_count(m));
            CHECK(count_op(back, "InstanceNormalization") == instance &&
                  count_op(back, "LayerNormalization") == layer);
            float *a = run(m, NULL, IMP_ISA_BEST, 1), *b = run(back, NULL, IMP_ISA_BEST, 1);
            CHECK(a && b && memcmp(a, b, sizeof(float) * XN) == 0);
            free(a);
            free(b);
        }
        imp_model_free(back);
        remove(path);
        imp_model_free(m);
        free(want);
    }
}

static void every_variant_fuses_or_not_and_keeps_its_numbers(void)
{
    for (int k = 0; k < N_VARIANTS; k++)
        check_variant((enum variant)k, false);
}

static void with_open_dims_the_size_free_forms_fuse(void)
{
    for (int k = 0; k < N_VARIANTS; k++)
        check_variant((enum variant)k, true);
}

/* The real network: its 13 norms, each one node (test_tflite checks its
 * reference statistics). */
static void magenta_transfer_fuses_every_norm(void)
{
    char path[1024];
    if (!imp_test_shared("models/style/magenta-arbitrary-tflite/style_transfer_f16_384.tflite",
                         path, sizeof path))
        return;
    struct imp_model *m = NULL;
    struct imp_error err;
    if (!CHECK(imp_model_load_file(path, &m, &err) == IMP_OK))
        return;
    CHECK(count_op(m, "InstanceNormalization") == 13);
    CHECK(count_op(m, "ReduceMean") == 0 && count_op(m, "Sqrt") == 0 &&
          count_op(m, "Div") == 0 && count_op(m, "Sub") == 0);
    imp_model_free(m);
}

int main(void)
{
    fill_data();
    RUN(every_variant_fuses_or_not_and_keeps_its_numbers);
    RUN(with_open_dims_the_size_free_forms_fuse);
    RUN(magenta_transfer_fuses_every_norm);
    return imp_test_finish();
}
