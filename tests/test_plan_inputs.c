/*
 * Plan-time inputs (src/runtime/plan_inputs.c): graph inputs whose contents
 * decide shapes are read while planning, and a new value re-plans, so
 * every run gives the answer for the values set before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "runtime/plan_inputs.h"
#include "harness.h"

static int add_input(struct imp_graph *g, const char *name, enum imp_dtype t, int rank,
                     const int64_t *dims)
{
    struct imp_shape s = imp_shape_make(rank, dims);
    int v = imp_graph_add_value(g, name, IMP_VALUE_INPUT, t, &s);
    imp_graph_add_input(g, v);
    return v;
}

static int add_out(struct imp_graph *g, const char *name)
{
    return imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
}

static struct imp_predictor *predictor_for(struct imp_graph *g, struct imp_model **m)
{
    struct imp_error err;
    struct imp_predictor *p = NULL;
    *m = NULL;
    if (!CHECK(imp_model_from_graph(g, m, &err) == IMP_OK) ||
        !CHECK(imp_predictor_init(*m, NULL, &p, &err) == IMP_OK)) {
        printf("  %s\n", err.message);
        imp_model_free(*m);
        *m = NULL;
        return NULL;
    }
    return p;
}

/* data [2,3,4] -> Reshape(shape: a float input through Cast) -> y; the
 * Cast shows that an input reaching a shape operand through other nodes
 * counts too. */
static void reshape_follows_each_new_shape(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t dd[3] = {2, 3, 4}, sd[1] = {2};
    int data = add_input(&g, "data", IMP_DTYPE_F32, 3, dd);
    int shape_f = add_input(&g, "shape", IMP_DTYPE_F32, 1, sd);
    int shape_i = add_out(&g, "shape_i");
    int cast = imp_graph_add_node(&g, IMP_OP_CAST, "cast", 1, &shape_f, 1, &shape_i);
    imp_node_set_int(&g, cast, "to", 7); /* INT64 */
    int y = add_out(&g, "y");
    imp_graph_add_node(&g, IMP_OP_RESHAPE, "reshape", 2, (int[]){data, shape_i}, 1, &y);
    imp_graph_add_output(&g, y);
    bool flags[2] = {true, false};
    CHECK(imp_find_plan_inputs(&g, flags) == 1 && !flags[0] && flags[1]);
    struct imp_model *m;
    struct imp_predictor *p = predictor_for(&g, &m);
    if (!p)
        return;
    float x[24];
    for (int i = 0; i < 24; i++)
        x[i] = (float)i * 0.5f;
    CHECK(imp_predictor_set_input(p, 0, x, sizeof x) == IMP_OK);
    const float shapes[4][2] = {{4, 6}, {3, -1}, {4, 6}, {24, 1}};
    const int64_t want[4][2] = {{4, 6}, {3, 8}, {4, 6}, {24, 1}};
    for (int k = 0; k < 4; k++) {
        CHECK(imp_predictor_set_input(p, 1, shapes[k], sizeof shapes[k]) == IMP_OK);
        struct imp_tensor_info info;
        const void *out = NULL;
        if (!CHECK(imp_predictor_run(p) == IMP_OK) ||
            !CHECK(imp_predictor_output(p, 0, &info, &out) == IMP_OK)) {
            printf("  run %d: %s\n", k, imp_predictor_last_error(p));
            continue;
        }
        CHECK(info.rank == 2 && info.dims[0] == want[k][0] && info.dims[1] == want[k][1]);
        CHECK(memcmp(out, x, sizeof x) == 0);
    }
    /* A shape that does not fit fails the run with a message, and the next
     * good one recovers. */
    const float bad[2] = {5, 5};
    CHECK(imp_predictor_set_input(p, 1, bad, sizeof bad) == IMP_OK);
    CHECK(imp_predictor_run(p) == IMP_ERR_SHAPE);
    CHECK(strstr(imp_predictor_last_error(p), "reshape") != NULL);
    CHECK(imp_predictor_set_input(p, 1, shapes[0], sizeof shapes[0]) == IMP_OK);
    CHECK(imp_predictor_run(p) == IMP_OK);
    imp_predictor_free(p);
    imp_model_free(m);
}

