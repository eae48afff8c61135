#include "core/dtype.h"

#include <math.h>
#include <string.h>

bool imp_dtype_valid(enum imp_dtype t)
{
    return t >= IMP_DTYPE_F32 && t <= IMP_DTYPE_F64;
}

size_t imp_dtype_size(enum imp_dtype t)
{
    switch (t) {
    case IMP_DTYPE_F32: return 4;
    case IMP_DTYPE_F16: return 2;
    case IMP_DTYPE_I64: return 8;
    case IMP_DTYPE_I32: return 4;
    case IMP_DTYPE_I8: return 1;
    case IMP_DTYPE_U8: return 1;
    case IMP_DTYPE_BOOL: return 1;
    case IMP_DTYPE_F64: return 8;
    case IMP_DTYPE_UNDEFINED: break;
    }
    return 0;
}

const char *imp_dtype_name(enum imp_dtype t)
{
    switch (t) {
    case IMP_DTYPE_F32: return "float32";
    case IMP_DTYPE_F16: return "float16";
    case IMP_DTYPE_I64: return "int64";
    case IMP_DTYPE_I32: return "int32";
    case IMP_DTYPE_I8: return "int8";
    case IMP_DTYPE_U8: return "uint8";
    case IMP_DTYPE_BOOL: return "bool";
    case IMP_DTYPE_F64: return "float64";
    case IMP_DTYPE_UNDEFINED: break;
    }
    return "undefined";
}

float imp_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (man & 0x3ff) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | man << 13;
    } else {
        bits = sign | (exp + 127 - 15) << 23 | man << 13;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t imp_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7fffffff;
    if (absx >= 0x7f800000) /* inf or nan */
        return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0));
    if (absx >= 0x477ff000) /* rounds to >= 65520: overflow */
        return (uint16_t)(sign | 0x7c00);
    if (absx < 0x38800000) { /* result is subnormal or zero */
        if (absx < 0x33000000)
            return (uint16_t)sign;
        uint32_t man = (absx & 0x7fffff) | 0x800000;
        int shift = 126 - (int)(absx >> 23); /* 14..24 */
        uint32_t half = man >> (shift);
        uint32_t rem = man & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = ((absx >> 13) - ((127 - 15) << 10));
    uint32_t rem = absx & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++;
    return (uint16_t)(sign | h);
}

double imp_load_f64(enum imp_dtype t, const void *data, size_t i)
{
    switch (t) {
    case IMP_DTYPE_F32: return ((const float *)data)[i];
    case IMP_DTYPE_F16: return imp_half_to_float(((const uint16_t *)data)[i]);
    case IMP_DTYPE_I64: return (double)((const int64_t *)data)[i];
    case IMP_DTYPE_I32: return ((const int32_t *)data)[i];
    case IMP_DTYPE_I8: return ((const int8_t *)data)[i];
    case IMP_DTYPE_U8: return ((const uint8_t *)data)[i];
    case IMP_DTYPE_BOOL: return ((const uint8_t *)data)[i] != 0;
    case IMP_DTYPE_F64: return ((const double *)data)[i];
    case IMP_DTYPE_UNDEFINED: break;
    }
    return 0;
}

int64_t imp_load_i64(enum imp_dtype t, const void *data, size_t i)
{
    switch (t) {
    case IMP_DTYPE_I64: return ((const int64_t *)data)[i];
    case IMP_DTYPE_I32: return ((const int32_t *)data)[i];
    default: break;
    }
    double v = imp_load_f64(t, data, i);
    if (!(v == v))
        return 0;
    if (v >= 9.2e18)
        return INT64_MAX;
    if (v <= -9.2e18)
        return INT64_MIN;
    return (int64_t)v;
}

static void store(enum imp_dtype t, void *data, size_t i, double v, int64_t iv,
                  int is_int)
{
    switch (t) {
    case IMP_DTYPE_F32: ((float *)data)[i] = is_int ? (float)iv : (float)v; break;
    case IMP_DTYPE_F16:
        ((uint16_t *)data)[i] = imp_float_to_half(is_int ? (float)iv : (float)v);
        break;
    case IMP_DTYPE_F64: ((double *)data)[i] = is_int ? (double)iv : v; break;
    case IMP_DTYPE_I64: ((int64_t *)data)[i] = iv; break;
    case IMP_DTYPE_I32: ((int32_t *)data)[i] = (int32_t)iv; break;
    case IMP_DTYPE_I8: ((int8_t *)data)[i] = (int8_t)iv; break;
    case IMP_DTYPE_U8: ((uint8_t *)data)[i] = (uint8_t)iv; break;
    case IMP_DTYPE_BOOL:
        ((uint8_t *)data)[i] = is_int ? iv != 0 : v != 0;
        break;
    case IMP_DTYPE_UNDEFINED: break;
    }
}

static int is_float_type(enum imp_dtype t)
{
    return t == IMP_DTYPE_F32 || t == IMP_DTYPE_F16 || t == IMP_DTYPE_F64;
}

void imp_convert(enum imp_dtype to, void *dst, enum imp_dtype from,
                 const void *src, size_t count)
{
    if (to == from) {
        memmove(dst, src, count * imp_dtype_size(to));
        return;
    }
    int from_float = is_float_type(from);
    for (size_t i = 0; i < count; i++) {
        if (from_float) {
            double v = imp_load_f64(from, src, i);
            store(to, dst, i, v, is_float_type(to) ? 0 : imp_load_i64(from, src, i),
                  !is_float_type(to) && to != IMP_DTYPE_BOOL);
        } else {
            int64_t v = imp_load_i64(from, src, i);
            store(to, dst, i, (double)v, v, 1);
        }
    }
}
