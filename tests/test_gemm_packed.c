/* Gemm engine "packed" (ops/gemm_packed.c) against "ref" on a grid of
 * shapes (batches of 1 to 40 rows, so both the dot-product and the packed
 * paths run), transA/transB, alpha/beta and every broadcast form of C, at
 * every ISA cap and with 1 and 2 threads. The reference sums in double,
 * the engine in float: they agree to float rounding of the sum. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "harness.h"
#include "runtime/model.h"

static const enum imp_isa caps[] = {IMP_ISA_SCALAR, IMP_ISA_AVX2, IMP_ISA_AVX512};

enum c_form { C_NONE, C_ROW, C_ROW2, C_FULL, C_COL, C_SCALAR };

static struct imp_model *gemm_model(int64_t m, int64_t k, int64_t n, bool ta, bool tb,
                                    float alpha, float beta, enum c_form cf, unsigned *seed)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t ad[2] = {ta ? k : m, ta ? m : k}, bd[2] = {tb ? n : k, tb ? k : n};
    struct imp_shape as = imp_shape_make(2, ad), bs = imp_shape_make(2, bd);
    float *b = malloc(sizeof(float) * (size_t)(k * n)), *c = malloc(sizeof(float) * (size_t)(m * n));
    for (int64_t i = 0; i < k * n; i++)
        b[i] = imp_test_frand(seed);
    for (int64_t i = 0; i < m * n; i++)
        c[i] = imp_test_frand(seed);
    int in[3];
    in[0] = imp_graph_add_value(&g, "a", IMP_VALUE_INPUT, IMP_DTYPE_F32, &as);
    in[1] = imp_graph_add_const(&g, "b", IMP_DTYPE_F32, &bs, b);
    int n_in = 2;
    if (cf != C_NONE) {
        int64_t cd[2];
        struct imp_shape cs;
        switch (cf) {
        case C_ROW: cd[0] = n; cs = imp_shape_make(1, cd); break;
        case C_ROW2: cd[0] = 1; cd[1] = n; cs = imp_shape_make(2, cd); break;
        case C_FULL: cd[0] = m; cd[1] = n; cs = imp_shape_make(2, cd); break;
        case C_COL: cd[0] = m; cd[1] = 1; cs = imp_shape_make(2, cd); break;
        default: cs = imp_shape_make(0, cd); break;
        }
        in[2] = imp_graph_add_const(&g, "c", IMP_DTYPE_F32, &cs, c);
        n_in = 3;
    }
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int node = imp_graph_add_node(&g, IMP_OP_GEMM, "gemm", n_in, in, 1, &y);
    imp_node_set_int(&g, node, "transA", ta);
    imp_node_set_int(&g, node, "transB", tb);
    imp_node_set_float(&g, node, "alpha", alpha);
    imp_node_set_float(&g, node, "beta", beta);
    imp_graph_add_input(&g, in[0]);
    imp_graph_add_output(&g, y);
    free(b);
    free(c);
    struct imp_model *model = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &model, &err) != IMP_OK)
        printf("  model: %s\n", err.message);
    return model;
}

static void packed_matches_ref(void)
{
    static const int64_t ms[] = {1, 2, 3, 5, 40}, ks[] = {1, 7, 33, 100}, ns[] = {1, 9, 70};
    unsigned seed = 17;
    int cases = 0;
    for (size_t mi = 0; mi < 5; mi++)
        for (size_t ki = 0; ki < 4; ki++)
            for (size_t ni = 0; ni < 3; ni++) {
                int64_t m = ms[mi], k = ks[ki], n = ns[ni];
                /* Vary the rest along the grid rather than multiplying it. */
                int v = cases++;
                bool ta = v % 3 == 1, tb = v % 2 == 0;
                enum c_form cf = (enum c_form)(v % 6);
                float alpha = v % 4 == 3 ? 0.5f : 1.0f, beta = v % 5 == 4 ? -2.0f : 1.0f;
                struct imp_model *model = gemm_model(m, k, n, ta, tb, alpha, beta, cf, &seed);
                if (!CHECK(model))
                    continue;
                float *x = malloc(sizeof(float) * (size_t)(m * k));
                for (int64_t i = 0; i < m * k; i++)
                    x[i] = imp_test_frand(&seed);
                size_t nw = 0, ng = 0;
                float *want = imp_test_run_engines(model, x, (size_t)(m * k), "Gemm=ref",
                                                   IMP_ISA_SCALAR, 1, &nw, NULL);
                CHECK(want && nw == (size_t)(m * n));
                for (int ci = 0; want && ci < 3; ci++) {
                    if (caps[ci] > imp_isa_detect())
                        continue;
                    for (int t = 1; t <= 2; t++) {
                        float *got = imp_test_run_engines(model, x, (size_t)(m * k),
                                                          "Gemm=packed", caps[ci], t, &ng,
                                                          NULL);
                        bool ok = got && ng == nw;
                        double worst = 0;
                        for (size_t i = 0; ok && i < nw; i++) {
                            /* Float sums of k terms of size <= 1. */
                            double d = fabs((double)got[i] - want[i]) / (1.0 + sqrt((double)k));
                            worst = d > worst ? d : worst;
                        }
                        if (!CHECK(ok && worst < 1e-6))
                            printf("  m %lld k %lld n %lld ta %d tb %d C %d at %s, %d threads: "
                                   "error %g\n", (long long)m, (long long)k, (long long)n, ta,
                                   tb, (int)cf, imp_isa_name(caps[ci]), t, worst);
                        free(got);
                    }
                }
                free(want);
                free(x);
                imp_model_free(model);
            }
}

int main(void)
{
    RUN(packed_matches_ref);
    return imp_test_finish();
}
