/* Damaged and forged .imp files: every one must give a clean "imp: ..."
 * error (or, for forgeries that stay well-formed, a valid graph), never a
 * crash or an out-of-bounds read (run under ASan: every read goes through
 * an exactly sized heap copy). Forgeries recompute both checksums, so the
 * structural checks behind them are what is tested. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "formats/formats.h"
#include "formats/imp_format.h"
#include "harness.h"

/* in_x -> node_a (Clip, every attribute type) -> act_h -> node_b (Relu) -> out_y */
static void build_small(struct imp_graph *g)
{
    imp_graph_init(g);
    g->source_format = "tflite";
    int64_t d[2] = {1, -1};
    struct imp_shape s = imp_shape_make(2, d);
    int x = imp_graph_add_value(g, "in_x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &s);
    float w[2] = {1.0f, 2.0f};
    int64_t two = 2, three = 3;
    struct imp_shape s2 = imp_shape_make(1, &two), s3 = imp_shape_make(1, &three);
    int c = imp_graph_add_const(g, "w_const", IMP_DTYPE_F32, &s2, w);
    int64_t iv[3] = {7, 8, 9};
    int ic = imp_graph_add_const(g, "i_const", IMP_DTYPE_I64, &s3, iv);
    int h = imp_graph_add_value(g, "act_h", IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    int y = imp_graph_add_value(g, "out_y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, &s);
    int in[3] = {x, c, -1};
    int a = imp_graph_add_node(g, IMP_OP_CLIP, "node_a", 3, in, 1, &h);
    imp_node_set_int(g, a, "aa1", 5);
    imp_node_set_float(g, a, "aa2", 0.5f);
    imp_node_set_string(g, a, "aa3", "sss");
    int64_t ints[2] = {1, 2};
    imp_node_set_ints(g, a, "aa4", ints, 2);
    float fl[1] = {3.0f};
    imp_node_set_floats(g, a, "aa5", fl, 1);
    imp_node_set_tensor(g, a, "aa6", ic);
    imp_graph_add_node(g, IMP_OP_RELU, "node_b", 1, &h, 1, &y);
    imp_graph_add_input(g, x);
    imp_graph_add_output(g, y);
}

static uint8_t *small_file(size_t *size)
{
    struct imp_graph g;
    build_small(&g);
    uint8_t *bytes = NULL;
    *size = 0;
    struct imp_error err;
    if (imp_imp_write(&g, &bytes, size, &err) != IMP_OK)
        printf("  write: %s\n", err.message);
    imp_graph_release(&g);
    return bytes;
}

/* What a forger does after patching: make both checksums right again. */
static void reseal(uint8_t *f, size_t size)
{
    imp_st32(f + IMP_FMT_OFF_BODY_CRC, imp_crc32c(f + 64, size - 64));
    imp_st32(f + IMP_FMT_OFF_HEADER_CRC, imp_crc32c(f, 60));
}

/* Offset just past the length-prefixed string `s` (which must occur once). */
static size_t after(const uint8_t *f, size_t size, const char *s)
{
    size_t n = strlen(s), found = 0, hits = 0;
    for (size_t i = 0; i + 4 + n <= size; i++)
        if (imp_ld32(f + i) == n && memcmp(f + i + 4, s, n) == 0) {
            found = i + 4 + n;
            hits++;
        }
    CHECK(hits == 1);
    return found;
}

/* Read an exact-size heap copy; returns the status, graph released. */
static enum imp_status try_read(const uint8_t *f, size_t size, struct imp_error *err)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return IMP_ERR_NOMEM;
    if (size)
        memcpy(copy, f, size);
    struct imp_graph g;
    enum imp_status st = imp_imp_read(copy, size, false, &g, err);
    if (st != IMP_OK) {
        /* A failed read leaves the graph empty. */
        CHECK(g.n_values == 0 && g.values == NULL && g.n_nodes == 0);
        CHECK(strncmp(err->message, "imp: ", 5) == 0);
    }
    imp_graph_release(&g);
    free(copy);
    return st;
}

/* Patch, reseal, read: must fail with `want` and a message containing `why`. */
static void expect(const uint8_t *orig, size_t size, size_t at, const void *patch,
                   size_t n, enum imp_status want, const char *why)
{
    uint8_t *f = malloc(size);
    if (!f)
        return;
    memcpy(f, orig, size);
    memcpy(f + at, patch, n);
    reseal(f, size);
    struct imp_error err = {0};
    enum imp_status st = try_read(f, size, &err);
    bool ok = CHECK(st == want) && (!why || CHECK(strstr(err.message, why) != NULL));
    if (!ok)
        printf("  patch at %zu: got %s: %s (want '%s')\n", at, imp_status_name(st),
               st == IMP_OK ? "" : err.message, why ? why : "");
    free(f);
}

static void expect_u32(const uint8_t *f, size_t size, size_t at, uint32_t v,
                       enum imp_status want, const char *why)
{
    uint8_t b[4];
    imp_st32(b, v);
    expect(f, size, at, b, 4, want, why);
}

static void expect_u64(const uint8_t *f, size_t size, size_t at, uint64_t v,
                       enum imp_status want, const char *why)
{
    uint8_t b[8];
    imp_st64(b, v);
    expect(f, size, at, b, 8, want, why);
}

static void the_small_file_is_valid(void)
{
    size_t size;
    uint8_t *f = small_file(&size);
    struct imp_error err;
    if (CHECK(f != NULL))
        CHECK_STATUS(try_read(f, size, &err), IMP_OK);
    free(f);
}

static void every_truncation_fails(void)
{
    size_t size;
    uint8_t *f = small_file(&size);
    if (!CHECK(f != NULL))
        return;
    for (size_t len = 0; len < size; len++) {
        struct imp_error err = {0};
        if (!CHECK(try_read(f, len, &err) == IMP_ERR_FORMAT)) {
            printf("  length %zu accepted\n", len);
            break;
        }
    }
    struct imp_error err;
    CHECK_STATUS(try_read(f, size - 1, &err), IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "truncated") != NULL);
    /* Trailing data is refused as well. */
    uint8_t *longer = calloc(1, size + 1);
    if (longer) {
        memcpy(longer, f, size);
        CHECK_STATUS(try_read(longer, size + 1, &err), IMP_ERR_FORMAT);
        CHECK(strstr(err.message, "unexpected data") != NULL);
    }
    free(longer);
    free(f);
}

/* The two checksums cover every byte: each flip is caught somewhere. */
static void every_byte_flip_fails(void)
{
    size_t size;
    uint8_t *f = small_file(&size);
    if (!CHECK(f != NULL))
        return;
    static const uint8_t masks[] = {0x01, 0x80, 0xff};
    int body = 0;
    for (size_t i = 0; i < size; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            f[i] ^= masks[m];
            struct imp_error err = {0};
            enum imp_status st = try_read(f, size, &err);
            f[i] ^= masks[m];
            if (!CHECK(st == IMP_ERR_FORMAT || st == IMP_ERR_UNSUPPORTED)) {
                printf("  flip 0x%02x at byte %zu accepted\n", masks[m], i);
                free(f);
                return;
            }
            body += strstr(err.message, "checksum mismatch: file is damaged") != NULL;
        }
    }
    CHECK(body >= 3 * (int)(size - 64)); /* the body CRC catches body flips */
    free(f);
}

