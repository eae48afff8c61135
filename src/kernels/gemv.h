/*
 * Matrix-vector products on unpacked row-major weights: the classifier
 * heads at batch 1 (Gemm) and the 1x1 convolutions of squeeze-and-
 * excitation blocks, whose pictures are a single pixel. There the GEMM
 * microkernels' nr columns would be all padding and the layer is one read
 * of its weights, so each output is a dot product streamed at memory
 * speed, row after row.
 *
 * One template (gemv.inc) is compiled per ISA with GCC vector types of
 * that ISA's width; dispatch picks the widest one within the cap.
 */
#ifndef IMP_GEMV_H
#define IMP_GEMV_H

#include <stdint.h>

#include "impasto.h"

struct imp_gemv_kernels {
    enum imp_isa isa;
    const char *name;
    /* y[r] = sum over p < k of x[p] * w[r * ldw + p], for r < rows; in
     * float, in an order of the kernel's own (vector partial sums). */
    void (*rows)(const float *x, const float *w, int64_t ldw, int64_t k, int64_t rows,
                 float *y);
};

/* The widest kernel set within `cap` and this CPU. */
const struct imp_gemv_kernels *imp_gemv_kernels_for(enum imp_isa cap);

#define IMP_GEMV_DECLARE(sfx) extern const struct imp_gemv_kernels imp_gemv__##sfx;
IMP_GEMV_DECLARE(scalar)
IMP_GEMV_DECLARE(avx2)
IMP_GEMV_DECLARE(avx512)
#undef IMP_GEMV_DECLARE

#endif
