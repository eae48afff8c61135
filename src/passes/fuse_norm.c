/*
 * Fusion into InstanceNormalization.
 *
 * In the style networks every instance norm but the residual ones feeds a
 * Relu, and most Relus feed the reflection Pad of the next convolution.
 * Applying the Relu while the normalised plane is still in registers, and
 * writing the plane straight into its padded place, each save a full read
 * and write of the tensor, so
 *
 *   y = InstanceNormalization(x, s, b); z = Relu(y); p = Pad(z)
 *
 * becomes one InstanceNormalization writing p, with the attributes
 * activation="Relu" and pads/pad_mode/pad_value (see ops/norm.c). Each
 * step only happens when the tensor it removes has no other reader and is
 * not a graph output, so no observable value changes. The Pad must be on
 * the two spatial axes of an NCHW tensor, non-negative, with constant pads.
 * A node that already carries an activation or pads takes no more, which
 * makes the pass idempotent (a saved .imp holds the fused node and loads
 * to the same graph).
 */
#include <string.h>

#include "passes/passes.h"
#include "passes/value_uses.h"

static enum imp_status fuse_pad(struct imp_graph *g, int ni, const int64_t *pads4,
                                const char *mode, float value)
{
    enum imp_status st = imp_node_set_ints(g, ni, "pads", pads4, 4);
    if (st == IMP_OK)
        st = imp_node_set_string(g, ni, "pad_mode", mode);
    if (st == IMP_OK && strcmp(mode, "constant") == 0)
        st = imp_node_set_float(g, ni, "pad_value", value);
    return st;
}

enum imp_status imp_pass_fuse_norm(struct imp_graph *g, struct imp_error *err)
{
    struct imp_node_rewrite rw;
    enum imp_status st = imp_node_rewrite_begin(g, &rw, err);
    if (st != IMP_OK)
        return st;
    const struct imp_value_uses *u = &rw.uses;
    for (int ni = 0; ni < g->n_nodes && st == IMP_OK; ni++) {
        const struct imp_node *n = &g->nodes[ni];
        if (n->op != IMP_OP_INSTANCE_NORM || n->n_outputs != 1 ||
            imp_node_attr(n, "activation") || imp_node_attr(n, "pads"))
            continue;
        int y = n->outputs[0];
        if (y >= g->n_values || !imp_value_private(u, y))
            continue;
        int ri = u->reader[y];
        const struct imp_node *r = &g->nodes[ri];
        if (r->op != IMP_OP_RELU || r->n_inputs != 1 || r->n_outputs != 1 || rw.drop[ri])
            continue;
        int z = r->outputs[0];
        st = imp_node_set_string(g, ni, "activation", "Relu");
        if (st != IMP_OK)
            break;
        g->nodes[ni].outputs[0] = z;
        imp_node_rewrite_replace(&rw, ri);
    }
    /* Then the Pad after the (possibly just fused) node. Reader counts
     * still hold: a fused node's new output is the Relu's, read as before. */
    for (int ni = 0; ni < g->n_nodes && st == IMP_OK; ni++) {
        const struct imp_node *n = &g->nodes[ni];
        if (n->op != IMP_OP_INSTANCE_NORM || n->n_outputs != 1 || rw.drop[ni] ||
            imp_node_attr(n, "pads"))
            continue;
        int y = n->outputs[0];
        if (y >= g->n_values || !imp_value_private(u, y))
            continue;
        int pi = u->reader[y];
        const struct imp_node *pn = &g->nodes[pi];
        int64_t pads4[4];
        const char *mode;
        float value;
        if (pn->op != IMP_OP_PAD || rw.drop[pi] || pn->n_inputs < 1 || pn->inputs[0] != y ||
            !imp_spatial_pad(g, pn, pads4, &mode, &value))
            continue;
        st = fuse_pad(g, ni, pads4, mode, value);
        if (st != IMP_OK)
            break;
        g->nodes[ni].outputs[0] = pn->outputs[0];
        imp_node_rewrite_replace(&rw, pi);
    }
    if (imp_node_rewrite_end(g, &rw) > 0 && st == IMP_OK)
        st = imp_graph_compact(g);
    if (st != IMP_OK)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory fusing into InstanceNormalization");
    return IMP_OK;
}
