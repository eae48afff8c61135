/*
 * The .imp reader (format: docs/format.md). The file is hostile until
 * proven otherwise: the header and both checksums are verified first, then
 * every count is weighed against the bytes left before anything is
 * allocated, every index against what it indexes, and every size is
 * computed without overflow. Constants borrow the caller's bytes when
 * asked to and when the host can use them as they are.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/util.h"
#include "formats/formats.h"
#include "formats/imp_format.h"

bool imp_imp_probe(const uint8_t *data, size_t size)
{
    return size >= 8 && memcmp(data, IMP_FMT_MAGIC, 8) == 0;
}

/* Where the two sections are, once the header and table check out. */
struct layout {
    bool strict; /* file's minor version <= ours: reserved must be zero */
    uint64_t graph_off, graph_size;
    uint64_t weights_off, weights_size;
    bool has_meta;
    uint64_t meta_off, meta_size;
};

/* A bounds-checked walk over the graph section. The first error wins and
 * is kept in `status`/`err`; every read after it fails too. */
struct cursor {
    const uint8_t *p; /* section start */
    size_t size;
    size_t pos;
    uint64_t base; /* file offset of the section, for messages */
    bool strict;
    const char *section; /* "graph" or "metadata", for messages */
    struct imp_error *err;
    enum imp_status status;
    char ctx[160]; /* "value 3 'conv1.w'" while reading that record */
};

