/* Every Conv and ConvTranspose engine against the reference engine, on a grid of shapes with
 * odd sizes, strides, dilations, padding and groups, at every ISA cap this
 * CPU supports and with 1 and 2 threads. An engine that declines a shape
 * is fine (the next one takes it); one that accepts must agree. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "harness.h"

struct conv_case {
    int64_t n, c, h, w, m, k, stride, pad, dilation, group;
    int bias;
    int transpose; /* ConvTranspose (output_padding = stride - 1) */
};

static struct imp_model *conv_model(const struct conv_case *cc, unsigned seed)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {cc->n, cc->c, cc->h, cc->w};
    int64_t wd[4] = {cc->m, cc->c / cc->group, cc->k, cc->k};
    if (cc->transpose) { /* [C, M/group, k, k] */
        wd[0] = cc->c;
        wd[1] = cc->m / cc->group;
    }
    int node = imp_test_conv_graph(&g, cc->transpose ? IMP_OP_CONV_TRANSPOSE : IMP_OP_CONV,
                                   xd, wd, cc->m, cc->bias, &seed);
    if (node < 0)
        return NULL;
    if (cc->transpose && cc->stride > 1) {
        int64_t op2[2] = {cc->stride - 1, cc->stride - 1};
        imp_node_set_ints(&g, node, "output_padding", op2, 2);
    }
    int64_t s2[2] = {cc->stride, cc->stride}, d2[2] = {cc->dilation, cc->dilation};
    int64_t p4[4] = {cc->pad, cc->pad, cc->pad + (cc->pad > 0), cc->pad};
    imp_node_set_ints(&g, node, "strides", s2, 2);
    imp_node_set_ints(&g, node, "dilations", d2, 2);
    imp_node_set_ints(&g, node, "pads", p4, 4);
    imp_node_set_int(&g, node, "group", cc->group);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  model: %s\n", err.message);
    return m;
}

/* Runs with the given engine override; returns a malloc'd output, or NULL
 * if the engine declined (*declined set) or something failed. */
static float *run_with(struct imp_model *m, const float *x, size_t x_bytes,
                       const char *engines, enum imp_isa isa, int threads,
                       size_t *count, bool *declined)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.engines = engines;
    o.max_isa = isa;
    o.threads = threads;
    enum imp_status st;
    float *out = imp_test_run_once(m, &o, x, x_bytes, count, &st);
    *declined = st == IMP_ERR_UNSUPPORTED;
    if (!out && !*declined)
        printf("  %s: status %d\n", engines, (int)st);
    return out;
}

