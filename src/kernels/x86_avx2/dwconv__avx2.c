#define DW_VBYTES 32
#define DW_SUFFIX avx2
#define DW_ISA IMP_ISA_AVX2
#include "kernels/dwconv.inc"
