/* Model metadata: the .imp metadata section (round trip, order, 1.0 files
 * without it, hostile sections), ONNX metadata_props and fields, the
 * public get/find/save API and its rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/util.h"
#include "formats/formats.h"
#include "formats/imp_format.h"
#include "harness.h"
#include "runtime/model.h"
#include "tflite_build.h"

static struct imp_model *relu_model(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    g.source_format = "onnx";
    int64_t d[4] = {1, 2, 3, 4};
    struct imp_shape s = imp_shape_make(4, d);
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &s);
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    imp_graph_add_node(&g, IMP_OP_RELU, "relu", 1, &x, 1, &y);
    imp_graph_add_input(&g, x);
    imp_graph_add_output(&g, y);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  model: %s\n", err.message);
    return m;
}

static const char *tmp_path(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/test_metadata_%s", IMP_BINARY_DIR, name);
    return buf;
}

/* Save m with these changes and load it back (NULL on failure). */
static struct imp_model *save_load(const struct imp_model *m, const char *name,
                                   const struct imp_save_options *o)
{
    char path[1024];
    struct imp_error err;
    if (!CHECK_STATUS(imp_model_save(m, tmp_path(name, path, sizeof path), o, &err), IMP_OK)) {
        printf("  save: %s\n", err.message);
        return NULL;
    }
    struct imp_model *back = NULL;
    if (!CHECK_STATUS(imp_model_load_file(path, &back, &err), IMP_OK))
        printf("  load: %s\n", err.message);
    return back;
}

static void imp_round_trip_keeps_pairs_in_order(void)
{
    struct imp_model *m = relu_model();
    if (!CHECK(m != NULL))
        return;
    CHECK(imp_model_metadata_count(m) == 0);
    CHECK(imp_model_metadata_find(m, "anything") == NULL);
    const char *key, *value;
    CHECK_STATUS(imp_model_metadata_get(m, 0, &key, &value), IMP_ERR_ARGUMENT);
    static const char long_value[] = "line one\nline two\ttab \xc3\xa9t\xc3\xa9 \xe2\x9c\x93";
    struct imp_metadata_entry set[] = {
        {"impasto.styles", "wave,udnie"},
        {"impasto.input.range", "0,255"},
        {"title", long_value},
        {"empty", ""},
        {"impasto.styles", "wave,udnie,scream"}, /* replaces, keeps its place */
    };
    struct imp_save_options o = imp_save_options_default();
    o.metadata = set;
    o.metadata_count = 5;
    struct imp_model *back = save_load(m, "pairs.imp", &o);
    CHECK(imp_model_metadata_count(m) == 0); /* the model itself unchanged */
    if (back) {
        CHECK(imp_model_metadata_count(back) == 4);
        static const char *const want[4][2] = {{"impasto.styles", "wave,udnie,scream"},
                                               {"impasto.input.range", "0,255"},
                                               {"title", long_value},
                                               {"empty", ""}};
        for (int i = 0; i < 4; i++) {
            CHECK_STATUS(imp_model_metadata_get(back, i, &key, &value), IMP_OK);
            CHECK(strcmp(key, want[i][0]) == 0 && strcmp(value, want[i][1]) == 0);
        }
        CHECK(strcmp(imp_model_metadata_find(back, "title"), long_value) == 0);
        CHECK(imp_model_metadata_find(back, "Title") == NULL);
        /* Saving again keeps them; a NULL value removes one; clearing
         * drops the rest. */
        struct imp_metadata_entry drop[] = {{"title", NULL}, {"absent", NULL}};
        o = imp_save_options_default();
        o.metadata = drop;
        o.metadata_count = 2;
        struct imp_model *again = save_load(back, "again.imp", &o);
        if (again) {
            CHECK(imp_model_metadata_count(again) == 3);
            CHECK(imp_model_metadata_find(again, "title") == NULL);
            CHECK(strcmp(imp_model_metadata_find(again, "empty"), "") == 0);
        }
        imp_model_free(again);
        o = imp_save_options_default();
        o.clear_metadata = 1;
        again = save_load(back, "cleared.imp", &o);
        if (again)
            CHECK(imp_model_metadata_count(again) == 0);
        imp_model_free(again);
    }
    imp_model_free(back);
    imp_model_free(m);
}

static uint8_t *write_graph(const struct imp_graph *g, size_t *size)
{
    uint8_t *data = NULL;
    struct imp_error err;
    if (!CHECK_STATUS(imp_imp_write(g, &data, size, &err), IMP_OK))
        printf("  write: %s\n", err.message);
    return data;
}

