/* Resize (opset 11-19) and Upsample (opset 7-9).
 *
 * Every axis is treated alike: prepare() maps each output index of each
 * axis to the input taps it reads (1 for nearest, 2 for linear, 4 for
 * cubic) with their weights, and run() sums the tap products. Axes whose
 * mapping is the identity take one tap, so bilinear on NCHW costs four
 * loads per output, not sixteen.
 *
 * Coordinates are computed in float the way ONNX Runtime (the golden
 * reference) does, so nearest-neighbour ties break the same way. Output
 * sizes from scales are floor(in * scale) with the float product; roi only
 * moves sampling positions (tf_crop_and_resize), it never changes sizes,
 * as in ONNX Runtime and the ONNX reference implementation.
 *
 * The "repeat" engine takes nearest resizes that are plain replication:
 * outer axes unchanged, the last two enlarged by integer factors, and each
 * output index o reading input o / k. Whether the attributes give that
 * (asymmetric + floor does for every k; half_pixel with round_prefer_floor
 * or round_prefer_ceil, the ONNX default and PyTorch's export, does too,
 * and so, perhaps surprisingly, does align_corners with rounding at x2;
 * half_pixel + floor and align_corners + floor do not) is decided by
 * evaluating the very same coordinate code the reference tables use for
 * every output index, so the two engines cannot disagree.
 *
 * The "linear2" engine takes bilinear x2 with half-pixel centres (ONNX's
 * default coordinates, PyTorch's align_corners=False, the decoder of the
 * styles impasto trains): outer axes unchanged, and every output index o
 * of the last two axes sampling o / 2 - 1/4, checked the same way. Its
 * rows come from the element-wise kernels, threaded, with the reference's
 * products in the reference's order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/threadpool.h"
#include "kernels/eltwise.h"
#include "ops/op_util.h"
#include "ops/tensor_util.h"

enum rs_mode { RS_NEAREST, RS_LINEAR, RS_CUBIC };
enum rs_coord {
    RS_HALF_PIXEL,
    RS_HALF_PIXEL_SYMMETRIC,
    RS_PYTORCH_HALF_PIXEL,
    RS_ALIGN_CORNERS,
    RS_ASYMMETRIC,
    RS_TF_HALF_PIXEL_FOR_NN,
    RS_TF_CROP_AND_RESIZE,
};
/* RS_SIMPLE: Upsample's rule (floor when enlarging, ceil when shrinking). */
enum rs_nearest {
    RS_ROUND_PREFER_FLOOR,
    RS_ROUND_PREFER_CEIL,
    RS_FLOOR,
    RS_CEIL,
    RS_SIMPLE
};

/* Far above any real feature map; keeps float -> int conversions defined. */
#define RS_MAX_DIM ((int64_t)1 << 40)
/* Outer tap combinations a row may need (cubic over four axes is 64). */
#define RS_MAX_COMBOS 4096

struct rs_params {
    enum rs_mode mode;
    enum rs_coord coord;
    enum rs_nearest nearest;
    float cubic_a, extrapolation;
    bool exclude_outside;
    struct imp_shape out;
    float scale[IMP_MAX_RANK];
    /* The axis's size came from its scale: coordinate maps that divide by
     * the output length use in * scale, unrounded, as ONNX's reference
     * does (a 4-wide axis shrunk by 0.6 counts as 2.4 long, not 2). */
    bool from_scale[IMP_MAX_RANK];
    float roi_start[IMP_MAX_RANK], roi_end[IMP_MAX_RANK];
};

static bool pick(const char *s, const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return true;
        }
    return false;
}

static enum imp_status parse_mode(const struct imp_node *n, struct rs_params *p,
                                  struct imp_error *err)
{
    const char *mode = imp_node_string(n, "mode", "nearest");
    if (strcmp(mode, "nearest") == 0)
        p->mode = RS_NEAREST;
    else if (strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0 ||
             strcmp(mode, "trilinear") == 0)
        p->mode = RS_LINEAR;
    else if (strcmp(mode, "cubic") == 0)
        p->mode = RS_CUBIC;
    else
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "unknown mode '%s' (nearest, linear, cubic)", mode);
    return IMP_OK;
}

/* The Resize-specific attributes and inputs: per-axis scales (or sizes),
 * axes, roi, keep_aspect_ratio_policy. */
