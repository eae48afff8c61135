/* The nested-Winograd Conv engine ("wide") beyond agreeing with the
 * reference (test_conv_engines does that): its result must not depend on
 * the thread count, bit for bit, and it must decline what it cannot
 * compute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/model.h"
#include "harness.h"

struct wide_case {
    int64_t c, h, w, m, kh, kw, stride, pad, dilation, group;
};

static float frand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static struct imp_model *wide_model(const struct wide_case *wc)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {1, wc->c, wc->h, wc->w};
    int64_t wd[4] = {wc->m, wc->c / wc->group, wc->kh, wc->kw};
    struct imp_shape xs = imp_shape_make(4, xd), ws = imp_shape_make(4, wd);
    struct imp_shape bs = {.rank = 1, .d = {wc->m}};
    size_t wn = (size_t)(wd[0] * wd[1] * wd[2] * wd[3]);
    float *w = malloc(sizeof(float) * wn), *b = malloc(sizeof(float) * (size_t)wc->m);
    unsigned seed = 5;
    for (size_t i = 0; i < wn; i++)
        w[i] = frand(&seed);
    for (int64_t i = 0; i < wc->m; i++)
        b[i] = frand(&seed);
    int in[3];
    in[0] = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    in[1] = imp_graph_add_const(&g, "w", IMP_DTYPE_F32, &ws, w);
    in[2] = imp_graph_add_const(&g, "b", IMP_DTYPE_F32, &bs, b);
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int node = imp_graph_add_node(&g, IMP_OP_CONV, "conv", 3, in, 1, &y);
    int64_t s2[2] = {wc->stride, wc->stride}, d2[2] = {wc->dilation, wc->dilation};
    int64_t p4[4] = {wc->pad, wc->pad, wc->pad, wc->pad};
    imp_node_set_ints(&g, node, "strides", s2, 2);
    imp_node_set_ints(&g, node, "dilations", d2, 2);
    imp_node_set_ints(&g, node, "pads", p4, 4);
    imp_node_set_int(&g, node, "group", wc->group);
    imp_graph_add_input(&g, in[0]);
    imp_graph_add_output(&g, y);
    free(w);
    free(b);
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
            x[i] = frand(&seed);
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
