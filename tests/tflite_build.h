/*
 * A tiny TFLite writer for tests: enough of schema.fbs to describe small
 * models in C tables and serialise them as flatbuffers. Objects are laid
 * out front to back (every offset points forward, each vtable sits just
 * before its table, every field gets an 8-byte slot), which is valid
 * FlatBuffers even if flatc would pack it tighter.
 */
#ifndef IMP_TEST_TFLITE_BUILD_H
#define IMP_TEST_TFLITE_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { T_FLOAT32 = 0, T_FLOAT16 = 1, T_INT32 = 2, T_UINT8 = 3, T_INT64 = 4,
       T_INT8 = 9 };

struct tb_tensor {
    const char *name;
    int type;
    int rank;            /* -1: no shape written (unknown) */
    int32_t dims[6];
    const void *data;    /* constant bytes, or NULL */
    size_t nbytes;
    int n_scales;        /* quantization, 0 for none */
    const float *scales;
    const int64_t *zero_points;
    int qdim;
    const int32_t *signature; /* shape_signature (rank entries) or NULL */
};

/* An options field: 'b' byte, 'i' int32, 'f' float, 'v' int32 vector. */
struct tb_field {
    int id;
    char kind;
    double v;
    int n;
    const int32_t *vec;
};

struct tb_op {
    int code;
    const char *custom; /* custom_code, for code 32 */
    int n_in, in[8];
    int n_out, out[4];
    int opt_type;       /* BuiltinOptions member, 0 for none */
    int n_fields;
    struct tb_field fields[8];
    const uint8_t *custom_options;
    int n_custom;
};

struct tb_model {
    int n_tensors;
    const struct tb_tensor *tensors;
    int n_ops;
    const struct tb_op *ops;
    int n_inputs, inputs[4];
    int n_outputs, outputs[4];
    /* Model.description and Model.metadata entries (name, buffer bytes). */
    const char *description;
    int n_meta;
    const char *meta_names[4];
    const void *meta_data[4];
    size_t meta_len[4];
};

struct tb_buf {
    uint8_t *b;
    size_t len, cap;
    bool oom;
};

static size_t tb_alloc(struct tb_buf *f, size_t n, size_t align)
{
    size_t pad = (align - f->len % align) % align;
    if (f->len + pad + n > f->cap) {
        size_t cap = (f->cap ? f->cap * 2 : 1024) + pad + n;
        uint8_t *grown = realloc(f->b, cap);
        if (!grown) {
            f->oom = true;
            return 0;
        }
        f->b = grown;
        f->cap = cap;
    }
    memset(f->b + f->len, 0, pad + n);
    f->len += pad + n;
    return f->len - n;
}

static void tb_w(struct tb_buf *f, size_t at, uint64_t v, int bytes)
{
    if (f->oom)
        return;
    for (int i = 0; i < bytes; i++)
        f->b[at + i] = (uint8_t)(v >> (8 * i));
}

static size_t tb_table(struct tb_buf *f, int n_fields, uint32_t present)
{
    size_t vt = tb_alloc(f, 4 + 2 * (size_t)n_fields, 4);
    size_t t = tb_alloc(f, 4 + 8 * (size_t)n_fields, 8);
    if (f->oom)
        return 0;
    tb_w(f, vt, 4 + 2 * (uint64_t)n_fields, 2);
    tb_w(f, vt + 2, 4 + 8 * (uint64_t)n_fields, 2);
    for (int i = 0; i < n_fields; i++)
        tb_w(f, vt + 4 + 2 * (size_t)i, (present >> i & 1) ? 4 + 8 * (uint64_t)i : 0, 2);
    tb_w(f, t, (uint32_t)(t - vt), 4);
    return t;
}

static size_t tb_field(size_t table, int id)
{
    return table + 4 + 8 * (size_t)id;
}

static void tb_ref(struct tb_buf *f, size_t at, size_t target)
{
    tb_w(f, at, (uint32_t)(target - at), 4);
}

static size_t tb_vec(struct tb_buf *f, size_t elem, uint32_t n, const void *data)
{
    size_t p = tb_alloc(f, 4 + elem * n + 1, 4); /* +1: a string's NUL */
    tb_w(f, p, n, 4);
    if (!f->oom && data && n)
        memcpy(f->b + p + 4, data, elem * n);
    return p;
}

