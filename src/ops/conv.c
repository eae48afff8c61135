/* Operators of the 'conv' family (see ops.def). */
#include "ops/op_util.h"

IMP_OP_UNIMPLEMENTED(CONV);
IMP_OP_UNIMPLEMENTED(CONV_TRANSPOSE);
