/* CPU feature detection, done once per call site that asks; it is cheap
 * and pure, so there is no global state to initialise. */
#include "impasto.h"

enum imp_isa imp_isa_detect(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return IMP_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
#ifdef IMP_EMULATE_AVX512
        return IMP_ISA_AVX512; /* a test build: see kernels/avx512_emulation.h */
#else
        return IMP_ISA_AVX2;
#endif
#endif
    return IMP_ISA_SCALAR;
}

const char *imp_isa_name(enum imp_isa isa)
{
    switch (isa) {
    case IMP_ISA_SCALAR: return "scalar";
    case IMP_ISA_AVX2: return "avx2";
    case IMP_ISA_AVX512: return "avx512";
    case IMP_ISA_BEST: return "best";
    }
    return "?";
}
