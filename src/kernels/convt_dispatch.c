#include "kernels/convt_rows.h"

imp_convt_rows_fn imp_convt_rows_for(enum imp_isa cap)
{
    enum imp_isa best = imp_isa_detect();
    if (cap > best)
        cap = best;
    if (cap >= IMP_ISA_AVX512)
        return imp_convt_rows__avx512;
    if (cap >= IMP_ISA_AVX2)
        return imp_convt_rows__avx2;
    return imp_convt_rows__scalar;
}
