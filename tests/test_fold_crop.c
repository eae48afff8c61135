/* The fold_crop pass: a border-only Crop that alone reads a ConvTranspose's
 * output becomes the ConvTranspose's `crop` attribute. Checked: what it
 * folds and what it must leave, idempotence, and that every ConvTranspose
 * engine then computes exactly the cropped output of the unfolded layer
 * (the reference engine's full output, cropped here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "harness.h"
#include "ops/op_util.h"
#include "passes/passes.h"

#define C 3
#define M 4

struct geometry {
    int64_t h, w;         /* input */
    int64_t stride;
    const char *auto_pad; /* NULL: NOTSET with pads */
    int64_t pads[4];
    int64_t output_shape[2]; /* {0, 0}: none */
    int64_t border[4];       /* Crop: left, top, right, bottom */
};

static const struct geometry geometries[] = {
    /* The Johnson nets' decoder: output_shape one beyond the full output,
     * border 1 all round. */
    {5, 6, 2, "VALID", {0}, {12, 14}, {1, 1, 1, 1}},
    /* Asymmetric borders on a plain full output. */
    {4, 7, 2, "VALID", {0}, {0, 0}, {2, 0, 1, 3}},
    /* Explicit pads, stride 1, nothing cut on one side. */
    {6, 5, 1, NULL, {1, 0, 0, 2}, {0, 0}, {0, 1, 2, 0}},
    /* Stride 3, output_shape smaller than full. */
    {3, 4, 3, NULL, {0}, {8, 11}, {1, 2, 1, 0}},
};

enum shape {
    FOLDS,        /* ConvTranspose -> Crop                     */
    SCALED,       /* the Crop has `scale`: not a border crop   */
    SHARED,       /* the ConvTranspose output is read again    */
    CONV_IS_OUTPUT, /* the ConvTranspose output is a graph output */
    NO_CROP,      /* the ConvTranspose output is the graph output */
};

