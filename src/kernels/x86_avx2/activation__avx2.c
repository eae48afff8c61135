#define ACT_VBYTES 32
#define ACT_SUFFIX avx2
#define ACT_ISA IMP_ISA_AVX2
#include "kernels/activation.inc"
