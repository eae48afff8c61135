/* The fold_batchnorm pass: Conv -> BatchNormalization (-> Relu) becomes one
 * Conv with new weights and bias (and the Relu fused after it), on a grid
 * of conv shapes (with and without bias, grouped, depthwise, 1x1), run
 * with every Conv engine at every ISA cap against the same graph left
 * unfolded (the conv output kept as a graph output); what the pass must
 * leave alone; and a folded model through .imp. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "harness.h"
#include "runtime/model.h"

static const enum imp_isa caps[] = {IMP_ISA_SCALAR, IMP_ISA_AVX2, IMP_ISA_AVX512};

struct bn_case {
    int64_t x[4], w[4];
    int64_t pad, group;
    bool bias, relu;
};

static const struct bn_case cases[] = {
    {{1, 8, 9, 11}, {16, 8, 3, 3}, 1, 1, true, true},
    {{1, 8, 9, 11}, {16, 8, 3, 3}, 1, 1, false, false},
    {{2, 6, 7, 5}, {10, 3, 3, 3}, 1, 2, true, true},
    {{1, 12, 13, 10}, {12, 1, 3, 3}, 1, 12, true, true},
    {{1, 16, 6, 7}, {24, 16, 1, 1}, 0, 1, false, true},
};

enum { KEEP_NONE, KEEP_CONV, VAR_INPUT };

static struct imp_model *bn_model(const struct bn_case *bc, int variant)
{
    struct imp_graph g;
    imp_graph_init(&g);
    unsigned seed = 31;
    int node = imp_test_conv_graph(&g, IMP_OP_CONV, bc->x, bc->w, bc->w[0], bc->bias, &seed);
    const int64_t pads[4] = {bc->pad, bc->pad, bc->pad, bc->pad};
    imp_node_set_ints(&g, node, "pads", pads, 4);
    if (bc->group > 1)
        imp_node_set_int(&g, node, "group", bc->group);
    const int64_t m = bc->w[0];
    struct imp_shape cs = {.rank = 1, .d = {m}};
    float p[4][64];
    for (int64_t i = 0; i < m; i++) {
        p[0][i] = 0.5f + imp_test_frand(&seed);        /* scale    */
        p[1][i] = imp_test_frand(&seed);               /* B        */
        p[2][i] = 0.5f * imp_test_frand(&seed);        /* mean     */
        p[3][i] = 0.25f + fabsf(imp_test_frand(&seed)); /* variance */
    }
    int y = g.outputs[0];
    int in[5] = {y};
    static const char *const names[4] = {"scale", "B", "mean", "var"};
    for (int k = 0; k < 4; k++)
        in[1 + k] = imp_graph_add_const(&g, names[k], IMP_DTYPE_F32, &cs, p[k]);
    if (variant == VAR_INPUT) { /* variance from the caller: not foldable */
        in[4] = imp_graph_add_value(&g, "var_in", IMP_VALUE_INPUT, IMP_DTYPE_F32, &cs);
        imp_graph_add_input(&g, in[4]);
    }
    int z = imp_graph_add_value(&g, "bn", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int bn = imp_graph_add_node(&g, IMP_OP_BATCH_NORM, "bn", 5, in, 1, &z);
    imp_node_set_float(&g, bn, "epsilon", 1e-3f);
    if (bc->relu) {
        int r = imp_graph_add_value(&g, "relu", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
        imp_graph_add_node(&g, IMP_OP_RELU, "relu", 1, &z, 1, &r);
        z = r;
    }
    g.outputs[0] = z;
    if (variant == KEEP_CONV)
        imp_graph_add_output(&g, y);
    struct imp_model *model = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &model, &err) != IMP_OK)
        printf("  model: %s\n", err.message);
    return model;
}

/* Largest difference against the largest output: the fold rounds W * a
 * once instead of rounding the conv and then scaling, and Winograd's
 * transforms spread rounding over a whole tile, so the yardstick is the
 * output's scale (as in test_conv_engines). */
