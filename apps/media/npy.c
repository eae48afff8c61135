#include "npy.h"

#include "atomic_file.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every platform impasto targets (x86-64, AArch64, WASM) is little-endian,
 * which is what the accepted descriptors promise: data is used as is. */

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static int failf(char *err, size_t size, const char *fmt, ...)
{
    if (err && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

size_t imp_npy_dtype_size(enum imp_dtype t)
{
    switch (t) {
    case IMP_DTYPE_F64:
    case IMP_DTYPE_I64:
        return 8;
    case IMP_DTYPE_F32:
    case IMP_DTYPE_I32:
        return 4;
    case IMP_DTYPE_F16:
        return 2;
    case IMP_DTYPE_I8:
    case IMP_DTYPE_U8:
    case IMP_DTYPE_BOOL:
        return 1;
    default:
        return 0;
    }
}

int imp_npy_probe(const uint8_t *bytes, size_t size)
{
    return size >= sizeof npy_magic && memcmp(bytes, npy_magic, sizeof npy_magic) == 0;
}

/* ---- the header: a Python dict literal --------------------------------- */

struct cursor {
    const char *s;
    size_t n, i;
    char *err;
    size_t err_size;
    size_t base; /* file offset of s[0], for messages */
};

static void skip_space(struct cursor *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t'))
        c->i++;
}

static int expect(struct cursor *c, char ch)
{
    skip_space(c);
    if (c->i >= c->n || c->s[c->i] != ch)
        return failf(c->err, c->err_size, "npy header: expected '%c' at byte %zu", ch,
                     c->base + c->i);
    c->i++;
    return 0;
}

static int peek(struct cursor *c, char ch)
{
    skip_space(c);
    return c->i < c->n && c->s[c->i] == ch;
}

/* A quoted string without escapes, copied into out (NUL-terminated). */
static int parse_string(struct cursor *c, char *out, size_t out_size)
{
    skip_space(c);
    if (c->i >= c->n || (c->s[c->i] != '\'' && c->s[c->i] != '"'))
        return failf(c->err, c->err_size, "npy header: expected a string at byte %zu",
                     c->base + c->i);
    char q = c->s[c->i++];
    size_t start = c->i;
    while (c->i < c->n && c->s[c->i] != q) {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch == '\\' || ch < 0x20 || ch > 0x7e)
            return failf(c->err, c->err_size,
                         "npy header: unexpected character in a string at byte %zu",
                         c->base + c->i);
        c->i++;
    }
    if (c->i >= c->n)
        return failf(c->err, c->err_size, "npy header: unterminated string");
    size_t len = c->i - start;
    c->i++;
    if (len >= out_size)
        return failf(c->err, c->err_size, "npy header: string at byte %zu is too long",
                     c->base + start);
    memcpy(out, c->s + start, len);
    out[len] = '\0';
    return 0;
}

static int parse_bool(struct cursor *c, int *out)
{
    skip_space(c);
    if (c->n - c->i >= 4 && memcmp(c->s + c->i, "True", 4) == 0) {
        c->i += 4;
        *out = 1;
        return 0;
    }
    if (c->n - c->i >= 5 && memcmp(c->s + c->i, "False", 5) == 0) {
        c->i += 5;
        *out = 0;
        return 0;
    }
    return failf(c->err, c->err_size, "npy header: expected True or False at byte %zu",
                 c->base + c->i);
}

/* A tuple of non-negative integers; Python needs the comma in "(3,)". */
static int parse_shape(struct cursor *c, int *rank, int64_t *dims)
{
    if (expect(c, '('))
        return -1;
    int r = 0;
    int trailing_comma = 0;
    while (!peek(c, ')')) {
        if (r == IMP_MAX_RANK)
            return failf(c->err, c->err_size, "npy header: more than %d dimensions",
                         IMP_MAX_RANK);
        skip_space(c);
        size_t start = c->i;
        int64_t v = 0;
        while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
            int digit = c->s[c->i] - '0';
            if (v > (INT64_MAX - digit) / 10)
                return failf(c->err, c->err_size,
                             "npy header: dimension at byte %zu overflows",
                             c->base + start);
            v = v * 10 + digit;
            c->i++;
        }
        if (c->i == start)
            return failf(c->err, c->err_size,
                         "npy header: expected a dimension at byte %zu", c->base + start);
        if (c->i < c->n && c->s[c->i] == 'L') /* written by Python 2 */
            c->i++;
        dims[r++] = v;
        trailing_comma = 0;
        if (peek(c, ',')) {
            c->i++;
            trailing_comma = 1;
        } else if (!peek(c, ')')) {
            return failf(c->err, c->err_size,
                         "npy header: expected ',' or ')' at byte %zu", c->base + c->i);
        }
    }
    c->i++;
    if (r == 1 && !trailing_comma)
        return failf(c->err, c->err_size, "npy header: shape '(n)' is not a tuple");
    *rank = r;
    return 0;
}