static enum imp_status parse_resize(const struct imp_node *n,
                                    const struct imp_tensor *const *in, int n_in,
                                    struct rs_params *p, struct imp_error *err)
{
    static const char *const coords[] = {
        "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
        "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil",
                                           "floor", "ceil"};
    static const char *const policies[] = {"stretch", "not_larger", "not_smaller"};
    const struct imp_shape *xs = &in[0]->shape;
    int rank = xs->rank, v;
    const char *s = imp_node_string(n, "coordinate_transformation_mode", "half_pixel");
    if (!pick(s, coords, 7, &v))
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "unknown coordinate_transformation_mode '%s'", s);
    p->coord = (enum rs_coord)v;
    s = imp_node_string(n, "nearest_mode", "round_prefer_floor");
    if (!pick(s, nearests, 4, &v))
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "unknown nearest_mode '%s'", s);
    p->nearest = (enum rs_nearest)v;
    s = imp_node_string(n, "keep_aspect_ratio_policy", "stretch");
    int policy;
    if (!pick(s, policies, 3, &policy))
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "unknown keep_aspect_ratio_policy '%s'",
                        s);
    p->cubic_a = imp_node_float(n, "cubic_coeff_a", -0.75f);
    p->exclude_outside = imp_node_int(n, "exclude_outside", 0) != 0;
    p->extrapolation = imp_node_float(n, "extrapolation_value", 0.0f);

    int axes[IMP_MAX_RANK], n_axes = rank;
    for (int i = 0; i < rank; i++)
        axes[i] = i;
    if (imp_node_attr(n, "axes")) {
        int64_t raw[IMP_MAX_RANK];
        n_axes = imp_attr_ints(n, "axes", raw, IMP_MAX_RANK);
        if (n_axes < 0)
            return imp_fail(err, IMP_ERR_FORMAT, "axes must be a list of at most %d ints",
                            IMP_MAX_RANK);
        bool seen[IMP_MAX_RANK] = {false};
        for (int i = 0; i < n_axes; i++) {
            if (!imp_norm_axis(raw[i], rank, &axes[i]))
                return imp_fail(err, IMP_ERR_SHAPE,
                                "axis %lld is out of range for rank %d",
                                (long long)raw[i], rank);
            if (seen[axes[i]])
                return imp_fail(err, IMP_ERR_SHAPE, "axis %lld is repeated",
                                (long long)raw[i]);
            seen[axes[i]] = true;
        }
    }

    enum imp_status st;
    int count;
    const struct imp_tensor *roi = imp_opt_input(in, n_in, 1);
    if (p->coord == RS_TF_CROP_AND_RESIZE && imp_input_given(roi)) {
        float r[2 * IMP_MAX_RANK];
        st = imp_input_floats(roi, 1, r, 2 * IMP_MAX_RANK, &count, err);
        if (st != IMP_OK)
            return st;
        if (count != 2 * n_axes)
            return imp_fail(err, IMP_ERR_SHAPE, "roi has %d values; expected %d", count,
                            2 * n_axes);
        for (int i = 0; i < n_axes; i++) {
            p->roi_start[axes[i]] = r[i];
            p->roi_end[axes[i]] = r[n_axes + i];
        }
    }

    const struct imp_tensor *scales = imp_opt_input(in, n_in, 2);
    const struct imp_tensor *sizes = imp_opt_input(in, n_in, 3);
    bool has_scales = imp_input_given(scales), has_sizes = imp_input_given(sizes);
    if (has_scales == has_sizes)
        return imp_fail(
            err, IMP_ERR_FORMAT,
            "exactly one of scales (input 2) and sizes (input 3) must be given");
    if (has_scales) {
        float f[IMP_MAX_RANK];
        st = imp_input_floats(scales, 2, f, IMP_MAX_RANK, &count, err);
        if (st != IMP_OK)
            return st;
        if (count != n_axes)
            return imp_fail(err, IMP_ERR_SHAPE, "%d scales for %d axes", count, n_axes);
        for (int i = 0; i < n_axes; i++)
            p->scale[axes[i]] = f[i];
        return IMP_OK;
    }
    int64_t want[IMP_MAX_RANK];
    st = imp_input_ints(sizes, 3, want, IMP_MAX_RANK, &count, err);
    if (st != IMP_OK)
        return st;
    if (count != n_axes)
        return imp_fail(err, IMP_ERR_SHAPE, "%d sizes for %d axes", count, n_axes);
    for (int i = 0; i < n_axes; i++) {
        int64_t d = xs->d[axes[i]];
        if (want[i] <= 0 || want[i] > RS_MAX_DIM)
            return imp_fail(err, IMP_ERR_SHAPE, "size %lld for axis %d is invalid",
                            (long long)want[i], axes[i]);
        if (d == 0)
            return imp_fail(err, IMP_ERR_SHAPE, "cannot resize empty axis %d to %lld",
                            axes[i], (long long)want[i]);
    }
    if (policy == 0) {
        for (int i = 0; i < n_axes; i++) {
            p->out.d[axes[i]] = want[i];
            p->scale[axes[i]] = (float)want[i] / (float)xs->d[axes[i]];
        }
        return IMP_OK;
    }
    /* One scale for all the axes, so the aspect ratio survives. */
    float k = 0.0f;
    for (int i = 0; i < n_axes; i++) {
        float r = (float)want[i] / (float)xs->d[axes[i]];
        if (i == 0 || (policy == 1 ? r < k : r > k))
            k = r;
    }
    for (int i = 0; i < n_axes; i++) {
        float o = k * (float)xs->d[axes[i]] + 0.5f;
        if (!(o < (float)RS_MAX_DIM))
            return imp_fail(err, IMP_ERR_SHAPE, "output would be absurdly large");
        p->out.d[axes[i]] = (int64_t)o;
        p->scale[axes[i]] = k;
    }
    return IMP_OK;
}