static void build(struct imp_graph *g, const struct geometry *geo, enum shape kind)
{
    imp_graph_init(g);
    int64_t xd[4] = {1, C, geo->h, geo->w}, wd[4] = {C, M, 3, 3};
    unsigned seed = 7;
    int ct = imp_test_conv_graph(g, IMP_OP_CONV_TRANSPOSE, xd, wd, M, true, &seed);
    int y = g->nodes[ct].outputs[0];
    int64_t strides[2] = {geo->stride, geo->stride};
    imp_node_set_ints(g, ct, "strides", strides, 2);
    if (geo->auto_pad)
        imp_node_set_string(g, ct, "auto_pad", geo->auto_pad);
    else
        imp_node_set_ints(g, ct, "pads", geo->pads, 4);
    if (geo->output_shape[0])
        imp_node_set_ints(g, ct, "output_shape", geo->output_shape, 2);
    if (kind == NO_CROP)
        return;
    int z = imp_graph_add_value(g, "crop", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int cn = imp_graph_add_node(g, IMP_OP_CROP, "crop", 1, &y, 1, &z);
    imp_node_set_ints(g, cn, "border", geo->border, 4);
    if (kind == SCALED) {
        int64_t scale[2] = {2, 2};
        imp_node_set_ints(g, cn, "scale", scale, 2);
    }
    g->outputs[0] = z; /* the Crop's output replaces the ConvTranspose's */
    if (kind == SHARED) {
        int r = imp_graph_add_value(g, "relu", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
        imp_graph_add_node(g, IMP_OP_RELU, "relu", 1, &y, 1, &r);
        imp_graph_add_output(g, r);
    }
    if (kind == CONV_IS_OUTPUT)
        imp_graph_add_output(g, y);
}

static int count(const struct imp_graph *g, enum imp_op op)
{
    int k = 0;
    for (int i = 0; i < g->n_nodes; i++)
        k += g->nodes[i].op == op;
    return k;
}

static void pass_folds_only_what_it_may(void)
{
    static const struct {
        enum shape kind;
        bool folds;
    } cases[] = {{FOLDS, true}, {SCALED, false}, {SHARED, false}, {CONV_IS_OUTPUT, false},
                 {NO_CROP, false}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct imp_graph g;
        build(&g, &geometries[0], cases[k].kind);
        struct imp_error err;
        int crops = count(&g, IMP_OP_CROP);
        CHECK_STATUS(imp_graph_sort(&g, &err), IMP_OK);
        CHECK_STATUS(imp_pass_fold_crop(&g, &err), IMP_OK);
        const struct imp_node *ct = NULL;
        for (int i = 0; i < g.n_nodes; i++)
            if (g.nodes[i].op == IMP_OP_CONV_TRANSPOSE)
                ct = &g.nodes[i];
        if (!CHECK(ct != NULL))
            continue;
        if (!CHECK((imp_node_attr(ct, "crop") != NULL) == cases[k].folds))
            printf("  case %zu\n", k);
        CHECK(count(&g, IMP_OP_CROP) == crops - (cases[k].folds ? 1 : 0));
        if (cases[k].folds) {
            /* border [left, top, right, bottom] -> [top, left, bottom, right] */
            int64_t crop[4];
            CHECK(imp_attr_ints(ct, "crop", crop, 4) == 4);
            CHECK(crop[0] == 1 && crop[1] == 1 && crop[2] == 1 && crop[3] == 1);
            /* The graph output keeps the Crop's name and is the node's output. */
            CHECK(strcmp(g.values[g.outputs[0]].name, "crop") == 0);
            CHECK(ct->outputs[0] == g.outputs[0]);
        }
        /* Again: nothing changes. */
        int nodes = g.n_nodes, values = g.n_values;
        CHECK_STATUS(imp_pass_fold_crop(&g, &err), IMP_OK);
        CHECK(g.n_nodes == nodes && g.n_values == values);
        CHECK_STATUS(imp_graph_sort(&g, &err), IMP_OK);
        imp_graph_release(&g);
    }
}

static float *run(struct imp_model *m, const float *x, size_t xn, const char *engines,
                  size_t *count_out)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.engines = engines;
    o.threads = 2;
    enum imp_status st;
    return imp_test_run_once(m, &o, x, sizeof(float) * xn, count_out, &st);
}

static void engines_compute_the_cropped_output(void)
{
    static const char *const engines[] = {"ConvTranspose=phase", "ConvTranspose=gemm",
                                          "ConvTranspose=ref"};
    for (size_t gi = 0; gi < sizeof geometries / sizeof geometries[0]; gi++) {
        const struct geometry *geo = &geometries[gi];
        struct imp_graph full_g, fold_g;
        build(&full_g, geo, NO_CROP);
        build(&fold_g, geo, FOLDS);
        struct imp_model *full = NULL, *folded = NULL;
        struct imp_error err;
        if (!CHECK_STATUS(imp_model_from_graph(&full_g, &full, &err), IMP_OK) ||
            !CHECK_STATUS(imp_model_from_graph(&fold_g, &folded, &err), IMP_OK)) {
            imp_model_free(full);
            continue;
        }
        bool was_folded = false;
        for (int i = 0; i < folded->graph.n_nodes; i++)
            was_folded |= folded->graph.nodes[i].op == IMP_OP_CONV_TRANSPOSE &&
                          imp_node_attr(&folded->graph.nodes[i], "crop") != NULL;
        CHECK(was_folded && count(&folded->graph, IMP_OP_CROP) == 0);

        size_t xn = (size_t)(C * geo->h * geo->w);
        float *x = malloc(sizeof(float) * xn);
        unsigned seed = 11;
        for (size_t i = 0; i < xn; i++)
            x[i] = imp_test_frand(&seed);
        size_t n_full = 0;
        float *ref = run(full, x, xn, "ConvTranspose=ref", &n_full);
        struct imp_tensor_info info;
        CHECK_STATUS(imp_model_output_info(full, 0, &info), IMP_OK);
        int64_t H = info.dims[2], W = info.dims[3];
        int64_t left = geo->border[0], top = geo->border[1];
        int64_t h = H - top - geo->border[3], w = W - left - geo->border[2];
        for (size_t e = 0; ref && e < sizeof engines / sizeof engines[0]; e++) {
            size_t n = 0;
            float *y = run(folded, x, xn, engines[e], &n);
            if (!CHECK(y != NULL && n == (size_t)(M * h * w))) {
                printf("  geometry %zu %s: %zu outputs, %lld expected\n", gi, engines[e], n,
                       (long long)(M * h * w));
                free(y);
                continue;
            }
            double worst = 0;
            for (int64_t m = 0; m < M; m++)
                for (int64_t i = 0; i < h; i++)
                    for (int64_t j = 0; j < w; j++) {
                        double want = ref[(m * H + top + i) * W + left + j];
                        double d = y[(m * h + i) * w + j] - want;
                        worst = d < 0 ? (-d > worst ? -d : worst) : (d > worst ? d : worst);
                    }
            if (!CHECK(worst < 1e-5))
                printf("  geometry %zu %s: off by %g\n", gi, engines[e], worst);
            free(y);
        }
        free(ref);
        free(x);
        imp_model_free(full);
        imp_model_free(folded);
    }
}

static void crop_attribute_is_checked(void)
{
    /* A crop that leaves nothing, or lists the wrong number of values,
     * is refused with a message, never computed. */
    struct imp_graph g;
    build(&g, &geometries[0], NO_CROP);
    int64_t too_much[4] = {6, 0, 6, 0}, three[3] = {1, 1, 1};
    imp_node_set_ints(&g, 0, "crop", too_much, 4);
    struct imp_model *m = NULL;
    struct imp_error err;
    CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_ERR_SHAPE);
    CHECK(m == NULL && strstr(err.message, "output spatial axis") != NULL);
    build(&g, &geometries[0], NO_CROP);
    imp_node_set_ints(&g, 0, "crop", three, 3);
    CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_ERR_FORMAT);
    CHECK(m == NULL && strstr(err.message, "crop") != NULL);
}

int main(void)
{
    RUN(pass_folds_only_what_it_may);
    RUN(engines_compute_the_cropped_output);
    RUN(crop_attribute_is_checked);
    return imp_test_finish();
}