/* Names go into messages: keep them short and free of control bytes. */
static void quote_name(char *out, size_t size, const char *name)
{
    size_t k = 0;
    for (; name && name[k] && k + 1 < size && k < 40; k++) {
        unsigned char ch = (unsigned char)name[k];
        out[k] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    out[k] = '\0';
}

static bool fail_at(struct cursor *c, enum imp_status st, size_t at,
                    const char *fmt, ...) IMP_PRINTF(4, 5);

static bool fail_at(struct cursor *c, enum imp_status st, size_t at,
                    const char *fmt, ...)
{
    if (c->status != IMP_OK)
        return false;
    char msg[IMP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->status = imp_fail(c->err, st, "imp: %s section%s%s: %s (byte %llu)",
                         c->section, c->ctx[0] ? ": " : "", c->ctx, msg,
                         (unsigned long long)(c->base + at));
    return false;
}

static bool need(struct cursor *c, size_t n, const char *what)
{
    if (c->status != IMP_OK)
        return false;
    if (c->size - c->pos < n)
        return fail_at(c, IMP_ERR_FORMAT, c->pos,
                       "the section ends inside %s", what);
    return true;
}

static bool rd_u8(struct cursor *c, const char *what, uint8_t *v)
{
    if (!need(c, 1, what))
        return false;
    *v = c->p[c->pos++];
    return true;
}

static bool rd_u32(struct cursor *c, const char *what, uint32_t *v)
{
    if (!need(c, 4, what))
        return false;
    *v = imp_ld32(c->p + c->pos);
    c->pos += 4;
    return true;
}

static bool rd_u64(struct cursor *c, const char *what, uint64_t *v)
{
    if (!need(c, 8, what))
        return false;
    *v = imp_ld64(c->p + c->pos);
    c->pos += 8;
    return true;
}

static bool rd_i64(struct cursor *c, const char *what, int64_t *v)
{
    uint64_t u;
    if (!rd_u64(c, what, &u))
        return false;
    /* Two's complement without an implementation-defined conversion. */
    *v = u <= INT64_MAX ? (int64_t)u : -(int64_t)~u - 1;
    return true;
}

/* A count of records that take at least `min_bytes` each: checked against
 * the bytes left so a forged count cannot make us allocate much. */
static bool rd_count(struct cursor *c, const char *what, size_t min_bytes,
                     uint32_t *v)
{
    size_t at = c->pos;
    if (!rd_u32(c, what, v))
        return false;
    if (*v > IMP_FMT_MAX_COUNT)
        return fail_at(c, IMP_ERR_FORMAT, at, "%s %u is too large", what, *v);
    if (*v > (c->size - c->pos) / min_bytes)
        return fail_at(c, IMP_ERR_FORMAT, at,
                       "%s %u does not fit in the %zu bytes left", what, *v,
                       c->size - c->pos);
    return true;
}

static bool rd_str(struct cursor *c, const char *what, char **out)
{
    size_t at = c->pos;
    uint32_t len;
    if (!rd_u32(c, what, &len))
        return false;
    if (len > c->size - c->pos)
        return fail_at(c, IMP_ERR_FORMAT, at,
                       "%s is %u bytes long but only %zu bytes are left", what,
                       len, c->size - c->pos);
    const uint8_t *s = c->p + c->pos;
    if (memchr(s, 0, len))
        return fail_at(c, IMP_ERR_FORMAT, at, "%s contains a zero byte", what);
    char *copy = malloc((size_t)len + 1);
    if (!copy) {
        c->status = imp_fail(c->err, IMP_ERR_NOMEM, "imp: out of memory");
        return false;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    c->pos += len;
    *out = copy;
    return true;
}

static bool rd_reserved(struct cursor *c, size_t n, const char *what)
{
    size_t at = c->pos;
    if (!need(c, n, what))
        return false;
    for (size_t i = 0; i < n; i++)
        if (c->strict && c->p[at + i] != 0)
            return fail_at(c, IMP_ERR_FORMAT, at + i, "%s is not zero", what);
    c->pos += n;
    return true;
}

/* ---- header and section table ------------------------------------------ */

/* Two non-empty byte ranges, both inside the file, share a byte. */
static bool overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return an && bn && a < b + bn && b < a + an;
}

static enum imp_status read_layout(const uint8_t *data, size_t size,
                                   struct layout *L, struct imp_error *err)
{
    if (size < 8 || memcmp(data, IMP_FMT_MAGIC, 8) != 0)
        return imp_fail(err, IMP_ERR_FORMAT, "imp: not an .imp file (bad magic)");
    if (size < IMP_FMT_HEADER_SIZE)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "imp: file is truncated: %zu bytes, the header alone "
                        "needs %d",
                        size, IMP_FMT_HEADER_SIZE);
    unsigned major = imp_ld16(data + IMP_FMT_OFF_MAJOR);
    unsigned minor = imp_ld16(data + IMP_FMT_OFF_MINOR);
    if (major == 0)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "imp: header: format version 0.%u does not exist (byte %d)",
                        minor, IMP_FMT_OFF_MAJOR);
    if (major > IMP_FMT_MAJOR)
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "imp: file made by a newer impasto (format version "
                        "%u.%u; this build reads %d.x)",
                        major, minor, IMP_FMT_MAJOR);
    if (imp_crc32c(data, IMP_FMT_OFF_HEADER_CRC) !=
        imp_ld32(data + IMP_FMT_OFF_HEADER_CRC))
        return imp_fail(err, IMP_ERR_FORMAT,
                        "imp: header checksum mismatch: file is damaged");
    uint64_t file_size = imp_ld64(data + IMP_FMT_OFF_FILE_SIZE);
    if (file_size > size)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "imp: file is truncated: the header says %llu bytes, "
                        "there are %zu",
                        (unsigned long long)file_size, size);
    if (file_size < size)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "imp: %llu bytes of unexpected data after the %llu "
                        "bytes the header declares",
                        (unsigned long long)(size - file_size),
                        (unsigned long long)file_size);
    if (imp_crc32c(data + IMP_FMT_HEADER_SIZE, size - IMP_FMT_HEADER_SIZE) !=
        imp_ld32(data + IMP_FMT_OFF_BODY_CRC))
        return imp_fail(err, IMP_ERR_FORMAT,
                        "imp: checksum mismatch: file is damaged");

    /* The checksums only prove the bytes are what the writer wrote; a
     * hostile writer computes them too, so the structure is checked next. */
    L->strict = minor <= IMP_FMT_MINOR;
    for (int i = IMP_FMT_OFF_RESERVED; i < IMP_FMT_OFF_HEADER_CRC; i++)
        if (L->strict && data[i] != 0)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "imp: header: reserved byte is not zero (byte %d)", i);
    uint64_t n_sections = imp_ld32(data + IMP_FMT_OFF_SECTIONS);
    uint64_t table_end = IMP_FMT_HEADER_SIZE + n_sections * IMP_FMT_SECTION_ENTRY;
    if (table_end > size)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "imp: header: section table of %llu entries does not "
                        "fit in the file (byte %d)",
                        (unsigned long long)n_sections, IMP_FMT_OFF_SECTIONS);
    bool have_graph = false, have_weights = false;
    for (uint64_t s = 0; s < n_sections; s++) {
        size_t at = IMP_FMT_HEADER_SIZE + (size_t)s * IMP_FMT_SECTION_ENTRY;
        uint32_t kind = imp_ld32(data + at);
        uint32_t reserved = imp_ld32(data + at + 4);
        uint64_t off = imp_ld64(data + at + 8);
        uint64_t len = imp_ld64(data + at + 16);
        unsigned long long idx = (unsigned long long)s;
        if (L->strict && reserved != 0)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "imp: section table: entry %llu: reserved field is "
                            "not zero (byte %zu)",
                            idx, at + 4);
        if (off % IMP_FMT_ALIGN != 0)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "imp: section table: entry %llu: offset %llu is not "
                            "a multiple of %d (byte %zu)",
                            idx, (unsigned long long)off, IMP_FMT_ALIGN, at + 8);
        if (off < table_end)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "imp: section table: entry %llu: offset %llu "
                            "overlaps the header or section table (byte %zu)",
                            idx, (unsigned long long)off, at + 8);
        if (off > size || len > size - off)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "imp: section table: entry %llu: %llu bytes at "
                            "offset %llu run past the end of the file (%zu "
                            "bytes) (byte %zu)",
                            idx, (unsigned long long)len,
                            (unsigned long long)off, size, at + 16);
        bool *seen;
        if (kind == IMP_FMT_SECTION_GRAPH) {
            seen = &have_graph;
            L->graph_off = off;
            L->graph_size = len;
        } else if (kind == IMP_FMT_SECTION_WEIGHTS) {
            seen = &have_weights;
            L->weights_off = off;
            L->weights_size = len;
        } else if (kind == IMP_FMT_SECTION_METADATA) {
            seen = &L->has_meta;
            L->meta_off = off;
            L->meta_size = len;
        } else if (L->strict) {
            return imp_fail(err, IMP_ERR_FORMAT,
                            "imp: section table: entry %llu: unknown section "
                            "kind %u (byte %zu)",
                            idx, kind, at);
        } else {
            continue; /* added by a newer minor version: not ours to read */
        }
        if (*seen)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "imp: section table: entry %llu: a second %s "
                            "section (byte %zu)",
                            idx, kind == IMP_FMT_SECTION_GRAPH     ? "graph"
                                 : kind == IMP_FMT_SECTION_WEIGHTS ? "weights"
                                                                   : "metadata",
                            at);
        *seen = true;
    }
    if (!have_graph || !have_weights)
        return imp_fail(err, IMP_ERR_FORMAT, "imp: section table: no %s section",
                        have_graph ? "weights" : "graph");
    if (overlap(L->graph_off, L->graph_size, L->weights_off, L->weights_size))
        return imp_fail(err, IMP_ERR_FORMAT,
                        "imp: section table: the graph and weights sections "
                        "overlap");
    if (L->has_meta && (overlap(L->meta_off, L->meta_size, L->graph_off, L->graph_size) ||
                        overlap(L->meta_off, L->meta_size, L->weights_off, L->weights_size)))
        return imp_fail(err, IMP_ERR_FORMAT,
                        "imp: section table: the metadata section overlaps "
                        "another section");
    return IMP_OK;
}

