#define ACT_VBYTES 64
#define ACT_SUFFIX avx512
#define ACT_ISA IMP_ISA_AVX512
#include "kernels/activation.inc"
