/* Load-time passes seen from outside: the graph shrinks, the numbers do
 * not change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/graph.h"
#include "runtime/model.h"
#include "harness.h"

static int count_op(const struct imp_model *m, const char *op)
{
    int n = 0;
    for (int i = 0; i < imp_model_node_count(m); i++)
        n += strcmp(imp_model_node_op(m, i), op) == 0;
    return n;
}

static int add_transpose(struct imp_graph *g, int x, const int64_t *perm, const char *name)
{
    int y = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int node = imp_graph_add_node(g, IMP_OP_TRANSPOSE, name, 1, &x, 1, &y);
    imp_node_set_ints(g, node, "perm", perm, 4);
    return y;
}

static int add_node(struct imp_graph *g, enum imp_op op, int n_in, const int *in,
                    const char *name)
{
    int y = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    imp_graph_add_node(g, op, name, n_in, in, 1, &y);
    return y;
}

/* NCHW x -> NHWC -> Relu -> (+ per-channel constant in NHWC) -> NCHW, the
 * pattern a channels-last reader leaves, plus a reader of the NHWC value
 * that must keep seeing NHWC. */
static struct imp_model *nhwc_sandwich(bool side_reader)
{
    static const int64_t to_nhwc[4] = {0, 2, 3, 1}, to_nchw[4] = {0, 3, 1, 2};
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {1, 3, 4, 5};
    struct imp_shape xs = imp_shape_make(4, xd), cs = {.rank = 1, .d = {3}};
    float bias[3] = {1.0f, -2.0f, 0.5f};
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    int c = imp_graph_add_const(&g, "bias", IMP_DTYPE_F32, &cs, bias);
    int t = add_transpose(&g, x, to_nhwc, "t");
    int r = add_node(&g, IMP_OP_RELU, 1, &t, "relu");
    int in[2] = {r, c};
    int a = add_node(&g, IMP_OP_ADD, 2, in, "add");
    int y = add_transpose(&g, a, to_nchw, "y");
    imp_graph_add_input(&g, x);
    imp_graph_add_output(&g, y);
    if (side_reader)
        imp_graph_add_output(&g, add_node(&g, IMP_OP_SIGMOID, 1, &t, "side"));
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  load: %s\n", err.message);
    return m;
}

static void run_model(struct imp_model *m, const float *x, float *y, size_t n)
{
    struct imp_predictor *p;
    if (!CHECK_STATUS(imp_predictor_init(m, NULL, &p, NULL), IMP_OK))
        return;
    imp_predictor_set_input(p, 0, x, sizeof(float) * 60);
    CHECK_STATUS(imp_predictor_run(p), IMP_OK);
    const float *out;
    imp_predictor_output(p, 0, NULL, (const void **)&out);
    memcpy(y, out, sizeof(float) * n);
    imp_predictor_free(p);
}

static void transposes_around_elementwise_ops_cancel(void)
{
    struct imp_model *m = nhwc_sandwich(false);
    if (!CHECK(m != NULL))
        return;
    CHECK(count_op(m, "Transpose") == 0);
    CHECK(count_op(m, "Relu") == 1 && count_op(m, "Add") == 1);
    float x[60], y[60];
    for (int i = 0; i < 60; i++)
        x[i] = (float)(i % 7) - 3.0f;
    run_model(m, x, y, 60);
    /* y[c][h][w] = relu(x[c][h][w]) + bias[c], computed independently */
    static const float bias[3] = {1.0f, -2.0f, 0.5f};
    for (int i = 0; i < 60; i++) {
        float want = (x[i] > 0 ? x[i] : 0) + bias[i / 20];
        if (!CHECK_NEAR(y[i], want, 1e-6))
            break;
    }
    imp_model_free(m);
}

static void a_transpose_with_other_readers_stays_for_them(void)
{
    struct imp_model *m = nhwc_sandwich(true);
    if (!CHECK(m != NULL))
        return;
    /* The side reader still needs the NHWC value. */
    CHECK(count_op(m, "Transpose") >= 1);
    struct imp_predictor *p;
    if (!CHECK_STATUS(imp_predictor_init(m, NULL, &p, NULL), IMP_OK)) {
        imp_model_free(m);
        return;
    }
    CHECK_STATUS(imp_predictor_run(p), IMP_OK);
    struct imp_tensor_info info;
    CHECK_STATUS(imp_predictor_output(p, 1, &info, NULL), IMP_OK);
    CHECK(info.rank == 4 && info.dims[1] == 4 && info.dims[2] == 5 && info.dims[3] == 3);
    imp_predictor_free(p);
    imp_model_free(m);
}

/* x -> Cast(to FLOAT16) -> y: the fp16 pass keeps the rounding (a Cast to
 * fp16 and one back), and a model saved as .imp and loaded again keeps
 * exactly that pair rather than gaining another. */
static void cast_to_half_rounds_and_survives_a_reload(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t d[1] = {4};
    struct imp_shape s = imp_shape_make(1, d);
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &s);
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F16, &s);
    int cast = imp_graph_add_node(&g, IMP_OP_CAST, "cast", 1, &x, 1, &y);
    imp_node_set_int(&g, cast, "to", 10); /* FLOAT16 */
    imp_graph_add_input(&g, x);
    imp_graph_add_output(&g, y);
    struct imp_model *m = NULL, *again = NULL;
    struct imp_error err;
    if (!CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK))
        return;
    CHECK(imp_model_node_count(m) == 2);
    char path[256];
    snprintf(path, sizeof path, "%s/test_passes_cast.imp", IMP_BINARY_DIR);
    if (CHECK(imp_model_save_imp(m, path, &err) == IMP_OK) &&
        CHECK(imp_model_load_file(path, &again, &err) == IMP_OK))
        CHECK(imp_model_node_count(again) == 2);
    const float in[4] = {0.1f, 1.0f / 3.0f, 70000.0f, -2.5e-8f};
    struct imp_model *models[2] = {m, again};
    for (int k = 0; k < 2; k++) {
        if (!models[k])
            continue;
        size_t count = 0;
        enum imp_status st;
        float *out = imp_test_run_once(models[k], NULL, in, sizeof in, &count, &st);
        if (!CHECK(out != NULL && count == 4)) {
            free(out);
            continue;
        }
        for (int i = 0; i < 4; i++)
            CHECK(out[i] == imp_half_to_float(imp_float_to_half(in[i])));
        CHECK(out[0] != in[0] && out[2] > 1e30f); /* rounded; beyond fp16 is inf */
        free(out);
    }
    imp_model_free(again);
    imp_model_free(m);
    remove(path);
}

int main(void)
{
    RUN(transposes_around_elementwise_ops_cancel);
    RUN(a_transpose_with_other_readers_stays_for_them);
    RUN(cast_to_half_rounds_and_survives_a_reload);
    return imp_test_finish();
}
