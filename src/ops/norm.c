/* Operators of the 'norm' family (see ops.def). */
#include "ops/op_util.h"

IMP_OP_UNIMPLEMENTED(INSTANCE_NORM);
IMP_OP_UNIMPLEMENTED(BATCH_NORM);
