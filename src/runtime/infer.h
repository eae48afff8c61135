/* Whole-graph shape inference with plan-time folding: the part of planning
 * that both model load (to report shapes and fail early) and predictors
 * (on every reshape) need. */
#ifndef IMP_INFER_H
#define IMP_INFER_H

#include <stdbool.h>

#include "core/graph.h"

struct imp_inference {
    struct imp_tensor *tensors; /* one per value; data set where known   */
    bool *known;                /* per value: data computed at plan time */
    bool *folded;               /* per node: outputs all known: skip run */
    int n_values, n_nodes;
};

/* `input_shapes` gives the shape of each graph input (in graph input
 * order); `input_data` (may be NULL) the contents of those read at plan
 * time (NULL entries: unknown until run); `const_data` may override
 * constant data per value (NULL entries: use the graph's). Nodes whose
 * inputs are all known are evaluated now. On failure the message names
 * the node. */
enum imp_status imp_infer_graph(const struct imp_graph *g,
                                const struct imp_shape *input_shapes,
                                void *const *input_data,
                                void *const *const_data,
                                struct imp_inference *inf,
                                struct imp_error *err);
void imp_inference_release(struct imp_inference *inf);

#endif
