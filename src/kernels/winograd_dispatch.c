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

static const struct imp_wino_kernels all_wino[] = {
#define IMP_WINO_KERNELS(isa_, sfx, gemm_)                                        \
    {.isa = isa_, .input = imp_wino_input__##sfx, .output = imp_wino_output__##sfx, \
     .gemm_narrow = gemm_, .name = #sfx},
#include "kernels/winograd.def"
#undef IMP_WINO_KERNELS
};

const struct imp_wino_kernels *imp_wino_kernels_for(enum imp_isa cap)
{
    enum imp_isa best = imp_isa_detect();
    if (cap > best)
        cap = best;
    const size_t n = sizeof all_wino / sizeof all_wino[0];
    for (size_t i = 0; i < n; i++)
        if (all_wino[i].isa <= cap)
            return &all_wino[i];
    return &all_wino[n - 1];
}
