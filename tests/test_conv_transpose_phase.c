/* ConvTranspose engine "phase" against the reference engine on the
 * geometry the shared conv grid (test_conv_engines.c) does not reach:
 * different strides, kernels, dilations and pads per axis, output_shape
 * (smaller and larger than the full output), auto_pad, output_padding
 * below stride - 1, phases no tap reaches (kernel 1 or 2 under stride 3
 * and 4), channel counts that take several kernel calls, and batches;
 * at every ISA cap this CPU supports, with 1 and 2 threads. The engine
 * must accept each of these shapes, and give the reference's numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "harness.h"

struct tcase {
    int64_t n, c, h, w, m, kh, kw, sh, sw;
    int64_t dh, dw;
    int64_t pads[4];  /* top, left, bottom, right */
    int64_t opad[2];  /* output_padding */
    int64_t oshape[2]; /* output_shape when nonzero */
    const char *auto_pad;
    int bias;
};

static struct imp_model *model(const struct tcase *t, unsigned seed)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {t->n, t->c, t->h, t->w}, wd[4] = {t->c, t->m, t->kh, t->kw};
    int node = imp_test_conv_graph(&g, IMP_OP_CONV_TRANSPOSE, xd, wd, t->m, t->bias, &seed);
    if (node < 0)
        return NULL;
    int64_t s2[2] = {t->sh, t->sw}, d2[2] = {t->dh, t->dw};
    imp_node_set_ints(&g, node, "strides", s2, 2);
    imp_node_set_ints(&g, node, "dilations", d2, 2);
    imp_node_set_ints(&g, node, "pads", t->pads, 4);
    if (t->opad[0] || t->opad[1])
        imp_node_set_ints(&g, node, "output_padding", t->opad, 2);
    if (t->oshape[0])
        imp_node_set_ints(&g, node, "output_shape", t->oshape, 2);
    if (t->auto_pad)
        imp_node_set_string(&g, node, "auto_pad", t->auto_pad);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  model: %s\n", err.message);
    return m;
}

/* A malloc'd copy of the output, or NULL (with a message) on failure. */
static float *run(struct imp_model *m, const float *x, size_t x_bytes, const char *engines,
                  enum imp_isa isa, int threads, size_t *count)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.engines = engines;
    o.max_isa = isa;
    o.threads = threads;
    enum imp_status st;
    float *out = imp_test_run_once(m, &o, x, x_bytes, count, &st);
    if (!out)
        printf("  %s: status %d\n", engines, (int)st);
    return out;
}

