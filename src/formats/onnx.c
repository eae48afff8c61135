/*
 * ONNX reader: ModelProto -> imp_graph, without a protobuf library.
 *
 * The model is read in passes over the same bytes, because protobuf fields
 * come in any order: the opset before the graph; in the graph the
 * initializers, then the inputs, then every node's outputs (so that a node
 * may name a value produced further down), then the nodes themselves, then
 * the outputs. Names resolve through a hash map: files with many thousands
 * of names must not cost quadratic time.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "formats/formats.h"
#include "formats/onnx_priv.h"

enum { M_IR_VERSION = 1, M_GRAPH = 7, M_OPSET_IMPORT = 8 };
enum { G_NODE = 1, G_INITIALIZER = 5, G_INPUT = 11, G_OUTPUT = 12,
       G_SPARSE_INITIALIZER = 15 };

/* The default-domain opsets whose operators we implement: from the first
 * (src/formats/onnx_legacy.c reads what opsets 1-6 spelled differently) to
 * 23, whose changes to our operators are new element types only. */
#define MIN_OPSET 1
#define MAX_OPSET 23
/* IR 3 introduced opset_import; 11 (ONNX 1.18) is the newest we know. */
#define MIN_IR 3
#define MAX_IR 11

/* ---- value names ------------------------------------------------------- */

static uint64_t hash_name(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a, then a finaliser so the */
    for (size_t i = 0; i < n; i++)    /* low bits (the bucket) depend on */
        h = (h ^ p[i]) * 0x100000001b3u; /* every byte                 */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

static bool name_is(const struct imp_onnx_reader *r, int v, const uint8_t *p,
                    size_t n)
{
    /* Lengths first: p may hold NUL bytes, which strncmp would stop at. */
    const char *s = r->g->values[v].name;
    return strlen(s) == n && memcmp(s, p, n) == 0;
}

int imp_onnx_find(const struct imp_onnx_reader *r, const uint8_t *p, size_t n)
{
    if (!r->cap)
        return -1;
    uint64_t h = hash_name(p, n);
    for (size_t i = h & (r->cap - 1);; i = (i + 1) & (r->cap - 1)) {
        int v = r->slots[i];
        if (v < 0)
            return -1;
        if (r->hashes[i] == h && name_is(r, v, p, n))
            return v;
    }
}

static void place(uint64_t *hashes, int *slots, size_t cap, uint64_t h, int v)
{
    size_t i = h & (cap - 1);
    while (slots[i] >= 0)
        i = (i + 1) & (cap - 1);
    hashes[i] = h;
    slots[i] = v;
}

enum imp_status imp_onnx_bind(struct imp_onnx_reader *r, int v)
{
    if ((r->used + 1) * 2 > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        uint64_t *hashes = malloc(sizeof *hashes * cap);
        int *slots = malloc(sizeof *slots * cap);
        if (!hashes || !slots || cap > SIZE_MAX / 16) {
            free(hashes);
            free(slots);
            return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < cap; i++)
            slots[i] = -1;
        for (size_t i = 0; i < r->cap; i++)
            if (r->slots[i] >= 0)
                place(hashes, slots, cap, r->hashes[i], r->slots[i]);
        free(r->hashes);
        free(r->slots);
        r->hashes = hashes;
        r->slots = slots;
        r->cap = cap;
    }
    const char *name = r->g->values[v].name;
    place(r->hashes, r->slots, r->cap,
          hash_name((const uint8_t *)name, strlen(name)), v);
    r->used++;
    return IMP_OK;
}

enum imp_status imp_onnx_set_flag(struct imp_onnx_reader *r, int v, unsigned f)
{
    if (v >= r->flags_cap) {
        int cap = r->flags_cap ? r->flags_cap : 256;
        while (cap <= v)
            cap *= 2;
        unsigned char *grown = realloc(r->flags, (size_t)cap);
        if (!grown)
            return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
        memset(grown + r->flags_cap, 0, (size_t)(cap - r->flags_cap));
        r->flags = grown;
        r->flags_cap = cap;
    }
    r->flags[v] |= (unsigned char)f;
    return IMP_OK;
}

bool imp_onnx_has_flag(const struct imp_onnx_reader *r, int v, unsigned f)
{
    return v >= 0 && v < r->flags_cap && (r->flags[v] & f);
}

/* ---- graph ------------------------------------------------------------- */

static enum imp_status read_initializer(struct imp_onnx_reader *r,
                                        struct imp_pb *graph,
                                        const struct imp_pb_field *f)
{
    struct imp_onnx_tensor t;
    enum imp_status st = imp_onnx_read_tensor(graph, f, &t);
    if (st == IMP_OK && !t.name[0])
        st = imp_fail(r->err, IMP_ERR_FORMAT,
                      "initializer at byte %zu has no name", f->offset);
    if (st == IMP_OK &&
        imp_onnx_find(r, (const uint8_t *)t.name, strlen(t.name)) >= 0)
        st = imp_fail(r->err, IMP_ERR_FORMAT,
                      "initializer '%.100s' is defined twice", t.name);
    if (st != IMP_OK) {
        imp_onnx_tensor_release(&t);
        return st;
    }
    int v = imp_graph_add_const_owned(r->g, t.name, t.dtype, &t.shape, t.data);
    t.data = NULL;
    imp_onnx_tensor_release(&t);
    if (v < 0)
        return imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
    return imp_onnx_bind(r, v);
}

static enum imp_status check_tensor_type(struct imp_onnx_reader *r,
                                         const char *what,
                                         const struct imp_onnx_value_info *vi)
{
    if (vi->kind)
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                        "%s '%.100s' is %s; only tensors are supported", what,
                        vi->name, vi->kind);
    if (vi->elem_type && imp_onnx_dtype(vi->elem_type) == IMP_DTYPE_UNDEFINED)
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                        "%s '%.100s' has element type %s (%d), which is not "
                        "supported", what, vi->name,
                        imp_onnx_dtype_name(vi->elem_type), (int)vi->elem_type);
    return IMP_OK;
}

