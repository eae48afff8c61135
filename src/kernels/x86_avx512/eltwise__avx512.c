#define ELT_VBYTES 64
#define ELT_SUFFIX avx512
#define ELT_ISA IMP_ISA_AVX512
#include "kernels/eltwise.inc"
