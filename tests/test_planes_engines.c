/* The "planes" engines (ops/binary_planes.c, ops/reduce_planes.c): Add,
 * Sub, Mul, Div with one operand constant over trailing axes (or the same
 * shape, or a scalar), ReduceMean over trailing axes, and GlobalAveragePool
 * (rank 3 to 5, planes of 1 pixel to many vectors), against their
 * reference engines at every ISA cap with 1 and 2 threads; shapes they
 * must decline fall back to "ref". Binary results must be the same bits;
 * means agree to float rounding of a double sum. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "harness.h"
#include "runtime/model.h"

static const enum imp_isa caps[] = {IMP_ISA_SCALAR, IMP_ISA_AVX2, IMP_ISA_AVX512};

/* Runs with `engines`; NULL when the engine declined or the run failed
 * (*declined says which). */
static float *run(struct imp_model *m, const float *x, size_t xn, const char *engines,
                  enum imp_isa isa, int threads, size_t *count, bool *declined)
{
    enum imp_status st;
    float *y = imp_test_run_engines(m, x, xn, engines, isa, threads, count, &st);
    *declined = !y && st == IMP_ERR_UNSUPPORTED;
    return y;
}

struct bin_case {
    int ra, rb;
    int64_t a[4], b[4];
    bool planes; /* the engine must take it */
};

static const struct bin_case bin_cases[] = {
    {4, 4, {2, 3, 5, 7}, {2, 3, 5, 7}, true},
    {4, 4, {2, 3, 5, 7}, {2, 3, 1, 1}, true},
    {4, 4, {1, 3, 1, 1}, {1, 3, 5, 7}, true},
    {4, 1, {2, 3, 5, 7}, {1}, true},
    {0, 4, {0}, {2, 3, 5, 7}, true},
    {4, 4, {1, 8, 64, 65}, {1, 8, 1, 1}, true},
    {4, 4, {1, 40, 1, 1}, {1, 40, 9, 9}, true},
    {3, 2, {4, 5, 6}, {5, 1}, false},
    {3, 3, {4, 1, 6}, {4, 5, 6}, false},
    {4, 3, {2, 3, 4, 5}, {3, 1, 1}, false},
};

static void binary_planes_match_ref(void)
{
    static const enum imp_op ops[4] = {IMP_OP_ADD, IMP_OP_SUB, IMP_OP_MUL, IMP_OP_DIV};
    static const char *const names[4] = {"Add", "Sub", "Mul", "Div"};
    unsigned seed = 13;
    for (size_t ci = 0; ci < sizeof bin_cases / sizeof bin_cases[0]; ci++) {
        const struct bin_case *bc = &bin_cases[ci];
        for (int k = 0; k < 4; k++) {
            struct imp_graph g;
            imp_graph_init(&g);
            struct imp_shape as = imp_shape_make(bc->ra, bc->a),
                             bs = imp_shape_make(bc->rb, bc->b);
            size_t an = (size_t)imp_shape_count(&as), bn = (size_t)imp_shape_count(&bs);
            float *bd = malloc(sizeof(float) * bn), *ad = malloc(sizeof(float) * an);
            for (size_t i = 0; i < bn; i++)
                bd[i] = imp_test_frand(&seed) + (k == 3 ? 2.0f : 0.0f);
            for (size_t i = 0; i < an; i++)
                ad[i] = 3.0f * imp_test_frand(&seed);
            ad[0] = NAN;
            int in[2];
            in[0] = imp_graph_add_value(&g, "a", IMP_VALUE_INPUT, IMP_DTYPE_F32, &as);
            in[1] = imp_graph_add_const(&g, "b", IMP_DTYPE_F32, &bs, bd);
            int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
            imp_graph_add_node(&g, ops[k], "op", 2, in, 1, &y);
            imp_graph_add_input(&g, in[0]);
            imp_graph_add_output(&g, y);
            struct imp_model *m = NULL;
            struct imp_error err;
            if (!CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK)) {
                free(ad);
                free(bd);
                continue;
            }
            char ref[32], fast[32];
            snprintf(ref, sizeof ref, "%s=ref", names[k]);
            snprintf(fast, sizeof fast, "%s=planes", names[k]);
            size_t nw = 0, ng = 0;
            bool declined;
            float *want = run(m, ad, an, ref, IMP_ISA_SCALAR, 1, &nw, &declined);
            CHECK(want != NULL);
            for (int c = 0; want && c < 3; c++) {
                if (caps[c] > imp_isa_detect())
                    continue;
                for (int t = 1; t <= 2; t++) {
                    float *got = run(m, ad, an, fast, caps[c], t, &ng, &declined);
                    if (!bc->planes) {
                        CHECK(!got && declined);
                        free(got);
                        continue;
                    }
                    bool ok = got && ng == nw;
                    for (size_t i = 0; ok && i < nw; i++)
                        ok = got[i] == want[i] || (isnan(got[i]) && isnan(want[i]));
                    if (!CHECK(ok))
                        printf("  case %zu %s at %s, %d threads\n", ci, names[k],
                               imp_isa_name(caps[c]), t);
                    free(got);
                }
            }
            free(want);
            free(ad);
            free(bd);
            imp_model_free(m);
        }
    }
}

struct mean_case {
    int64_t x[4];
    int n_axes;
    int64_t axes[4];
    int keepdims;
    bool axes_input; /* opset 18: axes as input 1 */
    bool planes;
};