static enum imp_status read_input(struct imp_onnx_reader *r,
                                  struct imp_pb *graph,
                                  const struct imp_pb_field *f)
{
    struct imp_onnx_value_info vi;
    enum imp_status st = imp_onnx_read_value_info(graph, f, &vi);
    if (st != IMP_OK)
        return st;
    int known = imp_onnx_find(r, (const uint8_t *)vi.name, strlen(vi.name));
    if (!vi.name[0])
        st = imp_fail(r->err, IMP_ERR_FORMAT,
                      "graph input at byte %zu has no name", f->offset);
    else if (known >= 0 && r->g->values[known].kind == IMP_VALUE_CONST)
        goto done; /* an initializer: a constant, not something to feed */
    else if (known >= 0)
        st = imp_fail(r->err, IMP_ERR_FORMAT, "graph input '%.100s' is listed twice",
                      vi.name);
    else
        st = check_tensor_type(r, "graph input", &vi);
    if (st != IMP_OK)
        goto done;
    if (!vi.elem_type) {
        st = imp_fail(r->err, IMP_ERR_FORMAT,
                      "graph input '%.100s' has no element type", vi.name);
        goto done;
    }
    if (!vi.has_shape) {
        st = imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                      "graph input '%.100s' has no shape (unknown rank)", vi.name);
        goto done;
    }
    int v = imp_graph_add_value(r->g, vi.name, IMP_VALUE_INPUT,
                                imp_onnx_dtype(vi.elem_type), &vi.shape);
    if (v < 0 || imp_onnx_bind(r, v) != IMP_OK ||
        imp_graph_add_input(r->g, v) != IMP_OK)
        st = imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
done:
    free(vi.name);
    return st;
}

