/*
 * ONNX writer: imp_graph -> ModelProto bytes, without a protobuf library.
 * onnx_lower.c first turns the graph into standard nodes of one opset;
 * this file serialises the result. Constants that a node reads (or the
 * graph outputs) become initializers with raw_data, and so do kept
 * constants no node reads (a multi-style network's other styles, named by
 * its metadata, so ONNX tools carry them along); a constant only a
 * tensor attribute names is written inside that attribute. The metadata
 * becomes metadata_props, except "onnx.doc_string", which is the model's
 * doc_string again (see onnx_meta.c for the way back).
 */
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "formats/formats.h"
#include "formats/onnx_lower.h"
#include "formats/onnx_priv.h"
#include "formats/pb_write.h"

/* ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto and TypeProto field numbers (onnx.proto). */
enum { M_IR_VERSION = 1, M_PRODUCER_NAME = 2, M_PRODUCER_VERSION = 3, M_DOC_STRING = 6,
       M_GRAPH = 7, M_OPSET_IMPORT = 8, M_METADATA_PROPS = 14 };
enum { G_NODE = 1, G_NAME = 2, G_INITIALIZER = 5, G_INPUT = 11, G_OUTPUT = 12 };
enum { N_INPUT = 1, N_OUTPUT = 2, N_NAME = 3, N_OP_TYPE = 4, N_ATTRIBUTE = 5 };
enum { A_NAME = 1, A_F = 2, A_I = 3, A_S = 4, A_T = 5, A_FLOATS = 7, A_INTS = 8,
       A_TYPE = 20 };
enum { AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4, AT_FLOATS = 6,
       AT_INTS = 7 };
enum { T_DIMS = 1, T_DATA_TYPE = 2, T_NAME = 8, T_RAW_DATA = 9 };
enum { VI_NAME = 1, VI_TYPE = 2, TP_TENSOR = 1, TT_ELEM_TYPE = 1, TT_SHAPE = 2,
       SHAPE_DIM = 1, DIM_VALUE = 1 };

static int onnx_dtype(enum imp_dtype t)
{
    switch (t) {
    case IMP_DTYPE_F32: return 1;
    case IMP_DTYPE_U8: return 2;
    case IMP_DTYPE_I8: return 3;
    case IMP_DTYPE_I32: return 6;
    case IMP_DTYPE_I64: return 7;
    case IMP_DTYPE_BOOL: return 9;
    case IMP_DTYPE_F16: return 10;
    case IMP_DTYPE_F64: return 11;
    default: return 0;
    }
}

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* TensorProto of a constant, appended to w as field `field`. raw_data is
 * little-endian whatever the host. */
static void put_tensor(struct imp_pbw *w, uint32_t field, const struct imp_value *v)
{
    struct imp_pbw head = {0};
    for (int d = 0; d < v->shape.rank; d++)
        imp_pbw_int(&head, T_DIMS, v->shape.d[d]);
    imp_pbw_int(&head, T_DATA_TYPE, onnx_dtype(v->dtype));
    imp_pbw_string(&head, T_NAME, v->name);
    size_t esize = imp_dtype_size(v->dtype);
    if (host_is_little_endian() || esize < 2) {
        imp_pbw_message_tail(w, field, &head, T_RAW_DATA, v->data, v->nbytes);
    } else {
        uint8_t *le = malloc(v->nbytes + 1);
        if (!le) {
            w->oom = true;
        } else {
            memcpy(le, v->data, v->nbytes);
            for (size_t i = 0; i + esize <= v->nbytes; i += esize)
                for (size_t a = 0, b = esize - 1; a < b; a++, b--) {
                    uint8_t t = le[i + a];
                    le[i + a] = le[i + b];
                    le[i + b] = t;
                }
            imp_pbw_message_tail(w, field, &head, T_RAW_DATA, le, v->nbytes);
            free(le);
        }
    }
    imp_pbw_release(&head);
}