static const struct tcase cases[] = {
    /* n c  h  w  m kh kw sh sw dh dw pads        opad    oshape  auto_pad  bias */
    {1, 6, 7, 9, 5, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {1, 1}, {0, 0}, NULL, 1},
    {1, 6, 7, 9, 5, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {0, 0}, {0, 0}, NULL, 0},
    /* per-axis strides, kernels, dilations and asymmetric pads */
    {1, 5, 6, 11, 7, 4, 2, 3, 1, 1, 1, {2, 0, 1, 1}, {2, 0}, {0, 0}, NULL, 1},
    {1, 4, 9, 5, 6, 2, 5, 1, 4, 1, 1, {0, 3, 1, 0}, {0, 3}, {0, 0}, NULL, 1},
    {1, 3, 8, 8, 9, 3, 3, 2, 3, 2, 1, {1, 2, 0, 2}, {1, 1}, {0, 0}, NULL, 1},
    {2, 7, 5, 6, 4, 5, 3, 3, 2, 1, 2, {2, 1, 2, 1}, {0, 1}, {0, 0}, NULL, 1},
    /* kernel smaller than the stride: phases that only get the bias */
    {1, 4, 5, 7, 6, 1, 1, 2, 2, 1, 1, {0, 0, 0, 0}, {1, 1}, {0, 0}, NULL, 1},
    {1, 3, 4, 5, 5, 2, 2, 3, 4, 1, 1, {0, 0, 0, 0}, {2, 3}, {0, 0}, NULL, 1},
    {1, 3, 6, 6, 2, 3, 1, 4, 4, 1, 1, {1, 0, 0, 0}, {0, 0}, {0, 0}, NULL, 0},
    /* stride 1: the plain transposed correlation */
    {1, 9, 10, 13, 11, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, {0, 0}, {0, 0}, NULL, 1},
    {1, 4, 6, 7, 3, 5, 4, 1, 1, 1, 2, {0, 2, 3, 1}, {0, 0}, {0, 0}, NULL, 1},
    /* output_shape: trimmed, and beyond the full output (the Johnson
     * nets' 180 -> 362), where only the bias lands */
    {1, 5, 6, 7, 6, 3, 3, 2, 2, 1, 1, {0, 0, 0, 0}, {0, 0}, {12, 13}, NULL, 1},
    {1, 5, 6, 7, 6, 3, 3, 2, 2, 1, 1, {0, 0, 0, 0}, {0, 0}, {14, 17}, NULL, 1},
    {1, 4, 5, 5, 3, 3, 3, 2, 2, 1, 1, {0, 0, 0, 0}, {0, 0}, {16, 9}, NULL, 1},
    {1, 4, 5, 6, 3, 4, 4, 3, 3, 1, 1, {0, 0, 0, 0}, {0, 0}, {15, 20}, "SAME_LOWER", 1},
    /* auto_pad */
    {1, 4, 6, 7, 5, 3, 3, 2, 2, 1, 1, {0, 0, 0, 0}, {0, 0}, {0, 0}, "SAME_UPPER", 1},
    {1, 4, 6, 7, 5, 4, 3, 2, 2, 1, 1, {0, 0, 0, 0}, {0, 0}, {0, 0}, "SAME_LOWER", 1},
    {1, 4, 6, 7, 5, 3, 3, 2, 3, 1, 1, {0, 0, 0, 0}, {1, 2}, {0, 0}, "VALID", 1},
    /* channels over several kernel calls, output channels past a block */
    {1, 130, 5, 6, 7, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {1, 1}, {0, 0}, NULL, 1},
    {1, 67, 4, 9, 13, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {1, 1}, {0, 0}, NULL, 0},
    /* wide rows: many tiles, partial last tiles, odd output widths */
    {1, 8, 3, 61, 6, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {1, 1}, {0, 0}, NULL, 1},
    {1, 8, 3, 70, 5, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {0, 0}, {0, 0}, NULL, 1},
    {1, 6, 4, 97, 4, 3, 3, 3, 3, 1, 1, {1, 1, 1, 1}, {2, 2}, {0, 0}, NULL, 1},
    {2, 16, 9, 40, 8, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {1, 1}, {0, 0}, NULL, 1},
    /* tall images: many bands, more than the threads */
    {1, 8, 70, 9, 4, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {1, 1}, {0, 0}, NULL, 1},
};

