/* apps/common helpers of the CLI: .npy reading and writing, element
 * conversion (fp16 included) and image resampling. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "npy.h"
#include "resample.h"

/* A .npy image in memory from a header dict and raw data. */
static size_t make_npy(uint8_t *buf, size_t cap, int major, const char *dict,
                       const void *data, size_t data_bytes)
{
    size_t prefix = major == 1 ? 10 : 12;
    size_t hlen = strlen(dict);
    if (prefix + hlen + data_bytes > cap)
        return 0;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (uint8_t)major;
    buf[7] = 0;
    buf[8] = (uint8_t)(hlen & 0xff);
    buf[9] = (uint8_t)(hlen >> 8);
    if (major > 1) {
        buf[10] = (uint8_t)(hlen >> 16);
        buf[11] = (uint8_t)(hlen >> 24);
    }
    memcpy(buf + prefix, dict, hlen);
    if (data_bytes)
        memcpy(buf + prefix + hlen, data, data_bytes);
    return prefix + hlen + data_bytes;
}

static int parses(int major, const char *dict, const void *data, size_t bytes,
                  struct imp_npy *a, char *err)
{
    static uint8_t buf[4096];
    size_t n = make_npy(buf, sizeof buf, major, dict, data, bytes);
    return imp_npy_parse(buf, n, a, err, 256) == 0;
}

static void float32_round_trip_keeps_shape_and_values(void)
{
    char path[] = "/tmp/imp_test_npy_XXXXXX";
    int fd = mkstemp(path);
    if (!CHECK(fd >= 0))
        return;
    float data[2 * 3 * 4];
    for (int i = 0; i < 24; i++)
        data[i] = (float)i * 0.5f - 3.25f;
    int64_t shapes[3][3] = {{2, 3, 4}, {24, 0, 0}, {0, 0, 0}};
    int ranks[3] = {3, 1, 0};
    char err[256];
    for (int k = 0; k < 3; k++) {
        CHECK(imp_npy_save_f32(path, ranks[k], shapes[k], data, err, sizeof err) == 0);
        FILE *f = fopen(path, "rb");
        uint8_t raw[256];
        size_t got = f ? fread(raw, 1, sizeof raw, f) : 0;
        if (f)
            fclose(f);
        /* numpy's own rule: the data starts 64-byte aligned. */
        CHECK(got > 10 && raw[6] == 1);
        size_t data_at = 10 + (size_t)raw[8] + ((size_t)raw[9] << 8);
        CHECK(data_at % 64 == 0 && raw[data_at - 1] == '\n');
        struct imp_npy a;
        if (!CHECK(imp_npy_load(path, &a, err, sizeof err) == 0)) {
            printf("  %s\n", err);
            continue;
        }
        size_t count = 1;
        for (int d = 0; d < ranks[k]; d++)
            count *= (size_t)shapes[k][d];
        CHECK(a.dtype == IMP_DTYPE_F32 && a.rank == ranks[k] && a.count == count);
        for (int d = 0; d < a.rank; d++)
            CHECK(a.dims[d] == shapes[k][d]);
        CHECK(memcmp(a.data, data, count * sizeof(float)) == 0);
        imp_npy_free(&a);
    }
    remove(path);
}

