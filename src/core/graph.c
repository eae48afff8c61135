#include "core/graph.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void imp_graph_init(struct imp_graph *g)
{
    memset(g, 0, sizeof *g);
}

static void attr_release(struct imp_attr *a)
{
    free(a->name);
    free(a->s);
    free(a->ints);
    free(a->floats);
}

void imp_node_release(struct imp_node *n)
{
    free(n->name);
    free(n->inputs);
    free(n->outputs);
    for (int i = 0; i < n->n_attrs; i++)
        attr_release(&n->attrs[i]);
    free(n->attrs);
}

void imp_graph_release(struct imp_graph *g)
{
    for (int i = 0; i < g->n_values; i++) {
        free(g->values[i].name);
        if (g->values[i].owned)
            imp_aligned_free(g->values[i].data);
    }
    for (int i = 0; i < g->n_nodes; i++)
        imp_node_release(&g->nodes[i]);
    free(g->values);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    imp_metadata_release(&g->meta);
    memset(g, 0, sizeof *g);
}

int imp_graph_add_value(struct imp_graph *g, const char *name,
                        enum imp_value_kind kind, enum imp_dtype dtype,
                        const struct imp_shape *shape)
{
    /* Copied before growing: callers may pass a shape inside g->values. */
    struct imp_shape copy = {0};
    if (shape)
        copy = *shape;
    if (!IMP_GROW(g->values, g->n_values, g->cap_values))
        return -1;
    struct imp_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->name = imp_strdup(name ? name : "");
    if (!v->name)
        return -1;
    v->kind = kind;
    v->dtype = dtype;
    v->shape = copy;
    return g->n_values++;
}

int imp_graph_add_const_owned(struct imp_graph *g, const char *name,
                              enum imp_dtype dtype,
                              const struct imp_shape *shape, void *data)
{
    int id = imp_graph_add_value(g, name, IMP_VALUE_CONST, dtype, shape);
    if (id < 0) {
        imp_aligned_free(data);
        return -1;
    }
    struct imp_value *v = &g->values[id];
    int64_t n = imp_shape_count(shape);
    v->nbytes = n < 0 ? 0 : (size_t)n * imp_dtype_size(dtype);
    v->data = data;
    v->owned = true;
    return id;
}

int imp_graph_add_const(struct imp_graph *g, const char *name,
                        enum imp_dtype dtype, const struct imp_shape *shape,
                        const void *data)
{
    int64_t n = imp_shape_count(shape);
    if (n < 0)
        return -1;
    size_t bytes = (size_t)n * imp_dtype_size(dtype);
    void *copy = imp_aligned_alloc(bytes);
    if (!copy)
        return -1;
    if (bytes)
        memcpy(copy, data, bytes);
    return imp_graph_add_const_owned(g, name, dtype, shape, copy);
}

int imp_graph_add_node(struct imp_graph *g, enum imp_op op, const char *name,
                       int n_inputs, const int *inputs, int n_outputs,
                       const int *outputs)
{
    if (!IMP_GROW(g->nodes, g->n_nodes, g->cap_nodes))
        return -1;
    struct imp_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->name = imp_strdup(name ? name : "");
    n->inputs = imp_memdup(inputs, sizeof(int) * (size_t)n_inputs);
    n->outputs = imp_memdup(outputs, sizeof(int) * (size_t)n_outputs);
    if (!n->name || !n->inputs || !n->outputs) {
        imp_node_release(n);
        return -1;
    }
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    return g->n_nodes++;
}

static enum imp_status append_index(int **list, int *count, int v)
{
    int *grown = realloc(*list, sizeof(int) * (size_t)(*count + 1));
    if (!grown)
        return IMP_ERR_NOMEM;
    grown[(*count)++] = v;
    *list = grown;
    return IMP_OK;
}

enum imp_status imp_graph_add_input(struct imp_graph *g, int value)
{
    return append_index(&g->inputs, &g->n_inputs, value);
}

enum imp_status imp_graph_add_output(struct imp_graph *g, int value)
{
    return append_index(&g->outputs, &g->n_outputs, value);
}

/* Replace-or-append an attribute slot; returns NULL on allocation failure. */
static struct imp_attr *attr_slot(struct imp_graph *g, int node,
                                  const char *name, enum imp_attr_type type)
{
    struct imp_node *n = &g->nodes[node];
    for (int i = 0; i < n->n_attrs; i++) {
        if (strcmp(n->attrs[i].name, name) == 0) {
            struct imp_attr *a = &n->attrs[i];
            char *keep = a->name;
            a->name = NULL;
            attr_release(a);
            memset(a, 0, sizeof *a);
            a->name = keep;
            a->type = type;
            return a;
        }
    }
    struct imp_attr *grown =
        realloc(n->attrs, sizeof *grown * (size_t)(n->n_attrs + 1));
    if (!grown)
        return NULL;
    n->attrs = grown;
    struct imp_attr *a = &n->attrs[n->n_attrs];
    memset(a, 0, sizeof *a);
    a->name = imp_strdup(name);
    if (!a->name)
        return NULL;
    a->type = type;
    n->n_attrs++;
    return a;
}

