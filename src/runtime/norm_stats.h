/*
 * The predictor's table of instance-norm statistics slots (one per
 * InstanceNormalization node of the graph), behind the public
 * imp_predictor_*_norm_stats functions. The slots outlive re-planning, so
 * a strength slider (set_param) does not make a video forget its smoothed
 * statistics; they are resized, and forgotten, only when a node's plane
 * count changes.
 */
#ifndef IMP_RUNTIME_NORM_STATS_H
#define IMP_RUNTIME_NORM_STATS_H

#include "core/graph.h"
#include "ops/norm_stats.h"

struct imp_norm_stats_table {
    enum imp_norm_stats_mode mode;
    double weight;
    int n_nodes;                       /* graph nodes; slots is per node */
    struct imp_norm_stats_slot *slots; /* planes == 0: no statistics     */
};

/* Called as planning starts: no slot is active until attached again. */
void imp_norm_stats_begin_plan(struct imp_norm_stats_table *t);
/* Called while planning, for each node that will run: gives an
 * InstanceNormalization node its slot (args->norm_stats), sized to its
 * input's N x C; other nodes get none. */
enum imp_status imp_norm_stats_attach(struct imp_norm_stats_table *t,
                                      const struct imp_graph *g, int node,
                                      struct imp_kernel_args *args,
                                      struct imp_error *err);
/* Called after every run: what a HELD or SMOOTHED run measured is held. */
void imp_norm_stats_after_run(struct imp_norm_stats_table *t);
void imp_norm_stats_set_mode(struct imp_norm_stats_table *t,
                             enum imp_norm_stats_mode mode, double weight);
size_t imp_norm_stats_entries(const struct imp_norm_stats_table *t);
/* Copies measured (or held) statistics out, or held ones in, in node order. */
void imp_norm_stats_copy_out(const struct imp_norm_stats_table *t, int measured,
                             double *mean, double *var);
void imp_norm_stats_copy_in(struct imp_norm_stats_table *t, const double *mean,
                            const double *var);
void imp_norm_stats_reset(struct imp_norm_stats_table *t);
void imp_norm_stats_free(struct imp_norm_stats_table *t);

#endif
