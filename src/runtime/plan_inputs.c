/*
 * Plan-time graph inputs.
 *
 * ONNX lets a model take the shape of a Reshape, the sizes of a Resize or
 * the pads of a Pad as graph inputs. Such an input decides the shapes of
 * everything after it, so the predictor treats it as it treats an input's
 * shape: it is read while planning, and a new value re-plans, as a resize
 * does. Everything else about running stays as it is: no engine ever
 * looks at data that can change between plans.
 */
#include "runtime/plan_inputs.h"

#include <stdlib.h>

#include "ops/op.h"

int imp_find_plan_inputs(const struct imp_graph *g, bool *flags)
{
    bool *needed = calloc((size_t)g->n_values + 1, sizeof *needed);
    if (!needed)
        return -1;
    /* Nodes are in topological order: walking back, every reader of a
     * value is seen before the node that computes it. */
    for (int ni = g->n_nodes - 1; ni >= 0; ni--) {
        const struct imp_node *n = &g->nodes[ni];
        const struct imp_op_def *def = imp_op_get(n->op);
        if (!def)
            continue;
        bool output_needed = false;
        for (int o = 0; o < n->n_outputs; o++)
            if (n->outputs[o] >= 0 && needed[n->outputs[o]])
                output_needed = true;
        if (def->flags & IMP_OPF_SHAPE_ONLY)
            output_needed = false;
        for (int k = 0; k < n->n_inputs; k++) {
            int v = n->inputs[k];
            unsigned mask = def->plan_inputs_of ? def->plan_inputs_of(n) : def->plan_inputs;
            bool plan_operand = k < 32 && ((mask >> k) & 1u);
            if (v >= 0 && (plan_operand || output_needed))
                needed[v] = true;
        }
    }
    int count = 0;
    for (int i = 0; i < g->n_inputs; i++) {
        bool mark = needed[g->inputs[i]];
        if (flags)
            flags[i] = mark;
        count += mark;
    }
    free(needed);
    return count;
}
