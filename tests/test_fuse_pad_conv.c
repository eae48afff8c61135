/* A spatial Pad fused into the Conv that reads it (passes/fuse_pad_conv.c)
 * and the engines that pad in place (ref and direct):
 *  - for reflect, edge and zero Pads on a grid of strided conv shapes
 *    (few and many channels, 3x3 and 5x5, uneven pads, odd sizes), the fused
 *    model against the same graph left unfused (the Pad's output made a
 *    graph output too), with every Conv engine that takes the fused node,
 *    at every ISA cap and with 1 and 2 threads: the same bits;
 *  - the engines that pad with zeros only decline a pad_mode, and ref and
 *    direct each ran; the border values against plain C;
 *  - what the pass must leave alone (stride-1 and depthwise convs, a
 *    non-zero constant), a bad pad_mode, a reflect pad
 *    as wide as the input, and that a fused model saved as .imp reloads to
 *    the same node and numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "harness.h"
#include "runtime/model.h"

static const enum imp_isa caps[] = {IMP_ISA_SCALAR, IMP_ISA_AVX2, IMP_ISA_AVX512};

struct pad_case {
    int64_t x[4], w[4];
    int64_t stride, group;
    int64_t pads[4]; /* top, left, bottom, right */
};

static const struct pad_case cases[] = {
    {{1, 3, 17, 19}, {16, 3, 3, 3}, 2, 1, {1, 1, 1, 1}},   /* the student's stem    */
    {{1, 16, 14, 23}, {8, 16, 3, 3}, 2, 1, {1, 1, 1, 1}},  /* even and odd sizes    */
    {{1, 4, 9, 12}, {5, 4, 3, 3}, 2, 1, {2, 1, 0, 2}},     /* uneven pads           */
    {{1, 40, 6, 70}, {48, 40, 3, 3}, 2, 1, {1, 1, 1, 1}},  /* many channels         */
    {{2, 5, 11, 9}, {7, 5, 5, 5}, 3, 1, {2, 2, 2, 2}},     /* 5x5 stride 3, batch 2 */
};
static const char *const modes[] = {"reflect", "edge", "constant"};

static const char *const conv_engines[] = {"ref", "direct", "winograd", "depthwise",
                                           "wide", "gemm", "pointwise"};
#define N_ENGINES (int)(sizeof conv_engines / sizeof conv_engines[0])

/* x -> Pad(mode, value) -> Conv; with `keep_pad` the Pad's output is a
 * graph output too, which blocks the fusion. */
static struct imp_model *pad_conv_model(const struct pad_case *pc, const char *mode,
                                        float value, bool keep_pad)
{
    struct imp_graph g;
    imp_graph_init(&g);
    unsigned seed = 41;
    int64_t xd[4] = {pc->x[0], pc->x[1], pc->x[2] + pc->pads[0] + pc->pads[2],
                     pc->x[3] + pc->pads[1] + pc->pads[3]};
    int node = imp_test_conv_graph(&g, IMP_OP_CONV, xd, pc->w, pc->w[0], true, &seed);
    const int64_t strides[2] = {pc->stride, pc->stride};
    imp_node_set_ints(&g, node, "strides", strides, 2);
    if (pc->group > 1)
        imp_node_set_int(&g, node, "group", pc->group);
    /* The conv read the graph input "x" of the padded size: make that the
     * Pad's output, and the input the unpadded picture. */
    int padded = g.nodes[node].inputs[0];
    struct imp_shape xs = imp_shape_make(4, pc->x);
    int x = imp_graph_add_value(&g, "picture", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    g.values[padded].kind = IMP_VALUE_ACTIVATION;
    g.inputs[0] = x;
    const int64_t p8[8] = {0, 0, pc->pads[0], pc->pads[1], 0, 0, pc->pads[2], pc->pads[3]};
    struct imp_shape ps = {.rank = 1, .d = {8}};
    struct imp_shape one = {.rank = 0};
    int in[3] = {x, imp_graph_add_const(&g, "pads", IMP_DTYPE_I64, &ps, p8),
                 imp_graph_add_const(&g, "value", IMP_DTYPE_F32, &one, &value)};
    int pn = imp_graph_add_node(&g, IMP_OP_PAD, "pad", 3, in, 1, &padded);
    imp_node_set_string(&g, pn, "mode", mode);
    if (keep_pad)
        imp_graph_add_output(&g, padded);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK) {
        printf("  model: %s\n", err.message);
        return NULL;
    }
    return m;
}

static size_t picture_floats(const struct pad_case *pc)
{
    return (size_t)(pc->x[0] * pc->x[1] * pc->x[2] * pc->x[3]);
}

