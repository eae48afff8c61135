#define GEMV_VBYTES 32
#define GEMV_SUFFIX avx2
#define GEMV_ISA IMP_ISA_AVX2
#include "kernels/gemv.inc"