static int parse_descr(const char *d, enum imp_dtype *t, char *err, size_t err_size)
{
    static const struct {
        const char *descr;
        enum imp_dtype dtype;
    } known[] = {
        {"<f4", IMP_DTYPE_F32}, {"<f2", IMP_DTYPE_F16}, {"<f8", IMP_DTYPE_F64},
        {"<i8", IMP_DTYPE_I64}, {"<i4", IMP_DTYPE_I32}, {"|i1", IMP_DTYPE_I8},
        {"|u1", IMP_DTYPE_U8},  {"|b1", IMP_DTYPE_BOOL},
    };
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        if (strcmp(d, known[k].descr) == 0) {
            *t = known[k].dtype;
            return 0;
        }
    }
    if (d[0] == '>')
        return failf(err, err_size, "npy: big-endian data ('%s') is not supported", d);
    return failf(err, err_size,
                 "npy: dtype '%s' is not supported (use float32, float16, float64, "
                 "int64, int32, int8, uint8 or bool)",
                 d);
}

static int parse_header(struct cursor *c, struct imp_npy *a)
{
    char descr[32] = "";
    int fortran = 0, have_descr = 0, have_fortran = 0, have_shape = 0;
    if (expect(c, '{'))
        return -1;
    while (!peek(c, '}')) {
        char key[32];
        if (parse_string(c, key, sizeof key) || expect(c, ':'))
            return -1;
        int *seen;
        int rc;
        if (strcmp(key, "descr") == 0) {
            seen = &have_descr;
            rc = parse_string(c, descr, sizeof descr);
        } else if (strcmp(key, "fortran_order") == 0) {
            seen = &have_fortran;
            rc = parse_bool(c, &fortran);
        } else if (strcmp(key, "shape") == 0) {
            seen = &have_shape;
            rc = parse_shape(c, &a->rank, a->dims);
        } else {
            return failf(c->err, c->err_size, "npy header: unknown key '%s'", key);
        }
        if (rc)
            return -1;
        if ((*seen)++)
            return failf(c->err, c->err_size, "npy header: key '%s' appears twice", key);
        if (peek(c, ','))
            c->i++;
        else if (!peek(c, '}'))
            return failf(c->err, c->err_size,
                         "npy header: expected ',' or '}' at byte %zu", c->base + c->i);
    }
    c->i++;
    /* Only padding may follow the dict. */
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\n'))
        c->i++;
    if (c->i != c->n)
        return failf(c->err, c->err_size,
                     "npy header: unexpected text after the dict at byte %zu",
                     c->base + c->i);
    if (!have_descr || !have_fortran || !have_shape)
        return failf(c->err, c->err_size,
                     "npy header: needs the keys 'descr', 'fortran_order' and 'shape'");
    if (fortran)
        return failf(c->err, c->err_size,
                     "npy: Fortran-order arrays are not supported (save in C order)");
    return parse_descr(descr, &a->dtype, c->err, c->err_size);
}