/* Sizes left at 0 in p->out are computed from the scales here. */
static enum imp_status rs_parse(const struct imp_node *n,
                                const struct imp_tensor *const *in, int n_in,
                                bool upsample, struct rs_params *p, struct imp_error *err)
{
    memset(p, 0, sizeof *p);
    const struct imp_tensor *x = imp_opt_input(in, n_in, 0);
    if (!x)
        return imp_fail(err, IMP_ERR_FORMAT, "input 0 is required");
    int rank = x->shape.rank;
    if (rank < 1)
        return imp_fail(err, IMP_ERR_SHAPE, "cannot resize a scalar");
    for (int d = 0; d < rank; d++) {
        p->scale[d] = 1.0f;
        p->roi_start[d] = 0.0f;
        p->roi_end[d] = 1.0f;
    }
    enum imp_status st = parse_mode(n, p, err);
    if (st != IMP_OK)
        return st;
    if (upsample) {
        /* Upsample predates the attributes: asymmetric coordinates and
         * ONNX Runtime's legacy nearest rule. */
        p->coord = RS_ASYMMETRIC;
        p->nearest = RS_SIMPLE;
        p->cubic_a = -0.75f;
        float f[IMP_MAX_RANK];
        int count;
        const struct imp_tensor *scales = imp_opt_input(in, n_in, 1);
        if (scales) {
            st = imp_input_floats(scales, 1, f, IMP_MAX_RANK, &count, err);
            if (st != IMP_OK)
                return st;
        } else {
            const struct imp_attr *a = imp_node_attr(n, "scales");
            if (!a || a->type != IMP_ATTR_FLOATS || a->n > IMP_MAX_RANK)
                return imp_fail(err, IMP_ERR_FORMAT,
                                "scales must be given (input 1 or a floats attribute)");
            count = a->n;
            memcpy(f, a->floats, sizeof(float) * (size_t)count);
        }
        if (count != rank)
            return imp_fail(err, IMP_ERR_SHAPE, "%d scales for rank %d", count, rank);
        /* Upsample-9 wants scales >= 1, but Resize-10 (which the ONNX
         * reader runs as Upsample) may shrink: accept any positive scale. */
        for (int d = 0; d < rank; d++) {
            if (!(f[d] > 0.0f && f[d] < 1e6f))
                return imp_fail(err, IMP_ERR_SHAPE,
                                "Upsample scale %g on axis %d is not a positive size factor",
                                (double)f[d], d);
            p->scale[d] = f[d];
        }
    } else {
        st = parse_resize(n, in, n_in, p, err);
        if (st != IMP_OK)
            return st;
        if (p->mode != RS_NEAREST && imp_node_int(n, "antialias", 0)) {
            for (int d = 0; d < rank; d++)
                if (p->scale[d] < 1.0f)
                    return imp_fail(err, IMP_ERR_UNSUPPORTED,
                                    "antialias=1 when downscaling is not supported");
        }
    }
    if (p->exclude_outside && p->mode != RS_CUBIC)
        return imp_fail(err, IMP_ERR_FORMAT, "exclude_outside needs mode cubic");
    p->out.rank = rank;
    for (int d = 0; d < rank; d++) {
        float s = p->scale[d];
        if (!(s > 0.0f) || !isfinite(s))
            return imp_fail(err, IMP_ERR_SHAPE, "scale %g on axis %d must be positive",
                            (double)s, d);
        if (p->out.d[d] == 0) { /* from scales */
            float o = s * (float)x->shape.d[d];
            if (!(o < (float)RS_MAX_DIM))
                return imp_fail(err, IMP_ERR_SHAPE, "output would be absurdly large");
            p->out.d[d] = (int64_t)o;
            p->from_scale[d] = true;
        }
    }
    if (p->mode != RS_NEAREST && x->dtype != IMP_DTYPE_F32)
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "%s interpolation of %s data is not supported (float32 only)",
                        p->mode == RS_LINEAR ? "linear" : "cubic",
                        imp_dtype_name(x->dtype));
    if (imp_dtype_size(x->dtype) == 0 || imp_dtype_size(x->dtype) > 8)
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "cannot resize %s data",
                        imp_dtype_name(x->dtype));
    return imp_check_out_shape(&p->out, err);
}

