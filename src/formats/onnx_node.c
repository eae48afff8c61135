/*
 * ONNX NodeProto and AttributeProto: operator lookup, attributes, Constant
 * nodes folded into constants, Dropout dropped, and the legacy-opset
 * normalisations the operator implementations expect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "formats/onnx_priv.h"

/* NodeProto and AttributeProto field numbers (onnx.proto). */
enum { N_INPUT = 1, N_OUTPUT = 2, N_NAME = 3, N_OP_TYPE = 4, N_ATTRIBUTE = 5,
       N_DOMAIN = 7 };
enum { A_NAME = 1, A_F = 2, A_I = 3, A_S = 4, A_T = 5, A_G = 6, A_FLOATS = 7,
       A_INTS = 8, A_STRINGS = 9, A_TENSORS = 10, A_GRAPHS = 11, A_TP = 14,
       A_TPS = 15, A_TYPE = 20, A_REF_ATTR = 21, A_SPARSE = 22,
       A_SPARSES = 23 };
/* AttributeProto.AttributeType */
enum { AT_FLOAT = 1, AT_INT, AT_STRING, AT_TENSOR, AT_GRAPH, AT_FLOATS,
       AT_INTS, AT_STRINGS, AT_TENSORS, AT_GRAPHS, AT_SPARSE_TENSOR,
       AT_SPARSE_TENSORS, AT_TYPE_PROTO, AT_TYPE_PROTOS, AT_COUNT };

/* Dropout is an identity at inference; its mask output is not computed. */
#define OP_DROPOUT (-2)
/* Far more than any operator has; attribute lookup is linear, so an
 * unbounded count would make a hostile node cost quadratic time. */
#define MAX_ATTRS 1024

#define BYTES_ARG(b) (int)((b).n > 100 ? 100 : (b).n), \
                     ((b).p ? (const char *)(b).p : "")

static const char *attr_type_name(int32_t t)
{
    static const char *const names[AT_COUNT] = {
        "UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS",
        "INTS", "STRINGS", "TENSORS", "GRAPHS", "SPARSE_TENSOR",
        "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"};
    return t >= 0 && t < AT_COUNT ? names[t] : "unknown";
}

/* ---- NodeProto header -------------------------------------------------- */

struct node_hdr {
    struct imp_pb pb; /* over the NodeProto, for the later scans */
    char *name, *op_type, *domain;
    struct imp_pb_bytes first_out;
    int n_in, n_out, n_attrs;
    char label[200]; /* "node 'conv1' (Conv)" for messages */
};

static void hdr_release(struct node_hdr *h)
{
    free(h->name);
    free(h->op_type);
    free(h->domain);
    h->name = h->op_type = h->domain = NULL;
}