static void phase_agrees_with_reference(void)
{
    enum imp_isa best = imp_isa_detect();
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const struct tcase *t = &cases[ci];
        struct imp_model *m = model(t, (unsigned)ci + 11);
        if (!CHECK(m != NULL))
            continue;
        size_t xn = (size_t)(t->n * t->c * t->h * t->w);
        float *x = malloc(sizeof(float) * xn);
        unsigned seed = 7 + (unsigned)ci;
        for (size_t i = 0; i < xn; i++)
            x[i] = imp_test_frand(&seed) * 3.0f;
        size_t n_ref = 0;
        float *ref = run(m, x, sizeof(float) * xn, "ConvTranspose=ref", IMP_ISA_SCALAR, 1,
                         &n_ref);
        if (!CHECK(ref != NULL)) {
            free(x);
            imp_model_free(m);
            continue;
        }
        float *first = NULL;
        for (int isa = IMP_ISA_SCALAR; isa <= (int)best; isa++) {
            for (int threads = 1; threads <= 2; threads++) {
                size_t n_got = 0;
                float *got = run(m, x, sizeof(float) * xn, "ConvTranspose=phase",
                                 (enum imp_isa)isa, threads, &n_got);
                if (!CHECK(got != NULL && n_got == n_ref)) {
                    printf("  case %zu isa=%s threads=%d\n", ci,
                           imp_isa_name((enum imp_isa)isa), threads);
                    free(got);
                    continue;
                }
                double k = (double)(t->c * t->kh * t->kw);
                double tol = 2e-5 * (k > 64 ? sqrt(k / 64) : 1.0);
                double err = imp_test_max_rel_error(got, ref, n_ref, 1.0);
                if (!CHECK(err < tol))
                    printf("  case %zu isa=%s threads=%d: max rel error %g\n", ci,
                           imp_isa_name((enum imp_isa)isa), threads, err);
                /* The thread count only cuts the work: same bits. */
                if (threads == 1) {
                    free(first);
                    first = got;
                    continue;
                }
                if (!CHECK(first && memcmp(first, got, sizeof(float) * n_ref) == 0))
                    printf("  case %zu isa=%s: 1 and 2 threads differ\n", ci,
                           imp_isa_name((enum imp_isa)isa));
                free(got);
            }
        }
        free(first);
        free(ref);
        free(x);
        imp_model_free(m);
    }
}

static void phase_is_chosen_by_default(void)
{
    /* The Johnson nets' upsampling layer at a small size goes to "phase";
     * many channels over rows of 8 to "gemm". */
    const struct tcase cs[2] = {
        {1, 16, 6, 7, 8, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {1, 1}, {0, 0}, NULL, 1},
        {1, 128, 8, 8, 64, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {1, 1}, {0, 0}, NULL, 1},
    };
    const char *want[2] = {"phase", "gemm"};
    for (int i = 0; i < 2; i++) {
        struct imp_model *m = model(&cs[i], 3);
        struct imp_predictor *p;
        if (!CHECK(m && imp_predictor_init(m, NULL, &p, NULL) == IMP_OK)) {
            imp_model_free(m);
            continue;
        }
        imp_predictor_run(p);
        struct imp_node_profile prof;
        CHECK_STATUS(imp_predictor_node_profile(p, 0, &prof), IMP_OK);
        if (!CHECK(strcmp(prof.engine, want[i]) == 0))
            printf("  case %d ran on %s, want %s\n", i, prof.engine, want[i]);
        imp_predictor_free(p);
        imp_model_free(m);
    }
}

static void phase_declines_groups(void)
{
    /* group 2: the engine declines, so forcing it fails to plan */
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {1, 4, 5, 5}, wd[4] = {4, 3, 3, 3};
    struct imp_shape xs = imp_shape_make(4, xd), ws = imp_shape_make(4, wd);
    float w[4 * 3 * 9] = {0};
    int in[2];
    in[0] = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    in[1] = imp_graph_add_const(&g, "w", IMP_DTYPE_F32, &ws, w);
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int node = imp_graph_add_node(&g, IMP_OP_CONV_TRANSPOSE, "convt", 2, in, 1, &y);
    imp_node_set_int(&g, node, "group", 2);
    imp_graph_add_input(&g, in[0]);
    imp_graph_add_output(&g, y);
    struct imp_model *m = NULL;
    if (!CHECK(imp_model_from_graph(&g, &m, NULL) == IMP_OK))
        return;
    struct imp_predictor_options o = imp_predictor_options_default();
    o.engines = "ConvTranspose=phase";
    struct imp_predictor *p = NULL;
    struct imp_error err;
    CHECK_STATUS(imp_predictor_init(m, &o, &p, &err), IMP_ERR_UNSUPPORTED);
    imp_predictor_free(p);
    imp_model_free(m);
}

int main(void)
{
    RUN(phase_agrees_with_reference);
    RUN(phase_is_chosen_by_default);
    RUN(phase_declines_groups);
    return imp_test_finish();
}
