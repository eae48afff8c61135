/* Every matrix-vector kernel set the CPU can run (kernels/gemv.h) against
 * a double-precision sum, on lengths that hit the two-vector steps, the
 * one-vector step and the scalar tail, several row counts, and a row
 * stride wider than the rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "kernels/gemv.h"

static void check_set(const struct imp_gemv_kernels *kset, int64_t k, int64_t rows,
                      int64_t ldw, unsigned *seed)
{
    float *x = malloc(sizeof(float) * (size_t)k + 1);
    float *w = malloc(sizeof(float) * (size_t)(rows * ldw) + 1);
    /* one guard value past the rows: the kernel must not write it */
    float *y = malloc(sizeof(float) * (size_t)(rows + 1));
    for (int64_t i = 0; i < k; i++)
        x[i] = imp_test_frand(seed);
    for (int64_t i = 0; i < rows * ldw; i++)
        w[i] = imp_test_frand(seed);
    y[rows] = 12345.0f;
    kset->rows(x, w, ldw, k, rows, y);
    double worst = 0;
    for (int64_t r = 0; r < rows; r++) {
        double want = 0, mag = 0;
        for (int64_t p = 0; p < k; p++) {
            want += (double)x[p] * w[r * ldw + p];
            mag += fabs((double)x[p] * w[r * ldw + p]);
        }
        /* float rounding of a sum of k terms, relative to their size */
        double e = fabs(y[r] - want) / (mag > 1 ? mag : 1);
        if (e > worst)
            worst = e;
    }
    if (!CHECK(worst < 1e-6) || !CHECK(y[rows] == 12345.0f))
        printf("  %s k=%lld rows=%lld ldw=%lld: max error %g\n", kset->name, (long long)k,
               (long long)rows, (long long)ldw, worst);
    free(x);
    free(w);
    free(y);
}

static void every_runnable_set_matches_double_sums(void)
{
    const struct imp_gemv_kernels *const all[] = {&imp_gemv__avx512, &imp_gemv__avx2,
                                                   &imp_gemv__scalar, NULL};
    enum imp_isa best = imp_isa_detect();
    static const int64_t ks[] = {1, 3, 4, 8, 15, 16, 17, 24, 31, 32, 33, 47, 96, 1280};
    static const int64_t rows[] = {1, 3, 4, 5, 8, 13};
    unsigned seed = 5;
    int tested = 0;
    for (int i = 0; all[i]; i++) {
        if (all[i]->isa > best) {
            printf("  skipping %s: this CPU lacks it\n", all[i]->name);
            continue;
        }
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
            for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++)
                check_set(all[i], ks[ki], rows[ri], ks[ki] + (int64_t)(ri % 2) * 5, &seed);
        tested++;
    }
    CHECK(tested >= 1);
}

/* Every family picks by kernels/isa_select.h: the cap lowered to the CPU,
 * never raised, and a cap below scalar is scalar (not an index before the
 * family's table). */
static void dispatch_respects_isa_cap(void)
{
    CHECK(imp_gemv_kernels_for(IMP_ISA_SCALAR)->isa == IMP_ISA_SCALAR);
    CHECK(imp_gemv_kernels_for((enum imp_isa)-1)->isa == IMP_ISA_SCALAR);
    CHECK(imp_gemv_kernels_for(IMP_ISA_BEST)->isa == imp_isa_detect());
    if (imp_isa_detect() >= IMP_ISA_AVX2)
        CHECK(imp_gemv_kernels_for(IMP_ISA_AVX2)->isa == IMP_ISA_AVX2);
}

int main(void)
{
    RUN(every_runnable_set_matches_double_sums);
    RUN(dispatch_respects_isa_cap);
    return imp_test_finish();
}