static void files_without_metadata_stay_version_1_0(void)
{
    struct imp_model *m = relu_model();
    if (!CHECK(m != NULL))
        return;
    size_t size;
    uint8_t *f = write_graph(&m->graph, &size);
    if (f) {
        CHECK(imp_ld16(f + IMP_FMT_OFF_MINOR) == 0);
        CHECK(imp_ld32(f + IMP_FMT_OFF_SECTIONS) == 2);
    }
    free(f);
    /* With metadata: version 1.1, a third section of kind 3 at the end. */
    struct imp_graph view = m->graph;
    memset(&view.meta, 0, sizeof view.meta);
    CHECK(imp_metadata_set(&view.meta, "k", "v"));
    f = write_graph(&view, &size);
    if (f) {
        CHECK(imp_ld16(f + IMP_FMT_OFF_MINOR) == 1);
        CHECK(imp_ld32(f + IMP_FMT_OFF_SECTIONS) == 3);
        const uint8_t *e = f + IMP_FMT_HEADER_SIZE + 2 * IMP_FMT_SECTION_ENTRY;
        CHECK(imp_ld32(e) == IMP_FMT_SECTION_METADATA);
        CHECK(imp_ld64(e + 8) % IMP_FMT_ALIGN == 0);
        CHECK(imp_ld64(e + 8) + imp_ld64(e + 16) == size);
        /* count 1, "k", "v" */
        const uint8_t *s = f + imp_ld64(e + 8);
        CHECK(imp_ld64(e + 16) == 14 && imp_ld32(s) == 1 && imp_ld32(s + 4) == 1 &&
              s[8] == 'k' && imp_ld32(s + 9) == 1 && s[13] == 'v');
        /* An older reader (minor 0) skips the section; ours reads it. */
        struct imp_graph g;
        struct imp_error err;
        CHECK_STATUS(imp_imp_read(f, size, false, &g, &err), IMP_OK);
        CHECK(g.meta.n == 1 && strcmp(imp_metadata_find(&g.meta, "k"), "v") == 0);
        imp_graph_release(&g);
    }
    free(f);
    imp_metadata_release(&view.meta);
    imp_model_free(m);
}

/* A file whose metadata section holds exactly `body` (n bytes), its
 * checksums resealed. */
static uint8_t *with_section(const uint8_t *body, size_t n, size_t *size)
{
    struct imp_model *m = relu_model();
    if (!m)
        return NULL;
    struct imp_graph view = m->graph;
    memset(&view.meta, 0, sizeof view.meta);
    /* A placeholder of the right length, overwritten below. */
    char *filler = malloc(n + 1);
    uint8_t *f = NULL;
    /* count (4) + "k" (4 + 1) + the value (4 + n - 13) */
    if (filler && n >= 13) {
        memset(filler, 'x', n - 13);
        filler[n - 13] = '\0';
        imp_metadata_set(&view.meta, "k", filler);
        f = write_graph(&view, size);
    }
    if (f) {
        const uint8_t *e = f + IMP_FMT_HEADER_SIZE + 2 * IMP_FMT_SECTION_ENTRY;
        memcpy(f + imp_ld64(e + 8), body, n);
        imp_st32(f + IMP_FMT_OFF_BODY_CRC, imp_crc32c(f + 64, *size - 64));
        imp_st32(f + IMP_FMT_OFF_HEADER_CRC, imp_crc32c(f, 60));
    }
    free(filler);
    imp_metadata_release(&view.meta);
    imp_model_free(m);
    return f;
}

/* Section bytes from a compact description: u32 count, then pairs. */
static size_t section(uint8_t *out, uint32_t count, const char *const *strs,
                      const size_t *lens, int n_strs, size_t extra)
{
    size_t k = 0;
    imp_st32(out, count);
    k += 4;
    for (int i = 0; i < n_strs; i++) {
        imp_st32(out + k, (uint32_t)lens[i]);
        memcpy(out + k + 4, strs[i], lens[i]);
        k += 4 + lens[i];
    }
    memset(out + k, 0, extra);
    return k + extra;
}

static void expect_refused(const uint8_t *body, size_t n, const char *why)
{
    size_t size;
    uint8_t *f = with_section(body, n, &size);
    if (!CHECK(f != NULL))
        return;
    struct imp_graph g;
    struct imp_error err;
    enum imp_status st = imp_imp_read(f, size, false, &g, &err);
    if (!CHECK(st == IMP_ERR_FORMAT) || !CHECK(strstr(err.message, why) != NULL))
        printf("  got %s: %s (want '%s')\n", imp_status_name(st), err.message, why);
    /* The public loader says the same and leaves nothing behind. */
    struct imp_model *m = (struct imp_model *)1;
    CHECK_STATUS(imp_model_load_buffer(f, size, &m, &err), IMP_ERR_FORMAT);
    CHECK(m == NULL);
    free(f);
}

