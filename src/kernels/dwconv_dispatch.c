#include "kernels/dwconv.h"

static const struct imp_dwconv_kernels *const all_sets[] = {
    &imp_dwconv__avx512, &imp_dwconv__avx2, &imp_dwconv__scalar, NULL};

const struct imp_dwconv_kernels *imp_dwconv_kernels_for(enum imp_isa cap)
{
    enum imp_isa best = imp_isa_detect();
    if (cap > best)
        cap = best;
    for (int i = 0; all_sets[i]; i++)
        if (all_sets[i]->isa <= cap)
            return all_sets[i];
    return &imp_dwconv__scalar;
}
