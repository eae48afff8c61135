#include <immintrin.h>

#include "kernels/peak.h"

int64_t imp_fma_burst__avx512(int64_t iters)
{
    volatile float seed = 1.0f;
    __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    __m512 a[16];
    for (int j = 0; j < 16; j++)
        a[j] = _mm512_set1_ps(seed);
    for (int64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++)
            a[j] = _mm512_fmadd_ps(a[j], m, c);
    __m512 s = a[0];
    for (int j = 1; j < 16; j++)
        s = _mm512_add_ps(s, a[j]);
    seed = _mm512_cvtss_f32(s);
    return iters * 16 * 16 * 2;
}
