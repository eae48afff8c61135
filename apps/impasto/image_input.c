/* Photos into model inputs: layout, size, scaling and channel order. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "npy.h"
#include "resample.h"

void imp_cli_image_flags_init(struct imp_cli_image_flags *f)
{
    memset(f, 0, sizeof *f);
    f->scale = 1.0f / 255.0f;
    for (int c = 0; c < 3; c++)
        f->std[c] = 1.0f;
}

/* "R,G,B" or one value for all three. */
static int parse_triple(const char *cmd, const char *flag, const char *text,
                        float out[3])
{
    char buf[128];
    if (strlen(text) >= sizeof buf)
        return imp_cli_usage(cmd, "%s: value too long", flag), -1;
    strcpy(buf, text);
    char *parts[4];
    int n = 0;
    for (char *p = buf; n < 4;) {
        parts[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    if (n != 1 && n != 3)
        return imp_cli_usage(cmd, "%s wants R,G,B or one value, not '%s'", flag, text), -1;
    for (int k = 0; k < n; k++)
        if (imp_cli_parse_float(cmd, flag, parts[k], &out[k]))
            return -1;
    if (n == 1)
        out[1] = out[2] = out[0];
    return 0;
}

int imp_cli_image_flag(struct imp_cli_image_flags *f, const char *cmd, int id,
                       const char *value)
{
    switch (id) {
    case IMP_CLI_OPT_LAYOUT:
        if (strcmp(value, "nchw") == 0 || strcmp(value, "NCHW") == 0)
            f->layout = IMP_CLI_LAYOUT_NCHW;
        else if (strcmp(value, "nhwc") == 0 || strcmp(value, "NHWC") == 0)
            f->layout = IMP_CLI_LAYOUT_NHWC;
        else
            return imp_cli_usage(cmd, "--image-layout wants nchw or nhwc, not '%s'",
                                 value),
                   -1;
        return 1;
    case IMP_CLI_OPT_SCALE:
        if (imp_cli_parse_float(cmd, "--scale", value, &f->scale))
            return -1;
        f->scale_set = 1;
        return 1;
    case IMP_CLI_OPT_MEAN:
        return parse_triple(cmd, "--mean", value, f->mean) ? -1 : 1;
    case IMP_CLI_OPT_STD:
        if (parse_triple(cmd, "--std", value, f->std))
            return -1;
        for (int c = 0; c < 3; c++)
            if (f->std[c] == 0)
                return imp_cli_usage(cmd, "--std must not be 0"), -1;
        return 1;
    case IMP_CLI_OPT_BGR:
        f->bgr = 1;
        return 1;
    default:
        return 0;
    }
}

static int is_integer_dtype(enum imp_dtype t)
{
    return t == IMP_DTYPE_U8 || t == IMP_DTYPE_I8 || t == IMP_DTYPE_I32 ||
           t == IMP_DTYPE_I64;
}

int imp_cli_set_image_input(struct imp_cli_session *s, int index,
                            const struct imp_image *img,
                            const struct imp_cli_image_flags *f, const char *what)
{
    struct imp_tensor_info info;
    if (imp_model_input_info(s->model, index, &info) != IMP_OK)
        return imp_cli_fail(s->path, "no input #%d", index);
    char dims_text[160];
    imp_cli_format_dims(dims_text, sizeof dims_text, info.rank, info.dims, ", ");
    if (info.rank != 4 && info.rank != 3)
        return imp_cli_fail(what, "input '%s' is %s: an image needs rank 3 or 4",
                            info.name, dims_text);
    if (!imp_npy_dtype_size(info.dtype))
        return imp_cli_fail(what, "input '%s' has dtype %s, which images cannot fill",
                            info.name, imp_dtype_name(info.dtype));
    int b = info.rank - 3; /* index of the first non-batch dim */
    if (b && info.dims[0] > 1)
        return imp_cli_fail(what, "input '%s' is %s: a batch of one image cannot fill it",
                            info.name, dims_text);
    enum imp_cli_layout layout = f->layout;
    if (layout == IMP_CLI_LAYOUT_GUESS) {
        if (info.dims[b] == 3)
            layout = IMP_CLI_LAYOUT_NCHW;
        else if (info.dims[b + 2] == 3)
            layout = IMP_CLI_LAYOUT_NHWC;
        else
            return imp_cli_fail(what,
                                "input '%s' is %s: no channel dim of size 3, so the "
                                "layout is unclear (give --image-layout nchw|nhwc)",
                                info.name, dims_text);
    }
    int cdim = layout == IMP_CLI_LAYOUT_NCHW ? b : b + 2;
    int hdim = layout == IMP_CLI_LAYOUT_NCHW ? b + 1 : b;
    if (info.dims[cdim] >= 0 && info.dims[cdim] != 3)
        return imp_cli_fail(what, "input '%s' is %s: it has %lld channels, a photo has 3",
                            info.name, dims_text, (long long)info.dims[cdim]);
    int64_t mh = info.dims[hdim], mw = info.dims[hdim + 1];
    int h = mh > 0 ? (int)mh : img->height, w = mw > 0 ? (int)mw : img->width;
    if (mh > (1 << 16) || mw > (1 << 16))
        return imp_cli_fail(what, "input '%s' is %s: too large for an image", info.name,
                            dims_text);

    size_t n_img = (size_t)img->width * img->height * 3, n = (size_t)h * w * 3;
    float *rgb = malloc(sizeof *rgb * n_img);
    float *sized = h == img->height && w == img->width ? rgb : malloc(sizeof *sized * n);
    float *tensor = malloc(sizeof *tensor * n);
    void *converted = malloc(imp_npy_dtype_size(info.dtype) * n);
    int rc = 0;
    if (!rgb || !sized || !tensor || !converted) {
        rc = imp_cli_fail(what, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_img; i++)
        rgb[i] = img->pixels[i];
    if (sized != rgb &&
        imp_resample_f32(rgb, img->width, img->height, 3, sized, w, h) != 0) {
        rc = imp_cli_fail(what, "out of memory");
        goto done;
    }
    float scale = f->scale_set || !is_integer_dtype(info.dtype) ? f->scale : 1.0f;
    size_t plane = (size_t)h * w;
    for (size_t p = 0; p < plane; p++) {
        for (int c = 0; c < 3; c++) {
            float v = (sized[p * 3 + c] * scale - f->mean[c]) / f->std[c];
            int k = f->bgr ? 2 - c : c;
            if (layout == IMP_CLI_LAYOUT_NCHW)
                tensor[(size_t)k * plane + p] = v;
            else
                tensor[p * 3 + (size_t)k] = v;
        }
    }
    int64_t dims[4];
    if (b)
        dims[0] = 1;
    dims[cdim] = 3;
    dims[hdim] = h;
    dims[hdim + 1] = w;
    enum imp_status st = imp_cli_resize_input(s, index, info.rank, dims);
    if (st == IMP_OK) {
        imp_convert_elements(IMP_DTYPE_F32, tensor, info.dtype, converted, n);
        st = imp_predictor_set_input(s->pred, index, converted,
                                     n * imp_npy_dtype_size(info.dtype));
    }
    if (st != IMP_OK)
        rc = imp_cli_fail(what, "%s", imp_predictor_last_error(s->pred));
done:
    if (sized != rgb)
        free(sized);
    free(rgb);
    free(tensor);
    free(converted);
    return rc;
}
