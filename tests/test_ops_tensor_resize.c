/* Pad, Resize and Upsample: hand-computed cases (several from the ONNX
 * operator documentation) and a straightforward per-element reference
 * written from the ONNX formulas, in double precision. */
#include <stdint.h>

#include "ops_harness.h"

/* ---- Pad ------------------------------------------------------------------ */

static const float v4[4] = {1, 2, 3, 4};

static void pad_1d_modes(void)
{
    /* Opset 2-10: pads and value as attributes. */
    struct tspec s = {.op = IMP_OP_PAD,
                      .n_in = 1,
                      .in = {FIN(v4, 4)},
                      .n_attrs = 2,
                      .attrs = {A_INTS("pads", 2, 1), A_FLOAT("value", 9.0f)}};
    EXPECT_F32(&s, 1, DIMS(7), ((float[]){9, 9, 1, 2, 3, 4, 9}), 0);
    /* Opset 1 called them paddings. */
    s.attrs[0] = A_INTS("paddings", 2, 1);
    EXPECT_F32(&s, 1, DIMS(7), ((float[]){9, 9, 1, 2, 3, 4, 9}), 0);

    /* Opset 11+: inputs. */
    float five = 5.0f;
    s = (struct tspec){.op = IMP_OP_PAD,
                       .n_in = 3,
                       .in = {FIN(v4, 4), I64C(((int64_t[]){2, 1}), 2),
                              TV0(T_CONST, IMP_DTYPE_F32, &five)}};
    EXPECT_F32(&s, 1, DIMS(7), ((float[]){5, 5, 1, 2, 3, 4, 5}), 0);
    s.n_in = 2; /* constant defaults to 0 */
    EXPECT_F32(&s, 1, DIMS(7), ((float[]){0, 0, 1, 2, 3, 4, 0}), 0);
    s.n_attrs = 1;
    s.attrs[0] = A_STR("mode", "edge");
    EXPECT_F32(&s, 1, DIMS(7), ((float[]){1, 1, 1, 2, 3, 4, 4}), 0);
    s.attrs[0] = A_STR("mode", "wrap");
    EXPECT_F32(&s, 1, DIMS(7), ((float[]){3, 4, 1, 2, 3, 4, 1}), 0);
    s.attrs[0] = A_STR("mode", "reflect");
    s.in[1] = I64C(((int64_t[]){2, 3}), 2);
    EXPECT_F32(&s, 1, DIMS(9), ((float[]){3, 2, 1, 2, 3, 4, 3, 2, 1}), 0);

    /* Negative pads crop first; the padding then refers to what is left. */
    s.in[1] = I64C(((int64_t[]){-1, 2}), 2);
    s.attrs[0] = A_STR("mode", "constant");
    EXPECT_F32(&s, 1, DIMS(5), ((float[]){2, 3, 4, 0, 0}), 0);
    s.attrs[0] = A_STR("mode", "reflect");
    EXPECT_F32(&s, 1, DIMS(5), ((float[]){2, 3, 4, 3, 2}), 0);
    s.in[1] = I64C(((int64_t[]){1, -2}), 2);
    s.attrs[0] = A_STR("mode", "edge");
    EXPECT_F32(&s, 1, DIMS(3), ((float[]){1, 1, 2}), 0);
    s.in[1] = I64C(((int64_t[]){-2, -2}), 2);
    EXPECT_F32(&s, 1, DIMS(0), v4, 0);

    /* Errors. */
    s.attrs[0] = A_STR("mode", "reflect");
    s.in[1] = I64C(((int64_t[]){4, 0}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "reflect pads");
    s.in[1] = I64C(((int64_t[]){-1, 3}), 2); /* only 3 left after the crop */
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "reflect pads");
    s.attrs[0] = A_STR("mode", "constant");
    s.in[1] = I64C(((int64_t[]){-3, -2}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "crop more");
    s.in[1] = I64C(((int64_t[]){1}), 1);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "expected 2");
    s.in[1] = I64C(((int64_t[]){1, INT64_MAX}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "absurd");
    s.in[1] = I64C(((int64_t[]){1, 1}), 2);
    s.attrs[0] = A_STR("mode", "mirror");
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "unknown mode");
    s.n_attrs = 0;
    s.n_in = 1;
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "no pads");
    int64_t pads[2] = {1, 1};
    s = (struct tspec){.op = IMP_OP_PAD,
                       .n_in = 2,
                       .no_fold = true,
                       .in = {FIN(v4, 4), TV(T_DATA, IMP_DTYPE_I64, pads, 2)}};
    /* Pads fed by the caller are read when planning. */
    EXPECT_F32(&s, 1, DIMS(6), ((float[]){0, 1, 2, 3, 4, 0}), 0);
}

