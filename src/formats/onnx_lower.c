/*
 * impasto graph -> standard ONNX nodes (see onnx_lower.h): unique value and
 * node names, emitting nodes and constants, and the graph around the
 * per-operator rewrites of onnx_lower_ops.c. Each source node becomes one
 * or more nodes; the first keeps the source node's name, the ones added
 * after it get "<name>/<Op>", and a name already taken gets "_N".
 */
#include "formats/onnx_lower_priv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* ---- unique names ---------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return h ^ (h >> 29);
}

static bool name_taken(const struct lower *l, const char *name)
{
    if (!l->cap)
        return false;
    for (size_t i = hash_str(name) & (l->cap - 1);; i = (i + 1) & (l->cap - 1)) {
        if (l->slots[i] < 0)
            return false;
        if (strcmp(l->o->values[l->slots[i]].name, name) == 0)
            return true;
    }
}

static bool name_claim(struct lower *l, int v)
{
    if ((l->used + 1) * 2 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        int *slots = malloc(sizeof *slots * cap);
        if (!slots)
            return false;
        for (size_t i = 0; i < cap; i++)
            slots[i] = -1;
        for (size_t k = 0; k < l->cap; k++) {
            int w = l->slots[k];
            if (w < 0)
                continue;
            size_t i = hash_str(l->o->values[w].name) & (cap - 1);
            while (slots[i] >= 0)
                i = (i + 1) & (cap - 1);
            slots[i] = w;
        }
        free(l->slots);
        l->slots = slots;
        l->cap = cap;
    }
    size_t i = hash_str(l->o->values[v].name) & (l->cap - 1);
    while (l->slots[i] >= 0)
        i = (i + 1) & (l->cap - 1);
    l->slots[i] = v;
    l->used++;
    return true;
}

/* Give value v of o a free name: its own, or base_N. */
static bool name_unique(struct lower *l, int v, const char *base)
{
    const char *own = l->o->values[v].name;
    if (own[0] && !name_taken(l, own))
        return name_claim(l, v);
    char buf[300];
    for (long k = 1;; k++) {
        snprintf(buf, sizeof buf, "%.240s_%ld", base[0] ? base : "v", k);
        if (!name_taken(l, buf))
            break;
    }
    char *copy = imp_strdup(buf);
    if (!copy)
        return false;
    free(l->o->values[v].name);
    l->o->values[v].name = copy;
    return name_claim(l, v);
}

static bool node_name_taken(const struct lower *l, const char *name)
{
    if (!l->node_cap)
        return false;
    for (size_t i = hash_str(name) & (l->node_cap - 1);; i = (i + 1) & (l->node_cap - 1)) {
        if (!l->node_slots[i])
            return false;
        if (strcmp(l->node_slots[i], name) == 0)
            return true;
    }
}

static bool node_name_claim(struct lower *l, const char *name)
{
    if ((l->node_used + 1) * 2 > l->node_cap) {
        size_t cap = l->node_cap ? l->node_cap * 2 : 1024;
        const char **slots = calloc(cap, sizeof *slots);
        if (!slots)
            return false;
        for (size_t k = 0; k < l->node_cap; k++) {
            const char *s = l->node_slots[k];
            if (!s)
                continue;
            size_t i = hash_str(s) & (cap - 1);
            while (slots[i])
                i = (i + 1) & (cap - 1);
            slots[i] = s;
        }
        free(l->node_slots);
        l->node_slots = slots;
        l->node_cap = cap;
    }
    size_t i = hash_str(name) & (l->node_cap - 1);
    while (l->node_slots[i])
        i = (i + 1) & (l->node_cap - 1);
    l->node_slots[i] = name;
    l->node_used++;
    return true;
}

/* ---- building blocks ---------------------------------------------------------- */

