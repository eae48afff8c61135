/*
 * The .imp writer (format: docs/format.md). It refuses any graph the
 * reader would refuse, so every file it writes loads again, and its output
 * depends only on the graph: same graph, same bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "formats/formats.h"
#include "formats/imp_format.h"

struct out {
    uint8_t *p;
    size_t n, cap;
    bool oom;
};

static void put(struct out *o, const void *src, size_t n)
{
    if (o->oom || n == 0)
        return;
    if (n > o->cap - o->n) {
        size_t cap = o->cap ? o->cap : 4096;
        while (n > cap - o->n) {
            if (cap > SIZE_MAX / 2) {
                o->oom = true;
                return;
            }
            cap *= 2;
        }
        uint8_t *grown = realloc(o->p, cap);
        if (!grown) {
            o->oom = true;
            return;
        }
        o->p = grown;
        o->cap = cap;
    }
    memcpy(o->p + o->n, src, n);
    o->n += n;
}

static void put_u8(struct out *o, uint8_t v)
{
    put(o, &v, 1);
}

static void put_u32(struct out *o, uint32_t v)
{
    uint8_t b[4];
    imp_st32(b, v);
    put(o, b, 4);
}

static void put_u64(struct out *o, uint64_t v)
{
    uint8_t b[8];
    imp_st64(b, v);
    put(o, b, 8);
}

static void put_i64(struct out *o, int64_t v)
{
    put_u64(o, (uint64_t)v); /* well defined: modulo 2^64 */
}

static void put_f32(struct out *o, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    put_u32(o, bits);
}

static void put_index(struct out *o, int v)
{
    put_u32(o, v < 0 ? UINT32_MAX : (uint32_t)v);
}

static void put_str(struct out *o, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > UINT32_MAX) {
        o->oom = true;
        return;
    }
    put_u32(o, (uint32_t)n);
    put(o, s, n);
}

/* ---- validation: exactly what the reader checks ------------------------ */

static enum imp_status refuse(struct imp_error *err, const char *fmt, ...)
    IMP_PRINTF(2, 3);

static enum imp_status refuse(struct imp_error *err, const char *fmt, ...)
{
    char msg[IMP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return imp_fail(err, IMP_ERR_ARGUMENT, "imp: cannot write: %s", msg);
}

static bool index_ok(const struct imp_graph *g, int v)
{
    return v >= 0 && v < g->n_values;
}

static enum imp_status check_value(const struct imp_graph *g, int i,
                                   struct imp_error *err)
{
    const struct imp_value *v = &g->values[i];
    const char *name = v->name ? v->name : "";
    if ((int)v->kind < 0 || (int)v->kind > IMP_VALUE_CONST)
        return refuse(err, "value %d '%s': kind %d is unknown", i, name, (int)v->kind);
    if ((int)v->dtype < 0 || (int)v->dtype > IMP_DTYPE_F64)
        return refuse(err, "value %d '%s': dtype %d is unknown", i, name, (int)v->dtype);
    if (v->shape.rank < 0 || v->shape.rank > IMP_MAX_RANK)
        return refuse(err, "value %d '%s': rank %d", i, name, v->shape.rank);
    for (int d = 0; d < v->shape.rank; d++)
        if (v->shape.d[d] < -1)
            return refuse(err, "value %d '%s': dim %d is %lld", i, name, d,
                          (long long)v->shape.d[d]);
    if (v->kind != IMP_VALUE_CONST)
        return IMP_OK;
    if (v->dtype == IMP_DTYPE_UNDEFINED)
        return refuse(err, "constant %d '%s' has no element type", i, name);
    int64_t count = imp_shape_count(&v->shape);
    size_t esize = imp_dtype_size(v->dtype);
    if (count < 0 || (uint64_t)count > SIZE_MAX / esize)
        return refuse(err, "constant %d '%s' has an open or huge shape", i, name);
    if (v->nbytes != (size_t)count * esize)
        return refuse(err, "constant %d '%s' holds %zu bytes, its shape needs %zu",
                      i, name, v->nbytes, (size_t)count * esize);
    if (v->nbytes && !v->data)
        return refuse(err, "constant %d '%s' has no data", i, name);
    return IMP_OK;
}

static enum imp_status check_node(const struct imp_graph *g, int i,
                                  struct imp_error *err)
{
    const struct imp_node *n = &g->nodes[i];
    const char *name = n->name ? n->name : "";
    if ((int)n->op < 0 || (int)n->op >= IMP_OP_COUNT || !imp_op_name(n->op))
        return refuse(err, "node %d '%s': operator %d is unknown", i, name, (int)n->op);
    if (n->n_inputs < 0 || n->n_outputs < 0 || n->n_attrs < 0)
        return refuse(err, "node %d '%s': negative count", i, name);
    for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] != -1 && !index_ok(g, n->inputs[k]))
            return refuse(err, "node %d '%s': input %d is value %d", i, name, k,
                          n->inputs[k]);
    for (int k = 0; k < n->n_outputs; k++)
        if (!index_ok(g, n->outputs[k]))
            return refuse(err, "node %d '%s': output %d is value %d", i, name, k,
                          n->outputs[k]);
    for (int k = 0; k < n->n_attrs; k++) {
        const struct imp_attr *a = &n->attrs[k];
        const char *an = a->name ? a->name : "";
        for (int j = 0; j < k; j++)
            if (strcmp(n->attrs[j].name ? n->attrs[j].name : "", an) == 0)
                return refuse(err, "node %d '%s': attribute '%s' twice", i, name, an);
        switch (a->type) {
        case IMP_ATTR_INT:
        case IMP_ATTR_FLOAT:
        case IMP_ATTR_STRING:
            break;
        case IMP_ATTR_INTS:
        case IMP_ATTR_FLOATS:
            if (a->n < 0 || (a->n > 0 && !(a->type == IMP_ATTR_INTS ? (void *)a->ints
                                                                  : (void *)a->floats)))
                return refuse(err, "node %d '%s': attribute '%s' has a bad list",
                              i, name, an);
            break;
        case IMP_ATTR_TENSOR:
            if (a->i < 0 || a->i >= g->n_values ||
                g->values[a->i].kind != IMP_VALUE_CONST)
                return refuse(err, "node %d '%s': tensor attribute '%s' is not a "
                              "constant", i, name, an);
            break;
        default:
            return refuse(err, "node %d '%s': attribute '%s' has type %d", i, name,
                          an, (int)a->type);
        }
    }
    return IMP_OK;
}

