/* Helpers shared by the tensor and element-wise families (binary, pad,
 * resize, shape, slice, reduce): reading shape-like inputs at plan time,
 * overflow-checked shape arithmetic, and copies that only know the element
 * size, so layout operators work for every dtype. */
#ifndef IMP_TENSOR_UTIL_H
#define IMP_TENSOR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

/* in[k] when it exists and was not omitted, else NULL. */
static inline const struct imp_tensor *imp_opt_input(const struct imp_tensor *const *in,
                                                     int n_in, int k)
{
    return k < n_in ? in[k] : NULL;
}

/* An optional input that is present and holds at least one element (ONNX
 * exporters often pass an empty tensor for "not given"). */
static inline bool imp_input_given(const struct imp_tensor *t)
{
    return t && imp_shape_count(&t->shape) > 0;
}

/* The values of input `k` (tensor `t`) as integers. It must hold int64 or
 * int32, have rank 0 or 1, hold at most `max` values, and be known at plan
 * time; otherwise fail with a message naming input k. */
enum imp_status imp_input_ints(const struct imp_tensor *t, int k, int64_t *dst, int max,
                               int *count, struct imp_error *err);
/* The same for floating-point inputs (float32/float64/float16). */
enum imp_status imp_input_floats(const struct imp_tensor *t, int k, float *dst, int max,
                                 int *count, struct imp_error *err);

/* Fail unless every dim is >= 0 and the byte size fits comfortably in
 * size_t (hostile shape inputs must not overflow later arithmetic). */
enum imp_status imp_check_out_shape(const struct imp_shape *s, struct imp_error *err);

/* Row-major strides (in elements) of a shape. */
void imp_shape_strides(const struct imp_shape *s, int64_t *strides);
/* Product of dims [lo, hi). */
int64_t imp_dims_product(const struct imp_shape *s, int lo, int hi);

/* dst[i] = src[i * stride] for n elements of `esize` bytes. */
void imp_copy_strided(void *dst, const void *src, int64_t n, int64_t stride,
                      size_t esize);
/* n copies of the `esize`-byte value at `value`. */
void imp_fill_value(void *dst, const void *value, int64_t n, size_t esize);

/* Advance a row-major multi-index over dims[0..rank); returns the position
 * of the dim that changed (rank-1 most often), -1 after the last index. */
static inline int imp_index_next(int64_t *idx, const int64_t *dims, int rank)
{
    for (int d = rank - 1; d >= 0; d--) {
        if (++idx[d] < dims[d])
            return d;
        idx[d] = 0;
    }
    return -1;
}

#endif
