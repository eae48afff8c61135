/* ConvTranspose phase rows for AVX2 + FMA (see convt_rows.h). A tile is
 * up to 4 channels x 3 vectors of 8 phase columns: 12 accumulators, with
 * the 3 input vectors and one broadcast (or, for narrower tiles, the
 * broadcast weights) in the other 4 of the 16 ymm registers. Each phase
 * of a tile lands in a small buffer; the tile is then written out with
 * its column phases interleaved (in registers for stride 2). Tiles read
 * whole vectors past the row's last valid column (IMP_CONVT_OVERREAD)
 * and never store them. */
#include <immintrin.h>
#include <stdbool.h>

#include "kernels/convt_rows.h"

#define NV_MAX 3
#define TILE_FLOATS (8 * NV_MAX)

/* bias (or, accumulating, what tmp holds) + the sum over the steps of
 * one phase, for mb channels x nv vectors, into tmp[k * TILE_FLOATS +
 * column]. */
static inline __attribute__((always_inline)) void
phase_tile(const float *x, const ptrdiff_t *off, int64_t steps, const float *w,
           const float *bias, float *tmp, const int mb, const int nv, const bool fetch,
           const bool accumulate, const bool out2, float *y, ptrdiff_t y_chan,
           const float *even)
{
    __m256 acc[IMP_CONVT_BLOCK][NV_MAX];
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
        const __m256 b = _mm256_broadcast_ss(bias + k);
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++)
            acc[k][j] = accumulate ? _mm256_loadu_ps(tmp + k * TILE_FLOATS + 8 * j) : b;
    }
#pragma GCC unroll 2
    for (int64_t t = 0; t < steps; t++, w += IMP_CONVT_BLOCK) {
        const float *p = x + off[t];
        if (fetch) {
            /* The next tile's input, from L2 into L1, while this one
             * computes: points 12 floats apart touch every line of its
             * (at most 24-float) run of this tap. */
            _mm_prefetch((const char *)(p + 8 * nv), _MM_HINT_T0);
            _mm_prefetch((const char *)(p + 8 * nv + 12), _MM_HINT_T0);
            _mm_prefetch((const char *)(p + 8 * nv + 24), _MM_HINT_T0);
        }
        if (mb * nv + mb + 1 <= 16) {
            /* Weights stay in registers; each input vector is loaded
             * into the one register left and used by every channel. */
            __m256 wk[IMP_CONVT_BLOCK];
#pragma GCC unroll 4
            for (int k = 0; k < mb; k++)
                wk[k] = _mm256_broadcast_ss(w + k);
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++) {
                const __m256 v = _mm256_loadu_ps(p + 8 * j);
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
            v[j] = _mm256_loadu_ps(p + 8 * j);
#pragma GCC unroll 4
        for (int k = 0; k < mb; k++) {
            const __m256 wk = _mm256_broadcast_ss(w + k);
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++)
                acc[k][j] = _mm256_fmadd_ps(wk, v[j], acc[k][j]);
        }
    }
    if (out2) {
        /* The odd column phase of a whole stride-2 tile: interleaved with
         * the even one (in `even`) straight from the registers. */
#pragma GCC unroll 4
        for (int k = 0; k < mb; k++)
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++) {
                const __m256 e = _mm256_loadu_ps(even + k * TILE_FLOATS + 8 * j);
                /* per 128-bit lane: e0 o0 e1 o1 | e4 o4 e5 o5, and the
                 * high halves; then put the lanes in order */
                const __m256 lo = _mm256_unpacklo_ps(e, acc[k][j]);
                const __m256 hi = _mm256_unpackhi_ps(e, acc[k][j]);
                float *dst = y + k * y_chan + 16 * j;
                _mm256_storeu_ps(dst, _mm256_permute2f128_ps(lo, hi, 0x20));
                _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
            }
        return;
    }
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++)
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++)
            _mm256_storeu_ps(tmp + k * TILE_FLOATS + 8 * j, acc[k][j]);
}

/* phase_tile with its flags as constants, one copy per combination. */
static inline __attribute__((always_inline)) void
phase_tile_as(const float *x, const ptrdiff_t *off, int64_t steps, const float *w,
              const float *bias, float *tmp, const int mb, const int nv, bool fetch,
              bool accumulate, bool out2, float *y, ptrdiff_t y_chan, const float *even)
{
#define PHASE_TILE(f, acc, o)                                                              \
    phase_tile(x, off, steps, w, bias, tmp, mb, nv, f, acc, o, y, y_chan, even)
    if (fetch) {
        if (accumulate) {
            if (out2) PHASE_TILE(true, true, true); else PHASE_TILE(true, true, false);
        } else {
            if (out2) PHASE_TILE(true, false, true); else PHASE_TILE(true, false, false);
        }
    } else {
        if (accumulate) {
            if (out2) PHASE_TILE(false, true, true); else PHASE_TILE(false, true, false);
        } else {
            if (out2) PHASE_TILE(false, false, true); else PHASE_TILE(false, false, false);
        }
    }
#undef PHASE_TILE
}

/* Reads the phases of one output row's tile into tmp[rx]: the partial
 * sums of the earlier channel chunks. */
