/*
 * Fusion of a spatial Pad into the convolution that reads it.
 *
 * Style networks pad before every convolution, by reflection (or, after
 * the sub-pixel pass, by repeating the edge), and where the Pad cannot go
 * into the InstanceNormalization that writes its input (fuse_norm.c: the
 * network's input, a tensor a skip connection also reads, an Add's sum)
 * it is a node of its own that reads and writes the whole tensor (before
 * the shipped student's stem, a copy of the whole picture). The `direct`
 * engine, which takes strided layers, copies the rows it reads into
 * column phases anyway, and writes the border's pixels there as cheaply
 * as zeros, so
 *
 *   p = Pad(x, [0, 0, t, l, 0, 0, b, r], mode); y = Conv(p, W, B)
 *
 * becomes y = Conv(x, W, B) with pads [t, l, b, r] and, for reflect and
 * edge, the attribute pad_mode (ops/conv/conv_common.h); a constant Pad of
 * zeros is plain Conv padding. Only strided group-1 Convs that are not 1x1
 * (the engines of stride-1 layers pad with zeros only: Winograd would
 * copy every tile at the edge, measured slower than the Pad, and `wide`
 * and the depthwise engines not at all). The Pad's output must have no
 * other reader and not be a graph output, and the Conv must not pad by
 * itself; a fused Conv has pads, so the pass is idempotent and a saved
 * .imp keeps the fused node.
 */
#include <string.h>

#include "ops/op_util.h"
#include "passes/passes.h"
#include "passes/value_uses.h"

/* Does Conv node n read its input unpadded, strided, with a kernel the
 * direct engine takes? */
static bool fusable_conv(const struct imp_graph *g, const struct imp_node *n)
{
    if (n->n_inputs < 2 || n->n_outputs != 1 || imp_node_attr(n, "pad_mode") ||
        imp_node_int(n, "group", 1) != 1)
        return false;
    const char *ap = imp_node_string(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") != 0 && strcmp(ap, "VALID") != 0 && strcmp(ap, "") != 0)
        return false;
    int64_t v[4];
    if (imp_node_attr(n, "pads")) {
        if (imp_attr_ints(n, "pads", v, 4) != 4 || v[0] || v[1] || v[2] || v[3])
            return false;
    }
    int64_t k[2] = {0, 0}, s[2] = {1, 1};
    int w = n->inputs[1];
    if (imp_node_attr(n, "kernel_shape")) {
        if (imp_attr_ints(n, "kernel_shape", k, 2) != 2)
            return false;
    } else if (w >= 0 && w < g->n_values && g->values[w].shape.rank == 4) {
        k[0] = g->values[w].shape.d[2];
        k[1] = g->values[w].shape.d[3];
    }
    if (imp_node_attr(n, "strides") && imp_attr_ints(n, "strides", s, 2) != 2)
        return false;
    /* Not 1x1; compared, not multiplied: a hostile kernel_shape is any int64. */
    return k[0] >= 1 && k[1] >= 1 && (k[0] > 1 || k[1] > 1) && (s[0] > 1 || s[1] > 1);
}

enum imp_status imp_pass_fuse_pad_conv(struct imp_graph *g, struct imp_error *err)
{
    struct imp_node_rewrite rw;
    enum imp_status st = imp_node_rewrite_begin(g, &rw, err);
    if (st != IMP_OK)
        return st;
    const struct imp_value_uses *u = &rw.uses;
    for (int pi = 0; pi < rw.n_nodes && st == IMP_OK; pi++) {
        const struct imp_node *p = &g->nodes[pi];
        if (p->op != IMP_OP_PAD || p->n_outputs != 1 || p->n_inputs < 1 || rw.drop[pi])
            continue;
        int y = p->outputs[0];
        if (y < 0 || y >= g->n_values || !imp_value_private(u, y))
            continue;
        int ci = u->reader[y];
        const struct imp_node *c = &g->nodes[ci];
        int64_t pads4[4];
        const char *mode;
        float value;
        if (c->op != IMP_OP_CONV || rw.drop[ci] || c->inputs[0] != y ||
            !fusable_conv(g, c) || !imp_spatial_pad(g, p, pads4, &mode, &value))
            continue;
        bool zeros = strcmp(mode, "constant") == 0;
        if (zeros && value != 0.0f)
            continue;
        int x = p->inputs[0];
        st = imp_node_set_ints(g, ci, "pads", pads4, 4);
        if (st == IMP_OK && !zeros)
            st = imp_node_set_string(g, ci, "pad_mode", mode);
        if (st == IMP_OK && imp_node_attr(&g->nodes[ci], "auto_pad"))
            st = imp_node_set_string(g, ci, "auto_pad", "NOTSET");
        if (st != IMP_OK)
            break;
        g->nodes[ci].inputs[0] = x;
        imp_node_rewrite_replace(&rw, pi);
    }
    if (imp_node_rewrite_end(g, &rw) > 0 && st == IMP_OK)
        st = imp_graph_compact(g);
    if (st != IMP_OK)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory fusing Pad into Conv");
    return IMP_OK;
}