/* numpy's rule for the source index of padded position i (relative to the
 * unpadded start) in a dim of n; -1 for the constant. */
static int64_t np_pad_index(const char *mode, int64_t i, int64_t n)
{
    if (i >= 0 && i < n)
        return i;
    if (strcmp(mode, "constant") == 0)
        return -1;
    if (strcmp(mode, "edge") == 0)
        return i < 0 ? 0 : n - 1;
    while (i < 0 || i >= n) /* reflect, folding as often as needed */
        i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

static void pad_4d_against_numpy_rule(void)
{
    static float x[2 * 3 * 4 * 5], want[4 * 5 * 7 * 9];
    t_fill(x, sizeof x / sizeof x[0], 5);
    const int64_t xd[4] = {2, 3, 4, 5};
    const int64_t pads[8] = {1, 0, 2, 3, 1, 2, 1, 1}; /* begins, then ends */
    const char *modes[3] = {"constant", "reflect", "edge"};
    int64_t od[4];
    for (int d = 0; d < 4; d++)
        od[d] = xd[d] + pads[d] + pads[4 + d];
    for (int m = 0; m < 3; m++) {
        size_t k = 0;
        for (int64_t a = 0; a < od[0]; a++)
            for (int64_t b = 0; b < od[1]; b++)
                for (int64_t c = 0; c < od[2]; c++)
                    for (int64_t e = 0; e < od[3]; e++) {
                        int64_t o[4] = {a, b, c, e}, off = 0;
                        bool constant = false;
                        for (int d = 0; d < 4; d++) {
                            int64_t i = np_pad_index(modes[m], o[d] - pads[d], xd[d]);
                            constant |= i < 0;
                            off = off * xd[d] + i;
                        }
                        want[k++] = constant ? -0.5f : x[off];
                    }
        float cv = -0.5f;
        struct tspec s = {
            .op = IMP_OP_PAD,
            .n_in = 3,
            .in = {FIN(x, 2, 3, 4, 5), I64C(pads, 8), TV(T_CONST, IMP_DTYPE_F32, &cv, 1)},
            .n_attrs = 1,
            .attrs = {A_STR("mode", modes[m])}};
        EXPECT_F32(&s, 4, od, want, 0);
    }
}

static void pad_axes_and_dtypes(void)
{
    /* Opset 18: pads for the listed axes only. [2,3] holding 0..5. */
    const float x[6] = {0, 1, 2, 3, 4, 5};
    struct tspec s = {.op = IMP_OP_PAD,
                      .n_in = 4,
                      .in = {FIN(x, 2, 3), I64C(((int64_t[]){1, 2}), 2), TOMIT,
                             I64C(((int64_t[]){-1}), 1)},
                      .n_attrs = 1,
                      .attrs = {A_STR("mode", "edge")}};
    EXPECT_F32(&s, 2, DIMS(2, 6), ((float[]){0, 0, 1, 2, 2, 2, 3, 3, 4, 5, 5, 5}), 0);
    s.in[3] = I64C(((int64_t[]){0, 0}), 2);
    s.in[1] = I64C(((int64_t[]){1, 1, 1, 1}), 4);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "repeated");
    s.in[3] = I64C(((int64_t[]){2}), 1);
    s.in[1] = I64C(((int64_t[]){1, 1}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "out of range");
    /* int64 data with an int64 constant; uint8 reflect. */
    int64_t xi[3] = {7, 8, 9}, fill = -1;
    s = (struct tspec){.op = IMP_OP_PAD,
                       .n_in = 3,
                       .in = {TV(T_DATA, IMP_DTYPE_I64, xi, 3),
                              I64C(((int64_t[]){1, 2}), 2),
                              TV0(T_CONST, IMP_DTYPE_I64, &fill)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(6), ((int64_t[]){-1, 7, 8, 9, -1, -1}));
    s.in[2] = TV0(T_CONST, IMP_DTYPE_F32, &x[1]);
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "constant_value is float32");
    uint8_t xu[3] = {10, 20, 30};
    s = (struct tspec){
        .op = IMP_OP_PAD,
        .n_in = 2,
        .in = {TV(T_DATA, IMP_DTYPE_U8, xu, 3), I64C(((int64_t[]){2, 1}), 2)},
        .n_attrs = 1,
        .attrs = {A_STR("mode", "reflect")}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_U8, 1, DIMS(6), ((uint8_t[]){30, 20, 10, 20, 30, 20}));
    /* An empty input padded with a constant. */
    float cv = 2.5f;
    s = (struct tspec){
        .op = IMP_OP_PAD,
        .n_in = 3,
        .in = {FIN(x, 2, 0), I64C(((int64_t[]){0, 1, 1, 1}), 4), F32C(&cv, 1)}};
    EXPECT_F32(&s, 2, DIMS(3, 2), ((float[]){2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f}), 0);
    s.n_attrs = 1;
    s.attrs[0] = A_STR("mode", "edge");
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "empty");
}

