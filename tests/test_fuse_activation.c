/* Activations fused into Conv (passes/fuse_activation.c) and the
 * activation kernels and engines behind them (kernels/activation.h,
 * ops/activation.c):
 *  - every kernel set this CPU has against plain C with the reference
 *    engines' fminf/fmaxf formulas, NaN, infinities and signed zeros
 *    included;
 *  - the "simd" engines of Clip, HardSigmoid and LeakyRelu against "ref";
 *  - for each activation (and the x * gate(x) pairs) on a grid of conv
 *    shapes that each Conv engine takes, the fused model against the same
 *    graph left unfused (the conv output made a graph output too), with
 *    every Conv engine, at every ISA cap and with 1 and 2 threads: the
 *    numbers must be the same bits;
 *  - what the pass must leave alone, and that a fused model saved as .imp
 *    reloads to the same node and numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "harness.h"
#include "kernels/activation.h"
#include "kernels/eltwise.h"
#include "runtime/model.h"

static const enum imp_isa caps[] = {IMP_ISA_SCALAR, IMP_ISA_AVX2, IMP_ISA_AVX512};

/* Equal as numbers (so -0 == +0), or both NaN. */
static bool same(float a, float b)
{
    return a == b || (isnan(a) && isnan(b));
}

static float ref_act(enum imp_act_kind k, float x, float a, float b)
{
    switch (k) {
    case IMP_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case IMP_ACT_CLIP: return fminf(fmaxf(x, a), b);
    case IMP_ACT_LEAKY_RELU: return x >= 0.0f ? x : a * x;
    case IMP_ACT_HARD_SIGMOID: return fmaxf(0.0f, fminf(1.0f, a * x + b));
    case IMP_ACT_HARD_SWISH: return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
    case IMP_ACT_HARD_SILU: return x * fmaxf(0.0f, fminf(1.0f, a * x + b));
    default: return x;
    }
}

static void kernels_match_plain_c(void)
{
    enum { N = 203 };
    float x[N], y[N], s[N];
    unsigned seed = 11;
    for (int i = 0; i < N; i++)
        x[i] = 8.0f * imp_test_frand(&seed);
    const float specials[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 6.0f, -3.0f, 3.0f};
    for (int i = 0; i < 8; i++)
        x[i * 17] = specials[i];
    const struct {
        enum imp_act_kind k;
        float a, b;
    } acts[] = {
        {IMP_ACT_RELU, 0, 0},         {IMP_ACT_CLIP, 0.0f, 6.0f},
        {IMP_ACT_CLIP, -INFINITY, 1.5f}, {IMP_ACT_CLIP, 2.0f, -1.0f},
        {IMP_ACT_LEAKY_RELU, 0.1f, 0}, {IMP_ACT_HARD_SIGMOID, 1.0f / 6.0f, 0.5f},
        {IMP_ACT_HARD_SIGMOID, 0.2f, 0.5f}, {IMP_ACT_HARD_SWISH, 0, 0},
        {IMP_ACT_HARD_SILU, 1.0f / 6.0f, 0.5f}, {IMP_ACT_SIGMOID, 0, 0},
        {IMP_ACT_SILU, 0, 0},
    };
    const struct imp_eltwise_kernels *const *sets = imp_eltwise_kernels_all();
    for (int ci = 0; ci < 3; ci++) {
        if (caps[ci] > imp_isa_detect())
            continue;
        const struct imp_eltwise_kernels *ek = NULL;
        for (int i = 0; sets[i]; i++)
            if (!ek && sets[i]->isa <= caps[ci])
                ek = sets[i];
        for (size_t ai = 0; ai < sizeof acts / sizeof acts[0]; ai++) {
            struct imp_activation act = {.kind = acts[ai].k, .alpha = acts[ai].a,
                                         .beta = acts[ai].b};
            imp_activation_bind(&act, caps[ci]);
            CHECK(act.k->isa == caps[ci]);
            ek->sigmoid(x, s, N);
            /* Every length up to N, out of place then in place. */
            for (int n = 0; n <= N; n += n < 40 ? 1 : 37) {
                memset(y, 0, sizeof y);
                act.k->apply(&act, x, y, n);
                bool ok = true;
                for (int i = 0; i < n; i++) {
                    float want = act.kind == IMP_ACT_SIGMOID ? s[i]
                                 : act.kind == IMP_ACT_SILU
                                     ? x[i] * s[i]
                                     : ref_act(act.kind, x[i], act.alpha, act.beta);
                    ok = ok && same(y[i], want);
                }
                for (int i = n; i < N; i++)
                    ok = ok && y[i] == 0.0f;
                memcpy(y, x, sizeof y);
                imp_activation_apply(&act, y, n);
                float z[N];
                act.k->apply(&act, x, z, n);
                for (int i = 0; i < n; i++)
                    ok = ok && same(y[i], z[i]);
                if (!CHECK(ok)) {
                    printf("  kind %d at %s, n = %d\n", (int)act.kind, imp_isa_name(caps[ci]), n);
                    break;
                }
            }
            /* Sigmoid itself stays within float rounding of the formula. */
            if (act.kind == IMP_ACT_SIGMOID)
                for (int i = 0; i < N; i++)
                    if (!isnan(x[i]))
                        CHECK(fabs(s[i] - 1.0 / (1.0 + exp(-(double)x[i]))) <= 1e-7);
        }
    }
}