enum imp_status imp_node_set_int(struct imp_graph *g, int node,
                                 const char *name, int64_t v)
{
    struct imp_attr *a = attr_slot(g, node, name, IMP_ATTR_INT);
    if (!a)
        return IMP_ERR_NOMEM;
    a->i = v;
    return IMP_OK;
}

enum imp_status imp_node_set_float(struct imp_graph *g, int node,
                                   const char *name, float v)
{
    struct imp_attr *a = attr_slot(g, node, name, IMP_ATTR_FLOAT);
    if (!a)
        return IMP_ERR_NOMEM;
    a->f = v;
    return IMP_OK;
}

enum imp_status imp_node_set_string(struct imp_graph *g, int node,
                                    const char *name, const char *s)
{
    struct imp_attr *a = attr_slot(g, node, name, IMP_ATTR_STRING);
    if (!a)
        return IMP_ERR_NOMEM;
    a->s = imp_strdup(s);
    return a->s ? IMP_OK : IMP_ERR_NOMEM;
}

enum imp_status imp_node_set_ints(struct imp_graph *g, int node,
                                  const char *name, const int64_t *v, int n)
{
    struct imp_attr *a = attr_slot(g, node, name, IMP_ATTR_INTS);
    if (!a)
        return IMP_ERR_NOMEM;
    a->n = n;
    a->ints = imp_memdup(v, sizeof *v * (size_t)n);
    return a->ints ? IMP_OK : IMP_ERR_NOMEM;
}

enum imp_status imp_node_set_floats(struct imp_graph *g, int node,
                                    const char *name, const float *v, int n)
{
    struct imp_attr *a = attr_slot(g, node, name, IMP_ATTR_FLOATS);
    if (!a)
        return IMP_ERR_NOMEM;
    a->n = n;
    a->floats = imp_memdup(v, sizeof *v * (size_t)n);
    return a->floats ? IMP_OK : IMP_ERR_NOMEM;
}

enum imp_status imp_node_set_tensor(struct imp_graph *g, int node,
                                    const char *name, int value)
{
    struct imp_attr *a = attr_slot(g, node, name, IMP_ATTR_TENSOR);
    if (!a)
        return IMP_ERR_NOMEM;
    a->i = value;
    return IMP_OK;
}

const struct imp_attr *imp_node_attr(const struct imp_node *n,
                                     const char *name)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0)
            return &n->attrs[i];
    return NULL;
}

int64_t imp_node_int(const struct imp_node *n, const char *name, int64_t dflt)
{
    const struct imp_attr *a = imp_node_attr(n, name);
    if (a && a->type == IMP_ATTR_INT)
        return a->i;
    if (a && a->type == IMP_ATTR_FLOAT) {
        /* Converting an out-of-range float is undefined: clamp first. */
        if (!(a->f == a->f))
            return dflt;
        if (a->f >= 9.2e18f)
            return INT64_MAX;
        if (a->f <= -9.2e18f)
            return INT64_MIN;
        return (int64_t)a->f;
    }
    return dflt;
}

float imp_node_float(const struct imp_node *n, const char *name, float dflt)
{
    const struct imp_attr *a = imp_node_attr(n, name);
    if (a && a->type == IMP_ATTR_FLOAT)
        return a->f;
    if (a && a->type == IMP_ATTR_INT)
        return (float)a->i;
    return dflt;
}

const char *imp_node_string(const struct imp_node *n, const char *name,
                            const char *dflt)
{
    const struct imp_attr *a = imp_node_attr(n, name);
    return a && a->type == IMP_ATTR_STRING && a->s ? a->s : dflt;
}

int imp_graph_find_value(const struct imp_graph *g, const char *name)
{
    for (int i = 0; i < g->n_values; i++)
        if (strcmp(g->values[i].name, name) == 0)
            return i;
    return -1;
}

/* Min-heap of node indices: among ready nodes, the one listed first goes
 * first, so a graph already in order keeps its order exactly. */
static void heap_push(int *heap, int *n, int v)
{
    int i = (*n)++;
    while (i > 0 && heap[(i - 1) / 2] > v) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = v;
}