/* ---- graph section ------------------------------------------------------- */

struct reader {
    const uint8_t *data; /* the whole file */
    struct layout L;
    bool borrow; /* constants may point into `data` */
    struct cursor c;
    struct imp_graph *g;
};

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

static void swap_elements(uint8_t *p, size_t nbytes, size_t esize)
{
    for (size_t i = 0; esize > 1 && i + esize <= nbytes; i += esize)
        for (size_t a = 0, b = esize - 1; a < b; a++, b--) {
            uint8_t t = p[i + a];
            p[i + a] = p[i + b];
            p[i + b] = t;
        }
}

/* Offset, length and bytes of a constant, after its dtype and dims. */
static bool read_const_data(struct reader *r, struct imp_value *v)
{
    struct cursor *c = &r->c;
    size_t at = c->pos;
    uint64_t off, len;
    if (!rd_u64(c, "constant offset", &off) || !rd_u64(c, "constant length", &len))
        return false;
    size_t esize = imp_dtype_size(v->dtype);
    int64_t count = imp_shape_count(&v->shape);
    if (count < 0 || (uint64_t)count > UINT64_MAX / esize)
        return fail_at(c, IMP_ERR_FORMAT, at, "element count overflows");
    uint64_t want = (uint64_t)count * esize;
    if (len != want)
        return fail_at(c, IMP_ERR_FORMAT, at + 8,
                       "length %llu does not match %lld elements of %s (%llu bytes)",
                       (unsigned long long)len, (long long)count,
                       imp_dtype_name(v->dtype), (unsigned long long)want);
    if (off % IMP_FMT_ALIGN != 0)
        return fail_at(c, IMP_ERR_FORMAT, at, "offset %llu is not a multiple of %d",
                       (unsigned long long)off, IMP_FMT_ALIGN);
    if (off > r->L.weights_size || len > r->L.weights_size - off)
        return fail_at(c, IMP_ERR_FORMAT, at,
                       "%llu bytes at offset %llu run past the end of the "
                       "weights section (%llu bytes)",
                       (unsigned long long)len, (unsigned long long)off,
                       (unsigned long long)r->L.weights_size);
    /* Both fit in the file, hence in size_t. */
    const uint8_t *src = r->data + (size_t)r->L.weights_off + (size_t)off;
    v->nbytes = (size_t)len;
    bool little = host_is_little_endian();
    if (r->borrow && little && ((uintptr_t)src % IMP_FMT_ALIGN) == 0) {
        v->data = (void *)(uintptr_t)src; /* read-only by contract */
        v->owned = false;
        return true;
    }
    v->data = imp_aligned_alloc(v->nbytes);
    if (!v->data) {
        c->status = imp_fail(c->err, IMP_ERR_NOMEM,
                             "imp: out of memory copying %zu bytes of weights",
                             v->nbytes);
        return false;
    }
    v->owned = true;
    memcpy(v->data, src, v->nbytes);
    if (!little)
        swap_elements(v->data, v->nbytes, esize);
    return true;
}

