/* Portable Winograd transforms: tile j of a group sits in column j. The
 * loops run over the 8 tiles innermost so the compiler can vectorise them
 * with whatever the baseline offers. */
#include <stddef.h>

#include "kernels/winograd.h"

#define G IMP_WINO_GROUP

void imp_wino_input__scalar(const float *x, size_t ld, size_t plane, size_t n_ch, float *v,
                            size_t cstride, size_t pstride)
{
    for (size_t c = 0; c < n_ch; c++) {
        const float *src = x + c * plane;
        float h[6][6][G]; /* d B: columns combined, per input row */
        for (int r = 0; r < 6; r++) {
            const float *s = src + (size_t)r * ld;
            for (int j = 0; j < G; j++) {
                float x0 = s[4 * j], x1 = s[4 * j + 1], x2 = s[4 * j + 2];
                float x3 = s[4 * j + 3], x4 = s[4 * j + 4], x5 = s[4 * j + 5];
                h[r][0][j] = 4 * x0 - 5 * x2 + x4;
                h[r][1][j] = -4 * x1 - 4 * x2 + x3 + x4;
                h[r][2][j] = 4 * x1 - 4 * x2 - x3 + x4;
                h[r][3][j] = -2 * x1 - x2 + 2 * x3 + x4;
                h[r][4][j] = 2 * x1 - x2 - 2 * x3 + x4;
                h[r][5][j] = 4 * x1 - 5 * x3 + x5;
            }
        }
        float *dst = v + c * cstride;
        for (int k = 0; k < 6; k++) {
            for (int j = 0; j < G; j++) {
                float t0 = h[0][k][j], t1 = h[1][k][j], t2 = h[2][k][j];
                float t3 = h[3][k][j], t4 = h[4][k][j], t5 = h[5][k][j];
                dst[(size_t)(0 * 6 + k) * pstride + (size_t)j] = 4 * t0 - 5 * t2 + t4;
                dst[(size_t)(1 * 6 + k) * pstride + (size_t)j] = -4 * t1 - 4 * t2 + t3 + t4;
                dst[(size_t)(2 * 6 + k) * pstride + (size_t)j] = 4 * t1 - 4 * t2 - t3 + t4;
                dst[(size_t)(3 * 6 + k) * pstride + (size_t)j] = -2 * t1 - t2 + 2 * t3 + t4;
                dst[(size_t)(4 * 6 + k) * pstride + (size_t)j] = 2 * t1 - t2 - 2 * t3 + t4;
                dst[(size_t)(5 * 6 + k) * pstride + (size_t)j] = 4 * t1 - 5 * t3 + t5;
            }
        }
    }
}

void imp_wino_output__scalar(const float *m, size_t pstride, float bias, float *y, size_t ld)
{
    float t[4][6][G]; /* A^T m: rows combined, per transformed column */
    for (int k = 0; k < 6; k++) {
        for (int j = 0; j < G; j++) {
            float m0 = m[(size_t)(0 * 6 + k) * pstride + (size_t)j];
            float m1 = m[(size_t)(1 * 6 + k) * pstride + (size_t)j];
            float m2 = m[(size_t)(2 * 6 + k) * pstride + (size_t)j];
            float m3 = m[(size_t)(3 * 6 + k) * pstride + (size_t)j];
            float m4 = m[(size_t)(4 * 6 + k) * pstride + (size_t)j];
            float m5 = m[(size_t)(5 * 6 + k) * pstride + (size_t)j];
            t[0][k][j] = m0 + m1 + m2 + m3 + m4;
            t[1][k][j] = m1 - m2 + 2 * (m3 - m4);
            t[2][k][j] = m1 + m2 + 4 * (m3 + m4);
            t[3][k][j] = m1 - m2 + 8 * (m3 - m4) + m5;
        }
    }
    for (int r = 0; r < 4; r++) {
        float *o = y + (size_t)r * ld;
        for (int j = 0; j < G; j++) {
            float t0 = t[r][0][j], t1 = t[r][1][j], t2 = t[r][2][j];
            float t3 = t[r][3][j], t4 = t[r][4][j], t5 = t[r][5][j];
            o[4 * j + 0] = bias + (t0 + t1 + t2 + t3 + t4);
            o[4 * j + 1] = bias + (t1 - t2 + 2 * (t3 - t4));
            o[4 * j + 2] = bias + (t1 + t2 + 4 * (t3 + t4));
            o[4 * j + 3] = bias + (t1 - t2 + 8 * (t3 - t4) + t5);
        }
    }
}
