/*
 * Crop folded into the ConvTranspose before it.
 *
 * Networks converted from Torch7 (the Johnson style nets among them) make
 * each upsampling layer a ConvTranspose with a full output_shape followed
 * by a legacy Crop of its border:
 *
 *   y = ConvTranspose(x, W, output_shape = [362, 362]); z = Crop(y, border = 1)
 *
 * The ConvTranspose computes a ring of pixels only for the Crop to copy
 * the rest away: at 720x720 the copy alone costs as much as an instance
 * norm. Here the Crop becomes the ConvTranspose attribute `crop` (see
 * ops/conv/conv_transpose.c), which moves the output window inwards, so the
 * ring is never computed and nothing is copied.
 *
 * It fires when the Crop cuts borders only (no `scale`), and y has no
 * other reader and is not a graph output; then z is exactly the new
 * node's output. A ConvTranspose that already has `crop` takes no more,
 * so the pass is idempotent.
 */
#include "ops/op_util.h"
#include "passes/passes.h"
#include "passes/value_uses.h"

/* The crop attribute for Crop node `n`'s borders [left, top, right, bottom]:
 * [top, left, bottom, right], when it is a border-only crop of 4 sane values. */
static bool crop_borders(const struct imp_node *n, int64_t *crop4)
{
    int64_t border[4];
    if (n->n_inputs != 1 || n->n_outputs != 1 || imp_node_attr(n, "scale") ||
        imp_attr_ints(n, "border", border, 4) != 4)
        return false;
    for (int i = 0; i < 4; i++)
        if (border[i] < 0 || border[i] >= ((int64_t)1 << 24))
            return false;
    crop4[0] = border[1];
    crop4[1] = border[0];
    crop4[2] = border[3];
    crop4[3] = border[2];
    return true;
}

enum imp_status imp_pass_fold_crop(struct imp_graph *g, struct imp_error *err)
{
    struct imp_node_rewrite rw;
    enum imp_status st = imp_node_rewrite_begin(g, &rw, err);
    if (st != IMP_OK)
        return st;
    const struct imp_value_uses *u = &rw.uses;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const struct imp_node *n = &g->nodes[ni];
        if (n->op != IMP_OP_CONV_TRANSPOSE || n->n_outputs != 1 || imp_node_attr(n, "crop"))
            continue;
        int y = n->outputs[0];
        if (y >= g->n_values || !imp_value_private(u, y))
            continue;
        int ci = u->reader[y];
        const struct imp_node *c = &g->nodes[ci];
        int64_t crop4[4];
        if (c->op != IMP_OP_CROP || rw.drop[ci] || c->inputs[0] != y ||
            !crop_borders(c, crop4))
            continue;
        if (imp_node_set_ints(g, ni, "crop", crop4, 4) != IMP_OK) {
            st = IMP_ERR_NOMEM;
            break;
        }
        g->nodes[ni].outputs[0] = g->nodes[ci].outputs[0];
        imp_node_rewrite_replace(&rw, ci);
    }
    if (imp_node_rewrite_end(g, &rw) > 0 && st == IMP_OK)
        st = imp_graph_compact(g);
    if (st != IMP_OK)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory folding a Crop");
    return IMP_OK;
}
