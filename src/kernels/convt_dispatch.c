#include "kernels/convt_rows.h"
#include "kernels/isa_select.h"

static const imp_convt_rows_fn by_level[IMP_ISA_LEVELS] = IMP_ISA_TABLE(imp_convt_rows);

imp_convt_rows_fn imp_convt_rows_for(enum imp_isa cap)
{
    return by_level[imp_isa_usable(cap)];
}
