/*
 * The ONNX reader: fixture models written by tools/make_onnx_fixtures.py
 * (tests/data/onnx/), plus models assembled byte by byte here for the
 * wire-level cases the Python protobuf library will not produce.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/graph.h"
#include "core/model.h"
#include "core/util.h"
#include "formats/formats.h"
#include "harness.h"

/* ---- fixtures ----------------------------------------------------------- */

static const char *fixture_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/onnx/%s.onnx", IMP_SOURCE_DIR,
             name);
    return path;
}

static unsigned char *load_fixture(const char *name, size_t *size)
{
    unsigned char *data = NULL;
    if (imp_read_file(fixture_path(name), &data, size) != 0) {
        printf("  cannot read %s\n", fixture_path(name));
        return NULL;
    }
    return data;
}

/* Read a fixture into a graph with the reader alone (no passes). */
static bool read_fixture(const char *name, struct imp_graph *g,
                         struct imp_error *err)
{
    size_t size;
    unsigned char *data = load_fixture(name, &size);
    if (!data)
        return false;
    enum imp_status st = imp_onnx_read(data, size, g, err);
    free(data);
    if (st != IMP_OK)
        printf("  %s: %s\n", name, err->message);
    return st == IMP_OK;
}

static const struct imp_value *value_named(const struct imp_graph *g,
                                           const char *name)
{
    int v = imp_graph_find_value(g, name);
    return v < 0 ? NULL : &g->values[v];
}

static const struct imp_node *node_named(const struct imp_graph *g,
                                         const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0)
            return &g->nodes[i];
    return NULL;
}

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

/* ---- well-formed models -------------------------------------------------- */

static void basic_model_io(void)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    enum imp_status st = imp_model_load_file(fixture_path("basic"), &m, &err);
    if (!CHECK_STATUS(st, IMP_OK)) {
        printf("  %s\n", err.message);
        return;
    }
    CHECK(strcmp(imp_model_source_format(m), "onnx") == 0);
    /* 'w' is also listed as a graph input, but it is an initializer. */
    CHECK(imp_model_input_count(m) == 1);
    CHECK(imp_model_output_count(m) == 1);
    struct imp_tensor_info info;
    CHECK_STATUS(imp_model_input_info(m, 0, &info), IMP_OK);
    CHECK(strcmp(info.name, "x") == 0);
    CHECK(info.dtype == IMP_DTYPE_F32);
    CHECK(info.rank == 4);
    /* dim_param "batch" reads as open. */
    CHECK(info.dims[0] == -1 && info.dims[1] == 3 && info.dims[2] == 4 &&
          info.dims[3] == 5);
    CHECK_STATUS(imp_model_output_info(m, 0, &info), IMP_OK);
    CHECK(strcmp(info.name, "y") == 0);
    CHECK(info.dtype == IMP_DTYPE_F32);
    CHECK(info.rank == 4 && info.dims[0] == -1 && info.dims[3] == 5);
    /* fp16 initializers are widened at load. */
    int lo = imp_graph_find_value(&m->graph, "lo");
    if (CHECK(lo >= 0)) {
        const struct imp_value *v = &m->graph.values[lo];
        CHECK(v->kind == IMP_VALUE_CONST && v->dtype == IMP_DTYPE_F32);
        CHECK(v->shape.rank == 0);
        CHECK(*(const float *)v->data == -0.5f);
    }
    for (int i = 0; i < imp_model_node_count(m); i++)
        CHECK(strcmp(imp_model_node_op(m, i), "Constant") != 0);
    imp_model_free(m);
}