/* Name, operator, domain and I/O counts of a node; errors say "node #i". */
static enum imp_status read_header(struct imp_onnx_reader *r,
                                   struct imp_pb *graph,
                                   const struct imp_pb_field *field, int index,
                                   struct node_hdr *h)
{
    memset(h, 0, sizeof *h);
    enum imp_status st = imp_pb_enter(graph, field, &h->pb);
    struct imp_pb p = h->pb;
    struct imp_pb_field f;
    struct imp_pb_bytes b, name = {0}, op = {0}, domain = {0};
    size_t name_at = field->offset, op_at = field->offset,
           domain_at = field->offset;
    while (st == IMP_OK && imp_pb_next(&p, &f)) {
        switch (f.number) {
        case N_INPUT:
        case N_OUTPUT:
            st = imp_pb_bytes(&p, &f, &b);
            if (st != IMP_OK)
                break;
            if (h->n_in == INT32_MAX / 2 || h->n_out == INT32_MAX / 2) {
                st = imp_pb_fail(&p, IMP_ERR_FORMAT, "too many inputs/outputs");
                break;
            }
            if (f.number == N_INPUT) {
                h->n_in++;
            } else if (h->n_out++ == 0) {
                h->first_out = b;
            }
            break;
        case N_NAME:
            st = imp_pb_bytes(&p, &f, &name);
            name_at = f.offset;
            break;
        case N_ATTRIBUTE:
            if (++h->n_attrs > MAX_ATTRS)
                st = imp_pb_fail(&p, IMP_ERR_UNSUPPORTED,
                                 "byte %zu: more than %d attributes", f.offset,
                                 MAX_ATTRS);
            break;
        case N_OP_TYPE:
            st = imp_pb_bytes(&p, &f, &op);
            op_at = f.offset;
            break;
        case N_DOMAIN:
            st = imp_pb_bytes(&p, &f, &domain);
            domain_at = f.offset;
            break;
        default: break;
        }
    }
    if (st == IMP_OK)
        st = p.status;
    if (st == IMP_OK)
        st = imp_onnx_cstr(&p, &name, name_at, &h->name);
    if (st == IMP_OK)
        st = imp_onnx_cstr(&p, &op, op_at, &h->op_type);
    if (st == IMP_OK)
        st = imp_onnx_cstr(&p, &domain, domain_at, &h->domain);
    if (st != IMP_OK) {
        hdr_release(h);
        imp_error_prefix(r->err, "node #%d", index);
        return st;
    }
    if (h->name[0])
        snprintf(h->label, sizeof h->label, "node '%.100s' (%.60s)", h->name,
                 h->op_type);
    else if (h->first_out.n)
        snprintf(h->label, sizeof h->label, "node #%d -> '%.*s' (%.60s)", index,
                 BYTES_ARG(h->first_out), h->op_type);
    else
        snprintf(h->label, sizeof h->label, "node #%d (%.60s)", index,
                 h->op_type);
    return IMP_OK;
}

/* ---- AttributeProto ---------------------------------------------------- */

struct attr {
    struct imp_pb pb; /* over the AttributeProto (for the tensor) */
    char *name;
    int32_t type;
    float f;
    int64_t i;
    struct imp_pb_bytes s;
    size_t s_at;
    bool has_t;
    struct imp_pb_field t;
    int n;
    int64_t *ints;
    float *floats;
};

static void attr_release(struct attr *a)
{
    free(a->name);
    free(a->ints);
    free(a->floats);
    a->name = NULL;
    a->ints = NULL;
    a->floats = NULL;
}

/* Decode the list field `number` (every chunk, in order) into dst. */
static enum imp_status read_list(struct imp_pb p, uint32_t number,
                                 enum imp_pb_wire kind, void *dst, size_t count)
{
    struct imp_pb_field f;
    size_t done = 0, got;
    enum imp_status st = IMP_OK;
    size_t esize = kind == IMP_PB_FIXED32 ? 4 : 8;
    while (st == IMP_OK && imp_pb_next(&p, &f)) {
        if (f.number != number)
            continue;
        st = imp_pb_decode(&p, &f, kind, (uint8_t *)dst + done * esize,
                           count - done, &got);
        done += got;
    }
    return st != IMP_OK ? st : p.status;
}

/* Parse one attribute. Its kind comes from the type field; only files
 * that omit it (very old exporters) get it guessed from the one value
 * field that is present. */
