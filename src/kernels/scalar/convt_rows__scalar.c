/* ConvTranspose phase rows in portable C (see convt_rows.h): the same
 * walk as the SIMD kernels over tiles of 8 phase columns, the tile's
 * accumulators in a small array the compiler may keep in registers. */
#include "kernels/convt_rows.h"

#define TILE 8

void imp_convt_rows__scalar(const struct imp_convt_rows_args *a)
{
    const int sx = a->sx, sy = a->sy;
    const int64_t blocks = (a->m + IMP_CONVT_BLOCK - 1) / IMP_CONVT_BLOCK;
    for (int64_t qa = 0; qa < a->qx[0]; qa += TILE) {
        for (int64_t blk = 0; blk < blocks; blk++) {
            const int64_t m0 = blk * IMP_CONVT_BLOCK;
            const int mb = a->m - m0 < IMP_CONVT_BLOCK ? (int)(a->m - m0) : IMP_CONVT_BLOCK;
            for (int ry = 0; ry < sy; ry++) {
                if (!a->y[ry])
                    continue;
                for (int rx = 0; rx < sx; rx++) {
                    const int p = ry * sx + rx;
                    const int64_t left = a->qx[rx] - qa;
                    const int n = left < TILE ? (int)left : TILE;
                    if (n <= 0)
                        continue;
                    float acc[IMP_CONVT_BLOCK][TILE];
                    for (int k = 0; k < mb; k++) {
                        const float *y = a->y[ry] + (m0 + k) * a->y_chan + qa * sx + rx;
                        for (int i = 0; i < TILE; i++)
                            acc[k][i] = !a->accumulate ? a->bias[m0 + k]
                                        : i < n        ? y[i * sx]
                                                       : 0.0f;
                    }
                    const float *w = a->w[p] + blk * a->w_block[p];
                    for (int64_t t = 0; t < a->steps[p]; t++, w += IMP_CONVT_BLOCK) {
                        const float *x = a->x + a->tap_off[p][t] + qa;
                        for (int k = 0; k < mb; k++)
                            for (int i = 0; i < n; i++)
                                acc[k][i] += w[k] * x[i];
                    }
                    for (int k = 0; k < mb; k++) {
                        float *y = a->y[ry] + (m0 + k) * a->y_chan + qa * sx + rx;
                        for (int i = 0; i < n; i++)
                            y[i * sx] = acc[k][i];
                    }
                }
            }
        }
    }
}
