#include "runtime/planner.h"

#include <stdint.h>
#include <stdlib.h>

static int by_size_desc(const void *a, const void *b)
{
    const struct imp_plan_buffer *x = *(const struct imp_plan_buffer *const *)a;
    const struct imp_plan_buffer *y = *(const struct imp_plan_buffer *const *)b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->first - y->first; /* stable for equal sizes */
}

static int by_offset(const void *a, const void *b)
{
    const struct imp_plan_buffer *x = *(const struct imp_plan_buffer *const *)a;
    const struct imp_plan_buffer *y = *(const struct imp_plan_buffer *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static size_t align64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

size_t imp_plan_memory(struct imp_plan_buffer *bufs, int n)
{
    struct imp_plan_buffer **order = malloc(sizeof *order * (size_t)(n + 1));
    struct imp_plan_buffer **placed = malloc(sizeof *placed * (size_t)(n + 1));
    struct imp_plan_buffer **live = malloc(sizeof *live * (size_t)(n + 1));
    if (!order || !placed || !live) {
        free(order);
        free(placed);
        free(live);
        return (size_t)-1;
    }
    for (int i = 0; i < n; i++)
        order[i] = &bufs[i];
    qsort(order, (size_t)n, sizeof *order, by_size_desc);

    size_t total = 0;
    int n_placed = 0;
    for (int i = 0; i < n; i++) {
        struct imp_plan_buffer *b = order[i];
        size_t need = align64(b->size);
        /* The placed buffers whose lifetimes overlap b's, by address. */
        int n_live = 0;
        for (int k = 0; k < n_placed; k++)
            if (placed[k]->first <= b->last && b->first <= placed[k]->last)
                live[n_live++] = placed[k];
        qsort(live, (size_t)n_live, sizeof *live, by_offset);
        size_t offset = 0;
        for (int k = 0; k < n_live; k++) {
            if (live[k]->offset >= offset + need)
                break; /* the gap before this one fits */
            size_t end = live[k]->offset + align64(live[k]->size);
            if (end > offset)
                offset = end;
        }
        b->offset = offset;
        placed[n_placed++] = b;
        if (offset + need > total)
            total = offset + need;
    }
    free(order);
    free(placed);
    free(live);
    return total;
}