static enum imp_status check_metadata(const struct imp_metadata *m,
                                      struct imp_error *err)
{
    if (m->n < 0 || m->n > IMP_META_MAX_ENTRIES)
        return refuse(err, "%d metadata entries (at most %d)", m->n,
                      IMP_META_MAX_ENTRIES);
    for (int i = 0; i < m->n; i++) {
        const struct imp_meta_entry *e = &m->entries[i];
        const char *why = !e->key || !e->value ? "a key or value is missing"
                          : imp_metadata_check(e->key, strlen(e->key), true);
        if (!why)
            why = imp_metadata_check(e->value, strlen(e->value), false);
        if (why)
            return refuse(err, "metadata entry %d: %s", i, why);
        for (int j = 0; j < i; j++)
            if (strcmp(m->entries[j].key, e->key) == 0)
                return refuse(err, "metadata key '%.100s' appears twice", e->key);
    }
    return IMP_OK;
}

static enum imp_status check_graph(const struct imp_graph *g, struct imp_error *err)
{
    if (g->n_values < 0 || g->n_nodes < 0 || g->n_inputs < 0 || g->n_outputs < 0)
        return refuse(err, "negative count in the graph");
    enum imp_status st = IMP_OK;
    for (int i = 0; i < g->n_values && st == IMP_OK; i++)
        st = check_value(g, i, err);
    for (int i = 0; i < g->n_nodes && st == IMP_OK; i++)
        st = check_node(g, i, err);
    if (st == IMP_OK)
        st = check_metadata(&g->meta, err);
    if (st != IMP_OK)
        return st;
    for (int i = 0; i < g->n_inputs; i++)
        if (!index_ok(g, g->inputs[i]) ||
            g->values[g->inputs[i]].kind != IMP_VALUE_INPUT)
            return refuse(err, "graph input %d is not a value of kind input", i);
    for (int i = 0; i < g->n_outputs; i++)
        if (!index_ok(g, g->outputs[i]))
            return refuse(err, "graph output %d is value %d", i, g->outputs[i]);
    return IMP_OK;
}

