/*
 * Fusion of activations into the convolution before them.
 *
 * In the mobile networks nearly every Conv feeds an activation: ReLU6
 * (Clip 0..6), Relu, HardSwish (exported by PyTorch before opset 14 as
 * x * HardSigmoid(x)), SiLU (x * Sigmoid(x)), the Sigmoid or HardSigmoid
 * gate of a squeeze-and-excitation block. Run as its own node, each reads
 * and writes the whole tensor once more; applied by the conv engine to the
 * block of outputs it has just stored, it costs only the arithmetic. So
 *
 *   y = Conv(x, W, B); z = Act(y)            (y read by Act alone), and
 *   y = Conv(x, W, B); s = Gate(y); z = Mul(y, s)   (y read by both, s by
 *                                                     the Mul alone)
 *
 * become one Conv writing z, with the attributes activation (Relu, Clip,
 * LeakyRelu, HardSigmoid, HardSwish, Sigmoid, or HardSilu / Silu for the
 * pairs) and activation_alpha / activation_beta (Clip's bounds,
 * HardSigmoid's and LeakyRelu's alpha and beta); see ops/activation.h.
 * Only private tensors go (no other reader, not a graph output), Clip's
 * bounds must be constants, and a Conv that already carries an activation
 * takes no more, so the pass is idempotent and a saved .imp holds the
 * fused node.
 */
#include <math.h>
#include <string.h>

#include "kernels/activation.h"
#include "ops/activation.h"
#include "passes/passes.h"
#include "passes/value_uses.h"

/* A constant float scalar, or `dflt` for an omitted input; false when
 * the input is present but not such a constant. */
static bool const_scalar(const struct imp_graph *g, const struct imp_node *n, int i,
                         float dflt, float *out)
{
    if (n->n_inputs <= i || n->inputs[i] < 0) {
        *out = dflt;
        return true;
    }
    return imp_value_const_f32_scalar(g, n->inputs[i], out) && !isnan(*out);
}

/* The activation node `n` computes on its one input, or NONE. */
static struct imp_activation activation_of(const struct imp_graph *g,
                                           const struct imp_node *n)
{
    struct imp_activation a = {.kind = IMP_ACT_NONE};
    if (n->n_outputs != 1 || n->n_inputs < 1)
        return a;
    switch (n->op) {
    case IMP_OP_RELU:
        a.kind = IMP_ACT_RELU;
        break;
    case IMP_OP_SIGMOID:
        a.kind = IMP_ACT_SIGMOID;
        break;
    case IMP_OP_HARD_SWISH:
        a.kind = IMP_ACT_HARD_SWISH;
        break;
    case IMP_OP_LEAKY_RELU:
        a.kind = IMP_ACT_LEAKY_RELU;
        a.alpha = imp_node_float(n, "alpha", 0.01f);
        break;
    case IMP_OP_HARD_SIGMOID:
        a.kind = IMP_ACT_HARD_SIGMOID;
        a.alpha = imp_node_float(n, "alpha", 0.2f);
        a.beta = imp_node_float(n, "beta", 0.5f);
        break;
    case IMP_OP_CLIP:
        if (n->n_inputs > 3 ||
            !const_scalar(g, n, 1, imp_node_float(n, "min", -INFINITY), &a.alpha) ||
            !const_scalar(g, n, 2, imp_node_float(n, "max", INFINITY), &a.beta))
            return a;
        a.kind = IMP_ACT_CLIP;
        break;
    default:
        return a;
    }
    if (n->n_inputs != 1 && n->op != IMP_OP_CLIP)
        a.kind = IMP_ACT_NONE;
    if (a.kind != IMP_ACT_CLIP && (!isfinite(a.alpha) || !isfinite(a.beta)))
        a.kind = IMP_ACT_NONE;
    return a;
}

static enum imp_status set_activation(struct imp_graph *g, int ni,
                                      const struct imp_activation *a)
{
    enum imp_status st = imp_node_set_string(g, ni, "activation", imp_act_name(a->kind));
    bool params = a->kind == IMP_ACT_CLIP || a->kind == IMP_ACT_LEAKY_RELU ||
                  a->kind == IMP_ACT_HARD_SIGMOID || a->kind == IMP_ACT_HARD_SILU;
    if (st == IMP_OK && params)
        st = imp_node_set_float(g, ni, "activation_alpha", a->alpha);
    if (st == IMP_OK && params)
        st = imp_node_set_float(g, ni, "activation_beta", a->beta);
    return st;
}

