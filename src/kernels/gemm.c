#include "kernels/gemm.h"

#include <string.h>

size_t imp_gemm_packed_a_size(const struct imp_gemm_ukernel *uk, int m, int k)
{
    size_t panels = ((size_t)m + (size_t)uk->mr - 1) / (size_t)uk->mr;
    return panels * (size_t)uk->mr * (size_t)k;
}

void imp_gemm_pack_a(const struct imp_gemm_ukernel *uk, int m, int k,
                     const float *a, size_t lda, float *packed)
{
    const int mr = uk->mr;
    for (int m0 = 0; m0 < m; m0 += mr) {
        for (int p = 0; p < k; p++) {
            for (int i = 0; i < mr; i++)
                packed[i] = m0 + i < m ? a[(size_t)(m0 + i) * lda + (size_t)p] : 0.0f;
            packed += mr;
        }
    }
}

void imp_gemm_pack_b(const struct imp_gemm_ukernel *uk, int k, int n0, int n,
                     const float *b, size_t ldb, float *packed)
{
    const int nr = uk->nr;
    for (int j0 = 0; j0 < n; j0 += nr) {
        int w = n - j0 < nr ? n - j0 : nr;
        for (int p = 0; p < k; p++) {
            const float *row = b + (size_t)p * ldb + (size_t)(n0 + j0);
            memcpy(packed, row, sizeof(float) * (size_t)w);
            for (int j = w; j < nr; j++)
                packed[j] = 0.0f;
            packed += nr;
        }
    }
}

void imp_gemm_packed(const struct imp_gemm_ukernel *uk, int m, int n, int k,
                     const float *packed_a, const float *packed_b, float *c,
                     size_t ldc, const float *bias)
{
    const int mr = uk->mr, nr = uk->nr;
    /* Largest tile of any kernel in kernels.def: 8 x 32. */
    _Alignas(64) float tile[8 * 32];
    float zero_bias[8] = {0};
    for (int j0 = 0; j0 < n; j0 += nr) {
        const float *b = packed_b + (size_t)j0 * (size_t)k;
        int w = n - j0 < nr ? n - j0 : nr;
        for (int m0 = 0; m0 < m; m0 += mr) {
            const float *a = packed_a + (size_t)m0 * (size_t)k;
            int h = m - m0 < mr ? m - m0 : mr;
            const float *bias_rows = bias ? bias + m0 : NULL;
            float *dst = c + (size_t)m0 * ldc + (size_t)j0;
            if (h == mr && w == nr) {
                uk->run((size_t)k, a, b, dst, ldc, bias_rows);
                continue;
            }
            /* Edge tile: the bias must not be read past M either. */
            float edge_bias[8];
            if (bias_rows) {
                for (int i = 0; i < mr; i++)
                    edge_bias[i] = i < h ? bias_rows[i] : 0.0f;
            }
            uk->run((size_t)k, a, b, tile, (size_t)nr, bias_rows ? edge_bias : zero_bias);
            for (int i = 0; i < h; i++)
                memcpy(dst + (size_t)i * ldc, tile + i * nr, sizeof(float) * (size_t)w);
        }
    }
}
