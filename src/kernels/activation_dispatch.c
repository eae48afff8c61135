#include "kernels/activation.h"

const struct imp_act_kernels *imp_act_kernels_for(enum imp_isa cap)
{
    static const struct imp_act_kernels *const sets[] = {&imp_act__avx512, &imp_act__avx2,
                                                         &imp_act__scalar};
    enum imp_isa best = imp_isa_detect();
    if (cap > best)
        cap = best;
    for (int i = 0; i < 3; i++)
        if (sets[i]->isa <= cap)
            return sets[i];
    return &imp_act__scalar;
}
