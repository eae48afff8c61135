#include <immintrin.h>

#include "kernels/peak.h"

int64_t imp_fma_burst__avx2(int64_t iters)
{
    volatile float seed = 1.0f;
    __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a[12];
    for (int j = 0; j < 12; j++)
        a[j] = _mm256_set1_ps(seed);
    for (int64_t i = 0; i < iters; i++)
        for (int j = 0; j < 12; j++)
            a[j] = _mm256_fmadd_ps(a[j], m, c);
    __m256 s = a[0];
    for (int j = 1; j < 12; j++)
        s = _mm256_add_ps(s, a[j]);
    seed = _mm256_cvtss_f32(s);
    return iters * 12 * 8 * 2;
}