static enum imp_status read_output(struct imp_onnx_reader *r,
                                   struct imp_pb *graph,
                                   const struct imp_pb_field *f)
{
    struct imp_onnx_value_info vi;
    enum imp_status st = imp_onnx_read_value_info(graph, f, &vi);
    if (st != IMP_OK)
        return st;
    int v = imp_onnx_find(r, (const uint8_t *)vi.name, strlen(vi.name));
    if (!vi.name[0])
        st = imp_fail(r->err, IMP_ERR_FORMAT,
                      "graph output at byte %zu has no name", f->offset);
    else if (v < 0)
        st = imp_fail(r->err, IMP_ERR_FORMAT,
                      "graph output '%.100s' is not produced by any node, "
                      "input or initializer", vi.name);
    else if (imp_onnx_has_flag(r, v, IMP_ONNX_DROPPED))
        st = imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                      "graph output '%.100s' is the mask of a Dropout, which is "
                      "not computed", vi.name);
    else if (imp_onnx_has_flag(r, v, IMP_ONNX_OUTPUT))
        st = imp_fail(r->err, IMP_ERR_FORMAT, "graph output '%.100s' is listed twice",
                      vi.name);
    else
        st = check_tensor_type(r, "graph output", &vi);
    if (st == IMP_OK) {
        /* The declared shape tells which output dims the model leaves
         * open; the element type is what inference will check against. */
        struct imp_value *val = &r->g->values[v];
        if (val->kind == IMP_VALUE_ACTIVATION) {
            val->dtype = imp_onnx_dtype(vi.elem_type);
            if (vi.has_shape)
                val->shape = vi.shape;
        }
        if (imp_onnx_set_flag(r, v, IMP_ONNX_OUTPUT) != IMP_OK ||
            imp_graph_add_output(r->g, v) != IMP_OK)
            st = imp_fail(r->err, IMP_ERR_NOMEM, "out of memory");
    }
    free(vi.name);
    return st;
}

typedef enum imp_status (*field_fn)(struct imp_onnx_reader *r,
                                    struct imp_pb *graph,
                                    const struct imp_pb_field *f);

/* One pass over the graph's fields numbered `number`. */
static enum imp_status graph_pass(struct imp_onnx_reader *r,
                                  const struct imp_pb *graph, uint32_t number,
                                  field_fn fn)
{
    struct imp_pb p = *graph;
    struct imp_pb_field f;
    while (imp_pb_next(&p, &f)) {
        if (f.number != number)
            continue;
        enum imp_status st = fn(r, &p, &f);
        if (st != IMP_OK)
            return st;
    }
    return p.status;
}

static enum imp_status node_pass(struct imp_onnx_reader *r,
                                 const struct imp_pb *graph, bool build)
{
    struct imp_pb p = *graph;
    struct imp_pb_field f;
    int index = 0;
    while (imp_pb_next(&p, &f)) {
        if (f.number != G_NODE)
            continue;
        if (index == INT32_MAX / 2)
            return imp_fail(r->err, IMP_ERR_FORMAT, "too many nodes");
        enum imp_status st = build ? imp_onnx_build_node(r, &p, &f, index) :
                                     imp_onnx_declare_node(r, &p, &f, index);
        if (st != IMP_OK)
            return st;
        index++;
    }
    return p.status;
}

static enum imp_status reject_sparse(struct imp_onnx_reader *r,
                                     struct imp_pb *graph,
                                     const struct imp_pb_field *f)
{
    (void)graph;
    return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                    "sparse initializer at byte %zu: sparse tensors are not "
                    "supported", f->offset);
}

static enum imp_status read_graph(struct imp_onnx_reader *r,
                                  struct imp_pb *model,
                                  const struct imp_pb_field *f)
{
    struct imp_pb graph;
    enum imp_status st = imp_pb_enter(model, f, &graph);
    if (st == IMP_OK)
        st = graph_pass(r, &graph, G_SPARSE_INITIALIZER, reject_sparse);
    if (st == IMP_OK)
        st = graph_pass(r, &graph, G_INITIALIZER, read_initializer);
    if (st == IMP_OK)
        st = graph_pass(r, &graph, G_INPUT, read_input);
    if (st == IMP_OK)
        st = node_pass(r, &graph, false);
    if (st == IMP_OK)
        st = node_pass(r, &graph, true);
    if (st == IMP_OK)
        st = graph_pass(r, &graph, G_OUTPUT, read_output);
    if (st == IMP_OK && r->g->n_outputs == 0)
        st = imp_fail(r->err, IMP_ERR_FORMAT, "the graph has no outputs");
    return st;
}