enum imp_status imp_olw_fail(struct lower *l, enum imp_status st, const char *fmt, ...)
{
    if (l->st != IMP_OK)
        return l->st;
    char msg[IMP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (l->n)
        l->st = imp_fail(l->err, st, "onnx: cannot write node %d '%.80s' (%s): %s", l->ni,
                         l->n->name, imp_op_name(l->n->op), msg);
    else
        l->st = imp_fail(l->err, st, "onnx: cannot write: %s", msg);
    return l->st;
}

enum imp_status imp_olw_nomem(struct lower *l)
{
    return imp_olw_fail(l, IMP_ERR_NOMEM, "out of memory");
}

static const char *node_base(const struct lower *l)
{
    return l->n->name[0] ? l->n->name : "node";
}

/* A new activation named after the node. */
int imp_olw_add_act(struct lower *l, const char *what)
{
    if (l->st != IMP_OK)
        return -1;
    char name[300];
    snprintf(name, sizeof name, "%.200s/%s", node_base(l), what);
    int v = imp_graph_add_value(l->o, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    if (v < 0 || !name_unique(l, v, name)) {
        imp_olw_nomem(l);
        return -1;
    }
    return v;
}

int imp_olw_add_const(struct lower *l, const char *what, enum imp_dtype dtype, int rank,
                     const int64_t *dims, const void *data)
{
    if (l->st != IMP_OK)
        return -1;
    char name[300];
    snprintf(name, sizeof name, "%.200s/%s", node_base(l), what);
    struct imp_shape shape = {0};
    shape.rank = rank;
    for (int d = 0; d < rank; d++)
        shape.d[d] = dims[d];
    int v = imp_graph_add_const(l->o, name, dtype, &shape, data);
    if (v < 0 || !name_unique(l, v, name)) {
        imp_olw_nomem(l);
        return -1;
    }
    return v;
}

int imp_olw_const_ints(struct lower *l, const char *what, const int64_t *v, int n)
{
    int64_t dims[1] = {n};
    return imp_olw_add_const(l, what, IMP_DTYPE_I64, 1, dims, v);
}

int imp_olw_const_scalar(struct lower *l, const char *what, float f)
{
    return imp_olw_add_const(l, what, IMP_DTYPE_F32, 0, NULL, &f);
}

/* A node of o: the first for a source node keeps its name, later ones
 * are "<name>/<Op>". Trailing omitted inputs are not listed. */
int imp_olw_emit(struct lower *l, enum imp_op op, int n_in, const int *in, int n_out,
                const int *out)
{
    if (l->st != IMP_OK)
        return -1;
    while (n_in > 0 && in[n_in - 1] < 0)
        n_in--;
    char name[330], base[300];
    if (l->emitted++ == 0)
        snprintf(base, sizeof base, "%.280s", l->n->name);
    else
        snprintf(base, sizeof base, "%.200s/%s", node_base(l), imp_op_name(op));
    /* Empty names may repeat; others get _N until they are new. */
    snprintf(name, sizeof name, "%s", base);
    for (long k = 1; name[0] && node_name_taken(l, name); k++)
        snprintf(name, sizeof name, "%s_%ld", base, k);
    int node = imp_graph_add_node(l->o, op, name, n_in, in, n_out, out);
    if (node < 0 || (name[0] && !node_name_claim(l, l->o->nodes[node].name)))
        return imp_olw_nomem(l), -1;
    return node;
}

static bool in_list(const char *name, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(name, *list) == 0)
            return true;
    return false;
}

static enum imp_status copy_attr(struct lower *l, int node, const struct imp_attr *a)
{
    struct imp_graph *o = l->o;
    enum imp_status st = IMP_OK;
    switch (a->type) {
    case IMP_ATTR_INT: st = imp_node_set_int(o, node, a->name, a->i); break;
    case IMP_ATTR_FLOAT: st = imp_node_set_float(o, node, a->name, a->f); break;
    case IMP_ATTR_STRING: st = imp_node_set_string(o, node, a->name, a->s ? a->s : ""); break;
    case IMP_ATTR_INTS: st = imp_node_set_ints(o, node, a->name, a->ints, a->n); break;
    case IMP_ATTR_FLOATS: st = imp_node_set_floats(o, node, a->name, a->floats, a->n); break;
    case IMP_ATTR_TENSOR: st = imp_node_set_tensor(o, node, a->name, (int)a->i); break;
    }
    return st == IMP_OK ? IMP_OK : imp_olw_nomem(l);
}

/* Copy the source node's attributes that are standard for `op`, skipping
 * those in `handled` (the caller expressed them otherwise); any other
 * attribute is refused. */
void imp_olw_copy_attrs(struct lower *l, int node, enum imp_op op,
                       const char *const *handled)
{
    if (node < 0 || l->st != IMP_OK)
        return;
    const char *const *std = imp_olw_standard_attrs(op);
    for (int k = 0; k < l->n->n_attrs && l->st == IMP_OK; k++) {
        const struct imp_attr *a = &l->n->attrs[k];
        if (in_list(a->name, handled))
            continue;
        if (!in_list(a->name, std)) {
            imp_olw_fail(l, IMP_ERR_UNSUPPORTED,
                 "attribute '%.60s' has no standard ONNX form (docs/format.md: "
                 "a writer must expand it)", a->name);
            return;
        }
        copy_attr(l, node, a);
    }
}

/* ---- the graph ------------------------------------------------------------------- */

static enum imp_status copy_values(struct lower *l)
{
    const struct imp_graph *g = l->src;
    for (int i = 0; i < g->n_values; i++) {
        const struct imp_value *v = &g->values[i];
        int id = imp_graph_add_value(l->o, v->name, v->kind, v->dtype, &v->shape);
        if (id < 0)
            return imp_olw_nomem(l);
        if (v->kind == IMP_VALUE_CONST) {
            l->o->values[id].data = v->data; /* borrowed: src outlives o */
            l->o->values[id].nbytes = v->nbytes;
            l->o->values[id].owned = false;
            l->o->values[id].kept = v->kept;
        }
    }
    /* Graph inputs and outputs keep their names; the rest make way. */
    for (int pass = 0; pass < 2; pass++) {
        const int *list = pass ? g->outputs : g->inputs;
        int n = pass ? g->n_outputs : g->n_inputs;
        for (int i = 0; i < n; i++) {
            int v = list[i];
            const char *name = l->o->values[v].name;
            if (!name[0])
                return imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "graph %s %d has no name",
                            pass ? "output" : "input", i);
            bool same = false; /* listed already (an input that is an output) */
            for (int k = 0; k < (pass ? g->n_inputs : 0) && !same; k++)
                same = g->inputs[k] == v;
            for (int k = 0; k < i && !same; k++)
                same = list[k] == v;
            if (same)
                continue;
            if (name_taken(l, name))
                return imp_olw_fail(l, IMP_ERR_UNSUPPORTED,
                            "two graph inputs or outputs are called '%.100s'", name);
            if (!name_claim(l, v))
                return imp_olw_nomem(l);
        }
    }
    bool *named = calloc((size_t)g->n_values + 1, 1);
    if (!named)
        return imp_olw_nomem(l);
    for (int i = 0; i < g->n_inputs; i++)
        named[g->inputs[i]] = true;
    for (int i = 0; i < g->n_outputs; i++)
        named[g->outputs[i]] = true;
    for (int i = 0; i < g->n_values && l->st == IMP_OK; i++)
        if (!named[i] && !name_unique(l, i, g->values[i].name))
            imp_olw_nomem(l);
    free(named);
    return l->st;
}

