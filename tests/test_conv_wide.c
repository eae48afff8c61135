/* The nested-Winograd Conv engine ("wide") beyond agreeing with the
 * reference (test_conv_engines does that): its result must not depend on
 * the thread count, bit for bit, and it must decline what it cannot
 * compute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "harness.h"

struct wide_case {
    int64_t c, h, w, m, kh, kw, stride, pad, dilation, group;
};

static struct imp_model *wide_model(const struct wide_case *wc)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {1, wc->c, wc->h, wc->w};
    int64_t wd[4] = {wc->m, wc->c / wc->group, wc->kh, wc->kw};
    unsigned seed = 5;
    int node = imp_test_conv_graph(&g, IMP_OP_CONV, xd, wd, wc->m, true, &seed);
    if (node < 0)
        return NULL;
    int64_t s2[2] = {wc->stride, wc->stride}, d2[2] = {wc->dilation, wc->dilation};
    int64_t p4[4] = {wc->pad, wc->pad, wc->pad, wc->pad};
    imp_node_set_ints(&g, node, "strides", s2, 2);
    imp_node_set_ints(&g, node, "dilations", d2, 2);
    imp_node_set_ints(&g, node, "pads", p4, 4);
    imp_node_set_int(&g, node, "group", wc->group);
    struct imp_model *m = NULL;
    if (imp_model_from_graph(&g, &m, NULL) != IMP_OK)
        return NULL;
    return m;
}

/* Output of the "wide" engine (malloc'd), or NULL with *status set. */
static float *run_wide(struct imp_model *m, const float *x, size_t xn, enum imp_isa isa,
                       int threads, size_t *count, enum imp_status *status)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.engines = "Conv=wide";
    o.max_isa = isa;
    o.threads = threads;
    return imp_test_run_once(m, &o, x, sizeof(float) * xn, count, status);
}

static void same_bits_on_any_thread_count(void)
{
    /* Tall and wide enough for several column strips and row bands, and
     * for the engine to take them at every ISA (it declines rows that
     * would leave much of a strip of AVX-512's 48 tiles empty). */
    static const struct wide_case cases[] = {
        {3, 70, 150, 32, 9, 9, 1, 0, 1, 1},
        {32, 41, 131, 3, 9, 9, 1, 4, 1, 1},
        {33, 30, 112, 34, 7, 7, 1, 3, 1, 1},
    };
    enum imp_isa best = imp_isa_detect();
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        struct imp_model *m = wide_model(&cases[ci]);
        if (!CHECK(m != NULL))
            continue;
        size_t xn = (size_t)(cases[ci].c * cases[ci].h * cases[ci].w);
        float *x = malloc(sizeof(float) * xn);
        unsigned seed = 17;
        for (size_t i = 0; i < xn; i++)
            x[i] = imp_test_frand(&seed);
        for (int isa = IMP_ISA_SCALAR; isa <= (int)best; isa++) {
            size_t n1 = 0, nt = 0;
            enum imp_status st;
            float *one = run_wide(m, x, xn, (enum imp_isa)isa, 1, &n1, &st);
            if (!CHECK(one != NULL))
                continue;
            for (int threads = 2; threads <= 3; threads++) {
                float *many = run_wide(m, x, xn, (enum imp_isa)isa, threads, &nt, &st);
                if (CHECK(many != NULL && nt == n1) &&
                    !CHECK(memcmp(one, many, sizeof(float) * n1) == 0))
                    printf("  case %zu isa=%s: %d threads differ from 1\n", ci,
                           imp_isa_name((enum imp_isa)isa), threads);
                free(many);
            }
            free(one);
        }
        free(x);
        imp_model_free(m);
    }
}

static void declines_what_it_cannot_take(void)
{
    static const struct wide_case cases[] = {
        {8, 20, 20, 8, 9, 9, 2, 0, 1, 1},   /* stride 2      */
        {8, 30, 30, 8, 9, 9, 1, 0, 2, 1},   /* dilation 2    */
        {8, 20, 20, 8, 9, 9, 1, 0, 1, 2},   /* grouped       */
        {16, 20, 20, 16, 3, 3, 1, 1, 1, 1}, /* 3x3: winograd */
        {3, 20, 20, 32, 5, 5, 1, 2, 1, 1},  /* 5x5, few channels: direct wins */
        {4, 40, 40, 4, 17, 17, 1, 0, 1, 1}, /* past 15x15    */
        {8, 11, 11, 8, 9, 9, 1, 0, 1, 1},   /* one tile wide: lanes wasted */
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        struct imp_model *m = wide_model(&cases[ci]);
        if (!CHECK(m != NULL))
            continue;
        size_t xn = (size_t)(cases[ci].c * cases[ci].h * cases[ci].w), n = 0;
        float *x = calloc(xn, sizeof(float));
        enum imp_status st;
        float *y = run_wide(m, x, xn, IMP_ISA_BEST, 1, &n, &st);
        if (!CHECK(y == NULL && st == IMP_ERR_UNSUPPORTED))
            printf("  case %zu: taken (status %s)\n", ci, imp_status_name(st));
        free(y);
        free(x);
        imp_model_free(m);
    }
}

int main(void)
{
    RUN(same_bits_on_any_thread_count);
    RUN(declines_what_it_cannot_take);
    return imp_test_finish();
}
