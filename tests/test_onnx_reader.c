/*
 * The ONNX reader on fixture models written by tools/make_onnx_fixtures.py
 * (tests/data/onnx/): what it builds, how it refuses bad models, and that
 * no truncation or byte flip of a fixture makes it misbehave. Wire-level
 * cases built byte by byte are in test_onnx_wire.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/graph.h"
#include "runtime/model.h"
#include "core/util.h"
#include "formats/formats.h"
#include "harness.h"
#include "npy.h"

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

/* Opsets 1-6: what they spelled differently is read as they meant it. */
static void oldest_opsets_read(void)
{
    struct imp_graph g;
    struct imp_error err;
    if (!CHECK(read_fixture("legacy3", &g, &err)))
        return;
    const struct imp_node *n = node_named(&g, "concat");
    if (CHECK(n != NULL))
        CHECK(imp_node_int(n, "axis", -1) == 1); /* Concat-1's default */
    n = node_named(&g, "cast");
    if (CHECK(n != NULL))
        CHECK(imp_node_int(n, "to", -1) == 6); /* "INT32" */
    imp_graph_release(&g);
    /* And it runs: [a | b] as int32, truncated toward zero. */
    size_t size;
    unsigned char *bytes = load_fixture("legacy3", &size);
    struct imp_model *m = NULL;
    struct imp_predictor *p = NULL;
    if (!CHECK(bytes && imp_model_load_buffer(bytes, size, &m, &err) == IMP_OK) ||
        !CHECK(imp_predictor_init(m, NULL, &p, &err) == IMP_OK)) {
        printf("  legacy3: %s\n", err.message);
    } else {
        const float a[2] = {1.5f, -2.5f}, b[3] = {3.9f, 4.0f, -0.5f};
        const int32_t want[5] = {1, -2, 3, 4, 0};
        struct imp_tensor_info info;
        const void *y = NULL;
        CHECK(imp_predictor_set_input(p, 0, a, sizeof a) == IMP_OK);
        CHECK(imp_predictor_set_input(p, 1, b, sizeof b) == IMP_OK);
        if (CHECK(imp_predictor_run(p) == IMP_OK) &&
            CHECK(imp_predictor_output(p, 0, &info, &y) == IMP_OK) &&
            CHECK(info.dtype == IMP_DTYPE_I32 && info.rank == 2 && info.dims[1] == 5))
            CHECK(memcmp(y, want, sizeof want) == 0);
    }
    imp_predictor_free(p);
    imp_model_free(m);
    free(bytes);
}

/* What today's exporters write (opsets 19, 20, 21) loads and runs, and
 * gives what numpy computed for the same graph (tools/make_onnx_fixtures.py). */
static void current_exporter_opsets_run(void)
{
    struct imp_npy x, want;
    char why[256];
    if (!CHECK(imp_npy_load(IMP_SOURCE_DIR "/tests/data/onnx/modern.x.npy", &x, why,
                            sizeof why) == 0) ||
        !CHECK(imp_npy_load(IMP_SOURCE_DIR "/tests/data/onnx/modern.y.npy", &want, why,
                            sizeof why) == 0)) {
        printf("  %s\n", why);
        return;
    }
    static const char *const names[] = {"modern_op19", "modern_op20", "modern_op21"};
    for (int i = 0; i < 3; i++) {
        size_t size;
        unsigned char *bytes = load_fixture(names[i], &size);
        struct imp_model *m = NULL;
        struct imp_error err = {0};
        if (!CHECK(bytes && imp_model_load_buffer(bytes, size, &m, &err) == IMP_OK)) {
            printf("  %s: %s\n", names[i], err.message);
            free(bytes);
            continue;
        }
        size_t count = 0;
        enum imp_status st;
        float *y = imp_test_run_once(m, NULL, x.data, x.count * sizeof(float), &count, &st);
        if (CHECK(y != NULL) && CHECK(count == want.count)) {
            double e = imp_test_max_rel_error(y, want.data, count, 1e-3);
            if (!CHECK(e < 1e-5))
                printf("  %s: error %.3g against numpy\n", names[i], e);
        }
        free(y);
        imp_model_free(m);
        free(bytes);
    }
    imp_npy_free(&x);
    imp_npy_free(&want);
}

/* ---- invalid models: the right status and a message naming the part ---- */

static void malformed_fixtures_fail_clearly(void)
{
    static const struct {
        const char *file;
        enum imp_status status;
        const char *needle[2];
    } cases[] = {
        {"bad_opset", IMP_ERR_UNSUPPORTED, {"opset 0", "1..23"}},
        {"bad_opset_new", IMP_ERR_UNSUPPORTED, {"opset 24", "default domain"}},
        {"legacy_broadcast_axis", IMP_ERR_UNSUPPORTED, {"from axis 1", "opset 6"}},
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
    RUN(oldest_opsets_read);
    RUN(current_exporter_opsets_run);
    RUN(malformed_fixtures_fail_clearly);
    RUN(every_prefix_fails_cleanly);
    RUN(byte_flips_never_crash);
    return imp_test_finish();
}
