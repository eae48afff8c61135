/* Operators of the 'resize' family (see ops.def). */
#include "ops/op_util.h"

IMP_OP_UNIMPLEMENTED(RESIZE);
IMP_OP_UNIMPLEMENTED(UPSAMPLE);