/* Flips with both checksums recomputed reach the structural checks: any
 * outcome but a crash is fine; most must still be refused. */
static void every_resealed_flip_is_handled(void)
{
    size_t size;
    uint8_t *f = small_file(&size);
    if (!CHECK(f != NULL))
        return;
    static const uint8_t masks[] = {0x01, 0x02, 0x10, 0x80, 0xff};
    int refused = 0, total = 0;
    for (size_t i = 8; i < size; i++) {
        if (i >= 24 && i < 28)
            continue; /* the body checksum itself: reseal rewrites it */
        if (i >= 60 && i < 64)
            continue;
        for (size_t m = 0; m < sizeof masks; m++) {
            f[i] ^= masks[m];
            reseal(f, size);
            struct imp_error err = {0};
            enum imp_status st = try_read(f, size, &err);
            f[i] ^= masks[m];
            total++;
            refused += st != IMP_OK;
            CHECK(st == IMP_OK || st == IMP_ERR_FORMAT || st == IMP_ERR_UNSUPPORTED);
        }
    }
    reseal(f, size);
    printf("  %d of %d resealed flips refused\n", refused, total);
    CHECK(refused > total / 2);
    free(f);
}

/* A small deterministic PRNG (xorshift) for multi-byte damage. */
static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void random_resealed_damage_is_handled(void)
{
    size_t size;
    uint8_t *f = small_file(&size);
    uint8_t *g = f ? malloc(size) : NULL;
    if (!CHECK(f && g)) {
        free(f);
        free(g);
        return;
    }
    uint32_t seed = 0x2545f491u;
    for (int round = 0; round < 4000; round++) {
        memcpy(g, f, size);
        int edits = 1 + (int)(next_rand(&seed) % 6);
        for (int e = 0; e < edits; e++) {
            size_t at = 64 + next_rand(&seed) % (size - 64);
            uint32_t r = next_rand(&seed);
            /* Favour values that stress bounds: 0, 0xff.., small ints. */
            g[at] = (uint8_t)(r % 4 == 0 ? 0xff : r % 4 == 1 ? 0 : r >> 8);
        }
        reseal(g, size);
        struct imp_error err;
        enum imp_status st = try_read(g, size, &err);
        CHECK(st == IMP_OK || st == IMP_ERR_FORMAT || st == IMP_ERR_UNSUPPORTED);
    }
    free(f);
    free(g);
}