static void reads_every_supported_dtype_and_version(void)
{
    struct imp_npy a;
    char err[256];
    uint16_t h[3] = {0x3c00, 0xc000, 0x3800}; /* 1, -2, 0.5 */
    if (CHECK(parses(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }\n",
                     h, sizeof h, &a, err))) {
        float f[3];
        CHECK(imp_convert_elements(a.dtype, a.data, IMP_DTYPE_F32, f, 3) == 0);
        CHECK(f[0] == 1.0f && f[1] == -2.0f && f[2] == 0.5f);
        imp_npy_free(&a);
    }
    int64_t i8[4] = {-5, 0, 7, 1 << 20};
    if (CHECK(parses(2, "{\"shape\": (2, 2), \"fortran_order\": False, \"descr\": \"<i8\"}",
                     i8, sizeof i8, &a, err))) {
        CHECK(a.dtype == IMP_DTYPE_I64 && a.rank == 2 && a.dims[1] == 2);
        CHECK(((int64_t *)a.data)[3] == 1 << 20);
        imp_npy_free(&a);
    }
    double f8[1] = {2.5};
    if (CHECK(parses(3, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }   \n",
                     f8, sizeof f8, &a, err))) {
        CHECK(a.dtype == IMP_DTYPE_F64 && a.rank == 0 && a.count == 1);
        imp_npy_free(&a);
    }
    int32_t i4[2] = {-1, 3};
    CHECK(parses(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2L,), }\n", i4,
                 sizeof i4, &a, err) &&
          a.dtype == IMP_DTYPE_I32 && a.dims[0] == 2);
    imp_npy_free(&a);
    uint8_t u1[6] = {0, 1, 2, 3, 4, 255};
    CHECK(parses(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 3), }\n",
                 u1, sizeof u1, &a, err) &&
          a.dtype == IMP_DTYPE_U8 && a.count == 6);
    imp_npy_free(&a);
    CHECK(parses(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (6,), }\n", u1,
                 sizeof u1, &a, err) &&
          a.dtype == IMP_DTYPE_BOOL);
    imp_npy_free(&a);
    /* An empty array is valid too. */
    CHECK(parses(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }\n",
                 NULL, 0, &a, err) &&
          a.count == 0);
    imp_npy_free(&a);
}

static void rejects_bad_headers_with_a_reason(void)
{
    static const struct {
        const char *dict;
        size_t data_bytes;
        const char *why;
    } bad[] = {
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "Fortran"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "big-endian"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, "not supported"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8, "unknown key"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 8,
         "twice"},
        {"{'descr': '<f4', 'shape': (2,), }", 8, "needs the keys"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 4, "bytes of data"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 12, "bytes of data"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 8, "not a tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8, "dimension"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 8,
         "overflows"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, "
         "4294967296), }",
         8, "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 4,
         "dimensions"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", 8, "after"},
        {"{'descr': '<f4', 'fortran_order': Nope, 'shape': (2,), }", 8, "True or False"},
        {"{'descr': '<f4\\n', 'fortran_order': False, 'shape': (2,), }", 8, "character"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", 8, "expected"},
        {"", 0, "expected '{'"},
    };
    uint8_t zeros[16] = {0};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct imp_npy a;
        char err[256] = "";
        int ok = parses(1, bad[k].dict, zeros, bad[k].data_bytes, &a, err);
        if (!CHECK(!ok && strstr(err, bad[k].why) != NULL))
            printf("  case %zu: got '%s', want '%s'\n", k, ok ? "(parsed)" : err,
                   bad[k].why);
        if (ok)
            imp_npy_free(&a);
        CHECK(a.data == NULL);
    }
}

static void rejects_bad_preambles(void)
{
    struct imp_npy a;
    char err[256];
    uint8_t buf[128] = {0};
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }";
    size_t n = make_npy(buf, sizeof buf, 1, dict, NULL, 0);
    CHECK(imp_npy_parse(buf, n, &a, err, sizeof err) == 0);
    imp_npy_free(&a);
    buf[6] = 4; /* version 4.0 does not exist */
    CHECK(imp_npy_parse(buf, n, &a, err, sizeof err) != 0 && strstr(err, "version"));
    buf[6] = 1;
    buf[7] = 1;
    CHECK(imp_npy_parse(buf, n, &a, err, sizeof err) != 0 && strstr(err, "version"));
    buf[7] = 0;
    buf[8] = 0xff; /* header longer than the file */
    CHECK(imp_npy_parse(buf, n, &a, err, sizeof err) != 0 && strstr(err, "past the end"));
    CHECK(imp_npy_parse(buf, 9, &a, err, sizeof err) != 0);
    CHECK(imp_npy_parse((const uint8_t *)"PK\3\4 not npy", 12, &a, err, sizeof err) != 0 &&
          strstr(err, "magic"));
    CHECK(imp_npy_load("/nonexistent/x.npy", &a, err, sizeof err) != 0 &&
          strstr(err, "/nonexistent/x.npy: ") == err);
}

