/*
 * Who reads and who writes each value of a graph: what a rewrite must
 * know before it replaces a value or drops the node that made it.
 */
#ifndef IMP_VALUE_USES_H
#define IMP_VALUE_USES_H

#include <stdbool.h>

#include "core/error.h"
#include "core/graph.h"

struct imp_value_uses {
    int *count;      /* readers per value; being a graph output counts as one */
    int *producer;   /* index of the node that writes the value, or -1        */
    int *reader;     /* index of the last node that reads it, or -1           */
    bool *is_output; /* the value is a graph output                           */
    int cap;         /* values the tables have room for                       */
};

#define IMP_VALUE_USES_INIT {NULL, NULL, NULL, NULL, 0}

/* Count for the graph as it is now, growing the tables when the graph has
 * gained values since the last count. Indices outside the value table are
 * skipped, so a malformed graph cannot make this write out of bounds. */
enum imp_status imp_value_uses_count(const struct imp_graph *g, struct imp_value_uses *u,
                                     struct imp_error *err);
void imp_value_uses_free(struct imp_value_uses *u);

/* Read by exactly one node and not a graph output: a rewrite may consume it. */
static inline bool imp_value_private(const struct imp_value_uses *u, int v)
{
    return v >= 0 && u->count[v] == 1 && !u->is_output[v];
}

/* Value v is a constant float32 scalar (one element): *out gets it. */
bool imp_value_const_f32_scalar(const struct imp_graph *g, int v, float *out);

/* What a pass that replaces nodes carries: the reader table of the graph
 * as it was when the pass began, and which of the nodes that existed then
 * it has replaced. */
struct imp_node_rewrite {
    struct imp_value_uses uses;
    bool *drop;   /* drop[i]: node i (i < n_nodes) is replaced */
    int n_nodes;  /* nodes when the pass began                 */
    int replaced; /* how many drop[] marks                       */
};

/* Count the readers and allocate the marks; on failure nothing is held. */
enum imp_status imp_node_rewrite_begin(const struct imp_graph *g, struct imp_node_rewrite *rw,
                                       struct imp_error *err);
/* Node i is replaced: its outputs now come from elsewhere. */
static inline void imp_node_rewrite_replace(struct imp_node_rewrite *rw, int i)
{
    if (!rw->drop[i]) {
        rw->drop[i] = true;
        rw->replaced++;
    }
}
/* Remove the replaced nodes from the graph (the others keep their order)
 * and free what begin allocated. Returns how many nodes went. */
int imp_node_rewrite_end(struct imp_graph *g, struct imp_node_rewrite *rw);

#endif
