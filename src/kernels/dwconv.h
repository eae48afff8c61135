/*
 * Kernels of the depthwise Conv engine (ops/conv_depthwise.c): one output
 * row of one channel at a time, every tap a unit-stride run of a staged
 * (zero-padded, phase-split) input plane, so one loop serves every kernel
 * size, stride and dilation.
 *
 * One template (dwconv.inc) is compiled per ISA with GCC vector types of
 * that ISA's width; dispatch picks the widest one within the cap.
 */
#ifndef IMP_DWCONV_H
#define IMP_DWCONV_H

#include <stddef.h>
#include <stdint.h>

#include "impasto.h"

struct imp_dwconv_kernels {
    enum imp_isa isa;
    const char *name;
    /* y[j] = bias + sum over t < taps of w[t] * base[off[t] + j], j < n,
     * summed in tap order with one rounding per tap (fused where the ISA
     * has FMA). */
    void (*row)(const float *base, const ptrdiff_t *off, const float *w, int64_t taps,
                float bias, float *y, int64_t n);
    /* Stages one input row of iw values for a stride of sw: padded column
     * pc (x[pc - pl] inside the row, 0 outside) goes to
     * dst[(pc % sw) * phase_len + pc / sw], for pc < sw * phase_len. */
    void (*stage)(const float *x, int64_t iw, int64_t pl, int64_t sw, int64_t phase_len,
                  float *dst);
};

/* The widest kernel set within `cap` and this CPU. */
const struct imp_dwconv_kernels *imp_dwconv_kernels_for(enum imp_isa cap);

#define IMP_DWCONV_DECLARE(sfx) extern const struct imp_dwconv_kernels imp_dwconv__##sfx;
IMP_DWCONV_DECLARE(scalar)
IMP_DWCONV_DECLARE(avx2)
IMP_DWCONV_DECLARE(avx512)
#undef IMP_DWCONV_DECLARE

#endif
