/* Element types and the fp16 <-> fp32 conversions every reader needs. */
#ifndef IMP_DTYPE_H
#define IMP_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impasto.h"

bool imp_dtype_valid(enum imp_dtype t);
float imp_half_to_float(uint16_t h);
/* Round to nearest even, like every IEEE converter. */
uint16_t imp_float_to_half(float f);

/* Convert `count` elements between any two numeric dtypes (floats to ints
 * truncate toward zero, like ONNX Cast). */
void imp_convert(enum imp_dtype to, void *dst, enum imp_dtype from,
                 const void *src, size_t count);
/* Element i of a numeric tensor as double / as int64 (for shape maths). */
double imp_load_f64(enum imp_dtype t, const void *data, size_t i);
int64_t imp_load_i64(enum imp_dtype t, const void *data, size_t i);

#endif
