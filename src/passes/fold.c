/* Constant folding: a node whose inputs are all constants is evaluated once
 * at load with its reference engine, and its outputs become constants. */
#include <stdlib.h>
#include <string.h>

#include "ops/eval.h"
#include "passes/passes.h"

enum imp_status imp_pass_fold_constants(struct imp_graph *g,
                                        struct imp_error *err)
{
    const struct imp_tensor *in[IMP_MAX_NODE_IO];
    struct imp_tensor out[IMP_MAX_NODE_IO];
    struct imp_tensor in_store[IMP_MAX_NODE_IO];
    int kept = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        struct imp_node *n = &g->nodes[ni];
        bool all_const = n->n_inputs <= IMP_MAX_NODE_IO &&
                         n->n_outputs <= IMP_MAX_NODE_IO;
        for (int k = 0; k < n->n_inputs && all_const; k++) {
            int v = n->inputs[k];
            if (v < 0) {
                in[k] = NULL;
                continue;
            }
            const struct imp_value *val = &g->values[v];
            all_const = val->kind == IMP_VALUE_CONST;
            in_store[k] = (struct imp_tensor){val->dtype, val->shape, val->data};
            in[k] = &in_store[k];
        }
        /* Graph outputs stay computed by nodes only if they are not
         * constant; a constant output is fine, the predictor serves it. */
        if (!all_const || (n->n_inputs == 0 && n->op != IMP_OP_CONSTANT)) {
            g->nodes[kept++] = *n;
            continue;
        }
        enum imp_status st = imp_node_eval(n, in, out, err);
        if (st != IMP_OK) {
            imp_error_prefix(err, "node '%s' (%s)", n->name, imp_op_name(n->op));
            /* Close the gap left by folded nodes, or releasing the graph
             * frees the moved nodes twice. */
            for (int rest = ni; rest < g->n_nodes; rest++)
                g->nodes[kept++] = g->nodes[rest];
            g->n_nodes = kept;
            return st;
        }
        for (int o = 0; o < n->n_outputs; o++) {
            struct imp_value *val = &g->values[n->outputs[o]];
            val->kind = IMP_VALUE_CONST;
            val->dtype = out[o].dtype;
            val->shape = out[o].shape;
            val->data = out[o].data;
            val->nbytes = imp_tensor_bytes(&out[o]);
            val->owned = true;
        }
        /* Release the node's own allocations; it is gone. */
        imp_node_release(n);
    }
    g->n_nodes = kept;
    return IMP_OK;
}