static bool close_enough(const float *got, const float *want, size_t n, double k)
{
    double worst = 0, scale = 1e-30;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        worst = d > worst || d != d ? d : worst;
        scale = fabs(want[i]) > scale ? fabs(want[i]) : scale;
    }
    bool ok = worst / scale < 1e-6 * (4.0 + sqrt(k));
    if (!ok)
        printf("  error %g of %g\n", worst, scale);
    return ok;
}

static void folded_matches_unfolded(void)
{
    static const char *const engines[] = {"Conv=ref", "Conv=depthwise", "Conv=winograd",
                                          "Conv=direct", "Conv=pointwise", "Conv=gemm"};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const struct bn_case *bc = &cases[ci];
        struct imp_model *folded = bn_model(bc, KEEP_NONE), *plain = bn_model(bc, KEEP_CONV);
        if (!CHECK(folded && plain)) {
            imp_model_free(folded);
            imp_model_free(plain);
            continue;
        }
        CHECK(imp_model_node_count(folded) == 1);
        CHECK(imp_model_node_count(plain) == (bc->relu ? 3 : 2));
        size_t xn = (size_t)(bc->x[0] * bc->x[1] * bc->x[2] * bc->x[3]);
        float *x = malloc(sizeof(float) * xn);
        unsigned seed = 5 + (unsigned)ci;
        for (size_t i = 0; i < xn; i++)
            x[i] = 2.0f * imp_test_frand(&seed);
        double k = (double)(bc->w[1] * bc->w[2] * bc->w[3]);
        int ran = 0;
        for (size_t e = 0; e < sizeof engines / sizeof engines[0]; e++)
            for (int c = 0; c < 3; c++) {
                if (caps[c] > imp_isa_detect())
                    continue;
                size_t nw = 0, ng = 0;
                float *want = imp_test_run_engines(plain, x, xn, engines[e], caps[c], 2, &nw,
                                                   NULL);
                float *got = imp_test_run_engines(folded, x, xn, engines[e], caps[c], 2, &ng,
                                                  NULL);
                if (want || got) {
                    ran++;
                    if (!CHECK(want && got && nw == ng && close_enough(got, want, nw, k)))
                        printf("  case %zu %s at %s\n", ci, engines[e], imp_isa_name(caps[c]));
                }
                free(want);
                free(got);
            }
        CHECK(ran >= 2);
        free(x);
        imp_model_free(folded);
        imp_model_free(plain);
    }
}

static void leaves_what_it_must(void)
{
    /* A variance that is not a constant: nothing folds. */
    struct imp_model *m = bn_model(&cases[0], VAR_INPUT);
    if (CHECK(m != NULL))
        CHECK(imp_model_node_count(m) == 3);
    imp_model_free(m);
}

static void folded_model_survives_imp(void)
{
    const struct bn_case *bc = &cases[0];
    struct imp_model *m = bn_model(bc, KEEP_NONE), *back = NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/test_fold_batchnorm.imp", IMP_BINARY_DIR);
    struct imp_error err;
    size_t xn = (size_t)(bc->x[0] * bc->x[1] * bc->x[2] * bc->x[3]);
    float *x = malloc(sizeof(float) * xn);
    unsigned seed = 77;
    for (size_t i = 0; i < xn; i++)
        x[i] = imp_test_frand(&seed);
    if (CHECK(m && imp_model_save_imp(m, path, &err) == IMP_OK) &&
        CHECK(imp_model_load_file(path, &back, &err) == IMP_OK)) {
        CHECK(imp_model_node_count(back) == 1);
        size_t nw = 0, ng = 0;
        float *want = imp_test_run_engines(m, x, xn, NULL, IMP_ISA_BEST, 1, &nw, NULL);
        float *got = imp_test_run_engines(back, x, xn, NULL, IMP_ISA_BEST, 1, &ng, NULL);
        CHECK(want && got && nw == ng && memcmp(want, got, sizeof(float) * nw) == 0);
        free(want);
        free(got);
    }
    free(x);
    imp_model_free(back);
    imp_model_free(m);
    remove(path);
}

int main(void)
{
    RUN(folded_matches_unfolded);
    RUN(leaves_what_it_must);
    RUN(folded_model_survives_imp);
    return imp_test_finish();
}
