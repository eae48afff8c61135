#include "runtime/infer.h"

#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "ops/eval.h"

void imp_inference_release(struct imp_inference *inf)
{
    if (inf->tensors && inf->known) {
        for (int v = 0; v < inf->n_values; v++)
            if (inf->known[v])
                imp_aligned_free(inf->tensors[v].data);
    }
    free(inf->tensors);
    free(inf->known);
    free(inf->folded);
    memset(inf, 0, sizeof *inf);
}

enum imp_status imp_infer_graph(const struct imp_graph *g,
                                const struct imp_shape *input_shapes,
                                void *const *input_data,
                                void *const *const_data,
                                struct imp_inference *inf,
                                struct imp_error *err)
{
    memset(inf, 0, sizeof *inf);
    inf->n_values = g->n_values;
    inf->n_nodes = g->n_nodes;
    inf->tensors = calloc((size_t)g->n_values + 1, sizeof *inf->tensors);
    inf->known = calloc((size_t)g->n_values + 1, sizeof *inf->known);
    inf->folded = calloc((size_t)g->n_nodes + 1, sizeof *inf->folded);
    if (!inf->tensors || !inf->known || !inf->folded) {
        imp_inference_release(inf);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    }
    bool *has = calloc((size_t)g->n_values + 1, 1);
    if (!has) {
        imp_inference_release(inf);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    }
    for (int v = 0; v < g->n_values; v++) {
        const struct imp_value *val = &g->values[v];
        if (val->kind == IMP_VALUE_CONST) {
            inf->tensors[v].dtype = val->dtype;
            inf->tensors[v].shape = val->shape;
            inf->tensors[v].data =
                const_data && const_data[v] ? const_data[v] : val->data;
            has[v] = true;
        }
    }
    for (int i = 0; i < g->n_inputs; i++) {
        int v = g->inputs[i];
        inf->tensors[v].dtype = g->values[v].dtype;
        inf->tensors[v].shape = input_shapes[i];
        inf->tensors[v].data = input_data ? input_data[i] : NULL;
        has[v] = true;
    }

    enum imp_status st = IMP_OK;
    const struct imp_tensor *in[IMP_MAX_NODE_IO];
    struct imp_tensor out[IMP_MAX_NODE_IO];
    for (int ni = 0; ni < g->n_nodes && st == IMP_OK; ni++) {
        const struct imp_node *n = &g->nodes[ni];
        if (n->n_inputs > IMP_MAX_NODE_IO || n->n_outputs > IMP_MAX_NODE_IO) {
            st = imp_fail(err, IMP_ERR_UNSUPPORTED,
                          "node '%s' (%s): more than %d inputs or outputs",
                          n->name, imp_op_name(n->op), IMP_MAX_NODE_IO);
            break;
        }
        const struct imp_op_def *def = imp_op_get(n->op);
        bool shape_only = def && (def->flags & IMP_OPF_SHAPE_ONLY);
        bool all_data = true;
        for (int k = 0; k < n->n_inputs; k++) {
            int v = n->inputs[k];
            if (v < 0) {
                in[k] = NULL;
                continue;
            }
            if (!has[v]) {
                st = imp_fail(err, IMP_ERR_FORMAT,
                              "node '%s' (%s): input '%s' is not computed before it",
                              n->name, imp_op_name(n->op), g->values[v].name);
                break;
            }
            in[k] = &inf->tensors[v];
            all_data = all_data && (in[k]->data != NULL || shape_only);
        }
        if (st != IMP_OK)
            break;
        if (all_data)
            st = imp_node_eval(n, in, out, err);
        else
            st = imp_node_infer(n, in, out, err);
        if (st != IMP_OK) {
            imp_error_prefix(err, "node '%s' (%s)", n->name, imp_op_name(n->op));
            break;
        }
        for (int o = 0; o < n->n_outputs; o++) {
            int v = n->outputs[o];
            inf->tensors[v] = out[o];
            inf->known[v] = all_data;
            has[v] = true;
        }
        inf->folded[ni] = all_data;
    }
    free(has);
    if (st != IMP_OK)
        imp_inference_release(inf);
    return st;
}
