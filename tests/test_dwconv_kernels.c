/* The depthwise row and staging kernels against plain C, for every kernel
 * set this CPU runs, plus the template built at AVX-512's width (64-byte
 * GCC vectors on baseline SSE2), so the 16-lane loops and their tails are
 * checked on CPUs without AVX-512 too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#pragma GCC diagnostic ignored "-Wpsabi" /* static functions: no ABI to keep */
#define DW_VBYTES 64
#define DW_SUFFIX generic64
#define DW_ISA IMP_ISA_SCALAR
#include "kernels/dwconv.inc"

static float frand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void row_matches_plain_c(const struct imp_dwconv_kernels *k)
{
    static const int64_t lengths[] = {1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 130};
    static const int64_t taps_list[] = {1, 4, 9, 25, 49};
    unsigned seed = 5;
    for (size_t ti = 0; ti < sizeof taps_list / sizeof taps_list[0]; ti++) {
        const int64_t taps = taps_list[ti];
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            const int64_t n = lengths[li];
            /* taps read runs of n at scattered offsets in one buffer */
            const int64_t span = n + 3 * taps + 8;
            float *src = malloc(sizeof(float) * (size_t)span);
            float *y = malloc(sizeof(float) * (size_t)n);
            float w[49];
            ptrdiff_t off[49];
            for (int64_t i = 0; i < span; i++)
                src[i] = frand(&seed) * 3.0f;
            for (int64_t t = 0; t < taps; t++) {
                w[t] = frand(&seed);
                off[t] = (ptrdiff_t)((t * 7) % (3 * taps + 8));
            }
            const float bias = frand(&seed);
            k->row(src, off, w, taps, bias, y, n);
            double worst = 0;
            for (int64_t j = 0; j < n; j++) {
                double want = bias, mag = fabs(bias);
                for (int64_t t = 0; t < taps; t++) {
                    want += (double)w[t] * src[off[t] + j];
                    mag += fabs((double)w[t] * src[off[t] + j]);
                }
                double e = fabs(y[j] - want) / (mag + 1e-30);
                worst = e > worst || e != e ? e : worst;
            }
            if (!CHECK(worst < 1e-6 * (double)taps))
                printf("  %s row taps=%lld n=%lld: error %g\n", k->name, (long long)taps,
                       (long long)n, worst);
            free(src);
            free(y);
        }
    }
}

static void stage_matches_plain_c(const struct imp_dwconv_kernels *k)
{
    static const int64_t widths[] = {1, 2, 5, 8, 16, 17, 33, 64, 65, 129};
    unsigned seed = 9;
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        const int64_t iw = widths[wi];
        for (int64_t sw = 1; sw <= 3; sw++) {
            for (int64_t pl = 0; pl <= 3; pl++) {
                for (int64_t extra = -1; extra <= 4; extra++) {
                    /* phases covering the padded row, a little short or long */
                    int64_t phase_len = (pl + iw + extra + sw - 1) / sw;
                    if (phase_len < 1)
                        phase_len = 1;
                    float *x = malloc(sizeof(float) * (size_t)iw);
                    float *d = malloc(sizeof(float) * (size_t)(sw * phase_len));
                    for (int64_t i = 0; i < iw; i++)
                        x[i] = frand(&seed) + 2.0f; /* never 0 */
                    for (int64_t i = 0; i < sw * phase_len; i++)
                        d[i] = NAN;
                    k->stage(x, iw, pl, sw, phase_len, d);
                    bool ok = true;
                    for (int64_t pc = 0; pc < sw * phase_len; pc++) {
                        float want = pc - pl >= 0 && pc - pl < iw ? x[pc - pl] : 0.0f;
                        ok &= d[(pc % sw) * phase_len + pc / sw] == want;
                    }
                    if (!CHECK(ok))
                        printf("  %s stage iw=%lld sw=%lld pl=%lld len=%lld\n", k->name,
                               (long long)iw, (long long)sw, (long long)pl,
                               (long long)phase_len);
                    free(x);
                    free(d);
                }
            }
        }
    }
}

static void kernels_match_plain_c(void)
{
    const struct imp_dwconv_kernels *sets[] = {&imp_dwconv__avx512, &imp_dwconv__avx2,
                                               &imp_dwconv__scalar, &imp_dwconv__generic64};
    enum imp_isa best = imp_isa_detect();
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        if (sets[s]->isa > best)
            continue;
        row_matches_plain_c(sets[s]);
        stage_matches_plain_c(sets[s]);
    }
    /* dispatch stays within the cap */
    CHECK(imp_dwconv_kernels_for(IMP_ISA_SCALAR) == &imp_dwconv__scalar);
    CHECK(imp_dwconv_kernels_for(IMP_ISA_AVX512)->isa <= best);
}

int main(void)
{
    RUN(kernels_match_plain_c);
    return imp_test_finish();
}
