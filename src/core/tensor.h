/* Shapes and run-time tensors: the vocabulary shared by IR, ops and kernels. */
#ifndef IMP_TENSOR_H
#define IMP_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impasto.h"

struct imp_shape {
    int rank;
    int64_t d[IMP_MAX_RANK]; /* -1: open until the input shape is known */
};

/* A tensor at run time. During inference `data` is NULL unless the value
 * is known then (constants, and values folded at plan time). */
struct imp_tensor {
    enum imp_dtype dtype;
    struct imp_shape shape;
    void *data;
};

int64_t imp_shape_count(const struct imp_shape *s); /* -1 if any dim open */
bool imp_shape_equal(const struct imp_shape *a, const struct imp_shape *b);
struct imp_shape imp_shape_make(int rank, const int64_t *dims);
/* "1x3x256x256" ("?" for open dims, "scalar" for rank 0) into buf. */
const char *imp_shape_str(const struct imp_shape *s, char *buf, size_t size);
static inline size_t imp_tensor_bytes(const struct imp_tensor *t)
{
    int64_t n = imp_shape_count(&t->shape);
    return n < 0 ? 0 : (size_t)n * imp_dtype_size(t->dtype);
}

/* 64-byte aligned allocation (free with imp_aligned_free); never returns
 * a pointer for size 0 that cannot be freed. */
void *imp_aligned_alloc(size_t size);
void imp_aligned_free(void *p);

#endif
