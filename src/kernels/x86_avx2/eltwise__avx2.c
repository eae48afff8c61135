#define ELT_VBYTES 32
#define ELT_SUFFIX avx2
#define ELT_ISA IMP_ISA_AVX2
#include "kernels/eltwise.inc"
