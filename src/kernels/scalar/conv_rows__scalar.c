/* Direct convolution tiles in portable C (see conv_rows.h): the same walk
 * as the SIMD kernels over tiles of up to 8 columns, with the tile's
 * accumulators in a small array the compiler may keep in registers. */
#include "kernels/conv_rows.h"

#define TILE 8

void imp_conv_rows__scalar(const struct imp_conv_rows_args *a)
{
    const int mb = a->mb;
    for (int64_t r = 0; r < a->rows; r++) {
        const float *xr = a->x + r * a->x_row;
        float *yr = a->y + r * a->ow;
        for (int64_t ox = 0; ox < a->ow; ox += TILE) {
            const int n = a->ow - ox < TILE ? (int)(a->ow - ox) : TILE;
            float acc[IMP_CONV_ROWS_BLOCK][TILE];
            for (int k = 0; k < mb; k++)
                for (int i = 0; i < TILE; i++)
                    acc[k][i] = !a->accumulate ? a->bias[k]
                                : i < n        ? yr[k * a->y_chan + ox + i]
                                               : 0.0f;
            const float *w = a->w;
            for (int64_t t = 0; t < a->steps; t++, w += IMP_CONV_ROWS_BLOCK) {
                const float *p = xr + ox + a->tap_off[t];
                for (int k = 0; k < mb; k++)
                    for (int i = 0; i < n; i++)
                        acc[k][i] += w[k] * p[i];
            }
            for (int k = 0; k < mb; k++)
                for (int i = 0; i < n; i++)
                    yr[k * a->y_chan + ox + i] = acc[k][i];
        }
    }
}

void imp_conv_split2__scalar(const float *src, int64_t n, float *even, float *odd)
{
    for (int64_t j = 0; j < n; j++) {
        even[j] = src[2 * j];
        odd[j] = src[2 * j + 1];
    }
}
