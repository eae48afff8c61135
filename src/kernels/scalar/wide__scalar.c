/* Wide-engine kernels in portable C: mr x 8 tiles. */
#include "kernels/wide.h"

#define WIDE_FN(name) name##__scalar
#define WV float
#define WL 1
#define WLOAD(p) (*(p))
#define WSTORE(p, v) (*(p) = (v))
#include "kernels/wide_transforms.inc"

#define WIDE_NR 8

static void wide_gemm(int mr, size_t groups, size_t c, const float *a,
                      const float *const *b, size_t ldb, float *out, size_t ldo)
{
    float acc[4][WIDE_NR] = {{0}};
    for (size_t g = 0; g < groups; g++) {
        const float *row = b[g];
        for (size_t ci = 0; ci < c; ci++, row += ldb, a += mr)
            for (int i = 0; i < mr; i++)
                for (int j = 0; j < WIDE_NR; j++)
                    acc[i][j] += a[i] * row[j];
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < WIDE_NR; j++)
            out[(size_t)i * ldo + (size_t)j] = acc[i][j];
}

void imp_wide_gemm_4__scalar(size_t groups, size_t c, const float *a,
                             const float *const *b, size_t ldb, float *out, size_t ldo)
{
    wide_gemm(4, groups, c, a, b, ldb, out, ldo);
}

void imp_wide_gemm_3__scalar(size_t groups, size_t c, const float *a,
                             const float *const *b, size_t ldb, float *out, size_t ldo)
{
    wide_gemm(3, groups, c, a, b, ldb, out, ldo);
}