static bool read_value(struct reader *r, int index)
{
    struct cursor *c = &r->c;
    struct imp_value *v = &r->g->values[index];
    snprintf(c->ctx, sizeof c->ctx, "value %d", index);
    if (!rd_str(c, "value name", &v->name))
        return false;
    char q[48];
    quote_name(q, sizeof q, v->name);
    snprintf(c->ctx, sizeof c->ctx, "value %d '%s'", index, q);
    size_t at = c->pos;
    uint8_t kind, dtype, rank;
    if (!rd_u8(c, "kind", &kind) || !rd_u8(c, "dtype", &dtype) ||
        !rd_u8(c, "rank", &rank) || !rd_reserved(c, 1, "reserved byte"))
        return false;
    if (kind > IMP_VALUE_CONST)
        return fail_at(c, IMP_ERR_FORMAT, at, "kind %u is not 0, 1 or 2", kind);
    if (dtype > IMP_DTYPE_F64)
        return fail_at(c, IMP_ERR_FORMAT, at + 1,
                       "dtype %u is not a known element type", dtype);
    if (rank > IMP_MAX_RANK)
        return fail_at(c, IMP_ERR_FORMAT, at + 2, "rank %u exceeds %d", rank,
                       IMP_MAX_RANK);
    v->kind = (enum imp_value_kind)kind;
    v->dtype = (enum imp_dtype)dtype;
    v->shape.rank = rank;
    for (int d = 0; d < rank; d++) {
        size_t dat = c->pos;
        int64_t dim;
        if (!rd_i64(c, "dims", &dim))
            return false;
        if (dim < -1)
            return fail_at(c, IMP_ERR_FORMAT, dat,
                           "dim %d is %lld (must be -1 or >= 0)", d, (long long)dim);
        if (dim < 0 && v->kind == IMP_VALUE_CONST)
            return fail_at(c, IMP_ERR_FORMAT, dat, "constant has an open dim %d", d);
        v->shape.d[d] = dim;
    }
    if (v->kind != IMP_VALUE_CONST)
        return true;
    if (v->dtype == IMP_DTYPE_UNDEFINED)
        return fail_at(c, IMP_ERR_FORMAT, at + 1, "constant has no element type");
    return read_const_data(r, v);
}

