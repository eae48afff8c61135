/*
 * Transform kernels for the Winograd F(4x4, 3x3) convolution engine
 * (src/ops/conv/conv_winograd.c).
 *
 * Tiles are handled in groups of IMP_WINO_GROUP horizontally adjacent
 * tiles of one tile row: the group's input is a 6 x 34 patch and its
 * output a 4 x 32 patch, so a kernel reads and writes whole rows and never
 * needs bounds checks (the engine copies edge groups through a padded
 * patch). In the transformed domain a group occupies IMP_WINO_GROUP
 * consecutive columns of the GEMM operands. Which tile sits in which
 * column is the kernel's business (the x86 kernels use the order their
 * in-register transpose produces); the input and output kernels of one
 * ISA agree on it, and the GEMM treats columns independently.
 */
#ifndef IMP_WINOGRAD_H
#define IMP_WINOGRAD_H

#include <stddef.h>

#include "impasto.h"
#include "kernels/gemm.h"

#define IMP_WINO_GROUP 8   /* tiles per group                   */
#define IMP_WINO_PATCH_W 34 /* input patch width: 4 * 8 + 2     */
#define IMP_WINO_OUT_W 32   /* output patch width: 4 * 8         */

/* V = B^T d B for one group over n_ch channels. Channel c's patch starts at
 * x + c * plane (rows `ld` floats apart); transformed position p (0..35)
 * of channel c goes to v + p * pstride + c * cstride, 8 floats. */
typedef void (*imp_wino_input_fn)(const float *x, size_t ld, size_t plane, size_t n_ch,
                                  float *v, size_t cstride, size_t pstride);
/* Y = A^T m A + bias for one group and one output channel: position p
 * is read from m + p * pstride (8 floats); output row r (32 floats) goes
 * to y + r * ld. */
typedef void (*imp_wino_output_fn)(const float *m, size_t pstride, float bias, float *y,
                                   size_t ld);

struct imp_wino_kernels {
    enum imp_isa isa;
    imp_wino_input_fn input;
    imp_wino_output_fn output;
    /* A GEMM microkernel with few rows for layers with few output
     * channels, or NULL; its nr is a multiple of IMP_WINO_GROUP. */
    const struct imp_gemm_ukernel *gemm_narrow;
    const char *name;
};

/* The best kernels whose ISA is within `cap` (and this CPU). */
const struct imp_wino_kernels *imp_wino_kernels_for(enum imp_isa cap);

#endif