static enum imp_status resize_infer_common(struct imp_infer_ctx *c, bool upsample)
{
    struct rs_params p;
    enum imp_status st = rs_parse(c->node, c->in, c->n_in, upsample, &p, c->err);
    if (st != IMP_OK)
        return st;
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape = p.out;
    return IMP_OK;
}

static enum imp_status resize_infer(struct imp_infer_ctx *c)
{
    return resize_infer_common(c, false);
}

static enum imp_status upsample_infer(struct imp_infer_ctx *c)
{
    return resize_infer_common(c, true);
}

/* ---- coordinate maps ----------------------------------------------------- */

/* Output index -> input coordinate along one axis. */
static float original_coord(const struct rs_params *p, int d, int64_t o, int64_t len_in,
                            int64_t len_out)
{
    float xr = (float)o, s = p->scale[d], li = (float)len_in;
    float lo = p->from_scale[d] ? s * li : (float)len_out;
    switch (p->coord) {
    case RS_HALF_PIXEL: return (xr + 0.5f) / s - 0.5f;
    case RS_HALF_PIXEL_SYMMETRIC: {
        float adjustment = (float)len_out / (s * li);
        float center = li / 2.0f;
        float offset = center * (1.0f - adjustment);
        return offset + (xr + 0.5f) / s - 0.5f;
    }
    case RS_PYTORCH_HALF_PIXEL: return lo > 1.0f ? (xr + 0.5f) / s - 0.5f : 0.0f;
    case RS_ALIGN_CORNERS: return lo == 1.0f ? 0.0f : xr * (li - 1.0f) / (lo - 1.0f);
    case RS_ASYMMETRIC: return xr / s;
    case RS_TF_HALF_PIXEL_FOR_NN: return (xr + 0.5f) / s;
    case RS_TF_CROP_AND_RESIZE: {
        float a = p->roi_start[d], b = p->roi_end[d];
        if (lo > 1.0f)
            return a * (li - 1.0f) + (xr * (b - a) * (li - 1.0f)) / (lo - 1.0f);
        return 0.5f * (a + b) * (li - 1.0f);
    }
    }
    return 0.0f;
}

static int64_t nearest_index(enum rs_nearest mode, float x, bool shrinking)
{
    float f = floorf(x);
    switch (mode) {
    case RS_ROUND_PREFER_FLOOR: return (int64_t)(x - f == 0.5f ? f : roundf(x));
    case RS_ROUND_PREFER_CEIL: return (int64_t)roundf(x);
    case RS_FLOOR: return (int64_t)f;
    case RS_CEIL: return (int64_t)ceilf(x);
    case RS_SIMPLE: return (int64_t)(shrinking ? ceilf(x) : f);
    }
    return 0;
}

static void cubic_weights(float r, float a, float *w)
{
    float r1 = r + 1.0f, q = 1.0f - r, q1 = q + 1.0f;
    w[0] = ((a * r1 - 5.0f * a) * r1 + 8.0f * a) * r1 - 4.0f * a;
    w[1] = ((a + 2.0f) * r - (a + 3.0f)) * r * r + 1.0f;
    w[2] = ((a + 2.0f) * q - (a + 3.0f)) * q * q + 1.0f;
    w[3] = ((a * q1 - 5.0f * a) * q1 + 8.0f * a) * q1 - 4.0f * a;
}