static enum imp_status read_attr(struct imp_pb *node,
                                 const struct imp_pb_field *field,
                                 struct attr *a)
{
    memset(a, 0, sizeof *a);
    enum imp_status st = imp_pb_enter(node, field, &a->pb);
    struct imp_pb p = a->pb;
    struct imp_pb_field f;
    struct imp_pb_bytes name = {0};
    size_t name_at = field->offset, n_floats = 0, n_ints = 0, n;
    unsigned present = 0; /* bit per AttributeType seen */
    bool ref = false;
    while (st == IMP_OK && imp_pb_next(&p, &f)) {
        switch (f.number) {
        case A_NAME:
            st = imp_pb_bytes(&p, &f, &name);
            name_at = f.offset;
            break;
        case A_TYPE: st = imp_pb_int32(&p, &f, &a->type); break;
        case A_F:
            st = imp_pb_float(&p, &f, &a->f);
            present |= 1u << AT_FLOAT;
            break;
        case A_I:
            st = imp_pb_int64(&p, &f, &a->i);
            present |= 1u << AT_INT;
            break;
        case A_S:
            st = imp_pb_bytes(&p, &f, &a->s);
            a->s_at = f.offset;
            present |= 1u << AT_STRING;
            break;
        case A_T:
            a->t = f;
            a->has_t = true;
            present |= 1u << AT_TENSOR;
            break;
        case A_G: present |= 1u << AT_GRAPH; break;
        case A_FLOATS:
            st = imp_pb_count(&p, &f, IMP_PB_FIXED32, &n);
            n_floats += n;
            present |= 1u << AT_FLOATS;
            break;
        case A_INTS:
            st = imp_pb_count(&p, &f, IMP_PB_VARINT, &n);
            n_ints += n;
            present |= 1u << AT_INTS;
            break;
        case A_STRINGS: present |= 1u << AT_STRINGS; break;
        case A_TENSORS: present |= 1u << AT_TENSORS; break;
        case A_GRAPHS: present |= 1u << AT_GRAPHS; break;
        case A_SPARSE: present |= 1u << AT_SPARSE_TENSOR; break;
        case A_SPARSES: present |= 1u << AT_SPARSE_TENSORS; break;
        case A_TP: present |= 1u << AT_TYPE_PROTO; break;
        case A_TPS: present |= 1u << AT_TYPE_PROTOS; break;
        case A_REF_ATTR: ref = true; break;
        default: break;
        }
    }
    if (st == IMP_OK)
        st = p.status;
    if (st == IMP_OK)
        st = imp_onnx_cstr(&p, &name, name_at, &a->name);
    if (st != IMP_OK)
        return st;
    if (!a->name[0])
        return imp_pb_fail(&p, IMP_ERR_FORMAT, "byte %zu: attribute has no name",
                           field->offset);
    if (ref)
        return imp_pb_fail(&p, IMP_ERR_UNSUPPORTED,
                           "attribute '%.100s' refers to a function attribute; "
                           "functions are not supported", a->name);
    if (a->type == 0) {
        for (int t = 1; t < AT_COUNT && present; t++)
            if (present == 1u << t)
                a->type = t;
        if (a->type == 0)
            return imp_pb_fail(&p, IMP_ERR_FORMAT,
                               "attribute '%.100s' has no type", a->name);
    }
    if (a->type < 0 || a->type >= AT_COUNT)
        return imp_pb_fail(&p, IMP_ERR_FORMAT,
                           "attribute '%.100s' has unknown type %d", a->name,
                           (int)a->type);
    size_t count = a->type == AT_INTS ? n_ints :
                   a->type == AT_FLOATS ? n_floats : 0;
    if (count > INT32_MAX / 8)
        return imp_pb_fail(&p, IMP_ERR_FORMAT, "attribute '%.100s' is too long",
                           a->name);
    if (a->type == AT_INTS) {
        a->ints = malloc(sizeof *a->ints * (count ? count : 1));
        if (!a->ints)
            return imp_pb_fail(&p, IMP_ERR_NOMEM, "out of memory");
        st = read_list(a->pb, A_INTS, IMP_PB_VARINT, a->ints, count);
    } else if (a->type == AT_FLOATS) {
        a->floats = malloc(sizeof *a->floats * (count ? count : 1));
        if (!a->floats)
            return imp_pb_fail(&p, IMP_ERR_NOMEM, "out of memory");
        st = read_list(a->pb, A_FLOATS, IMP_PB_FIXED32, a->floats, count);
    }
    a->n = (int)count;
    return st;
}

/* The tensor of a TENSOR attribute as a new constant value (not named in
 * the graph's namespace). */
