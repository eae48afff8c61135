/* Core machinery: graph building, passes, planner, predictor. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "runtime/planner.h"
#include "harness.h"

static struct imp_shape shape4(int64_t n, int64_t c, int64_t h, int64_t w)
{
    int64_t d[4] = {n, c, h, w};
    return imp_shape_make(4, d);
}

/* x -> Relu -> Sigmoid -> y, with an open batch dim. */
static struct imp_model *relu_sigmoid_model(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    struct imp_shape s = shape4(-1, 2, 3, 4);
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &s);
    int h = imp_graph_add_value(&g, "h", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    imp_graph_add_node(&g, IMP_OP_SIGMOID, "sig", 1, &h, 1, &y);
    imp_graph_add_node(&g, IMP_OP_RELU, "relu", 1, &x, 1, &h);
    imp_graph_add_input(&g, x);
    imp_graph_add_output(&g, y);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  load failed: %s\n", err.message);
    return m;
}

static void predictor_runs_sorted_graph_with_open_batch(void)
{
    struct imp_model *m = relu_sigmoid_model();
    if (!CHECK(m != NULL))
        return;
    struct imp_tensor_info info;
    CHECK_STATUS(imp_model_input_info(m, 0, &info), IMP_OK);
    CHECK(info.dims[0] == -1 && info.dims[1] == 2);
    struct imp_predictor *p;
    struct imp_error err;
    CHECK_STATUS(imp_predictor_init(m, NULL, &p, &err), IMP_OK);
    int64_t dims[4] = {2, 2, 3, 4};
    CHECK_STATUS(imp_predictor_resize_input(p, 0, 4, dims), IMP_OK);
    float x[48];
    for (int i = 0; i < 48; i++)
        x[i] = (float)i - 24.0f;
    CHECK_STATUS(imp_predictor_set_input(p, 0, x, sizeof x), IMP_OK);
    CHECK_STATUS(imp_predictor_set_input(p, 0, x, sizeof x - 4), IMP_ERR_SHAPE);
    CHECK_STATUS(imp_predictor_run(p), IMP_OK);
    const float *y;
    CHECK_STATUS(imp_predictor_output(p, 0, &info, (const void **)&y), IMP_OK);
    CHECK(info.rank == 4 && info.dims[0] == 2);
    for (int i = 0; i < 48; i++)
        CHECK_NEAR(y[i], 1.0 / (1.0 + exp(-(x[i] > 0 ? x[i] : 0))), 1e-6);
    struct imp_plan_stats st;
    CHECK_STATUS(imp_predictor_plan_stats(p, &st), IMP_OK);
    /* Relu then Sigmoid in place: one buffer instead of two. */
    CHECK(st.naive_bytes == 2 * 48 * 4);
    CHECK(st.arena_bytes < st.naive_bytes);
    imp_predictor_free(p);
    imp_model_free(m);
}

static void resize_rejects_fixed_dims(void)
{
    struct imp_model *m = relu_sigmoid_model();
    if (!CHECK(m != NULL))
        return;
    struct imp_predictor *p;
    CHECK_STATUS(imp_predictor_init(m, NULL, &p, NULL), IMP_OK);
    int64_t dims[4] = {1, 5, 3, 4};
    CHECK_STATUS(imp_predictor_resize_input(p, 0, 4, dims), IMP_ERR_SHAPE);
    CHECK(strstr(imp_predictor_last_error(p), "fixed") != NULL);
    CHECK_STATUS(imp_predictor_resize_input(p, 0, 3, dims), IMP_ERR_SHAPE);
    imp_predictor_free(p);
    imp_model_free(m);
}

static void shape_count_of_zero_dims_and_overflow(void)
{
    /* A zero dim anywhere makes the count 0, even after dims whose product
     * alone would overflow; without one, overflow is -1. */
    int64_t big = (int64_t)1 << 40;
    struct imp_shape zero_last = imp_shape_make(3, (int64_t[]){big, big, 0});
    struct imp_shape zero_first = imp_shape_make(3, (int64_t[]){0, big, big});
    struct imp_shape overflow = imp_shape_make(3, (int64_t[]){big, big, 2});
    struct imp_shape open = imp_shape_make(2, (int64_t[]){-1, 3});
    struct imp_shape scalar = imp_shape_make(0, NULL);
    struct imp_shape plain = imp_shape_make(3, (int64_t[]){2, 3, 5});
    CHECK(imp_shape_count(&zero_last) == 0);
    CHECK(imp_shape_count(&zero_first) == 0);
    CHECK(imp_shape_count(&overflow) == -1);
    CHECK(imp_shape_count(&open) == -1);
    CHECK(imp_shape_count(&scalar) == 1);
    CHECK(imp_shape_count(&plain) == 30);
}

static void planner_never_overlaps_live_buffers(void)
{
    /* Random lifetimes and sizes; verify the invariant directly. */
    struct imp_plan_buffer b[64];
    unsigned seed = 12345;
    for (int trial = 0; trial < 50; trial++) {
        int n = 1 + trial % 64;
        size_t naive = 0;
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            int first = (int)(seed >> 16) % 40;
            seed = seed * 1103515245u + 12345u;
            b[i] = (struct imp_plan_buffer){
                .size = 1 + (seed >> 8) % 5000, .first = first,
                .last = first + (int)((seed >> 20) % 10)};
            naive += (b[i].size + 63) & ~(size_t)63;
        }
        size_t total = imp_plan_memory(b, n);
        CHECK(total <= naive);
        for (int i = 0; i < n; i++) {
            CHECK(b[i].offset % 64 == 0);
            CHECK(b[i].offset + b[i].size <= total);
            for (int k = i + 1; k < n; k++) {
                bool live_together = b[i].first <= b[k].last && b[k].first <= b[i].last;
                bool apart = b[i].offset + b[i].size <= b[k].offset ||
                             b[k].offset + b[k].size <= b[i].offset;
                if (live_together && !CHECK(apart))
                    return;
            }
        }
    }
}

