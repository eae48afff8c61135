/*
 * Every engine of every operator that has more than "ref", with its
 * operands (weights, bias, scales, pads...) fed two ways: as constants and
 * as graph inputs the caller sets after the predictor is made. Each engine
 * is forced in turn; one that declines is fine, one that accepts must give
 * the reference engine's numbers. An engine that packed a graph input's
 * contents while planning (when they are still zeros) would return
 * garbage here, which is exactly the silent wrong answer this guards.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "ops/op.h"
#include "runtime/model.h"
#include "harness.h"

#define MAX_OPERANDS 4

struct operand {
    enum imp_dtype dtype;
    int rank;
    int64_t dims[4];
    const void *data; /* NULL: random floats */
};

struct node_case {
    const char *what;
    enum imp_op op;
    int n_in;
    struct operand in[MAX_OPERANDS]; /* in[0] is always a graph input */
    /* attributes */
    int64_t strides, pad, group, output_padding;
    const char *mode;
    const int64_t *perm; /* Transpose */
};

static const int64_t pads_hw[8] = {0, 0, 1, 2, 0, 0, 2, 1};
static const float scales_x2[4] = {1, 1, 2, 2};
static const int64_t axes_hw[2] = {2, 3};
static const float clip_lo = -0.25f, clip_hi = 0.5f;
static const int64_t to_nhwc[4] = {0, 2, 3, 1}, to_nchw[4] = {0, 3, 1, 2};

#define F(...) {IMP_DTYPE_F32, TV_RANK(__VA_ARGS__), {__VA_ARGS__}, NULL}
#define TV_RANK(...) ((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))