/* A value index: -1 only where `allow_omitted`. */
static bool rd_index(struct reader *r, const char *what, int k,
                     bool allow_omitted, int *out)
{
    struct cursor *c = &r->c;
    size_t at = c->pos;
    uint32_t raw;
    if (!rd_u32(c, what, &raw))
        return false;
    if (raw == UINT32_MAX && allow_omitted) {
        *out = -1;
        return true;
    }
    if (raw >= (uint32_t)r->g->n_values)
        return fail_at(c, IMP_ERR_FORMAT, at,
                       "%s %d refers to value %lld, but there are %d values", what,
                       k, raw == UINT32_MAX ? -1LL : (long long)raw,
                       r->g->n_values);
    *out = (int)raw;
    return true;
}

static bool read_attr(struct reader *r, struct imp_node *n, int k)
{
    struct cursor *c = &r->c;
    struct imp_attr *a = &n->attrs[k];
    size_t at = c->pos;
    if (!rd_str(c, "attribute name", &a->name))
        return false;
    for (int j = 0; j < k; j++)
        if (strcmp(n->attrs[j].name, a->name) == 0) {
            char q[48];
            quote_name(q, sizeof q, a->name);
            return fail_at(c, IMP_ERR_FORMAT, at, "attribute '%s' appears twice", q);
        }
    size_t tat = c->pos;
    uint8_t type;
    if (!rd_u8(c, "attribute type", &type) || !rd_reserved(c, 3, "attribute reserved bytes"))
        return false;
    a->type = (enum imp_attr_type)type;
    uint32_t u;
    switch (type) {
    case IMP_ATTR_INT:
        return rd_i64(c, "int attribute", &a->i);
    case IMP_ATTR_FLOAT:
        if (!rd_u32(c, "float attribute", &u))
            return false;
        memcpy(&a->f, &u, 4);
        return true;
    case IMP_ATTR_STRING:
        return rd_str(c, "string attribute", &a->s);
    case IMP_ATTR_INTS:
        if (!rd_count(c, "ints count", 8, &u))
            return false;
        a->ints = malloc(sizeof *a->ints * ((size_t)u + 1));
        if (!a->ints)
            break;
        a->n = (int)u;
        for (uint32_t i = 0; i < u; i++)
            if (!rd_i64(c, "ints", &a->ints[i]))
                return false;
        return true;
    case IMP_ATTR_FLOATS:
        if (!rd_count(c, "floats count", 4, &u))
            return false;
        a->floats = malloc(sizeof *a->floats * ((size_t)u + 1));
        if (!a->floats)
            break;
        a->n = (int)u;
        for (uint32_t i = 0; i < u; i++) {
            uint32_t bits;
            if (!rd_u32(c, "floats", &bits))
                return false;
            memcpy(&a->floats[i], &bits, 4);
        }
        return true;
    case IMP_ATTR_TENSOR: {
        int v = -1;
        if (!rd_index(r, "tensor attribute", k, false, &v))
            return false;
        if (r->g->values[v].kind != IMP_VALUE_CONST)
            return fail_at(c, IMP_ERR_FORMAT, c->pos - 4,
                           "tensor attribute refers to value %d, which is not "
                           "a constant", v);
        a->i = v;
        return true;
    }
    default:
        return fail_at(c, IMP_ERR_FORMAT, tat, "attribute type %u is unknown", type);
    }
    c->status = imp_fail(c->err, IMP_ERR_NOMEM, "imp: out of memory");
    return false;
}