static int heap_pop(int *heap, int *n)
{
    int top = heap[0], v = heap[--(*n)], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && heap[c + 1] < heap[c])
            c++;
        if (heap[c] >= v)
            break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = v;
    return top;
}

/* Kahn's algorithm in O(E log N), so hostile or carelessly ordered graphs
 * (a long chain listed backwards) cost no more than ordered ones. */
enum imp_status imp_graph_sort(struct imp_graph *g, struct imp_error *err)
{
    const int nn = g->n_nodes, nv = g->n_values;
    size_t edges = 0;
    for (int i = 0; i < nn; i++)
        edges += (size_t)g->nodes[i].n_inputs;
    if (edges > INT32_MAX / 2)
        return imp_fail(err, IMP_ERR_FORMAT, "graph: too many node inputs");
    enum imp_status st = IMP_OK;
    int *producer = malloc(sizeof(int) * ((size_t)nv + 1));
    int *start = calloc((size_t)nv + 2, sizeof(int));
    int *cursor = calloc((size_t)nv + 1, sizeof(int));
    int *users = malloc(sizeof(int) * (edges + 1));
    int *waiting = calloc((size_t)nn + 1, sizeof(int));
    int *heap = malloc(sizeof(int) * ((size_t)nn + 1));
    struct imp_node *sorted = malloc(sizeof *sorted * ((size_t)nn + 1));
    if (!producer || !start || !cursor || !users || !waiting || !heap || !sorted) {
        st = imp_fail(err, IMP_ERR_NOMEM, "graph: out of memory sorting");
        goto done;
    }
    for (int v = 0; v < nv; v++)
        producer[v] = -1;
    for (int i = 0; i < nn; i++) {
        for (int o = 0; o < g->nodes[i].n_outputs; o++) {
            int v = g->nodes[i].outputs[o];
            if (v < 0 || v >= nv) {
                st = imp_fail(err, IMP_ERR_FORMAT,
                              "node '%s': output index %d out of range",
                              g->nodes[i].name, v);
                goto done;
            }
            if (producer[v] >= 0 || g->values[v].kind != IMP_VALUE_ACTIVATION) {
                st = imp_fail(err, IMP_ERR_FORMAT,
                              "value '%s' is written more than once",
                              g->values[v].name);
                goto done;
            }
            producer[v] = i;
        }
    }
    /* Readers of each produced value, CSR style: users[start[v]..start[v+1]). */
    for (int i = 0; i < nn; i++) {
        const struct imp_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            int v = n->inputs[k];
            if (v >= nv) {
                st = imp_fail(err, IMP_ERR_FORMAT,
                              "node '%s': input index %d out of range", n->name, v);
                goto done;
            }
            if (v < 0 || g->values[v].kind != IMP_VALUE_ACTIVATION)
                continue;
            if (producer[v] < 0) {
                st = imp_fail(err, IMP_ERR_FORMAT,
                              "node '%s' reads '%s', which nothing produces",
                              n->name, g->values[v].name);
                goto done;
            }
            start[v + 1]++;
            waiting[i]++;
        }
    }
    for (int v = 0; v < nv; v++)
        start[v + 1] += start[v];
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++) {
            int v = g->nodes[i].inputs[k];
            if (v >= 0 && producer[v] >= 0)
                users[start[v] + cursor[v]++] = i;
        }
    int n_heap = 0, n_sorted = 0;
    for (int i = 0; i < nn; i++)
        if (waiting[i] == 0)
            heap_push(heap, &n_heap, i);
    while (n_heap > 0) {
        int i = heap_pop(heap, &n_heap);
        sorted[n_sorted++] = g->nodes[i];
        for (int o = 0; o < g->nodes[i].n_outputs; o++) {
            int v = g->nodes[i].outputs[o];
            for (int u = start[v]; u < start[v + 1]; u++)
                if (--waiting[users[u]] == 0)
                    heap_push(heap, &n_heap, users[u]);
        }
    }
    if (n_sorted < nn) {
        st = imp_fail(err, IMP_ERR_FORMAT, "graph has a cycle");
        goto done;
    }
    if (nn)
        memcpy(g->nodes, sorted, sizeof *sorted * (size_t)nn);
    for (int o = 0; o < g->n_outputs; o++) {
        int v = g->outputs[o];
        if (v < 0 || v >= nv ||
            (g->values[v].kind == IMP_VALUE_ACTIVATION && producer[v] < 0)) {
            st = imp_fail(err, IMP_ERR_FORMAT, "graph output %d is never produced", o);
            goto done;
        }
    }
done:
    free(producer);
    free(start);
    free(cursor);
    free(users);
    free(waiting);
    free(heap);
    free(sorted);
    return st;
}

