/* 6 rows x 16 columns: 12 accumulators + 2 B vectors + 1 broadcast fit the
 * 16 ymm registers. */
#include <immintrin.h>
#include <stddef.h>

void imp_f32_gemm_6x16__avx2(size_t k, const float *a, const float *b,
                             float *c, size_t ldc, const float *bias)
{
#define ROW_INIT(i)                                                          \
    __m256 c##i##0 = _mm256_set1_ps(bias ? bias[i] : 0.0f), c##i##1 = c##i##0;
    ROW_INIT(0) ROW_INIT(1) ROW_INIT(2) ROW_INIT(3) ROW_INIT(4) ROW_INIT(5)
#undef ROW_INIT
    for (size_t p = 0; p < k; p++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#define ROW_FMA(i)                                                           \
    {                                                                        \
        __m256 ai = _mm256_broadcast_ss(a + i);                              \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                          \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                          \
    }
        ROW_FMA(0) ROW_FMA(1) ROW_FMA(2) ROW_FMA(3) ROW_FMA(4) ROW_FMA(5)
#undef ROW_FMA
        a += 6;
        b += 16;
    }
#define ROW_STORE(i)                                                         \
    _mm256_storeu_ps(c + i * ldc, c##i##0);                                  \
    _mm256_storeu_ps(c + i * ldc + 8, c##i##1);
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3) ROW_STORE(4) ROW_STORE(5)
#undef ROW_STORE
}