static const struct node_case cases[] = {
    {"conv 3x3", IMP_OP_CONV, 3, {F(1, 8, 12, 13), F(16, 8, 3, 3), F(16)}, 1, 1, 1, 0, NULL, NULL},
    {"conv 3x3 stride 2", IMP_OP_CONV, 3, {F(1, 4, 15, 14), F(8, 4, 3, 3), F(8)}, 2, 1, 1, 0,
     NULL, NULL},
    {"conv 1x1", IMP_OP_CONV, 2, {F(1, 16, 9, 9), F(8, 16, 1, 1)}, 1, 0, 1, 0, NULL, NULL},
    {"conv 9x9", IMP_OP_CONV, 3, {F(1, 3, 24, 80), F(8, 3, 9, 9), F(8)}, 1, 4, 1, 0, NULL, NULL},
    {"conv 5x5 wide", IMP_OP_CONV, 3, {F(1, 32, 12, 96), F(32, 32, 5, 5), F(32)}, 1, 2, 1, 0,
     NULL, NULL},
    {"conv depthwise", IMP_OP_CONV, 3, {F(1, 8, 10, 11), F(8, 1, 3, 3), F(8)}, 1, 1, 8, 0,
     NULL, NULL},
    {"conv depthwise small picture", IMP_OP_CONV, 3, {F(1, 20, 7, 6), F(20, 1, 3, 3), F(20)},
     1, 1, 20, 0, NULL, NULL},
    {"convtranspose x2", IMP_OP_CONV_TRANSPOSE, 3, {F(1, 8, 6, 7), F(8, 4, 3, 3), F(4)}, 2, 1,
     1, 1, NULL, NULL},
    {"convtranspose 1 row", IMP_OP_CONV_TRANSPOSE, 2, {F(1, 64, 2, 2), F(64, 32, 3, 3)}, 2, 1,
     1, 1, NULL, NULL},
    {"pad reflect", IMP_OP_PAD, 2,
     {F(1, 2, 5, 6), {IMP_DTYPE_I64, 1, {8}, pads_hw}}, 0, 0, 0, 0, "reflect", NULL},
    {"resize x2", IMP_OP_RESIZE, 3,
     {F(1, 2, 4, 5), {IMP_DTYPE_F32, 1, {0}, NULL}, {IMP_DTYPE_F32, 1, {4}, scales_x2}}, 0, 0,
     0, 0, "nearest", NULL},
    {"resize x2 linear", IMP_OP_RESIZE, 3,
     {F(1, 2, 4, 5), {IMP_DTYPE_F32, 1, {0}, NULL}, {IMP_DTYPE_F32, 1, {4}, scales_x2}}, 0, 0,
     0, 0, "linear", NULL},
    {"upsample x2", IMP_OP_UPSAMPLE, 2, {F(1, 2, 4, 5), {IMP_DTYPE_F32, 1, {4}, scales_x2}},
     0, 0, 0, 0, "nearest", NULL},
    {"add", IMP_OP_ADD, 2, {F(2, 3, 7), F(2, 3, 7)}, 0, 0, 0, 0, NULL, NULL},
    {"instance norm", IMP_OP_INSTANCE_NORM, 3, {F(1, 3, 6, 5), F(3), F(3)}, 0, 0, 0, 0, NULL, NULL},
    {"relu", IMP_OP_RELU, 1, {F(3, 50)}, 0, 0, 0, 0, NULL, NULL},
    {"tanh", IMP_OP_TANH, 1, {F(3, 50)}, 0, 0, 0, 0, NULL, NULL},
    {"sigmoid", IMP_OP_SIGMOID, 1, {F(3, 50)}, 0, 0, 0, 0, NULL, NULL},
    {"hard swish", IMP_OP_HARD_SWISH, 1, {F(3, 50)}, 0, 0, 0, 0, NULL, NULL},
    {"depth to space", IMP_OP_DEPTH_TO_SPACE, 1, {F(1, 8, 3, 4)}, 0, 0, 0, 0, NULL, NULL},
    {"reduce mean hw", IMP_OP_REDUCE_MEAN, 2,
     {F(1, 6, 5, 7), {IMP_DTYPE_I64, 1, {2}, axes_hw}}, 0, 0, 0, 0, NULL, NULL},
    {"global average pool", IMP_OP_GLOBAL_AVERAGE_POOL, 1, {F(2, 5, 7, 6)}, 0, 0, 0, 0, NULL,
     NULL},
    {"gemm", IMP_OP_GEMM, 3, {F(4, 16), F(16, 8), F(8)}, 0, 0, 0, 0, NULL, NULL},
    {"leaky relu", IMP_OP_LEAKY_RELU, 1, {F(3, 50)}, 0, 0, 0, 0, NULL, NULL},
    {"hard sigmoid", IMP_OP_HARD_SIGMOID, 1, {F(3, 50)}, 0, 0, 0, 0, NULL, NULL},
    {"clip", IMP_OP_CLIP, 3,
     {F(3, 50), {IMP_DTYPE_F32, 0, {0}, &clip_lo}, {IMP_DTYPE_F32, 0, {0}, &clip_hi}},
     0, 0, 0, 0, NULL, NULL},
    {"sub", IMP_OP_SUB, 2, {F(2, 3, 7), F(2, 3, 7)}, 0, 0, 0, 0, NULL, NULL},
    {"mul per channel", IMP_OP_MUL, 2, {F(1, 8, 5, 6), F(1, 8, 1, 1)}, 0, 0, 0, 0, NULL, NULL},
    {"div", IMP_OP_DIV, 2, {F(2, 3, 7), F(2, 3, 7)}, 0, 0, 0, 0, NULL, NULL},
    /* more pixels than one block of the layout engine, and a part block */
    {"transpose to nhwc", IMP_OP_TRANSPOSE, 1, {F(2, 3, 23, 29)}, 0, 0, 0, 0, NULL, to_nhwc},
    {"transpose to nchw", IMP_OP_TRANSPOSE, 1, {F(2, 23, 29, 5)}, 0, 0, 0, 0, NULL, to_nchw},
};

static size_t operand_count(const struct operand *o)
{
    size_t n = 1;
    for (int d = 0; d < o->rank; d++)
        n *= (size_t)o->dims[d];
    return n;
}