static int64_t clamp_index(int64_t i, int64_t n)
{
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

struct rs_axis {
    int taps;          /* 1 when the axis maps identically or is nearest */
    int64_t *idx;      /* [out][taps] input index                        */
    float *w;          /* [out][taps] weight                             */
    unsigned char *ex; /* [out] 1: extrapolate (tf_crop_and_resize)      */
};

struct rs_state {
    struct rs_params p;
    int taps; /* 1, 2 or 4 */
    struct rs_axis ax[IMP_MAX_RANK];
    int64_t combos;          /* tap combinations of the outer axes: scratch size */
    unsigned char extrap[8]; /* extrapolation value in the data dtype */
    int64_t mem[];           /* the axis tables */
};

/* Input coordinate of output index o, held where the int conversions stay
 * defined; *ex tells whether it falls outside (tf_crop_and_resize). */
static float axis_coord(const struct rs_params *p, int d, int64_t o, int64_t len_in,
                        int64_t len_out, unsigned char *ex)
{
    float x = original_coord(p, d, o, len_in, len_out);
    *ex = p->coord == RS_TF_CROP_AND_RESIZE && (x < 0.0f || x > (float)(len_in - 1));
    /* Beyond a few pixels outside, every tap clamps to the edge: keep x
     * there so the int conversions stay defined. */
    float lim = (float)len_in + 4.0f;
    return x < -4.0f ? -4.0f : x > lim ? lim : x;
}

static int64_t nearest_tap(const struct rs_params *p, int d, float x, int64_t len_in)
{
    return clamp_index(nearest_index(p->nearest, x, p->scale[d] < 1.0f), len_in);
}

/* Fill one axis's table; returns whether the map is the identity. */
static bool build_axis(const struct rs_params *p, int taps, int d, int64_t len_in,
                       int64_t len_out, int64_t *idx, float *w, unsigned char *ex)
{
    bool identity = len_in == len_out;
    for (int64_t o = 0; o < len_out; o++) {
        float x = axis_coord(p, d, o, len_in, len_out, &ex[o]);
        int64_t *ti = idx + o * taps;
        float *tw = w + o * taps;
        if (taps == 1) {
            ti[0] = nearest_tap(p, d, x, len_in);
            tw[0] = 1.0f;
        } else {
            float f = floorf(x), r = x - f;
            int64_t base = (int64_t)f - (taps == 4 ? 1 : 0);
            if (taps == 2) {
                tw[0] = 1.0f - r;
                tw[1] = r;
            } else {
                cubic_weights(r, p->cubic_a, tw);
                if (p->exclude_outside) {
                    float sum = 0.0f;
                    for (int t = 0; t < 4; t++) {
                        if (base + t < 0 || base + t >= len_in)
                            tw[t] = 0.0f;
                        sum += tw[t];
                    }
                    for (int t = 0; t < 4; t++)
                        tw[t] = sum != 0.0f ? tw[t] / sum : 0.0f;
                }
            }
            for (int t = 0; t < taps; t++)
                ti[t] = clamp_index(base + t, len_in);
        }
        for (int t = 0; t < taps; t++)
            if (ex[o] || (tw[t] != 0.0f && ti[t] != o) ||
                (tw[t] != 0.0f && tw[t] != 1.0f))
                identity = false;
    }
    return identity;
}

static enum imp_status resize_prepare_common(const struct imp_kernel_args *a,
                                             bool upsample, void **state, size_t *scratch,
                                             struct imp_error *err)
{
    struct rs_params p;
    enum imp_status st = rs_parse(a->node, a->in, a->n_in, upsample, &p, err);
    if (st != IMP_OK)
        return st;
    int taps = p.mode == RS_NEAREST ? 1 : p.mode == RS_LINEAR ? 2 : 4;
    int rank = p.out.rank;
    const struct imp_shape *xs = &a->in[0]->shape;
    int64_t total = 0;
    for (int d = 0; d < rank; d++) {
        if (p.out.d[d] > 0 && xs->d[d] == 0)
            return imp_fail(err, IMP_ERR_SHAPE, "cannot resize empty axis %d", d);
        total += p.out.d[d];
    }
    /* One block: all index tables, then all weights, then the flags. */
    size_t n_taps = (size_t)total * (size_t)taps;
    struct rs_state *s = calloc(
        1, sizeof *s + n_taps * (sizeof(int64_t) + sizeof(float)) + (size_t)total + 1);
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    s->p = p;
    s->taps = taps;
    int64_t *idx_mem = s->mem;
    float *w_mem = (float *)(void *)(idx_mem + n_taps);
    unsigned char *ex_mem = (unsigned char *)(w_mem + n_taps);
    for (int d = 0; d < rank; d++) {
        int64_t n = p.out.d[d];
        struct rs_axis *ax = &s->ax[d];
        ax->idx = idx_mem;
        ax->w = w_mem;
        ax->ex = ex_mem;
        idx_mem += n * taps;
        w_mem += n * taps;
        ex_mem += n;
        bool identity = build_axis(&p, taps, d, xs->d[d], n, ax->idx, ax->w, ax->ex);
        ax->taps = taps;
        if (identity && taps > 1) {
            /* Compact in place to a single tap per output. */
            for (int64_t o = 0; o < n; o++) {
                ax->idx[o] = o;
                ax->w[o] = 1.0f;
            }
            ax->taps = 1;
        }
    }
    s->combos = 1;
    for (int d = 0; d + 1 < rank; d++) {
        s->combos *= s->ax[d].taps;
        if (s->combos > RS_MAX_COMBOS) {
            free(s);
            return imp_fail(err, IMP_ERR_UNSUPPORTED,
                            "interpolating over this many axes at once is not supported");
        }
    }
    imp_convert(a->in[0]->dtype, s->extrap, IMP_DTYPE_F32, &p.extrapolation, 1);
    *state = s;
    *scratch = taps > 1 ? (size_t)s->combos * (sizeof(int64_t) + sizeof(float)) : 0;
    return IMP_OK;
}

static enum imp_status resize_prepare(const struct imp_kernel_args *a, void **state,
                                      size_t *scratch, struct imp_error *err)
{
    return resize_prepare_common(a, false, state, scratch, err);
}

static enum imp_status upsample_prepare(const struct imp_kernel_args *a, void **state,
                                        size_t *scratch, struct imp_error *err)
{
    return resize_prepare_common(a, true, state, scratch, err);
}

/* ---- kernels ------------------------------------------------------------- */

/* Nearest: a gather that works for every dtype. */
static void run_nearest(const struct rs_state *s, const struct imp_tensor *x,
                        struct imp_tensor *y)
{
    size_t es = imp_dtype_size(x->dtype);
    int r = s->p.out.rank;
    int64_t xstride[IMP_MAX_RANK];
    imp_shape_strides(&x->shape, xstride);
    int64_t width = s->p.out.d[r - 1];
    const struct rs_axis *last = &s->ax[r - 1];
    const char *src = x->data;
    char *dst = y->data;
    int64_t idx[IMP_MAX_RANK] = {0};
    do {
        int64_t off = 0;
        bool ex = false;
        for (int d = 0; d < r - 1; d++) {
            off += s->ax[d].idx[idx[d]] * xstride[d];
            ex |= s->ax[d].ex[idx[d]] != 0;
        }
        if (ex) {
            imp_fill_value(dst, s->extrap, width, es);
        } else if (es == 4) {
            const uint32_t *row = (const uint32_t *)src + off;
            uint32_t *out = (uint32_t *)dst, e;
            memcpy(&e, s->extrap, 4);
            for (int64_t o = 0; o < width; o++)
                out[o] = last->ex[o] ? e : row[last->idx[o] * xstride[r - 1]];
        } else {
            for (int64_t o = 0; o < width; o++)
                memcpy(dst + o * (int64_t)es,
                       last->ex[o]
                           ? (const char *)s->extrap
                           : src + (off + last->idx[o] * xstride[r - 1]) * (int64_t)es,
                       es);
        }
        dst += width * (int64_t)es;
    } while (imp_index_next(idx, s->p.out.d, r - 1) >= 0);
}

/* Linear and cubic on float32: for each row of the output, list the
 * (offset, weight) products of the outer axes' taps once, then combine
 * them with the last axis's taps per output element. */
static void run_interp(const struct rs_state *s, const struct imp_tensor *x,
                       struct imp_tensor *y, void *scratch)
{
    int r = s->p.out.rank;
    int64_t xstride[IMP_MAX_RANK];
    imp_shape_strides(&x->shape, xstride);
    int64_t width = s->p.out.d[r - 1];
    const struct rs_axis *last = &s->ax[r - 1];
    int lt = last->taps;
    int64_t *c_off = scratch;
    float *c_w = (float *)(c_off + s->combos);
    const float *src = x->data;
    float *dst = y->data;
    float extrap = s->p.extrapolation;
    int64_t idx[IMP_MAX_RANK] = {0};
    do {
        bool ex = false;
        int64_t n = 1;
        c_off[0] = 0;
        c_w[0] = 1.0f;
        for (int d = 0; d < r - 1; d++) {
            const struct rs_axis *ax = &s->ax[d];
            int t = ax->taps;
            const int64_t *ti = ax->idx + idx[d] * t;
            const float *tw = ax->w + idx[d] * t;
            ex |= ax->ex[idx[d]] != 0;
            /* Expand the list by this axis's taps, back to front so the
             * entries being read are not yet overwritten. */
            for (int64_t k = n - 1; k >= 0; k--)
                for (int j = t - 1; j >= 0; j--) {
                    c_off[k * t + j] = c_off[k] + ti[j] * xstride[d];
                    c_w[k * t + j] = c_w[k] * tw[j];
                }
            n *= t;
        }
        if (ex) {
            for (int64_t o = 0; o < width; o++)
                dst[o] = extrap;
        } else if (n == 2 && lt == 2) {
            /* Bilinear over H and W, the case that matters (segmentation
             * heads, upsampling decoders). The last axis is contiguous. */
            const float *r0 = src + c_off[0], *r1 = src + c_off[1];
            float cw0 = c_w[0], cw1 = c_w[1];
            for (int64_t o = 0; o < width; o++) {
                int64_t i0 = last->idx[2 * o], i1 = last->idx[2 * o + 1];
                float w0 = last->w[2 * o], w1 = last->w[2 * o + 1];
                float v =
                    cw0 * (w0 * r0[i0] + w1 * r0[i1]) + cw1 * (w0 * r1[i0] + w1 * r1[i1]);
                dst[o] = last->ex[o] ? extrap : v;
            }
        } else {
            for (int64_t o = 0; o < width; o++) {
                if (last->ex[o]) {
                    dst[o] = extrap;
                    continue;
                }
                const int64_t *ti = last->idx + o * lt;
                const float *tw = last->w + o * lt;
                float acc = 0.0f;
                for (int64_t k = 0; k < n; k++) {
                    const float *row = src + c_off[k];
                    float v = 0.0f;
                    for (int j = 0; j < lt; j++)
                        v += tw[j] * row[ti[j] * xstride[r - 1]];
                    acc += c_w[k] * v;
                }
                dst[o] = acc;
            }
        }
        dst += width;
    } while (imp_index_next(idx, s->p.out.d, r - 1) >= 0);
}

static void resize_run(const struct imp_kernel_args *a)
{
    const struct rs_state *s = a->state;
    if (imp_numel(a->out[0]) == 0)
        return;
    if (s->taps == 1)
        run_nearest(s, a->in[0], a->out[0]);
    else
        run_interp(s, a->in[0], a->out[0], a->scratch);
}

static void resize_release(void *state)
{
    free(state);
}

/* ---- repeat engine --------------------------------------------------------- */

/* Does nearest resizing map every output index o of axis d to o / k? */
static bool axis_repeats(const struct rs_params *p, int d, int64_t len_in,
                         int64_t len_out, int64_t k)
{
    if (len_out != len_in * k)
        return false;
    for (int64_t o = 0; o < len_out; o++) {
        unsigned char ex;
        float x = axis_coord(p, d, o, len_in, len_out, &ex);
        if (ex || nearest_tap(p, d, x, len_in) != o / k)
            return false;
    }
    return true;
}

static bool repeat_supports(const struct imp_kernel_args *a, bool upsample)
{
    struct rs_params p;
    struct imp_error err = {0};
    if (rs_parse(a->node, a->in, a->n_in, upsample, &p, &err) != IMP_OK)
        return false;
    const struct imp_shape *xs = &a->in[0]->shape;
    int r = p.out.rank;
    if (p.mode != RS_NEAREST || imp_dtype_size(a->in[0]->dtype) != 4 || r < 2 ||
        imp_shape_count(xs) == 0 || imp_shape_count(&p.out) == 0)
        return false;
    for (int d = 0; d < r; d++) {
        int64_t k = d < r - 2 ? 1 : p.out.d[d] / xs->d[d];
        if (k < 1 || !axis_repeats(&p, d, xs->d[d], p.out.d[d], k))
            return false;
    }
    return true;
}

static bool resize_repeat_supports(const struct imp_kernel_args *a)
{
    return repeat_supports(a, false);
}

static bool upsample_repeat_supports(const struct imp_kernel_args *a)
{
    return repeat_supports(a, true);
}

struct repeat_task {
    const float *x;
    float *y;
    int64_t ih, iw, kh, kw;
    const struct imp_eltwise_kernels *k;
};

/* Items are input rows of all planes; each makes kh output rows. */
static void repeat_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct repeat_task *t = ctx;
    const int64_t ow = t->iw * t->kw;
    (void)thread;
    for (size_t r = begin; r < end; r++) {
        const float *src = t->x + (int64_t)r * t->iw;
        float *dst = t->y + (int64_t)r * t->kh * ow;
        if (t->kw == 2) {
            t->k->repeat2(src, dst, t->iw);
        } else {
            for (int64_t i = 0; i < t->iw; i++)
                for (int64_t j = 0; j < t->kw; j++)
                    dst[i * t->kw + j] = src[i];
        }
        for (int64_t j = 1; j < t->kh; j++)
            memcpy(dst + j * ow, dst, sizeof(float) * (size_t)ow);
    }
}