static void basic_model_constants_fold(void)
{
    struct imp_graph g;
    struct imp_error err;
    if (!CHECK(read_fixture("basic", &g, &err)))
        return;
    CHECK(strcmp(g.source_format, "onnx") == 0);
    /* Two Constant nodes became values; Clip and Tanh remain. */
    CHECK(g.n_nodes == 2);
    for (int i = 0; i < g.n_nodes; i++)
        CHECK(g.nodes[i].op != IMP_OP_CONSTANT);
    const struct imp_value *hi = value_named(&g, "hi");
    if (CHECK(hi != NULL)) {
        CHECK(hi->kind == IMP_VALUE_CONST && hi->dtype == IMP_DTYPE_F32);
        CHECK(hi->shape.rank == 0);
        CHECK(*(const float *)hi->data == 0.75f);
        CHECK(((uintptr_t)hi->data & 63) == 0);
    }
    const struct imp_value *unused = value_named(&g, "unused");
    if (CHECK(unused != NULL)) {
        CHECK(unused->dtype == IMP_DTYPE_I64 && unused->shape.rank == 1 &&
              unused->shape.d[0] == 3);
        const int64_t *d = unused->data;
        CHECK(d[0] == 1 && d[1] == 2 && d[2] == 3);
    }
    /* Before the passes, the fp16 initializer is still fp16. */
    const struct imp_value *lo = value_named(&g, "lo");
    if (CHECK(lo != NULL)) {
        CHECK(lo->kind == IMP_VALUE_CONST && lo->dtype == IMP_DTYPE_F16);
        CHECK(imp_half_to_float(*(const uint16_t *)lo->data) == -0.5f);
    }
    const struct imp_value *w = value_named(&g, "w");
    if (CHECK(w != NULL))
        CHECK(w->kind == IMP_VALUE_CONST);
    const struct imp_node *clip = node_named(&g, "clip");
    if (CHECK(clip != NULL) && CHECK(clip->n_inputs == 3)) {
        CHECK(clip->inputs[0] == g.inputs[0]);
        CHECK(g.values[clip->inputs[1]].kind == IMP_VALUE_CONST);
        CHECK(strcmp(g.values[clip->inputs[2]].name, "hi") == 0);
    }
    imp_graph_release(&g);
}

static void basic_model_runs(void)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    if (!CHECK_STATUS(imp_model_load_file(fixture_path("basic"), &m, &err),
                      IMP_OK))
        return;
    struct imp_predictor *p = NULL;
    if (CHECK_STATUS(imp_predictor_init(m, NULL, &p, &err), IMP_OK)) {
        int64_t dims[4] = {2, 3, 4, 5};
        float x[120];
        for (int i = 0; i < 120; i++)
            x[i] = -2.0f + 4.0f * (float)i / 119.0f;
        CHECK_STATUS(imp_predictor_resize_input(p, 0, 4, dims), IMP_OK);
        CHECK_STATUS(imp_predictor_set_input(p, 0, x, sizeof x), IMP_OK);
        CHECK_STATUS(imp_predictor_run(p), IMP_OK);
        struct imp_tensor_info info;
        const void *out = NULL;
        if (CHECK_STATUS(imp_predictor_output(p, 0, &info, &out), IMP_OK) &&
            CHECK(info.rank == 4 && info.dims[0] == 2)) {
            const float *y = out;
            for (int i = 0; i < 120; i++) {
                float c = x[i] < -0.5f ? -0.5f : x[i] > 0.75f ? 0.75f : x[i];
                CHECK_NEAR(y[i], tanh(c), 1e-6);
            }
        }
        imp_predictor_free(p);
    }
    imp_model_free(m);
}

static void unsorted_nodes_are_ordered(void)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    if (!CHECK_STATUS(imp_model_load_file(fixture_path("unsorted"), &m, &err),
                      IMP_OK)) {
        printf("  %s\n", err.message);
        return;
    }
    CHECK(imp_model_node_count(m) == 2);
    CHECK(strcmp(imp_model_node_op(m, 0), "Relu") == 0);
    CHECK(strcmp(imp_model_node_op(m, 1), "Sigmoid") == 0);
    struct imp_predictor *p = NULL;
    if (CHECK_STATUS(imp_predictor_init(m, NULL, &p, &err), IMP_OK)) {
        float x[2] = {-1.0f, 2.0f};
        const void *out = NULL;
        struct imp_tensor_info info;
        CHECK_STATUS(imp_predictor_set_input(p, 0, x, sizeof x), IMP_OK);
        CHECK_STATUS(imp_predictor_run(p), IMP_OK);
        if (CHECK_STATUS(imp_predictor_output(p, 0, &info, &out), IMP_OK)) {
            CHECK_NEAR(((const float *)out)[0], 0.5, 1e-6);
            CHECK_NEAR(((const float *)out)[1], 1.0 / (1.0 + exp(-2.0)), 1e-6);
        }
        imp_predictor_free(p);
    }
    imp_model_free(m);
}

/* Each initializer of data_fields.onnx against the values the fixture
 * script wrote; raw_data and the typed fields must agree. */