int imp_npy_parse(const uint8_t *bytes, size_t size, struct imp_npy *a, char *err,
                  size_t err_size)
{
    memset(a, 0, sizeof *a);
    if (!imp_npy_probe(bytes, size))
        return failf(err, err_size, "npy: not a .npy file (bad magic)");
    if (size < 10)
        return failf(err, err_size, "npy: file ends inside the preamble");
    int major = bytes[6], minor = bytes[7];
    if (major < 1 || major > 3 || minor != 0)
        return failf(err, err_size, "npy: format version %d.%d is not supported", major,
                     minor);
    size_t prefix = major == 1 ? 10 : 12;
    if (size < prefix)
        return failf(err, err_size, "npy: file ends inside the preamble");
    size_t hlen = major == 1 ? (size_t)bytes[8] | (size_t)bytes[9] << 8
                             : (size_t)bytes[8] | (size_t)bytes[9] << 8 |
                                   (size_t)bytes[10] << 16 | (size_t)bytes[11] << 24;
    if (hlen > size - prefix)
        return failf(err, err_size,
                     "npy: header of %zu bytes runs past the end of the %zu-byte file",
                     hlen, size);
    struct cursor c = {(const char *)bytes + prefix, hlen, 0, err, err_size, prefix};
    struct imp_npy h;
    memset(&h, 0, sizeof h);
    if (parse_header(&c, &h))
        return -1;

    size_t es = imp_npy_dtype_size(h.dtype);
    size_t count = 1;
    for (int d = 0; d < h.rank; d++) {
        uint64_t dim = (uint64_t)h.dims[d];
        if (dim && count > SIZE_MAX / es / dim)
            return failf(err, err_size, "npy: shape is too large");
        count *= (size_t)dim;
    }
    size_t offset = prefix + hlen;
    if (size - offset != count * es)
        return failf(err, err_size,
                     "npy: shape needs %zu bytes of data, the file has %zu after its "
                     "header",
                     count * es, size - offset);
    h.count = count;
    size_t nbytes = count * es;
    h.data = malloc(nbytes ? nbytes : 1);
    if (!h.data)
        return failf(err, err_size, "npy: out of memory");
    memcpy(h.data, bytes + offset, count * es);
    *a = h;
    return 0;
}