static void sort_rejects_cycles_and_missing_producers(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int a = imp_graph_add_value(&g, "a", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int b = imp_graph_add_value(&g, "b", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    imp_graph_add_node(&g, IMP_OP_RELU, "r1", 1, &a, 1, &b);
    imp_graph_add_node(&g, IMP_OP_RELU, "r2", 1, &b, 1, &a);
    imp_graph_add_output(&g, b);
    struct imp_error err;
    CHECK_STATUS(imp_graph_sort(&g, &err), IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "cycle") != NULL);
    imp_graph_release(&g);

    imp_graph_init(&g);
    a = imp_graph_add_value(&g, "a", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    b = imp_graph_add_value(&g, "b", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    imp_graph_add_node(&g, IMP_OP_RELU, "r1", 1, &a, 1, &b);
    imp_graph_add_output(&g, b);
    CHECK_STATUS(imp_graph_sort(&g, &err), IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "nothing produces") != NULL);
    imp_graph_release(&g);
}

static void constants_fold_at_load_and_set_param_overrides(void)
{
    /* y = Relu(x) where the graph also computes unused Sigmoid(const). */
    struct imp_graph g;
    imp_graph_init(&g);
    struct imp_shape s = shape4(1, 1, 1, 4);
    float w[4] = {-1, 2, -3, 4};
    int c = imp_graph_add_const(&g, "c", IMP_DTYPE_F32, &s, w);
    int cr = imp_graph_add_value(&g, "cr", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    imp_graph_add_node(&g, IMP_OP_RELU, "fold_me", 1, &c, 1, &cr);
    imp_graph_add_output(&g, cr);
    struct imp_model *m;
    struct imp_error err;
    CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK);
    CHECK(imp_model_node_count(m) == 0); /* folded into a constant */
    struct imp_predictor *p;
    CHECK_STATUS(imp_predictor_init(m, NULL, &p, &err), IMP_OK);
    CHECK_STATUS(imp_predictor_run(p), IMP_OK);
    const float *y;
    CHECK_STATUS(imp_predictor_output(p, 0, NULL, (const void **)&y), IMP_OK);
    CHECK(y[0] == 0 && y[1] == 2 && y[2] == 0 && y[3] == 4);
    float nw[4] = {5, 6, 7, 8};
    CHECK_STATUS(imp_predictor_set_param(p, "cr", nw, 4), IMP_OK);
    CHECK_STATUS(imp_predictor_set_param(p, "cr", nw, 3), IMP_ERR_SHAPE);
    CHECK_STATUS(imp_predictor_set_param(p, "nope", nw, 4), IMP_ERR_ARGUMENT);
    CHECK_STATUS(imp_predictor_run(p), IMP_OK);
    CHECK_STATUS(imp_predictor_output(p, 0, NULL, (const void **)&y), IMP_OK);
    CHECK(y[0] == 5 && y[3] == 8);
    imp_predictor_free(p);
    imp_model_free(m);
}

static void open_dims_defer_shape_errors_to_the_real_shape(void)
{
    /* Reflect padding by 2 cannot apply to the stand-in 1x1 image, but the
     * model is fine for any real image of 3x3 or more. */
    struct imp_graph g;
    imp_graph_init(&g);
    struct imp_shape s = shape4(1, 1, -1, -1);
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &s);
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int node = imp_graph_add_node(&g, IMP_OP_PAD, "pad", 1, &x, 1, &y);
    int64_t pads[8] = {0, 0, 2, 2, 0, 0, 2, 2};
    imp_node_set_ints(&g, node, "pads", pads, 8);
    imp_node_set_string(&g, node, "mode", "reflect");
    imp_graph_add_input(&g, x);
    imp_graph_add_output(&g, y);
    struct imp_model *m;
    struct imp_error err;
    if (!CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK))
        return;
    struct imp_predictor *p;
    if (!CHECK_STATUS(imp_predictor_init(m, NULL, &p, &err), IMP_OK)) {
        imp_model_free(m);
        return;
    }
    CHECK(imp_predictor_run(p) != IMP_OK); /* still the 1x1 stand-in */
    CHECK(strstr(imp_predictor_last_error(p), "pad") != NULL);
    int64_t dims[4] = {1, 1, 4, 5};
    CHECK_STATUS(imp_predictor_resize_input(p, 0, 4, dims), IMP_OK);
    CHECK_STATUS(imp_predictor_run(p), IMP_OK);
    struct imp_tensor_info info;
    CHECK_STATUS(imp_predictor_output(p, 0, &info, NULL), IMP_OK);
    CHECK(info.dims[2] == 8 && info.dims[3] == 9);
    imp_predictor_free(p);
    imp_model_free(m);
}

int main(void)
{
    RUN(predictor_runs_sorted_graph_with_open_batch);
    RUN(resize_rejects_fixed_dims);
    RUN(shape_count_of_zero_dims_and_overflow);
    RUN(planner_never_overlaps_live_buffers);
    RUN(sort_rejects_cycles_and_missing_producers);
    RUN(constants_fold_at_load_and_set_param_overrides);
    RUN(open_dims_defer_shape_errors_to_the_real_shape);
    return imp_test_finish();
}
