/* Wide-engine kernels for AVX-512: mr x 48 tiles, mirroring AVX2 (4 rows take
 * 12 of the 32 zmm registers), and mr x 32 ("h") for a last strip of at
 * most 32 tiles. */
#include <immintrin.h>

#include "kernels/wide.h"

#define WIDE_FN(name) name##__avx512
#define WV __m512
#define WL 16
#define WLOAD(p) _mm512_loadu_ps(p)
#define WSTORE(p, v) _mm512_storeu_ps(p, v)
#include "kernels/wide_transforms.inc"

#define ACC_INIT(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = c##i##0, c##i##2 = c##i##0;

#define ACC_FMA(i)                                                           \
    {                                                                        \
        __m512 ai = _mm512_set1_ps(a[i]);                                    \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                          \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                          \
        c##i##2 = _mm512_fmadd_ps(ai, b2, c##i##2);                          \
    }

#define ACC_STORE(i)                                                         \
    _mm512_storeu_ps(out + i * ldo, c##i##0);                                \
    _mm512_storeu_ps(out + i * ldo + 16, c##i##1);                           \
    _mm512_storeu_ps(out + i * ldo + 32, c##i##2);

#define WIDE_GEMM(MR, INIT, FMA, STORE)                                      \
    void imp_wide_gemm_##MR##__avx512(size_t groups, size_t c, const float *a, \
        const float *const *b, size_t ldb, float *out, size_t ldo)           \
    {                                                                        \
        INIT                                                                 \
        for (size_t g = 0; g < groups; g++) {                                \
            const float *row = b[g];                                         \
            for (size_t ci = 0; ci < c; ci++, row += ldb, a += MR) {         \
                __m512 b0 = _mm512_loadu_ps(row), b1 = _mm512_loadu_ps(row + 16), b2 = _mm512_loadu_ps(row + 32); \
                FMA                                                          \
            }                                                                \
        }                                                                    \
        STORE                                                                \
    }

WIDE_GEMM(4, ACC_INIT(0) ACC_INIT(1) ACC_INIT(2) ACC_INIT(3),
          ACC_FMA(0) ACC_FMA(1) ACC_FMA(2) ACC_FMA(3),
          ACC_STORE(0) ACC_STORE(1) ACC_STORE(2) ACC_STORE(3))

WIDE_GEMM(3, ACC_INIT(0) ACC_INIT(1) ACC_INIT(2),
          ACC_FMA(0) ACC_FMA(1) ACC_FMA(2),
          ACC_STORE(0) ACC_STORE(1) ACC_STORE(2))

#define ACCh_INIT(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = c##i##0;

#define ACCh_FMA(i)                                                          \
    {                                                                        \
        __m512 ai = _mm512_set1_ps(a[i]);                                    \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                          \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                          \
    }

#define ACCh_STORE(i)                                                        \
    _mm512_storeu_ps(out + i * ldo, c##i##0);                                \
    _mm512_storeu_ps(out + i * ldo + 16, c##i##1);

#define WIDE_GEMMh(MR, INIT, FMA, STORE)                                     \
    void imp_wide_gemm_##MR##h__avx512(size_t groups, size_t c, const float *a, \
        const float *const *b, size_t ldb, float *out, size_t ldo)           \
    {                                                                        \
        INIT                                                                 \
        for (size_t g = 0; g < groups; g++) {                                \
            const float *row = b[g];                                         \
            for (size_t ci = 0; ci < c; ci++, row += ldb, a += MR) {         \
                __m512 b0 = _mm512_loadu_ps(row), b1 = _mm512_loadu_ps(row + 16); \
                FMA                                                          \
            }                                                                \
        }                                                                    \
        STORE                                                                \
    }

WIDE_GEMMh(4, ACCh_INIT(0) ACCh_INIT(1) ACCh_INIT(2) ACCh_INIT(3),
          ACCh_FMA(0) ACCh_FMA(1) ACCh_FMA(2) ACCh_FMA(3),
          ACCh_STORE(0) ACCh_STORE(1) ACCh_STORE(2) ACCh_STORE(3))

WIDE_GEMMh(3, ACCh_INIT(0) ACCh_INIT(1) ACCh_INIT(2),
          ACCh_FMA(0) ACCh_FMA(1) ACCh_FMA(2),
          ACCh_STORE(0) ACCh_STORE(1) ACCh_STORE(2))
