#define GEMV_VBYTES 64
#define GEMV_SUFFIX avx512
#define GEMV_ISA IMP_ISA_AVX512
#include "kernels/gemv.inc"