enum imp_status imp_graph_clone(const struct imp_graph *src,
                                struct imp_graph *dst)
{
    imp_graph_init(dst);
    dst->source_format = src->source_format;
    if (!imp_metadata_copy(&src->meta, &dst->meta))
        goto nomem;
    for (int i = 0; i < src->n_values; i++) {
        const struct imp_value *v = &src->values[i];
        int id;
        if (v->kind == IMP_VALUE_CONST)
            id = imp_graph_add_const(dst, v->name, v->dtype, &v->shape, v->data);
        else
            id = imp_graph_add_value(dst, v->name, v->kind, v->dtype, &v->shape);
        if (id < 0)
            goto nomem;
    }
    for (int i = 0; i < src->n_nodes; i++) {
        const struct imp_node *n = &src->nodes[i];
        int id = imp_graph_add_node(dst, n->op, n->name, n->n_inputs, n->inputs,
                                    n->n_outputs, n->outputs);
        if (id < 0)
            goto nomem;
        for (int a = 0; a < n->n_attrs; a++) {
            const struct imp_attr *at = &n->attrs[a];
            enum imp_status st = IMP_OK;
            switch (at->type) {
            case IMP_ATTR_INT: st = imp_node_set_int(dst, id, at->name, at->i); break;
            case IMP_ATTR_FLOAT: st = imp_node_set_float(dst, id, at->name, at->f); break;
            case IMP_ATTR_STRING: st = imp_node_set_string(dst, id, at->name, at->s ? at->s : ""); break;
            case IMP_ATTR_INTS: st = imp_node_set_ints(dst, id, at->name, at->ints, at->n); break;
            case IMP_ATTR_FLOATS: st = imp_node_set_floats(dst, id, at->name, at->floats, at->n); break;
            case IMP_ATTR_TENSOR: st = imp_node_set_tensor(dst, id, at->name, (int)at->i); break;
            }
            if (st != IMP_OK)
                goto nomem;
        }
    }
    for (int i = 0; i < src->n_inputs; i++)
        if (imp_graph_add_input(dst, src->inputs[i]) != IMP_OK)
            goto nomem;
    for (int i = 0; i < src->n_outputs; i++)
        if (imp_graph_add_output(dst, src->outputs[i]) != IMP_OK)
            goto nomem;
    return IMP_OK;
nomem:
    imp_graph_release(dst);
    return IMP_ERR_NOMEM;
}

void imp_graph_drop_nodes(struct imp_graph *g, const bool *drop, int n_marked)
{
    int kept = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (ni < n_marked && drop[ni])
            imp_node_release(&g->nodes[ni]);
        else
            g->nodes[kept++] = g->nodes[ni];
    }
    g->n_nodes = kept;
}

enum imp_status imp_graph_compact(struct imp_graph *g)
{
    int *remap = malloc(sizeof(int) * (size_t)(g->n_values + 1));
    if (!remap)
        return IMP_ERR_NOMEM;
    for (int v = 0; v < g->n_values; v++)
        remap[v] = -1;
    for (int i = 0; i < g->n_inputs; i++)
        remap[g->inputs[i]] = 1;
    for (int i = 0; i < g->n_outputs; i++)
        remap[g->outputs[i]] = 1;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].kept)
            remap[v] = 1;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const struct imp_node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0)
                remap[n->inputs[k]] = 1;
        for (int k = 0; k < n->n_outputs; k++)
            remap[n->outputs[k]] = 1;
        for (int a = 0; a < n->n_attrs; a++)
            if (n->attrs[a].type == IMP_ATTR_TENSOR)
                remap[n->attrs[a].i] = 1;
    }
    int kept = 0;
    for (int v = 0; v < g->n_values; v++) {
        if (remap[v] < 0) {
            free(g->values[v].name);
            if (g->values[v].owned)
                imp_aligned_free(g->values[v].data);
            continue;
        }
        remap[v] = kept;
        g->values[kept++] = g->values[v];
    }
    g->n_values = kept;
    for (int i = 0; i < g->n_inputs; i++)
        g->inputs[i] = remap[g->inputs[i]];
    for (int i = 0; i < g->n_outputs; i++)
        g->outputs[i] = remap[g->outputs[i]];
    for (int ni = 0; ni < g->n_nodes; ni++) {
        struct imp_node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0)
                n->inputs[k] = remap[n->inputs[k]];
        for (int k = 0; k < n->n_outputs; k++)
            n->outputs[k] = remap[n->outputs[k]];
        for (int a = 0; a < n->n_attrs; a++)
            if (n->attrs[a].type == IMP_ATTR_TENSOR)
                n->attrs[a].i = remap[n->attrs[a].i];
    }
    free(remap);
    return IMP_OK;
}
