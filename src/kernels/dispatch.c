#include "kernels/conv_rows.h"
#include "kernels/gemm.h"
#include "kernels/isa_select.h"

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

/* A list, not a table a level: an ISA may have several microkernels. */
const struct imp_gemm_ukernel *imp_gemm_ukernel_for(enum imp_isa cap)
{
    enum imp_isa level = imp_isa_usable(cap);
    for (int i = 0; all_ukernels[i]; i++)
        if (all_ukernels[i]->isa <= level)
            return all_ukernels[i];
    return NULL; /* unreachable: the scalar kernel always qualifies */
}

static const imp_conv_rows_fn conv_rows[IMP_ISA_LEVELS] = IMP_ISA_TABLE(imp_conv_rows);
static const imp_conv_split2_fn conv_split2[IMP_ISA_LEVELS] = IMP_ISA_TABLE(imp_conv_split2);

imp_conv_rows_fn imp_conv_rows_for(enum imp_isa cap)
{
    return conv_rows[imp_isa_usable(cap)];
}

imp_conv_split2_fn imp_conv_split2_for(enum imp_isa cap)
{
    return conv_split2[imp_isa_usable(cap)];
}
