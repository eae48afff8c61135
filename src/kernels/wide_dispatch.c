/* The wide engine's kernel table: per ISA, a 4-row and a 3-row GEMM of the
 * same width, so 3 output channels (the last layer of a style net) waste
 * no rows, each with a two-thirds-wide twin for the last strip. */
#include "kernels/isa_select.h"
#include "kernels/wide.h"

#define WIDE_ENTRY(isa_, nr_, sfx, rows)                                      \
    {.isa = isa_, .mr = rows, .nr = nr_, .gemm = imp_wide_gemm_##rows##__##sfx, \
     .nr_half = nr_ * 2 / 3, .gemm_half = imp_wide_gemm_##rows##h__##sfx,      \
     .input = imp_wide_input__##sfx, .output = imp_wide_output__##sfx,        \
     .split3 = imp_wide_split3__##sfx,                                         \
     .name = "wide_" #rows "x" #nr_ "__" #sfx}

static const struct imp_wide_ukernel wide_kernels[IMP_ISA_LEVELS][2] = {
    [IMP_ISA_AVX512] = {WIDE_ENTRY(IMP_ISA_AVX512, 48, avx512, 4),
                        WIDE_ENTRY(IMP_ISA_AVX512, 48, avx512, 3)},
    [IMP_ISA_AVX2] = {WIDE_ENTRY(IMP_ISA_AVX2, 24, avx2, 4), WIDE_ENTRY(IMP_ISA_AVX2, 24, avx2, 3)},
    [IMP_ISA_SCALAR] = {{.isa = IMP_ISA_SCALAR, .mr = 4, .nr = 8, .gemm = imp_wide_gemm_4__scalar,
                         .input = imp_wide_input__scalar, .output = imp_wide_output__scalar,
                         .split3 = imp_wide_split3__scalar, .name = "wide_4x8__scalar"},
                        {.isa = IMP_ISA_SCALAR, .mr = 3, .nr = 8, .gemm = imp_wide_gemm_3__scalar,
                         .input = imp_wide_input__scalar, .output = imp_wide_output__scalar,
                         .split3 = imp_wide_split3__scalar, .name = "wide_3x8__scalar"}},
};

const struct imp_wide_ukernel *imp_wide_ukernel_for(enum imp_isa cap, long long m)
{
    /* The row count that pads m the least; 4 on a tie. */
    long long pad4 = (m + 3) / 4 * 4, pad3 = (m + 2) / 3 * 3;
    return &wide_kernels[imp_isa_usable(cap)][pad3 < pad4 ? 1 : 0];
}
