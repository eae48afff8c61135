/* Wide-engine kernels for AVX2: mr x 24 tiles (4 rows take 12 accumulators,
 * 3 B vectors and 1 broadcast: the 16 ymm registers), and mr x 16 ("h")
 * for a last strip of at most 16 tiles. */
#include <immintrin.h>

#include "kernels/wide.h"

/* Stride-3 split and join of 8 triples: two blends gather the lanes
 * that belong to one phase, one permute puts them in order (and back). */
static size_t split3_avx2(const float *src, size_t n, float *p0, float *p1, float *p2)
{
    const __m256i ia = _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5);
    const __m256i ib = _mm256_setr_epi32(1, 4, 7, 2, 5, 0, 3, 6);
    const __m256i ic = _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7);
    size_t q = 0;
    for (; q + 8 <= n; q += 8, src += 24) {
        __m256 o0 = _mm256_loadu_ps(src), o1 = _mm256_loadu_ps(src + 8);
        __m256 o2 = _mm256_loadu_ps(src + 16);
        __m256 a = _mm256_blend_ps(_mm256_blend_ps(o0, o1, 0x92), o2, 0x24);
        __m256 b = _mm256_blend_ps(_mm256_blend_ps(o0, o1, 0x24), o2, 0x49);
        __m256 c = _mm256_blend_ps(_mm256_blend_ps(o0, o1, 0x49), o2, 0x92);
        _mm256_storeu_ps(p0 + q, _mm256_permutevar8x32_ps(a, ia));
        _mm256_storeu_ps(p1 + q, _mm256_permutevar8x32_ps(b, ib));
        _mm256_storeu_ps(p2 + q, _mm256_permutevar8x32_ps(c, ic));
    }
    return q;
}

static size_t join3_avx2(float *dst, size_t n, const float *a0, const float *a1,
                         const float *a2)
{
    const __m256i pa = _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5);
    const __m256i pb = _mm256_setr_epi32(5, 0, 3, 6, 1, 4, 7, 2);
    const __m256i pc = _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7);
    size_t j = 0;
    for (; j + 8 <= n; j += 8, dst += 24) {
        __m256 xa = _mm256_permutevar8x32_ps(_mm256_loadu_ps(a0 + j), pa);
        __m256 xb = _mm256_permutevar8x32_ps(_mm256_loadu_ps(a1 + j), pb);
        __m256 xc = _mm256_permutevar8x32_ps(_mm256_loadu_ps(a2 + j), pc);
        _mm256_storeu_ps(dst, _mm256_blend_ps(_mm256_blend_ps(xa, xb, 0x92), xc, 0x24));
        _mm256_storeu_ps(dst + 8, _mm256_blend_ps(_mm256_blend_ps(xa, xb, 0x24), xc, 0x49));
        _mm256_storeu_ps(dst + 16, _mm256_blend_ps(_mm256_blend_ps(xa, xb, 0x49), xc, 0x92));
    }
    return j;
}

#define WIDE_SPLIT3(src, n, p0, p1, p2) split3_avx2(src, n, p0, p1, p2)
#define WIDE_JOIN3(dst, n, a0, a1, a2) join3_avx2(dst, n, a0, a1, a2)
#define WIDE_FN(name) name##__avx2
#define WV __m256
#define WL 8
#define WLOAD(p) _mm256_loadu_ps(p)
#define WSTORE(p, v) _mm256_storeu_ps(p, v)
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
        const float *const *b, size_t ldb, float *out, size_t ldo)           \
    {                                                                        \
        INIT                                                                 \
        for (size_t g = 0; g < groups; g++) {                                \
            const float *row = b[g];                                         \
            for (size_t ci = 0; ci < c; ci++, row += ldb, a += MR) {         \
                __m256 b0 = _mm256_loadu_ps(row), b1 = _mm256_loadu_ps(row + 8), b2 = _mm256_loadu_ps(row + 16); \
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

#define ACCh_INIT(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = c##i##0;

#define ACCh_FMA(i)                                                          \
    {                                                                        \
        __m256 ai = _mm256_broadcast_ss(a + i);                              \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                          \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                          \
    }

#define ACCh_STORE(i)                                                        \
    _mm256_storeu_ps(out + i * ldo, c##i##0);                                \
    _mm256_storeu_ps(out + i * ldo + 8, c##i##1);

#define WIDE_GEMMh(MR, INIT, FMA, STORE)                                     \
    void imp_wide_gemm_##MR##h__avx2(size_t groups, size_t c, const float *a, \
        const float *const *b, size_t ldb, float *out, size_t ldo)           \
    {                                                                        \
        INIT                                                                 \
        for (size_t g = 0; g < groups; g++) {                                \
            const float *row = b[g];                                         \
            for (size_t ci = 0; ci < c; ci++, row += ldb, a += MR) {         \
                __m256 b0 = _mm256_loadu_ps(row), b1 = _mm256_loadu_ps(row + 8); \
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
