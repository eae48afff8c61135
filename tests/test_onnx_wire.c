/*
 * The ONNX reader on models assembled byte by byte: the wire-level cases
 * (damage, unknown fields, packed and unpacked lists, odd attributes) that
 * the Python protobuf library would never write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "formats/formats.h"
#include "harness.h"

static bool contains(const char *haystack, const char *needle)
{
    bool ok = strstr(haystack, needle) != NULL;
    if (!ok)
        printf("  message \"%s\" lacks \"%s\"\n", haystack, needle);
    return ok;
}

/* ---- a protobuf writer for hand-made models ------------------------------ */

struct pbw {
    uint8_t *d;
    size_t n, cap;
};

static void w_raw(struct pbw *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->n + n)
            cap *= 2;
        uint8_t *grown = realloc(w->d, cap);
        if (!grown)
            abort(); /* test code: out of memory is not a case under test */
        w->d = grown;
        w->cap = cap;
    }
    if (n)
        memcpy(w->d + w->n, p, n);
    w->n += n;
}

static void w_varint(struct pbw *w, uint64_t v)
{
    do {
        uint8_t b = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b |= 0x80;
        w_raw(w, &b, 1);
    } while (v);
}

static void w_tag(struct pbw *w, unsigned field, unsigned wire)
{
    w_varint(w, (uint64_t)field << 3 | wire);
}

static void w_int(struct pbw *w, unsigned field, int64_t v)
{
    w_tag(w, field, 0);
    w_varint(w, (uint64_t)v);
}

static void w_bytes(struct pbw *w, unsigned field, const void *p, size_t n)
{
    w_tag(w, field, 2);
    w_varint(w, n);
    w_raw(w, p, n);
}

static void w_str(struct pbw *w, unsigned field, const char *s)
{
    w_bytes(w, field, s, strlen(s));
}

static void w_f32(struct pbw *w, unsigned field, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    uint8_t le[4] = {(uint8_t)bits, (uint8_t)(bits >> 8), (uint8_t)(bits >> 16),
                     (uint8_t)(bits >> 24)};
    w_tag(w, field, 5);
    w_raw(w, le, 4);
}

/* Append `sub` as a length-delimited field and release it. */
static void w_msg(struct pbw *w, unsigned field, struct pbw *sub)
{
    w_bytes(w, field, sub->d, sub->n);
    free(sub->d);
    memset(sub, 0, sizeof *sub);
}

/* ValueInfoProto of a float tensor; dims < 0 are written as dim_param. */
static void w_value_info(struct pbw *graph, unsigned field, const char *name,
                         int elem, int rank, const int64_t *dims)
{
    struct pbw vi = {0}, type = {0}, tensor = {0}, shape = {0};
    for (int i = 0; i < rank; i++) {
        struct pbw dim = {0};
        if (dims[i] < 0)
            w_str(&dim, 2, "n");
        else
            w_int(&dim, 1, dims[i]);
        w_msg(&shape, 1, &dim);
    }
    w_int(&tensor, 1, elem);
    w_msg(&tensor, 2, &shape);
    w_msg(&type, 1, &tensor);
    w_str(&vi, 1, name);
    w_msg(&vi, 2, &type);
    w_msg(graph, field, &vi);
}

/* A ModelProto around `graph` (released) with the default-domain opset. */
static struct pbw w_model(struct pbw *graph, int64_t opset)
{
    struct pbw m = {0}, op = {0};
    w_int(&m, 1, 7);
    w_msg(&m, 7, graph);
    w_str(&op, 1, "");
    w_int(&op, 2, opset);
    w_msg(&m, 8, &op);
    return m;
}

/* x[1,4] -> <op> -> y, with `attrs` (AttributeProto bytes, released)
 * appended to the node. */
static struct pbw one_node_model(const char *op, struct pbw *attrs, int n_attrs,
                                 int64_t opset)
{
    struct pbw graph = {0}, node = {0};
    int64_t dims[2] = {1, 4};
    w_str(&node, 1, "x");
    w_str(&node, 2, "y");
    w_str(&node, 3, "n0");
    w_str(&node, 4, op);
    for (int i = 0; i < n_attrs; i++)
        w_msg(&node, 5, &attrs[i]);
    w_msg(&graph, 1, &node);
    w_value_info(&graph, 11, "x", 1, 2, dims);
    w_value_info(&graph, 12, "y", 1, 2, dims);
    return w_model(&graph, opset);
}

static enum imp_status read_bytes(const struct pbw *w, struct imp_graph *g,
                                  struct imp_error *err)
{
    return imp_onnx_read(w->d, w->n, g, err);
}

