/* Portable microkernel: the twin every SIMD kernel is tested against. */
#include <stddef.h>

void imp_f32_gemm_4x8__scalar(size_t k, const float *a, const float *b,
                              float *c, size_t ldc, const float *bias)
{
    float acc[4][8];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            acc[i][j] = bias ? bias[i] : 0.0f;
    for (size_t p = 0; p < k; p++) {
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 8; j++)
                acc[i][j] += a[i] * b[j];
        a += 4;
        b += 8;
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            c[(size_t)i * ldc + (size_t)j] = acc[i][j];
}
