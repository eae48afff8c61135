/*
 * Kernels of the depthwise Conv engine (ops/conv/conv_depthwise.c): one output
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
    int vf; /* floats per vector: the channels of one `blocked` call */
    /* For r < rows and j < n: y[r * ystride + j] = bias + sum over
     * t < taps of w[t] * base[r * bstride + off[t] + j], summed in tap
     * order with one rounding per tap (fused where the ISA has FMA). */
    void (*rows)(const float *base, ptrdiff_t bstride, const ptrdiff_t *off, const float *w,
                 int64_t taps, float bias, float *y, ptrdiff_t ystride, int64_t n,
                 int64_t rows);
    /* Stages input rows ih0 .. ih0 + rows - 1 of an ih x iw plane x for a
     * stride of sw (1 to 16), each into sw * phase_len floats of dst (row r at
     * dst + r * sw * phase_len): padded column pc (x[i][pc - pl] inside
     * the plane, 0 outside it, rows outside included) goes to
     * (pc % sw) * phase_len + pc / sw. */
    void (*stage)(const float *x, int64_t ih, int64_t iw, int64_t ih0, int64_t rows,
                  int64_t pl, int64_t sw, int64_t phase_len, float *dst);
    /* Channels-last, for small pictures (ops/conv/conv_dw_blocked.c): tile
     * holds a zero-padded picture of vf channels, pixel by pixel, vf
     * floats each. For oy < oh, ox < ow and lane l < vf:
     * out[(oy * ow + ox) * vf + l] = bias[l] + sum over t < taps of
     * w[t * vf + l] * tile[oy * row_step + ox * col_step + off[t] + l],
     * summed in tap order with one rounding per tap like `rows`. Offsets
     * and steps count floats. */
    void (*blocked)(const float *tile, ptrdiff_t row_step, ptrdiff_t col_step,
                    const ptrdiff_t *off, const float *w, int64_t taps, const float *bias,
                    int64_t oh, int64_t ow, float *out);
    /* The copies around `blocked`, vf pixels of vf channels at a time
     * transposed in registers (a plane taken as one run of pixels, so
     * that narrow rows do not make every step a partial one). to_tile:
     * for l < lanes (<= vf), i < h, j < w, tile[(i * tile_w + j) * vf + l]
     * = x[l * plane + i * w + j], and 0 for lanes from `lanes` to vf; the
     * rest of the tile is left alone. from_tile: for l < lanes and
     * p < n, y[l * plane + p] = out[p * vf + l]. */
    void (*to_tile)(const float *x, ptrdiff_t plane, int64_t lanes, int64_t h, int64_t w,
                    float *tile, ptrdiff_t tile_w);
    void (*from_tile)(const float *out, int64_t n, int64_t lanes, float *y, ptrdiff_t plane);
};

/* The widest kernel set within `cap` and this CPU. */
const struct imp_dwconv_kernels *imp_dwconv_kernels_for(enum imp_isa cap);

#define IMP_DWCONV_DECLARE(sfx) extern const struct imp_dwconv_kernels imp_dwconv__##sfx;
IMP_DWCONV_DECLARE(scalar)
IMP_DWCONV_DECLARE(avx2)
IMP_DWCONV_DECLARE(avx512)
#undef IMP_DWCONV_DECLARE

#endif