/* Every truncation and many single-byte corruptions of a valid file either
 * parse into something self-consistent or fail; none may read outside the
 * buffer (the sanitizer build checks that part). */
static void survives_truncation_and_corruption(void)
{
    uint8_t good[512];
    float data[6] = {1, 2, 3, 4, 5, 6};
    size_t n = make_npy(good, sizeof good, 1,
                        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }  \n",
                        data, sizeof data);
    int parsed = 0;
    for (size_t len = 0; len < n; len++) {
        uint8_t *copy = malloc(len + 1); /* exact size: ASan sees overreads */
        memcpy(copy, good, len);
        struct imp_npy a;
        char err[256];
        if (imp_npy_parse(copy, len, &a, err, sizeof err) == 0) {
            parsed++;
            imp_npy_free(&a);
        }
        free(copy);
    }
    CHECK(parsed == 0); /* every truncation loses data bytes */
    unsigned seed = 7;
    for (int trial = 0; trial < 4000; trial++) {
        uint8_t *copy = malloc(n);
        memcpy(copy, good, n);
        for (int k = 0; k < 1 + trial % 3; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            copy[at] = (uint8_t)(seed >> 16);
        }
        struct imp_npy a;
        char err[256];
        if (imp_npy_parse(copy, n, &a, err, sizeof err) == 0) {
            CHECK(a.count * imp_npy_dtype_size(a.dtype) <= n);
            imp_npy_free(&a);
        } else {
            CHECK(err[0] != '\0');
        }
        free(copy);
    }
}

static void half_precision_round_trips_and_rounds_to_even(void)
{
    int bad = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = imp_f16_to_f32((uint16_t)h);
        if (isnan(f))
            bad += !isnan(imp_f16_to_f32(imp_f32_to_f16(f)));
        else
            bad += imp_f32_to_f16(f) != h;
    }
    CHECK(bad == 0);
    CHECK(imp_f32_to_f16(1.0f) == 0x3c00);
    CHECK(imp_f32_to_f16(65504.0f) == 0x7bff);
    CHECK(imp_f32_to_f16(65520.0f) == 0x7c00); /* halfway rounds to even: inf */
    CHECK(imp_f32_to_f16(1e9f) == 0x7c00);
    CHECK(imp_f32_to_f16(-1e9f) == 0xfc00);
    CHECK(imp_f32_to_f16(ldexpf(1, -24)) == 0x0001);
    CHECK(imp_f32_to_f16(ldexpf(1, -25)) == 0x0000);          /* tie to even: 0 */
    CHECK(imp_f32_to_f16(ldexpf(3, -26)) == 0x0001);          /* above the tie */
    CHECK(imp_f32_to_f16(ldexpf(3, -25)) == 0x0002);          /* 1.5 ulp: to even */
    CHECK(imp_f32_to_f16(1.0f + ldexpf(1, -11)) == 0x3c00);   /* tie: stays even */
    CHECK(imp_f32_to_f16(1.0f + ldexpf(3, -11)) == 0x3c02);   /* tie: up to even */
    CHECK(imp_f16_to_f32(0x0001) == ldexpf(1, -24));
    CHECK(imp_f16_to_f32(0x8000) == 0.0f && signbit(imp_f16_to_f32(0x8000)));
}

