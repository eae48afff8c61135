#include "kernels/activation.h"
#include "kernels/isa_select.h"

static const struct imp_act_kernels *const by_level[IMP_ISA_LEVELS] = IMP_ISA_TABLE(&imp_act);

const struct imp_act_kernels *imp_act_kernels_for(enum imp_isa cap)
{
    return by_level[imp_isa_usable(cap)];
}
