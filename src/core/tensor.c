#include "core/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t imp_shape_count(const struct imp_shape *s)
{
    /* A zero dim makes the count 0 however large the others are: look
     * for one before multiplying, so that their product cannot overflow. */
    for (int i = 0; i < s->rank; i++)
        if (s->d[i] <= 0)
            return s->d[i] < 0 ? -1 : 0;
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (n > INT64_MAX / s->d[i])
            return -1;
        n *= s->d[i];
    }
    return n;
}

bool imp_shape_equal(const struct imp_shape *a, const struct imp_shape *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i])
            return false;
    return true;
}

struct imp_shape imp_shape_make(int rank, const int64_t *dims)
{
    struct imp_shape s = {0};
    s.rank = rank;
    for (int i = 0; i < rank && i < IMP_MAX_RANK; i++)
        s.d[i] = dims[i];
    return s;
}

const char *imp_shape_str(const struct imp_shape *s, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (s->rank == 0) {
        snprintf(buf, size, "scalar");
        return buf;
    }
    size_t used = 0;
    for (int i = 0; i < s->rank && used < size; i++) {
        int w;
        if (s->d[i] < 0)
            w = snprintf(buf + used, size - used, "%s?", i ? "x" : "");
        else
            w = snprintf(buf + used, size - used, "%s%lld", i ? "x" : "",
                         (long long)s->d[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

void *imp_aligned_alloc(size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, size ? (size + 63) & ~(size_t)63 : 64) != 0)
        return NULL;
    return p;
}

void imp_aligned_free(void *p)
{
    free(p);
}
