/* The .imp format: round trips of C-built graphs, determinism, the layout
 * docs/format.md promises, borrowed weights, and save/load through the
 * public API with bit-identical predictions. Damaged files: test_imp_corrupt.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "formats/formats.h"
#include "formats/imp_format.h"
#include "harness.h"

static struct imp_shape shp(int rank, int64_t d0, int64_t d1, int64_t d2,
                            int64_t d3)
{
    int64_t d[4] = {d0, d1, d2, d3};
    return imp_shape_make(rank, d);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Every dtype as a constant (a scalar and an empty one too), every
 * attribute type with edge values, omitted inputs, open dims, an
 * activation of unknown type, a non-ASCII name and an empty one. */
static void build_everything(struct imp_graph *g)
{
    imp_graph_init(g);
    g->source_format = "onnx";
    struct imp_shape s;
    s = shp(4, -1, 3, -1, -1);
    int x = imp_graph_add_value(g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &s);
    float f32[6] = {1.5f, -2.25f, 0.0f, -0.0f, INFINITY, 3e-39f};
    s = shp(2, 2, 3, 0, 0);
    int c_f32 = imp_graph_add_const(g, "c_f32", IMP_DTYPE_F32, &s, f32);
    uint16_t f16[4] = {0x3c00, 0xc000, 0x7e01, 0x0001};
    s = shp(1, 4, 0, 0, 0);
    imp_graph_add_const(g, "c_f16", IMP_DTYPE_F16, &s, f16);
    int64_t i64[3] = {INT64_MIN, -1, INT64_MAX};
    s = shp(1, 3, 0, 0, 0);
    int c_i64 = imp_graph_add_const(g, "c_i64", IMP_DTYPE_I64, &s, i64);
    int32_t i32[4] = {INT32_MIN, 0, 7, INT32_MAX};
    s = shp(2, 2, 2, 0, 0);
    int c_i32 = imp_graph_add_const(g, "c_i32", IMP_DTYPE_I32, &s, i32);
    int8_t i8[5] = {-128, -1, 0, 1, 127};
    s = shp(1, 5, 0, 0, 0);
    imp_graph_add_const(g, "c_i8", IMP_DTYPE_I8, &s, i8);
    uint8_t u8[3] = {0, 128, 255};
    s = shp(3, 1, 1, 3, 0);
    imp_graph_add_const(g, "c_u8", IMP_DTYPE_U8, &s, u8);
    uint8_t b[2] = {1, 0};
    s = shp(1, 2, 0, 0, 0);
    imp_graph_add_const(g, "c_bool", IMP_DTYPE_BOOL, &s, b);
    double f64 = -1.0 / 3.0;
    s = shp(0, 0, 0, 0, 0);
    int c_f64 = imp_graph_add_const(g, "c_f64 scalar", IMP_DTYPE_F64, &s, &f64);
    s = shp(2, 0, 4, 0, 0);
    imp_graph_add_const(g, "c_empty", IMP_DTYPE_F32, &s, NULL);
    int a = imp_graph_add_value(g, "a", IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    s = shp(4, 1, 3, -1, 7);
    int bb = imp_graph_add_value(g, "b/\xe5\x90\x8d\xc3\xbc", IMP_VALUE_ACTIVATION,
                                 IMP_DTYPE_F32, &s);
    s = shp(1, -1, 0, 0, 0);
    int y = imp_graph_add_value(g, "", IMP_VALUE_ACTIVATION, IMP_DTYPE_I64, &s);

    int in0[3] = {x, c_f32, -1};
    int n0 = imp_graph_add_node(g, IMP_OP_CONV, "conv0", 3, in0, 1, &a);
    imp_node_set_int(g, n0, "group", 1);
    imp_node_set_int(g, n0, "neg", INT64_MIN);
    imp_node_set_float(g, n0, "alpha", -0.5f);
    uint32_t nan_bits = 0x7fc01234u;
    float nan_payload;
    memcpy(&nan_payload, &nan_bits, 4);
    imp_node_set_float(g, n0, "nan", nan_payload);
    imp_node_set_string(g, n0, "auto_pad", "SAME_UPPER");
    imp_node_set_string(g, n0, "empty", "");
    int64_t pads[4] = {0, 1, -1, INT64_MAX};
    imp_node_set_ints(g, n0, "pads", pads, 4);
    imp_node_set_ints(g, n0, "no_ints", NULL, 0);
    float scales[3] = {1.5f, -0.0f, -INFINITY};
    imp_node_set_floats(g, n0, "scales", scales, 3);
    imp_node_set_floats(g, n0, "no_floats", NULL, 0);
    imp_node_set_tensor(g, n0, "value", c_f64);
    int in1[4] = {a, c_i64, -1, c_i32};
    imp_graph_add_node(g, IMP_OP_PAD, "pad", 4, in1, 1, &bb);
    imp_graph_add_node(g, IMP_OP_SHAPE, "", 1, &bb, 1, &y);
    imp_graph_add_node(g, IMP_OP_CONSTANT, "no inputs", 0, NULL, 0, NULL);
    imp_graph_add_input(g, x);
    imp_graph_add_output(g, y);
    imp_graph_add_output(g, bb);
}

static bool same_bits(const void *a, const void *b, size_t n)
{
    return n == 0 || memcmp(a, b, n) == 0;
}

static bool same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Field by field; floats compare by bit pattern (NaN payloads, -0). */
static void check_graphs_equal(const struct imp_graph *a, const struct imp_graph *b)
{
    if (!CHECK(a->n_values == b->n_values) || !CHECK(a->n_nodes == b->n_nodes) ||
        !CHECK(a->n_inputs == b->n_inputs) || !CHECK(a->n_outputs == b->n_outputs))
        return;
    for (int i = 0; i < a->n_values; i++) {
        const struct imp_value *u = &a->values[i], *v = &b->values[i];
        CHECK(strcmp(u->name, v->name) == 0);
        CHECK(u->kind == v->kind);
        CHECK(u->dtype == v->dtype);
        CHECK(imp_shape_equal(&u->shape, &v->shape));
        if (u->kind == IMP_VALUE_CONST) {
            CHECK(u->nbytes == v->nbytes);
            CHECK(v->data != NULL);
            CHECK(u->nbytes == v->nbytes && same_bits(u->data, v->data, u->nbytes));
        }
    }
    for (int i = 0; i < a->n_nodes; i++) {
        const struct imp_node *m = &a->nodes[i], *n = &b->nodes[i];
        CHECK(m->op == n->op);
        CHECK(strcmp(m->name, n->name) == 0);
        if (!CHECK(m->n_inputs == n->n_inputs) || !CHECK(m->n_outputs == n->n_outputs) ||
            !CHECK(m->n_attrs == n->n_attrs))
            continue;
        CHECK(same_bits(m->inputs, n->inputs, sizeof(int) * (size_t)m->n_inputs));
        CHECK(same_bits(m->outputs, n->outputs, sizeof(int) * (size_t)m->n_outputs));
        for (int k = 0; k < m->n_attrs; k++) {
            const struct imp_attr *p = &m->attrs[k], *q = &n->attrs[k];
            CHECK(strcmp(p->name, q->name) == 0);
            if (!CHECK(p->type == q->type))
                continue;
            switch (p->type) {
            case IMP_ATTR_INT:
            case IMP_ATTR_TENSOR: CHECK(p->i == q->i); break;
            case IMP_ATTR_FLOAT: CHECK(same_bits(&p->f, &q->f, sizeof p->f)); break;
            case IMP_ATTR_STRING: CHECK(same_str(p->s, q->s)); break;
            case IMP_ATTR_INTS:
                CHECK(p->n == q->n &&
                      same_bits(p->ints, q->ints, sizeof *p->ints * (size_t)p->n));
                break;
            case IMP_ATTR_FLOATS:
                CHECK(p->n == q->n &&
                      same_bits(p->floats, q->floats, sizeof *p->floats * (size_t)p->n));
                break;
            }
        }
    }
    CHECK(same_bits(a->inputs, b->inputs, sizeof(int) * (size_t)a->n_inputs));
    CHECK(same_bits(a->outputs, b->outputs, sizeof(int) * (size_t)a->n_outputs));
}

static void crc32c_check_value(void)
{
    CHECK(imp_crc32c("123456789", 9) == 0xe3069283u);
    CHECK(imp_crc32c("", 0) == 0);
    /* The 8-byte steps and the byte tail must agree: every length/offset. */
    uint8_t buf[40];
    for (int i = 0; i < 40; i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    for (size_t start = 0; start < 8; start++)
        for (size_t len = 0; start + len <= 40; len++) {
            uint32_t crc = 0xffffffffu;
            for (size_t k = 0; k < len; k++) {
                crc ^= buf[start + k];
                for (int bit = 0; bit < 8; bit++)
                    crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
            }
            if (!CHECK(imp_crc32c(buf + start, len) == ~crc))
                return;
        }
}

static void round_trip_every_field(void)
{
    struct imp_graph g, back;
    build_everything(&g);
    uint8_t *bytes = NULL;
    size_t size = 0;
    struct imp_error err;
    CHECK_STATUS(imp_imp_write(&g, &bytes, &size, &err), IMP_OK);
    if (!CHECK(bytes != NULL)) {
        imp_graph_release(&g);
        return;
    }
    enum imp_status st = imp_imp_read(bytes, size, false, &back, &err);
    if (!CHECK(st == IMP_OK))
        printf("  read: %s\n", err.message);
    check_graphs_equal(&g, &back);
    CHECK(back.source_format && strcmp(back.source_format, "imp") == 0);
    for (int i = 0; i < back.n_values; i++)
        if (back.values[i].kind == IMP_VALUE_CONST)
            CHECK(back.values[i].owned); /* borrow=false: copies */
    imp_graph_release(&back);
    free(bytes);
    imp_graph_release(&g);
}

static void writer_is_deterministic(void)
{
    struct imp_graph g1, g2, back;
    build_everything(&g1);
    build_everything(&g2); /* a separate build: different heap addresses */
    uint8_t *a = NULL, *b = NULL, *c = NULL;
    size_t na = 0, nb = 0, nc = 0;
    CHECK_STATUS(imp_imp_write(&g1, &a, &na, NULL), IMP_OK);
    CHECK_STATUS(imp_imp_write(&g2, &b, &nb, NULL), IMP_OK);
    CHECK(na == nb && a && b && memcmp(a, b, na) == 0);
    /* Read back and write again: the same bytes (origin restored). */
    CHECK_STATUS(imp_imp_read(a, na, false, &back, NULL), IMP_OK);
    back.source_format = "onnx";
    CHECK_STATUS(imp_imp_write(&back, &c, &nc, NULL), IMP_OK);
    CHECK(nc == na && c && memcmp(a, c, na) == 0);
    imp_graph_release(&back);
    free(a);
    free(b);
    free(c);
    imp_graph_release(&g1);
    imp_graph_release(&g2);
}

/* The bytes docs/format.md describes, checked independently of the reader. */
static void layout_matches_the_spec(void)
{
    struct imp_graph g;
    build_everything(&g);
    uint8_t *f = NULL;
    size_t size = 0;
    CHECK_STATUS(imp_imp_write(&g, &f, &size, NULL), IMP_OK);
    if (!CHECK(f && size >= 128)) {
        imp_graph_release(&g);
        free(f);
        return;
    }
    CHECK(memcmp(f, "IMPASTO\0", 8) == 0);
    CHECK(f[8] == 1 && f[9] == 0 && f[10] == 0 && f[11] == 0); /* 1.0 */
    CHECK(rd32(f + 12) == 2);
    CHECK(rd64(f + 16) == size);
    CHECK(rd32(f + 24) == imp_crc32c(f + 64, size - 64));
    bool reserved_zero = true;
    for (int i = 28; i < 60; i++)
        reserved_zero &= f[i] == 0;
    CHECK(reserved_zero);
    CHECK(rd32(f + 60) == imp_crc32c(f, 60));
    /* Section table: graph then weights, 64-aligned, weights last. */
    CHECK(rd32(f + 64) == 1 && rd32(f + 68) == 0);
    uint64_t goff = rd64(f + 72), gsize = rd64(f + 80);
    CHECK(rd32(f + 88) == 2 && rd32(f + 92) == 0);
    uint64_t woff = rd64(f + 96), wsize = rd64(f + 104);
    CHECK(goff == 128 && woff % 64 == 0 && woff >= goff + gsize);
    CHECK(woff + wsize == size);
    /* Graph section header: counts, then the origin string. */
    const uint8_t *gs = f + goff;
    CHECK(rd32(gs) == (uint32_t)g.n_values && rd32(gs + 4) == (uint32_t)g.n_nodes);
    CHECK(rd32(gs + 8) == 1 && rd32(gs + 12) == 2);
    CHECK(rd32(gs + 16) == 4 && memcmp(gs + 20, "onnx", 4) == 0);
    /* First value: "x", input, float32, rank 4, dims -1 3 -1 -1. */
    const uint8_t *v = gs + 24;
    CHECK(rd32(v) == 1 && v[4] == 'x');
    CHECK(v[5] == 1 && v[6] == 1 && v[7] == 4 && v[8] == 0);
    CHECK(rd64(v + 9) == UINT64_MAX && rd64(v + 17) == 3);
    /* Second value: the f32 constant, first in the weights section. */
    v += 9 + 4 * 8;
    CHECK(rd32(v) == 5 && memcmp(v + 4, "c_f32", 5) == 0);
    CHECK(v[9] == 2 && v[10] == 1 && v[11] == 2);
    CHECK(rd64(v + 13) == 2 && rd64(v + 21) == 3);
    CHECK(rd64(v + 29) == 0 && rd64(v + 37) == 24);
    float w0;
    memcpy(&w0, f + woff, 4);
    CHECK(w0 == 1.5f);
    /* The last 12 bytes of the graph section: input 0, outputs y and b. */
    const uint8_t *io = gs + gsize - 12;
    CHECK(rd32(io) == 0 && rd32(io + 4) == (uint32_t)g.outputs[0] &&
          rd32(io + 8) == (uint32_t)g.outputs[1]);
    imp_graph_release(&g);
    free(f);
}

static void constants_borrow_aligned_buffers_only(void)
{
    struct imp_graph g, back;
    build_everything(&g);
    uint8_t *bytes = NULL;
    size_t size = 0;
    CHECK_STATUS(imp_imp_write(&g, &bytes, &size, NULL), IMP_OK);
    uint8_t *aligned = imp_aligned_alloc(size + 1);
    if (!CHECK(bytes && aligned)) {
        free(bytes);
        imp_aligned_free(aligned);
        imp_graph_release(&g);
        return;
    }
    memcpy(aligned, bytes, size);
    CHECK_STATUS(imp_imp_read(aligned, size, true, &back, NULL), IMP_OK);
    int consts = 0;
    for (int i = 0; i < back.n_values; i++) {
        const struct imp_value *v = &back.values[i];
        if (v->kind != IMP_VALUE_CONST)
            continue;
        consts++;
        const uint8_t *p = v->data;
        CHECK(!v->owned);
        CHECK(p >= aligned && p + v->nbytes <= aligned + size);
        CHECK((uintptr_t)p % 64 == 0);
    }
    CHECK(consts == 9);
    check_graphs_equal(&g, &back);
    imp_graph_release(&back);
    /* The same bytes one byte off alignment: copied, owned, aligned. */
    memmove(aligned + 1, aligned, size);
    CHECK_STATUS(imp_imp_read(aligned + 1, size, true, &back, NULL), IMP_OK);
    for (int i = 0; i < back.n_values; i++) {
        const struct imp_value *v = &back.values[i];
        if (v->kind == IMP_VALUE_CONST) {
            const uint8_t *p = v->data;
            CHECK(v->owned && (uintptr_t)p % 64 == 0);
            CHECK(p + v->nbytes <= aligned || p >= aligned + size + 1);
        }
    }
    check_graphs_equal(&g, &back);
    imp_graph_release(&back);
    imp_aligned_free(aligned);
    free(bytes);
    imp_graph_release(&g);
}

static void writer_refuses_what_the_reader_would(void)
{
    struct imp_graph g;
    struct imp_error err;
    uint8_t *bytes = (uint8_t *)&err; /* must be reset to NULL on failure */
    size_t size = 1;

    build_everything(&g);
    g.nodes[0].inputs[0] = g.n_values;
    CHECK_STATUS(imp_imp_write(&g, &bytes, &size, &err), IMP_ERR_ARGUMENT);
    CHECK(bytes == NULL && size == 0);
    CHECK(strncmp(err.message, "imp: cannot write: node 0 'conv0'", 33) == 0);
    imp_graph_release(&g);

    build_everything(&g);
    g.nodes[1].outputs[0] = -1;
    CHECK_STATUS(imp_imp_write(&g, &bytes, &size, &err), IMP_ERR_ARGUMENT);
    imp_graph_release(&g);

    build_everything(&g);
    g.values[1].nbytes -= 4;
    CHECK_STATUS(imp_imp_write(&g, &bytes, &size, &err), IMP_ERR_ARGUMENT);
    CHECK(strstr(err.message, "c_f32") != NULL);
    imp_graph_release(&g);

    build_everything(&g);
    g.inputs[0] = 1; /* a constant as a graph input */
    CHECK_STATUS(imp_imp_write(&g, &bytes, &size, &err), IMP_ERR_ARGUMENT);
    imp_graph_release(&g);

    build_everything(&g);
    g.nodes[0].attrs[g.nodes[0].n_attrs - 1].i = 0; /* tensor attr -> input */
    CHECK_STATUS(imp_imp_write(&g, &bytes, &size, &err), IMP_ERR_ARGUMENT);
    imp_graph_release(&g);

    build_everything(&g);
    g.values[0].shape.d[1] = -3;
    CHECK_STATUS(imp_imp_write(&g, &bytes, &size, &err), IMP_ERR_ARGUMENT);
    imp_graph_release(&g);
}

/* ---- through the public API ------------------------------------------------ */

/* x -> Clip(lo, hi consts) -> Relu -> Sigmoid -> y (f32)
 *                          \-> Identity -> Cast(int32) -> z */
static struct imp_model *small_model(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    g.source_format = "onnx";
    struct imp_shape s = shp(4, -1, 3, -1, 5);
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &s);
    float lo = -2.5f, hi = 3.25f;
    s = shp(0, 0, 0, 0, 0);
    int clo = imp_graph_add_const(&g, "lo", IMP_DTYPE_F32, &s, &lo);
    int chi = imp_graph_add_const(&g, "hi", IMP_DTYPE_F32, &s, &hi);
    int c = imp_graph_add_value(&g, "c", IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    int r = imp_graph_add_value(&g, "r", IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    int i = imp_graph_add_value(&g, "i", IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    int z = imp_graph_add_value(&g, "z", IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    int clip_in[3] = {x, clo, chi};
    imp_graph_add_node(&g, IMP_OP_CLIP, "clip", 3, clip_in, 1, &c);
    imp_graph_add_node(&g, IMP_OP_RELU, "relu", 1, &c, 1, &r);
    imp_graph_add_node(&g, IMP_OP_SIGMOID, "sigmoid", 1, &r, 1, &y);
    imp_graph_add_node(&g, IMP_OP_IDENTITY, "identity", 1, &c, 1, &i);
    int cast = imp_graph_add_node(&g, IMP_OP_CAST, "cast", 1, &i, 1, &z);
    imp_node_set_int(&g, cast, "to", 6); /* ONNX INT32 */
    imp_graph_add_input(&g, x);
    imp_graph_add_output(&g, y);
    imp_graph_add_output(&g, z);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  model: %s\n", err.message);
    return m;
}

/* Run at 2x3x4x5 and return copies of both outputs. */
static bool predict(const struct imp_model *m, void **out, size_t *bytes)
{
    struct imp_predictor *p;
    struct imp_error err;
    if (imp_predictor_init(m, NULL, &p, &err) != IMP_OK) {
        printf("  predictor: %s\n", err.message);
        return false;
    }
    int64_t dims[4] = {2, 3, 4, 5};
    float x[120];
    for (int k = 0; k < 120; k++)
        x[k] = (float)(k - 60) * 0.0731f + (float)sin(k);
    bool ok = imp_predictor_resize_input(p, 0, 4, dims) == IMP_OK &&
              imp_predictor_set_input(p, 0, x, sizeof x) == IMP_OK &&
              imp_predictor_run(p) == IMP_OK;
    for (int o = 0; ok && o < 2; o++) {
        struct imp_tensor_info info;
        const void *data;
        ok = imp_predictor_output(p, o, &info, &data) == IMP_OK;
        bytes[o] = ok ? 120 * imp_dtype_size(info.dtype) : 0;
        out[o] = ok ? malloc(bytes[o]) : NULL;
        if (out[o])
            memcpy(out[o], data, bytes[o]);
        ok = ok && out[o];
    }
    if (!ok)
        printf("  run: %s\n", imp_predictor_last_error(p));
    imp_predictor_free(p);
    return ok;
}

static void save_load_predicts_bit_identically(void)
{
    struct imp_model *m = small_model();
    if (!CHECK(m != NULL))
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/test_imp_small.imp", IMP_BINARY_DIR);
    struct imp_error err;
    if (!CHECK(imp_model_save_imp(m, path, &err) == IMP_OK))
        printf("  save: %s\n", err.message);
    struct imp_model *back = NULL;
    if (!CHECK(imp_model_load_file(path, &back, &err) == IMP_OK)) {
        printf("  load: %s\n", err.message);
        imp_model_free(m);
        return;
    }
    CHECK(strcmp(imp_model_source_format(back), "imp") == 0);
    CHECK(imp_model_input_count(back) == 1 && imp_model_output_count(back) == 2);
    struct imp_tensor_info a, b;
    CHECK_STATUS(imp_model_input_info(back, 0, &b), IMP_OK);
    imp_model_input_info(m, 0, &a);
    CHECK(strcmp(a.name, b.name) == 0 && a.rank == b.rank &&
          memcmp(a.dims, b.dims, sizeof a.dims) == 0 && b.dims[0] == -1);
    CHECK(imp_model_node_count(back) == imp_model_node_count(m));

    /* The loaded model's weights live in its backing copy of the file. */
    const struct imp_graph *g = &back->graph;
    int consts = 0;
    for (int i = 0; i < g->n_values; i++) {
        const struct imp_value *v = &g->values[i];
        if (v->kind != IMP_VALUE_CONST)
            continue;
        consts++;
        const uint8_t *p = v->data;
        CHECK(!v->owned && back->backing && p >= back->backing &&
              (uintptr_t)p % 64 == 0);
    }
    CHECK(consts == 2);

    void *want[2] = {0}, *got[2] = {0};
    size_t nwant[2], ngot[2];
    if (CHECK(predict(m, want, nwant)) && CHECK(predict(back, got, ngot)))
        for (int o = 0; o < 2; o++)
            CHECK(nwant[o] == ngot[o] && memcmp(want[o], got[o], nwant[o]) == 0);
    /* And the prediction is the intended one, not merely the same twice. */
    if (want[0])
        CHECK_NEAR(((float *)want[0])[0], 1.0 / (1.0 + exp(-0.0)), 1e-6);
    if (want[1])
        CHECK(((int32_t *)want[1])[119] == 3); /* clipped to 3.25, truncated */
    for (int o = 0; o < 2; o++) {
        free(want[o]);
        free(got[o]);
    }
    /* The load-time passes found nothing left to do: the same graph. */
    check_graphs_equal(&m->graph, &back->graph);
    remove(path);
    imp_model_free(back);
    imp_model_free(m);
}

static void load_buffer_reads_imp_by_magic(void)
{
    struct imp_model *m = small_model();
    if (!CHECK(m != NULL))
        return;
    uint8_t *bytes = NULL;
    size_t size = 0;
    CHECK_STATUS(imp_imp_write(&m->graph, &bytes, &size, NULL), IMP_OK);
    struct imp_model *back = NULL;
    struct imp_error err;
    CHECK_STATUS(imp_model_load_buffer(bytes, size, &back, &err), IMP_OK);
    /* The caller's buffer may go away: the model keeps its own copy. */
    memset(bytes, 0xee, size);
    free(bytes);
    void *out[2] = {0};
    size_t n[2];
    if (CHECK(back != NULL))
        CHECK(predict(back, out, n));
    free(out[0]);
    free(out[1]);
    imp_model_free(back);
    imp_model_free(m);
}

int main(void)
{
    RUN(crc32c_check_value);
    RUN(round_trip_every_field);
    RUN(writer_is_deterministic);
    RUN(layout_matches_the_spec);
    RUN(constants_borrow_aligned_buffers_only);
    RUN(writer_refuses_what_the_reader_would);
    RUN(save_load_predicts_bit_identically);
    RUN(load_buffer_reads_imp_by_magic);
    return imp_test_finish();
}
