/* Operators of the 'reduce' family (see ops.def). */
#include "ops/op_util.h"

IMP_OP_UNIMPLEMENTED(SOFTMAX);
IMP_OP_UNIMPLEMENTED(REDUCE_MEAN);
