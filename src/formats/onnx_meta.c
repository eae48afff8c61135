/*
 * The ONNX reader's metadata: ModelProto.metadata_props, kept as the
 * model's key/value pairs, plus two of the model's own fields under keys of
 * ours: "onnx.producer" (producer_name and producer_version) and
 * "onnx.doc_string". A metadata_props entry of the same key wins over a
 * field, so a model impasto wrote (which keeps "onnx.producer" among its
 * props) reads back with the same pairs. A prop that breaks the metadata
 * rules (core/metadata.h) is damage and fails the load; a field that does
 * is informational and is left out, as is the producer "impasto" (the
 * files impasto writes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/onnx_priv.h"

enum { M_PRODUCER_NAME = 2, M_PRODUCER_VERSION = 3, M_DOC_STRING = 6,
       M_METADATA_PROPS = 14 };

static enum imp_status read_prop(struct imp_onnx_reader *r, struct imp_pb *model,
                                 const struct imp_pb_field *field)
{
    struct imp_pb p;
    struct imp_pb_field f;
    struct imp_pb_bytes key = {0}, value = {0};
    enum imp_status st = imp_pb_enter(model, field, &p);
    while (st == IMP_OK && imp_pb_next(&p, &f)) {
        if (f.number == 1)
            st = imp_pb_bytes(&p, &f, &key);
        else if (f.number == 2)
            st = imp_pb_bytes(&p, &f, &value);
    }
    if (st == IMP_OK)
        st = p.status;
    if (st != IMP_OK)
        return st;
    struct imp_metadata *meta = &r->g->meta;
    const char *why = imp_metadata_check((const char *)key.p, key.n, true);
    if (!why)
        why = imp_metadata_check((const char *)value.p, value.n, false);
    if (why)
        return imp_fail(r->err, IMP_ERR_FORMAT, "metadata_props entry at byte %zu: %s",
                        field->offset, why);
    char *k = malloc(key.n + 1), *v = malloc(value.n + 1);
    if (!k || !v) {
        free(k);
        free(v);
        return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
    }
    memcpy(k, key.p, key.n);
    k[key.n] = '\0';
    if (value.n)
        memcpy(v, value.p, value.n);
    v[value.n] = '\0';
    if (imp_metadata_find(meta, k)) {
        st = imp_fail(r->err, IMP_ERR_FORMAT,
                      "metadata_props entry at byte %zu: key '%.100s' appears twice",
                      field->offset, k);
    } else if (meta->n >= IMP_META_MAX_ENTRIES) {
        st = imp_fail(r->err, IMP_ERR_FORMAT, "more than %d metadata_props entries",
                      IMP_META_MAX_ENTRIES);
    } else if (!imp_metadata_set(meta, k, v)) {
        st = imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
    }
    free(k);
    free(v);
    return st;
}

/* Add key = text when the key is free and the text fits the rules. */
static enum imp_status add_field(struct imp_onnx_reader *r, const char *key,
                                 const char *text, size_t n)
{
    struct imp_metadata *meta = &r->g->meta;
    if (n == 0 || imp_metadata_find(meta, key) || meta->n >= IMP_META_MAX_ENTRIES ||
        imp_metadata_check(text, n, false))
        return IMP_OK;
    char *v = malloc(n + 1);
    if (!v)
        return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
    memcpy(v, text, n);
    v[n] = '\0';
    bool ok = imp_metadata_set(meta, key, v);
    free(v);
    return ok ? IMP_OK : imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
}

enum imp_status imp_onnx_read_metadata(struct imp_onnx_reader *r,
                                       const uint8_t *data, size_t size)
{
    struct imp_pb model;
    struct imp_pb_field f;
    struct imp_pb_bytes producer = {0}, version = {0}, doc = {0};
    imp_pb_init(&model, data, size, r->err);
    enum imp_status st = IMP_OK;
    while (st == IMP_OK && imp_pb_next(&model, &f)) {
        if (f.number == M_METADATA_PROPS)
            st = read_prop(r, &model, &f);
        else if (f.number == M_PRODUCER_NAME)
            st = imp_pb_bytes(&model, &f, &producer);
        else if (f.number == M_PRODUCER_VERSION)
            st = imp_pb_bytes(&model, &f, &version);
        else if (f.number == M_DOC_STRING)
            st = imp_pb_bytes(&model, &f, &doc);
    }
    if (st == IMP_OK)
        st = model.status;
    if (st != IMP_OK)
        return st;
    /* A file impasto wrote says so in producer_name; that is no news,
     * and leaving it out keeps a model's pairs the same through ONNX. */
    bool ours = producer.n == 7 && memcmp(producer.p, "impasto", 7) == 0;
    if (producer.n && !ours && producer.n <= 200 && version.n <= 200) {
        char text[404];
        int n = snprintf(text, sizeof text, "%.*s%s%.*s", (int)producer.n,
                         (const char *)producer.p, version.n ? " " : "",
                         (int)version.n, version.n ? (const char *)version.p : "");
        /* %.*s stops at a NUL byte: such a field is not text. */
        if (n > 0 && (size_t)n == producer.n + (version.n ? version.n + 1 : 0))
            st = add_field(r, "onnx.producer", text, (size_t)n);
    }
    if (st == IMP_OK && doc.n)
        st = add_field(r, "onnx.doc_string", (const char *)doc.p, doc.n);
    return st;
}