static enum imp_status attr_tensor(struct imp_onnx_reader *r, struct attr *a,
                                   const char *value_name, int *value)
{
    if (!a->has_t)
        return imp_fail(r->err, IMP_ERR_FORMAT,
                        "attribute '%.100s' (TENSOR) has no tensor", a->name);
    struct imp_onnx_tensor t;
    enum imp_status st = imp_onnx_read_tensor(&a->pb, &a->t, &t);
    if (st != IMP_OK) {
        imp_onnx_tensor_release(&t);
        imp_error_prefix(r->err, "attribute '%.100s'", a->name);
        return st;
    }
    *value = imp_graph_add_const_owned(r->g, value_name, t.dtype, &t.shape,
                                       t.data);
    t.data = NULL;
    imp_onnx_tensor_release(&t);
    return *value < 0 ? imp_fail(r->err, IMP_ERR_NOMEM, "out of memory") : IMP_OK;
}

/* ---- Constant nodes ---------------------------------------------------- */

static bool is_name(const struct attr *a, const char *name)
{
    return strcmp(a->name, name) == 0;
}

static enum imp_status want_type(struct imp_onnx_reader *r,
                                 const struct attr *a, int32_t type)
{
    if (a->type == type)
        return IMP_OK;
    return imp_fail(r->err, IMP_ERR_FORMAT, "attribute '%.100s' is %s, expected %s",
                    a->name, attr_type_name(a->type), attr_type_name(type));
}

/* A scalar or 1-D constant from a value_float(s) / value_int(s). */
static enum imp_status list_const(struct imp_onnx_reader *r, const char *name,
                                  enum imp_dtype dtype, int rank, int n,
                                  const void *src, int *value)
{
    int64_t dim = n;
    struct imp_shape shape = imp_shape_make(rank, &dim);
    *value = imp_graph_add_const(r->g, name, dtype, &shape, src);
    return *value < 0 ? imp_fail(r->err, IMP_ERR_NOMEM, "out of memory") : IMP_OK;
}

static enum imp_status fold_constant(struct imp_onnx_reader *r,
                                     struct node_hdr *h, int *value)
{
    if (h->n_out != 1 || h->first_out.n == 0)
        return imp_fail(r->err, IMP_ERR_FORMAT, "needs exactly one named output");
    if (imp_onnx_find(r, h->first_out.p, h->first_out.n) >= 0)
        return imp_fail(r->err, IMP_ERR_FORMAT, "output '%.*s' is already defined",
                        BYTES_ARG(h->first_out));
    char *name;
    struct imp_pb p = h->pb;
    enum imp_status st = imp_onnx_cstr(&p, &h->first_out, h->pb.pos, &name);
    if (st != IMP_OK)
        return st;
    struct imp_pb_field f;
    int found = 0;
    *value = -1;
    while (st == IMP_OK && imp_pb_next(&p, &f)) {
        if (f.number != N_ATTRIBUTE)
            continue;
        struct attr a;
        st = read_attr(&p, &f, &a);
        if (st == IMP_OK && found && (is_name(&a, "value") ||
                                      strncmp(a.name, "value_", 6) == 0 ||
                                      is_name(&a, "sparse_value")))
            st = imp_fail(r->err, IMP_ERR_FORMAT,
                          "more than one value attribute ('%.100s')", a.name);
        if (st != IMP_OK) {
        } else if (is_name(&a, "value")) {
            st = want_type(r, &a, AT_TENSOR);
            if (st == IMP_OK)
                st = attr_tensor(r, &a, name, value);
            found++;
        } else if (is_name(&a, "value_float") || is_name(&a, "value_int")) {
            bool fl = is_name(&a, "value_float");
            st = want_type(r, &a, fl ? AT_FLOAT : AT_INT);
            if (st == IMP_OK)
                st = list_const(r, name, fl ? IMP_DTYPE_F32 : IMP_DTYPE_I64, 0,
                                1, fl ? (const void *)&a.f : (const void *)&a.i,
                                value);
            found++;
        } else if (is_name(&a, "value_floats") || is_name(&a, "value_ints")) {
            bool fl = is_name(&a, "value_floats");
            st = want_type(r, &a, fl ? AT_FLOATS : AT_INTS);
            if (st == IMP_OK)
                st = list_const(r, name, fl ? IMP_DTYPE_F32 : IMP_DTYPE_I64, 1,
                                a.n, fl ? (const void *)a.floats :
                                          (const void *)a.ints, value);
            found++;
        } else if (strncmp(a.name, "value_", 6) == 0 ||
                   is_name(&a, "sparse_value")) {
            st = imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                          "attribute '%.100s' is not supported", a.name);
        }
        attr_release(&a);
    }
    if (st == IMP_OK)
        st = p.status;
    if (st == IMP_OK && !found)
        st = imp_fail(r->err, IMP_ERR_FORMAT, "no value attribute");
    if (st == IMP_OK)
        st = imp_onnx_bind(r, *value);
    free(name);
    return st;
}

