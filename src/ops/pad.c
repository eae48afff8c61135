/* Operators of the 'pad' family (see ops.def). */
#include "ops/op_util.h"

IMP_OP_UNIMPLEMENTED(PAD);