static const struct conv_case cases[] = {
    /* n  c   h   w   m  k  s  p  d  g  bias transpose */
    {1, 8, 13, 11, 16, 3, 1, 1, 1, 1, 1, 0},
    {1, 16, 9, 17, 5, 3, 1, 0, 1, 1, 1, 0},
    {2, 5, 7, 6, 7, 3, 1, 1, 1, 1, 0, 0},
    {1, 32, 16, 16, 32, 3, 1, 1, 1, 1, 1, 0},
    {1, 4, 21, 19, 12, 3, 2, 1, 1, 1, 1, 0},
    {1, 3, 24, 20, 8, 9, 1, 4, 1, 1, 1, 0},
    {1, 16, 15, 15, 3, 9, 1, 4, 1, 1, 1, 0},
    {1, 12, 10, 9, 6, 1, 1, 0, 1, 1, 1, 0},
    {1, 8, 12, 12, 8, 3, 1, 2, 2, 1, 1, 0},
    {1, 8, 11, 13, 8, 3, 1, 1, 1, 2, 1, 0},
    {1, 6, 5, 5, 4, 5, 1, 2, 1, 1, 1, 0},
    {1, 64, 8, 8, 64, 3, 1, 1, 1, 1, 1, 0},
    {1, 16, 20, 37, 3, 9, 1, 0, 1, 1, 1, 0},
    {2, 5, 9, 8, 7, 5, 1, 3, 1, 1, 0, 0},
    {1, 4, 6, 40, 1, 3, 1, 1, 1, 1, 1, 0},
    /* the Johnson nets' wide and strided layers at small sizes, odd widths */
    {1, 3, 20, 45, 32, 9, 1, 0, 1, 1, 1, 0},
    {1, 32, 19, 43, 3, 9, 1, 0, 1, 1, 1, 0},
    {1, 3, 17, 29, 8, 9, 1, 0, 1, 1, 0, 0},
    {1, 8, 18, 33, 3, 9, 1, 0, 1, 1, 0, 0},
    {1, 32, 19, 57, 64, 3, 2, 0, 1, 1, 1, 0},
    {1, 64, 11, 21, 96, 3, 2, 0, 1, 1, 0, 0},
    {1, 8, 21, 67, 16, 3, 2, 0, 1, 1, 1, 0},
    {2, 16, 9, 35, 32, 3, 2, 1, 1, 1, 1, 0},
    {1, 40, 9, 30, 6, 9, 1, 0, 1, 1, 1, 0},
    {1, 5, 13, 26, 7, 5, 3, 2, 2, 1, 1, 0},
    {1, 3, 23, 23, 5, 7, 2, 3, 1, 1, 0, 0},
    {1, 6, 15, 22, 10, 5, 2, 2, 1, 1, 1, 0},
    {1, 7, 14, 30, 9, 3, 1, 0, 2, 1, 1, 0},
    {1, 2, 9, 70, 4, 3, 4, 1, 1, 1, 1, 0},
    /* ConvTranspose */
    {1, 16, 9, 11, 8, 3, 2, 1, 1, 1, 1, 1},
    {1, 8, 7, 5, 16, 3, 1, 1, 1, 1, 0, 1},
    {2, 6, 5, 6, 4, 4, 2, 1, 1, 1, 1, 1},
    {1, 5, 6, 7, 3, 3, 3, 0, 2, 1, 1, 1},
    {1, 32, 16, 16, 16, 3, 2, 1, 1, 1, 1, 1},
    /* Winograd: whole 8-tile groups inside the image and partial ones at
     * the right and bottom edges, blocks with a partial last panel,
     * output channels that are no multiple of any microkernel's rows */
    {1, 8, 38, 70, 16, 3, 1, 0, 1, 1, 1, 0},
    {2, 16, 35, 67, 13, 3, 1, 1, 1, 1, 1, 0},
    {1, 4, 22, 134, 8, 3, 1, 0, 1, 1, 0, 0},
    {1, 33, 18, 99, 40, 3, 1, 1, 1, 1, 1, 0},
    {1, 6, 7, 9, 10, 3, 1, 5, 1, 1, 1, 0},
    /* nested Winograd ("wide"): several strips and bands, 3-row and
     * 4-row kernels, kernels zero-padded to a multiple of 3 */
    {1, 8, 20, 100, 3, 9, 1, 0, 1, 1, 1, 0},
    {1, 3, 60, 90, 8, 9, 1, 4, 1, 1, 1, 0},
    {2, 3, 30, 61, 5, 9, 1, 4, 1, 1, 0, 0},
    {1, 4, 23, 71, 5, 11, 1, 5, 1, 1, 1, 0},
    {1, 2, 40, 81, 1, 12, 1, 0, 1, 1, 0, 0},
    {1, 32, 14, 70, 32, 5, 1, 2, 1, 1, 0, 0},
    {1, 32, 13, 78, 33, 7, 1, 0, 1, 1, 1, 0},
    {1, 33, 12, 73, 34, 6, 1, 1, 1, 1, 1, 0},
    {1, 5, 14, 146, 7, 9, 1, 0, 1, 1, 1, 0},
    /* depthwise (group = C): 3x3 and 5x5, strides 1 and 2, pads 0-2,
     * odd sizes, rows narrower and wider than every vector width, a
     * channel multiplier of 2, a dilation, a 7x7 */
    {1, 16, 13, 11, 16, 3, 1, 1, 1, 16, 1, 0},
    {2, 8, 17, 37, 8, 3, 2, 1, 1, 8, 0, 0},
    {1, 12, 9, 70, 12, 5, 1, 2, 1, 12, 1, 0},
    {1, 6, 31, 29, 6, 5, 2, 2, 1, 6, 1, 0},
    {1, 5, 8, 8, 5, 3, 1, 0, 1, 5, 0, 0},
    {1, 7, 10, 67, 7, 3, 2, 0, 1, 7, 1, 0},
    {1, 4, 5, 3, 4, 5, 1, 2, 1, 4, 1, 0},
    {1, 3, 33, 130, 3, 3, 1, 1, 1, 3, 1, 0},
    {1, 4, 11, 19, 8, 3, 1, 1, 1, 4, 1, 0},
    {1, 6, 14, 23, 6, 3, 1, 2, 2, 6, 0, 0},
    {1, 3, 16, 45, 3, 7, 2, 3, 1, 3, 1, 0},
    {1, 2, 1, 2, 2, 3, 1, 1, 1, 2, 1, 0},
    {1, 4, 19, 23, 4, 3, 2, 2, 2, 4, 1, 0},
    {1, 6, 20, 25, 6, 5, 3, 2, 1, 6, 1, 0},
    {2, 3, 9, 17, 9, 3, 2, 1, 1, 3, 1, 0},
    /* ...and small pictures of many channels ("depthwise_blocked"): a
     * last block of channels partly filled, strides 1 and 2, 5x5, a
     * dilation, rows of fewer outputs than the 4 a step takes */
    {1, 20, 7, 7, 20, 3, 1, 1, 1, 20, 1, 0},
    {2, 37, 14, 14, 37, 3, 2, 1, 1, 37, 1, 0},
    {1, 16, 9, 5, 16, 5, 1, 2, 1, 16, 0, 0},
    {1, 33, 7, 7, 33, 5, 1, 2, 2, 33, 1, 0},
    {1, 48, 13, 3, 48, 3, 2, 0, 1, 48, 1, 0},
    {1, 96, 28, 28, 96, 3, 2, 1, 1, 96, 1, 0},
    {1, 40, 28, 28, 40, 5, 1, 2, 1, 40, 1, 0},
    /* 1x1 ("pointwise"): pixels no multiple of any panel width, output
     * channels no multiple of any microkernel's rows, a batch, a single
     * pixel, a block split into channel parts between threads, many
     * column blocks, dot products for few pixels */
    {1, 12, 10, 9, 6, 1, 1, 0, 1, 1, 1, 0},
    {2, 24, 7, 7, 37, 1, 1, 0, 1, 1, 0, 0},
    {1, 40, 1, 1, 10, 1, 1, 0, 1, 1, 1, 0},
    {1, 96, 14, 14, 200, 1, 1, 0, 1, 1, 1, 0},
    {1, 16, 56, 57, 24, 1, 1, 0, 1, 1, 1, 0},
    {1, 300, 3, 5, 9, 1, 1, 0, 1, 1, 1, 0},
    /* ...and the few-pixel maps that take dot products instead of tiles */
    {2, 33, 1, 3, 7, 1, 1, 0, 1, 1, 1, 0},
    {1, 70, 2, 2, 130, 1, 1, 0, 1, 1, 0, 0},
    /* ...and layers big enough to be split between threads */
    {1, 32, 40, 70, 32, 3, 1, 1, 1, 32, 1, 0},
    {1, 24, 61, 67, 24, 5, 2, 2, 1, 24, 0, 0},
    /* the Johnson nets' upsampling layers at small, odd sizes; strides 2
     * to 4, kernels smaller and larger than the stride, dilation */
    {1, 128, 6, 7, 64, 3, 2, 1, 1, 1, 1, 1},
    {1, 64, 9, 13, 32, 3, 2, 1, 1, 1, 1, 1},
    {1, 32, 11, 10, 16, 3, 2, 1, 1, 1, 0, 1},
    {1, 16, 13, 27, 8, 3, 2, 1, 1, 1, 1, 1},
    {1, 64, 5, 9, 32, 3, 2, 0, 1, 1, 1, 1},
    {2, 7, 6, 5, 9, 3, 3, 1, 1, 1, 1, 1},
    {1, 6, 7, 8, 5, 4, 2, 1, 1, 1, 0, 1},
    {1, 5, 5, 6, 3, 5, 3, 2, 1, 1, 1, 1},
    {1, 4, 6, 9, 6, 3, 4, 1, 1, 1, 1, 1},
    {1, 3, 5, 7, 4, 2, 3, 0, 1, 1, 1, 1},
    {1, 3, 5, 7, 4, 3, 2, 0, 2, 1, 1, 1},
};

