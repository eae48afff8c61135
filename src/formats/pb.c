#include "formats/pb.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void imp_pb_init(struct imp_pb *pb, const uint8_t *buf, size_t size,
                 struct imp_error *err)
{
    pb->buf = buf;
    pb->pos = 0;
    pb->end = size;
    pb->depth = 0;
    pb->status = IMP_OK;
    pb->err = err;
}

enum imp_status imp_pb_fail(struct imp_pb *pb, enum imp_status status,
                            const char *fmt, ...)
{
    if (pb->status != IMP_OK)
        return pb->status;
    pb->status = status;
    if (pb->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(pb->err->message, sizeof pb->err->message, fmt, ap);
        va_end(ap);
        pb->err->status = status;
    }
    return status;
}

/* A varint at *pos, before `end`. At most ten bytes, and the tenth may only
 * carry bit 63: anything longer or larger is damage, not a big number. */
static bool read_varint(struct imp_pb *pb, size_t *pos, size_t end,
                        uint64_t *out)
{
    size_t start = *pos;
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (*pos >= end) {
            imp_pb_fail(pb, IMP_ERR_FORMAT, "byte %zu: truncated varint", start);
            return false;
        }
        uint8_t b = pb->buf[(*pos)++];
        if (i == 9 && b > 1) {
            imp_pb_fail(pb, IMP_ERR_FORMAT, "byte %zu: varint overflows 64 bits",
                        start);
            return false;
        }
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    imp_pb_fail(pb, IMP_ERR_FORMAT, "byte %zu: varint longer than 10 bytes", start);
    return false;
}

static uint64_t load_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The body of one field after its tag; fills f and advances *pos. */
static bool read_body(struct imp_pb *pb, size_t *pos, size_t end,
                      struct imp_pb_field *f)
{
    switch (f->wire) {
    case IMP_PB_VARINT:
        return read_varint(pb, pos, end, &f->value);
    case IMP_PB_FIXED64:
    case IMP_PB_FIXED32: {
        size_t n = f->wire == IMP_PB_FIXED64 ? 8 : 4;
        if (end - *pos < n) {
            imp_pb_fail(pb, IMP_ERR_FORMAT,
                        "byte %zu: field %u: %zu-byte value runs past the end "
                        "of its message (byte %zu)",
                        f->offset, f->number, n, end);
            return false;
        }
        f->value = load_le(pb->buf + *pos, (int)n);
        *pos += n;
        return true;
    }
    case IMP_PB_LEN: {
        uint64_t len;
        if (!read_varint(pb, pos, end, &len))
            return false;
        if (len > end - *pos) {
            imp_pb_fail(pb, IMP_ERR_FORMAT,
                        "byte %zu: field %u: length %llu runs past the end of "
                        "its message (%zu bytes left)",
                        f->offset, f->number, (unsigned long long)len, end - *pos);
            return false;
        }
        f->start = *pos;
        f->len = (size_t)len;
        *pos += (size_t)len;
        return true;
    }
    default:
        break;
    }
    imp_pb_fail(pb, IMP_ERR_FORMAT, "byte %zu: field %u: bad wire type %d",
                f->offset, f->number, (int)f->wire);
    return false;
}

static bool read_tag(struct imp_pb *pb, size_t *pos, size_t end,
                     struct imp_pb_field *f)
{
    memset(f, 0, sizeof *f);
    f->offset = *pos;
    uint64_t tag;
    if (!read_varint(pb, pos, end, &tag))
        return false;
    if (tag > UINT32_MAX || (tag >> 3) == 0 || (tag & 7) > 5) {
        imp_pb_fail(pb, IMP_ERR_FORMAT,
                    "byte %zu: bad field tag %llu (field %llu, wire type %d)",
                    f->offset, (unsigned long long)tag,
                    (unsigned long long)(tag >> 3), (int)(tag & 7));
        return false;
    }
    f->number = (uint32_t)(tag >> 3);
    f->wire = (enum imp_pb_wire)(tag & 7);
    return true;
}

/* Skip a group whose start tag was just read, matching nested groups
 * iteratively (no recursion) under the depth limit. */
