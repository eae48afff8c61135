#include <stddef.h>

#include "kernels/eltwise.h"

static const struct imp_eltwise_kernels *const all_sets[] = {
    &imp_eltwise__avx512, &imp_eltwise__avx2, &imp_eltwise__scalar, NULL};

const struct imp_eltwise_kernels *const *imp_eltwise_kernels_all(void)
{
    return all_sets;
}

const struct imp_eltwise_kernels *imp_eltwise_kernels_for(enum imp_isa cap)
{
    enum imp_isa best = imp_isa_detect();
    if (cap > best)
        cap = best;
    for (int i = 0; all_sets[i]; i++)
        if (all_sets[i]->isa <= cap)
            return all_sets[i];
    return &imp_eltwise__scalar;
}