static void fused_matches_unfused(void)
{
    int accepted[N_ENGINES] = {0};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const struct pad_case *pc = &cases[ci];
        size_t xn = picture_floats(pc);
        float *x = malloc(sizeof(float) * xn);
        unsigned seed = 3 + (unsigned)ci;
        for (size_t i = 0; i < xn; i++)
            x[i] = 2.0f * imp_test_frand(&seed);
        for (int mi = 0; mi < 3; mi++) {
            struct imp_model *fused = pad_conv_model(pc, modes[mi], 0.0f, false);
            struct imp_model *plain = pad_conv_model(pc, modes[mi], 0.0f, true);
            if (!CHECK(fused && plain)) {
                imp_model_free(fused);
                imp_model_free(plain);
                continue;
            }
            CHECK(imp_model_node_count(fused) == 1);
            CHECK(imp_model_node_count(plain) == 2);
            const struct imp_node *c = &fused->graph.nodes[0];
            bool zeros = strcmp(modes[mi], "constant") == 0;
            CHECK(strcmp(imp_node_string(c, "pad_mode", "constant"), modes[mi]) == 0);
            for (int e = 0; e < N_ENGINES; e++) {
                char eng[64];
                snprintf(eng, sizeof eng, "Conv=%s", conv_engines[e]);
                for (int k = 0; k < 3; k++) {
                    if (caps[k] > imp_isa_detect())
                        continue;
                    for (int t = 1; t <= 2; t++) {
                        size_t nw = 0, ng = 0;
                        float *got = imp_test_run_engines(fused, x, xn, eng, caps[k], t, &ng,
                                                          NULL);
                        if (!got) {
                            /* ref takes everything, direct every strided
                             * layer; the others decline a pad_mode. */
                            CHECK(e > 1 || (e == 1 && zeros));
                            continue;
                        }
                        if (!zeros)
                            CHECK(e <= 1);
                        float *want = imp_test_run_engines(plain, x, xn, eng, caps[k], t, &nw,
                                                           NULL);
                        if (!want) /* the padded shape went elsewhere */
                            want = imp_test_run_engines(plain, x, xn, "Conv=ref", caps[k], t,
                                                        &nw, NULL);
                        accepted[e]++;
                        bool ok = want && nw == ng;
                        /* The same engine sums the same products in the
                         * same order: the same bits. Another (ref for a
                         * shape the engine only takes padded) rounds
                         * differently. */
                        for (size_t i = 0; ok && i < nw; i++)
                            ok = got[i] == want[i] ||
                                 (e > 0 && !(got[i] - want[i] > 1e-4f || want[i] - got[i] > 1e-4f));
                        if (!CHECK(ok))
                            printf("  case %zu, %s, %s at %s, %d threads\n", ci, modes[mi], eng,
                                   imp_isa_name(caps[k]), t);
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
    for (int e = 0; e < 2; e++) {
        printf("  %s: %d runs\n", conv_engines[e], accepted[e]);
        if (!CHECK(accepted[e] > 0))
            printf("  engine %s took none of the cases\n", conv_engines[e]);
    }
}

/* The padding values themselves, against a plain C reflection/edge. */
static void reflect_and_edge_values(void)
{
    /* A 3x3 kernel whose only weight is its top-left tap, 1 from each
     * channel to itself: output (oy, ox) is padded input (oy, ox), the
     * input at (oy - 1, ox - 1) or the border standing in for it. */
    static const struct pad_case pc = {{1, 4, 5, 7}, {4, 4, 3, 3}, 1, 1, {1, 1, 1, 1}};
    struct imp_graph g;
    for (int mi = 0; mi < 2; mi++) {
        imp_graph_init(&g);
        unsigned seed = 9;
        int node = imp_test_conv_graph(&g, IMP_OP_CONV, pc.x, pc.w, pc.w[0], false, &seed);
        float *w = g.values[g.nodes[node].inputs[1]].data;
        memset(w, 0, sizeof(float) * 4 * 4 * 9);
        for (int m = 0; m < 4; m++)
            w[(m * 4 + m) * 9] = 1.0f;
        const int64_t p4[4] = {1, 1, 1, 1};
        imp_node_set_ints(&g, node, "pads", p4, 4);
        imp_node_set_string(&g, node, "pad_mode", modes[mi]);
        struct imp_model *mdl = NULL;
        struct imp_error err;
        if (!CHECK(imp_model_from_graph(&g, &mdl, &err) == IMP_OK))
            continue;
        size_t xn = picture_floats(&pc);
        float x[4 * 5 * 7];
        for (size_t i = 0; i < xn; i++)
            x[i] = (float)(i + 1);
        for (int e = 0; e < 3; e++) {
            char eng[64];
            snprintf(eng, sizeof eng, "Conv=%s", conv_engines[e]);
            size_t ny = 0;
            float *y = imp_test_run_engines(mdl, x, xn, eng, IMP_ISA_BEST, 1, &ny, NULL);
            if (e == 2) { /* winograd pads with zeros only */
                CHECK(y == NULL);
                free(y);
                continue;
            }
            if (!CHECK(y != NULL))
                continue;
            bool ok = ny == xn;
            /* output (c, oy, ox) = input at padded (oy, ox) - 1 */
            for (int c = 0; ok && c < 4; c++)
                for (int oy = 0; oy < 5; oy++)
                    for (int ox = 0; ox < 7; ox++) {
                        int iy = oy - 1, ix = ox - 1;
                        if (mi == 0) {
                            iy = iy < 0 ? -iy : iy;
                            ix = ix < 0 ? -ix : ix;
                        } else {
                            iy = iy < 0 ? 0 : iy;
                            ix = ix < 0 ? 0 : ix;
                        }
                        ok = ok && y[(c * 5 + oy) * 7 + ox] == x[(c * 5 + iy) * 7 + ix];
                    }
            if (!CHECK(ok))
                printf("  %s on %s\n", modes[mi], eng);
            free(y);
        }
        imp_model_free(mdl);
    }
}

static void leaves_others_alone(void)
{
    /* Stride 1 (Winograd's 3x3, wide's 9x9), a depthwise layer, and a
     * constant other than zero before a strided layer. */
    static const struct {
        struct pad_case pc;
        const char *mode;
        float value;
    } kept[] = {
        {{{1, 4, 9, 9}, {4, 4, 3, 3}, 1, 1, {1, 1, 1, 1}}, "reflect", 0.0f},
        {{{1, 4, 12, 30}, {4, 4, 9, 9}, 1, 1, {4, 4, 4, 4}}, "reflect", 0.0f},
        {{{1, 8, 9, 9}, {8, 1, 3, 3}, 2, 8, {1, 1, 1, 1}}, "edge", 0.0f},
        {{{1, 4, 9, 9}, {4, 4, 3, 3}, 2, 1, {1, 1, 1, 1}}, "constant", 0.5f},
    };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        struct imp_model *m = pad_conv_model(&kept[i].pc, kept[i].mode, kept[i].value, false);
        if (CHECK(m != NULL) && !CHECK(imp_model_node_count(m) == 2))
            printf("  case %zu fused\n", i);
        imp_model_free(m);
    }
}

static void bad_pad_mode_fails_load(void)
{
    static const int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {2, 2, 3, 3};
    const char *const bad[] = {"wrap", "reflect"};
    for (int i = 0; i < 2; i++) {
        struct imp_graph g;
        imp_graph_init(&g);
        unsigned seed = 1;
        int node = imp_test_conv_graph(&g, IMP_OP_CONV, xd, wd, 2, false, &seed);
        /* reflect by 4 of an axis of 4: too wide */
        const int64_t p4[4] = {1, 4, 1, 1};
        imp_node_set_ints(&g, node, "pads", p4, 4);
        imp_node_set_string(&g, node, "pad_mode", bad[i]);
        struct imp_model *m = NULL;
        struct imp_error err;
        CHECK(imp_model_from_graph(&g, &m, &err) != IMP_OK);
        CHECK(strstr(err.message, i == 0 ? "pad_mode" : "reflect") != NULL);
        imp_model_free(m);
    }
}

static void fused_model_survives_imp(void)
{
    const struct pad_case *pc = &cases[0];
    size_t xn = picture_floats(pc);
    float *x = malloc(sizeof(float) * xn);
    unsigned seed = 99;
    for (size_t i = 0; i < xn; i++)
        x[i] = 4.0f * imp_test_frand(&seed);
    struct imp_model *m = pad_conv_model(pc, "reflect", 0.0f, false), *back = NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/test_fuse_pad_conv.imp", IMP_BINARY_DIR);
    struct imp_error err;
    if (CHECK(m && imp_model_save_imp(m, path, &err) == IMP_OK) &&
        CHECK(imp_model_load_file(path, &back, &err) == IMP_OK)) {
        CHECK(imp_model_node_count(back) == 1);
        CHECK(strcmp(imp_node_string(&back->graph.nodes[0], "pad_mode", ""), "reflect") == 0);
        size_t nw = 0, ng = 0;
        float *want = imp_test_run_engines(m, x, xn, NULL, IMP_ISA_BEST, 1, &nw, NULL);
        float *got = imp_test_run_engines(back, x, xn, NULL, IMP_ISA_BEST, 1, &ng, NULL);
        bool ok = want && got && nw == ng;
        for (size_t i = 0; ok && i < nw; i++)
            ok = got[i] == want[i];
        CHECK(ok);
        free(want);
        free(got);
    }
    imp_model_free(back);
    imp_model_free(m);
    remove(path);
    free(x);
}

int main(void)
{
    RUN(fused_matches_unfused);
    RUN(reflect_and_edge_values);
    RUN(leaves_others_alone);
    RUN(bad_pad_mode_fails_load);
    RUN(fused_model_survives_imp);
    return imp_test_finish();
}
