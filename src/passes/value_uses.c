#include "passes/value_uses.h"

#include <stdlib.h>
#include <string.h>

void imp_value_uses_free(struct imp_value_uses *u)
{
    free(u->count);
    free(u->producer);
    free(u->reader);
    free(u->is_output);
    *u = (struct imp_value_uses)IMP_VALUE_USES_INIT;
}

enum imp_status imp_value_uses_count(const struct imp_graph *g, struct imp_value_uses *u,
                                     struct imp_error *err)
{
    if (g->n_values > u->cap) {
        /* Rewrites add values as they go: leave room for some. */
        int cap = g->n_values * 2 + 16;
        imp_value_uses_free(u);
        u->count = malloc(sizeof(int) * (size_t)cap);
        u->producer = malloc(sizeof(int) * (size_t)cap);
        u->reader = malloc(sizeof(int) * (size_t)cap);
        u->is_output = malloc(sizeof(bool) * (size_t)cap);
        if (!u->count || !u->producer || !u->reader || !u->is_output) {
            imp_value_uses_free(u);
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory counting value readers");
        }
        u->cap = cap;
    }
    for (int v = 0; v < g->n_values; v++) {
        u->count[v] = 0;
        u->producer[v] = -1;
        u->reader[v] = -1;
        u->is_output[v] = false;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int v = g->outputs[i];
        if (v >= 0 && v < g->n_values) {
            u->count[v]++;
            u->is_output[v] = true;
        }
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const struct imp_node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_inputs; k++) {
            int v = n->inputs[k];
            if (v >= 0 && v < g->n_values) {
                u->count[v]++;
                u->reader[v] = ni;
            }
        }
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0 && n->outputs[k] < g->n_values)
                u->producer[n->outputs[k]] = ni;
    }
    return IMP_OK;
}

enum imp_status imp_node_rewrite_begin(const struct imp_graph *g, struct imp_node_rewrite *rw,
                                       struct imp_error *err)
{
    *rw = (struct imp_node_rewrite){.uses = IMP_VALUE_USES_INIT, .n_nodes = g->n_nodes};
    rw->drop = calloc((size_t)g->n_nodes + 1, sizeof *rw->drop);
    if (!rw->drop)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory planning a graph rewrite");
    enum imp_status st = imp_value_uses_count(g, &rw->uses, err);
    if (st != IMP_OK) {
        free(rw->drop);
        rw->drop = NULL;
    }
    return st;
}

int imp_node_rewrite_end(struct imp_graph *g, struct imp_node_rewrite *rw)
{
    int replaced = rw->replaced;
    if (replaced)
        imp_graph_drop_nodes(g, rw->drop, rw->n_nodes);
    imp_value_uses_free(&rw->uses);
    free(rw->drop);
    rw->drop = NULL;
    return replaced;
}

bool imp_value_const_f32_scalar(const struct imp_graph *g, int v, float *out)
{
    if (v < 0 || v >= g->n_values)
        return false;
    const struct imp_value *cv = &g->values[v];
    if (cv->kind != IMP_VALUE_CONST || !cv->data || cv->dtype != IMP_DTYPE_F32 ||
        imp_shape_count(&cv->shape) != 1 || cv->nbytes < sizeof(float))
        return false;
    memcpy(out, cv->data, sizeof *out);
    return true;
}