static void hostile_sections_are_refused(void)
{
    uint8_t body[600];
    char key300[301];
    memset(key300, 'k', 300);
    key300[300] = '\0';
    size_t n;
    {
        const char *s[] = {"a", "1", "a", "2"};
        size_t l[] = {1, 1, 1, 1};
        n = section(body, 2, s, l, 4, 0);
        expect_refused(body, n, "key 'a' appears twice");
    }
    {
        const char *s[] = {"a\0b", "1"};
        size_t l[] = {3, 1};
        n = section(body, 1, s, l, 2, 0);
        expect_refused(body, n, "key contains a zero byte");
    }
    {
        const char *s[] = {"a", "x\0y"};
        size_t l[] = {1, 3};
        n = section(body, 1, s, l, 2, 0);
        expect_refused(body, n, "value contains a zero byte");
    }
    {
        const char *s[] = {"", "v"};
        size_t l[] = {0, 1};
        n = section(body, 1, s, l, 2, 0);
        expect_refused(body, n, "the key is empty");
    }
    {
        const char *s[] = {"a", "\xc3\x28 bad"};
        size_t l[] = {1, 6};
        n = section(body, 1, s, l, 2, 0);
        expect_refused(body, n, "value is not UTF-8");
    }
    {
        const char *s[] = {"\xed\xa0\x80", "surrogate"};
        size_t l[] = {3, 9};
        n = section(body, 1, s, l, 2, 0);
        expect_refused(body, n, "key is not UTF-8");
    }
    {
        const char *s[] = {"tab\there", "v"};
        size_t l[] = {8, 1};
        n = section(body, 1, s, l, 2, 0);
        expect_refused(body, n, "control character");
    }
    {
        const char *s[] = {key300, "v"};
        size_t l[] = {300, 1};
        n = section(body, 1, s, l, 2, 0);
        expect_refused(body, n, "longer than 256 bytes");
    }
    {
        const char *s[] = {"a", "1"};
        size_t l[] = {1, 1};
        n = section(body, 1, s, l, 2, 3);
        expect_refused(body, n, "3 unexpected bytes after the last entry");
        n = section(body, 2, s, l, 2, 0);
        expect_refused(body, n, "entry count 2 does not fit in the 10 bytes left");
        n = section(body, 0xffffffffu, s, l, 2, 0);
        expect_refused(body, n, "entry count 4294967295 is too large");
        n = section(body, 60, s, l, 2, 0);
        expect_refused(body, n, "entry count 60 does not fit in the 10 bytes left");
    }
    {
        /* A string length running past the section. */
        const char *s[] = {"a", "1"};
        size_t l[] = {1, 1};
        n = section(body, 1, s, l, 2, 0);
        imp_st32(body + 9, 1000);
        expect_refused(body, n, "value is 1000 bytes long");
    }
}

static void more_than_the_entry_limit_is_refused(void)
{
    /* 1025 pairs of one-byte keys would fit the bytes but not the rule. */
    size_t n = 4 + (size_t)1025 * 10;
    uint8_t *body = malloc(n);
    if (!CHECK(body != NULL))
        return;
    imp_st32(body, 1025);
    for (int i = 0; i < 1025; i++) {
        uint8_t *p = body + 4 + (size_t)i * 10;
        imp_st32(p, 1);
        p[4] = 'a';
        imp_st32(p + 5, 1);
        p[9] = 'v';
    }
    expect_refused(body, n, "1025 entries, more than the 1024 allowed");
    free(body);
}

static void two_metadata_sections_are_refused(void)
{
    uint8_t body[32];
    const char *s[] = {"a", "1"};
    size_t l[] = {1, 1};
    size_t n = section(body, 1, s, l, 2, 0);
    size_t size;
    uint8_t *f = with_section(body, n, &size);
    if (!CHECK(f != NULL))
        return;
    /* Make the weights entry a second metadata section. */
    imp_st32(f + IMP_FMT_HEADER_SIZE + IMP_FMT_SECTION_ENTRY, IMP_FMT_SECTION_METADATA);
    imp_st32(f + IMP_FMT_OFF_BODY_CRC, imp_crc32c(f + 64, size - 64));
    imp_st32(f + IMP_FMT_OFF_HEADER_CRC, imp_crc32c(f, 60));
    struct imp_graph g;
    struct imp_error err;
    CHECK_STATUS(imp_imp_read(f, size, false, &g, &err), IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "a second metadata section") != NULL);
    free(f);
}

