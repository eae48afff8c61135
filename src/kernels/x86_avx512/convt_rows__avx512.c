/* ConvTranspose phase rows for AVX-512 (see convt_rows.h), mirroring the
 * AVX2 kernel with 16-column vectors: 4 channels x 4 vectors is 16
 * accumulators of the 32 zmm registers. Stride 2 interleaves its two
 * column phases with a two-source permute. */
#include <immintrin.h>
#include <stdbool.h>

#include "kernels/convt_rows.h"

#define NV_MAX 4
#define TILE_FLOATS (16 * NV_MAX)

static inline __attribute__((always_inline)) void
phase_tile(const float *x, const ptrdiff_t *off, int64_t steps, const float *w,
           const float *bias, float *tmp, const int mb, const int nv, const bool fetch,
           const bool accumulate)
{
    __m512 acc[IMP_CONVT_BLOCK][NV_MAX];
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
        const __m512 b = _mm512_set1_ps(bias[k]);
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++)
            acc[k][j] = accumulate ? _mm512_loadu_ps(tmp + k * TILE_FLOATS + 16 * j) : b;
    }
    for (int64_t t = 0; t < steps; t++, w += IMP_CONVT_BLOCK) {
        const float *p = x + off[t];
        if (fetch) {
            /* The next tile's input (at most 65 floats), into L1. */
#pragma GCC unroll 8
            for (int i = 0; i <= 16 * nv; i += 16)
                _mm_prefetch((const char *)(p + 16 * nv + i), _MM_HINT_T0);
        }
        __m512 v[NV_MAX];
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++)
            v[j] = _mm512_loadu_ps(p + 16 * j);
#pragma GCC unroll 4
        for (int k = 0; k < mb; k++) {
            const __m512 wk = _mm512_set1_ps(w[k]);
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++)
                acc[k][j] = _mm512_fmadd_ps(wk, v[j], acc[k][j]);
        }
    }
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++)
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++)
            _mm512_storeu_ps(tmp + k * TILE_FLOATS + 16 * j, acc[k][j]);
}

static inline __attribute__((always_inline)) void
read_tile(const struct imp_convt_rows_args *a, float (*tmp)[IMP_CONVT_BLOCK * TILE_FLOATS],
          const float *y, int64_t qa, const int mb, const int nv)
{
    const int sx = a->sx;
    const bool full = qa + 16 * nv <= a->qx[sx - 1];
    /* lanes 0, 2, 4... of the pair (lo, hi), and 1, 3, 5... */
    const __m512i even_idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22,
                                               24, 26, 28, 30);
    const __m512i odd_idx = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25,
                                              27, 29, 31);
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
        const float *src = y + k * a->y_chan;
        if (full && sx == 2) {
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++) {
                const __m512 lo = _mm512_loadu_ps(src + 2 * (qa + 16 * j));
                const __m512 hi = _mm512_loadu_ps(src + 2 * (qa + 16 * j) + 16);
                _mm512_storeu_ps(tmp[0] + k * TILE_FLOATS + 16 * j,
                                 _mm512_permutex2var_ps(lo, even_idx, hi));
                _mm512_storeu_ps(tmp[1] + k * TILE_FLOATS + 16 * j,
                                 _mm512_permutex2var_ps(lo, odd_idx, hi));
            }
        } else {
            for (int rx = 0; rx < sx; rx++) {
                int64_t n = a->qx[rx] - qa;
                n = n > 16 * nv ? 16 * nv : n;
                for (int64_t i = 0; i < n; i++)
                    tmp[rx][k * TILE_FLOATS + i] = src[(qa + i) * sx + rx];
            }
        }
    }
}

static inline __attribute__((always_inline)) void
write_tile(const struct imp_convt_rows_args *a,
           const float (*tmp)[IMP_CONVT_BLOCK * TILE_FLOATS], float *y, int64_t qa,
           const int mb, const int nv)
{
    const int sx = a->sx;
    const bool full = qa + 16 * nv <= a->qx[sx - 1];
    /* Output lane i of the low half takes e[i/2] (even i) or o[i/2]
     * (odd i); index 16 + j names o[j]. */
    const __m512i lo_idx = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6,
                                             22, 7, 23);
    const __m512i hi_idx = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29,
                                             14, 30, 15, 31);
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
        float *dst = y + k * a->y_chan;
        if (full && sx == 2) {
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++) {
                const __m512 e = _mm512_loadu_ps(tmp[0] + k * TILE_FLOATS + 16 * j);
                const __m512 o = _mm512_loadu_ps(tmp[1] + k * TILE_FLOATS + 16 * j);
                _mm512_storeu_ps(dst + 2 * (qa + 16 * j), _mm512_permutex2var_ps(e, lo_idx, o));
                _mm512_storeu_ps(dst + 2 * (qa + 16 * j) + 16,
                                 _mm512_permutex2var_ps(e, hi_idx, o));
            }
        } else if (full && sx == 1) {
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++)
                _mm512_storeu_ps(dst + qa + 16 * j,
                                 _mm512_loadu_ps(tmp[0] + k * TILE_FLOATS + 16 * j));
        } else {
            for (int rx = 0; rx < sx; rx++) {
                int64_t n = a->qx[rx] - qa;
                n = n > 16 * nv ? 16 * nv : n;
                for (int64_t i = 0; i < n; i++)
                    dst[(qa + i) * sx + rx] = tmp[rx][k * TILE_FLOATS + i];
            }
        }
    }
}