static void repeat_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *xs = &a->in[0]->shape, *ys = &a->out[0]->shape;
    int r = xs->rank;
    struct repeat_task t = {
        .x = a->in[0]->data, .y = a->out[0]->data, .ih = xs->d[r - 2],
        .iw = xs->d[r - 1], .k = imp_eltwise_kernels_for(a->isa)};
    t.kh = ys->d[r - 2] / t.ih;
    t.kw = ys->d[r - 1] / t.iw;
    int64_t rows = imp_shape_count(xs) / t.iw;
    int64_t grain = 16384 / (t.iw * t.kw * t.kh);
    imp_parallel_for(a->pool, (size_t)rows, grain < 1 ? 1 : (size_t)grain, repeat_rows,
                     &t);
}

/* ---- linear2 engine --------------------------------------------------------- */

/* Does axis d map output index o to input coordinate o / 2 - 1/4 for
 * every o (or, for an outer axis, to o itself)? */
static bool axis_is(const struct rs_params *p, int d, int64_t len_in, int64_t len_out,
                    bool doubled)
{
    if (len_out != (doubled ? 2 * len_in : len_in))
        return false;
    for (int64_t o = 0; o < len_out; o++) {
        unsigned char ex;
        float x = axis_coord(p, d, o, len_in, len_out, &ex);
        if (ex || x != (doubled ? 0.5f * (float)o - 0.25f : (float)o))
            return false;
    }
    return true;
}

