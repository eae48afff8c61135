#include "kernels/peak.h"

int64_t imp_fma_burst__scalar(int64_t iters)
{
    /* Eight independent chains hide the FMA latency. volatile seeds keep
     * the compiler from folding the loop away. */
    volatile float seed = 1.0f;
    float a0 = seed, a1 = seed, a2 = seed, a3 = seed;
    float a4 = seed, a5 = seed, a6 = seed, a7 = seed;
    const float m = 0.999999f, c = 1e-7f;
    for (int64_t i = 0; i < iters; i++) {
        a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
        a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
    }
    seed = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    return iters * 8 * 2;
}
