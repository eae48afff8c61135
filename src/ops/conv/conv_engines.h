/* Fast Conv and ConvTranspose engines, each in its own file; conv.c and
 * conv_transpose.c list them before "ref". */
#ifndef IMP_CONV_ENGINES_H
#define IMP_CONV_ENGINES_H

#include "ops/op.h"

extern const struct imp_engine imp_conv_dw_blocked_engine; /* depthwise, small pictures */
extern const struct imp_engine imp_conv_depthwise_engine; /* group == C, M = C * k */
extern const struct imp_engine imp_conv_winograd_engine; /* 3x3 stride 1  */
/* Training (src/train): new weights [M, C, 3, 3] (same shapes; bias only
 * when the node has one) for a prepared winograd state, transformed in
 * place without allocating. */
void imp_conv_winograd_set_weights(void *state, const float *w, const float *bias);
extern const struct imp_engine imp_conv_wide_engine;     /* >3x3 stride 1: nested Winograd */
/* The same for a prepared wide state: w [M, C, kh, kw]. */
void imp_conv_wide_set_weights(void *state, const float *w, const float *bias);
extern const struct imp_engine imp_conv_direct_engine;   /* not 1x1, not grouped: tiles */
extern const struct imp_engine imp_conv_pointwise_engine; /* 1x1: GEMM on NCHW */
extern const struct imp_engine imp_conv_gemm_engine;     /* im2col + GEMM */
/* ConvTranspose: GEMM, then a scatter of the taps (col2im) */
extern const struct imp_engine imp_conv_transpose_gemm_engine;
extern const struct imp_engine imp_conv_transpose_phase_engine; /* per output phase */

#endif