static bool linear2_supports(const struct imp_kernel_args *a)
{
    struct rs_params p;
    struct imp_error err = {0};
    if (rs_parse(a->node, a->in, a->n_in, false, &p, &err) != IMP_OK)
        return false;
    const struct imp_shape *xs = &a->in[0]->shape;
    int r = p.out.rank;
    if (p.mode != RS_LINEAR || a->in[0]->dtype != IMP_DTYPE_F32 || r < 2 ||
        imp_shape_count(xs) == 0)
        return false;
    for (int d = 0; d < r; d++)
        if (!axis_is(&p, d, xs->d[d], p.out.d[d], d >= r - 2))
            return false;
    return true;
}

struct linear2_task {
    const float *x;
    float *y;
    int64_t ih, iw;
    const struct imp_eltwise_kernels *k;
};

/* Items are output rows of all planes. */
static void linear2_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct linear2_task *t = ctx;
    const int64_t oh = 2 * t->ih, ow = 2 * t->iw;
    (void)thread;
    for (size_t item = begin; item < end; item++) {
        const int64_t plane = (int64_t)item / oh, o = (int64_t)item % oh, r = o / 2;
        const int64_t far = (o & 1) ? (r + 1 < t->ih ? r + 1 : r) : (r > 0 ? r - 1 : 0);
        const float *x = t->x + plane * t->ih * t->iw;
        t->k->linear2(x + r * t->iw, x + far * t->iw, t->y + (int64_t)item * ow, t->iw);
    }
}

