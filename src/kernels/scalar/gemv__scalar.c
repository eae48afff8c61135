/* Baseline x86-64 (SSE2): 16-byte vectors. */
#define GEMV_VBYTES 16
#define GEMV_SUFFIX scalar
#define GEMV_ISA IMP_ISA_SCALAR
#include "kernels/gemv.inc"