/* Largest |got - ref| relative to the largest |ref|: the right yardstick
 * for Winograd, whose rounding error scales with the whole tile's
 * magnitude rather than with each output. */
static double normalized_error(const float *got, const float *ref, size_t n)
{
    double worst = 0, scale = 1e-30;
    for (size_t i = 0; i < n; i++) {
        double d = got[i] > ref[i] ? got[i] - ref[i] : ref[i] - got[i];
        double r = ref[i] > 0 ? ref[i] : -ref[i];
        worst = d > worst || d != d ? d : worst;
        scale = r > scale ? r : scale;
    }
    return worst / scale;
}

static void engines_agree_with_reference(void)
{
    /* GEMM reorders sums only: per-element relative error (floor 1).
     * Winograd F(4x4,3x3) transforms with constants up to 8 and 1/24, and
     * nested F(3x3,3x3) ("wide") up to 4 and 1/6: error against the
     * output's scale. */
    static const char *const engines[] = {"Conv=depthwise", "Conv=depthwise_blocked",
                                          "Conv=winograd", "Conv=wide", "Conv=direct",
                                          "Conv=pointwise", "Conv=gemm",
                                          "ConvTranspose=gemm", "ConvTranspose=phase"};
    static const bool normalized[] = {false, false, true,  true, false,
                                      false, false, false, false};
    enum imp_isa best = imp_isa_detect();
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const struct conv_case *cc = &cases[ci];
        struct imp_model *m = conv_model(cc, (unsigned)ci + 1);
        if (!CHECK(m != NULL))
            continue;
        size_t xn = (size_t)(cc->n * cc->c * cc->h * cc->w);
        float *x = malloc(sizeof(float) * xn);
        unsigned seed = 99 + (unsigned)ci;
        for (size_t i = 0; i < xn; i++)
            x[i] = imp_test_frand(&seed) * 4.0f;
        size_t n_ref = 0, n_got = 0;
        bool declined;
        float *ref = run_with(m, x, sizeof(float) * xn,
                              cc->transpose ? "ConvTranspose=ref" : "Conv=ref",
                              IMP_ISA_SCALAR, 1, &n_ref, &declined);
        if (!CHECK(ref != NULL))
            continue;
        for (size_t e = 0; e < sizeof engines / sizeof engines[0]; e++) {
            bool for_transpose = strncmp(engines[e], "ConvTranspose", 13) == 0;
            if (for_transpose != (cc->transpose != 0))
                continue;
            for (int isa = IMP_ISA_SCALAR; isa <= (int)best; isa++) {
                for (int threads = 1; threads <= 2; threads++) {
                    float *got = run_with(m, x, sizeof(float) * xn, engines[e],
                                          (enum imp_isa)isa, threads, &n_got, &declined);
                    if (declined)
                        continue;
                    if (!CHECK(got != NULL && n_got == n_ref))
                        continue;
                    double err = normalized[e] ? normalized_error(got, ref, n_ref)
                                               : imp_test_max_rel_error(got, ref, n_ref, 1.0);
                    /* float rounding grows with the terms per sum */
                    double k = (double)(cc->c / cc->group * cc->k * cc->k);
                    double tol = 2e-5 * (k > 64 ? sqrt(k / 64) : 1.0);
                    if (!CHECK(err < tol))
                        printf("  case %zu %s isa=%s threads=%d: max rel error %g\n", ci,
                               engines[e], imp_isa_name((enum imp_isa)isa), threads, err);
                    free(got);
                }
            }
        }
        free(ref);
        free(x);
        imp_model_free(m);
    }
}

