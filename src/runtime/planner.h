/*
 * Memory planner: buffers with lifetimes [first, last] (node positions)
 * are packed into one arena so that buffers alive at the same time never
 * overlap. Largest first, each at the lowest offset that fits (first-fit);
 * every offset is 64-byte aligned.
 */
#ifndef IMP_PLANNER_H
#define IMP_PLANNER_H

#include <stddef.h>

struct imp_plan_buffer {
    size_t size;
    int first, last; /* inclusive node positions */
    size_t offset;   /* out */
};

/* Returns the arena size, or (size_t)-1 on allocation failure. */
size_t imp_plan_memory(struct imp_plan_buffer *bufs, int n);

#endif
