/* The depthwise rows and staging kernels against plain C, for every kernel
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

static void rows_match_plain_c(const struct imp_dwconv_kernels *k)
{
    static const int64_t lengths[] = {1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 130};
    static const int64_t taps_list[] = {1, 4, 9, 25, 49};
    unsigned seed = 5;
    for (size_t ti = 0; ti < sizeof taps_list / sizeof taps_list[0]; ti++) {
        const int64_t taps = taps_list[ti];
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            const int64_t n = lengths[li];
            /* 1 to 5 rows (pairs and a lone one), each reading runs of n at
             * scattered offsets from its base */
            const int64_t rows = 1 + (int64_t)((ti + li) % 5);
            const ptrdiff_t bstride = (ptrdiff_t)(n + 5), ystride = (ptrdiff_t)(n + 2);
            const int64_t span = (rows + 2) * bstride + n + 3 * taps + 8;
            /* 3x3 taps on rows of the input one output row apart (a
             * stride-1 conv's layout, which pairs rows up) every other
             * length, scattered otherwise */
            const bool grid = taps == 9 && li % 2 == 0;
            float *src = malloc(sizeof(float) * (size_t)span);
            float *y = malloc(sizeof(float) * (size_t)(rows * ystride));
            float w[49];
            ptrdiff_t off[49];
            for (int64_t i = 0; i < span; i++)
                src[i] = frand(&seed) * 3.0f;
            for (int64_t i = 0; i < rows * ystride; i++)
                y[i] = 1234.0f;
            for (int64_t t = 0; t < taps; t++) {
                w[t] = frand(&seed);
                off[t] = grid ? (ptrdiff_t)(t / 3) * bstride + t % 3
                              : (ptrdiff_t)((t * 7) % (3 * taps + 8));
            }
            const float bias = frand(&seed);
            k->rows(src, bstride, off, w, taps, bias, y, ystride, n, rows);
            double worst = 0;
            bool kept = true;
            for (int64_t r = 0; r < rows; r++) {
                const float *b = src + r * bstride;
                for (int64_t j = 0; j < n; j++) {
                    double want = bias, mag = fabs(bias);
                    for (int64_t t = 0; t < taps; t++) {
                        want += (double)w[t] * b[off[t] + j];
                        mag += fabs((double)w[t] * b[off[t] + j]);
                    }
                    double e = fabs(y[r * ystride + j] - want) / (mag + 1e-30);
                    worst = e > worst || e != e ? e : worst;
                }
                for (int64_t j = n; j < ystride; j++) /* the gap untouched */
                    kept &= y[r * ystride + j] == 1234.0f;
            }
            CHECK(kept);
            if (!CHECK(worst < 1e-6 * (double)taps))
                printf("  %s rows taps=%lld n=%lld rows=%lld: error %g\n", k->name,
                       (long long)taps, (long long)n, (long long)rows, worst);
            free(src);
            free(y);
        }
    }
}

static void stage_matches_plain_c(const struct imp_dwconv_kernels *k)
{
    static const int64_t widths[] = {1, 2, 5, 8, 16, 17, 33, 64, 65, 129};
    const int64_t ih = 3;
    unsigned seed = 9;
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        const int64_t iw = widths[wi];
        for (int64_t sw = 1; sw <= 3; sw++) {
            for (int64_t pl = 0; pl <= 3; pl++) {
                for (int64_t extra = -1; extra <= 4; extra++) {
                    /* phases covering the padded row, a little short or
                     * long; rows from above the plane to below it */
                    int64_t phase_len = (pl + iw + extra + sw - 1) / sw;
                    if (phase_len < 1)
                        phase_len = 1;
                    const int64_t row_len = sw * phase_len, ih0 = -2, rows = ih + 3;
                    float *x = malloc(sizeof(float) * (size_t)(ih * iw));
                    float *d = malloc(sizeof(float) * (size_t)(rows * row_len));
                    for (int64_t i = 0; i < ih * iw; i++)
                        x[i] = frand(&seed) + 2.0f; /* never 0 */
                    for (int64_t i = 0; i < rows * row_len; i++)
                        d[i] = NAN;
                    k->stage(x, ih, iw, ih0, rows, pl, sw, phase_len, d);
                    bool ok = true;
                    for (int64_t r = 0; r < rows; r++) {
                        const int64_t i = ih0 + r;
                        for (int64_t pc = 0; pc < row_len; pc++) {
                            float want = i >= 0 && i < ih && pc - pl >= 0 && pc - pl < iw
                                             ? x[i * iw + pc - pl]
                                             : 0.0f;
                            ok &= d[r * row_len + (pc % sw) * phase_len + pc / sw] == want;
                        }
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
        rows_match_plain_c(sets[s]);
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