/* The operands' bytes, random floats where the case gives none. */
static void *operand_data(const struct operand *o, unsigned *seed)
{
    size_t bytes = operand_count(o) * imp_dtype_size(o->dtype);
    void *p = malloc(bytes + 1);
    if (!p)
        return NULL;
    if (o->data) {
        memcpy(p, o->data, bytes);
    } else {
        float *f = p;
        for (size_t i = 0; i < operand_count(o); i++)
            f[i] = imp_test_frand(seed);
    }
    return p;
}

/* Largest difference over the largest reference value: the fast engines
 * sum in other orders (Winograd transforms), so elementwise relative error
 * says nothing near zero, and a wrong answer is off by the whole scale. */
static double error_against(const float *got, const float *want, size_t n)
{
    double worst = 0, scale = 1e-6;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        worst = d > worst || isnan(d) ? d : worst;
        scale = fabs(want[i]) > scale ? fabs(want[i]) : scale;
    }
    return worst / scale;
}

static struct imp_model *build(const struct node_case *c, void *const *data, bool as_inputs)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int in[MAX_OPERANDS];
    for (int k = 0; k < c->n_in; k++) {
        char name[16];
        snprintf(name, sizeof name, "in%d", k);
        struct imp_shape s = imp_shape_make(c->in[k].rank, c->in[k].dims);
        if (k == 0 || as_inputs) {
            in[k] = imp_graph_add_value(&g, name, IMP_VALUE_INPUT, c->in[k].dtype, &s);
            imp_graph_add_input(&g, in[k]);
        } else {
            in[k] = imp_graph_add_const(&g, name, c->in[k].dtype, &s, data[k]);
        }
    }
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int node = imp_graph_add_node(&g, c->op, "node", c->n_in, in, 1, &y);
    imp_graph_add_output(&g, y);
    if (c->op == IMP_OP_CONV || c->op == IMP_OP_CONV_TRANSPOSE) {
        int64_t s2[2] = {c->strides, c->strides}, p4[4] = {c->pad, c->pad, c->pad, c->pad};
        imp_node_set_ints(&g, node, "strides", s2, 2);
        imp_node_set_ints(&g, node, "pads", p4, 4);
        imp_node_set_int(&g, node, "group", c->group);
        if (c->output_padding) {
            int64_t op2[2] = {c->output_padding, c->output_padding};
            imp_node_set_ints(&g, node, "output_padding", op2, 2);
        }
    }
    if (c->mode)
        imp_node_set_string(&g, node, "mode", c->mode);
    if (c->op == IMP_OP_DEPTH_TO_SPACE)
        imp_node_set_int(&g, node, "blocksize", 2);
    if (c->perm)
        imp_node_set_ints(&g, node, "perm", c->perm, 4);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  %s: model: %s\n", c->what, err.message);
    return m;
}

/* Runs with `engines` forced: the predictor is made first and the inputs
 * set after, as a caller does. NULL with *declined when the engine said
 * no; NULL alone on any other failure (reported). */
static float *run(struct imp_model *m, const struct node_case *c, void *const *data,
                  bool as_inputs, const char *engines, size_t *count, bool *declined)
{
    *declined = false;
    struct imp_predictor_options o = imp_predictor_options_default();
    o.engines = engines;
    o.threads = 2;
    struct imp_predictor *p = NULL;
    struct imp_error err;
    enum imp_status st = imp_predictor_init(m, &o, &p, &err);
    if (st == IMP_ERR_UNSUPPORTED) {
        *declined = true;
        return NULL;
    }
    if (!CHECK(st == IMP_OK)) {
        printf("  %s [%s]: init: %s\n", c->what, engines, err.message);
        return NULL;
    }
    int n_fed = as_inputs ? c->n_in : 1;
    for (int k = 0; k < n_fed && st == IMP_OK; k++)
        st = imp_predictor_set_input(p, k, data[k],
                                     operand_count(&c->in[k]) * imp_dtype_size(c->in[k].dtype));
    if (st == IMP_OK)
        st = imp_predictor_run(p);
    float *out = NULL;
    struct imp_tensor_info info;
    const void *y = NULL;
    if (st == IMP_OK)
        st = imp_predictor_output(p, 0, &info, &y);
    if (st == IMP_ERR_UNSUPPORTED) {
        *declined = true;
    } else if (!CHECK(st == IMP_OK)) {
        printf("  %s [%s]: %s\n", c->what, engines, imp_predictor_last_error(p));
    } else {
        size_t n = 1;
        for (int d = 0; d < info.rank; d++)
            n *= (size_t)info.dims[d];
        out = malloc(sizeof(float) * n + 1);
        if (out)
            memcpy(out, y, sizeof(float) * n);
        *count = n;
    }
    imp_predictor_free(p);
    return out;
}