/* ---- pass 1: operators and outputs ------------------------------------ */

static bool push_out(struct imp_onnx_reader *r, int v)
{
    if (!IMP_GROW(r->outs, r->n_outs, r->cap_outs))
        return false;
    r->outs[r->n_outs++] = v;
    return true;
}

static enum imp_status declare_outputs(struct imp_onnx_reader *r,
                                       struct node_hdr *h,
                                       struct imp_onnx_node *info)
{
    struct imp_pb p = h->pb;
    struct imp_pb_field f;
    struct imp_pb_bytes b;
    enum imp_status st = IMP_OK;
    int k = 0;
    while (st == IMP_OK && imp_pb_next(&p, &f)) {
        if (f.number != N_OUTPUT)
            continue;
        st = imp_pb_bytes(&p, &f, &b);
        if (st != IMP_OK)
            break;
        bool mask = info->op == OP_DROPOUT && k++ > 0;
        if (b.n == 0) {
            /* An omitted optional output: anonymous unless trailing. */
            if (!mask && !push_out(r, -1))
                return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
            continue;
        }
        if (imp_onnx_find(r, b.p, b.n) >= 0)
            return imp_fail(r->err, IMP_ERR_FORMAT,
                            "output '%.*s' is already defined", BYTES_ARG(b));
        char *name;
        st = imp_onnx_cstr(&p, &b, f.offset, &name);
        if (st != IMP_OK)
            break;
        int v = imp_graph_add_value(r->g, name, IMP_VALUE_ACTIVATION,
                                    IMP_DTYPE_UNDEFINED, NULL);
        free(name);
        if (v < 0 || imp_onnx_bind(r, v) != IMP_OK ||
            (mask && imp_onnx_set_flag(r, v, IMP_ONNX_DROPPED) != IMP_OK) ||
            (!mask && !push_out(r, v)))
            return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
    }
    if (st == IMP_OK)
        st = p.status;
    if (st != IMP_OK)
        return st;
    while (r->n_outs > info->out_start && r->outs[r->n_outs - 1] < 0)
        r->n_outs--;
    info->n_out = r->n_outs - info->out_start;
    if (info->n_out == 0)
        return imp_fail(r->err, IMP_ERR_FORMAT, "no named outputs");
    for (int i = info->out_start; i < r->n_outs; i++) {
        if (r->outs[i] >= 0)
            continue;
        r->outs[i] = imp_graph_add_value(r->g, "", IMP_VALUE_ACTIVATION,
                                         IMP_DTYPE_UNDEFINED, NULL);
        if (r->outs[i] < 0)
            return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
    }
    return IMP_OK;
}

