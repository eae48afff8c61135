/*
 * A minimal protocol-buffers wire-format decoder for hostile input.
 *
 * A cursor walks the fields of one message inside a caller-owned buffer;
 * sub-messages get their own cursor over their byte range. Every length is
 * checked against the bytes left in the enclosing message, every varint
 * against overflow, and nesting against a depth limit, so a reader built on
 * it can only fail with a message naming the byte offset, never read past
 * its buffer. Offsets in messages are from the start of the whole buffer.
 *
 * Failures are sticky: the first one is recorded in the cursor (and in the
 * imp_error it was given) and every later call on it returns that status.
 */
#ifndef IMP_PB_H
#define IMP_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Deeper nesting than any schema we read needs is treated as damage. */
#define IMP_PB_MAX_DEPTH 32

enum imp_pb_wire {
    IMP_PB_VARINT = 0,
    IMP_PB_FIXED64 = 1,
    IMP_PB_LEN = 2,
    IMP_PB_SGROUP = 3, /* deprecated groups: only ever skipped */
    IMP_PB_EGROUP = 4,
    IMP_PB_FIXED32 = 5,
};

struct imp_pb {
    const uint8_t *buf; /* the whole input                                */
    size_t pos, end;    /* the current message is buf[pos, end)           */
    int depth;
    enum imp_status status;
    struct imp_error *err;
};

struct imp_pb_field {
    uint32_t number;
    enum imp_pb_wire wire;
    size_t offset;  /* of the tag, for messages                     */
    uint64_t value; /* VARINT, FIXED32, FIXED64: the raw bits         */
    size_t start;   /* LEN: payload is buf[start, start + len)       */
    size_t len;
};

/* A byte string inside the buffer (not NUL-terminated). */
struct imp_pb_bytes {
    const uint8_t *p;
    size_t n;
};

void imp_pb_init(struct imp_pb *pb, const uint8_t *buf, size_t size,
                 struct imp_error *err);

/* Next field of the message; false at its end or on damage (then
 * pb->status != IMP_OK). Unknown groups are skipped by the caller through
 * imp_pb_skip_group, which imp_pb_next does automatically for SGROUP. */
bool imp_pb_next(struct imp_pb *pb, struct imp_pb_field *f);

/* Record a failure on the cursor (keeps the first one); returns status. */
enum imp_status imp_pb_fail(struct imp_pb *pb, enum imp_status status,
                            const char *fmt, ...) IMP_PRINTF(3, 4);

/* Cursor over an embedded message (field must be LEN). */
enum imp_status imp_pb_enter(struct imp_pb *pb, const struct imp_pb_field *f,
                             struct imp_pb *sub);

/* Typed views of one field; each checks the wire type and range. */
enum imp_status imp_pb_int64(struct imp_pb *pb, const struct imp_pb_field *f,
                             int64_t *out);
enum imp_status imp_pb_int32(struct imp_pb *pb, const struct imp_pb_field *f,
                             int32_t *out);
enum imp_status imp_pb_float(struct imp_pb *pb, const struct imp_pb_field *f,
                             float *out);
enum imp_status imp_pb_bytes(struct imp_pb *pb, const struct imp_pb_field *f,
                             struct imp_pb_bytes *out);

/*
 * Repeated scalars may arrive packed (one LEN field) or unpacked (one
 * field per element), mixed, in several chunks. Counting and decoding are
 * separate so a caller can check the count before it allocates.
 *   kind VARINT: int64 elements; FIXED32: 4-byte; FIXED64: 8-byte.
 */
enum imp_status imp_pb_count(struct imp_pb *pb, const struct imp_pb_field *f,
                             enum imp_pb_wire kind, size_t *count);
/* Append this field's elements to dst, which has room for `room` more;
 * *written gets how many. VARINT stores int64_t, FIXED32 uint32_t bits,
 * FIXED64 uint64_t bits, all in host order. */
enum imp_status imp_pb_decode(struct imp_pb *pb, const struct imp_pb_field *f,
                              enum imp_pb_wire kind, void *dst, size_t room,
                              size_t *written);

#endif