/* Softmax from opset 13 on keeps ONNX's own semantics: no coerce_2d. */
static void softmax_13_not_coerced(void)
{
    struct pbw m = one_node_model("Softmax", NULL, 0, 13);
    struct imp_graph g;
    struct imp_error err;
    if (CHECK_STATUS(read_bytes(&m, &g, &err), IMP_OK)) {
        CHECK(g.n_nodes == 1 && imp_node_attr(&g.nodes[0], "coerce_2d") == NULL);
        imp_graph_release(&g);
    }
    free(m.d);
    m = one_node_model("Softmax", NULL, 0, 12);
    if (CHECK_STATUS(read_bytes(&m, &g, &err), IMP_OK)) {
        CHECK(imp_node_int(&g.nodes[0], "coerce_2d", 0) == 1);
        imp_graph_release(&g);
    }
    free(m.d);
}

/* Hand-made byte strings for damage the protobuf library never writes. */
static void wire_damage_names_byte_offset(void)
{
    static const struct {
        const char *what;
        uint8_t bytes[16];
        size_t n;
        const char *needle;
    } cases[] = {
        {"truncated varint", {0x08, 0x80}, 2, "byte 1: truncated varint"},
        {"varint overflow",
         {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
         11, "overflows 64 bits"},
        {"length past end", {0x08, 0x07, 0x3a, 0x10, 0x0a}, 5,
         "byte 2: field 7: length 16 runs past the end"},
        {"field number 0", {0x02, 0x00}, 2, "byte 0: bad field tag"},
        {"wire type 7", {0x0f}, 1, "wire type 7"},
        {"unopened group end", {0x0c}, 1, "never opened"},
        {"unclosed group", {0x0b, 0x08, 0x01}, 3, "never closed"},
        {"fixed32 cut", {0x08, 0x07, 0x15, 0x00, 0x00}, 5, "byte 2: field 2: 4-byte"},
        {"wrong wire for ir_version", {0x0d, 0, 0, 0, 0}, 5,
         "field 1 has wire type 5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct imp_graph g;
        struct imp_error err;
        enum imp_status st = imp_onnx_read(cases[i].bytes, cases[i].n, &g, &err);
        if (!CHECK(st == IMP_ERR_FORMAT))
            printf("  case '%s': status %d\n", cases[i].what, (int)st);
        CHECK(contains(err.message, cases[i].needle));
        CHECK(g.n_values == 0 && g.n_nodes == 0); /* released on failure */
    }
    struct imp_graph g;
    struct imp_error err;
    CHECK_STATUS(imp_onnx_read(NULL, 0, &g, &err), IMP_ERR_FORMAT);
    CHECK(contains(err.message, "ir_version"));
}

/* Unknown fields of every wire type are skipped, groups included. */
static void unknown_fields_skipped(void)
{
    struct pbw attrs[1] = {{0}};
    w_str(&attrs[0], 1, "alpha");
    w_int(&attrs[0], 20, 1); /* FLOAT */
    w_f32(&attrs[0], 2, 0.25f);
    struct pbw m = one_node_model("LeakyRelu", attrs, 1, 13);
    /* Append unknown top-level fields: varint, fixed64, bytes, group
     * (with a nested group inside), fixed32. */
    struct pbw extra = {0};
    w_int(&extra, 100, 12345);
    w_tag(&extra, 101, 1);
    w_raw(&extra, "\1\2\3\4\5\6\7\x8", 8);
    w_str(&extra, 102, "ignored");
    w_tag(&extra, 103, 3);
    w_int(&extra, 1, 5);
    w_tag(&extra, 104, 3);
    w_tag(&extra, 104, 4);
    w_tag(&extra, 103, 4);
    w_tag(&extra, 105, 5);
    w_raw(&extra, "\0\0\0\0", 4);
    w_raw(&m, extra.d, extra.n);
    free(extra.d);
    struct imp_graph g;
    struct imp_error err;
    if (CHECK_STATUS(read_bytes(&m, &g, &err), IMP_OK)) {
        CHECK(g.n_nodes == 1 && g.nodes[0].op == IMP_OP_LEAKY_RELU);
        CHECK(imp_node_float(&g.nodes[0], "alpha", 0.0f) == 0.25f);
        imp_graph_release(&g);
    } else {
        printf("  %s\n", err.message);
    }
    free(m.d);
}

/* Repeated scalars: packed and unpacked, in several chunks, read the same. */
static void packed_and_unpacked_lists(void)
{
    /* pads as two packed chunks and two single values; floats unpacked. */
    struct pbw attrs[2] = {{0}, {0}};
    struct pbw packed = {0};
    w_str(&attrs[0], 1, "pads");
    w_int(&attrs[0], 20, 7); /* INTS */
    w_varint(&packed, 1);
    w_varint(&packed, 300);
    w_bytes(&attrs[0], 8, packed.d, packed.n);
    w_int(&attrs[0], 8, -2);
    w_int(&attrs[0], 8, 4);
    free(packed.d);
    w_str(&attrs[1], 1, "scales");
    w_int(&attrs[1], 20, 6); /* FLOATS */
    w_f32(&attrs[1], 7, 1.5f);
    w_f32(&attrs[1], 7, -3.0f);
    struct pbw m = one_node_model("Relu", attrs, 2, 13);
    struct imp_graph g;
    struct imp_error err;
    if (CHECK_STATUS(read_bytes(&m, &g, &err), IMP_OK)) {
        const struct imp_attr *a = imp_node_attr(&g.nodes[0], "pads");
        if (CHECK(a && a->type == IMP_ATTR_INTS && a->n == 4))
            CHECK(a->ints[0] == 1 && a->ints[1] == 300 && a->ints[2] == -2 &&
                  a->ints[3] == 4);
        a = imp_node_attr(&g.nodes[0], "scales");
        if (CHECK(a && a->type == IMP_ATTR_FLOATS && a->n == 2))
            CHECK(a->floats[0] == 1.5f && a->floats[1] == -3.0f);
        imp_graph_release(&g);
    } else {
        printf("  %s\n", err.message);
    }
    free(m.d);
}

/* An attribute's kind is its type field, not its name or value field. */
static void attribute_type_field_rules(void)
{
    struct pbw attrs[1] = {{0}};
    w_str(&attrs[0], 1, "alpha");
    w_int(&attrs[0], 20, 2); /* INT, though a float is also present */
    w_f32(&attrs[0], 2, 0.25f);
    w_int(&attrs[0], 3, 3);
    struct pbw m = one_node_model("LeakyRelu", attrs, 1, 13);
    struct imp_graph g;
    struct imp_error err;
    if (CHECK_STATUS(read_bytes(&m, &g, &err), IMP_OK)) {
        const struct imp_attr *a = imp_node_attr(&g.nodes[0], "alpha");
        CHECK(a && a->type == IMP_ATTR_INT && a->i == 3);
        imp_graph_release(&g);
    }
    free(m.d);
    /* STRINGS are not something any operator here reads. */
    memset(attrs, 0, sizeof attrs);
    w_str(&attrs[0], 1, "names");
    w_int(&attrs[0], 20, 8);
    w_str(&attrs[0], 9, "a");
    m = one_node_model("Relu", attrs, 1, 13);
    CHECK_STATUS(read_bytes(&m, &g, &err), IMP_ERR_UNSUPPORTED);
    CHECK(contains(err.message, "node 'n0' (Relu): attribute 'names' has type STRINGS"));
    free(m.d);
    /* The same attribute twice is an error, not last-one-wins. */
    memset(attrs, 0, sizeof attrs);
    struct pbw twice[2] = {{0}, {0}};
    for (int i = 0; i < 2; i++) {
        w_str(&twice[i], 1, "alpha");
        w_int(&twice[i], 20, 1);
        w_f32(&twice[i], 2, 0.5f);
    }
    m = one_node_model("LeakyRelu", twice, 2, 13);
    CHECK_STATUS(read_bytes(&m, &g, &err), IMP_ERR_FORMAT);
    CHECK(contains(err.message, "'alpha' is given twice"));
    free(m.d);
}

/* A wrong element count in a packed list (not a multiple of 4 bytes). */
static void packed_floats_bad_length(void)
{
    struct pbw attrs[1] = {{0}};
    w_str(&attrs[0], 1, "scales");
    w_int(&attrs[0], 20, 6);
    w_bytes(&attrs[0], 7, "\0\0\0\0\0\0", 6);
    struct pbw m = one_node_model("Relu", attrs, 1, 13);
    struct imp_graph g;
    struct imp_error err;
    CHECK_STATUS(read_bytes(&m, &g, &err), IMP_ERR_FORMAT);
    CHECK(contains(err.message, "node 'n0' (Relu): byte"));
    CHECK(contains(err.message, "not a multiple of 4"));
    free(m.d);
}

/* A chain of n Relu nodes x -> v1 -> ... -> y, listed backwards if asked. */
static struct pbw relu_chain(int n, bool backwards)
{
    struct pbw graph = {0};
    char in[32], out[32];
    for (int j = 0; j < n; j++) {
        int i = backwards ? n - 1 - j : j;
        struct pbw node = {0};
        snprintf(in, sizeof in, i ? "v%d" : "x", i);
        snprintf(out, sizeof out, i == n - 1 ? "y" : "v%d", i + 1);
        w_str(&node, 1, in);
        w_str(&node, 2, out);
        w_str(&node, 4, "Relu");
        w_msg(&graph, 1, &node);
    }
    int64_t dims[2] = {1, 4};
    w_value_info(&graph, 11, "x", 1, 2, dims);
    w_value_info(&graph, 12, "y", 1, 2, dims);
    return w_model(&graph, 13);
}

/* Thousands of values: names resolve through the map, quickly. */
static void long_chain_of_nodes(void)
{
    enum { N = 20000 };
    struct pbw m = relu_chain(N, false);
    struct imp_graph g;
    struct imp_error err;
    if (CHECK_STATUS(read_bytes(&m, &g, &err), IMP_OK)) {
        CHECK(g.n_nodes == N);
        /* Unnamed nodes take their first output's name. */
        CHECK(strcmp(g.nodes[5].name, "v6") == 0);
        CHECK(g.nodes[N - 1].outputs[0] == g.outputs[0]);
        CHECK(g.nodes[N - 1].inputs[0] == g.nodes[N - 2].outputs[0]);
        imp_graph_release(&g);
    }
    free(m.d);
}

/* Nodes out of order are put in order by the graph sort every loader runs,
 * in O(E log N): a backwards chain costs no more than an ordered one. */
static void backwards_chain_is_ordered(void)
{
    enum { N = 20000 };
    struct pbw m = relu_chain(N, true);
    struct imp_graph g;
    struct imp_error err;
    if (CHECK_STATUS(read_bytes(&m, &g, &err), IMP_OK)) {
        CHECK_STATUS(imp_graph_sort(&g, &err), IMP_OK);
        bool ordered = g.nodes[0].inputs[0] == g.inputs[0];
        for (int i = 1; i < N; i++)
            ordered = ordered &&
                      g.nodes[i].inputs[0] == g.nodes[i - 1].outputs[0];
        CHECK(ordered);
        CHECK(strcmp(g.nodes[0].name, "v1") == 0);
        imp_graph_release(&g);
    }
    struct imp_model *model = NULL;
    CHECK_STATUS(imp_model_load_buffer(m.d, m.n, &model, &err), IMP_OK);
    imp_model_free(model);
    free(m.d);
}

/* A constant-folding failure after an earlier node folded must leave the
 * graph releasable (this once freed the folded node twice). */
static void fold_failure_after_folding(void)
{
    struct pbw graph = {0}, node = {0}, attr = {0};
    w_str(&attr, 1, "value_floats");
    w_int(&attr, 20, 6);
    w_f32(&attr, 7, 1.0f);
    w_f32(&attr, 7, 2.0f);
    w_str(&node, 2, "c");
    w_str(&node, 4, "Constant");
    w_msg(&node, 5, &attr);
    w_msg(&graph, 1, &node);
    w_str(&node, 1, "c");
    w_str(&node, 2, "r");
    w_str(&node, 4, "Relu");
    w_msg(&graph, 1, &node);
    /* Clip bounds must be scalars: folding this fails. */
    w_str(&node, 1, "r");
    w_str(&node, 1, "c");
    w_str(&node, 1, "c");
    w_str(&node, 2, "y");
    w_str(&node, 3, "bad_clip");
    w_str(&node, 4, "Clip");
    w_msg(&graph, 1, &node);
    int64_t dims[1] = {2};
    w_value_info(&graph, 12, "y", 1, 1, dims);
    struct pbw m = w_model(&graph, 13);
    struct imp_model *model = NULL;
    struct imp_error err;
    CHECK_STATUS(imp_model_load_buffer(m.d, m.n, &model, &err), IMP_ERR_SHAPE);
    CHECK(contains(err.message, "bad_clip"));
    CHECK(model == NULL);
    free(m.d);
}

/* A node with absurdly many attributes is refused, not slowly parsed. */
static void too_many_attributes(void)
{
    enum { N = 1100 };
    struct pbw *attrs = calloc(N, sizeof *attrs);
    if (!CHECK(attrs != NULL))
        return;
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "a%d", i);
        w_str(&attrs[i], 1, name);
        w_int(&attrs[i], 20, 2);
        w_int(&attrs[i], 3, i);
    }
    struct pbw m = one_node_model("Relu", attrs, N, 13);
    free(attrs);
    struct imp_graph g;
    struct imp_error err;
    CHECK_STATUS(read_bytes(&m, &g, &err), IMP_ERR_UNSUPPORTED);
    CHECK(contains(err.message, "more than 1024 attributes"));
    free(m.d);
}
int main(void)
{
    RUN(softmax_13_not_coerced);
    RUN(wire_damage_names_byte_offset);
    RUN(unknown_fields_skipped);
    RUN(packed_and_unpacked_lists);
    RUN(attribute_type_field_rules);
    RUN(packed_floats_bad_length);
    RUN(long_chain_of_nodes);
    RUN(backwards_chain_is_ordered);
    RUN(fold_failure_after_folding);
    RUN(too_many_attributes);
    return imp_test_finish();
}
