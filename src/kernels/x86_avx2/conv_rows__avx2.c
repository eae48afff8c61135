/* Direct convolution tiles for AVX2 + FMA (see conv_rows.h). A tile is MB
 * channels x NV vectors of 8 columns: 4 x 3 or 3 x 4 keeps 12
 * accumulators and either the NV input vectors and one broadcast, or the
 * MB broadcasts and one input vector, in the 16 ymm registers. The last
 * tile of a row masks its loads and stores, so nothing past the row's
 * valid inputs is ever read. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "kernels/conv_rows.h"

#define NV_MAX 4

static inline __attribute__((always_inline)) void
tile(const struct imp_conv_rows_args *a, const float *x, float *y, const int mb,
     const int nv, const bool masked, const __m256i *mask, int lanes)
{
    /* In a masked tile only the last vector is partial (lanes valid
     * columns). Its outputs go through a small buffer: AVX2 masked stores
     * are microcoded on some CPUs and defeat store forwarding to the next
     * chunk's reload. */
#define PARTIAL(j) (masked && (j) == nv - 1)
    float part[8] = {0};
    __m256 acc[IMP_CONV_ROWS_BLOCK][NV_MAX];
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
        __m256 b = _mm256_broadcast_ss(a->bias + k);
        const float *q = y + k * a->y_chan;
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++)
            if (!a->accumulate) {
                acc[k][j] = b;
            } else if (PARTIAL(j)) {
                memcpy(part, q + 8 * j, sizeof(float) * (size_t)lanes);
                acc[k][j] = _mm256_loadu_ps(part);
            } else {
                acc[k][j] = _mm256_loadu_ps(q + 8 * j);
            }
    }
    const float *w = a->w;
    const ptrdiff_t *off = a->tap_off;
    for (int64_t t = 0; t < a->steps; t++, w += IMP_CONV_ROWS_BLOCK) {
        const float *p = x + off[t];
        if (mb * nv + mb + 1 <= 16) {
            /* Weights stay in registers; each input vector is loaded
             * into the one register left and used by every channel. */
            __m256 wk[IMP_CONV_ROWS_BLOCK];
#pragma GCC unroll 4
            for (int k = 0; k < mb; k++)
                wk[k] = _mm256_broadcast_ss(w + k);
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++) {
                __m256 v = PARTIAL(j) ? _mm256_maskload_ps(p + 8 * j, mask[j])
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
            v[j] = PARTIAL(j) ? _mm256_maskload_ps(p + 8 * j, mask[j])
                          : _mm256_loadu_ps(p + 8 * j);
#pragma GCC unroll 4
        for (int k = 0; k < mb; k++) {
            __m256 wk = _mm256_broadcast_ss(w + k);
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++)
                acc[k][j] = _mm256_fmadd_ps(wk, v[j], acc[k][j]);
        }
    }
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++) {
            float *q = y + k * a->y_chan + 8 * j;
            if (PARTIAL(j)) {
                _mm256_storeu_ps(part, acc[k][j]);
                memcpy(q, part, sizeof(float) * (size_t)lanes);
            } else {
                _mm256_storeu_ps(q, acc[k][j]);
            }
        }
    }
#undef PARTIAL
}

/* One tile of `width` vectors (1..NV_MAX), masked or not. */
static inline __attribute__((always_inline)) void
tile_n(const struct imp_conv_rows_args *a, const float *x, float *y, const int mb,
       int width, const bool masked, const __m256i *mask, int lanes)
{
    switch (width) {
    case 1: tile(a, x, y, mb, 1, masked, mask, lanes); break;
    case 2: tile(a, x, y, mb, 2, masked, mask, lanes); break;
    case 3: tile(a, x, y, mb, 3, masked, mask, lanes); break;
    default: tile(a, x, y, mb, 4, masked, mask, lanes); break;
    }
}

/* One row of MB channels. The row's vectors are spread evenly over as
 * few tiles of at most NV vectors as possible (a 128-wide row is 4 tiles
 * of 3 and 2 of 2, not 5 of 3 and a lone vector that would pay one
 * broadcast per FMA); the last tile masks a partial vector. */
static inline __attribute__((always_inline)) void
row(const struct imp_conv_rows_args *a, const float *x, float *y, const int mb,
    const int nv)
{
    const int64_t nvec = (a->ow + 7) / 8;
    const int64_t tiles = (nvec + nv - 1) / nv;
    const int64_t base = nvec / tiles, extra = nvec % tiles;
    const int64_t rest = a->ow % 8;
    int64_t ox = 0;
    for (int64_t i = 0; i < tiles; i++) {
        const int width = (int)(i < extra ? base + 1 : base);
        if (i + 1 < tiles || rest == 0) {
            tile_n(a, x + ox, y + ox, mb, width, false, NULL, 8);
        } else {
            __m256i mask[NV_MAX];
            const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            for (int j = 0; j < NV_MAX; j++)
                mask[j] = j < width - 1 ? _mm256_set1_epi32(-1)
                          : j == width - 1
                              ? _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rest), lane)
                              : _mm256_setzero_si256();
            tile_n(a, x + ox, y + ox, mb, width, true, mask, (int)rest);
        }
        ox += 8 * width;
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

void imp_conv_split2__avx2(const float *src, int64_t n, float *even, float *odd)
{
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 lo = _mm256_loadu_ps(src + 2 * j), hi = _mm256_loadu_ps(src + 2 * j + 8);
        /* per 128-bit lane: lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6; then fix
         * the order of the 64-bit quarters */
        __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
        __m256 o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
        e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xd8));
        o = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xd8));
        _mm256_storeu_ps(even + j, e);
        _mm256_storeu_ps(odd + j, o);
    }
    for (; j < n; j++) {
        even[j] = src[2 * j];
        odd[j] = src[2 * j + 1];
    }
}
