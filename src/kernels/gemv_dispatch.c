#include <stddef.h>

#include "kernels/gemv.h"

static const struct imp_gemv_kernels *const all_sets[] = {
    &imp_gemv__avx512, &imp_gemv__avx2, &imp_gemv__scalar, NULL};

const struct imp_gemv_kernels *const *imp_gemv_kernels_all(void)
{
    return all_sets;
}

const struct imp_gemv_kernels *imp_gemv_kernels_for(enum imp_isa cap)
{
    enum imp_isa best = imp_isa_detect();
    if (cap > best)
        cap = best;
    for (int i = 0; all_sets[i]; i++)
        if (all_sets[i]->isa <= cap)
            return all_sets[i];
    return &imp_gemv__scalar;
}
