#define CONV_ROWS_FN imp_conv_rows__scalar
#include "kernels/conv_rows.inc"