static void header_checks(void)
{
    size_t size;
    uint8_t *f = small_file(&size);
    if (!CHECK(f != NULL))
        return;
    struct imp_error err;
    expect(f, size, 0, "IMPASTA", 7, IMP_ERR_FORMAT, "bad magic");
    expect(f, size, 8, "\x02\x00", 2, IMP_ERR_UNSUPPORTED, "made by a newer impasto");
    expect(f, size, 8, "\x00\x01", 2, IMP_ERR_UNSUPPORTED, "newer impasto");
    expect(f, size, 8, "\x00\x00", 2, IMP_ERR_FORMAT, "version 0.0");
    /* A newer minor version is readable, reserved fields and all. */
    expect(f, size, 10, "\x07\x00", 2, IMP_OK, NULL);
    imp_st16(f + 10, 7);
    expect(f, size, 30, "\x01", 1, IMP_OK, NULL);
    imp_st16(f + 10, 0);
    expect(f, size, 30, "\x01", 1, IMP_ERR_FORMAT, "reserved byte is not zero (byte 30)");
    expect_u64(f, size, 16, size + 1, IMP_ERR_FORMAT, "truncated");
    expect_u64(f, size, 16, UINT64_MAX, IMP_ERR_FORMAT, "truncated");
    expect_u64(f, size, 16, size - 1, IMP_ERR_FORMAT, "unexpected data");
    /* The first line of defence: unsealed damage to the header. */
    f[40] ^= 1;
    CHECK_STATUS(try_read(f, size, &err), IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "header checksum mismatch") != NULL);
    f[40] ^= 1;
    f[size - 1] ^= 1;
    CHECK_STATUS(try_read(f, size, &err), IMP_ERR_FORMAT);
    CHECK(strcmp(err.message, "imp: checksum mismatch: file is damaged") == 0);
    f[size - 1] ^= 1;
    CHECK_STATUS(imp_imp_read(NULL, 0, false, &(struct imp_graph){0}, &err),
                 IMP_ERR_FORMAT);
    free(f);
}