static void save_refuses_pairs_that_break_the_rules(void)
{
    struct imp_model *m = relu_model();
    if (!CHECK(m != NULL))
        return;
    char path[1024];
    tmp_path("refused.imp", path, sizeof path);
    remove(path);
    static const struct imp_metadata_entry bad[][1] = {
        {{"", "v"}}, {{"k", "\xff"}}, {{"new\nline", "v"}}, {{NULL, "v"}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct imp_save_options o = imp_save_options_default();
        o.metadata = bad[i];
        o.metadata_count = 1;
        struct imp_error err;
        CHECK_STATUS(imp_model_save(m, path, &o, &err), IMP_ERR_ARGUMENT);
        CHECK(strstr(err.message, "metadata entry 0") != NULL);
    }
    FILE *f = fopen(path, "rb");
    CHECK(f == NULL); /* nothing written */
    if (f)
        fclose(f);
    /* A folder that does not exist: an I/O error, no stray temporary. */
    struct imp_error err;
    snprintf(path, sizeof path, "%s/no-such-dir/x.imp", IMP_BINARY_DIR);
    CHECK_STATUS(imp_model_save(m, path, NULL, &err), IMP_ERR_IO);
    imp_model_free(m);
}

/* An ONNX file with extra ModelProto fields appended (protobuf allows a
 * message to continue with more fields). */
static void append_field(uint8_t *buf, size_t *n, uint8_t tag, const uint8_t *payload,
                         size_t len)
{
    buf[(*n)++] = tag;
    buf[(*n)++] = (uint8_t)len; /* len < 128 in these tests */
    memcpy(buf + *n, payload, len);
    *n += len;
}

static void append_prop(uint8_t *buf, size_t *n, const char *k, size_t kn, const char *v,
                        size_t vn)
{
    uint8_t entry[200];
    size_t e = 0;
    append_field(entry, &e, 0x0a, (const uint8_t *)k, kn);
    append_field(entry, &e, 0x12, (const uint8_t *)v, vn);
    append_field(buf, n, 0x72, entry, e); /* metadata_props = 14 */
}

static uint8_t *golden_onnx(size_t *size, size_t room)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/goldens/classifier_op14.onnx", IMP_SOURCE_DIR);
    unsigned char *data;
    if (!CHECK(imp_read_file(path, &data, size) == 0))
        return NULL;
    uint8_t *grown = realloc(data, *size + room);
    if (!grown)
        free(data);
    return grown;
}

