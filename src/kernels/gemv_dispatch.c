#include "kernels/gemv.h"
#include "kernels/isa_select.h"

static const struct imp_gemv_kernels *const by_level[IMP_ISA_LEVELS] = IMP_ISA_TABLE(&imp_gemv);

const struct imp_gemv_kernels *imp_gemv_kernels_for(enum imp_isa cap)
{
    return by_level[imp_isa_usable(cap)];
}
