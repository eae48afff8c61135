/* The model object: an optimised, sorted graph that no one mutates. */
#ifndef IMP_MODEL_H
#define IMP_MODEL_H

#include "core/graph.h"

struct imp_model {
    struct imp_graph graph;
    /* Default shape of each graph input: declared dims, open ones as 1. */
    struct imp_shape *input_shapes;
    /* Per graph input: bit d, fixed dim d that resize_input may change
     * (imp_model_input_resizable). */
    unsigned *resizable;
    /* Output dtype/shape for the default input shapes. */
    struct imp_tensor *output_guess;
    /* Backing bytes that constants may borrow from (.imp files). */
    uint8_t *backing;
};

/* Build a model from a graph (taken over, released on failure too): runs
 * the load-time passes exactly as the file loaders do. For tests and
 * tools that construct graphs in code. */
enum imp_status imp_model_from_graph(struct imp_graph *g, struct imp_model **out,
                                     struct imp_error *err);

#endif
