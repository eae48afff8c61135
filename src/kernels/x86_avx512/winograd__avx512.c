/* The AVX2 transforms, built with AVX-512 enabled: the transforms are a
 * small share of the work, and the GEMM is where the wider vectors pay. */
#define WINO_INPUT_FN imp_wino_input__avx512
#define WINO_OUTPUT_FN imp_wino_output__avx512
#include "kernels/winograd_x86.inc"
