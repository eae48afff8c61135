#include "kernels/dwconv.h"
#include "kernels/isa_select.h"

static const struct imp_dwconv_kernels *const by_level[IMP_ISA_LEVELS] =
    IMP_ISA_TABLE(&imp_dwconv);

const struct imp_dwconv_kernels *imp_dwconv_kernels_for(enum imp_isa cap)
{
    return by_level[imp_isa_usable(cap)];
}
