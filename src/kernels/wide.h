/*
 * Kernels of the "wide" Conv engine (ops/conv/conv_winograd_wide.c): nested
 * Winograd F(3x3, 3x3) for kernels larger than 3x3.
 *
 * A K x K kernel is cut into a grid of 3x3 sub-kernels; each output tile
 * of 3x3 sums, over the grid, one F(3x3, 3x3) product of a sub-kernel
 * with a neighbouring transformed 5x5 input tile. Per transformed
 * position that is one GEMM whose B rows come from several V rows (one
 * per sub-kernel), so the microkernel takes a pointer per sub-kernel
 * instead of a packed B panel: the transformed input is never copied.
 *
 * Interpolation points 0, 1, -1, 2 and infinity; the transforms use only
 * the constants 1, 2, 3 and 4 (the weight side, with 1/2 and 1/6, is done
 * in double at prepare).
 */
#ifndef IMP_WIDE_H
#define IMP_WIDE_H

#include <stddef.h>

#include "impasto.h"

#define IMP_WIDE_POS 25 /* transformed positions per tile */

/* out[i * ldo + j] = sum over g < groups, ci < c of
 *     a[(g * c + ci) * mr + i] * b[g][ci * ldb + j]
 * for the full mr x nr tile; b rows need no alignment. */
typedef void (*imp_wide_gemm_fn)(size_t groups, size_t c, const float *a,
                                 const float *const *b, size_t ldb, float *out,
                                 size_t ldo);

/* Input transform of one channel over a row of n tiles. ph holds the 5
 * input rows under the tiles split into 3 column phases: input row r,
 * column 3q + s is ph[(r * 3 + s) * ldp + q], for q <= n (ldp > n).
 * tmp holds 15 * ldp floats. Writes position p of tile q to
 * v[p * pos_stride + q]. */
typedef void (*imp_wide_input_fn)(const float *ph, size_t ldp, float *tmp, float *v,
                                  size_t pos_stride, size_t n);

/* Output transform of nr tiles of one output channel: position p of tile
 * j is m[p * pos_stride + j]; writes output row r, column 3j + c of the
 * tiles, plus bias, to y[r * ldy + 3j + c]. */
typedef void (*imp_wide_output_fn)(const float *m, size_t pos_stride, float bias,
                                   float *y, size_t ldy, size_t nr);

/* p_s[q] = src[3q + s] for q < n, s < 3. */
typedef void (*imp_wide_split3_fn)(const float *src, size_t n, float *p0, float *p1,
                                   float *p2);

struct imp_wide_ukernel {
    enum imp_isa isa;
    int mr, nr;
    imp_wide_gemm_fn gemm;
    /* The same over nr_half tiles (a multiple of the vector width), for a
     * last strip that narrow; NULL when nr is one vector. */
    int nr_half;
    imp_wide_gemm_fn gemm_half;
    imp_wide_input_fn input;
    imp_wide_output_fn output;
    imp_wide_split3_fn split3;
    const char *name;
};

/* The best kernel within `cap` (and this CPU) for m output channels. */
const struct imp_wide_ukernel *imp_wide_ukernel_for(enum imp_isa cap, long long m);

#define IMP_WIDE_KERNELS(isa)                                                     \
    void imp_wide_gemm_4__##isa(size_t, size_t, const float *, const float *const *, \
                                size_t, float *, size_t);                         \
    void imp_wide_gemm_3__##isa(size_t, size_t, const float *, const float *const *, \
                                size_t, float *, size_t);                         \
    void imp_wide_gemm_4h__##isa(size_t, size_t, const float *, const float *const *, \
                                 size_t, float *, size_t);                        \
    void imp_wide_gemm_3h__##isa(size_t, size_t, const float *, const float *const *, \
                                 size_t, float *, size_t);                        \
    void imp_wide_input__##isa(const float *, size_t, float *, float *, size_t,   \
                               size_t);                                           \
    void imp_wide_output__##isa(const float *, size_t, float, float *, size_t, size_t); \
    void imp_wide_split3__##isa(const float *, size_t, float *, float *, float *);
IMP_WIDE_KERNELS(scalar)
IMP_WIDE_KERNELS(avx2)
IMP_WIDE_KERNELS(avx512)
#undef IMP_WIDE_KERNELS

#endif