static void tensor_data_fields(void)
{
    struct imp_graph g;
    struct imp_error err;
    if (!CHECK(read_fixture("data_fields", &g, &err)))
        return;
    static const float f32[6] = {1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, -7.5f};
    const char *f32_names[2] = {"f32_raw", "f32_typed"};
    for (int k = 0; k < 2; k++) {
        const struct imp_value *v = value_named(&g, f32_names[k]);
        if (!CHECK(v != NULL) || !CHECK(v->dtype == IMP_DTYPE_F32))
            continue;
        CHECK(v->shape.rank == 2 && v->shape.d[0] == 2 && v->shape.d[1] == 3);
        CHECK(v->nbytes == sizeof f32);
        CHECK(memcmp(v->data, f32, sizeof f32) == 0);
    }
    const char *f16_names[2] = {"f16_raw", "f16_typed"};
    for (int k = 0; k < 2; k++) {
        const struct imp_value *v = value_named(&g, f16_names[k]);
        if (!CHECK(v != NULL) || !CHECK(v->dtype == IMP_DTYPE_F16))
            continue;
        const uint16_t *h = v->data;
        CHECK(imp_half_to_float(h[0]) == 1.0f);
        CHECK(imp_half_to_float(h[1]) == -2.5f);
        CHECK(imp_half_to_float(h[2]) == 65504.0f);
    }
    const char *f64_names[2] = {"f64_raw", "f64_typed"};
    for (int k = 0; k < 2; k++) {
        const struct imp_value *v = value_named(&g, f64_names[k]);
        if (!CHECK(v != NULL) || !CHECK(v->dtype == IMP_DTYPE_F64))
            continue;
        const double *d = v->data;
        CHECK(d[0] == 0.1 && d[1] == -1e300);
    }
    const char *i64_names[2] = {"i64_raw", "i64_typed"};
    for (int k = 0; k < 2; k++) {
        const struct imp_value *v = value_named(&g, i64_names[k]);
        if (!CHECK(v != NULL) || !CHECK(v->dtype == IMP_DTYPE_I64))
            continue;
        const int64_t *d = v->data;
        CHECK(d[0] == -1 && d[1] == (int64_t)1 << 40 && d[2] == 7);
    }
    const struct imp_value *v = value_named(&g, "i32_typed");
    if (CHECK(v != NULL) && CHECK(v->dtype == IMP_DTYPE_I32)) {
        const int32_t *d = v->data;
        CHECK(d[0] == -5 && d[1] == INT32_MAX);
    }
    v = value_named(&g, "i8_typed");
    if (CHECK(v != NULL) && CHECK(v->dtype == IMP_DTYPE_I8)) {
        const int8_t *d = v->data;
        CHECK(d[0] == -128 && d[1] == 0 && d[2] == 127);
    }
    const char *u8_names[2] = {"u8_raw", "u8_typed"};
    for (int k = 0; k < 2; k++) {
        v = value_named(&g, u8_names[k]);
        if (CHECK(v != NULL) && CHECK(v->dtype == IMP_DTYPE_U8)) {
            const uint8_t *d = v->data;
            CHECK(d[0] == 0 && d[1] == 255);
        }
    }
    v = value_named(&g, "bool_typed");
    if (CHECK(v != NULL) && CHECK(v->dtype == IMP_DTYPE_BOOL)) {
        const uint8_t *d = v->data;
        CHECK(d[0] == 1 && d[1] == 0 && d[2] == 1);
    }
    v = value_named(&g, "empty");
    if (CHECK(v != NULL))
        CHECK(v->shape.rank == 2 && v->shape.d[0] == 0 && v->shape.d[1] == 4 &&
              v->nbytes == 0 && v->data != NULL);
    v = value_named(&g, "scalar");
    if (CHECK(v != NULL))
        CHECK(v->shape.rank == 0 && *(const float *)v->data == 4.5f);
    imp_graph_release(&g);
}