/* The two readers of y when they are a gate (Sigmoid or HardSigmoid of y,
 * read only by the Mul) and a Mul of y by the gate's output. */
static bool gated_pair(const struct imp_graph *g, const struct imp_node_rewrite *rw, int ni,
                       int y, int *gate, int *mul)
{
    int readers[2], n = 0;
    for (int i = ni + 1; i < rw->n_nodes; i++) {
        const struct imp_node *r = &g->nodes[i];
        for (int k = 0; k < r->n_inputs; k++) {
            if (r->inputs[k] != y)
                continue;
            if (n == 2 || rw->drop[i])
                return false;
            readers[n++] = i;
            break;
        }
    }
    if (n != 2)
        return false;
    for (int order = 0; order < 2; order++) {
        const struct imp_node *h = &g->nodes[readers[order]];
        const struct imp_node *m = &g->nodes[readers[1 - order]];
        if ((h->op != IMP_OP_SIGMOID && h->op != IMP_OP_HARD_SIGMOID) || h->n_inputs != 1 ||
            h->n_outputs != 1 || m->op != IMP_OP_MUL || m->n_inputs != 2 ||
            m->n_outputs != 1)
            continue;
        int s = h->outputs[0];
        if (s >= g->n_values || !imp_value_private(&rw->uses, s))
            continue;
        if ((m->inputs[0] == y && m->inputs[1] == s) || (m->inputs[0] == s && m->inputs[1] == y)) {
            *gate = readers[order];
            *mul = readers[1 - order];
            return true;
        }
    }
    return false;
}

enum imp_status imp_pass_fuse_activation(struct imp_graph *g, struct imp_error *err)
{
    struct imp_node_rewrite rw;
    enum imp_status st = imp_node_rewrite_begin(g, &rw, err);
    if (st != IMP_OK)
        return st;
    const struct imp_value_uses *u = &rw.uses;
    for (int ni = 0; ni < rw.n_nodes && st == IMP_OK; ni++) {
        const struct imp_node *n = &g->nodes[ni];
        if (n->op != IMP_OP_CONV || n->n_outputs != 1 || rw.drop[ni] ||
            imp_node_attr(n, "activation"))
            continue;
        int y = n->outputs[0];
        if (y < 0 || y >= g->n_values || u->is_output[y])
            continue;
        if (u->count[y] == 1) {
            int ri = u->reader[y];
            if (ri < 0 || rw.drop[ri])
                continue;
            const struct imp_node *r = &g->nodes[ri];
            struct imp_activation a = activation_of(g, r);
            if (a.kind == IMP_ACT_NONE || r->inputs[0] != y)
                continue;
            st = set_activation(g, ni, &a);
            if (st != IMP_OK)
                break;
            g->nodes[ni].outputs[0] = g->nodes[ri].outputs[0];
            imp_node_rewrite_replace(&rw, ri);
            continue;
        }
        int gi, mi;
        if (u->count[y] != 2 || !gated_pair(g, &rw, ni, y, &gi, &mi))
            continue;
        struct imp_activation a = activation_of(g, &g->nodes[gi]);
        if (a.kind == IMP_ACT_NONE)
            continue;
        a.kind = a.kind == IMP_ACT_SIGMOID ? IMP_ACT_SILU : IMP_ACT_HARD_SILU;
        st = set_activation(g, ni, &a);
        if (st != IMP_OK)
            break;
        g->nodes[ni].outputs[0] = g->nodes[mi].outputs[0];
        imp_node_rewrite_replace(&rw, gi);
        imp_node_rewrite_replace(&rw, mi);
    }
    if (imp_node_rewrite_end(g, &rw) > 0 && st == IMP_OK)
        st = imp_graph_compact(g);
    if (st != IMP_OK)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory fusing activations into Conv");
    return IMP_OK;
}
