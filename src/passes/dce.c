/* Dead-node removal: walk back from the graph outputs; whatever is not
 * reached is dropped, and so are values nothing refers to any more. */
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "passes/passes.h"

enum imp_status imp_pass_remove_dead(struct imp_graph *g, struct imp_error *err)
{
    char *live = calloc((size_t)g->n_values + 1, 1);
    if (!live)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_outputs; i++)
        live[g->outputs[i]] = 1;
    /* Nodes are sorted, so one backward sweep finds every live node. */
    char *keep = calloc((size_t)g->n_nodes + 1, 1);
    if (!keep) {
        free(live);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    }
    for (int ni = g->n_nodes - 1; ni >= 0; ni--) {
        const struct imp_node *n = &g->nodes[ni];
        for (int o = 0; o < n->n_outputs && !keep[ni]; o++)
            keep[ni] = live[n->outputs[o]];
        if (!keep[ni])
            continue;
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0)
                live[n->inputs[k]] = 1;
    }
    int kept = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        struct imp_node *n = &g->nodes[ni];
        if (keep[ni]) {
            g->nodes[kept++] = *n;
            continue;
        }
        imp_node_release(n);
    }
    g->n_nodes = kept;
    free(live);
    free(keep);
    if (imp_graph_compact(g) != IMP_OK)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    return IMP_OK;
}