static const struct mean_case mean_cases[] = {
    {{2, 3, 5, 7}, 2, {2, 3}, 1, false, true},
    {{2, 3, 5, 7}, 2, {-1, -2}, 0, false, true},
    {{2, 3, 5, 7}, 1, {3}, 1, true, true},
    {{2, 3, 5, 7}, 3, {1, 2, 3}, 0, false, true},
    {{1, 16, 48, 50}, 2, {2, 3}, 1, true, true},
    {{1, 3, 1, 7}, 2, {1, 3}, 1, false, true}, /* a size-1 axis between */
    {{2, 3, 5, 7}, 0, {0}, 0, false, true},    /* no axes: all of them  */
    {{2, 3, 5, 7}, 1, {1}, 1, false, false},
    {{2, 3, 5, 7}, 2, {0, 3}, 0, false, false},
};

static void reduce_mean_planes_match_ref(void)
{
    unsigned seed = 29;
    for (size_t ci = 0; ci < sizeof mean_cases / sizeof mean_cases[0]; ci++) {
        const struct mean_case *mc = &mean_cases[ci];
        struct imp_graph g;
        imp_graph_init(&g);
        struct imp_shape xs = imp_shape_make(4, mc->x);
        size_t xn = (size_t)imp_shape_count(&xs);
        float *x = malloc(sizeof(float) * xn);
        for (size_t i = 0; i < xn; i++)
            x[i] = 100.0f + 3.0f * imp_test_frand(&seed);
        int in[2], n_in = 1;
        in[0] = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
        if (mc->axes_input) {
            struct imp_shape s = {.rank = 1, .d = {mc->n_axes}};
            in[1] = imp_graph_add_const(&g, "axes", IMP_DTYPE_I64, &s, mc->axes);
            n_in = 2;
        }
        int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
        int node = imp_graph_add_node(&g, IMP_OP_REDUCE_MEAN, "mean", n_in, in, 1, &y);
        if (!mc->axes_input && mc->n_axes > 0)
            imp_node_set_ints(&g, node, "axes", mc->axes, mc->n_axes);
        imp_node_set_int(&g, node, "keepdims", mc->keepdims);
        imp_graph_add_input(&g, in[0]);
        imp_graph_add_output(&g, y);
        struct imp_model *m = NULL;
        struct imp_error err;
        if (!CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK)) {
            free(x);
            continue;
        }
        size_t nw = 0, ng = 0;
        bool declined;
        float *want = run(m, x, xn, "ReduceMean=ref", IMP_ISA_SCALAR, 1, &nw, &declined);
        CHECK(want != NULL);
        for (int c = 0; want && c < 3; c++) {
            if (caps[c] > imp_isa_detect())
                continue;
            for (int t = 1; t <= 2; t++) {
                float *got = run(m, x, xn, "ReduceMean=planes", caps[c], t, &ng, &declined);
                if (!mc->planes) {
                    CHECK(!got && declined);
                    free(got);
                    continue;
                }
                bool ok = got && ng == nw &&
                          imp_test_max_rel_error(got, want, nw, 1.0) <= 1e-6;
                if (!CHECK(ok))
                    printf("  case %zu at %s, %d threads\n", ci, imp_isa_name(caps[c]), t);
                free(got);
            }
        }
        free(want);
        free(x);
        imp_model_free(m);
    }
}

static void global_avg_pool_planes_match_ref(void)
{
    static const int64_t shapes[][5] = {
        {3, 1, 16, 9, 0},   /* rank 3 */
        {1, 40, 1, 1, 0},   /* one pixel per plane */
        {1, 96, 7, 7, 0},   /* a squeeze-and-excitation block's map */
        {2, 5, 29, 31, 0},  /* a batch, planes of many vectors */
        {1, 3, 4, 5, 6},    /* rank 5 */
    };
    unsigned seed = 31;
    for (size_t ci = 0; ci < sizeof shapes / sizeof shapes[0]; ci++) {
        const int rank = shapes[ci][4] ? 5 : shapes[ci][3] ? 4 : 3;
        struct imp_graph g;
        imp_graph_init(&g);
        struct imp_shape xs = imp_shape_make(rank, shapes[ci]);
        size_t xn = (size_t)imp_shape_count(&xs);
        float *x = malloc(sizeof(float) * xn);
        for (size_t i = 0; i < xn; i++)
            x[i] = 50.0f + 3.0f * imp_test_frand(&seed);
        int in = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
        int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
        imp_graph_add_node(&g, IMP_OP_GLOBAL_AVERAGE_POOL, "gap", 1, &in, 1, &y);
        imp_graph_add_input(&g, in);
        imp_graph_add_output(&g, y);
        struct imp_model *m = NULL;
        struct imp_error err;
        if (!CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK)) {
            free(x);
            continue;
        }
        size_t nw = 0, ng = 0;
        bool declined;
        float *want = run(m, x, xn, "GlobalAveragePool=ref", IMP_ISA_SCALAR, 1, &nw, &declined);
        CHECK(want != NULL && nw == (size_t)(shapes[ci][0] * shapes[ci][1]));
        for (int c = 0; want && c < 3; c++) {
            if (caps[c] > imp_isa_detect())
                continue;
            for (int t = 1; t <= 2; t++) {
                float *got = run(m, x, xn, "GlobalAveragePool=planes", caps[c], t, &ng,
                                 &declined);
                bool ok = got && ng == nw &&
                          imp_test_max_rel_error(got, want, nw, 1.0) <= 1e-6;
                if (!CHECK(ok))
                    printf("  shape %zu at %s, %d threads\n", ci, imp_isa_name(caps[c]), t);
                free(got);
            }
        }
        free(want);
        free(x);
        imp_model_free(m);
    }
}

int main(void)
{
    RUN(binary_planes_match_ref);
    RUN(reduce_mean_planes_match_ref);
    RUN(global_avg_pool_planes_match_ref);
    return imp_test_finish();
}
