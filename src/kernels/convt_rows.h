/*
 * Row kernels for ConvTranspose split into output phases (see
 * ops/conv/conv_transpose_phase.c).
 *
 * One call computes one row q of every phase image: output rows
 * q*sy + ry, all output channels, every column phase rx interleaved into
 * place (output column qx*sx + rx). A row is cut into tiles of a few SIMD
 * vectors of q; for each tile the kernel walks the channel blocks and the
 * phases, so the input under the tile (every channel, the few rows and
 * columns the taps reach) is read from L1 by every block and phase while
 * the packed weights stream past. A tile's accumulators (channels x
 * vectors) stay in registers over all the input channels and taps of
 * one phase, each tap loading the input run under the tile once and
 * broadcasting one weight per channel. The sums run in the order of the
 * packed steps, whatever the tile, so results do not depend on how the
 * caller splits the work.
 */
#ifndef IMP_CONVT_ROWS_H
#define IMP_CONVT_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "impasto.h"

#define IMP_CONVT_BLOCK 4      /* output channels per packed weight block */
#define IMP_CONVT_MAX_STRIDE 4 /* per axis */
#define IMP_CONVT_MAX_PHASES (IMP_CONVT_MAX_STRIDE * IMP_CONVT_MAX_STRIDE)
/* A tile may read this many floats past the last column of the row that
 * it needs (whole vectors, stored only where valid): the caller keeps
 * that much readable memory after its staged input. */
#define IMP_CONVT_OVERREAD 64

struct imp_convt_rows_args {
    int sx, sy;
    /* Input under phase column 0. Step t of phase p = ry*sx + rx (one
     * input channel and kernel tap) reads, for phase column q,
     * x[tap_off[p][t] + q]. */
    const float *x;
    const ptrdiff_t *tap_off[IMP_CONVT_MAX_PHASES];
    int64_t steps[IMP_CONVT_MAX_PHASES];
    /* Packed weights of phase p: block b's [steps][IMP_CONVT_BLOCK] at
     * w[p] + b * w_block[p]; biases by block (zeros past m, or for a node
     * without bias). */
    const float *w[IMP_CONVT_MAX_PHASES];
    ptrdiff_t w_block[IMP_CONVT_MAX_PHASES];
    const float *bias;
    /* Add to y instead of starting from the bias: the caller splits the
     * input channels into chunks whose input under a tile fits L1, and
     * the sums keep the order of one pass. */
    int accumulate;
    int64_t qx[IMP_CONVT_MAX_STRIDE]; /* columns of each column phase */
    /* Output row q*sy + ry of channel 0, or NULL where that row is
     * outside the output; channel m is y[ry] + m * y_chan. */
    float *y[IMP_CONVT_MAX_STRIDE];
    ptrdiff_t y_chan;
    int64_t m; /* output channels */
};

typedef void (*imp_convt_rows_fn)(const struct imp_convt_rows_args *a);

void imp_convt_rows__scalar(const struct imp_convt_rows_args *a);
void imp_convt_rows__avx2(const struct imp_convt_rows_args *a);
void imp_convt_rows__avx512(const struct imp_convt_rows_args *a);

imp_convt_rows_fn imp_convt_rows_for(enum imp_isa cap);

#endif
