#include "ops/window.h"

#include <string.h>

static enum imp_status read_auto_pad(const struct imp_node *n,
                                     enum imp_auto_pad *ap,
                                     struct imp_error *err)
{
    const struct imp_attr *a = imp_node_attr(n, "auto_pad");
    *ap = IMP_AUTO_PAD_NOTSET;
    if (!a)
        return IMP_OK;
    if (a->type != IMP_ATTR_STRING || !a->s)
        return imp_fail(err, IMP_ERR_FORMAT, "auto_pad must be a string");
    /* Some exporters write an empty string for the default. */
    if (strcmp(a->s, "NOTSET") == 0 || a->s[0] == '\0')
        *ap = IMP_AUTO_PAD_NOTSET;
    else if (strcmp(a->s, "SAME_UPPER") == 0)
        *ap = IMP_AUTO_PAD_SAME_UPPER;
    else if (strcmp(a->s, "SAME_LOWER") == 0)
        *ap = IMP_AUTO_PAD_SAME_LOWER;
    else if (strcmp(a->s, "VALID") == 0)
        *ap = IMP_AUTO_PAD_VALID;
    else
        return imp_fail(err, IMP_ERR_FORMAT, "unknown auto_pad '%.40s'", a->s);
    return IMP_OK;
}

/* An ints attribute with exactly `want` values in [lo, IMP_WIN_ATTR_MAX],
 * or `dflt` everywhere when absent. */
static enum imp_status read_ints(const struct imp_node *n, const char *name,
                                 int want, int64_t lo, int64_t dflt,
                                 int64_t *dst, bool *present,
                                 struct imp_error *err)
{
    const struct imp_attr *a = imp_node_attr(n, name);
    if (present)
        *present = a != NULL;
    if (!a) {
        for (int i = 0; i < want; i++)
            dst[i] = dflt;
        return IMP_OK;
    }
    if (a->type != IMP_ATTR_INTS)
        return imp_fail(err, IMP_ERR_FORMAT, "%s must be a list of ints", name);
    if (a->n != want)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "%s has %d values; %d expected for this spatial rank",
                        name, a->n, want);
    for (int i = 0; i < want; i++) {
        if (a->ints[i] < lo || a->ints[i] > IMP_WIN_ATTR_MAX)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "%s[%d] = %lld is out of range [%lld, %lld]", name, i,
                            (long long)a->ints[i], (long long)lo,
                            (long long)IMP_WIN_ATTR_MAX);
        dst[i] = a->ints[i];
    }
    return IMP_OK;
}

enum imp_status imp_window_parse(const struct imp_node *n, int nsp,
                                 const int64_t *in, const int64_t *kernel,
                                 struct imp_window *w, struct imp_error *err)
{
    if (nsp < 1 || nsp > IMP_WIN_AXES)
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "%d spatial axes; only 1 to %d are supported", nsp,
                        IMP_WIN_AXES);
    memset(w, 0, sizeof *w);
    w->nsp = nsp;
    for (int i = 0; i < IMP_WIN_AXES; i++) {
        w->in[i] = w->out[i] = w->k[i] = w->s[i] = w->d[i] = 1;
        w->pb[i] = w->pe[i] = 0;
    }
    int off = IMP_WIN_AXES - nsp;
    enum imp_status st = read_auto_pad(n, &w->auto_pad, err);
    if (st != IMP_OK)
        return st;

    for (int i = 0; i < nsp; i++) {
        if (in[i] < 1 || in[i] > IMP_WIN_DIM_MAX)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "input spatial axis %d has size %lld", i,
                            (long long)in[i]);
        w->in[off + i] = in[i];
    }

    int64_t ks[IMP_WIN_AXES];
    bool has_ks;
    st = read_ints(n, "kernel_shape", nsp, 1, 1, ks, &has_ks, err);
    if (st != IMP_OK)
        return st;
    if (!kernel && !has_ks)
        return imp_fail(err, IMP_ERR_FORMAT, "kernel_shape is required");
    for (int i = 0; i < nsp; i++) {
        if (kernel && (kernel[i] < 1 || kernel[i] > IMP_WIN_ATTR_MAX))
            return imp_fail(err, IMP_ERR_SHAPE,
                            "weight kernel axis %d has size %lld", i,
                            (long long)kernel[i]);
        if (kernel && has_ks && ks[i] != kernel[i])
            return imp_fail(err, IMP_ERR_SHAPE,
                            "kernel_shape[%d] = %lld but the weight's kernel "
                            "axis is %lld",
                            i, (long long)ks[i], (long long)kernel[i]);
        w->k[off + i] = kernel ? kernel[i] : ks[i];
    }

    int64_t v[2 * IMP_WIN_AXES];
    if ((st = read_ints(n, "strides", nsp, 1, 1, v, NULL, err)) != IMP_OK)
        return st;
    memcpy(&w->s[off], v, sizeof v[0] * (size_t)nsp);
    if ((st = read_ints(n, "dilations", nsp, 1, 1, v, NULL, err)) != IMP_OK)
        return st;
    memcpy(&w->d[off], v, sizeof v[0] * (size_t)nsp);
    if ((st = read_ints(n, "pads", 2 * nsp, 0, 0, v, NULL, err)) != IMP_OK)
        return st;
    memcpy(&w->pb[off], v, sizeof v[0] * (size_t)nsp);
    memcpy(&w->pe[off], v + nsp, sizeof v[0] * (size_t)nsp);
    return IMP_OK;
}

enum imp_status imp_window_forward(struct imp_window *w, bool ceil_mode,
                                   struct imp_error *err)
{
    int off = IMP_WIN_AXES - w->nsp;
    for (int i = off; i < IMP_WIN_AXES; i++) {
        int64_t ext = imp_window_extent(w, i), in = w->in[i], s = w->s[i];
        int64_t out;
        switch (w->auto_pad) {
        case IMP_AUTO_PAD_VALID:
            w->pb[i] = w->pe[i] = 0;
            out = in >= ext ? (in - ext) / s + 1 : 0;
            break;
        case IMP_AUTO_PAD_SAME_UPPER:
        case IMP_AUTO_PAD_SAME_LOWER: {
            /* Explicit pads are ignored, as ONNX Runtime does. */
            out = imp_ceil_div(in, s);
            int64_t total = (out - 1) * s + ext - in;
            if (total < 0)
                total = 0;
            w->pb[i] = w->auto_pad == IMP_AUTO_PAD_SAME_UPPER ? total / 2
                                                              : total - total / 2;
            w->pe[i] = total - w->pb[i];
            break;
        }
        default: {
            int64_t span = in + w->pb[i] + w->pe[i] - ext;
            if (span < 0) {
                out = 0;
                break;
            }
            out = (ceil_mode ? imp_ceil_div(span, s) : span / s) + 1;
            /* A window starting inside the end padding sees no input. */
            if (ceil_mode && (out - 1) * s >= in + w->pb[i])
                out--;
            break;
        }
        }
        if (out < 1 || out > IMP_WIN_DIM_MAX)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "output spatial axis %d would have size %lld (input "
                            "%lld, kernel extent %lld, pads %lld+%lld, stride %lld)",
                            i - off, (long long)out, (long long)in, (long long)ext,
                            (long long)w->pb[i], (long long)w->pe[i], (long long)s);
        w->out[i] = out;
    }
    return IMP_OK;
}
