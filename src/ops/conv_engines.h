/* Fast Conv engines, each in its own file; conv.c lists them before "ref". */
#ifndef IMP_CONV_ENGINES_H
#define IMP_CONV_ENGINES_H

#include "ops/op.h"

extern const struct imp_engine imp_conv_winograd_engine; /* 3x3 stride 1  */
extern const struct imp_engine imp_conv_direct_engine;   /* few outputs   */
extern const struct imp_engine imp_conv_gemm_engine;     /* im2col + GEMM */

#endif