static inline __attribute__((always_inline)) void
tile(const struct imp_convt_rows_args *a, int64_t qa, int64_t blk, const int mb,
     const int nv)
{
    float tmp[IMP_CONVT_MAX_STRIDE][IMP_CONVT_BLOCK * TILE_FLOATS];
    const int64_t m0 = blk * IMP_CONVT_BLOCK;
    for (int ry = 0; ry < a->sy; ry++) {
        if (!a->y[ry])
            continue;
        /* The output lines this tile writes, on their way in while it
         * computes. */
        const int64_t span = 16 * nv * a->sx;
        for (int k = 0; k < mb; k++) {
            const float *dst = a->y[ry] + (m0 + k) * a->y_chan + qa * a->sx;
            for (int64_t i = 0; i < span; i += 16)
                _mm_prefetch((const char *)(dst + i), _MM_HINT_T0);
            _mm_prefetch((const char *)(dst + span - 1), _MM_HINT_T0);
        }
        if (a->accumulate)
            read_tile(a, tmp, a->y[ry] + m0 * a->y_chan, qa, mb, nv);
        for (int rx = 0; rx < a->sx; rx++) {
            const int p = ry * a->sx + rx;
            if (qa >= a->qx[rx])
                continue;
            const float *w = a->w[p] + blk * a->w_block[p];
            if (blk == 0 && a->accumulate)
                phase_tile(a->x + qa, a->tap_off[p], a->steps[p], w, a->bias, tmp[rx], mb,
                           nv, true, true);
            else if (blk == 0)
                phase_tile(a->x + qa, a->tap_off[p], a->steps[p], w, a->bias, tmp[rx], mb,
                           nv, true, false);
            else if (a->accumulate)
                phase_tile(a->x + qa, a->tap_off[p], a->steps[p], w, a->bias + m0, tmp[rx],
                           mb, nv, false, true);
            else
                phase_tile(a->x + qa, a->tap_off[p], a->steps[p], w, a->bias + m0, tmp[rx],
                           mb, nv, false, false);
        }
        write_tile(a, (const float(*)[IMP_CONVT_BLOCK * TILE_FLOATS])tmp,
                   a->y[ry] + m0 * a->y_chan, qa, mb, nv);
    }
}

static inline __attribute__((always_inline)) void
tile_mb(const struct imp_convt_rows_args *a, int64_t qa, int64_t blk, int mb, const int nv)
{
    switch (mb) {
    case 1: tile(a, qa, blk, 1, nv); break;
    case 2: tile(a, qa, blk, 2, nv); break;
    case 3: tile(a, qa, blk, 3, nv); break;
    default: tile(a, qa, blk, 4, nv); break;
    }
}

void imp_convt_rows__avx512(const struct imp_convt_rows_args *a)
{
    const int64_t blocks = (a->m + IMP_CONVT_BLOCK - 1) / IMP_CONVT_BLOCK;
    const int64_t nvec = (a->qx[0] + 15) / 16;
    const int64_t tiles = (nvec + NV_MAX - 1) / NV_MAX;
    const int64_t base = tiles ? nvec / tiles : 0, extra = tiles ? nvec % tiles : 0;
    int64_t qa = 0;
    for (int64_t i = 0; i < tiles; i++) {
        const int width = (int)(i < extra ? base + 1 : base);
        for (int64_t blk = 0; blk < blocks; blk++) {
            const int mb = a->m - blk * IMP_CONVT_BLOCK < IMP_CONVT_BLOCK
                               ? (int)(a->m - blk * IMP_CONVT_BLOCK)
                               : IMP_CONVT_BLOCK;
            switch (width) {
            case 1: tile_mb(a, qa, blk, mb, 1); break;
            case 2: tile_mb(a, qa, blk, mb, 2); break;
            case 3: tile_mb(a, qa, blk, mb, 3); break;
            default: tile_mb(a, qa, blk, mb, 4); break;
            }
        }
        qa += 16 * width;
    }
}
