/*
 * Register-blocked direct convolution, for the layers where im2col + GEMM
 * wastes its time copying: wide kernels with few channels (the 9x9 3->32
 * and 32->3 layers that open and close a style network) and strided 3x3
 * downsampling.
 *
 * One call computes `rows` output rows of a block of up to 4 output
 * channels. Each row is cut into tiles of a few SIMD vectors along the
 * width; a tile's accumulators (channels x vectors) stay in registers
 * while the kernel walks every input channel and tap, loading the input
 * run under the tile once per tap and broadcasting one weight per
 * channel. The input is addressed through a table of tap offsets, so the
 * caller can hand over the image itself (stride 1, no padding) or a
 * staged copy (padded, and split into column phases for a horizontal
 * stride, which makes every tap read unit-stride).
 */
#ifndef IMP_CONV_ROWS_H
#define IMP_CONV_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "impasto.h"

#define IMP_CONV_ROWS_BLOCK 4 /* output channels per packed weight block */

struct imp_conv_rows_args {
    /* Input under output (row 0, column 0). Step t of the sum (one input
     * channel and kernel tap) reads, for output column ox of row r,
     * x[r * x_row + tap_off[t] + ox]. */
    const float *x;
    ptrdiff_t x_row;
    const ptrdiff_t *tap_off; /* steps entries */
    int64_t steps;
    /* Packed weights of this block: [steps][IMP_CONV_ROWS_BLOCK], and
     * IMP_CONV_ROWS_BLOCK biases (zeros when the node has none). */
    const float *w, *bias;
    float *y; /* output channel m0, row 0 */
    ptrdiff_t y_chan;
    int64_t ow, rows;
    int mb; /* channels in this block, 1..IMP_CONV_ROWS_BLOCK */
    /* Add to y instead of starting from the bias: the caller splits the
     * input channels into chunks whose taps and input rows fit L1, and the
     * sums keep the same order as in one pass. */
    int accumulate;
};

typedef void (*imp_conv_rows_fn)(const struct imp_conv_rows_args *a);

void imp_conv_rows__scalar(const struct imp_conv_rows_args *a);
void imp_conv_rows__avx2(const struct imp_conv_rows_args *a);
void imp_conv_rows__avx512(const struct imp_conv_rows_args *a);

imp_conv_rows_fn imp_conv_rows_for(enum imp_isa cap);

/* Splits n pairs into their two phases: even[j] = src[2j], odd[j] =
 * src[2j + 1]; how stride-2 layers stage their input rows. */
typedef void (*imp_conv_split2_fn)(const float *src, int64_t n, float *even, float *odd);

void imp_conv_split2__scalar(const float *src, int64_t n, float *even, float *odd);
void imp_conv_split2__avx2(const float *src, int64_t n, float *even, float *odd);
void imp_conv_split2__avx512(const float *src, int64_t n, float *even, float *odd);

imp_conv_split2_fn imp_conv_split2_for(enum imp_isa cap);

#endif
