/*
 * Direct convolution by output rows, for layers with few output channels
 * (the 9x9 32->3 layer that ends every style network): im2col would copy
 * each input pixel kh*kw times to feed a GEMM with almost no rows.
 *
 * For a block of up to 4 output channels and one output row, every kernel
 * tap adds a scaled run of one input row to each channel's output row;
 * the input run is loaded once for all channels of the block. The body is
 * one template (conv_rows.inc) compiled per ISA, so the same C becomes
 * SSE2, AVX2 or AVX-512 code and dispatch picks at run time.
 */
#ifndef IMP_CONV_ROWS_H
#define IMP_CONV_ROWS_H

#include <stdint.h>

#include "impasto.h"

struct imp_conv_rows_args {
    const float *x;    /* one image [C, IH, IW]         */
    const float *w;    /* [M, C, KH, KW]                */
    const float *bias; /* [M] or NULL                   */
    float *y;          /* one image [M, OH, OW]         */
    int64_t c, ih, iw, m, kh, kw, oh, ow;
    int64_t pad_top, pad_left; /* stride 1, dilation 1 */
};

/* Output rows [row_begin, row_end) of channel block [m0, m0 + mb), mb <= 4. */
typedef void (*imp_conv_rows_fn)(const struct imp_conv_rows_args *a, int64_t m0,
                                 int mb, int64_t row_begin, int64_t row_end);

void imp_conv_rows__scalar(const struct imp_conv_rows_args *a, int64_t m0, int mb,
                           int64_t row_begin, int64_t row_end);
void imp_conv_rows__avx2(const struct imp_conv_rows_args *a, int64_t m0, int mb,
                         int64_t row_begin, int64_t row_end);
void imp_conv_rows__avx512(const struct imp_conv_rows_args *a, int64_t m0, int mb,
                           int64_t row_begin, int64_t row_end);

imp_conv_rows_fn imp_conv_rows_for(enum imp_isa cap);

#endif
