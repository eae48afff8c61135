/* The student network (impasto_train.h): Johnson et al.'s encoder,
 * residual body and decoder, with the upsampling as nearest x2 + 3x3 conv
 * (no checkerboard), reflection padding, and norms conditional on the
 * style (Dumoulin et al. 2017). Its shape is a parameter: Johnson's
 * (a 9x9 stem at full size, body at a quarter) or the one impasto ships
 * (a 3x3 stride-2 stem, body at an eighth), which costs about a sixth of
 * the compute at the same width because no wide layer runs at full size;
 * its decoder goes up by nearest x2 then conv, or (bilinear) by conv then
 * bilinear x2, which cannot draw the blocks nearest copies leave.
 * The fast shape adds each encoder level's output to the decoder's at the
 * same size (long skips): with its stem at half size the decoder would
 * otherwise rebuild the photo's detail from an eighth of the size, and it
 * learns to (the identity style, the content loss) many times slower. */
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

struct imp_student_shape imp_student_johnson(int width, int res_blocks)
{
    return (struct imp_student_shape){.levels = 3,
                                      .channels = {width, 2 * width, 4 * width},
                                      .edge_kernel = 9,
                                      .stem_stride = 1,
                                      .res_blocks = res_blocks};
}

struct imp_student_shape imp_student_fast(void)
{
    return (struct imp_student_shape){.levels = 3,
                                      .channels = {16, 32, 48},
                                      .edge_kernel = 3,
                                      .stem_stride = 2,
                                      .res_blocks = 3,
                                      .skips = true};
}

struct imp_student_shape imp_student_smooth(void)
{
    struct imp_student_shape s = imp_student_fast();
    s.bilinear = true;
    return s;
}

bool imp_student_shape_valid(const struct imp_student_shape *s)
{
    if (!s || s->levels < 1 || s->levels > IMP_STUDENT_MAX_LEVELS || s->res_blocks < 0 ||
        s->res_blocks > 16 || (s->stem_stride != 1 && s->stem_stride != 2) ||
        s->edge_kernel < 1 || s->edge_kernel > 9 || s->edge_kernel % 2 == 0)
        return false;
    for (int i = 0; i < s->levels; i++)
        if (s->channels[i] < 1 || s->channels[i] > 1024)
            return false;
    return true;
}

int imp_student_stride(const struct imp_student_shape *s)
{
    return s->stem_stride << (s->levels - 1);
}

struct imp_tnet *imp_student_create_shaped(int n_styles, const struct imp_student_shape *s,
                                           int *output)
{
    if (n_styles < 1 || !imp_student_shape_valid(s))
        return NULL;
    struct imp_tnet *net = imp_tnet_create(3);
    if (!net)
        return NULL;
    /* A failed adder returns -1 and every later adder fails on it. */
    int encoded[IMP_STUDENT_MAX_LEVELS];
    int v = block(net, 0, s->channels[0], s->edge_kernel, s->stem_stride, n_styles, true);
    encoded[0] = v;
    for (int i = 1; i < s->levels; i++)
        encoded[i] = v = block(net, v, s->channels[i], 3, 2, n_styles, true);
    const int body = s->channels[s->levels - 1];
    for (int r = 0; r < s->res_blocks; r++) {
        int y = block(net, v, body, 3, 1, n_styles, true);
        y = block(net, y, body, 3, 1, n_styles, false);
        v = imp_tnet_add(net, v, y);
    }
    for (int i = s->levels - 2; i >= 0; i--) {
        if (s->bilinear)
            v = imp_tnet_upsample2_linear(net, block(net, v, s->channels[i], 3, 1, n_styles,
                                                     true));
        else
            v = block(net, imp_tnet_upsample2(net, v), s->channels[i], 3, 1, n_styles, true);
        if (s->skips)
            v = imp_tnet_add(net, v, encoded[i]);
    }
    if (s->stem_stride == 2 && !s->bilinear)
        v = imp_tnet_upsample2(net, v);
    const int k = s->edge_kernel;
    v = imp_tnet_conv(net, imp_tnet_pad_reflect(net, v, k / 2), 3, k, 1, 0, true);
    if (s->stem_stride == 2 && s->bilinear)
        v = imp_tnet_upsample2_linear(net, v);
    v = imp_tnet_sigmoid(net, v);
    if (v < 0) {
        imp_tnet_free(net);
        return NULL;
    }
    *output = v;
    return net;
}

struct imp_tnet *imp_student_create(int n_styles, int width, int res_blocks, int *output)
{
    if (width < 1 || width > 256)
        return NULL;
    struct imp_student_shape s = imp_student_johnson(width, res_blocks);
    return imp_student_create_shaped(n_styles, &s, output);
}
