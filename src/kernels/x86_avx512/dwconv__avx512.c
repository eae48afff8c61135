#define DW_VBYTES 64
#define DW_SUFFIX avx512
#define DW_ISA IMP_ISA_AVX512
#include "kernels/dwconv.inc"
