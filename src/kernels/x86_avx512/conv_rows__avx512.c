/* Direct convolution tiles for AVX-512 (see conv_rows.h), mirroring the
 * AVX2 kernel with 16-column vectors: 4 channels x 4 vectors is 16
 * accumulators of the 32 zmm registers. The last tile of a row uses lane
 * masks for its loads and stores. */
#include <immintrin.h>
#include <stdbool.h>

#include "kernels/conv_rows.h"

#define NV_MAX 4

static inline __attribute__((always_inline)) void
tile(const struct imp_conv_rows_args *a, const float *x, float *y, const int mb,
     const int nv, const bool masked, const __mmask16 *mask)
{
    __m512 acc[IMP_CONV_ROWS_BLOCK][NV_MAX];
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
        __m512 b = _mm512_set1_ps(a->bias[k]);
        const float *q = y + k * a->y_chan;
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++)
            acc[k][j] = !a->accumulate ? b
                        : masked      ? _mm512_maskz_loadu_ps(mask[j], q + 16 * j)
                                      : _mm512_loadu_ps(q + 16 * j);
    }
    const float *w = a->w;
    const ptrdiff_t *off = a->tap_off;
    for (int64_t t = 0; t < a->steps; t++, w += IMP_CONV_ROWS_BLOCK) {
        const float *p = x + off[t];
        __m512 v[NV_MAX];
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++)
            v[j] = masked ? _mm512_maskz_loadu_ps(mask[j], p + 16 * j)
                          : _mm512_loadu_ps(p + 16 * j);
#pragma GCC unroll 4
        for (int k = 0; k < mb; k++) {
            __m512 wk = _mm512_set1_ps(w[k]);
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++)
                acc[k][j] = _mm512_fmadd_ps(wk, v[j], acc[k][j]);
        }
    }
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++) {
            float *q = y + k * a->y_chan + 16 * j;
            if (masked)
                _mm512_mask_storeu_ps(q, mask[j], acc[k][j]);
            else
                _mm512_storeu_ps(q, acc[k][j]);
        }
    }
}

static inline __attribute__((always_inline)) void
row(const struct imp_conv_rows_args *a, const float *x, float *y, const int mb)
{
    const int64_t step = 16 * NV_MAX;
    int64_t ox = 0;
    for (; ox + step <= a->ow; ox += step)
        tile(a, x + ox, y + ox, mb, NV_MAX, false, NULL);
    int64_t rest = a->ow - ox;
    if (rest == 0)
        return;
    __mmask16 mask[NV_MAX];
    for (int j = 0; j < NV_MAX; j++) {
        int64_t lanes = rest - 16 * j;
        lanes = lanes < 0 ? 0 : lanes > 16 ? 16 : lanes;
        mask[j] = (__mmask16)((1u << lanes) - 1u);
    }
    switch ((rest + 15) / 16) {
    case 1: tile(a, x + ox, y + ox, mb, 1, true, mask); break;
    case 2: tile(a, x + ox, y + ox, mb, 2, true, mask); break;
    case 3: tile(a, x + ox, y + ox, mb, 3, true, mask); break;
    default: tile(a, x + ox, y + ox, mb, 4, true, mask); break;
    }
}

void imp_conv_rows__avx512(const struct imp_conv_rows_args *a)
{
    for (int64_t r = 0; r < a->rows; r++) {
        const float *x = a->x + r * a->x_row;
        float *y = a->y + r * a->ow;
        switch (a->mb) {
        case 1: row(a, x, y, 1); break;
        case 2: row(a, x, y, 2); break;
        case 3: row(a, x, y, 3); break;
        default: row(a, x, y, 4); break;
        }
    }
}

void imp_conv_split2__avx512(const float *src, int64_t n, float *even, float *odd)
{
    const __m512i even_idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                               22, 24, 26, 28, 30);
    const __m512i odd_idx = _mm512_add_epi32(even_idx, _mm512_set1_epi32(1));
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512 lo = _mm512_loadu_ps(src + 2 * j), hi = _mm512_loadu_ps(src + 2 * j + 16);
        _mm512_storeu_ps(even + j, _mm512_permutex2var_ps(lo, even_idx, hi));
        _mm512_storeu_ps(odd + j, _mm512_permutex2var_ps(lo, odd_idx, hi));
    }
    for (; j < n; j++) {
        even[j] = src[2 * j];
        odd[j] = src[2 * j + 1];
    }
}