/* ---- the operators' simd engines --------------------------------------- */

static void op_engines_match_ref(void)
{
    static const int64_t xd[4] = {2, 3, 17, 23};
    enum { N = 2 * 3 * 17 * 23 };
    float *x = malloc(sizeof(float) * N);
    unsigned seed = 3;
    for (int i = 0; i < N; i++)
        x[i] = 9.0f * imp_test_frand(&seed);
    x[5] = NAN;
    x[6] = -0.0f;
    const enum imp_op ops[] = {IMP_OP_CLIP, IMP_OP_CLIP, IMP_OP_HARD_SIGMOID,
                               IMP_OP_LEAKY_RELU};
    const char *const names[] = {"Clip", "Clip", "HardSigmoid", "LeakyRelu"};
    for (int k = 0; k < 4; k++) {
        struct imp_graph g;
        imp_graph_init(&g);
        struct imp_shape xs = imp_shape_make(4, xd), one = {.rank = 0};
        int in[3];
        in[0] = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
        int n_in = 1;
        if (k == 0) { /* bounds as inputs (opset 11+) */
            const float lo = -1.0f, hi = 2.5f;
            in[1] = imp_graph_add_const(&g, "lo", IMP_DTYPE_F32, &one, &lo);
            in[2] = imp_graph_add_const(&g, "hi", IMP_DTYPE_F32, &one, &hi);
            n_in = 3;
        }
        int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
        int node = imp_graph_add_node(&g, ops[k], "act", n_in, in, 1, &y);
        if (k == 1) /* bounds as attributes (opset 6) */
            imp_node_set_float(&g, node, "max", 6.0f);
        if (k == 1)
            imp_node_set_float(&g, node, "min", 0.0f);
        if (k == 2)
            imp_node_set_float(&g, node, "alpha", 0.3f);
        imp_graph_add_input(&g, in[0]);
        imp_graph_add_output(&g, y);
        struct imp_model *m = NULL;
        struct imp_error err;
        if (!CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK))
            continue;
        char ref[64], simd[64];
        snprintf(ref, sizeof ref, "%s=ref", names[k]);
        snprintf(simd, sizeof simd, "%s=simd", names[k]);
        size_t nw = 0, ng = 0;
        float *want = imp_test_run_engines(m, x, N, ref, IMP_ISA_SCALAR, 1, &nw, NULL);
        for (int ci = 0; want && ci < 3; ci++) {
            if (caps[ci] > imp_isa_detect())
                continue;
            for (int t = 1; t <= 2; t++) {
                float *got = imp_test_run_engines(m, x, N, simd, caps[ci], t, &ng, NULL);
                bool ok = got && ng == nw;
                for (size_t i = 0; ok && i < nw; i++)
                    ok = same(got[i], want[i]);
                if (!CHECK(ok))
                    printf("  %s at %s, %d threads\n", names[k], imp_isa_name(caps[ci]), t);
                free(got);
            }
        }
        CHECK(want != NULL);
        free(want);
        imp_model_free(m);
    }
    free(x);
}

/* ---- fusion into every Conv engine ------------------------------------- */

struct conv_case {
    int64_t x[4], w[4];
    int64_t stride, pad, group;
};