static void section_table_checks(void)
{
    size_t size;
    uint8_t *f = small_file(&size);
    if (!CHECK(f != NULL))
        return;
    uint64_t goff = imp_ld64(f + 72), gsize = imp_ld64(f + 80);
    uint64_t woff = imp_ld64(f + 96);
    expect_u32(f, size, 12, 0xffffffffu, IMP_ERR_FORMAT, "does not fit");
    expect_u32(f, size, 12, 1, IMP_ERR_FORMAT, "no weights section");
    expect_u32(f, size, 12, 0, IMP_ERR_FORMAT, "no graph section");
    expect_u32(f, size, 68, 1, IMP_ERR_FORMAT, "entry 0: reserved");
    expect_u64(f, size, 72, goff + 1, IMP_ERR_FORMAT, "not a multiple of 64 (byte 72)");
    expect_u64(f, size, 72, 64, IMP_ERR_FORMAT, "overlaps the header");
    expect_u64(f, size, 72, 0, IMP_ERR_FORMAT, "overlaps the header");
    expect_u64(f, size, 72, UINT64_MAX - 63, IMP_ERR_FORMAT, "past the end");
    expect_u64(f, size, 80, UINT64_MAX, IMP_ERR_FORMAT, "past the end");
    expect_u64(f, size, 80, size - goff + 1, IMP_ERR_FORMAT, "past the end");
    expect_u64(f, size, 104, UINT64_MAX - 100, IMP_ERR_FORMAT, "past the end");
    expect_u32(f, size, 88, 1, IMP_ERR_FORMAT, "a second graph section");
    expect_u32(f, size, 88, 4, IMP_ERR_FORMAT, "unknown section kind 4");
    expect_u32(f, size, 88, 3, IMP_ERR_FORMAT, "no weights section");
    expect_u64(f, size, 96, goff, IMP_ERR_FORMAT, "overlap");
    /* Graph section one byte longer (into the padding). */
    if (CHECK(goff + gsize < woff))
        expect_u64(f, size, 80, gsize + 1, IMP_ERR_FORMAT,
                   "1 unexpected bytes after the graph outputs");
    /* An unknown section kind is skipped in a newer minor version. */
    uint8_t *g = malloc(size);
    if (g) {
        memcpy(g, f, size);
        imp_st16(g + 10, 3);
        expect_u32(g, size, 88, 99, IMP_ERR_FORMAT, "no weights section");
        imp_st32(g + 12, 3); /* a third entry: overlaps the graph at 112? */
        expect_u32(g, size, 12, 3, IMP_ERR_FORMAT, "overlaps the header");
    }
    free(g);
    free(f);
}

