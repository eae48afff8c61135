/* Direct convolution tiles for AVX2 + FMA (see conv_rows.h). A tile is MB
 * channels x NV vectors of 8 columns: 4 x 3 or 3 x 4 keeps 12
 * accumulators and either the NV input vectors and one broadcast, or the
 * MB broadcasts and one input vector, in the 16 ymm registers. The last
 * tile of a row masks its loads and stores, so nothing past the row's
 * valid inputs is ever read. */
#include <immintrin.h>
#include <stdbool.h>

#include "kernels/conv_rows.h"

#define NV_MAX 4

static inline __attribute__((always_inline)) void
tile(const struct imp_conv_rows_args *a, const float *x, float *y, const int mb,
     const int nv, const bool masked, const __m256i *mask)
{
    __m256 acc[IMP_CONV_ROWS_BLOCK][NV_MAX];
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
        __m256 b = _mm256_broadcast_ss(a->bias + k);
        const float *q = y + k * a->y_chan;
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++)
            acc[k][j] = !a->accumulate ? b
                        : masked      ? _mm256_maskload_ps(q + 8 * j, mask[j])
                                      : _mm256_loadu_ps(q + 8 * j);
    }
    const float *w = a->w;
    const ptrdiff_t *off = a->tap_off;
    for (int64_t c = 0; c < a->c; c++) {
        const float *xc = x + c * a->x_chan;
        for (int64_t t = 0; t < a->taps; t++, w += IMP_CONV_ROWS_BLOCK) {
            const float *p = xc + off[t];
            if (mb * nv + mb + 1 <= 16) {
                /* Weights stay in registers; each input vector is loaded
                 * into the one register left and used by every channel. */
                __m256 wk[IMP_CONV_ROWS_BLOCK];
#pragma GCC unroll 4
                for (int k = 0; k < mb; k++)
                    wk[k] = _mm256_broadcast_ss(w + k);
#pragma GCC unroll 4
                for (int j = 0; j < nv; j++) {
                    __m256 v = masked ? _mm256_maskload_ps(p + 8 * j, mask[j])
                                      : _mm256_loadu_ps(p + 8 * j);
#pragma GCC unroll 4
                    for (int k = 0; k < mb; k++)
                        acc[k][j] = _mm256_fmadd_ps(wk[k], v, acc[k][j]);
                }
                continue;
            }
            /* Inputs stay in registers; weights are broadcast one by one. */
            __m256 v[NV_MAX];
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++)
                v[j] = masked ? _mm256_maskload_ps(p + 8 * j, mask[j])
                              : _mm256_loadu_ps(p + 8 * j);
#pragma GCC unroll 4
            for (int k = 0; k < mb; k++) {
                __m256 wk = _mm256_broadcast_ss(w + k);
#pragma GCC unroll 4
                for (int j = 0; j < nv; j++)
                    acc[k][j] = _mm256_fmadd_ps(wk, v[j], acc[k][j]);
            }
        }
    }
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++) {
            float *q = y + k * a->y_chan + 8 * j;
            if (masked)
                _mm256_maskstore_ps(q, mask[j], acc[k][j]);
            else
                _mm256_storeu_ps(q, acc[k][j]);
        }
    }
}

/* One row of MB channels: full tiles of NV vectors, then one masked tile. */
static inline __attribute__((always_inline)) void
row(const struct imp_conv_rows_args *a, const float *x, float *y, const int mb,
    const int nv)
{
    const int64_t step = 8 * nv;
    int64_t ox = 0;
    for (; ox + step <= a->ow; ox += step)
        tile(a, x + ox, y + ox, mb, nv, false, NULL);
    int64_t rest = a->ow - ox;
    if (rest == 0)
        return;
    __m256i mask[NV_MAX];
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int j = 0; j < NV_MAX; j++)
        mask[j] = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(rest - 8 * j)), lane);
    switch ((rest + 7) / 8) {
    case 1: tile(a, x + ox, y + ox, mb, 1, true, mask); break;
    case 2: tile(a, x + ox, y + ox, mb, 2, true, mask); break;
    case 3: tile(a, x + ox, y + ox, mb, 3, true, mask); break;
    default: tile(a, x + ox, y + ox, mb, nv < 4 ? nv : 4, true, mask); break;
    }
}

void imp_conv_rows__avx2(const struct imp_conv_rows_args *a)
{
    for (int64_t r = 0; r < a->rows; r++) {
        const float *x = a->x + r * a->x_row;
        float *y = a->y + r * a->ow;
        switch (a->mb) {
        case 1: row(a, x, y, 1, 4); break;
        case 2: row(a, x, y, 2, 4); break;
        case 3: row(a, x, y, 3, 4); break;
        default: row(a, x, y, 4, 3); break;
        }
    }
}
