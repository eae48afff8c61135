/*
 * Activation fusion into InstanceNormalization.
 *
 * In the style networks every instance norm but the residual ones feeds a
 * Relu. Applying the Relu while the normalised plane is still in registers
 * saves a full read and write of the tensor, so
 *
 *   y = InstanceNormalization(x, s, b); z = Relu(y)
 *
 * becomes one InstanceNormalization writing z, with the string attribute
 * activation="Relu" (see ops/norm.c). Only when y has no other reader and
 * is not a graph output, so no observable value changes. A node that
 * already carries an activation is left alone, which makes the pass
 * idempotent (a saved .imp holds the fused node and loads to the same
 * graph).
 */
#include <stdlib.h>

#include "passes/passes.h"

enum imp_status imp_pass_fuse_norm(struct imp_graph *g, struct imp_error *err)
{
    /* readers[v]: how many node inputs or graph outputs name value v;
     * reader[v]: the last node reading it. */
    int *readers = calloc((size_t)g->n_values + 1, sizeof *readers);
    int *reader = calloc((size_t)g->n_values + 1, sizeof *reader);
    bool *drop = calloc((size_t)g->n_nodes + 1, sizeof *drop);
    if (!readers || !reader || !drop) {
        free(readers);
        free(reader);
        free(drop);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < g->n_outputs; i++)
        readers[g->outputs[i]] += 2; /* never the sole reader of anything */
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const struct imp_node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0 && n->inputs[k] < g->n_values) {
                readers[n->inputs[k]]++;
                reader[n->inputs[k]] = ni;
            }
    }
    enum imp_status st = IMP_OK;
    int fused = 0;
    for (int ni = 0; ni < g->n_nodes && st == IMP_OK; ni++) {
        const struct imp_node *n = &g->nodes[ni];
        if (n->op != IMP_OP_INSTANCE_NORM || n->n_outputs != 1 ||
            imp_node_attr(n, "activation"))
            continue;
        int y = n->outputs[0];
        if (y < 0 || y >= g->n_values || readers[y] != 1)
            continue;
        int ri = reader[y];
        const struct imp_node *r = &g->nodes[ri];
        if (r->op != IMP_OP_RELU || r->n_inputs != 1 || r->n_outputs != 1 || drop[ri])
            continue;
        int z = r->outputs[0];
        st = imp_node_set_string(g, ni, "activation", "Relu");
        if (st != IMP_OK)
            break;
        g->nodes[ni].outputs[0] = z;
        drop[ri] = true;
        fused++;
    }
    if (st == IMP_OK && fused > 0) {
        int kept = 0;
        for (int ni = 0; ni < g->n_nodes; ni++) {
            if (drop[ni])
                imp_node_release(&g->nodes[ni]);
            else
                g->nodes[kept++] = g->nodes[ni];
        }
        g->n_nodes = kept;
        st = imp_graph_compact(g);
    }
    free(readers);
    free(reader);
    free(drop);
    if (st != IMP_OK)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    return IMP_OK;
}