static bool read_node(struct reader *r, int index)
{
    struct cursor *c = &r->c;
    struct imp_node *n = &r->g->nodes[index];
    snprintf(c->ctx, sizeof c->ctx, "node %d", index);
    size_t op_at = c->pos;
    char *op = NULL;
    if (!rd_str(c, "operator", &op))
        return false;
    n->op = imp_op_from_name(op);
    char qop[48], q[48];
    quote_name(qop, sizeof qop, op);
    free(op);
    if (!rd_str(c, "node name", &n->name))
        return false;
    quote_name(q, sizeof q, n->name);
    snprintf(c->ctx, sizeof c->ctx, "node %d '%s' (%s)", index, q, qop);
    if (n->op == IMP_OP_COUNT)
        return fail_at(c, IMP_ERR_UNSUPPORTED, op_at,
                       "operator '%s' is not known to this impasto", qop);
    uint32_t count;
    if (!rd_count(c, "input count", 4, &count))
        return false;
    n->inputs = malloc(sizeof(int) * ((size_t)count + 1));
    if (!n->inputs)
        goto nomem;
    n->n_inputs = (int)count;
    for (int k = 0; k < n->n_inputs; k++)
        if (!rd_index(r, "input", k, true, &n->inputs[k]))
            return false;
    if (!rd_count(c, "output count", 4, &count))
        return false;
    n->outputs = malloc(sizeof(int) * ((size_t)count + 1));
    if (!n->outputs)
        goto nomem;
    n->n_outputs = (int)count;
    for (int k = 0; k < n->n_outputs; k++)
        if (!rd_index(r, "output", k, false, &n->outputs[k]))
            return false;
    /* name (4) + type and reserved (4) + the smallest payload (4) */
    if (!rd_count(c, "attribute count", 12, &count))
        return false;
    n->attrs = calloc((size_t)count + 1, sizeof *n->attrs);
    if (!n->attrs)
        goto nomem;
    n->n_attrs = (int)count; /* zeroed slots release cleanly on failure */
    for (int k = 0; k < n->n_attrs; k++)
        if (!read_attr(r, n, k))
            return false;
    return true;
nomem:
    c->status = imp_fail(c->err, IMP_ERR_NOMEM, "imp: out of memory");
    return false;
}

static bool read_io_list(struct reader *r, const char *what, bool inputs,
                         uint32_t count, int **list, int *n)
{
    struct cursor *c = &r->c;
    snprintf(c->ctx, sizeof c->ctx, "%ss", what);
    *list = malloc(sizeof(int) * ((size_t)count + 1));
    if (!*list) {
        c->status = imp_fail(c->err, IMP_ERR_NOMEM, "imp: out of memory");
        return false;
    }
    for (uint32_t k = 0; k < count; k++) {
        int v = -1;
        if (!rd_index(r, what, (int)k, false, &v))
            return false;
        if (inputs && r->g->values[v].kind != IMP_VALUE_INPUT)
            return fail_at(c, IMP_ERR_FORMAT, c->pos - 4,
                           "graph input %u is value %d, which is not of kind input",
                           k, v);
        (*list)[(*n)++] = v;
    }
    return true;
}

static bool read_graph(struct reader *r)
{
    struct cursor *c = &r->c;
    struct imp_graph *g = r->g;
    uint32_t n_values, n_nodes, n_inputs, n_outputs;
    /* Smallest records: value 8 bytes, node 20, index 4. */
    if (!rd_count(c, "value count", 8, &n_values) ||
        !rd_count(c, "node count", 20, &n_nodes) ||
        !rd_count(c, "graph input count", 4, &n_inputs) ||
        !rd_count(c, "graph output count", 4, &n_outputs))
        return false;
    char *origin = NULL;
    if (!rd_str(c, "origin", &origin))
        return false;
    free(origin); /* informational; a loaded .imp model reports "imp" */
    /* Every record is at least its minimum size: recheck the sum. */
    uint64_t least = (uint64_t)n_values * 8 + (uint64_t)n_nodes * 20 +
                     ((uint64_t)n_inputs + n_outputs) * 4;
    if (least > c->size - c->pos)
        return fail_at(c, IMP_ERR_FORMAT, 0,
                       "counts need at least %llu bytes, %zu are left",
                       (unsigned long long)least, c->size - c->pos);
    g->values = calloc((size_t)n_values + 1, sizeof *g->values);
    g->nodes = calloc((size_t)n_nodes + 1, sizeof *g->nodes);
    if (!g->values || !g->nodes) {
        c->status = imp_fail(c->err, IMP_ERR_NOMEM, "imp: out of memory");
        return false;
    }
    /* Zeroed records release cleanly if reading stops part way. */
    g->n_values = (int)n_values;
    g->cap_values = (int)n_values + 1;
    g->n_nodes = (int)n_nodes;
    g->cap_nodes = (int)n_nodes + 1;
    for (int i = 0; i < g->n_values; i++)
        if (!read_value(r, i))
            return false;
    for (int i = 0; i < g->n_nodes; i++)
        if (!read_node(r, i))
            return false;
    if (!read_io_list(r, "graph input", true, n_inputs, &g->inputs, &g->n_inputs) ||
        !read_io_list(r, "graph output", false, n_outputs, &g->outputs,
                      &g->n_outputs))
        return false;
    c->ctx[0] = '\0';
    if (c->pos != c->size)
        return fail_at(c, IMP_ERR_FORMAT, c->pos,
                       "%zu unexpected bytes after the graph outputs",
                       c->size - c->pos);
    return true;
}

