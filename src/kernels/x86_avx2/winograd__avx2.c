#define WINO_INPUT_FN imp_wino_input__avx2
#define WINO_OUTPUT_FN imp_wino_output__avx2
#include "kernels/winograd_x86.inc"