enum imp_status imp_onnx_declare_node(struct imp_onnx_reader *r,
                                      struct imp_pb *graph,
                                      const struct imp_pb_field *field,
                                      int index)
{
    struct node_hdr h;
    enum imp_status st = read_header(r, graph, field, index, &h);
    if (st != IMP_OK)
        return st;
    if (!IMP_GROW(r->nodes, r->n_nodes, r->cap_nodes)) {
        hdr_release(&h);
        return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
    }
    struct imp_onnx_node *info = &r->nodes[r->n_nodes++];
    info->op = IMP_ONNX_FOLDED;
    info->out_start = r->n_outs;
    info->n_out = 0;
    if (h.domain[0] && strcmp(h.domain, "ai.onnx") != 0) {
        st = imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                      "domain '%.100s' is not supported", h.domain);
    } else if (!h.op_type[0]) {
        st = imp_fail(r->err, IMP_ERR_FORMAT, "no op_type");
    } else if (strcmp(h.op_type, "Constant") == 0) {
        int v;
        st = fold_constant(r, &h, &v);
    } else {
        if (strcmp(h.op_type, "Dropout") == 0)
            info->op = OP_DROPOUT;
        else
            info->op = (int)imp_op_from_name(h.op_type);
        if (info->op == IMP_OP_COUNT)
            st = imp_fail(r->err, IMP_ERR_UNSUPPORTED, "operator not supported");
        else
            st = declare_outputs(r, &h, info);
    }
    if (st != IMP_OK)
        imp_error_prefix(r->err, "%s", h.label);
    hdr_release(&h);
    return st;
}

/* ---- pass 2: inputs, attributes, normalisation ------------------------ */

static enum imp_status resolve_inputs(struct imp_onnx_reader *r,
                                      struct node_hdr *h)
{
    if (r->cap_ins < h->n_in + 1) {
        int *grown = realloc(r->ins, sizeof *grown * (size_t)(h->n_in + 1));
        if (!grown)
            return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
        r->ins = grown;
        r->cap_ins = h->n_in + 1;
    }
    struct imp_pb p = h->pb;
    struct imp_pb_field f;
    struct imp_pb_bytes b;
    int k = 0;
    while (imp_pb_next(&p, &f)) {
        if (f.number != N_INPUT || k == h->n_in)
            continue;
        if (imp_pb_bytes(&p, &f, &b) != IMP_OK)
            return p.status;
        int v = -1;
        if (b.n) {
            v = imp_onnx_find(r, b.p, b.n);
            if (v < 0)
                return imp_fail(r->err, IMP_ERR_FORMAT,
                                "input '%.*s' is not defined by any initializer, "
                                "graph input or node", BYTES_ARG(b));
            if (imp_onnx_has_flag(r, v, IMP_ONNX_DROPPED))
                return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                                "input '%.*s' is the mask output of a Dropout, "
                                "which is not computed", BYTES_ARG(b));
        }
        r->ins[k++] = v;
    }
    return p.status;
}

static enum imp_status apply_attr(struct imp_onnx_reader *r, int node,
                                  struct attr *a)
{
    struct imp_graph *g = r->g;
    if (imp_node_attr(&g->nodes[node], a->name))
        return imp_fail(r->err, IMP_ERR_FORMAT, "attribute '%.100s' is given twice",
                        a->name);
    enum imp_status st;
    switch (a->type) {
    case AT_FLOAT: st = imp_node_set_float(g, node, a->name, a->f); break;
    case AT_INT: st = imp_node_set_int(g, node, a->name, a->i); break;
    case AT_FLOATS: st = imp_node_set_floats(g, node, a->name, a->floats, a->n); break;
    case AT_INTS: st = imp_node_set_ints(g, node, a->name, a->ints, a->n); break;
    case AT_STRING: {
        char *s;
        st = imp_onnx_cstr(&a->pb, &a->s, a->s_at, &s);
        if (st != IMP_OK)
            return st;
        st = imp_node_set_string(g, node, a->name, s);
        free(s);
        break;
    }
    case AT_TENSOR: {
        char name[300];
        snprintf(name, sizeof name, "%.200s/%.90s", g->nodes[node].name, a->name);
        int v;
        st = attr_tensor(r, a, name, &v);
        if (st != IMP_OK)
            return st;
        st = imp_node_set_tensor(g, node, a->name, v);
        break;
    }
    case AT_GRAPH:
    case AT_GRAPHS:
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                        "attribute '%.100s' is a subgraph (%s); subgraphs are not "
                        "supported", a->name, attr_type_name(a->type));
    default:
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                        "attribute '%.100s' has type %s, which is not supported",
                        a->name, attr_type_name(a->type));
    }
    return st == IMP_OK ? IMP_OK : imp_fail(r->err, st, "out of memory");
}

