/* Operators of the 'matmul' family (see ops.def). */
#include "ops/op_util.h"

IMP_OP_UNIMPLEMENTED(GEMM);
IMP_OP_UNIMPLEMENTED(MATMUL);