static void legacy_opset_normalised(void)
{
    struct imp_graph g;
    struct imp_error err;
    if (!CHECK(read_fixture("legacy10", &g, &err)))
        return;
    const struct imp_node *n = node_named(&g, "resize");
    /* Resize-10 runs as Upsample-9, whose semantics it shares. */
    if (CHECK(n != NULL) && CHECK(n->n_inputs == 2)) {
        CHECK(n->op == IMP_OP_UPSAMPLE);
        CHECK(n->inputs[0] == g.inputs[0]);
        CHECK(strcmp(g.values[n->inputs[1]].name, "scales") == 0);
        CHECK(strcmp(imp_node_string(n, "mode", ""), "nearest") == 0);
    }
    n = node_named(&g, "softmax");
    if (CHECK(n != NULL)) {
        CHECK(imp_node_int(n, "coerce_2d", 0) == 1);
        CHECK(imp_node_int(n, "axis", -1) == 1);
    }
    /* Dropout is an Identity of its data input; its mask is gone. */
    n = node_named(&g, "drop");
    if (CHECK(n != NULL)) {
        CHECK(n->op == IMP_OP_IDENTITY);
        CHECK(n->n_inputs == 1 && n->n_outputs == 1);
        CHECK(n->n_attrs == 0);
    }
    n = node_named(&g, "ident");
    if (CHECK(n != NULL)) {
        const struct imp_attr *a = imp_node_attr(n, "extra");
        if (CHECK(a != NULL) && CHECK(a->type == IMP_ATTR_TENSOR) &&
            CHECK(a->i >= 0 && a->i < g.n_values)) {
            const struct imp_value *t = &g.values[a->i];
            CHECK(t->kind == IMP_VALUE_CONST && t->dtype == IMP_DTYPE_I64);
            CHECK(t->shape.rank == 1 && t->shape.d[0] == 2);
            CHECK(((const int64_t *)t->data)[0] == 4 &&
                  ((const int64_t *)t->data)[1] == 5);
        }
    }
    n = node_named(&g, "pad");
    if (CHECK(n != NULL)) {
        CHECK(strcmp(imp_node_string(n, "mode", ""), "reflect") == 0);
        const struct imp_attr *a = imp_node_attr(n, "pads");
        if (CHECK(a != NULL) && CHECK(a->type == IMP_ATTR_INTS) && CHECK(a->n == 8))
            CHECK(a->ints[2] == 1 && a->ints[0] == 0);
    }
    const struct imp_value *k = value_named(&g, "k");
    if (CHECK(k != NULL)) {
        CHECK(k->kind == IMP_VALUE_CONST && k->shape.rank == 2);
        CHECK(((const float *)k->data)[3] == 4.0f);
    }
    CHECK(g.n_outputs == 3);
    for (int i = 0; i < g.n_nodes; i++)
        CHECK(g.nodes[i].op != IMP_OP_CONSTANT);
    imp_graph_release(&g);
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

/* ---- invalid models: the right status and a message naming the part ---- */

static void malformed_fixtures_fail_clearly(void)
{
    static const struct {
        const char *file;
        enum imp_status status;
        const char *needle[2];
    } cases[] = {
        {"bad_opset", IMP_ERR_UNSUPPORTED, {"opset 6", "7..18"}},
        {"bad_opset_new", IMP_ERR_UNSUPPORTED, {"opset 19", "default domain"}},
        {"unknown_op", IMP_ERR_UNSUPPORTED,
         {"node 'mystery' (FooBar): operator not supported", ""}},
        {"custom_domain", IMP_ERR_UNSUPPORTED, {"node 'custom' (Relu)", "com.example"}},
        {"external_data", IMP_ERR_UNSUPPORTED, {"'big_w'", "weights.bin"}},
        {"bad_raw_size", IMP_ERR_FORMAT, {"'short_w'", "raw_data is 20 bytes"}},
        {"bad_value_count", IMP_ERR_FORMAT, {"'few_w'", "float_data holds 5"}},
        {"dims_overflow", IMP_ERR_FORMAT, {"'huge_w'", "overflow"}},
        {"negative_dim", IMP_ERR_FORMAT, {"'neg_w'", "-3"}},
        {"string_tensor", IMP_ERR_UNSUPPORTED, {"'str_w'", "STRING"}},
        {"undefined_input", IMP_ERR_FORMAT, {"node 'n0' (Relu)", "'nowhere'"}},
        {"duplicate_output", IMP_ERR_FORMAT, {"node 'again' (Tanh)", "'y'"}},
        {"missing_output", IMP_ERR_FORMAT, {"graph output 'missing'", ""}},
        {"input_no_type", IMP_ERR_FORMAT, {"input 'x'", "element type"}},
        {"graph_attribute", IMP_ERR_UNSUPPORTED, {"node 'n0' (Relu)", "'body'"}},
        {"dropout_mask_used", IMP_ERR_UNSUPPORTED, {"'mask'", "Dropout"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct imp_model *m = NULL;
        struct imp_error err;
        enum imp_status st = imp_model_load_file(fixture_path(cases[i].file), &m,
                                                 &err);
        if (!CHECK(st == cases[i].status))
            printf("  %s: status %d, message: %s\n", cases[i].file, (int)st,
                   err.message);
        CHECK(m == NULL);
        CHECK(err.status == cases[i].status);
        CHECK(contains(err.message, "onnx: "));
        for (int k = 0; k < 2; k++)
            CHECK(contains(err.message, cases[i].needle[k]));
    }
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

/* Thousands of values: names resolve through the map, quickly. */
static void long_chain_of_nodes(void)
{
    enum { N = 20000 };
    struct pbw graph = {0};
    char in[32], out[32];
    for (int i = 0; i < N; i++) {
        struct pbw node = {0};
        snprintf(in, sizeof in, i ? "v%d" : "x", i);
        snprintf(out, sizeof out, i == N - 1 ? "y" : "v%d", i + 1);
        w_str(&node, 1, in);
        w_str(&node, 2, out);
        w_str(&node, 4, "Relu");
        w_msg(&graph, 1, &node);
    }
    int64_t dims[2] = {1, 4};
    w_value_info(&graph, 11, "x", 1, 2, dims);
    w_value_info(&graph, 12, "y", 1, 2, dims);
    struct pbw m = w_model(&graph, 13);
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

/* ---- robustness: every truncation and many corruptions ------------------ */

/* Load; a failure must say why and hand back nothing. */
static void load_counting(const uint8_t *d, size_t n, int *loaded)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    enum imp_status st = imp_model_load_buffer(d, n, &m, &err);
    if (st != IMP_OK) {
        CHECK(err.message[0] != '\0');
        CHECK(m == NULL);
        return;
    }
    (*loaded)++;
    imp_model_free(m);
}

static void every_prefix_fails_cleanly(void)
{
    const char *names[] = {"basic", "legacy10", "data_fields"};
    for (int k = 0; k < 3; k++) {
        size_t size;
        unsigned char *data = load_fixture(names[k], &size);
        if (!CHECK(data != NULL))
            continue;
        for (size_t n = 0; n < size; n++) {
            /* An exact-size copy, so ASan sees any read past the prefix. */
            unsigned char *cut = malloc(n ? n : 1);
            memcpy(cut, data, n);
            struct imp_model *m = NULL;
            struct imp_error err;
            enum imp_status st = imp_model_load_buffer(cut, n, &m, &err);
            /* opset_import is written last: no strict prefix is whole. */
            if (!CHECK(st != IMP_OK))
                printf("  %s: prefix of %zu bytes loaded\n", names[k], n);
            CHECK(err.message[0] != '\0');
            imp_model_free(m);
            free(cut);
        }
        free(data);
    }
}

static void byte_flips_never_crash(void)
{
    const char *names[] = {"basic", "legacy10", "data_fields", "unsorted"};
    static const uint8_t masks[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40,
                                    0x80, 0xff};
    for (int k = 0; k < 4; k++) {
        size_t size;
        unsigned char *data = load_fixture(names[k], &size);
        if (!CHECK(data != NULL))
            continue;
        int loaded = 0;
        unsigned char *copy = malloc(size);
        for (size_t i = 0; i < size; i++) {
            for (size_t b = 0; b < sizeof masks; b++) {
                memcpy(copy, data, size);
                copy[i] ^= masks[b];
                load_counting(copy, size, &loaded);
            }
        }
        printf("  %s: %zu bytes, %d of %zu corruptions still load\n", names[k],
               size, loaded, size * sizeof masks);
        free(copy);
        free(data);
    }
}

int main(void)
{
    RUN(basic_model_io);
    RUN(basic_model_constants_fold);
    RUN(basic_model_runs);
    RUN(unsorted_nodes_are_ordered);
    RUN(tensor_data_fields);
    RUN(legacy_opset_normalised);
    RUN(softmax_13_not_coerced);
    RUN(malformed_fixtures_fail_clearly);
    RUN(wire_damage_names_byte_offset);
    RUN(unknown_fields_skipped);
    RUN(packed_and_unpacked_lists);
    RUN(attribute_type_field_rules);
    RUN(packed_floats_bad_length);
    RUN(long_chain_of_nodes);
    RUN(fold_failure_after_folding);
    RUN(too_many_attributes);
    RUN(every_prefix_fails_cleanly);
    RUN(byte_flips_never_crash);
    return imp_test_finish();
}
