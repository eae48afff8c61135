/* Person segmentation models as segment and focus use them: an RGB picture
 * in, a one-channel person probability out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "npy.h"

int imp_cli_mask_size(const struct imp_tensor_info *t, int *h, int *w)
{
    const int64_t *d = t->dims;
    int64_t mh, mw;
    if (t->rank == 4 && d[0] == 1 && d[3] == 1) {
        mh = d[1];
        mw = d[2];
    } else if (t->rank == 4 && d[0] == 1 && d[1] == 1) {
        mh = d[2];
        mw = d[3];
    } else if (t->rank == 3 && d[0] == 1) {
        mh = d[1];
        mw = d[2];
    } else if (t->rank == 2) {
        mh = d[0];
        mw = d[1];
    } else {
        return -1;
    }
    if (mh < 1 || mw < 1 || mh > (1 << 16) || mw > (1 << 16))
        return -1;
    *h = (int)mh;
    *w = (int)mw;
    return 0;
}

int imp_cli_mask_output(struct imp_cli_session *s, float **mask, int *h, int *w)
{
    struct imp_tensor_info t;
    const void *data;
    *mask = NULL;
    if (imp_predictor_output(s->pred, 0, &t, &data) != IMP_OK)
        return imp_cli_pred_fail(s, IMP_ERR_ARGUMENT);
    char dims[160];
    imp_cli_format_dims(dims, sizeof dims, t.rank, t.dims, ", ");
    if (imp_cli_mask_size(&t, h, w) != 0)
        return imp_cli_fail(s->path, "output '%s' is %s, not a one-channel mask", t.name,
                            dims);
    size_t n = (size_t)*h * *w;
    *mask = malloc(sizeof **mask * n);
    if (!*mask || imp_convert_elements(t.dtype, data, IMP_DTYPE_F32, *mask, n) != 0) {
        free(*mask);
        *mask = NULL;
        return imp_cli_fail(s->path, "out of memory or output dtype %s is not a number",
                            imp_dtype_name(t.dtype));
    }
    return 0;
}

int imp_cli_rgb_input_size(struct imp_cli_session *s, int *h, int *w, int *nchw)
{
    struct imp_tensor_info info;
    if (imp_model_input_count(s->model) != 1 ||
        imp_model_input_info(s->model, 0, &info) != IMP_OK)
        return imp_cli_fail(s->path, "a segmentation model has one input (this one has %d)",
                            imp_model_input_count(s->model));
    const int64_t *d = info.dims;
    char dims[160];
    imp_cli_format_dims(dims, sizeof dims, info.rank, d, ", ");
    if (info.rank == 4 && d[3] == 3 && d[1] > 0 && d[2] > 0) {
        *nchw = 0;
        *h = (int)d[1];
        *w = (int)d[2];
    } else if (info.rank == 4 && d[1] == 3 && d[2] > 0 && d[3] > 0) {
        *nchw = 1;
        *h = (int)d[2];
        *w = (int)d[3];
    } else {
        return imp_cli_fail(s->path,
                            "input '%s' is %s: not an RGB picture of a fixed size "
                            "([1,H,W,3] or [1,3,H,W])",
                            info.name, dims);
    }
    if (*h > 4096 || *w > 4096)
        return imp_cli_fail(s->path, "input '%s' is %s: too large for a mask model",
                            info.name, dims);
    if (info.dtype != IMP_DTYPE_F32)
        return imp_cli_fail(s->path, "input '%s' is %s, not float32", info.name,
                            imp_dtype_name(info.dtype));
    return 0;
}

int imp_cli_set_rgb_input(struct imp_cli_session *s, const float *rgb, int h, int w,
                          int nchw, float *planar)
{
    int64_t dims[4] = {1, h, w, 3};
    if (nchw) {
        dims[1] = 3;
        dims[2] = h;
        dims[3] = w;
    }
    size_t n = (size_t)h * w;
    if (nchw) {
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                planar[c * n + i] = rgb[i * 3 + c];
        rgb = planar;
    }
    enum imp_status st = imp_cli_resize_input(s, 0, 4, dims);
    if (st == IMP_OK)
        st = imp_predictor_set_input(s->pred, 0, rgb, sizeof *rgb * n * 3);
    return st == IMP_OK ? 0 : imp_cli_pred_fail(s, st);
}

/* Where scripts/lib.sh puts the npm package, relative to the source tree. */
#define SELFIE_PACKAGE_DIR "third_party/npm/selfie_segmentation-0.1.1675465747/package"

const char *imp_cli_selfie_model(const char *name, char *buf, size_t size)
{
    const char *file = strcmp(name, "landscape") == 0
                           ? "selfie_segmentation_landscape.tflite"
                           : "selfie_segmentation.tflite";
    const char *env = getenv("IMP_SELFIE_DIR");
    const char *dirs[3] = {env && *env ? env : NULL, SELFIE_PACKAGE_DIR,
#ifdef IMP_SOURCE_DIR
                           IMP_SOURCE_DIR "/" SELFIE_PACKAGE_DIR
#else
                           NULL
#endif
    };
    for (int i = 0; i < 3; i++) {
        if (!dirs[i])
            continue;
        snprintf(buf, size, "%s/%s", dirs[i], file);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    imp_cli_fail(name,
                 "the %s segmentation model (%s) is not installed: run "
                 "scripts/build.sh to fetch it from npm, set IMP_SELFIE_DIR to a "
                 "folder holding it, or give --model FILE",
                 name, file);
    return NULL;
}
