/* 8 rows x 32 columns: 16 zmm accumulators, 2 B vectors, and the A values
 * broadcast straight from memory into the FMAs. */
#include <immintrin.h>
#include <stddef.h>

void imp_f32_gemm_8x32__avx512(size_t k, const float *a, const float *b,
                               float *c, size_t ldc, const float *bias)
{
#define ROW_INIT(i)                                                          \
    __m512 c##i##0 = _mm512_set1_ps(bias ? bias[i] : 0.0f), c##i##1 = c##i##0;
    ROW_INIT(0) ROW_INIT(1) ROW_INIT(2) ROW_INIT(3)
    ROW_INIT(4) ROW_INIT(5) ROW_INIT(6) ROW_INIT(7)
#undef ROW_INIT
    for (size_t p = 0; p < k; p++) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#define ROW_FMA(i)                                                           \
    {                                                                        \
        __m512 ai = _mm512_set1_ps(a[i]);                                    \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                          \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                          \
    }
        ROW_FMA(0) ROW_FMA(1) ROW_FMA(2) ROW_FMA(3)
        ROW_FMA(4) ROW_FMA(5) ROW_FMA(6) ROW_FMA(7)
#undef ROW_FMA
        a += 8;
        b += 32;
    }
#define ROW_STORE(i)                                                         \
    _mm512_storeu_ps(c + i * ldc, c##i##0);                                  \
    _mm512_storeu_ps(c + i * ldc + 16, c##i##1);
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3)
    ROW_STORE(4) ROW_STORE(5) ROW_STORE(6) ROW_STORE(7)
#undef ROW_STORE
}