/* ---- serialisation --------------------------------------------------------- */

static uint64_t align_up(uint64_t x)
{
    return (x + IMP_FMT_ALIGN - 1) & ~(uint64_t)(IMP_FMT_ALIGN - 1);
}

static void put_value(struct out *o, const struct imp_value *v, uint64_t offset)
{
    put_str(o, v->name);
    put_u8(o, (uint8_t)v->kind);
    put_u8(o, (uint8_t)v->dtype);
    put_u8(o, (uint8_t)v->shape.rank);
    put_u8(o, 0);
    for (int d = 0; d < v->shape.rank; d++)
        put_i64(o, v->shape.d[d]);
    if (v->kind == IMP_VALUE_CONST) {
        put_u64(o, offset);
        put_u64(o, v->nbytes);
    }
}

static void put_node(struct out *o, const struct imp_node *n)
{
    put_str(o, imp_op_name(n->op));
    put_str(o, n->name);
    put_u32(o, (uint32_t)n->n_inputs);
    for (int k = 0; k < n->n_inputs; k++)
        put_index(o, n->inputs[k]);
    put_u32(o, (uint32_t)n->n_outputs);
    for (int k = 0; k < n->n_outputs; k++)
        put_index(o, n->outputs[k]);
    put_u32(o, (uint32_t)n->n_attrs);
    for (int k = 0; k < n->n_attrs; k++) {
        const struct imp_attr *a = &n->attrs[k];
        put_str(o, a->name);
        put_u8(o, (uint8_t)a->type);
        put(o, "\0\0\0", 3);
        switch (a->type) {
        case IMP_ATTR_INT: put_i64(o, a->i); break;
        case IMP_ATTR_FLOAT: put_f32(o, a->f); break;
        case IMP_ATTR_STRING: put_str(o, a->s); break;
        case IMP_ATTR_INTS:
            put_u32(o, (uint32_t)a->n);
            for (int i = 0; i < a->n; i++)
                put_i64(o, a->ints[i]);
            break;
        case IMP_ATTR_FLOATS:
            put_u32(o, (uint32_t)a->n);
            for (int i = 0; i < a->n; i++)
                put_f32(o, a->floats[i]);
            break;
        case IMP_ATTR_TENSOR: put_index(o, (int)a->i); break;
        }
    }
}

static void put_graph(struct out *o, const struct imp_graph *g,
                      const uint64_t *offsets)
{
    put_u32(o, (uint32_t)g->n_values);
    put_u32(o, (uint32_t)g->n_nodes);
    put_u32(o, (uint32_t)g->n_inputs);
    put_u32(o, (uint32_t)g->n_outputs);
    put_str(o, g->source_format);
    for (int i = 0; i < g->n_values; i++)
        put_value(o, &g->values[i], offsets[i]);
    for (int i = 0; i < g->n_nodes; i++)
        put_node(o, &g->nodes[i]);
    for (int i = 0; i < g->n_inputs; i++)
        put_index(o, g->inputs[i]);
    for (int i = 0; i < g->n_outputs; i++)
        put_index(o, g->outputs[i]);
}

static void put_metadata(struct out *o, const struct imp_metadata *m)
{
    put_u32(o, (uint32_t)m->n);
    for (int i = 0; i < m->n; i++) {
        put_str(o, m->entries[i].key);
        put_str(o, m->entries[i].value);
    }
}

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* Copy a constant's elements in little-endian order. */
static void put_le_elements(uint8_t *dst, const struct imp_value *v)
{
    memcpy(dst, v->data, v->nbytes);
    size_t e = imp_dtype_size(v->dtype);
    if (host_is_little_endian() || e < 2)
        return;
    for (size_t i = 0; i + e <= v->nbytes; i += e)
        for (size_t a = 0, b = e - 1; a < b; a++, b--) {
            uint8_t t = dst[i + a];
            dst[i + a] = dst[i + b];
            dst[i + b] = t;
        }
}

