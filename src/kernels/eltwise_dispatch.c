#include "kernels/eltwise.h"
#include "kernels/isa_select.h"

static const struct imp_eltwise_kernels *const by_level[IMP_ISA_LEVELS] =
    IMP_ISA_TABLE(&imp_eltwise);

const struct imp_eltwise_kernels *imp_eltwise_kernels_for(enum imp_isa cap)
{
    return by_level[imp_isa_usable(cap)];
}
