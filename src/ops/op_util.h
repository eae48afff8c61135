/* Helpers shared by operator definitions: argument checks that produce
 * readable errors, axis handling, broadcasting. */
#ifndef IMP_OP_UTIL_H
#define IMP_OP_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/graph.h"
#include "ops/op.h"

/* One engine list holding just the reference engine. */
#define IMP_REF_ENGINES(id, run_fn, prepare_fn, release_fn)                   \
    static const struct imp_engine id##_ref = {                               \
        .name = "ref", .prepare = prepare_fn, .run = run_fn,                  \
        .release = release_fn};                                               \
    static const struct imp_engine *const id##_engines[] = {&id##_ref, NULL}

/* Fail inference with IMP_ERR_SHAPE (or another status) unless cond. */
#define IMP_CHECK(c, cond, status, ...)                                       \
    do {                                                                      \
        if (!(cond))                                                          \
            return imp_fail((c)->err, (status), __VA_ARGS__);                 \
    } while (0)

/* Inputs [lo, hi] must be present (not omitted), else a format error. */
enum imp_status imp_need_inputs(struct imp_infer_ctx *c, int lo, int hi);
/* axis in [-rank, rank) -> [0, rank); false when out of range. */
bool imp_norm_axis(int64_t axis, int rank, int *out);
/* Numpy-style broadcast of two shapes; false when incompatible. */
bool imp_broadcast(const struct imp_shape *a, const struct imp_shape *b,
                   struct imp_shape *out);
/* Ints attribute copied into dst (at most max); returns count or -1. */
int imp_attr_ints(const struct imp_node *n, const char *name, int64_t *dst,
                  int max);
/* Element count of a run-time tensor (no open dims at run time). */
static inline int64_t imp_numel(const struct imp_tensor *t)
{
    return imp_shape_count(&t->shape);
}

#endif