static size_t tb_string(struct tb_buf *f, const char *s)
{
    return tb_vec(f, 1, (uint32_t)strlen(s), s);
}

static void tb_options(struct tb_buf *f, size_t op, const struct tb_op *o)
{
    int n = 0;
    uint32_t mask = 0;
    for (int i = 0; i < o->n_fields; i++) {
        if (o->fields[i].id + 1 > n)
            n = o->fields[i].id + 1;
        mask |= 1u << o->fields[i].id;
    }
    size_t t = tb_table(f, n, mask);
    tb_ref(f, tb_field(op, 4), t);
    for (int i = 0; i < o->n_fields; i++) {
        const struct tb_field *x = &o->fields[i];
        size_t at = tb_field(t, x->id);
        if (x->kind == 'b') {
            tb_w(f, at, (uint8_t)(int)x->v, 1);
        } else if (x->kind == 'i') {
            tb_w(f, at, (uint32_t)(int32_t)x->v, 4);
        } else if (x->kind == 'f') {
            float v = (float)x->v;
            uint32_t u;
            memcpy(&u, &v, 4);
            tb_w(f, at, u, 4);
        } else {
            tb_ref(f, at, tb_vec(f, 4, (uint32_t)x->n, x->vec));
        }
    }
}

/* The serialised model (malloc'd), or NULL when out of memory. */
static uint8_t *tb_build(const struct tb_model *m, size_t *size)
{
    struct tb_buf f = {0};
    size_t root = tb_alloc(&f, 8, 4);
    if (f.oom)
        return NULL;
    memcpy(f.b + 4, "TFL3", 4);
    size_t model = tb_table(&f, 7, 0x17 | (m->description ? 0x08 : 0) |
                                       (m->n_meta ? 0x40 : 0));
    tb_ref(&f, root, model);
    tb_w(&f, tb_field(model, 0), 3, 4);

    /* One operator code per operator keeps the indices trivial. */
    size_t codes = tb_vec(&f, 4, (uint32_t)m->n_ops, NULL);
    tb_ref(&f, tb_field(model, 1), codes);
    for (int i = 0; i < m->n_ops; i++) {
        const struct tb_op *o = &m->ops[i];
        size_t c = tb_table(&f, 4, o->custom ? 0xf : 0xd);
        tb_ref(&f, codes + 4 + 4 * (size_t)i, c);
        tb_w(&f, tb_field(c, 0), (uint8_t)(o->code < 127 ? o->code : 127), 1);
        tb_w(&f, tb_field(c, 2), 1, 4);
        tb_w(&f, tb_field(c, 3), (uint32_t)o->code, 4);
        if (o->custom)
            tb_ref(&f, tb_field(c, 1), tb_string(&f, o->custom));
    }

    size_t sgs = tb_vec(&f, 4, 1, NULL);
    tb_ref(&f, tb_field(model, 2), sgs);
    size_t sg = tb_table(&f, 4, 0xf);
    tb_ref(&f, sgs + 4, sg);
    size_t tensors = tb_vec(&f, 4, (uint32_t)m->n_tensors, NULL);
    tb_ref(&f, tb_field(sg, 0), tensors);
    for (int i = 0; i < m->n_tensors; i++) {
        const struct tb_tensor *t = &m->tensors[i];
        size_t tt = tb_table(&f, 8, 0x0e | (t->rank >= 0 ? 1 : 0) |
                                        (t->n_scales ? 0x10 : 0) |
                                        (t->signature ? 0x80 : 0));
        tb_ref(&f, tensors + 4 + 4 * (size_t)i, tt);
        if (t->rank >= 0) /* else no shape: the field stays absent */
            tb_ref(&f, tb_field(tt, 0), tb_vec(&f, 4, (uint32_t)t->rank, t->dims));
        tb_w(&f, tb_field(tt, 1), (uint8_t)t->type, 1);
        tb_w(&f, tb_field(tt, 2), t->data ? (uint32_t)(i + 1) : 0, 4);
        tb_ref(&f, tb_field(tt, 3), tb_string(&f, t->name));
        if (t->signature)
            tb_ref(&f, tb_field(tt, 7), tb_vec(&f, 4, (uint32_t)t->rank, t->signature));
        if (t->n_scales) {
            size_t q = tb_table(&f, 7, 0x4c);
            tb_ref(&f, tb_field(tt, 4), q);
            tb_ref(&f, tb_field(q, 2), tb_vec(&f, 4, (uint32_t)t->n_scales, t->scales));
            tb_ref(&f, tb_field(q, 3),
                   tb_vec(&f, 8, (uint32_t)t->n_scales, t->zero_points));
            tb_w(&f, tb_field(q, 6), (uint32_t)t->qdim, 4);
        }
    }
    tb_ref(&f, tb_field(sg, 1), tb_vec(&f, 4, (uint32_t)m->n_inputs, m->inputs));
    tb_ref(&f, tb_field(sg, 2), tb_vec(&f, 4, (uint32_t)m->n_outputs, m->outputs));
    size_t ops = tb_vec(&f, 4, (uint32_t)m->n_ops, NULL);
    tb_ref(&f, tb_field(sg, 3), ops);
    for (int i = 0; i < m->n_ops; i++) {
        const struct tb_op *o = &m->ops[i];
        size_t ot = tb_table(&f, 6, 0x07 | (o->opt_type ? 0x18 : 0) |
                                        (o->custom_options ? 0x20 : 0));
        tb_ref(&f, ops + 4 + 4 * (size_t)i, ot);
        tb_w(&f, tb_field(ot, 0), (uint32_t)i, 4);
        tb_ref(&f, tb_field(ot, 1), tb_vec(&f, 4, (uint32_t)o->n_in, o->in));
        tb_ref(&f, tb_field(ot, 2), tb_vec(&f, 4, (uint32_t)o->n_out, o->out));
        if (o->opt_type) {
            tb_w(&f, tb_field(ot, 3), (uint8_t)o->opt_type, 1);
            tb_options(&f, ot, o);
        }
        if (o->custom_options)
            tb_ref(&f, tb_field(ot, 5),
                   tb_vec(&f, 1, (uint32_t)o->n_custom, o->custom_options));
    }

    if (m->description)
        tb_ref(&f, tb_field(model, 3), tb_string(&f, m->description));
    if (m->n_meta) {
        /* Metadata buffers follow the tensors' ones. */
        size_t metas = tb_vec(&f, 4, (uint32_t)m->n_meta, NULL);
        tb_ref(&f, tb_field(model, 6), metas);
        for (int k = 0; k < m->n_meta; k++) {
            size_t e = tb_table(&f, 2, 0x3);
            tb_ref(&f, metas + 4 + 4 * (size_t)k, e);
            tb_ref(&f, tb_field(e, 0), tb_string(&f, m->meta_names[k]));
            tb_w(&f, tb_field(e, 1), (uint32_t)(m->n_tensors + 1 + k), 4);
        }
    }
    size_t bufs = tb_vec(&f, 4, (uint32_t)(m->n_tensors + 1 + m->n_meta), NULL);
    tb_ref(&f, tb_field(model, 4), bufs);
    for (int k = 0; k < m->n_meta; k++) {
        size_t b = tb_table(&f, 1, 1);
        tb_ref(&f, bufs + 4 + 4 * (size_t)(m->n_tensors + 1 + k), b);
        tb_ref(&f, tb_field(b, 0), tb_vec(&f, 1, (uint32_t)m->meta_len[k], m->meta_data[k]));
    }
    for (int i = 0; i <= m->n_tensors; i++) {
        const struct tb_tensor *t = i ? &m->tensors[i - 1] : NULL;
        bool has = t && t->data;
        size_t b = tb_table(&f, 1, has ? 1 : 0);
        tb_ref(&f, bufs + 4 + 4 * (size_t)i, b);
        if (has)
            tb_ref(&f, tb_field(b, 0), tb_vec(&f, 1, (uint32_t)t->nbytes, t->data));
    }
    if (f.oom) {
        free(f.b);
        return NULL;
    }
    *size = f.len;
    return f.b;
}

#endif
