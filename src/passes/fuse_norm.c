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
#include <math.h>
#include <string.h>

#include "passes/passes.h"
#include "passes/value_uses.h"

/* Value v as n integers, when it is a constant int64/int32 vector of n. */
static bool const_ints(const struct imp_graph *g, int v, int64_t *out, int n)
{
    if (v < 0 || v >= g->n_values)
        return false;
    const struct imp_value *val = &g->values[v];
    if (val->kind != IMP_VALUE_CONST || !val->data || imp_shape_count(&val->shape) != n)
        return false;
    for (int i = 0; i < n; i++) {
        if (val->dtype == IMP_DTYPE_I64 && val->nbytes >= sizeof(int64_t) * (size_t)n)
            out[i] = ((const int64_t *)val->data)[i];
        else if (val->dtype == IMP_DTYPE_I32 && val->nbytes >= sizeof(int32_t) * (size_t)n)
            out[i] = ((const int32_t *)val->data)[i];
        else
            return false;
    }
    return true;
}

/* The spatial pads [top, left, bottom, right], mode and value of Pad node
 * `n` when it is a fusable spatial pad of an NCHW tensor. */
static bool spatial_pad(const struct imp_graph *g, const struct imp_node *n,
                        int64_t *pads4, const char **mode, float *value)
{
    int64_t p[8];
    if (n->n_inputs < 1 || n->n_outputs != 1 || (n->n_inputs > 3 && n->inputs[3] >= 0))
        return false;
    if (n->n_inputs > 1 && n->inputs[1] >= 0) {
        if (!const_ints(g, n->inputs[1], p, 8))
            return false;
    } else {
        const struct imp_attr *a = imp_node_attr(n, "pads");
        if (!a || a->type != IMP_ATTR_INTS || a->n != 8)
            return false;
        memcpy(p, a->ints, sizeof p);
    }
    if (p[0] || p[1] || p[4] || p[5])
        return false;
    static const int order[4] = {2, 3, 6, 7};
    for (int i = 0; i < 4; i++) {
        if (p[order[i]] < 0 || p[order[i]] >= ((int64_t)1 << 24))
            return false;
        pads4[i] = p[order[i]];
    }
    *mode = imp_node_string(n, "mode", "constant");
    if (strcmp(*mode, "constant") != 0 && strcmp(*mode, "reflect") != 0 &&
        strcmp(*mode, "edge") != 0)
        return false;
    *value = imp_node_float(n, "value", 0.0f);
    if (n->n_inputs > 2 && n->inputs[2] >= 0) {
        int v = n->inputs[2];
        if (v >= g->n_values)
            return false;
        const struct imp_value *cv = &g->values[v];
        if (cv->kind != IMP_VALUE_CONST || !cv->data || cv->dtype != IMP_DTYPE_F32 ||
            imp_shape_count(&cv->shape) != 1 || cv->nbytes < sizeof(float))
            return false;
        memcpy(value, cv->data, sizeof *value);
    }
    return isfinite(*value);
}

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
            !spatial_pad(g, pn, pads4, &mode, &value))
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