int imp_npy_load(const char *path, struct imp_npy *a, char *err, size_t err_size)
{
    memset(a, 0, sizeof *a);
    FILE *f = fopen(path, "rb");
    if (!f)
        return failf(err, err_size, "%s: %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb = ncap > cap ? realloc(buf, ncap) : NULL;
            if (!nb) {
                free(buf);
                fclose(f);
                return failf(err, err_size, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return failf(err, err_size, "%s: read error", path);
    }
    char why[256];
    int rc = imp_npy_parse(buf, len, a, why, sizeof why);
    free(buf);
    if (rc)
        return failf(err, err_size, "%s: %s", path, why);
    return 0;
}

int imp_npy_save_f32(const char *path, int rank, const int64_t *dims,
                     const float *data, char *err, size_t err_size)
{
    if (rank < 0 || rank > IMP_MAX_RANK)
        return failf(err, err_size, "%s: bad rank %d", path, rank);
    char header[512];
    int n = snprintf(header, sizeof header,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    size_t count = 1;
    for (int d = 0; d < rank; d++) {
        if (dims[d] < 0)
            return failf(err, err_size, "%s: negative dimension", path);
        count *= (size_t)dims[d];
        n += snprintf(header + n, sizeof header - (size_t)n, "%s%lld", d ? ", " : "",
                      (long long)dims[d]);
    }
    n += snprintf(header + n, sizeof header - (size_t)n, "%s), }",
                  rank == 1 ? "," : "");
    /* Pad with spaces so the data starts 64-byte aligned, then a newline. */
    size_t total = 10 + (size_t)n + 1;
    size_t padded = (total + 63) / 64 * 64;
    memset(header + n, ' ', padded - total);
    header[padded - 10 - 1] = '\n';
    size_t hlen = padded - 10;
    uint8_t pre[10];
    memcpy(pre, npy_magic, 6);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (uint8_t)(hlen & 0xff);
    pre[9] = (uint8_t)(hlen >> 8);

    struct imp_atomic_file af;
    char why[256];
    if (imp_atomic_open(path, &af, why, sizeof why) != 0)
        return failf(err, err_size, "%s: %s", path, why);
    FILE *f = af.file;
    int ok = fwrite(pre, 1, sizeof pre, f) == sizeof pre &&
             fwrite(header, 1, hlen, f) == hlen &&
             fwrite(data, sizeof(float), count, f) == count;
    if (!ok) {
        imp_atomic_abandon(&af);
        return failf(err, err_size, "%s: write failed", path);
    }
    if (imp_atomic_commit(&af, why, sizeof why) != 0)
        return failf(err, err_size, "%s: %s", path, why);
    return 0;
}

void imp_npy_free(struct imp_npy *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- element conversion ------------------------------------------------- */

float imp_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, x;
    if (exp == 0 && man == 0) {
        x = sign;
    } else if (exp == 0) { /* subnormal: renormalise */
        uint32_t e = 0;
        while (!(man & 0x400)) {
            man <<= 1;
            e++;
        }
        x = sign | ((113 - e) << 23) | ((man & 0x3ff) << 13);
    } else if (exp == 31) {
        x = sign | 0x7f800000u | (man << 13);
    } else {
        x = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

uint16_t imp_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t exp = (x >> 23) & 0xff, man = x & 0x7fffff;
    if (exp == 0xff) /* inf stays inf, NaN stays a (quiet) NaN */
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10)
            return sign;
        man |= 0x800000;
        unsigned shift = (unsigned)(14 - e);
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1),
                 half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
    /* A carry out of the mantissa correctly bumps the exponent. */
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++;
    return (uint16_t)(sign | h);
}

static double load_elem(enum imp_dtype t, const uint8_t *p)
{
    switch (t) {
    case IMP_DTYPE_F32: {
        float v;
        memcpy(&v, p, 4);
        return v;
    }
    case IMP_DTYPE_F64: {
        double v;
        memcpy(&v, p, 8);
        return v;
    }
    case IMP_DTYPE_F16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return imp_f16_to_f32(v);
    }
    case IMP_DTYPE_I64: {
        int64_t v;
        memcpy(&v, p, 8);
        return (double)v;
    }
    case IMP_DTYPE_I32: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    case IMP_DTYPE_I8:
        return (int8_t)p[0];
    case IMP_DTYPE_U8:
        return p[0];
    case IMP_DTYPE_BOOL:
        return p[0] != 0;
    default:
        return 0;
    }
}

static double to_int_range(double v, double lo, double hi)
{
    if (v != v)
        return 0;
    v = nearbyint(v);
    return v < lo ? lo : v > hi ? hi : v;
}

static void store_elem(enum imp_dtype t, uint8_t *p, double v)
{
    switch (t) {
    case IMP_DTYPE_F32: {
        float f = (float)v;
        memcpy(p, &f, 4);
        break;
    }
    case IMP_DTYPE_F64:
        memcpy(p, &v, 8);
        break;
    case IMP_DTYPE_F16: {
        uint16_t h = imp_f32_to_f16((float)v);
        memcpy(p, &h, 2);
        break;
    }
    case IMP_DTYPE_I64: {
        /* 2^63 is the first double past INT64_MAX. */
        double r = to_int_range(v, -9223372036854775808.0, 9223372036854774784.0);
        int64_t i = v >= 9223372036854775808.0 ? INT64_MAX : (int64_t)r;
        memcpy(p, &i, 8);
        break;
    }
    case IMP_DTYPE_I32: {
        int32_t i = (int32_t)to_int_range(v, INT32_MIN, INT32_MAX);
        memcpy(p, &i, 4);
        break;
    }
    case IMP_DTYPE_I8:
        p[0] = (uint8_t)(int8_t)to_int_range(v, -128, 127);
        break;
    case IMP_DTYPE_U8:
        p[0] = (uint8_t)to_int_range(v, 0, 255);
        break;
    case IMP_DTYPE_BOOL:
        p[0] = v != 0;
        break;
    default:
        break;
    }
}

int imp_convert_elements(enum imp_dtype from, const void *src, enum imp_dtype to,
                         void *dst, size_t count)
{
    size_t fs = imp_npy_dtype_size(from), ts = imp_npy_dtype_size(to);
    if (!fs || !ts)
        return -1;
    if (from == to) {
        memcpy(dst, src, count * fs);
        return 0;
    }
    const uint8_t *s = src;
    uint8_t *d = dst;
    for (size_t i = 0; i < count; i++)
        store_elem(to, d + i * ts, load_elem(from, s + i * fs));
    return 0;
}