static void onnx_metadata_props_are_read(void)
{
    size_t n;
    uint8_t *f = golden_onnx(&n, 1024);
    if (!f)
        return;
    size_t base = n;
    append_prop(f, &n, "impasto.input.layout", 20, "NCHW", 4);
    append_prop(f, &n, "onnx.producer", 13, "kept over the field", 19);
    append_field(f, &n, 0x32, (const uint8_t *)"a doc\nstring", 12); /* doc_string */
    struct imp_model *m = NULL;
    struct imp_error err;
    if (CHECK_STATUS(imp_model_load_buffer(f, n, &m, &err), IMP_OK)) {
        CHECK(imp_model_metadata_count(m) == 3);
        const char *key, *value;
        CHECK_STATUS(imp_model_metadata_get(m, 0, &key, &value), IMP_OK);
        CHECK(strcmp(key, "impasto.input.layout") == 0 && strcmp(value, "NCHW") == 0);
        CHECK(strcmp(imp_model_metadata_find(m, "onnx.producer"), "kept over the field") == 0);
        CHECK(strcmp(imp_model_metadata_find(m, "onnx.doc_string"), "a doc\nstring") == 0);
        /* Through ONNX and back: the same pairs. */
        struct imp_model *back = save_load(m, "props.onnx", NULL);
        if (back) {
            CHECK(imp_model_metadata_count(back) == 3);
            for (int i = 0; i < 3; i++) {
                const char *k2, *v2;
                imp_model_metadata_get(m, i, &key, &value);
                CHECK_STATUS(imp_model_metadata_get(back, i, &k2, &v2), IMP_OK);
                CHECK(strcmp(key, k2) == 0 && strcmp(value, v2) == 0);
            }
        }
        imp_model_free(back);
    } else {
        printf("  load: %s\n", err.message);
    }
    imp_model_free(m);
    /* Damage in a prop fails the load, naming it. */
    static const struct {
        const char *k, *v;
        size_t kn, vn;
        const char *why;
    } bad[] = {
        {"a", "1", 1, 1, "key 'a' appears twice"},
        {"z\0", "1", 2, 1, "key contains a zero byte"},
        {"z", "\xe0\x80\x80", 1, 3, "value is not UTF-8"},
        {"", "1", 0, 1, "key is empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = base;
        append_prop(f, &n, "a", 1, "0", 1);
        append_prop(f, &n, bad[i].k, bad[i].kn, bad[i].v, bad[i].vn);
        m = (struct imp_model *)1;
        CHECK_STATUS(imp_model_load_buffer(f, n, &m, &err), IMP_ERR_FORMAT);
        CHECK(m == NULL);
        if (!CHECK(strstr(err.message, bad[i].why) != NULL))
            printf("  got: %s\n", err.message);
    }
    /* An empty onnx.doc_string survives ONNX as a prop. */
    {
        struct imp_model *r = relu_model();
        struct imp_metadata_entry e[1] = {{"onnx.doc_string", ""}};
        struct imp_save_options o = imp_save_options_default();
        o.metadata = e;
        o.metadata_count = 1;
        struct imp_model *back = r ? save_load(r, "empty_doc.onnx", &o) : NULL;
        CHECK(back && imp_model_metadata_count(back) == 1 &&
              strcmp(imp_model_metadata_find(back, "onnx.doc_string"), "") == 0);
        imp_model_free(back);
        imp_model_free(r);
    }
    /* A doc_string that is not text is left out, not fatal. */
    n = base;
    append_field(f, &n, 0x32, (const uint8_t *)"bin\0ary", 7);
    m = NULL;
    if (CHECK_STATUS(imp_model_load_buffer(f, n, &m, &err), IMP_OK))
        CHECK(imp_model_metadata_find(m, "onnx.doc_string") == NULL);
    imp_model_free(m);
    free(f);
}

static void tflite_text_metadata_is_read(void)
{
    struct tb_tensor t[2] = {
        {.name = "x", .type = T_FLOAT32, .rank = 4, .dims = {1, 2, 2, 3}},
        {.name = "y", .type = T_FLOAT32, .rank = 4, .dims = {1, 2, 2, 3}},
    };
    struct tb_op relu = {.code = 19 /* RELU */, .n_in = 1, .in = {0}, .n_out = 1, .out = {1}};
    static const uint8_t binary[6] = {0x1c, 0, 0, 0, 'T', 'F'};
    struct tb_model tm = {
        .n_tensors = 2, .tensors = t, .n_ops = 1, .ops = &relu,
        .n_inputs = 1, .inputs = {0}, .n_outputs = 1, .outputs = {1},
        .description = "made by a test",
        .n_meta = 4,
        .meta_names = {"min_runtime_version", "TFLITE_METADATA", "min_runtime_version",
                       "note"},
        .meta_data = {"1.5.0\0\0\0", binary, "9.9", "caf\xc3\xa9\nau lait"},
        .meta_len = {8, 6, 3, 14},
    };
    size_t size = 0;
    uint8_t *f = tb_build(&tm, &size);
    if (!CHECK(f != NULL))
        return;
    struct imp_model *m = NULL;
    struct imp_error err;
    if (CHECK_STATUS(imp_model_load_buffer(f, size, &m, &err), IMP_OK)) {
        /* Text entries by their names (NUL padding cut, the first of a
         * repeated name kept), the binary one left out. */
        CHECK(imp_model_metadata_count(m) == 3);
        CHECK(strcmp(imp_model_metadata_find(m, "tflite.description"), "made by a test") == 0);
        CHECK(strcmp(imp_model_metadata_find(m, "min_runtime_version"), "1.5.0") == 0);
        CHECK(strcmp(imp_model_metadata_find(m, "note"), "caf\xc3\xa9\nau lait") == 0);
        CHECK(imp_model_metadata_find(m, "TFLITE_METADATA") == NULL);
    } else {
        printf("  load: %s\n", err.message);
    }
    imp_model_free(m);
    free(f);
}

int main(void)
{
    RUN(imp_round_trip_keeps_pairs_in_order);
    RUN(files_without_metadata_stay_version_1_0);
    RUN(hostile_sections_are_refused);
    RUN(more_than_the_entry_limit_is_refused);
    RUN(two_metadata_sections_are_refused);
    RUN(save_refuses_pairs_that_break_the_rules);
    RUN(onnx_metadata_props_are_read);
    RUN(tflite_text_metadata_is_read);
    return imp_test_finish();
}