static void put_attr(struct imp_pbw *w, const struct imp_graph *g, const struct imp_attr *a)
{
    struct imp_pbw m = {0};
    imp_pbw_string(&m, A_NAME, a->name);
    switch (a->type) {
    case IMP_ATTR_INT:
        imp_pbw_int(&m, A_I, a->i);
        imp_pbw_int(&m, A_TYPE, AT_INT);
        break;
    case IMP_ATTR_FLOAT:
        imp_pbw_float(&m, A_F, a->f);
        imp_pbw_int(&m, A_TYPE, AT_FLOAT);
        break;
    case IMP_ATTR_STRING:
        imp_pbw_string(&m, A_S, a->s);
        imp_pbw_int(&m, A_TYPE, AT_STRING);
        break;
    case IMP_ATTR_INTS:
        for (int i = 0; i < a->n; i++)
            imp_pbw_int(&m, A_INTS, a->ints[i]);
        imp_pbw_int(&m, A_TYPE, AT_INTS);
        break;
    case IMP_ATTR_FLOATS:
        for (int i = 0; i < a->n; i++)
            imp_pbw_float(&m, A_FLOATS, a->floats[i]);
        imp_pbw_int(&m, A_TYPE, AT_FLOATS);
        break;
    case IMP_ATTR_TENSOR:
        put_tensor(&m, A_T, &g->values[a->i]);
        imp_pbw_int(&m, A_TYPE, AT_TENSOR);
        break;
    }
    imp_pbw_message(w, N_ATTRIBUTE, &m);
    imp_pbw_release(&m);
}

static void put_node(struct imp_pbw *w, const struct imp_graph *g, const struct imp_node *n)
{
    struct imp_pbw m = {0};
    for (int k = 0; k < n->n_inputs; k++)
        imp_pbw_string(&m, N_INPUT, n->inputs[k] >= 0 ? g->values[n->inputs[k]].name : "");
    for (int k = 0; k < n->n_outputs; k++)
        imp_pbw_string(&m, N_OUTPUT, g->values[n->outputs[k]].name);
    imp_pbw_string(&m, N_NAME, n->name);
    imp_pbw_string(&m, N_OP_TYPE, imp_op_name(n->op));
    for (int k = 0; k < n->n_attrs; k++)
        put_attr(&m, g, &n->attrs[k]);
    imp_pbw_message(w, G_NODE, &m);
    imp_pbw_release(&m);
}

/* Dims ONNX readers (ours included: onnx_priv.h) accept: none above 2^40
 * and no product of the non-zero ones above 2^40. */
static bool dims_fit(const struct imp_shape *s)
{
    int64_t product = 1;
    for (int d = 0; d < s->rank; d++) {
        int64_t v = s->d[d];
        if (v > IMP_ONNX_MAX_DIM)
            return false;
        if (v > 0) {
            if (product > IMP_ONNX_MAX_ELEMS / v)
                return false;
            product *= v;
        }
    }
    return true;
}

/* ValueInfoProto: the element type and the dims, when the graph knows
 * them (an activation of undefined type has no known shape either). Open
 * dims are written as dimensions with neither a value nor a name. */
static void put_value_info(struct imp_pbw *w, uint32_t field, const struct imp_value *v)
{
    struct imp_pbw tensor = {0}, type = {0}, vi = {0};
    if (onnx_dtype(v->dtype))
        imp_pbw_int(&tensor, TT_ELEM_TYPE, onnx_dtype(v->dtype));
    if (v->kind != IMP_VALUE_ACTIVATION || onnx_dtype(v->dtype)) {
        struct imp_pbw shape = {0};
        /* An output declared beyond the limits (it never is at run time)
         * is written with open dims. */
        bool fit = dims_fit(&v->shape);
        for (int d = 0; d < v->shape.rank; d++) {
            struct imp_pbw dim = {0};
            if (v->shape.d[d] >= 0 && fit)
                imp_pbw_int(&dim, DIM_VALUE, v->shape.d[d]);
            imp_pbw_message(&shape, SHAPE_DIM, &dim);
            imp_pbw_release(&dim);
        }
        imp_pbw_message(&tensor, TT_SHAPE, &shape);
        imp_pbw_release(&shape);
    }
    imp_pbw_message(&type, TP_TENSOR, &tensor);
    imp_pbw_string(&vi, VI_NAME, v->name);
    imp_pbw_message(&vi, VI_TYPE, &type);
    imp_pbw_message(w, field, &vi);
    imp_pbw_release(&tensor);
    imp_pbw_release(&type);
    imp_pbw_release(&vi);
}

static void put_graph(struct imp_pbw *w, const struct imp_graph *o, const bool *initializer)
{
    for (int i = 0; i < o->n_nodes; i++)
        put_node(w, o, &o->nodes[i]);
    imp_pbw_string(w, G_NAME, "impasto");
    for (int i = 0; i < o->n_values; i++)
        if (initializer[i])
            put_tensor(w, G_INITIALIZER, &o->values[i]);
    for (int i = 0; i < o->n_inputs; i++)
        put_value_info(w, G_INPUT, &o->values[o->inputs[i]]);
    for (int i = 0; i < o->n_outputs; i++)
        put_value_info(w, G_OUTPUT, &o->values[o->outputs[i]]);
}