/* x [1,1,2,2] -> Resize(nearest, scales input): x2 then x3 then x2. */
static void resize_follows_each_new_scale(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {1, 1, 2, 2}, sd[1] = {4};
    int x = add_input(&g, "x", IMP_DTYPE_F32, 4, xd);
    int scales = add_input(&g, "scales", IMP_DTYPE_F32, 1, sd);
    int y = add_out(&g, "y");
    int node = imp_graph_add_node(&g, IMP_OP_RESIZE, "resize", 3,
                                  (int[]){x, -1, scales}, 1, &y);
    imp_node_set_string(&g, node, "mode", "nearest");
    imp_node_set_string(&g, node, "coordinate_transformation_mode", "asymmetric");
    imp_node_set_string(&g, node, "nearest_mode", "floor");
    imp_graph_add_output(&g, y);
    struct imp_model *m;
    struct imp_predictor *p = predictor_for(&g, &m);
    if (!p)
        return;
    const float xv[4] = {1, 2, 3, 4};
    CHECK(imp_predictor_set_input(p, 0, xv, sizeof xv) == IMP_OK);
    const int factors[3] = {2, 3, 2};
    for (int k = 0; k < 3; k++) {
        int f = factors[k];
        float s[4] = {1, 1, (float)f, (float)f};
        CHECK(imp_predictor_set_input(p, 1, s, sizeof s) == IMP_OK);
        struct imp_tensor_info info;
        const float *out = NULL;
        if (!CHECK(imp_predictor_run(p) == IMP_OK) ||
            !CHECK(imp_predictor_output(p, 0, &info, (const void **)&out) == IMP_OK))
            continue;
        int n = 2 * f;
        if (!CHECK(info.rank == 4 && info.dims[2] == n && info.dims[3] == n))
            continue;
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
                CHECK(out[r * n + c] == xv[(r / f) * 2 + c / f]);
    }
    imp_predictor_free(p);
    imp_model_free(m);
}

/* ConstantOfShape of an input: everything folds at plan time, and the
 * folded output follows the input; a new value ends the outputs' borrow
 * until the next run. */
static void folded_outputs_follow_their_input(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t sd[1] = {2};
    int shape = add_input(&g, "shape", IMP_DTYPE_I64, 1, sd);
    int y = add_out(&g, "y");
    imp_graph_add_node(&g, IMP_OP_CONSTANT_OF_SHAPE, "fill", 1, &shape, 1, &y);
    imp_graph_add_output(&g, y);
    struct imp_model *m;
    struct imp_predictor *p = predictor_for(&g, &m);
    if (!p)
        return;
    const int64_t dims[2][2] = {{2, 5}, {7, 1}};
    for (int k = 0; k < 2; k++) {
        CHECK(imp_predictor_set_input(p, 0, dims[k], sizeof dims[k]) == IMP_OK);
        CHECK(imp_predictor_output(p, 0, NULL, NULL) == IMP_ERR_ARGUMENT);
        struct imp_tensor_info info;
        const float *out = NULL;
        if (CHECK(imp_predictor_run(p) == IMP_OK) &&
            CHECK(imp_predictor_output(p, 0, &info, (const void **)&out) == IMP_OK) &&
            CHECK(info.rank == 2 && info.dims[0] == dims[k][0] &&
                  info.dims[1] == dims[k][1])) {
            for (int i = 0; i < dims[k][0] * dims[k][1]; i++)
                CHECK(out[i] == 0.0f);
        }
    }
    imp_predictor_free(p);
    imp_model_free(m);
}

/* Shape reads only its input's shape: the picture behind it is no
 * plan-time input, so new pixels never re-plan. */
static void shape_of_an_input_is_not_a_plan_time_input(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[2] = {3, 4};
    int x = add_input(&g, "x", IMP_DTYPE_F32, 2, xd);
    int s = add_out(&g, "s"), y = add_out(&g, "y");
    imp_graph_add_node(&g, IMP_OP_SHAPE, "shape", 1, &x, 1, &s);
    imp_graph_add_node(&g, IMP_OP_RESHAPE, "reshape", 2, (int[]){x, s}, 1, &y);
    imp_graph_add_output(&g, y);
    bool flag = true;
    CHECK(imp_find_plan_inputs(&g, &flag) == 0 && !flag);
    imp_graph_release(&g);
}

int main(void)
{
    RUN(reshape_follows_each_new_shape);
    RUN(resize_follows_each_new_scale);
    RUN(folded_outputs_follow_their_input);
    RUN(shape_of_an_input_is_not_a_plan_time_input);
    return imp_test_finish();
}