static inline __attribute__((always_inline)) void
read_tile(const struct imp_convt_rows_args *a, float (*tmp)[IMP_CONVT_BLOCK * TILE_FLOATS],
          const float *y, int64_t qa, const int mb, const int nv)
{
    const int sx = a->sx;
    const bool full = qa + 8 * nv <= a->qx[sx - 1];
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
        const float *src = y + k * a->y_chan;
        if (full && sx == 2) {
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++) {
                const __m256 lo = _mm256_loadu_ps(src + 2 * (qa + 8 * j));
                const __m256 hi = _mm256_loadu_ps(src + 2 * (qa + 8 * j) + 8);
                /* per 128-bit lane: lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6;
                 * then fix the order of the 64-bit quarters */
                __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
                __m256 o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
                e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xd8));
                o = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xd8));
                _mm256_storeu_ps(tmp[0] + k * TILE_FLOATS + 8 * j, e);
                _mm256_storeu_ps(tmp[1] + k * TILE_FLOATS + 8 * j, o);
            }
        } else {
            for (int rx = 0; rx < sx; rx++) {
                int64_t n = a->qx[rx] - qa;
                n = n > 8 * nv ? 8 * nv : n;
                for (int64_t i = 0; i < n; i++)
                    tmp[rx][k * TILE_FLOATS + i] = src[(qa + i) * sx + rx];
            }
        }
    }
}

/* Writes the phases of one output row's tile from tmp[rx] into place. */
static inline __attribute__((always_inline)) void
write_tile(const struct imp_convt_rows_args *a, const float (*tmp)[IMP_CONVT_BLOCK * TILE_FLOATS],
           float *y, int64_t qa, const int mb, const int nv)
{
    const int sx = a->sx;
    const bool full = qa + 8 * nv <= a->qx[sx - 1];
#pragma GCC unroll 4
    for (int k = 0; k < mb; k++) {
        float *dst = y + k * a->y_chan;
        if (full && sx == 2) {
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++) {
                const __m256 e = _mm256_loadu_ps(tmp[0] + k * TILE_FLOATS + 8 * j);
                const __m256 o = _mm256_loadu_ps(tmp[1] + k * TILE_FLOATS + 8 * j);
                /* per 128-bit lane: e0 o0 e1 o1 | e4 o4 e5 o5, and the
                 * high halves; then put the lanes in order */
                const __m256 lo = _mm256_unpacklo_ps(e, o), hi = _mm256_unpackhi_ps(e, o);
                _mm256_storeu_ps(dst + 2 * (qa + 8 * j), _mm256_permute2f128_ps(lo, hi, 0x20));
                _mm256_storeu_ps(dst + 2 * (qa + 8 * j) + 8,
                                 _mm256_permute2f128_ps(lo, hi, 0x31));
            }
        } else if (full && sx == 1) {
#pragma GCC unroll 4
            for (int j = 0; j < nv; j++)
                _mm256_storeu_ps(dst + qa + 8 * j,
                                 _mm256_loadu_ps(tmp[0] + k * TILE_FLOATS + 8 * j));
        } else {
            for (int rx = 0; rx < sx; rx++) {
                int64_t n = a->qx[rx] - qa;
                n = n > 8 * nv ? 8 * nv : n;
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
         * computes (a store to a line not in cache waits for it). */
        const int64_t span = 8 * nv * a->sx;
        for (int k = 0; k < mb; k++) {
            const float *dst = a->y[ry] + (m0 + k) * a->y_chan + qa * a->sx;
            for (int64_t i = 0; i < span; i += 16)
                _mm_prefetch((const char *)(dst + i), _MM_HINT_T0);
            _mm_prefetch((const char *)(dst + span - 1), _MM_HINT_T0);
        }
        if (a->accumulate)
            read_tile(a, tmp, a->y[ry] + m0 * a->y_chan, qa, mb, nv);
        /* A whole stride-2 tile stores its odd phase as it finishes. */
        const bool full2 = a->sx == 2 && qa + 8 * nv <= a->qx[1];
        float *y = a->y[ry] + m0 * a->y_chan;
        for (int rx = 0; rx < a->sx; rx++) {
            const int p = ry * a->sx + rx;
            if (qa >= a->qx[rx])
                continue;
            phase_tile_as(a->x + qa, a->tap_off[p], a->steps[p],
                          a->w[p] + blk * a->w_block[p], a->bias + m0, tmp[rx], mb, nv,
                          blk == 0, a->accumulate, full2 && rx == 1, y + 2 * qa, a->y_chan,
                          tmp[0]);
        }
        if (!full2)
            write_tile(a, (const float(*)[IMP_CONVT_BLOCK * TILE_FLOATS])tmp, y, qa, mb,
                       nv);
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

/* The row's vectors are spread evenly over as few tiles of at most
 * NV_MAX vectors as possible (16 vectors are 4 tiles of 3 and 2 of 2,
 * not 5 of 3 and a lone vector). */
void imp_convt_rows__avx2(const struct imp_convt_rows_args *a)
{
    const int64_t blocks = (a->m + IMP_CONVT_BLOCK - 1) / IMP_CONVT_BLOCK;
    const int64_t nvec = (a->qx[0] + 7) / 8;
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
            default: tile_mb(a, qa, blk, mb, 3); break;
            }
        }
        qa += 8 * width;
    }
}