static bool skip_group(struct imp_pb *pb, const struct imp_pb_field *open)
{
    uint32_t stack[IMP_PB_MAX_DEPTH];
    int top = 0;
    stack[top++] = open->number;
    while (top > 0) {
        struct imp_pb_field f;
        if (pb->pos >= pb->end) {
            imp_pb_fail(pb, IMP_ERR_FORMAT,
                        "byte %zu: group (field %u) is never closed",
                        open->offset, open->number);
            return false;
        }
        if (!read_tag(pb, &pb->pos, pb->end, &f))
            return false;
        if (f.wire == IMP_PB_SGROUP) {
            if (pb->depth + top >= IMP_PB_MAX_DEPTH) {
                imp_pb_fail(pb, IMP_ERR_FORMAT,
                            "byte %zu: groups nested too deeply", f.offset);
                return false;
            }
            stack[top++] = f.number;
        } else if (f.wire == IMP_PB_EGROUP) {
            if (stack[top - 1] != f.number) {
                imp_pb_fail(pb, IMP_ERR_FORMAT,
                            "byte %zu: end of group %u inside group %u",
                            f.offset, f.number, stack[top - 1]);
                return false;
            }
            top--;
        } else if (!read_body(pb, &pb->pos, pb->end, &f)) {
            return false;
        }
    }
    return true;
}

bool imp_pb_next(struct imp_pb *pb, struct imp_pb_field *f)
{
    while (pb->status == IMP_OK && pb->pos < pb->end) {
        if (!read_tag(pb, &pb->pos, pb->end, f))
            return false;
        if (f->wire == IMP_PB_SGROUP) {
            /* No schema we read uses groups: skip and go on. */
            if (!skip_group(pb, f))
                return false;
            continue;
        }
        if (f->wire == IMP_PB_EGROUP) {
            imp_pb_fail(pb, IMP_ERR_FORMAT,
                        "byte %zu: end of group %u that was never opened",
                        f->offset, f->number);
            return false;
        }
        return read_body(pb, &pb->pos, pb->end, f);
    }
    return false;
}

static enum imp_status wrong_wire(struct imp_pb *pb, const struct imp_pb_field *f,
                                  const char *want)
{
    return imp_pb_fail(pb, IMP_ERR_FORMAT,
                       "byte %zu: field %u has wire type %d, expected %s",
                       f->offset, f->number, (int)f->wire, want);
}

enum imp_status imp_pb_enter(struct imp_pb *pb, const struct imp_pb_field *f,
                             struct imp_pb *sub)
{
    if (pb->status != IMP_OK)
        return pb->status;
    if (f->wire != IMP_PB_LEN)
        return wrong_wire(pb, f, "a message");
    if (pb->depth + 1 >= IMP_PB_MAX_DEPTH)
        return imp_pb_fail(pb, IMP_ERR_FORMAT,
                           "byte %zu: messages nested too deeply", f->offset);
    sub->buf = pb->buf;
    sub->pos = f->start;
    sub->end = f->start + f->len;
    sub->depth = pb->depth + 1;
    sub->status = IMP_OK;
    sub->err = pb->err;
    return IMP_OK;
}

enum imp_status imp_pb_int64(struct imp_pb *pb, const struct imp_pb_field *f,
                             int64_t *out)
{
    if (f->wire != IMP_PB_VARINT)
        return wrong_wire(pb, f, "a varint");
    /* Two's complement, as protobuf encodes negative int64. */
    *out = (int64_t)f->value;
    return IMP_OK;
}

enum imp_status imp_pb_int32(struct imp_pb *pb, const struct imp_pb_field *f,
                             int32_t *out)
{
    int64_t v = 0;
    enum imp_status st = imp_pb_int64(pb, f, &v);
    if (st != IMP_OK)
        return st;
    if (v < INT32_MIN || v > INT32_MAX)
        return imp_pb_fail(pb, IMP_ERR_FORMAT,
                           "byte %zu: field %u: %lld does not fit in int32",
                           f->offset, f->number, (long long)v);
    *out = (int32_t)v;
    return IMP_OK;
}

