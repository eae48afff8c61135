#include "formats/pb_write.h"

#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

void imp_pbw_release(struct imp_pbw *w)
{
    free(w->p);
    memset(w, 0, sizeof *w);
}

static void put(struct imp_pbw *w, const void *src, size_t n)
{
    if (w->oom || n == 0)
        return;
    if (n > w->cap - w->n) {
        size_t cap = w->cap ? w->cap : 256;
        while (n > cap - w->n) {
            if (cap > SIZE_MAX / 2) {
                w->oom = true;
                return;
            }
            cap *= 2;
        }
        uint8_t *grown = realloc(w->p, cap);
        if (!grown) {
            w->oom = true;
            return;
        }
        w->p = grown;
        w->cap = cap;
    }
    memcpy(w->p + w->n, src, n);
    w->n += n;
}

static void varint(struct imp_pbw *w, uint64_t v)
{
    uint8_t b[10];
    int k = 0;
    do {
        b[k] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[k] |= 0x80;
        k++;
    } while (v);
    put(w, b, (size_t)k);
}

static void tag(struct imp_pbw *w, uint32_t field, int wire)
{
    varint(w, (uint64_t)field << 3 | (uint64_t)wire);
}

void imp_pbw_int(struct imp_pbw *w, uint32_t field, int64_t v)
{
    tag(w, field, WIRE_VARINT);
    varint(w, (uint64_t)v); /* two's complement, modulo 2^64 */
}

static void fixed32(struct imp_pbw *w, uint32_t bits)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(bits >> (8 * i));
    put(w, b, 4);
}

void imp_pbw_float(struct imp_pbw *w, uint32_t field, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    tag(w, field, WIRE_FIXED32);
    fixed32(w, bits);
}

void imp_pbw_bytes(struct imp_pbw *w, uint32_t field, const void *data, size_t n)
{
    tag(w, field, WIRE_LEN);
    varint(w, n);
    put(w, data, n);
}

void imp_pbw_string(struct imp_pbw *w, uint32_t field, const char *s)
{
    imp_pbw_bytes(w, field, s, s ? strlen(s) : 0);
}

void imp_pbw_message(struct imp_pbw *w, uint32_t field, const struct imp_pbw *sub)
{
    if (sub->oom)
        w->oom = true;
    imp_pbw_bytes(w, field, sub->p, sub->n);
}

static size_t varint_size(uint64_t v)
{
    size_t k = 1;
    while (v >>= 7)
        k++;
    return k;
}

void imp_pbw_message_tail(struct imp_pbw *w, uint32_t field, const struct imp_pbw *head,
                          uint32_t tail_field, const void *tail, size_t tail_n)
{
    if (head->oom)
        w->oom = true;
    size_t tail_bytes = varint_size((uint64_t)tail_field << 3) + varint_size(tail_n) + tail_n;
    tag(w, field, WIRE_LEN);
    varint(w, head->n + tail_bytes);
    put(w, head->p, head->n);
    imp_pbw_bytes(w, tail_field, tail, tail_n);
}

void imp_pbw_packed_ints(struct imp_pbw *w, uint32_t field, const int64_t *v, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += varint_size((uint64_t)v[i]);
    tag(w, field, WIRE_LEN);
    varint(w, len);
    for (int i = 0; i < n; i++)
        varint(w, (uint64_t)v[i]);
}

void imp_pbw_packed_floats(struct imp_pbw *w, uint32_t field, const float *v, int n)
{
    tag(w, field, WIRE_LEN);
    varint(w, (uint64_t)n * 4);
    for (int i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], 4);
        fixed32(w, bits);
    }
}