static void fast_engines_are_chosen_by_default(void)
{
    /* A 3x3 stride-1 conv with enough channels goes to Winograd; 9x9
     * layers, even with few input or output channels, to nested Winograd
     * ("wide"); stride-2 3x3 layers to direct; a 1x1 to "pointwise"; many
     * channels over a narrow image to GEMM; depthwise layers to "depthwise",
     * or on pictures narrower than two vectors to "depthwise_blocked": the
     * choices the benchmarks rely on. */
    const struct conv_case wino = {1, 16, 12, 12, 16, 3, 1, 1, 1, 1, 1, 0};
    const struct conv_case wide = {1, 3, 12, 120, 16, 9, 1, 4, 1, 1, 1, 0};
    const struct conv_case narrow = {1, 16, 12, 120, 3, 9, 1, 4, 1, 1, 1, 0};
    const struct conv_case down = {1, 32, 18, 18, 64, 3, 2, 0, 1, 1, 1, 0};
    const struct conv_case point = {1, 32, 12, 12, 64, 1, 1, 0, 1, 1, 1, 0};
    const struct conv_case deep = {1, 128, 13, 13, 128, 3, 2, 0, 1, 1, 1, 0};
    const struct conv_case dw3 = {1, 16, 12, 40, 16, 3, 1, 1, 1, 16, 1, 0};
    const struct conv_case dw5 = {1, 24, 17, 70, 24, 5, 2, 2, 1, 24, 1, 0};
    const struct conv_case dw7x7 = {1, 64, 7, 7, 64, 3, 1, 1, 1, 64, 1, 0};
    const struct conv_case *cs[9] = {&wino, &wide, &narrow, &down, &point,
                                     &deep, &dw3,  &dw5,    &dw7x7};
    const char *want[9] = {"winograd",  "wide",      "wide",     "direct",
                           "pointwise", "gemm",      "depthwise", "depthwise",
                           "depthwise_blocked"};
    for (int i = 0; i < 9; i++) {
        struct imp_model *m = conv_model(cs[i], 7);
        struct imp_predictor *p;
        if (!CHECK(m && imp_predictor_init(m, NULL, &p, NULL) == IMP_OK))
            continue;
        imp_predictor_run(p);
        struct imp_node_profile prof;
        CHECK_STATUS(imp_predictor_node_profile(p, 0, &prof), IMP_OK);
        if (!CHECK(strcmp(prof.engine, want[i]) == 0))
            printf("  case %d ran on %s, want %s\n", i, prof.engine, want[i]);
        imp_predictor_free(p);
        imp_model_free(m);
    }
}

int main(void)
{
    RUN(engines_agree_with_reference);
    RUN(fast_engines_are_chosen_by_default);
    return imp_test_finish();
}
