/* Operators of the 'pool' family (see ops.def). */
#include "ops/op_util.h"

IMP_OP_UNIMPLEMENTED(MAX_POOL);
IMP_OP_UNIMPLEMENTED(AVERAGE_POOL);
IMP_OP_UNIMPLEMENTED(GLOBAL_AVERAGE_POOL);
