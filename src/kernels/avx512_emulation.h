/*
 * AVX-512 emulation for testing, never for shipping (IMP_EMULATE_AVX512).
 *
 * The AVX-512 kernels are otherwise only ever run on a CPU that has
 * AVX-512. With the CMake option IMP_EMULATE_AVX512 the files under
 * x86_avx512/ are compiled for AVX2 with this header forced in front of
 * them, and imp_isa_detect() reports AVX-512 on any AVX2+FMA CPU, so the
 * whole suite and the fuzzers run the AVX-512 code paths -- the kernels'
 * loops and masks, and every op-level choice that depends on the ISA
 * (block sizes, engine support) -- on machines without it.
 *
 * Each intrinsic the kernels use becomes a plain function on GCC vector
 * types, with the memory behaviour of the instruction: masked loads and
 * stores touch only their active lanes (so AddressSanitizer judges them
 * as the hardware would), and aligned loads trap when their address is
 * not 64-byte aligned, where the real instruction would fault.
 *
 * Only what the kernels use is here; a kernel using more fails to build
 * in this configuration, which is the point.
 */
#ifndef IMP_AVX512_EMULATION_H
#define IMP_AVX512_EMULATION_H

#include <immintrin.h> /* first, so its own __m512 names are settled */
#include <stdint.h>
#include <string.h>

typedef float imp_emu_ps __attribute__((vector_size(64)));
typedef int32_t imp_emu_epi32 __attribute__((vector_size(64)));
typedef uint16_t imp_emu_mask16;

#define __m512 imp_emu_ps
#define __m512i imp_emu_epi32
#define __mmask16 imp_emu_mask16

#define IMP_EMU static inline __attribute__((always_inline, unused))

IMP_EMU imp_emu_ps imp_emu_loadu_ps(const float *p)
{
    imp_emu_ps v;
    memcpy(&v, p, sizeof v);
    return v;
}

IMP_EMU imp_emu_ps imp_emu_load_ps(const float *p)
{
    if ((uintptr_t)p & 63)
        __builtin_trap(); /* vmovaps faults here */
    return imp_emu_loadu_ps(p);
}

IMP_EMU void imp_emu_storeu_ps(float *p, imp_emu_ps v)
{
    memcpy(p, &v, sizeof v);
}

IMP_EMU imp_emu_ps imp_emu_maskz_loadu_ps(imp_emu_mask16 m, const float *p)
{
    imp_emu_ps v = {0};
    for (int i = 0; i < 16; i++)
        if (m >> i & 1)
            v[i] = p[i];
    return v;
}

IMP_EMU void imp_emu_mask_storeu_ps(float *p, imp_emu_mask16 m, imp_emu_ps v)
{
    for (int i = 0; i < 16; i++)
        if (m >> i & 1)
            p[i] = v[i];
}

IMP_EMU imp_emu_ps imp_emu_set1_ps(float s)
{
    imp_emu_ps v;
    for (int i = 0; i < 16; i++)
        v[i] = s;
    return v;
}

IMP_EMU imp_emu_ps imp_emu_setzero_ps(void)
{
    return (imp_emu_ps){0};
}

/* Contracted into two 256-bit FMAs (GCC contracts by default; clang
 * needs the pragma): a lane loop of fmaf() would be ten times slower. */
#ifdef __clang__
#pragma STDC FP_CONTRACT ON
#endif
IMP_EMU imp_emu_ps imp_emu_fmadd_ps(imp_emu_ps a, imp_emu_ps b, imp_emu_ps c)
{
    return a * b + c;
}

IMP_EMU imp_emu_ps imp_emu_add_ps(imp_emu_ps a, imp_emu_ps b)
{
    return a + b;
}

IMP_EMU float imp_emu_cvtss_f32(imp_emu_ps a)
{
    return a[0];
}

IMP_EMU imp_emu_epi32 imp_emu_setr_epi32(int32_t e0, int32_t e1, int32_t e2, int32_t e3,
                                         int32_t e4, int32_t e5, int32_t e6, int32_t e7,
                                         int32_t e8, int32_t e9, int32_t e10, int32_t e11,
                                         int32_t e12, int32_t e13, int32_t e14, int32_t e15)
{
    return (imp_emu_epi32){e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15};
}

IMP_EMU imp_emu_epi32 imp_emu_set1_epi32(int32_t s)
{
    imp_emu_epi32 v;
    for (int i = 0; i < 16; i++)
        v[i] = s;
    return v;
}

IMP_EMU imp_emu_epi32 imp_emu_add_epi32(imp_emu_epi32 a, imp_emu_epi32 b)
{
    return a + b;
}

/* Lane i takes lane idx[i] mod 32 of the pair (a, b). */
IMP_EMU imp_emu_ps imp_emu_permutex2var_ps(imp_emu_ps a, imp_emu_epi32 idx, imp_emu_ps b)
{
    imp_emu_ps r;
    for (int i = 0; i < 16; i++) {
        int j = idx[i] & 31;
        r[i] = j < 16 ? a[j] : b[j - 16];
    }
    return r;
}

/* Some are macros in the compiler's own headers. */
#undef _mm512_loadu_ps
#undef _mm512_load_ps
#undef _mm512_storeu_ps
#undef _mm512_maskz_loadu_ps
#undef _mm512_mask_storeu_ps
#undef _mm512_set1_ps
#undef _mm512_setzero_ps
#undef _mm512_fmadd_ps
#undef _mm512_add_ps
#undef _mm512_cvtss_f32
#undef _mm512_setr_epi32
#undef _mm512_set1_epi32
#undef _mm512_add_epi32
#undef _mm512_permutex2var_ps
#define _mm512_loadu_ps imp_emu_loadu_ps
#define _mm512_load_ps imp_emu_load_ps
#define _mm512_storeu_ps imp_emu_storeu_ps
#define _mm512_maskz_loadu_ps imp_emu_maskz_loadu_ps
#define _mm512_mask_storeu_ps imp_emu_mask_storeu_ps
#define _mm512_set1_ps imp_emu_set1_ps
#define _mm512_setzero_ps imp_emu_setzero_ps
#define _mm512_fmadd_ps imp_emu_fmadd_ps
#define _mm512_add_ps imp_emu_add_ps
#define _mm512_cvtss_f32 imp_emu_cvtss_f32
#define _mm512_setr_epi32 imp_emu_setr_epi32
#define _mm512_set1_epi32 imp_emu_set1_epi32
#define _mm512_add_epi32 imp_emu_add_epi32
#define _mm512_permutex2var_ps imp_emu_permutex2var_ps

#endif