static enum imp_status read_attrs(struct imp_onnx_reader *r, struct node_hdr *h,
                                  int node)
{
    struct imp_pb p = h->pb;
    struct imp_pb_field f;
    enum imp_status st = IMP_OK;
    while (st == IMP_OK && imp_pb_next(&p, &f)) {
        if (f.number != N_ATTRIBUTE)
            continue;
        struct attr a;
        st = read_attr(&p, &f, &a);
        if (st == IMP_OK)
            st = apply_attr(r, node, &a);
        attr_release(&a);
    }
    return st != IMP_OK ? st : p.status;
}

/* Older opsets spelled some operators differently; rewrite them to the
 * form the operator implementations read (see the brief's list). */
static enum imp_status normalise(struct imp_onnx_reader *r, int node)
{
    struct imp_graph *g = r->g;
    const struct imp_node *n = &g->nodes[node];
    enum imp_status st = IMP_OK;
    if (n->op == IMP_OP_SOFTMAX && r->opset < 13) {
        st = imp_node_set_int(g, node, "coerce_2d", 1);
    } else if (n->op == IMP_OP_CONSTANT_OF_SHAPE) {
        /* The fill value becomes input 1 (see ops/shape.c). */
        const struct imp_attr *value = imp_node_attr(n, "value");
        if (value && value->type == IMP_ATTR_TENSOR && n->n_inputs == 1) {
            int *grown = realloc(g->nodes[node].inputs, sizeof(int) * 2);
            if (!grown)
                return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
            grown[1] = (int)value->i;
            g->nodes[node].inputs = grown;
            g->nodes[node].n_inputs = 2;
        }
    }
    return st == IMP_OK ? IMP_OK : imp_fail(r->err, st, "out of memory");
}

enum imp_status imp_onnx_build_node(struct imp_onnx_reader *r,
                                    struct imp_pb *graph,
                                    const struct imp_pb_field *field, int index)
{
    const struct imp_onnx_node info = r->nodes[index];
    if (info.op == IMP_ONNX_FOLDED)
        return IMP_OK;
    struct node_hdr h;
    enum imp_status st = read_header(r, graph, field, index, &h);
    if (st != IMP_OK)
        return st;
    st = resolve_inputs(r, &h);
    int n_in = h.n_in;
    enum imp_op op =
        info.op == OP_DROPOUT ? IMP_OP_IDENTITY : (enum imp_op)info.op;
    if (st == IMP_OK && info.op == OP_DROPOUT) {
        /* ratio and training_mode only matter when training. */
        if (n_in < 1 || r->ins[0] < 0)
            st = imp_fail(r->err, IMP_ERR_FORMAT, "no data input");
        n_in = 1;
    }
    if (st == IMP_OK && op == IMP_OP_RESIZE && r->opset < 11) {
        /* Resize-10 is Upsample-9 renamed: the same (X, scales) inputs, the
         * same asymmetric coordinates and ONNX Runtime's same legacy
         * nearest rounding (floor when enlarging, ceil when shrinking),
         * which no Resize-11 nearest_mode reproduces. */
        op = IMP_OP_UPSAMPLE;
    }
    int node = -1;
    if (st == IMP_OK) {
        const char *name = h.name[0] ? h.name :
                           r->g->values[r->outs[info.out_start]].name;
        node = imp_graph_add_node(r->g, op, name, n_in, r->ins, info.n_out,
                                  r->outs + info.out_start);
        if (node < 0)
            st = imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
    }
    if (st == IMP_OK && info.op != OP_DROPOUT)
        st = read_attrs(r, &h, node);
    if (st == IMP_OK)
        st = normalise(r, node);
    if (st == IMP_OK && r->opset < 7)
        st = imp_onnx_legacy_node(r, node);
    if (st != IMP_OK)
        imp_error_prefix(r->err, "%s", h.label);
    hdr_release(&h);
    return st;
}
