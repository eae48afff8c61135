#include "kernels/isa_select.h"
#include "kernels/winograd.h"

#define IMP_WINO_GEMM(isa, mr, nr, fn)                                            \
    void fn(size_t k, const float *a, const float *b, float *c, size_t ldc,       \
            const float *bias);
#include "kernels/winograd.def"
#undef IMP_WINO_GEMM

#define IMP_WINO_GEMM(isa_, mr_, nr_, fn)                                         \
    static const struct imp_gemm_ukernel fn##_desc = {                            \
        .isa = isa_, .mr = mr_, .nr = nr_, .run = fn, .name = #fn};
#include "kernels/winograd.def"
#undef IMP_WINO_GEMM

#define IMP_WINO_KERNELS(isa, sfx, gemm)                                          \
    void imp_wino_input__##sfx(const float *x, size_t ld, size_t plane, size_t n_ch, \
                               float *v, size_t cstride, size_t pstride);         \
    void imp_wino_output__##sfx(const float *m, size_t pstride, float bias, float *y, \
                                size_t ld);
#include "kernels/winograd.def"
#undef IMP_WINO_KERNELS

static const struct imp_wino_kernels by_level[IMP_ISA_LEVELS] = {
#define IMP_WINO_KERNELS(isa_, sfx, gemm_)                                        \
    [isa_] = {.isa = isa_, .input = imp_wino_input__##sfx,                        \
              .output = imp_wino_output__##sfx, .gemm_narrow = gemm_, .name = #sfx},
#include "kernels/winograd.def"
#undef IMP_WINO_KERNELS
};

const struct imp_wino_kernels *imp_wino_kernels_for(enum imp_isa cap)
{
    return &by_level[imp_isa_usable(cap)];
}