/* ---- metadata section ------------------------------------------------------ */

static bool read_metadata(struct reader *r)
{
    struct cursor *c = &r->c;
    struct imp_metadata *meta = &r->g->meta;
    uint32_t count;
    c->ctx[0] = '\0';
    /* Each pair is at least two string lengths. */
    if (!rd_count(c, "entry count", 8, &count))
        return false;
    if (count > IMP_META_MAX_ENTRIES)
        return fail_at(c, IMP_ERR_FORMAT, 0, "%u entries, more than the %d allowed",
                       count, IMP_META_MAX_ENTRIES);
    meta->entries = calloc((size_t)count + 1, sizeof *meta->entries);
    if (!meta->entries) {
        c->status = imp_fail(c->err, IMP_ERR_NOMEM, "imp: out of memory");
        return false;
    }
    meta->cap = (int)count + 1;
    for (uint32_t i = 0; i < count; i++) {
        struct imp_meta_entry *e = &meta->entries[i];
        snprintf(c->ctx, sizeof c->ctx, "entry %u", i);
        size_t at = c->pos;
        if (!rd_str(c, "key", &e->key)) {
            meta->n = (int)i;
            return false;
        }
        meta->n = (int)i + 1; /* released with the graph from here on */
        const char *why = imp_metadata_check(e->key, strlen(e->key), true);
        char q[48];
        quote_name(q, sizeof q, e->key);
        if (why)
            return fail_at(c, IMP_ERR_FORMAT, at, "%s", why);
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(meta->entries[j].key, e->key) == 0)
                return fail_at(c, IMP_ERR_FORMAT, at, "key '%s' appears twice", q);
        snprintf(c->ctx, sizeof c->ctx, "entry %u '%s'", i, q);
        at = c->pos;
        if (!rd_str(c, "value", &e->value))
            return false;
        why = imp_metadata_check(e->value, strlen(e->value), false);
        if (why)
            return fail_at(c, IMP_ERR_FORMAT, at, "%s", why);
    }
    c->ctx[0] = '\0';
    if (c->pos != c->size)
        return fail_at(c, IMP_ERR_FORMAT, c->pos, "%zu unexpected bytes after the last entry",
                       c->size - c->pos);
    return true;
}

enum imp_status imp_imp_read(const uint8_t *data, size_t size, bool borrow,
                             struct imp_graph *g, struct imp_error *err)
{
    if (!g)
        return imp_fail(err, IMP_ERR_ARGUMENT, "imp: null graph");
    imp_graph_init(g);
    if (!data && size)
        return imp_fail(err, IMP_ERR_ARGUMENT, "imp: null data");
    struct reader r;
    memset(&r, 0, sizeof r);
    enum imp_status st = read_layout(data, size, &r.L, err);
    if (st != IMP_OK)
        return st;
    r.data = data;
    r.borrow = borrow;
    r.g = g;
    r.c.p = data + (size_t)r.L.graph_off;
    r.c.size = (size_t)r.L.graph_size;
    r.c.base = r.L.graph_off;
    r.c.strict = r.L.strict;
    r.c.section = "graph";
    r.c.err = err;
    r.c.status = IMP_OK;
    bool ok = read_graph(&r);
    if (ok && r.L.has_meta) {
        r.c.p = data + (size_t)r.L.meta_off;
        r.c.size = (size_t)r.L.meta_size;
        r.c.pos = 0;
        r.c.base = r.L.meta_off;
        r.c.section = "metadata";
        ok = read_metadata(&r);
    }
    if (!ok) {
        imp_graph_release(g);
        return r.c.status;
    }
    g->source_format = "imp";
    return IMP_OK;
}
