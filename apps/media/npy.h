/*
 * NumPy .npy files for the CLI and tests: read versions 1.0, 2.0 and 3.0
 * (little-endian float, integer and bool arrays in C order), write float32.
 * The header is a Python dict literal; it is parsed strictly, as hostile
 * input: unknown keys, Fortran order, big-endian data, overflowing shapes
 * and a data length that differs from the shape are all rejected.
 */
#ifndef IMP_APP_NPY_H
#define IMP_APP_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "impasto.h"

struct imp_npy {
    enum imp_dtype dtype; /* F32 F16 F64 I64 I32 I8 U8 BOOL */
    int rank;
    int64_t dims[IMP_MAX_RANK];
    size_t count; /* elements (1 for a 0-d array) */
    void *data;   /* malloc'd, count * imp_npy_dtype_size(dtype) bytes */
};

/* Parse a whole file held in memory. On failure returns -1, leaves `a`
 * empty and writes one line naming the problem into err. */
int imp_npy_parse(const uint8_t *bytes, size_t size, struct imp_npy *a, char *err,
                  size_t err_size);
/* Read a file; messages start with the path. */
int imp_npy_load(const char *path, struct imp_npy *a, char *err, size_t err_size);
/* Write a float32 C-order .npy (version 1.0). */
int imp_npy_save_f32(const char *path, int rank, const int64_t *dims,
                     const float *data, char *err, size_t err_size);
void imp_npy_free(struct imp_npy *a);

/* True when the bytes start with the .npy magic. */
int imp_npy_probe(const uint8_t *bytes, size_t size);

/* Bytes per element of the dtypes above (0 for others). */
size_t imp_npy_dtype_size(enum imp_dtype t);

/* Convert `count` elements between any two of the dtypes above. Floats
 * going to integers are rounded to nearest and clamped to the target's
 * range (NaN becomes 0); anything non-zero becomes true. Returns -1 for a
 * dtype it does not know. */
int imp_convert_elements(enum imp_dtype from, const void *src, enum imp_dtype to,
                         void *dst, size_t count);

/* IEEE half precision, round to nearest even. */
float imp_f16_to_f32(uint16_t h);
uint16_t imp_f32_to_f16(float f);

#endif
