#include "kernels/conv_rows.h"
#include "kernels/gemm.h"

#define IMP_GEMM_UKERNEL(isa, mr, nr, fn)                                     \
    void fn(size_t k, const float *a, const float *b, float *c, size_t ldc,   \
            const float *bias);
#include "kernels/kernels.def"
#undef IMP_GEMM_UKERNEL

#define IMP_GEMM_UKERNEL(isa_, mr_, nr_, fn)                                  \
    static const struct imp_gemm_ukernel fn##_desc = {                        \
        .isa = isa_, .mr = mr_, .nr = nr_, .run = fn, .name = #fn};
#include "kernels/kernels.def"
#undef IMP_GEMM_UKERNEL

static const struct imp_gemm_ukernel *const all_ukernels[] = {
#define IMP_GEMM_UKERNEL(isa, mr, nr, fn) &fn##_desc,
#include "kernels/kernels.def"
#undef IMP_GEMM_UKERNEL
    NULL,
};

const struct imp_gemm_ukernel *const *imp_gemm_ukernels_all(void)
{
    return all_ukernels;
}

const struct imp_gemm_ukernel *imp_gemm_ukernel_for(enum imp_isa cap)
{
    enum imp_isa best = imp_isa_detect();
    if (cap > best)
        cap = best;
    for (int i = 0; all_ukernels[i]; i++)
        if (all_ukernels[i]->isa <= cap)
            return all_ukernels[i];
    return NULL; /* unreachable: the scalar kernel always qualifies */
}

imp_conv_rows_fn imp_conv_rows_for(enum imp_isa cap)
{
    enum imp_isa best = imp_isa_detect();
    if (cap > best)
        cap = best;
    if (cap >= IMP_ISA_AVX512)
        return imp_conv_rows__avx512;
    if (cap >= IMP_ISA_AVX2)
        return imp_conv_rows__avx2;
    return imp_conv_rows__scalar;
}

imp_conv_split2_fn imp_conv_split2_for(enum imp_isa cap)
{
    enum imp_isa best = imp_isa_detect();
    if (cap > best)
        cap = best;
    if (cap >= IMP_ISA_AVX512)
        return imp_conv_split2__avx512;
    if (cap >= IMP_ISA_AVX2)
        return imp_conv_split2__avx2;
    return imp_conv_split2__scalar;
}