/* ---- model ------------------------------------------------------------- */

static enum imp_status read_opset(struct imp_onnx_reader *r,
                                  struct imp_pb *model,
                                  const struct imp_pb_field *field,
                                  bool *seen_default)
{
    struct imp_pb p;
    struct imp_pb_field f;
    struct imp_pb_bytes domain = {0};
    int64_t version = 0;
    enum imp_status st = imp_pb_enter(model, field, &p);
    while (st == IMP_OK && imp_pb_next(&p, &f)) {
        if (f.number == 1)
            st = imp_pb_bytes(&p, &f, &domain);
        else if (f.number == 2)
            st = imp_pb_int64(&p, &f, &version);
    }
    if (st == IMP_OK)
        st = p.status;
    if (st != IMP_OK)
        return st;
    bool is_default = domain.n == 0 ||
                      (domain.n == 7 && memcmp(domain.p, "ai.onnx", 7) == 0);
    if (!is_default)
        return IMP_OK; /* only matters if a node uses it: rejected there */
    if (*seen_default)
        return imp_fail(r->err, IMP_ERR_FORMAT,
                        "opset_import lists the default domain twice");
    *seen_default = true;
    if (version < MIN_OPSET || version > MAX_OPSET)
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                        "opset %lld of the default domain is not supported "
                        "(need %d..%d)", (long long)version, MIN_OPSET, MAX_OPSET);
    r->opset = version;
    return IMP_OK;
}

static enum imp_status read_model(struct imp_onnx_reader *r,
                                  const uint8_t *data, size_t size)
{
    struct imp_pb model;
    struct imp_pb_field f, graph = {0};
    imp_pb_init(&model, data, size, r->err);
    int64_t ir = 0;
    bool has_graph = false, seen_default = false;
    enum imp_status st = IMP_OK;
    while (st == IMP_OK && imp_pb_next(&model, &f)) {
        if (f.number == M_IR_VERSION) {
            st = imp_pb_int64(&model, &f, &ir);
        } else if (f.number == M_OPSET_IMPORT) {
            st = read_opset(r, &model, &f, &seen_default);
        } else if (f.number == M_GRAPH) {
            if (has_graph)
                st = imp_fail(r->err, IMP_ERR_FORMAT,
                              "byte %zu: a second graph", f.offset);
            graph = f;
            has_graph = true;
        }
    }
    if (st == IMP_OK)
        st = model.status;
    if (st != IMP_OK)
        return st;
    if (ir == 0)
        return imp_fail(r->err, IMP_ERR_FORMAT,
                        "no ir_version (is this an ONNX model?)");
    if (ir < MIN_IR || ir > MAX_IR)
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                        "IR version %lld is not supported (need %d..%d)",
                        (long long)ir, MIN_IR, MAX_IR);
    if (!seen_default)
        return imp_fail(r->err, IMP_ERR_FORMAT,
                        "opset_import has no entry for the default domain");
    if (!has_graph)
        return imp_fail(r->err, IMP_ERR_FORMAT, "the model has no graph");
    return read_graph(r, &model, &graph);
}

enum imp_status imp_onnx_read(const uint8_t *data, size_t size,
                              struct imp_graph *g, struct imp_error *err)
{
    struct imp_error local;
    if (!err)
        err = &local; /* messages are built by prefixing; need a buffer */
    imp_error_clear(err);
    imp_graph_init(g);
    struct imp_onnx_reader r;
    memset(&r, 0, sizeof r);
    r.g = g;
    r.err = err;
    enum imp_status st = read_model(&r, data, size);
    if (st == IMP_OK)
        st = imp_onnx_read_metadata(&r, data, size);
    free(r.hashes);
    free(r.slots);
    free(r.flags);
    free(r.nodes);
    free(r.outs);
    free(r.ins);
    if (st != IMP_OK) {
        imp_error_prefix(err, "onnx");
        err->status = st;
        imp_graph_release(g);
        return st;
    }
    g->source_format = "onnx";
    return IMP_OK;
}
