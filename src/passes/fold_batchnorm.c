/*
 * BatchNormalization folded into the Conv before it.
 *
 * At inference a batch norm is a per-channel affine map, y = (x - mean) *
 * a + B with a = scale / sqrt(var + epsilon); after a convolution with
 * constant weights it is the same convolution with each output channel's
 * weights multiplied by a and its bias moved to (bias - mean) * a + B. The
 * new weights and bias are computed in double and become new constants
 * (the old ones go when nothing else reads them), and the BatchNormalization
 * node disappears: its output is now written by the Conv. Only when the
 * conv's output has no other reader and is not a graph output, every
 * operand is a float32 constant of the right shape, and the node is plain
 * inference (one output). Runs before activation fusion, so the Conv it
 * leaves can still take the activation after the norm.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "passes/passes.h"
#include "passes/value_uses.h"

/* Value v as a float32 constant of exactly n values, or NULL. */
static const float *const_floats(const struct imp_graph *g, int v, int64_t n)
{
    if (v < 0 || v >= g->n_values)
        return NULL;
    const struct imp_value *val = &g->values[v];
    if (val->kind != IMP_VALUE_CONST || !val->data || val->dtype != IMP_DTYPE_F32 ||
        imp_shape_count(&val->shape) != n || val->nbytes < sizeof(float) * (size_t)n)
        return NULL;
    return val->data;
}

/* Folds BatchNormalization node bi into Conv node ci, *folded saying
 * whether it qualified (else nothing changed). */
static enum imp_status fold_one(struct imp_graph *g, int ci, int bi, bool *folded)
{
    *folded = false;
    const struct imp_node *conv = &g->nodes[ci], *bn = &g->nodes[bi];
    if (conv->n_inputs < 2 || conv->n_inputs > 3 || bn->n_inputs != 5 ||
        bn->n_outputs != 1 || imp_node_int(bn, "training_mode", 0) != 0 ||
        imp_node_int(bn, "spatial", 1) != 1)
        return IMP_OK;
    int wv = conv->inputs[1];
    if (wv < 0 || wv >= g->n_values)
        return IMP_OK;
    const struct imp_value *w = &g->values[wv];
    if (w->shape.rank < 3 || w->shape.d[0] < 1)
        return IMP_OK;
    const int64_t m = w->shape.d[0], per = imp_shape_count(&w->shape) / m;
    const float *wd = const_floats(g, wv, m * per);
    const float *bias = conv->n_inputs == 3 && conv->inputs[2] >= 0
                            ? const_floats(g, conv->inputs[2], m) : NULL;
    if (!wd || (conv->n_inputs == 3 && conv->inputs[2] >= 0 && !bias))
        return IMP_OK;
    const float *scale = const_floats(g, bn->inputs[1], m);
    const float *shift = const_floats(g, bn->inputs[2], m);
    const float *mean = const_floats(g, bn->inputs[3], m);
    const float *var = const_floats(g, bn->inputs[4], m);
    const double eps = imp_node_float(bn, "epsilon", 1e-5f);
    if (!scale || !shift || !mean || !var || !(eps >= 0))
        return IMP_OK;
    for (int64_t i = 0; i < m; i++)
        if (!(var[i] + eps > 0))
            return IMP_OK;

    float *nw = imp_aligned_alloc(sizeof(float) * (size_t)(m * per));
    float *nb = imp_aligned_alloc(sizeof(float) * (size_t)m);
    if (!nw || !nb) {
        imp_aligned_free(nw);
        imp_aligned_free(nb);
        return IMP_ERR_NOMEM;
    }
    for (int64_t i = 0; i < m; i++) {
        const double a = scale[i] / sqrt((double)var[i] + eps);
        for (int64_t k = 0; k < per; k++)
            nw[i * per + k] = (float)(wd[i * per + k] * a);
        nb[i] = (float)(((bias ? bias[i] : 0.0) - mean[i]) * a + shift[i]);
    }
    char name[512];
    snprintf(name, sizeof name, "%s/bn_folded_weights", conv->name ? conv->name : "conv");
    struct imp_shape ws = w->shape, bs = {.rank = 1, .d = {m}};
    int new_w = imp_graph_add_const_owned(g, name, IMP_DTYPE_F32, &ws, nw);
    if (new_w < 0) { /* nw went with the failure */
        imp_aligned_free(nb);
        return IMP_ERR_NOMEM;
    }
    snprintf(name, sizeof name, "%s/bn_folded_bias", g->nodes[ci].name ? g->nodes[ci].name : "conv");
    int new_b = imp_graph_add_const_owned(g, name, IMP_DTYPE_F32, &bs, nb);
    if (new_b < 0) {
        imp_aligned_free(nb);
        return IMP_ERR_NOMEM;
    }
    struct imp_node *c = &g->nodes[ci];
    if (c->n_inputs < 3) {
        int *in = realloc(c->inputs, sizeof(int) * 3);
        if (!in)
            return IMP_ERR_NOMEM;
        c->inputs = in;
        c->n_inputs = 3;
    }
    c->inputs[1] = new_w;
    c->inputs[2] = new_b;
    c->outputs[0] = g->nodes[bi].outputs[0];
    *folded = true;
    return IMP_OK;
}

enum imp_status imp_pass_fold_batchnorm(struct imp_graph *g, struct imp_error *err)
{
    struct imp_node_rewrite rw;
    enum imp_status st = imp_node_rewrite_begin(g, &rw, err);
    if (st != IMP_OK)
        return st;
    const struct imp_value_uses *u = &rw.uses;
    for (int ci = 0; ci < rw.n_nodes && st == IMP_OK; ci++) {
        const struct imp_node *n = &g->nodes[ci];
        if (n->op != IMP_OP_CONV || n->n_outputs != 1 || rw.drop[ci] ||
            imp_node_attr(n, "activation"))
            continue;
        int y = n->outputs[0];
        if (y < 0 || y >= g->n_values || !imp_value_private(u, y))
            continue;
        int bi = u->reader[y];
        if (bi < 0 || rw.drop[bi] || g->nodes[bi].op != IMP_OP_BATCH_NORM ||
            g->nodes[bi].n_inputs < 1 || g->nodes[bi].inputs[0] != y)
            continue;
        bool folded;
        st = fold_one(g, ci, bi, &folded);
        if (folded)
            imp_node_rewrite_replace(&rw, bi);
    }
    if (imp_node_rewrite_end(g, &rw) > 0 && st == IMP_OK)
        st = imp_graph_compact(g);
    if (st != IMP_OK)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory folding BatchNormalization into Conv");
    return IMP_OK;
}