static void put_model(struct imp_pbw *w, const struct imp_pbw *graph,
                      const struct imp_metadata *meta)
{
    imp_pbw_int(w, M_IR_VERSION, IMP_ONNX_WRITE_IR);
    imp_pbw_string(w, M_PRODUCER_NAME, "impasto");
    imp_pbw_string(w, M_PRODUCER_VERSION, IMP_ONNX_PRODUCER_VERSION);
    /* An empty doc_string reads back as none: that one stays a prop. */
    const char *doc = imp_metadata_find(meta, "onnx.doc_string");
    bool doc_field = doc && doc[0];
    if (doc_field)
        imp_pbw_string(w, M_DOC_STRING, doc);
    imp_pbw_message(w, M_GRAPH, graph);
    struct imp_pbw opset = {0};
    imp_pbw_string(&opset, 1, "");
    imp_pbw_int(&opset, 2, IMP_ONNX_WRITE_OPSET);
    imp_pbw_message(w, M_OPSET_IMPORT, &opset);
    imp_pbw_release(&opset);
    for (int i = 0; i < meta->n; i++) {
        if (doc_field && strcmp(meta->entries[i].key, "onnx.doc_string") == 0)
            continue;
        struct imp_pbw prop = {0};
        imp_pbw_string(&prop, 1, meta->entries[i].key);
        imp_pbw_string(&prop, 2, meta->entries[i].value);
        imp_pbw_message(w, M_METADATA_PROPS, &prop);
        imp_pbw_release(&prop);
    }
}

static enum imp_status check_metadata(const struct imp_metadata *m, struct imp_error *err)
{
    for (int i = 0; i < m->n; i++) {
        const struct imp_meta_entry *e = &m->entries[i];
        const char *why = imp_metadata_check(e->key, strlen(e->key), true);
        if (!why)
            why = imp_metadata_check(e->value, strlen(e->value), false);
        for (int j = 0; j < i && !why; j++)
            if (strcmp(m->entries[j].key, e->key) == 0)
                why = "the key appears twice";
        if (why)
            return imp_fail(err, IMP_ERR_ARGUMENT, "onnx: cannot write metadata entry %d: %s",
                            i, why);
    }
    return IMP_OK;
}

enum imp_status imp_onnx_write(const struct imp_graph *g, uint8_t **data, size_t *size,
                               struct imp_error *err)
{
    if (!g || !data || !size)
        return imp_fail(err, IMP_ERR_ARGUMENT, "onnx: null argument");
    *data = NULL;
    *size = 0;
    enum imp_status st = check_metadata(&g->meta, err);
    if (st != IMP_OK)
        return st;
    for (int i = 0; i < g->n_values; i++) {
        const struct imp_value *v = &g->values[i];
        if (v->kind == IMP_VALUE_CONST && !onnx_dtype(v->dtype))
            return imp_fail(err, IMP_ERR_ARGUMENT, "onnx: constant '%.100s' has no type",
                            v->name);
        if (v->kind != IMP_VALUE_ACTIVATION && !dims_fit(&v->shape))
            return imp_fail(err, IMP_ERR_UNSUPPORTED,
                            "onnx: cannot write '%.100s': a dim above 2^40 or more than "
                            "2^40 elements", v->name);
    }
    struct imp_graph o;
    st = imp_onnx_lower(g, &o, err);
    if (st != IMP_OK)
        return st;
    bool *initializer = calloc((size_t)o.n_values + 1, sizeof *initializer);
    if (!initializer) {
        imp_graph_release(&o);
        return imp_fail(err, IMP_ERR_NOMEM, "onnx: out of memory");
    }
    for (int ni = 0; ni < o.n_nodes; ni++)
        for (int k = 0; k < o.nodes[ni].n_inputs; k++)
            if (o.nodes[ni].inputs[k] >= 0)
                initializer[o.nodes[ni].inputs[k]] = true;
    for (int i = 0; i < o.n_outputs; i++)
        initializer[o.outputs[i]] = true;
    for (int i = 0; i < o.n_values; i++)
        initializer[i] = (initializer[i] || o.values[i].kept) &&
                         o.values[i].kind == IMP_VALUE_CONST;

    struct imp_pbw graph = {0}, model = {0};
    put_graph(&graph, &o, initializer);
    put_model(&model, &graph, &g->meta);
    imp_pbw_release(&graph);
    free(initializer);
    imp_graph_release(&o);
    if (model.oom) {
        imp_pbw_release(&model);
        return imp_fail(err, IMP_ERR_NOMEM, "onnx: out of memory");
    }
    *data = model.p;
    *size = model.n;
    return IMP_OK;
}
