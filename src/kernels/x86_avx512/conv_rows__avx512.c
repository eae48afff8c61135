#define CONV_ROWS_FN imp_conv_rows__avx512
#include "kernels/conv_rows.inc"