/* Shapes each Conv engine takes (and ref takes all). */
static const struct conv_case conv_cases[] = {
    {{1, 8, 13, 11}, {8, 1, 3, 3}, 1, 1, 8},     /* depthwise                 */
    {{1, 6, 9, 10}, {12, 1, 5, 5}, 2, 2, 6},     /* depthwise, multiplier 2   */
    {{1, 8, 12, 37}, {16, 8, 3, 3}, 1, 1, 1},    /* winograd                  */
    {{1, 4, 12, 70}, {4, 4, 9, 9}, 1, 4, 1},     /* wide                      */
    {{1, 3, 17, 19}, {8, 3, 3, 3}, 2, 1, 1},     /* direct, stride 2          */
    {{2, 16, 7, 9}, {24, 16, 1, 1}, 1, 0, 1},    /* 1x1                       */
    {{1, 6, 5, 7}, {10, 3, 3, 3}, 1, 1, 2},      /* grouped: gemm             */
    {{1, 40, 1, 1}, {10, 40, 1, 1}, 1, 0, 1},    /* squeeze-excitation: 1x1x1 */
};

enum act_form { PLAIN, GATED };
struct act_case {
    enum imp_op op;
    enum act_form form;
    const char *fused; /* the activation attribute the pass must write */
    float alpha, beta; /* HardSigmoid / LeakyRelu attributes, Clip bounds */
};

static const struct act_case act_cases[] = {
    {IMP_OP_RELU, PLAIN, "Relu", 0, 0},
    {IMP_OP_CLIP, PLAIN, "Clip", 0.0f, 6.0f},
    {IMP_OP_LEAKY_RELU, PLAIN, "LeakyRelu", 0.1f, 0},
    {IMP_OP_HARD_SIGMOID, PLAIN, "HardSigmoid", 1.0f / 6.0f, 0.5f},
    {IMP_OP_HARD_SWISH, PLAIN, "HardSwish", 0, 0},
    {IMP_OP_SIGMOID, PLAIN, "Sigmoid", 0, 0},
    {IMP_OP_HARD_SIGMOID, GATED, "HardSilu", 1.0f / 6.0f, 0.5f},
    {IMP_OP_SIGMOID, GATED, "Silu", 0, 0},
};