static void every_engine_with_operands_both_ways(void)
{
    const char *names[64];
    int n_names = 0;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const struct node_case *c = &cases[ci];
        unsigned seed = 1234u + (unsigned)ci;
        void *data[MAX_OPERANDS] = {NULL};
        for (int k = 0; k < c->n_in; k++)
            data[k] = operand_data(&c->in[k], &seed);
        const char *opname = imp_op_name(c->op);
        char spec[96];
        snprintf(spec, sizeof spec, "%s=ref", opname);
        struct imp_model *ref_model = build(c, data, false);
        size_t ref_count = 0;
        bool declined;
        float *want = ref_model ? run(ref_model, c, data, false, spec, &ref_count, &declined)
                                : NULL;
        CHECK(want != NULL);
        const struct imp_engine *const *engines = imp_op_get(c->op)->engines;
        for (int as_inputs = 0; want && as_inputs < 2; as_inputs++) {
            struct imp_model *m = build(c, data, as_inputs);
            if (!CHECK(m != NULL))
                continue;
            for (int e = 0; engines[e]; e++) {
                snprintf(spec, sizeof spec, "%s=%s", opname, engines[e]->name);
                size_t count = 0;
                float *got = run(m, c, data, as_inputs, spec, &count, &declined);
                if (got && CHECK(count == ref_count)) {
                    double err = error_against(got, want, count);
                    if (!CHECK(err < 1e-4))
                        printf("  %s [%s] operands as %s: error %.3g against ref\n",
                               c->what, spec, as_inputs ? "graph inputs" : "constants",
                               err);
                }
                if (got && !as_inputs) {
                    int i = 0;
                    while (i < n_names && strcmp(names[i], spec) != 0)
                        i++;
                    if (i == n_names && n_names < 64)
                        names[n_names++] = strdup(spec);
                }
                printf("  %-22s %-28s %-9s %s\n", c->what, spec,
                       as_inputs ? "inputs" : "constants",
                       got ? "agrees" : declined ? "declined" : "FAILED");
                free(got);
            }
            imp_model_free(m);
        }
        free(want);
        imp_model_free(ref_model);
        for (int k = 0; k < c->n_in; k++)
            free(data[k]);
    }
    /* Every fast engine must have been exercised at least once, or the
     * cases above no longer reach it. */
    for (int op = 0; op < IMP_OP_COUNT; op++) {
        const struct imp_engine *const *engines = imp_op_get((enum imp_op)op)->engines;
        if (!engines || !engines[0] || !engines[1])
            continue;
        for (int e = 0; engines[e]; e++) {
            char spec[96];
            snprintf(spec, sizeof spec, "%s=%s", imp_op_name((enum imp_op)op),
                     engines[e]->name);
            bool seen = false;
            for (int i = 0; i < n_names; i++)
                seen = seen || strcmp(names[i], spec) == 0;
            if (!CHECK(seen))
                printf("  no case runs engine %s\n", spec);
        }
    }
    for (int i = 0; i < n_names; i++)
        free((void *)names[i]);
}

int main(void)
{
    RUN(every_engine_with_operands_both_ways);
    return imp_test_finish();
}
