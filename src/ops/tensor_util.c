#include "ops/tensor_util.h"

#include <string.h>

#include "core/dtype.h"

/* Far beyond any real activation, small enough that byte offsets computed
 * from element counts can never overflow. */
#define MAX_ELEMENTS ((int64_t)1 << 46)

static enum imp_status input_list(const struct imp_tensor *t, int k, int max,
                                  int *count, struct imp_error *err)
{
    if (!t)
        return imp_fail(err, IMP_ERR_FORMAT, "input %d is required", k);
    if (!t->data)
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "input %d must be known at load time (it is computed "
                        "from data that changes per run)", k);
    if (t->shape.rank > 1)
        return imp_fail(err, IMP_ERR_SHAPE, "input %d must be a 1-D list, not rank %d",
                        k, t->shape.rank);
    int64_t n = imp_shape_count(&t->shape);
    if (n < 0 || n > max)
        return imp_fail(err, IMP_ERR_SHAPE,
                        "input %d holds %lld values, at most %d allowed", k,
                        (long long)n, max);
    *count = (int)n;
    return IMP_OK;
}

enum imp_status imp_input_ints(const struct imp_tensor *t, int k, int64_t *dst,
                               int max, int *count, struct imp_error *err)
{
    enum imp_status st = input_list(t, k, max, count, err);
    if (st != IMP_OK)
        return st;
    if (t->dtype != IMP_DTYPE_I64 && t->dtype != IMP_DTYPE_I32)
        return imp_fail(err, IMP_ERR_FORMAT, "input %d must be int64 or int32, not %s", k,
                        imp_dtype_name(t->dtype));
    for (int i = 0; i < *count; i++)
        dst[i] = imp_load_i64(t->dtype, t->data, (size_t)i);
    return IMP_OK;
}

enum imp_status imp_input_floats(const struct imp_tensor *t, int k, float *dst,
                                 int max, int *count, struct imp_error *err)
{
    enum imp_status st = input_list(t, k, max, count, err);
    if (st != IMP_OK)
        return st;
    if (t->dtype != IMP_DTYPE_F32 && t->dtype != IMP_DTYPE_F64 &&
        t->dtype != IMP_DTYPE_F16)
        return imp_fail(err, IMP_ERR_FORMAT, "input %d must be floating point, not %s", k,
                        imp_dtype_name(t->dtype));
    for (int i = 0; i < *count; i++)
        dst[i] = (float)imp_load_f64(t->dtype, t->data, (size_t)i);
    return IMP_OK;
}

enum imp_status imp_check_out_shape(const struct imp_shape *s,
                                    struct imp_error *err)
{
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->d[i] < 0)
            return imp_fail(err, IMP_ERR_SHAPE, "output dim %d would be %lld", i,
                            (long long)s->d[i]);
        if (s->d[i] > MAX_ELEMENTS || (s->d[i] && n > MAX_ELEMENTS / s->d[i]))
            return imp_fail(err, IMP_ERR_SHAPE, "output would be absurdly large");
        n *= s->d[i];
    }
    return IMP_OK;
}

void imp_shape_strides(const struct imp_shape *s, int64_t *strides)
{
    int64_t st = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        strides[i] = st;
        st *= s->d[i];
    }
}

int64_t imp_dims_product(const struct imp_shape *s, int lo, int hi)
{
    int64_t n = 1;
    for (int i = lo; i < hi; i++)
        n *= s->d[i];
    return n;
}

/* One loop per element size so the compiler emits plain loads/stores. */
#define STRIDED(T)                                                           \
    do {                                                                     \
        T *d = dst;                                                          \
        const T *s = src;                                                    \
        for (int64_t i = 0; i < n; i++)                                      \
            d[i] = s[i * stride];                                            \
    } while (0)

void imp_copy_strided(void *dst, const void *src, int64_t n, int64_t stride,
                      size_t esize)
{
    if (stride == 1) {
        memcpy(dst, src, (size_t)n * esize);
        return;
    }
    switch (esize) {
    case 1: STRIDED(uint8_t); break;
    case 2: STRIDED(uint16_t); break;
    case 4: STRIDED(uint32_t); break;
    case 8: STRIDED(uint64_t); break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy((char *)dst + i * (int64_t)esize,
                   (const char *)src + i * stride * (int64_t)esize, esize);
    }
}

#define FILL(T)                                                              \
    do {                                                                     \
        T *d = dst, v;                                                       \
        memcpy(&v, value, sizeof v);                                         \
        for (int64_t i = 0; i < n; i++)                                      \
            d[i] = v;                                                        \
    } while (0)

void imp_fill_value(void *dst, const void *value, int64_t n, size_t esize)
{
    switch (esize) {
    case 1: FILL(uint8_t); break;
    case 2: FILL(uint16_t); break;
    case 4: FILL(uint32_t); break;
    case 8: FILL(uint64_t); break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy((char *)dst + i * (int64_t)esize, value, esize);
    }
}