static int add_act(struct imp_graph *g, const struct act_case *ac, int y, bool swap_mul)
{
    int in[3] = {y, -1, -1}, n_in = 1;
    if (ac->op == IMP_OP_CLIP) {
        struct imp_shape one = {.rank = 0};
        in[1] = imp_graph_add_const(g, "lo", IMP_DTYPE_F32, &one, &ac->alpha);
        in[2] = imp_graph_add_const(g, "hi", IMP_DTYPE_F32, &one, &ac->beta);
        n_in = 3;
    }
    int s = imp_graph_add_value(g, "act", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int node = imp_graph_add_node(g, ac->op, "act", n_in, in, 1, &s);
    if (ac->op == IMP_OP_HARD_SIGMOID || ac->op == IMP_OP_LEAKY_RELU)
        imp_node_set_float(g, node, "alpha", ac->alpha);
    if (ac->op == IMP_OP_HARD_SIGMOID)
        imp_node_set_float(g, node, "beta", ac->beta);
    if (ac->form == PLAIN)
        return s;
    int z = imp_graph_add_value(g, "mul", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int mi[2] = {swap_mul ? s : y, swap_mul ? y : s};
    imp_graph_add_node(g, IMP_OP_MUL, "mul", 2, mi, 1, &z);
    return z;
}

/* Conv -> activation; with `keep_conv` the conv output is a graph output
 * too, which blocks the fusion. */
static struct imp_model *conv_act_model(const struct conv_case *cc, const struct act_case *ac,
                                        bool keep_conv, bool swap_mul)
{
    struct imp_graph g;
    imp_graph_init(&g);
    unsigned seed = 21;
    int node = imp_test_conv_graph(&g, IMP_OP_CONV, cc->x, cc->w, cc->w[0], true, &seed);
    const int64_t strides[2] = {cc->stride, cc->stride};
    const int64_t pads[4] = {cc->pad, cc->pad, cc->pad, cc->pad};
    imp_node_set_ints(&g, node, "strides", strides, 2);
    imp_node_set_ints(&g, node, "pads", pads, 4);
    if (cc->group > 1)
        imp_node_set_int(&g, node, "group", cc->group);
    int y = g.outputs[0];
    int z = add_act(&g, ac, y, swap_mul);
    g.outputs[0] = z;
    if (keep_conv)
        imp_graph_add_output(&g, y);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK) {
        printf("  model: %s\n", err.message);
        return NULL;
    }
    return m;
}

static const char *const conv_engines[] = {"ref", "depthwise", "winograd", "wide",
                                           "direct", "gemm", "pointwise"};
#define N_ENGINES (int)(sizeof conv_engines / sizeof conv_engines[0])

static void fused_conv_matches_unfused(void)
{
    int accepted[N_ENGINES] = {0};
    for (size_t ci = 0; ci < sizeof conv_cases / sizeof conv_cases[0]; ci++) {
        const struct conv_case *cc = &conv_cases[ci];
        size_t xn = (size_t)(cc->x[0] * cc->x[1] * cc->x[2] * cc->x[3]);
        float *x = malloc(sizeof(float) * xn);
        unsigned seed = 7 + (unsigned)ci;
        for (size_t i = 0; i < xn; i++)
            x[i] = 2.0f * imp_test_frand(&seed);
        for (size_t ai = 0; ai < sizeof act_cases / sizeof act_cases[0]; ai++) {
            const struct act_case *ac = &act_cases[ai];
            bool swap = ci % 2 == 1;
            struct imp_model *fused = conv_act_model(cc, ac, false, swap);
            struct imp_model *plain = conv_act_model(cc, ac, true, swap);
            if (!CHECK(fused && plain)) {
                imp_model_free(fused);
                imp_model_free(plain);
                continue;
            }
            /* The fusion happened (one node left, the right attribute),
             * and not where the conv output is visible. */
            CHECK(imp_model_node_count(fused) == 1);
            CHECK(imp_model_node_count(plain) == (ac->form == GATED ? 3 : 2));
            const struct imp_node *fn = &fused->graph.nodes[0];
            const char *name = imp_node_string(fn, "activation", "");
            if (!CHECK(strcmp(name, ac->fused) == 0))
                printf("  fused as \"%s\", not %s\n", name, ac->fused);
            for (int e = 0; e < N_ENGINES; e++) {
                char eng[64];
                snprintf(eng, sizeof eng, "Conv=%s", conv_engines[e]);
                for (int k = 0; k < 3; k++) {
                    if (caps[k] > imp_isa_detect())
                        continue;
                    for (int t = 1; t <= 2; t++) {
                        size_t nw = 0, ng = 0;
                        float *want = imp_test_run_engines(plain, x, xn, eng, caps[k], t, &nw,
                                                           NULL);
                        float *got = imp_test_run_engines(fused, x, xn, eng, caps[k], t, &ng,
                                                          NULL);
                        if (!want && !got) /* the engine declines this shape */
                            continue;
                        accepted[e]++;
                        bool ok = want && got && nw == ng;
                        for (size_t i = 0; ok && i < nw; i++)
                            ok = same(got[i], want[i]);
                        if (!CHECK(ok))
                            printf("  case %zu, %s, %s at %s, %d threads\n", ci, ac->fused,
                                   eng, imp_isa_name(caps[k]), t);
                        free(want);
                        free(got);
                    }
                }
            }
            imp_model_free(fused);
            imp_model_free(plain);
        }
        free(x);
    }
    for (int e = 0; e < N_ENGINES; e++) {
        printf("  %s: %d runs\n", conv_engines[e], accepted[e]);
        if (!CHECK(accepted[e] > 0))
            printf("  engine %s took none of the cases\n", conv_engines[e]);
    }
}

/* ---- what the pass must not touch, and .imp --------------------------- */

static void leaves_shared_tensors_alone(void)
{
    static const struct conv_case cc = {{1, 4, 6, 6}, {4, 4, 3, 3}, 1, 1, 1};
    /* The conv output also read by an Add: no fusion. */
    struct imp_graph g;
    imp_graph_init(&g);
    unsigned seed = 5;
    imp_test_conv_graph(&g, IMP_OP_CONV, cc.x, cc.w, cc.w[0], false, &seed);
    int y = g.outputs[0];
    const struct act_case relu = {IMP_OP_RELU, PLAIN, "Relu", 0, 0};
    int r = add_act(&g, &relu, y, false);
    int sum = imp_graph_add_value(&g, "sum", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int ai[2] = {r, y};
    imp_graph_add_node(&g, IMP_OP_ADD, "add", 2, ai, 1, &sum);
    g.outputs[0] = sum;
    struct imp_model *m = NULL;
    struct imp_error err;
    if (CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK)) {
        CHECK(imp_model_node_count(m) == 3);
        CHECK(!imp_node_attr(&m->graph.nodes[0], "activation"));
    }
    imp_model_free(m);

    /* Clip with a bound computed at run time: no fusion. */
    imp_graph_init(&g);
    int node = imp_test_conv_graph(&g, IMP_OP_CONV, cc.x, cc.w, cc.w[0], false, &seed);
    (void)node;
    y = g.outputs[0];
    struct imp_shape one = {.rank = 0};
    int lo = imp_graph_add_value(&g, "lo", IMP_VALUE_INPUT, IMP_DTYPE_F32, &one);
    imp_graph_add_input(&g, lo);
    int ci[2] = {y, lo};
    int c = imp_graph_add_value(&g, "clip", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    imp_graph_add_node(&g, IMP_OP_CLIP, "clip", 2, ci, 1, &c);
    g.outputs[0] = c;
    m = NULL;
    if (CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK))
        CHECK(imp_model_node_count(m) == 2);
    imp_model_free(m);
}

static void fused_model_survives_imp(void)
{
    const struct conv_case *cc = &conv_cases[0];
    size_t xn = (size_t)(cc->x[0] * cc->x[1] * cc->x[2] * cc->x[3]);
    float *x = malloc(sizeof(float) * xn);
    unsigned seed = 99;
    for (size_t i = 0; i < xn; i++)
        x[i] = 4.0f * imp_test_frand(&seed);
    for (size_t ai = 0; ai < sizeof act_cases / sizeof act_cases[0]; ai++) {
        struct imp_model *m = conv_act_model(cc, &act_cases[ai], false, false), *back = NULL;
        char path[1024];
        snprintf(path, sizeof path, "%s/test_fuse_activation.imp", IMP_BINARY_DIR);
        struct imp_error err;
        if (CHECK(m && imp_model_save_imp(m, path, &err) == IMP_OK) &&
            CHECK(imp_model_load_file(path, &back, &err) == IMP_OK)) {
            CHECK(imp_model_node_count(back) == 1);
            const struct imp_node *n = &back->graph.nodes[0];
            CHECK(strcmp(imp_node_string(n, "activation", ""), act_cases[ai].fused) == 0);
            size_t nw = 0, ng = 0;
            float *want = imp_test_run_engines(m, x, xn, NULL, IMP_ISA_BEST, 1, &nw, NULL);
            float *got = imp_test_run_engines(back, x, xn, NULL, IMP_ISA_BEST, 1, &ng, NULL);
            bool ok = want && got && nw == ng;
            for (size_t i = 0; ok && i < nw; i++)
                ok = same(got[i], want[i]);
            CHECK(ok);
            free(want);
            free(got);
        }
        imp_model_free(back);
        imp_model_free(m);
        remove(path);
    }
    free(x);
}

/* A malformed fused attribute is a load error, not a crash. */
static void bad_attribute_fails_load(void)
{
    static const struct conv_case cc = {{1, 2, 4, 4}, {2, 2, 1, 1}, 1, 0, 1};
    struct imp_graph g;
    imp_graph_init(&g);
    unsigned seed = 1;
    int node = imp_test_conv_graph(&g, IMP_OP_CONV, cc.x, cc.w, cc.w[0], false, &seed);
    imp_node_set_string(&g, node, "activation", "Gelu");
    struct imp_model *m = NULL;
    struct imp_error err;
    CHECK(imp_model_from_graph(&g, &m, &err) != IMP_OK);
    CHECK(strstr(err.message, "Gelu") != NULL);
    imp_model_free(m);
}

int main(void)
{
    RUN(kernels_match_plain_c);
    RUN(op_engines_match_ref);
    RUN(fused_conv_matches_unfused);
    RUN(leaves_shared_tensors_alone);
    RUN(fused_model_survives_imp);
    RUN(bad_attribute_fails_load);
    return imp_test_finish();
}