static void graph_record_checks(void)
{
    size_t size;
    uint8_t *f = small_file(&size);
    if (!CHECK(f != NULL))
        return;
    size_t gs = (size_t)imp_ld64(f + 72), gsize = (size_t)imp_ld64(f + 80);
    size_t x = after(f, size, "in_x"), w = after(f, size, "w_const");
    size_t relu = after(f, size, "Relu"), a1 = after(f, size, "aa1");
    size_t a4 = after(f, size, "aa4"), a6 = after(f, size, "aa6");
    size_t b = after(f, size, "node_b");
    /* counts */
    expect_u32(f, size, gs, 0x7ffffffeu, IMP_ERR_FORMAT, "value count 2147483646 does not fit");
    expect_u32(f, size, gs, 0xffffffffu, IMP_ERR_FORMAT, "value count 4294967295 is too large");
    expect_u32(f, size, gs + 4, 1000, IMP_ERR_FORMAT, "node count 1000 does not fit");
    expect_u32(f, size, gs + 4, 1, IMP_ERR_FORMAT, NULL);
    expect_u32(f, size, gs + 12, 0x3fffffffu, IMP_ERR_FORMAT, "does not fit");
    expect_u32(f, size, gs + 16, 0xfffffff0u, IMP_ERR_FORMAT, "origin is 4294967280 bytes long");
    /* values */
    expect_u32(f, size, x - 8, 0x10000, IMP_ERR_FORMAT, "value 0: value name is 65536 bytes long");
    expect(f, size, x - 2, "\0", 1, IMP_ERR_FORMAT, "value name contains a zero byte");
    expect(f, size, x, "\x03", 1, IMP_ERR_FORMAT, "value 0 'in_x': kind 3 is not 0, 1 or 2");
    expect(f, size, x + 1, "\x63", 1, IMP_ERR_FORMAT, "dtype 99 is not a known element type");
    expect(f, size, x + 2, "\x09", 1, IMP_ERR_FORMAT, "rank 9 exceeds 8");
    expect(f, size, x + 3, "\x01", 1, IMP_ERR_FORMAT, "reserved byte is not zero");
    expect_u64(f, size, x + 12, (uint64_t)-2, IMP_ERR_FORMAT, "dim 1 is -2");
    char where[64];
    snprintf(where, sizeof where, "(byte %zu)", x + 1);
    expect(f, size, x + 1, "\x63", 1, IMP_ERR_FORMAT, where);
    expect(f, size, w, "\x01", 1, IMP_ERR_FORMAT, NULL); /* const -> input: record shorter */
    expect(f, size, w + 1, "\x00", 1, IMP_ERR_FORMAT, "constant has no element type");
    expect(f, size, w + 1, "\x02", 1, IMP_ERR_FORMAT, "does not match 2 elements of float16");
    expect(f, size, w + 1, "\x03", 1, IMP_ERR_FORMAT, "does not match");
    expect_u64(f, size, w + 4, (uint64_t)-1, IMP_ERR_FORMAT, "constant has an open dim 0");
    expect_u64(f, size, w + 4, 1ull << 62, IMP_ERR_FORMAT, "element count overflows");
    expect_u64(f, size, w + 4, 1ull << 61, IMP_ERR_FORMAT, "does not match");
    expect_u64(f, size, w + 12, 1, IMP_ERR_FORMAT, "offset 1 is not a multiple of 64");
    expect_u64(f, size, w + 12, 1ull << 20, IMP_ERR_FORMAT, "past the end of the weights");
    expect_u64(f, size, w + 12, UINT64_MAX - 63, IMP_ERR_FORMAT, "past the end of the weights");
    expect_u64(f, size, w + 20, 12, IMP_ERR_FORMAT, "length 12 does not match");
    /* nodes */
    expect(f, size, relu - 4, "Reul", 4, IMP_ERR_UNSUPPORTED,
           "node 1 'node_b' (Reul): operator 'Reul' is not known");
    expect_u32(f, size, b, 2, IMP_ERR_FORMAT, NULL); /* input count */
    expect_u32(f, size, b + 4, 5, IMP_ERR_FORMAT, "input 0 refers to value 5, but there are 5 values");
    expect_u32(f, size, b + 4, 0xfffffffeu, IMP_ERR_FORMAT, "refers to value 4294967294");
    expect_u32(f, size, b + 12, 0xffffffffu, IMP_ERR_FORMAT, "output 0 refers to value -1");
    expect_u32(f, size, b + 16, 0x10000000u, IMP_ERR_FORMAT, "attribute count");
    /* attributes */
    expect(f, size, a1, "\x09", 1, IMP_ERR_FORMAT, "attribute type 9 is unknown");
    expect(f, size, a1, "\x00", 1, IMP_ERR_FORMAT, "attribute type 0 is unknown");
    expect(f, size, a1 + 1, "\x01", 1, IMP_ERR_FORMAT, "attribute reserved bytes is not zero");
    expect(f, size, a4 - 1, "1", 1, IMP_ERR_FORMAT, "attribute 'aa1' appears twice");
    expect_u32(f, size, a4 + 4, 0x10000000u, IMP_ERR_FORMAT, "ints count");
    expect_u32(f, size, a6 + 4, 0, IMP_ERR_FORMAT, "refers to value 0, which is not a constant");
    expect_u32(f, size, a6 + 4, 99, IMP_ERR_FORMAT, "tensor attribute 5 refers to value 99");
    expect(f, size, a6, "\x02", 1, IMP_OK, NULL); /* now a float: still well formed */
    /* graph inputs and outputs: the last 8 bytes */
    expect_u32(f, size, gs + gsize - 8, 1, IMP_ERR_FORMAT, "graph input 0 is value 1, which is not of kind input");
    expect_u32(f, size, gs + gsize - 4, 5, IMP_ERR_FORMAT, "graph output 0 refers to value 5");
    free(f);
}

int main(void)
{
    RUN(the_small_file_is_valid);
    RUN(every_truncation_fails);
    RUN(every_byte_flip_fails);
    RUN(every_resealed_flip_is_handled);
    RUN(random_resealed_damage_is_handled);
    RUN(header_checks);
    RUN(section_table_checks);
    RUN(graph_record_checks);
    return imp_test_finish();
}
