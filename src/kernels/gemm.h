/*
 * Packed single-precision GEMM, the engine behind 1x1 and im2col
 * convolutions and Gemm/MatMul.
 *
 * C[M x N] = A[M x K] * B[K x N] (+ bias per row of C). A is packed once
 * (weights, at prepare time) into panels of `mr` rows, k-major; B is
 * packed per block into panels of `nr` columns, k-major. A microkernel
 * computes one mr x nr tile of C over the whole K from one A panel and
 * one B panel, so its inner loop is pure loads and FMAs.
 */
#ifndef IMP_GEMM_H
#define IMP_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "impasto.h"

/* c[i*ldc + j] = bias[i] (or 0) + sum_p a[p*mr + i] * b[p*nr + j]
 * for the full mr x nr tile; a and b are 64-byte aligned panels. */
typedef void (*imp_gemm_ukernel_fn)(size_t k, const float *a, const float *b,
                                    float *c, size_t ldc, const float *bias);

struct imp_gemm_ukernel {
    enum imp_isa isa;
    int mr, nr;
    imp_gemm_ukernel_fn run;
    const char *name;
};

/* The best microkernel whose ISA is within `cap` (and this CPU). */
const struct imp_gemm_ukernel *imp_gemm_ukernel_for(enum imp_isa cap);
/* All microkernels, for tests; NULL-terminated. */
const struct imp_gemm_ukernel *const *imp_gemm_ukernels_all(void);

/* Floats needed to pack A (M x K) for microkernel `uk`. */
size_t imp_gemm_packed_a_size(const struct imp_gemm_ukernel *uk, int m, int k);
/* Pack row-major A (lda floats per row) into mr-row panels; rows past M
 * are zero so edge tiles compute harmless zeros. */
void imp_gemm_pack_a(const struct imp_gemm_ukernel *uk, int m, int k,
                     const float *a, size_t lda, float *packed);
/* Pack columns [n0, n0 + n) of row-major B (ldb floats per row) into
 * nr-column panels; columns past the end are zero. */
void imp_gemm_pack_b(const struct imp_gemm_ukernel *uk, int k, int n0, int n,
                     const float *b, size_t ldb, float *packed);

/* C rows [0, M) x columns [n0, n0 + n) from packed A (all of M) and a
 * packed B block covering exactly those n columns. Edge tiles go through
 * a small stack tile, so C needs no padding. */
void imp_gemm_packed(const struct imp_gemm_ukernel *uk, int m, int n, int k,
                     const float *packed_a, const float *packed_b, float *c,
                     size_t ldc, const float *bias);

#endif