static void conversion_rounds_and_clamps_into_integers(void)
{
    float f[6] = {-3.0f, 2.5f, 3.5f, 254.6f, 300.0f, NAN};
    uint8_t u[6];
    CHECK(imp_convert_elements(IMP_DTYPE_F32, f, IMP_DTYPE_U8, u, 6) == 0);
    CHECK(u[0] == 0 && u[1] == 2 && u[2] == 4 && u[3] == 255 && u[4] == 255 && u[5] == 0);
    int64_t i[3];
    double d[3] = {-1e30, 1e30, -7.4};
    CHECK(imp_convert_elements(IMP_DTYPE_F64, d, IMP_DTYPE_I64, i, 3) == 0);
    CHECK(i[0] == INT64_MIN && i[1] == INT64_MAX && i[2] == -7);
    uint8_t b[3];
    CHECK(imp_convert_elements(IMP_DTYPE_F64, d, IMP_DTYPE_BOOL, b, 3) == 0);
    CHECK(b[0] == 1 && b[2] == 1);
    int32_t i4[2] = {-70000, 5};
    uint16_t h[2];
    CHECK(imp_convert_elements(IMP_DTYPE_I32, i4, IMP_DTYPE_F16, h, 2) == 0);
    CHECK(h[0] == 0xfc00 && imp_f16_to_f32(h[1]) == 5.0f);
    CHECK(imp_convert_elements(IMP_DTYPE_UNDEFINED, i4, IMP_DTYPE_F32, f, 1) != 0);
}

static void resampling_keeps_flat_images_and_averages_when_shrinking(void)
{
    /* Exact 2x shrink is the 2x2 mean. */
    float src[4 * 4];
    for (int i = 0; i < 16; i++)
        src[i] = (float)(i * i % 7);
    float dst[2 * 2];
    CHECK(imp_resample_f32(src, 4, 4, 1, dst, 2, 2) == 0);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 2; x++) {
            const float *s = src + y * 8 + x * 2;
            CHECK_NEAR(dst[y * 2 + x], (s[0] + s[1] + s[4] + s[5]) / 4.0, 1e-6);
        }
    /* Any shrink keeps the mean (area weights cover every pixel once). */
    float row[10], small[3];
    double mean = 0;
    for (int i = 0; i < 10; i++) {
        row[i] = (float)((i * 37) % 11);
        mean += row[i] / 10.0;
    }
    CHECK(imp_resample_f32(row, 10, 1, 1, small, 3, 1) == 0);
    CHECK_NEAR((small[0] + small[1] + small[2]) / 3.0, mean, 1e-5);
    /* Enlarging interpolates between pixel centres and clamps at edges. */
    float two[2] = {0, 1}, four[4];
    CHECK(imp_resample_f32(two, 2, 1, 1, four, 4, 1) == 0);
    CHECK(four[0] == 0.0f && fabsf(four[1] - 0.25f) < 1e-6f &&
          fabsf(four[2] - 0.75f) < 1e-6f && four[3] == 1.0f);
    /* Three channels stay apart; a flat colour stays flat at odd sizes. */
    float rgb[5 * 3 * 3], out[7 * 2 * 3];
    for (int i = 0; i < 15; i++) {
        rgb[i * 3] = 10, rgb[i * 3 + 1] = 20, rgb[i * 3 + 2] = 30;
    }
    CHECK(imp_resample_f32(rgb, 5, 3, 3, out, 7, 2) == 0);
    for (int i = 0; i < 14; i++)
        CHECK(fabsf(out[i * 3] - 10) < 1e-4f && fabsf(out[i * 3 + 2] - 30) < 1e-4f);
    CHECK(imp_resample_f32(rgb, 0, 3, 3, out, 7, 2) != 0);
}

int main(void)
{
    RUN(float32_round_trip_keeps_shape_and_values);
    RUN(reads_every_supported_dtype_and_version);
    RUN(rejects_bad_headers_with_a_reason);
    RUN(rejects_bad_preambles);
    RUN(survives_truncation_and_corruption);
    RUN(half_precision_round_trips_and_rounds_to_even);
    RUN(conversion_rounds_and_clamps_into_integers);
    RUN(resampling_keeps_flat_images_and_averages_when_shrinking);
    return imp_test_finish();
}