enum imp_status imp_pb_float(struct imp_pb *pb, const struct imp_pb_field *f,
                             float *out)
{
    if (f->wire != IMP_PB_FIXED32)
        return wrong_wire(pb, f, "a 32-bit float");
    uint32_t bits = (uint32_t)f->value;
    memcpy(out, &bits, sizeof bits);
    return IMP_OK;
}

enum imp_status imp_pb_bytes(struct imp_pb *pb, const struct imp_pb_field *f,
                             struct imp_pb_bytes *out)
{
    if (f->wire != IMP_PB_LEN)
        return wrong_wire(pb, f, "a length-delimited string");
    out->p = pb->buf + f->start;
    out->n = f->len;
    return IMP_OK;
}

static const char *kind_name(enum imp_pb_wire kind)
{
    return kind == IMP_PB_VARINT ? "varints" :
           kind == IMP_PB_FIXED32 ? "32-bit values" : "64-bit values";
}

enum imp_status imp_pb_count(struct imp_pb *pb, const struct imp_pb_field *f,
                             enum imp_pb_wire kind, size_t *count)
{
    *count = 0;
    if (f->wire == kind) {
        *count = 1;
        return IMP_OK;
    }
    if (f->wire != IMP_PB_LEN)
        return wrong_wire(pb, f, kind_name(kind));
    if (kind == IMP_PB_VARINT) {
        /* Every varint ends at a byte without the continuation bit. */
        size_t n = 0;
        for (size_t i = 0; i < f->len; i++)
            n += !(pb->buf[f->start + i] & 0x80);
        if (f->len && (pb->buf[f->start + f->len - 1] & 0x80))
            return imp_pb_fail(pb, IMP_ERR_FORMAT,
                               "byte %zu: field %u: packed varints end inside "
                               "a varint", f->offset, f->number);
        *count = n;
        return IMP_OK;
    }
    size_t size = kind == IMP_PB_FIXED32 ? 4 : 8;
    if (f->len % size)
        return imp_pb_fail(pb, IMP_ERR_FORMAT,
                           "byte %zu: field %u: packed length %zu is not a "
                           "multiple of %zu", f->offset, f->number, f->len, size);
    *count = f->len / size;
    return IMP_OK;
}

enum imp_status imp_pb_decode(struct imp_pb *pb, const struct imp_pb_field *f,
                              enum imp_pb_wire kind, void *dst, size_t room,
                              size_t *written)
{
    *written = 0;
    size_t n;
    enum imp_status st = imp_pb_count(pb, f, kind, &n);
    if (st != IMP_OK)
        return st;
    if (n > room)
        return imp_pb_fail(pb, IMP_ERR_FORMAT,
                           "byte %zu: field %u: more elements than expected",
                           f->offset, f->number);
    if (f->wire == kind) {
        if (kind == IMP_PB_VARINT) {
            int64_t v = (int64_t)f->value;
            memcpy(dst, &v, sizeof v);
        } else if (kind == IMP_PB_FIXED32) {
            uint32_t v = (uint32_t)f->value;
            memcpy(dst, &v, sizeof v);
        } else {
            memcpy(dst, &f->value, sizeof f->value);
        }
        *written = 1;
        return IMP_OK;
    }
    const uint8_t *p = pb->buf + f->start;
    if (kind == IMP_PB_VARINT) {
        size_t pos = f->start, end = f->start + f->len;
        for (size_t i = 0; i < n; i++) {
            uint64_t v;
            if (!read_varint(pb, &pos, end, &v))
                return pb->status;
            int64_t s = (int64_t)v;
            memcpy((uint8_t *)dst + 8 * i, &s, 8);
        }
    } else if (kind == IMP_PB_FIXED32) {
        /* memcpy: dst may be float storage, and aliasing rules apply. */
        for (size_t i = 0; i < n; i++) {
            uint32_t v = (uint32_t)load_le(p + 4 * i, 4);
            memcpy((uint8_t *)dst + 4 * i, &v, 4);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            uint64_t v = load_le(p + 8 * i, 8);
            memcpy((uint8_t *)dst + 8 * i, &v, 8);
        }
    }
    *written = n;
    return IMP_OK;
}
