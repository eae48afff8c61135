/*
 * TFLite reader: messages, unique value names, and the small graph
 * building helpers the operator translators share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "formats/tflite_priv.h"

/* Longest name we keep (longer ones are cut, then made unique). */
#define NAME_MAX_LEN 480

/* ---- messages ----------------------------------------------------------- */

enum imp_status imp_tfl_op_fail(struct imp_tfl_reader *r, enum imp_status st,
                                const char *fmt, ...)
{
    char msg[IMP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->failed = true;
    if (r->op_index >= 0)
        return imp_fail(r->err, st, "operator %d (%s): %s", r->op_index,
                        r->op_name ? r->op_name : "?", msg);
    return imp_fail(r->err, st, "%s", msg);
}

enum imp_status imp_tfl_nomem(struct imp_tfl_reader *r)
{
    r->failed = true;
    return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
}

/* ---- unique names ------------------------------------------------------- */

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool names_has(const struct imp_tfl_reader *r, const char *s)
{
    if (!r->names_cap)
        return false;
    size_t mask = r->names_cap - 1;
    for (size_t i = name_hash(s) & mask; r->names[i]; i = (i + 1) & mask)
        if (strcmp(r->names[i], s) == 0)
            return true;
    return false;
}

static bool names_put(struct imp_tfl_reader *r, char *s)
{
    if ((r->names_used + 1) * 2 > r->names_cap) {
        size_t cap = r->names_cap ? r->names_cap * 2 : 256;
        char **grown = calloc(cap, sizeof *grown);
        if (!grown)
            return false;
        for (size_t i = 0; i < r->names_cap; i++) {
            if (!r->names[i])
                continue;
            size_t j = name_hash(r->names[i]) & (cap - 1);
            while (grown[j])
                j = (j + 1) & (cap - 1);
            grown[j] = r->names[i];
        }
        free(r->names);
        r->names = grown;
        r->names_cap = cap;
    }
    size_t mask = r->names_cap - 1, i = name_hash(s) & mask;
    while (r->names[i])
        i = (i + 1) & mask;
    r->names[i] = s;
    r->names_used++;
    return true;
}

/* `base` + `suffix`, cut to a sane length and made unique; the returned
 * string belongs to the name set (do not free). NULL when out of memory. */
const char *imp_tfl_unique_name(struct imp_tfl_reader *r, const char *base,
                                const char *suffix)
{
    char buf[NAME_MAX_LEN + 64];
    snprintf(buf, sizeof buf, "%.*s%s", NAME_MAX_LEN, base, suffix ? suffix : "");
    size_t len = strlen(buf);
    for (unsigned k = 1; names_has(r, buf); k++)
        snprintf(buf + len, sizeof buf - len, "#%u", k);
    char *s = imp_strdup(buf);
    if (!s || !names_put(r, s)) {
        free(s);
        return NULL;
    }
    return s;
}

/* ---- graph building helpers --------------------------------------------- */

int imp_tfl_temp(struct imp_tfl_reader *r, const char *base, const char *suffix,
                 enum imp_dtype dtype)
{
    const char *name = imp_tfl_unique_name(r, base, suffix);
    int v =
        name ? imp_graph_add_value(r->g, name, IMP_VALUE_ACTIVATION, dtype, NULL) : -1;
    if (v < 0)
        imp_tfl_nomem(r);
    return v;
}

int imp_tfl_const(struct imp_tfl_reader *r, const char *name, enum imp_dtype dtype,
                  const struct imp_shape *shape, const void *data)
{
    int64_t n = imp_shape_count(shape);
    uint64_t bytes = n < 0 ? 0 : (uint64_t)n * imp_dtype_size(dtype);
    if (n < 0 || bytes > r->const_cap - r->const_bytes) {
        imp_tfl_op_fail(r, IMP_ERR_FORMAT,
                        "constant '%s' would take the constants past %llu bytes, "
                        "far more than the file can explain",
                        name, (unsigned long long)r->const_cap);
        return -1;
    }
    r->const_bytes += bytes;
    const char *uname = imp_tfl_unique_name(r, name, NULL);
    int v = uname ? imp_graph_add_const(r->g, uname, dtype, shape, data) : -1;
    if (v < 0)
        imp_tfl_nomem(r);
    return v;
}

int imp_tfl_const_i64(struct imp_tfl_reader *r, const char *name, const int64_t *v,
                      int n)
{
    int64_t d = n;
    struct imp_shape s = imp_shape_make(1, &d);
    return imp_tfl_const(r, name, IMP_DTYPE_I64, &s, v);
}

int imp_tfl_const_f32_scalar(struct imp_tfl_reader *r, const char *name, float v)
{
    struct imp_shape s = {0};
    return imp_tfl_const(r, name, IMP_DTYPE_F32, &s, &v);
}

int imp_tfl_node(struct imp_tfl_reader *r, enum imp_op op, const char *name, int n_in,
                 const int *in, int n_out, const int *out)
{
    /* A failed value lookup already set the error (and its -1 would read
     * as an omitted input). */
    if (r->failed)
        return -1;
    for (int i = 0; i < n_in; i++)
        if (in[i] < -1 || in[i] >= r->g->n_values)
            return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "bad value index"), -1;
    for (int i = 0; i < n_out; i++)
        if (out[i] < 0 || out[i] >= r->g->n_values)
            return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "bad value index"), -1;
    int node = imp_graph_add_node(r->g, op, name, n_in, in, n_out, out);
    if (node < 0)
        imp_tfl_nomem(r);
    return node;
}

#define SETTER(fn, setter, type)                                                       \
    enum imp_status fn(struct imp_tfl_reader *r, int node, const char *k, type v)      \
    {                                                                                  \
        if (setter(r->g, node, k, v) != IMP_OK)                                        \
            return imp_tfl_nomem(r);                                                   \
        return IMP_OK;                                                                 \
    }
SETTER(imp_tfl_set_int, imp_node_set_int, int64_t)
SETTER(imp_tfl_set_float, imp_node_set_float, float)
SETTER(imp_tfl_set_string, imp_node_set_string, const char *)
#undef SETTER

enum imp_status imp_tfl_set_ints(struct imp_tfl_reader *r, int node, const char *k,
                                 const int64_t *v, int n)
{
    if (imp_node_set_ints(r->g, node, k, v, n) != IMP_OK)
        return imp_tfl_nomem(r);
    return IMP_OK;
}