/* ONNX wants a graph in static single assignment and execution order:
 * every value defined once (an input, an initializer or one node's
 * output) before anything reads it, and each graph input and output listed
 * once. impasto's loader checks as much for the graphs it runs, but a
 * graph can hold what it never runs (a kind-input value no one feeds). */
static enum imp_status check_order(struct lower *l)
{
    const struct imp_graph *o = l->o;
    unsigned char *state = calloc((size_t)o->n_values + 1, 1); /* 1 defined, 2 listed */
    if (!state)
        return imp_olw_nomem(l);
    for (int v = 0; v < o->n_values; v++)
        state[v] = o->values[v].kind == IMP_VALUE_CONST;
    for (int i = 0; i < o->n_inputs && l->st == IMP_OK; i++) {
        if (state[o->inputs[i]])
            imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "graph input %d is listed twice", i);
        state[o->inputs[i]] = 1;
    }
    for (int ni = 0; ni < o->n_nodes && l->st == IMP_OK; ni++) {
        const struct imp_node *n = &o->nodes[ni];
        for (int k = 0; k < n->n_inputs && l->st == IMP_OK; k++)
            if (n->inputs[k] >= 0 && !state[n->inputs[k]])
                imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "node '%.80s' reads '%.80s', which nothing "
                     "before it defines", n->name, o->values[n->inputs[k]].name);
        for (int k = 0; k < n->n_outputs && l->st == IMP_OK; k++) {
            if (state[n->outputs[k]])
                imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "'%.80s' is defined twice",
                     o->values[n->outputs[k]].name);
            state[n->outputs[k]] = 1;
        }
    }
    for (int i = 0; i < o->n_outputs && l->st == IMP_OK; i++) {
        if (!state[o->outputs[i]])
            imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "graph output %d is never defined", i);
        else if (state[o->outputs[i]] == 2)
            imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "graph output %d is listed twice", i);
        state[o->outputs[i]] = 2;
    }
    free(state);
    return l->st;
}

enum imp_status imp_onnx_lower(const struct imp_graph *src, struct imp_graph *out,
                               struct imp_error *err)
{
    imp_graph_init(out);
    struct lower l;
    memset(&l, 0, sizeof l);
    l.src = src;
    l.o = out;
    l.err = err;
    l.st = IMP_OK;
    l.read = calloc((size_t)src->n_values + 1, sizeof *l.read);
    if (!l.read)
        return imp_fail(err, IMP_ERR_NOMEM, "onnx: out of memory");
    for (int ni = 0; ni < src->n_nodes; ni++)
        for (int k = 0; k < src->nodes[ni].n_inputs; k++)
            if (src->nodes[ni].inputs[k] >= 0)
                l.read[src->nodes[ni].inputs[k]] = true;
    for (int i = 0; i < src->n_outputs; i++)
        l.read[src->outputs[i]] = true;
    copy_values(&l);
    for (int ni = 0; ni < src->n_nodes && l.st == IMP_OK; ni++) {
        l.n = &src->nodes[ni];
        l.ni = ni;
        l.emitted = 0;
        imp_olw_lower_node(&l);
    }
    l.n = NULL;
    for (int i = 0; i < src->n_inputs && l.st == IMP_OK; i++)
        if (imp_graph_add_input(out, src->inputs[i]) != IMP_OK)
            imp_olw_nomem(&l);
    for (int i = 0; i < src->n_outputs && l.st == IMP_OK; i++)
        if (imp_graph_add_output(out, src->outputs[i]) != IMP_OK)
            imp_olw_nomem(&l);
    out->source_format = src->source_format;
    if (l.st == IMP_OK)
        check_order(&l);
    free(l.read);
    free(l.slots);
    free(l.node_slots);
    if (l.st != IMP_OK)
        imp_graph_release(out);
    return l.st;
}
