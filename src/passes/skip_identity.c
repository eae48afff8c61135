/*
 * Identity nodes bypassed: their readers read the Identity's input.
 *
 * Converters leave them where another format had a real operator (the
 * TFLite reader turns each QUANTIZE/DEQUANTIZE pair of a float graph with
 * int8 weights into Identity: 98 in the Magenta int8 transfer network),
 * and each one copies a whole tensor at run. An Identity whose output is a
 * graph output stays (the output keeps its name and its own buffer); the
 * bypassed nodes are left for dead-node removal.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "passes/passes.h"

enum imp_status imp_pass_skip_identity(struct imp_graph *g, struct imp_error *err)
{
    int *source = malloc(sizeof *source * ((size_t)g->n_values + 1));
    bool *is_output = calloc((size_t)g->n_values + 1, sizeof *is_output);
    if (!source || !is_output) {
        free(source);
        free(is_output);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    }
    for (int v = 0; v < g->n_values; v++)
        source[v] = v;
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] >= 0 && g->outputs[i] < g->n_values)
            is_output[g->outputs[i]] = true;
    /* Sorted: an Identity's input is final (chains resolved) before any
     * node reads the Identity's output. */
    for (int ni = 0; ni < g->n_nodes; ni++) {
        struct imp_node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0 && n->inputs[k] < g->n_values)
                n->inputs[k] = source[n->inputs[k]];
        if (n->op == IMP_OP_IDENTITY && n->n_inputs == 1 && n->n_outputs == 1 &&
            n->inputs[0] >= 0 && n->inputs[0] < g->n_values && n->outputs[0] >= 0 &&
            n->outputs[0] < g->n_values && !is_output[n->outputs[0]])
            source[n->outputs[0]] = n->inputs[0];
    }
    free(source);
    free(is_output);
    return IMP_OK;
}
