/* Baseline x86-64 (SSE2): 16-byte vectors. */
#define ELT_VBYTES 16
#define ELT_SUFFIX scalar
#define ELT_ISA IMP_ISA_SCALAR
#include "kernels/eltwise.inc"
