/* 4 rows x 24 columns for the Winograd GEMMs: 12 accumulators, 3 B vectors
 * and a broadcast in the 16 ymm registers, like the 6x16 kernel, but with
 * rows that divide every channel count the networks use (8, 16, 32...) so
 * the narrow layers waste no rows, and columns that are three 8-tile
 * groups. */
#include <immintrin.h>
#include <stddef.h>

void imp_wino_gemm_4x24__avx2(size_t k, const float *a, const float *b, float *c,
                              size_t ldc, const float *bias)
{
#define ROW_INIT(i)                                                          \
    __m256 c##i##0 = _mm256_set1_ps(bias ? bias[i] : 0.0f), c##i##1 = c##i##0, \
           c##i##2 = c##i##0;
    ROW_INIT(0) ROW_INIT(1) ROW_INIT(2) ROW_INIT(3)
#undef ROW_INIT
    for (size_t p = 0; p < k; p++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        __m256 b2 = _mm256_load_ps(b + 16);
#define ROW_FMA(i)                                                           \
    {                                                                        \
        __m256 ai = _mm256_broadcast_ss(a + i);                              \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                          \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                          \
        c##i##2 = _mm256_fmadd_ps(ai, b2, c##i##2);                          \
    }
        ROW_FMA(0) ROW_FMA(1) ROW_FMA(2) ROW_FMA(3)
#undef ROW_FMA
        a += 4;
        b += 24;
    }
#define ROW_STORE(i)                                                         \
    _mm256_storeu_ps(c + i * ldc, c##i##0);                                  \
    _mm256_storeu_ps(c + i * ldc + 8, c##i##1);                              \
    _mm256_storeu_ps(c + i * ldc + 16, c##i##2);
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3)
#undef ROW_STORE
}
