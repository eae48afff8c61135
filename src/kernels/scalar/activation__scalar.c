/* Baseline x86-64 (SSE2): 16-byte vectors. */
#define ACT_VBYTES 16
#define ACT_SUFFIX scalar
#define ACT_ISA IMP_ISA_SCALAR
#include "kernels/activation.inc"
