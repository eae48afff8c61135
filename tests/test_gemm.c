/* Every GEMM microkernel the CPU can run, against a double-precision
 * reference, on shapes that hit full and edge tiles. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "harness.h"
#include "kernels/gemm.h"

static float frand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void check_kernel(const struct imp_gemm_ukernel *uk, int m, int n, int k,
                         int with_bias)
{
    unsigned seed = (unsigned)(m * 131 + n * 7 + k);
    float *a = malloc(sizeof(float) * (size_t)(m * k));
    float *b = malloc(sizeof(float) * (size_t)(k * n));
    float *bias = malloc(sizeof(float) * (size_t)m);
    float *c = malloc(sizeof(float) * (size_t)(m * n));
    float *pa = imp_aligned_alloc(sizeof(float) * imp_gemm_packed_a_size(uk, m, k));
    size_t pb_size = (size_t)((n + uk->nr - 1) / uk->nr * uk->nr) * (size_t)k;
    float *pb = imp_aligned_alloc(sizeof(float) * pb_size);
    for (int i = 0; i < m * k; i++)
        a[i] = frand(&seed);
    for (int i = 0; i < k * n; i++)
        b[i] = frand(&seed);
    for (int i = 0; i < m; i++)
        bias[i] = frand(&seed);
    imp_gemm_pack_a(uk, m, k, a, (size_t)k, pa);
    imp_gemm_pack_b(uk, k, 0, n, b, (size_t)n, pb);
    imp_gemm_packed(uk, m, n, k, pa, pb, c, (size_t)n, with_bias ? bias : NULL);
    double worst = 0;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double want = with_bias ? bias[i] : 0.0;
            for (int p = 0; p < k; p++)
                want += (double)a[i * k + p] * b[p * n + j];
            double e = fabs(c[i * n + j] - want) / (fabs(want) > 1 ? fabs(want) : 1);
            if (e > worst)
                worst = e;
        }
    }
    if (!CHECK(worst < 1e-5))
        printf("  %s m=%d n=%d k=%d bias=%d: max rel error %g\n", uk->name, m, n, k,
               with_bias, worst);
    free(a);
    free(b);
    free(bias);
    free(c);
    imp_aligned_free(pa);
    imp_aligned_free(pb);
}

static void every_runnable_microkernel_matches_reference(void)
{
    const struct imp_gemm_ukernel *const *all = imp_gemm_ukernels_all();
    enum imp_isa best = imp_isa_detect();
    int tested = 0;
    for (int i = 0; all[i]; i++) {
        if (all[i]->isa > best) {
            printf("  skipping %s: this CPU lacks %s\n", all[i]->name,
                   imp_isa_name(all[i]->isa));
            continue;
        }
        static const int sizes[][3] = {{1, 1, 1},  {8, 32, 5},  {3, 17, 9},
                                       {13, 45, 27}, {16, 64, 64}, {7, 100, 243}};
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int bias = 0; bias < 2; bias++)
                check_kernel(all[i], sizes[s][0], sizes[s][1], sizes[s][2], bias);
        tested++;
    }
    CHECK(tested >= 1);
}

static void dispatch_respects_isa_cap(void)
{
    CHECK(imp_gemm_ukernel_for(IMP_ISA_SCALAR)->isa == IMP_ISA_SCALAR);
    CHECK(imp_gemm_ukernel_for(IMP_ISA_BEST)->isa <= imp_isa_detect());
    if (imp_isa_detect() >= IMP_ISA_AVX2)
        CHECK(imp_gemm_ukernel_for(IMP_ISA_AVX2)->isa == IMP_ISA_AVX2);
}

int main(void)
{
    RUN(every_runnable_microkernel_matches_reference);
    RUN(dispatch_respects_isa_cap);
    return imp_test_finish();
}
