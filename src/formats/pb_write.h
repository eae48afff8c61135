/*
 * A minimal protocol-buffers wire-format encoder (the writing twin of
 * pb.h): fields appended to a growing buffer. A sub-message is built in a
 * buffer of its own and appended as one length-delimited field; a message
 * with one large trailing bytes field (a tensor's raw_data) can be written
 * in place without copying the bytes twice.
 *
 * Running out of memory is sticky: every later call does nothing, and the
 * caller checks `oom` once at the end.
 */
#ifndef IMP_PB_WRITE_H
#define IMP_PB_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imp_pbw {
    uint8_t *p;
    size_t n, cap;
    bool oom;
};

void imp_pbw_release(struct imp_pbw *w);

/* Scalar fields: int64 and enums as varints (negative numbers take ten
 * bytes, as protobuf's int64 does), float as fixed32. */
void imp_pbw_int(struct imp_pbw *w, uint32_t field, int64_t v);
void imp_pbw_float(struct imp_pbw *w, uint32_t field, float v);
/* Length-delimited fields. */
void imp_pbw_bytes(struct imp_pbw *w, uint32_t field, const void *data, size_t n);
void imp_pbw_string(struct imp_pbw *w, uint32_t field, const char *s);
void imp_pbw_message(struct imp_pbw *w, uint32_t field, const struct imp_pbw *sub);
/* A message made of `head` followed by a bytes field `tail_field` holding
 * tail[0..tail_n), written straight into w. */
void imp_pbw_message_tail(struct imp_pbw *w, uint32_t field, const struct imp_pbw *head,
                          uint32_t tail_field, const void *tail, size_t tail_n);
/* Packed repeated fields. */
void imp_pbw_packed_ints(struct imp_pbw *w, uint32_t field, const int64_t *v, int n);
void imp_pbw_packed_floats(struct imp_pbw *w, uint32_t field, const float *v, int n);

#endif