/* ---- Resize: reference written from the ONNX formulas ------------------- */

struct rcfg {
    const char *mode, *coord, *nearest;
    float cubic_a;
    int exclude;
    float extrap;
    const float *roi; /* per axis start, then per axis end (rank 4) */
    bool by_scales;   /* output sizes come from scales               */
};

/* Taps along one axis for output index o: indices (clamped) and weights;
 * *ex set when tf_crop_and_resize samples outside. */
static int ref_taps(const struct rcfg *c, int64_t o, int64_t lin, int64_t lout,
                    double scale, double rs, double re, int64_t *idx, double *w, bool *ex)
{
    /* Coordinates in float, as ONNX Runtime (the golden reference)
     * computes them: it decides which side of .5 or of an integer a
     * sampling position falls on. Where the output length divides, it is
     * in * scale, unrounded, when sizes come from scales: ONNX's own
     * reference (its backend tests) does that, and ONNX Runtime does not. */
    float xo = (float)o, sc = (float)scale, li = (float)lin, lo = (float)lout, xf;
    float len = c->by_scales ? sc * li : lo;
    const char *m = c->coord;
    if (strcmp(m, "half_pixel") == 0)
        xf = (xo + 0.5f) / sc - 0.5f;
    else if (strcmp(m, "half_pixel_symmetric") == 0) {
        float adj = lo / (sc * li);
        xf = li / 2 * (1 - adj) + (xo + 0.5f) / sc - 0.5f;
    } else if (strcmp(m, "pytorch_half_pixel") == 0)
        xf = len > 1 ? (xo + 0.5f) / sc - 0.5f : 0;
    else if (strcmp(m, "align_corners") == 0)
        xf = len == 1 ? 0 : xo * (li - 1) / (len - 1);
    else if (strcmp(m, "asymmetric") == 0)
        xf = xo / sc;
    else if (strcmp(m, "tf_half_pixel_for_nn") == 0)
        xf = (xo + 0.5f) / sc;
    else /* tf_crop_and_resize */
        xf = len > 1 ? (float)rs * (li - 1) + xo * (float)(re - rs) * (li - 1) / (len - 1)
                      : 0.5f * (float)(rs + re) * (li - 1);
    double x = xf;
    *ex = strcmp(m, "tf_crop_and_resize") == 0 && (x < 0 || x > (double)(lin - 1));
    if (strcmp(c->mode, "nearest") == 0) {
        double f = floor(x), i;
        const char *nm = c->nearest;
        if (strcmp(nm, "floor") == 0)
            i = f;
        else if (strcmp(nm, "ceil") == 0)
            i = ceil(x);
        else if (strcmp(nm, "round_prefer_ceil") == 0)
            i = x - f >= 0.5 ? f + 1 : f;
        else
            i = x - f > 0.5 ? f + 1 : f;
        idx[0] = i < 0 ? 0 : i > (double)(lin - 1) ? lin - 1 : (int64_t)i;
        w[0] = 1;
        return 1;
    }
    double f = floor(x), r = x - f;
    int n;
    int64_t first;
    if (strcmp(c->mode, "linear") == 0) {
        n = 2;
        first = (int64_t)f;
        w[0] = 1 - r;
        w[1] = r;
    } else {
        double A = c->cubic_a, p = r + 1, q = 1 - r, q1 = 2 - r;
        n = 4;
        first = (int64_t)f - 1;
        w[0] = ((A * p - 5 * A) * p + 8 * A) * p - 4 * A;
        w[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
        w[2] = ((A + 2) * q - (A + 3)) * q * q + 1;
        w[3] = ((A * q1 - 5 * A) * q1 + 8 * A) * q1 - 4 * A;
        if (c->exclude) {
            double sum = 0;
            for (int t = 0; t < 4; t++) {
                if (first + t < 0 || first + t >= lin)
                    w[t] = 0;
                sum += w[t];
            }
            for (int t = 0; t < 4; t++)
                w[t] /= sum;
        }
    }
    for (int t = 0; t < n; t++) {
        int64_t i = first + t;
        idx[t] = i < 0 ? 0 : i >= lin ? lin - 1 : i;
    }
    return n;
}

/* out[...] for a rank-4 input, given per-axis output sizes and scales. */
static void ref_resize(const struct rcfg *c, const float *x, const int64_t *xd,
                       const int64_t *od, const float *scales, float *out)
{
    size_t k = 0;
    int64_t o[4];
    for (o[0] = 0; o[0] < od[0]; o[0]++)
        for (o[1] = 0; o[1] < od[1]; o[1]++)
            for (o[2] = 0; o[2] < od[2]; o[2]++)
                for (o[3] = 0; o[3] < od[3]; o[3]++) {
                    int64_t idx[4][4];
                    double w[4][4];
                    int n[4];
                    bool ex = false;
                    for (int d = 0; d < 4; d++) {
                        bool e;
                        n[d] = ref_taps(c, o[d], xd[d], od[d], scales[d],
                                        c->roi ? c->roi[d] : 0,
                                        c->roi ? c->roi[4 + d] : 1, idx[d], w[d], &e);
                        ex |= e;
                    }
                    double acc = 0;
                    for (int a = 0; a < n[0]; a++)
                        for (int b = 0; b < n[1]; b++)
                            for (int e = 0; e < n[2]; e++)
                                for (int f = 0; f < n[3]; f++) {
                                    int64_t off =
                                        ((idx[0][a] * xd[1] + idx[1][b]) * xd[2] +
                                         idx[2][e]) *
                                            xd[3] +
                                        idx[3][f];
                                    acc += w[0][a] * w[1][b] * w[2][e] * w[3][f] * x[off];
                                }
                    out[k++] = ex ? c->extrap : (float)acc;
                }
}

static void resize_matches_reference(void)
{
    static const char *const coords[] = {
        "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
        "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil",
                                           "floor", "ceil"};
    static const float roi[8] = {0, 0, 0.1f, -0.2f, 1, 1, 0.9f, 1.3f};
    /* Scale configurations (sizes == NULL) and size configurations. */
    struct {
        float scales[4];
        int64_t sizes[4];
    } cfg[] = {
        {{1, 1, 2, 2}, {0}}, {{1, 1, 0.5f, 0.75f}, {0}}, {{1, 1, 1.7f, 2.3f}, {0}},
        {{1, 1, 3, 1}, {0}}, {{0}, {1, 2, 5, 7}},        {{0}, {1, 2, 2, 3}},
        {{0}, {1, 2, 1, 1}}, {{0}, {1, 2, 3, 9}},
    };
    static float x[24], want[2 * 9 * 9 * 2];
    t_fill(x, 24, 11);
    const int64_t xd[4] = {1, 2, 3, 4};
    for (size_t ci = 0; ci < sizeof cfg / sizeof cfg[0]; ci++) {
        bool by_sizes = cfg[ci].sizes[0] != 0;
        int64_t od[4];
        float sc[4];
        for (int d = 0; d < 4; d++) {
            if (by_sizes) {
                od[d] = cfg[ci].sizes[d];
                sc[d] = (float)od[d] / (float)xd[d];
            } else {
                sc[d] = cfg[ci].scales[d];
                od[d] = (int64_t)floor((double)(sc[d] * (float)xd[d]));
            }
        }
        for (int m = 0; m < 3; m++) {
            const char *mode = m == 0 ? "nearest" : m == 1 ? "linear" : "cubic";
            for (int k = 0; k < 7; k++) {
                for (int nm = 0; nm < (m == 0 ? 4 : 1); nm++) {
                    for (int excl = 0; excl < (m == 2 ? 2 : 1); excl++) {
                        struct rcfg c = {mode, coords[k], nearests[nm],       -0.5f,
                                         excl, 7.5f,      k == 6 ? roi : NULL, !by_sizes};
                        ref_resize(&c, x, xd, od, sc, want);
                        struct tspec s = {
                            .op = IMP_OP_RESIZE,
                            .n_in = 4,
                            .in = {FIN(x, 1, 2, 3, 4),
                                   k == 6 ? F32C(roi, 8)
                                          : TV(T_CONST, IMP_DTYPE_F32, NULL, 0),
                                   by_sizes ? TOMIT : F32C(cfg[ci].scales, 4),
                                   by_sizes ? I64C(cfg[ci].sizes, 4) : TOMIT},
                            .n_attrs = 6,
                            .attrs = {A_STR("mode", mode),
                                      A_STR("coordinate_transformation_mode", coords[k]),
                                      A_STR("nearest_mode", nearests[nm]),
                                      A_FLOAT("cubic_coeff_a", -0.5f),
                                      A_INT("exclude_outside", excl),
                                      A_FLOAT("extrapolation_value", 7.5f)}};
                        if (m == 0 && k == 0 && nm == 0)
                            s.n_in = by_sizes ? 4 : 3; /* trailing inputs left out */
                        if (!EXPECT_F32(&s, 4, od, want, 2e-5))
                            printf("  (config %zu, %s, %s, %s, exclude %d)\n", ci, mode,
                                   coords[k], nearests[nm], excl);
                    }
                }
            }
        }
    }
}

/* Examples from the ONNX operator documentation (4x4 or 2x2 inputs holding
 * 1, 2, 3, ...), checked by hand. */
static void resize_documented_examples(void)
{
    float x4[16], x2[4] = {1, 2, 3, 4};
    for (int i = 0; i < 16; i++)
        x4[i] = (float)(i + 1);
    struct tspec s = {
        .op = IMP_OP_RESIZE,
        .n_in = 3,
        .in = {FIN(x2, 1, 1, 2, 2), TOMIT, F32C(((float[]){1, 1, 2, 3}), 4)}};
    EXPECT_F32(&s, 4, DIMS(1, 1, 4, 6), ((float[]){1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                                   3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}),
               0);
    s.in[2] = F32C(((float[]){1, 1, 2, 2}), 4);
    s.n_attrs = 1;
    s.attrs[0] = A_STR("mode", "linear");
    EXPECT_F32(&s, 4, DIMS(1, 1, 4, 4),
               ((float[]){1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f,
                          3.25f, 3.5f, 3, 3.25f, 3.75f, 4}),
               1e-6);
    s.n_attrs = 2;
    s.attrs[1] = A_STR("coordinate_transformation_mode", "align_corners");
    const float t = 1.0f / 3, u = 2.0f / 3;
    EXPECT_F32(&s, 4, DIMS(1, 1, 4, 4),
               ((float[]){1, 1 + t, 1 + u, 2, 1 + u, 2, 2 + t, 2 + u, 2 + t, 2 + u, 3,
                          3 + t, 3, 3 + t, 3 + u, 4}),
               1e-6);
    /* Downscale nearest: [[1,2,3,4],[5,6,7,8]] by 0.6 -> [[1,3]]. */
    s.n_attrs = 0;
    s.in[0] = FIN(x4, 1, 1, 2, 4);
    s.in[2] = F32C(((float[]){1, 1, 0.6f, 0.6f}), 4);
    EXPECT_F32(&s, 4, DIMS(1, 1, 1, 2), ((float[]){1, 3}), 0);
    /* Bicubic upscale by 2 (A = -0.75), first output row, worked by hand:
     * x = -0.25 takes taps 0,0,0,1 with weights -0.03515625, 0.26171875,
     * 0.87890625, -0.10546875; x = 0.25 mirrors them over taps 0,0,1,2. */
    s.in[0] = FIN(x4, 1, 1, 4, 4);
    s.in[2] = F32C(((float[]){1, 1, 2, 2}), 4);
    s.n_attrs = 1;
    s.attrs[0] = A_STR("mode", "cubic");
    {
        struct tresult r;
        if (CHECK_STATUS(run_op(&s, 0, &r), IMP_OK) && CHECK(r.info[0].dims[3] == 8)) {
            const float row[4] = {0.47265625f, 0.76953125f, 1.24609375f, 1.875f};
            for (int i = 0; i < 4; i++)
                CHECK_NEAR(((const float *)r.data[0])[i], row[i], 1e-5);
        }
        tresult_free(&r);
    }
    /* tf_crop_and_resize with and without extrapolation; with the
     * extrapolation roi, rows sit at 1.2, 2.4, 3.6 and columns at 1.8,
     * 3.45, 5.1, so only (0,0) and (1,0) are inside. */
    s = (struct tspec){
        .op = IMP_OP_RESIZE,
        .n_in = 4,
        .in = {FIN(x4, 1, 1, 4, 4),
               F32C(((float[]){0, 0, 0.4f, 0.6f, 1, 1, 0.6f, 0.8f}), 8), TOMIT,
               I64C(((int64_t[]){1, 1, 3, 3}), 4)},
        .n_attrs = 2,
        .attrs = {A_STR("mode", "linear"),
                  A_STR("coordinate_transformation_mode", "tf_crop_and_resize")}};
    /* rows at 1.2, 1.5, 1.8; columns at 1.8, 2.1, 2.4; x4 = 1 + 4 y + x */
    EXPECT_F32(&s, 4, DIMS(1, 1, 3, 3),
               ((float[]){7.6f, 7.9f, 8.2f, 8.8f, 9.1f, 9.4f, 10, 10.3f, 10.6f}), 1e-5);
    s.in[1] = F32C(((float[]){0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f}), 8);
    s.n_attrs = 3;
    s.attrs[2] = A_FLOAT("extrapolation_value", 10);
    EXPECT_F32(&s, 4, DIMS(1, 1, 3, 3),
               ((float[]){7.6f, 10, 10, 12.4f, 10, 10, 10, 10, 10}), 1e-5);
}

static void resize_axes_and_aspect_ratio(void)
{
    static float x[24], want[256];
    t_fill(x, 24, 3);
    /* Opset 18 axes: sizes for H and W only. */
    struct rcfg c = {"linear", "half_pixel", "round_prefer_floor", -0.75f, 0, 0, NULL, false};
    ref_resize(&c, x, DIMS(1, 1, 4, 6), DIMS(1, 1, 5, 3), (float[]){1, 1, 1.25f, 0.5f},
               want);
    struct tspec s = {
        .op = IMP_OP_RESIZE,
        .n_in = 4,
        .in = {FIN(x, 1, 1, 4, 6), TOMIT, TOMIT, I64C(((int64_t[]){5, 3}), 2)},
        .n_attrs = 2,
        .attrs = {A_STR("mode", "linear"), A_INTS("axes", 2, -1)}};
    EXPECT_F32(&s, 4, DIMS(1, 1, 5, 3), want, 1e-5);
    /* not_larger: one scale min(3/4, 3/6) = 0.5 for both axes. */
    s.in[3] = I64C(((int64_t[]){3, 3}), 2);
    s.n_attrs = 3;
    s.attrs[2] = A_STR("keep_aspect_ratio_policy", "not_larger");
    ref_resize(&c, x, DIMS(1, 1, 4, 6), DIMS(1, 1, 2, 3), (float[]){1, 1, 0.5f, 0.5f},
               want);
    EXPECT_F32(&s, 4, DIMS(1, 1, 2, 3), want, 1e-5);
    /* not_smaller: 0.75 for both; 6 * 0.75 = 4.5 rounds half up to 5. */
    s.attrs[2] = A_STR("keep_aspect_ratio_policy", "not_smaller");
    ref_resize(&c, x, DIMS(1, 1, 4, 6), DIMS(1, 1, 3, 5), (float[]){1, 1, 0.75f, 0.75f},
               want);
    EXPECT_F32(&s, 4, DIMS(1, 1, 3, 5), want, 1e-5);
    s.attrs[2] = A_STR("keep_aspect_ratio_policy", "squash");
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "keep_aspect_ratio_policy");
    /* Scales with axes; linear over a non-spatial axis works too. */
    s = (struct tspec){
        .op = IMP_OP_RESIZE,
        .n_in = 3,
        .in = {FIN(x, 2, 3, 4), TOMIT, F32C(((float[]){2, 0.5f}), 2)},
        .n_attrs = 3,
        .attrs = {A_STR("mode", "linear"), A_INTS("axes", 0, 2),
                  A_STR("coordinate_transformation_mode", "align_corners")}};
    /* axis 0: 2 -> 4 at 0, 1/3, 2/3, 1; axis 2: 4 -> 2 at 0, 3 */
    float w2[4 * 3 * 2];
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 3; b++)
            for (int e = 0; e < 2; e++) {
                float f = (float)a / 3;
                int col = e * 3;
                w2[(a * 3 + b) * 2 + e] =
                    (1 - f) * x[b * 4 + col] + f * x[12 + b * 4 + col];
            }
    EXPECT_F32(&s, 3, DIMS(4, 3, 2), w2, 1e-6);
}

