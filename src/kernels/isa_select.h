/*
 * Choosing a kernel by instruction set. Every kernel family has one
 * implementation a level, named NAME__scalar, NAME__avx2 and NAME__avx512;
 * a caller asks for a cap (a predictor's max_isa, IMP_ISA_BEST for all the
 * CPU has) and gets the family's implementation for the highest level that
 * both the cap and this CPU allow.
 */
#ifndef IMP_KERNELS_ISA_SELECT_H
#define IMP_KERNELS_ISA_SELECT_H

#include "impasto.h"

/* Scalar, AVX2, AVX-512: the indexes of a family's table. */
#define IMP_ISA_LEVELS 3

/* The level a cap allows here: the cap, lowered to what imp_isa_detect()
 * finds (a cap is never raised; below scalar is scalar). */
static inline enum imp_isa imp_isa_usable(enum imp_isa cap)
{
    enum imp_isa best = imp_isa_detect();
    if ((int)cap <= (int)IMP_ISA_SCALAR)
        return IMP_ISA_SCALAR;
    return cap < best ? cap : best;
}

/* A family's table indexed by level, from its naming: IMP_ISA_TABLE(f)
 * is {f__scalar, f__avx2, f__avx512}, IMP_ISA_TABLE(&s) their addresses. */
#define IMP_ISA_TABLE(name)                                                   \
    {                                                                         \
        [IMP_ISA_SCALAR] = name##__scalar, [IMP_ISA_AVX2] = name##__avx2,     \
        [IMP_ISA_AVX512] = name##__avx512,                                    \
    }

#endif