enum imp_status imp_imp_write(const struct imp_graph *g, uint8_t **data,
                              size_t *size, struct imp_error *err)
{
    if (!g || !data || !size)
        return imp_fail(err, IMP_ERR_ARGUMENT, "imp: null argument");
    *data = NULL;
    *size = 0;
    enum imp_status st = check_graph(g, err);
    if (st != IMP_OK)
        return st;
    if ((uint64_t)g->n_values > IMP_FMT_MAX_COUNT || (uint64_t)g->n_nodes > IMP_FMT_MAX_COUNT)
        return refuse(err, "graph too large");

    /* Constants in value order, each at the next multiple of 64. */
    uint64_t *offsets = calloc((size_t)g->n_values + 1, sizeof *offsets);
    if (!offsets)
        return imp_fail(err, IMP_ERR_NOMEM, "imp: out of memory");
    uint64_t weights_size = 0;
    for (int i = 0; i < g->n_values; i++) {
        const struct imp_value *v = &g->values[i];
        if (v->kind != IMP_VALUE_CONST)
            continue;
        offsets[i] = align_up(weights_size);
        weights_size = offsets[i] + v->nbytes;
        if (weights_size < offsets[i] || weights_size > SIZE_MAX / 2) {
            free(offsets);
            return refuse(err, "weights too large");
        }
    }
    struct out gs = {0}, ms = {0};
    put_graph(&gs, g, offsets);
    bool with_meta = g->meta.n > 0;
    if (with_meta)
        put_metadata(&ms, &g->meta);
    if (gs.oom || ms.oom) {
        free(gs.p);
        free(ms.p);
        free(offsets);
        return imp_fail(err, IMP_ERR_NOMEM, "imp: out of memory");
    }

    /* graph, weights, then metadata when there is any */
    const int n_sections = with_meta ? 3 : 2;
    uint64_t graph_off = align_up(IMP_FMT_HEADER_SIZE + n_sections * IMP_FMT_SECTION_ENTRY);
    uint64_t weights_off = align_up(graph_off + gs.n);
    uint64_t meta_off = with_meta ? align_up(weights_off + weights_size) : 0;
    uint64_t total = with_meta ? meta_off + ms.n : weights_off + weights_size;
    uint8_t *file = total <= SIZE_MAX / 2 ? calloc(1, (size_t)total) : NULL;
    if (!file) {
        free(gs.p);
        free(ms.p);
        free(offsets);
        return imp_fail(err, IMP_ERR_NOMEM, "imp: out of memory (%llu bytes)",
                        (unsigned long long)total);
    }
    memcpy(file, IMP_FMT_MAGIC, 8);
    imp_st16(file + IMP_FMT_OFF_MAJOR, IMP_FMT_MAJOR);
    imp_st16(file + IMP_FMT_OFF_MINOR, with_meta ? IMP_FMT_MINOR_METADATA : 0);
    imp_st32(file + IMP_FMT_OFF_SECTIONS, (uint32_t)n_sections);
    imp_st64(file + IMP_FMT_OFF_FILE_SIZE, total);
    uint8_t *entry = file + IMP_FMT_HEADER_SIZE;
    imp_st32(entry, IMP_FMT_SECTION_GRAPH);
    imp_st64(entry + 8, graph_off);
    imp_st64(entry + 16, gs.n);
    entry += IMP_FMT_SECTION_ENTRY;
    imp_st32(entry, IMP_FMT_SECTION_WEIGHTS);
    imp_st64(entry + 8, weights_off);
    imp_st64(entry + 16, weights_size);
    if (with_meta) {
        entry += IMP_FMT_SECTION_ENTRY;
        imp_st32(entry, IMP_FMT_SECTION_METADATA);
        imp_st64(entry + 8, meta_off);
        imp_st64(entry + 16, ms.n);
        memcpy(file + meta_off, ms.p, ms.n);
    }
    if (gs.n)
        memcpy(file + graph_off, gs.p, gs.n);
    for (int i = 0; i < g->n_values; i++)
        if (g->values[i].kind == IMP_VALUE_CONST && g->values[i].nbytes)
            put_le_elements(file + weights_off + offsets[i], &g->values[i]);
    free(ms.p);
    free(gs.p);
    free(offsets);
    imp_st32(file + IMP_FMT_OFF_BODY_CRC,
             imp_crc32c(file + IMP_FMT_HEADER_SIZE, (size_t)total - IMP_FMT_HEADER_SIZE));
    imp_st32(file + IMP_FMT_OFF_HEADER_CRC, imp_crc32c(file, IMP_FMT_OFF_HEADER_CRC));
    *data = file;
    *size = (size_t)total;
    return IMP_OK;
}