static void upsample_and_nearest_dtypes(void)
{
    float x2[4] = {1, 2, 3, 4};
    /* Upsample-7: scales attribute, nearest. */
    struct tspec s = {
        .op = IMP_OP_UPSAMPLE,
        .n_in = 1,
        .in = {FIN(x2, 1, 1, 2, 2)},
        .n_attrs = 2,
        .attrs = {A_STR("mode", "nearest"), A_FLOATS("scales", 1, 1, 2, 3)}};
    EXPECT_F32(&s, 4, DIMS(1, 1, 4, 6), ((float[]){1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                                   3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}),
               0);
    /* Upsample-9: scales input, linear with asymmetric coordinates. */
    s = (struct tspec){.op = IMP_OP_UPSAMPLE,
                       .n_in = 2,
                       .in = {FIN(x2, 1, 1, 2, 2), F32C(((float[]){1, 1, 2, 2}), 4)},
                       .n_attrs = 1,
                       .attrs = {A_STR("mode", "linear")}};
    EXPECT_F32(&s, 4, DIMS(1, 1, 4, 4),
               ((float[]){1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4}),
               1e-6);
    s.in[1] = F32C(((float[]){1, 1, 0.0f, 1}), 4);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "not a positive size factor");
    s.in[1] = F32C(((float[]){1, 2}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "2 scales for rank 4");
    /* Nearest moves bytes: int64 data works. */
    int64_t xi[3] = {10, 20, 30};
    s = (struct tspec){
        .op = IMP_OP_RESIZE,
        .n_in = 4,
        .in = {TV(T_DATA, IMP_DTYPE_I64, xi, 3), TOMIT, TOMIT, I64C(((int64_t[]){6}), 1)},
        .n_attrs = 2,
        .attrs = {A_STR("coordinate_transformation_mode", "asymmetric"),
                  A_STR("nearest_mode", "floor")}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(6), ((int64_t[]){10, 10, 20, 20, 30, 30}));
    s.n_attrs = 1;
    s.attrs[0] = A_STR("mode", "linear");
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "float32 only");
}

