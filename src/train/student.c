/* The student network (impasto_train.h): Johnson et al.'s shape, narrower
 * and with the upsampling as nearest x2 + 3x3 conv (no checkerboard), the
 * norms conditional on the style (Dumoulin et al. 2017). */
#include "impasto_train.h"

/* reflection pad (k / 2), conv k x k, norm, and Relu unless `last` */
static int block(struct imp_tnet *net, int v, int out, int k, int stride, int n_styles,
                 bool relu)
{
    v = imp_tnet_pad_reflect(net, v, k / 2);
    v = imp_tnet_conv(net, v, out, k, stride, 0, false);
    v = imp_tnet_norm(net, v, n_styles);
    return relu ? imp_tnet_relu(net, v) : v;
}

struct imp_tnet *imp_student_create(int n_styles, int width, int res_blocks, int *output)
{
    if (n_styles < 1 || width < 1 || width > 256 || res_blocks < 0 || res_blocks > 16)
        return NULL;
    struct imp_tnet *net = imp_tnet_create(3);
    if (!net)
        return NULL;
    /* A failed adder returns -1 and every later adder fails on it. */
    int v = block(net, 0, width, 9, 1, n_styles, true);
    v = block(net, v, 2 * width, 3, 2, n_styles, true);
    v = block(net, v, 4 * width, 3, 2, n_styles, true);
    for (int r = 0; r < res_blocks; r++) {
        int y = block(net, v, 4 * width, 3, 1, n_styles, true);
        y = block(net, y, 4 * width, 3, 1, n_styles, false);
        v = imp_tnet_add(net, v, y);
    }
    v = block(net, imp_tnet_upsample2(net, v), 2 * width, 3, 1, n_styles, true);
    v = block(net, imp_tnet_upsample2(net, v), width, 3, 1, n_styles, true);
    v = imp_tnet_conv(net, imp_tnet_pad_reflect(net, v, 4), 3, 9, 1, 0, true);
    v = imp_tnet_sigmoid(net, v);
    if (v < 0) {
        imp_tnet_free(net);
        return NULL;
    }
    *output = v;
    return net;
}
