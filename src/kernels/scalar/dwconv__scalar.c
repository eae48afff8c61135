#define DW_VBYTES 16
#define DW_SUFFIX scalar
#define DW_ISA IMP_ISA_SCALAR
#include "kernels/dwconv.inc"
