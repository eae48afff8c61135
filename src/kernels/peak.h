/* The machine's single-precision FMA peak, measured rather than assumed, so
 * benchmarks can say how close a kernel gets to the hardware. */
#ifndef IMP_PEAK_H
#define IMP_PEAK_H

#include <stdint.h>

/* Each runs `iters` iterations of independent FMA chains and returns the
 * floating-point operations done (2 per lane per FMA). */
int64_t imp_fma_burst__scalar(int64_t iters);
int64_t imp_fma_burst__avx2(int64_t iters);
int64_t imp_fma_burst__avx512(int64_t iters);

#endif
