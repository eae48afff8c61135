#include <stdlib.h>
#include <string.h>

#include "runtime/norm_stats.h"

static void slot_free(struct imp_norm_stats_slot *s)
{
    free(s->measured_mean);
    memset(s, 0, sizeof *s);
}

/* One allocation holds the four arrays of a slot. */
static bool slot_size(struct imp_norm_stats_slot *s, int64_t planes)
{
    if (s->planes == planes)
        return true;
    slot_free(s);
    double *a = calloc((size_t)planes * 4, sizeof *a);
    if (!a)
        return false;
    s->planes = planes;
    s->measured_mean = a;
    s->measured_var = a + planes;
    s->held_mean = a + 2 * planes;
    s->held_var = a + 3 * planes;
    return true;
}

void imp_norm_stats_begin_plan(struct imp_norm_stats_table *t)
{
    for (int i = 0; i < t->n_nodes; i++)
        t->slots[i].active = false;
}

enum imp_status imp_norm_stats_attach(struct imp_norm_stats_table *t,
                                      const struct imp_graph *g, int node,
                                      struct imp_kernel_args *args,
                                      struct imp_error *err)
{
    args->norm_stats = NULL;
    if (g->nodes[node].op != IMP_OP_INSTANCE_NORM || args->n_in < 1 || !args->in[0])
        return IMP_OK;
    if (!t->slots) {
        t->slots = calloc((size_t)g->n_nodes, sizeof *t->slots);
        if (!t->slots)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        t->n_nodes = g->n_nodes;
    }
    const struct imp_shape *s = &args->in[0]->shape;
    /* Infer has checked rank >= 3, and the plan limits sizes. */
    int64_t planes = s->d[0] * s->d[1];
    struct imp_norm_stats_slot *slot = &t->slots[node];
    if (planes < 1)
        return IMP_OK;
    if (!slot_size(slot, planes))
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    slot->mode = t->mode;
    slot->weight = t->weight;
    slot->active = true;
    args->norm_stats = slot;
    return IMP_OK;
}

void imp_norm_stats_after_run(struct imp_norm_stats_table *t)
{
    if (t->mode == IMP_NORM_STATS_MEASURED)
        return;
    for (int i = 0; i < t->n_nodes; i++)
        t->slots[i].held_valid = t->slots[i].active;
}

void imp_norm_stats_set_mode(struct imp_norm_stats_table *t,
                             enum imp_norm_stats_mode mode, double weight)
{
    t->mode = mode;
    t->weight = weight;
    for (int i = 0; i < t->n_nodes; i++) {
        t->slots[i].mode = mode;
        t->slots[i].weight = weight;
    }
}

size_t imp_norm_stats_entries(const struct imp_norm_stats_table *t)
{
    size_t n = 0;
    for (int i = 0; i < t->n_nodes; i++)
        if (t->slots[i].active)
            n += (size_t)t->slots[i].planes;
    return n;
}

void imp_norm_stats_copy_out(const struct imp_norm_stats_table *t, int measured,
                             double *mean, double *var)
{
    for (int i = 0; i < t->n_nodes; i++) {
        const struct imp_norm_stats_slot *s = &t->slots[i];
        size_t n = (size_t)s->planes;
        if (!s->active)
            continue;
        if (measured || s->held_valid) {
            memcpy(mean, measured ? s->measured_mean : s->held_mean, n * sizeof *mean);
            memcpy(var, measured ? s->measured_var : s->held_var, n * sizeof *var);
        } else {
            memset(mean, 0, n * sizeof *mean);
            memset(var, 0, n * sizeof *var);
        }
        mean += n;
        var += n;
    }
}

void imp_norm_stats_copy_in(struct imp_norm_stats_table *t, const double *mean,
                            const double *var)
{
    for (int i = 0; i < t->n_nodes; i++) {
        struct imp_norm_stats_slot *s = &t->slots[i];
        size_t n = (size_t)s->planes;
        if (!s->active)
            continue;
        memcpy(s->held_mean, mean, n * sizeof *mean);
        memcpy(s->held_var, var, n * sizeof *var);
        s->held_valid = true;
        mean += n;
        var += n;
    }
}

void imp_norm_stats_reset(struct imp_norm_stats_table *t)
{
    for (int i = 0; i < t->n_nodes; i++)
        t->slots[i].held_valid = false;
}

void imp_norm_stats_free(struct imp_norm_stats_table *t)
{
    for (int i = 0; i < t->n_nodes; i++)
        slot_free(&t->slots[i]);
    free(t->slots);
    memset(t, 0, sizeof *t);
}
