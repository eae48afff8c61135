/* Wide-engine kernels for AVX2: mr x 24 tiles. 4 rows take 12 accumulators,
 * 3 B vectors and 1 broadcast: the 16 ymm registers. */
#include <immintrin.h>

#include "kernels/wide.h"

#define WIDE_FN(name) name##__avx2
#include "kernels/wide_transforms.inc"

#define ACC_INIT(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = c##i##0, c##i##2 = c##i##0;
#define ACC_FMA(i)                                                           \
    {                                                                        \
        __m256 ai = _mm256_broadcast_ss(a + i);                              \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                          \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                          \
        c##i##2 = _mm256_fmadd_ps(ai, b2, c##i##2);                          \
    }
#define ACC_STORE(i)                                                         \
    _mm256_storeu_ps(out + i * ldo, c##i##0);                                \
    _mm256_storeu_ps(out + i * ldo + 8, c##i##1);                            \
    _mm256_storeu_ps(out + i * ldo + 16, c##i##2);

#define WIDE_GEMM(MR, INIT, FMA, STORE)                                      \
    void imp_wide_gemm_##MR##__avx2(size_t groups, size_t c, const float *a, \
                                    const float *const *b, size_t ldb,       \
                                    float *out, size_t ldo)                  \
    {                                                                        \
        INIT                                                                 \
        for (size_t g = 0; g < groups; g++) {                                \
            const float *row = b[g];                                         \
            for (size_t ci = 0; ci < c; ci++, row += ldb, a += MR) {         \
                __m256 b0 = _mm256_loadu_ps(row), b1 = _mm256_loadu_ps(row + 8); \
                __m256 b2 = _mm256_loadu_ps(row + 16);                       \
                FMA                                                          \
            }                                                                \
        }                                                                    \
        STORE                                                                \
    }

WIDE_GEMM(4, ACC_INIT(0) ACC_INIT(1) ACC_INIT(2) ACC_INIT(3),
          ACC_FMA(0) ACC_FMA(1) ACC_FMA(2) ACC_FMA(3),
          ACC_STORE(0) ACC_STORE(1) ACC_STORE(2) ACC_STORE(3))
WIDE_GEMM(3, ACC_INIT(0) ACC_INIT(1) ACC_INIT(2), ACC_FMA(0) ACC_FMA(1) ACC_FMA(2),
          ACC_STORE(0) ACC_STORE(1) ACC_STORE(2))
