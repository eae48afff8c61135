/* fp16 -> fp32 expansion. Kernels compute in fp32; fp16 weights are
 * widened once here. An fp16 graph input keeps its type for the caller and
 * is widened by a Cast at the boundary; a Cast to fp16 inside the graph is
 * followed by a Cast back to fp32, so its values are rounded to half
 * precision as the model says, and outputs of fp16 models arrive as fp32. */
#include <stdint.h>
#include <stdio.h>

#include "core/dtype.h"
#include "passes/passes.h"
#include "passes/value_uses.h"

#define ONNX_FLOAT 1
#define ONNX_FLOAT16 10

enum imp_status imp_pass_expand_fp16(struct imp_graph *g, struct imp_error *err)
{
    for (int v = 0; v < g->n_values; v++) {
        struct imp_value *val = &g->values[v];
        if (val->kind != IMP_VALUE_CONST || val->dtype != IMP_DTYPE_F16)
            continue;
        int64_t n = imp_shape_count(&val->shape);
        float *wide = imp_aligned_alloc((size_t)(n > 0 ? n : 0) * sizeof(float));
        if (!wide)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory widening '%s'",
                            val->name);
        const uint16_t *half = val->data;
        for (int64_t i = 0; i < n; i++)
            wide[i] = imp_half_to_float(half[i]);
        if (val->owned)
            imp_aligned_free(val->data);
        val->data = wide;
        val->nbytes = (size_t)(n > 0 ? n : 0) * sizeof(float);
        val->owned = true;
        val->dtype = IMP_DTYPE_F32;
    }
    /* A pair made by an earlier load (an .imp file) stays as it is. */
    struct imp_value_uses uses = IMP_VALUE_USES_INIT;
    enum imp_status st = imp_value_uses_count(g, &uses, err);
    if (st != IMP_OK)
        return st;
    int n_nodes = g->n_nodes;
    for (int ni = 0; ni < n_nodes; ni++) {
        const struct imp_node *n = &g->nodes[ni];
        if (n->op != IMP_OP_CAST || imp_node_int(n, "to", 0) != ONNX_FLOAT16 ||
            n->n_outputs != 1 || n->outputs[0] < 0 || n->outputs[0] >= uses.cap)
            continue;
        if (imp_value_private(&uses, n->outputs[0])) {
            const struct imp_node *r = &g->nodes[uses.reader[n->outputs[0]]];
            if (r->op == IMP_OP_CAST && imp_node_int(r, "to", 0) == ONNX_FLOAT)
                continue;
        }
        /* Cast(to fp16) -> "<out>/half" -> Cast(to fp32) -> out */
        int out = n->outputs[0];
        char name[512];
        snprintf(name, sizeof name, "%s/half", g->values[out].name);
        int half = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_F16,
                                       &g->values[out].shape);
        if (half < 0) {
            imp_value_uses_free(&uses);
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        }
        g->nodes[ni].outputs[0] = half;
        if (g->values[out].dtype == IMP_DTYPE_F16)
            g->values[out].dtype = IMP_DTYPE_F32;
        int widen = imp_graph_add_node(g, IMP_OP_CAST, name, 1, &half, 1, &out);
        if (widen < 0 || imp_node_set_int(g, widen, "to", ONNX_FLOAT) != IMP_OK) {
            imp_value_uses_free(&uses);
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        }
    }
    imp_value_uses_free(&uses);
    int n_inputs = g->n_inputs;
    for (int i = 0; i < n_inputs; i++) {
        int in = g->inputs[i];
        if (g->values[in].dtype != IMP_DTYPE_F16)
            continue;
        char name[512];
        snprintf(name, sizeof name, "%s/as_f32", g->values[in].name);
        int wide = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION,
                                       IMP_DTYPE_F32, &g->values[in].shape);
        if (wide < 0)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        n_nodes = g->n_nodes;
        for (int ni = 0; ni < n_nodes; ni++)
            for (int k = 0; k < g->nodes[ni].n_inputs; k++)
                if (g->nodes[ni].inputs[k] == in)
                    g->nodes[ni].inputs[k] = wide;
        for (int o = 0; o < g->n_outputs; o++)
            if (g->outputs[o] == in)
                g->outputs[o] = wide;
        int cast = imp_graph_add_node(g, IMP_OP_CAST, name, 1, &in, 1, &wide);
        if (cast < 0 || imp_node_set_int(g, cast, "to", ONNX_FLOAT) != IMP_OK)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    }
    return IMP_OK;
}