static void resize_errors(void)
{
    float x[16] = {0};
    const float sc[4] = {1, 1, 2, 2};
    struct tspec s = {.op = IMP_OP_RESIZE,
                      .n_in = 4,
                      .in = {FIN(x, 1, 1, 4, 4), TOMIT, F32C(sc, 4),
                             I64C(((int64_t[]){1, 1, 8, 8}), 4)}};
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "exactly one");
    s.in[2] = TOMIT;
    s.in[3] = TOMIT;
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "exactly one");
    s.in[2] = F32C(sc, 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "2 scales for 4 axes");
    s.in[2] = F32C(((float[]){1, 1, -2, 2}), 4);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "positive");
    s.in[2] = F32C(((float[]){1, 1, 1e30f, 1}), 4);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "absurdly large");
    s.in[2] = F32C(sc, 4);
    s.n_attrs = 1;
    s.attrs[0] = A_STR("mode", "area");
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "unknown mode");
    s.attrs[0] = A_STR("coordinate_transformation_mode", "corners");
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "coordinate_transformation_mode");
    s.attrs[0] = A_STR("nearest_mode", "round");
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "nearest_mode");
    s.attrs[0] = A_INT("exclude_outside", 1);
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "exclude_outside");
    s.n_attrs = 2;
    s.attrs[0] = A_STR("mode", "linear");
    s.attrs[1] = A_INT("antialias", 1);
    EXPECT_F32(&s, 4, DIMS(1, 1, 8, 8), ((float[64]){0}), 0); /* upscaling: no effect */
    s.in[2] = F32C(((float[]){1, 1, 0.5f, 0.5f}), 4);
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "antialias");
    s.n_attrs = 0;
    s.in[2] = TOMIT;
    s.in[3] = I64C(((int64_t[]){1, 1, 0, 4}), 4);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "size 0");
    float scales[4] = {1, 1, 2, 2};
    s = (struct tspec){.op = IMP_OP_RESIZE,
                       .n_in = 3,
                       .no_fold = true,
                       .in = {FIN(x, 1, 1, 4, 4), TOMIT, FIN(scales, 4)}};
    /* Scales fed by the caller are read when planning: x2 nearest. */
    float ramp[16], twice[64];
    for (int i = 0; i < 16; i++)
        ramp[i] = (float)i;
    for (int i = 0; i < 64; i++)
        twice[i] = ramp[(i / 8 / 2) * 4 + (i % 8) / 2];
    s.in[0] = FIN(ramp, 1, 1, 4, 4);
    EXPECT_F32(&s, 4, DIMS(1, 1, 8, 8), twice, 0);
}

int main(void)
{
    RUN(pad_1d_modes);
    RUN(pad_4d_against_numpy_rule);
    RUN(pad_axes_and_dtypes);
    RUN(resize_matches_reference);
    RUN(resize_documented_examples);
    RUN(resize_axes_and_aspect_ratio);
    RUN(upsample_and_nearest_dtypes);
    RUN(resize_errors);
    return imp_test_finish();
}
