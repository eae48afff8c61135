#define CONV_ROWS_FN imp_conv_rows__avx2
#include "kernels/conv_rows.inc"