static void linear2_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *xs = &a->in[0]->shape;
    int r = xs->rank;
    struct linear2_task t = {.x = a->in[0]->data, .y = a->out[0]->data,
                             .ih = xs->d[r - 2], .iw = xs->d[r - 1],
                             .k = imp_eltwise_kernels_for(a->isa)};
    int64_t rows = imp_shape_count(xs) / t.iw * 2;
    int64_t grain = 8192 / (2 * t.iw);
    imp_parallel_for(a->pool, (size_t)rows, grain < 1 ? 1 : (size_t)grain, linear2_rows,
                     &t);
}

static const struct imp_engine resize_repeat = {
    .name = "repeat", .supports = resize_repeat_supports, .run = repeat_run};
static const struct imp_engine resize_ref = {
    .name = "ref", .prepare = resize_prepare, .run = resize_run,
    .release = resize_release};
static const struct imp_engine resize_linear2 = {
    .name = "linear2", .supports = linear2_supports, .run = linear2_run};
static const struct imp_engine *const resize_engines[] = {&resize_repeat, &resize_linear2,
                                                          &resize_ref, NULL};
/* roi, scales, sizes; roi only where it is read: a graph input reaching
 * an unread roi decides nothing (and the ONNX writer leaves it out). */
static unsigned resize_plan_inputs(const struct imp_node *n)
{
    const char *ctm = imp_node_string(n, "coordinate_transformation_mode", "half_pixel");
    return strcmp(ctm, "tf_crop_and_resize") == 0 ? 0xeu : 0xcu;
}

const struct imp_op_def imp_opdef_RESIZE = {.infer = resize_infer,
                                            .engines = resize_engines,
                                            .plan_inputs = 0xeu,
                                            .plan_inputs_of = resize_plan_inputs};

static const struct imp_engine upsample_repeat = {
    .name = "repeat", .supports = upsample_repeat_supports, .run = repeat_run};
static const struct imp_engine upsample_ref = {
    .name = "ref", .prepare = upsample_prepare, .run = resize_run,
    .release = resize_release};
static const struct imp_engine *const upsample_engines[] = {&upsample_repeat,
                                                            &upsample_ref, NULL};
const struct imp_op_def imp_opdef_UPSAMPLE = {.infer = upsample_infer,
                                              .engines = upsample_engines,
                                              .plan_inputs = 1u << 1};
