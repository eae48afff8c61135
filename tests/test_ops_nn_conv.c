/*
 * Conv and ConvTranspose reference engines against direct formulas written
 * here from the ONNX definitions (double accumulation, scatter form for
 * the transpose), on a grid of shapes and attributes, plus hand-computed
 * values and the errors hostile attributes must produce.
 */
#include "nn_graph.h"

#define AX 3 /* the naive loops below are 3-D; lower ranks use unit axes */

struct conv_case {
    const char *name;
    int nsp;
    int64_t n, c, m, group;
    int64_t in[AX], k[AX], s[AX], d[AX];
    int64_t pads[2 * AX]; /* begin..., end... (model order, nsp each) */
    const char *auto_pad; /* NULL: attribute absent */
    bool bias;
    bool set_strides, set_dilations, set_pads, set_kernel_shape;
    /* ConvTranspose only */
    int64_t out_pad[AX];
    int64_t out_shape[AX]; /* 0: attribute absent */
    bool full_out_shape;   /* write output_shape as [N, M, spatial...] */
};

/* Right-align the model's nsp axes into AX axes with unit defaults. */
static void expand(const struct conv_case *cc, int64_t *in, int64_t *k, int64_t *s,
                   int64_t *d, int64_t *pb, int64_t *pe)
{
    int off = AX - cc->nsp;
    for (int i = 0; i < AX; i++) {
        in[i] = k[i] = s[i] = d[i] = 1;
        pb[i] = pe[i] = 0;
    }
    for (int i = 0; i < cc->nsp; i++) {
        in[off + i] = cc->in[i];
        k[off + i] = cc->k[i];
        s[off + i] = cc->set_strides ? cc->s[i] : 1;
        d[off + i] = cc->set_dilations ? cc->d[i] : 1;
        pb[off + i] = cc->set_pads ? cc->pads[i] : 0;
        pe[off + i] = cc->set_pads ? cc->pads[cc->nsp + i] : 0;
    }
}

static void set_attrs(struct nn_graph *t, const struct conv_case *cc)
{
    if (cc->group != 1)
        nn_int(t, "group", cc->group);
    if (cc->set_strides)
        nn_ints(t, "strides", cc->nsp, cc->s);
    if (cc->set_dilations)
        nn_ints(t, "dilations", cc->nsp, cc->d);
    if (cc->set_pads)
        nn_ints(t, "pads", 2 * cc->nsp, cc->pads);
    if (cc->set_kernel_shape)
        nn_ints(t, "kernel_shape", cc->nsp, cc->k);
    if (cc->auto_pad)
        nn_string(t, "auto_pad", cc->auto_pad);
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b; /* a >= 0 here */
}

/* Largest |y - ref| relative to the sum of |terms| that made ref: float
 * accumulation stays far below 1e-6 of it, while a wrong or missing term
 * shows up as a large fraction. */
static double sum_error(const float *y, const float *ref, const double *mag, int64_t n)
{
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)y[i] - ref[i]) / (mag[i] + 1e-3);
        if (!(e <= worst))
            worst = isnan(e) ? INFINITY : e;
    }
    return worst;
}

/* ---- Conv ------------------------------------------------------------------ */

/* Output sizes and begin pads from the ONNX Conv text. */
static void conv_expected_geometry(const struct conv_case *cc, const int64_t *in,
                                   const int64_t *k, const int64_t *s, const int64_t *d,
                                   int64_t *pb, const int64_t *pe, int64_t *out)
{
    for (int i = 0; i < AX; i++) {
        int64_t ext = (k[i] - 1) * d[i] + 1;
        const char *ap = cc->auto_pad ? cc->auto_pad : "NOTSET";
        if (strcmp(ap, "VALID") == 0) {
            out[i] = ceil_div(in[i] - ext + 1, s[i]);
            pb[i] = 0;
        } else if (strncmp(ap, "SAME", 4) == 0) {
            out[i] = ceil_div(in[i], s[i]);
            int64_t total = (out[i] - 1) * s[i] + ext - in[i];
            if (total < 0)
                total = 0;
            pb[i] = strcmp(ap, "SAME_UPPER") == 0 ? total / 2 : (total + 1) / 2;
        } else {
            out[i] = (in[i] + pb[i] + pe[i] - ext) / s[i] + 1;
        }
    }
}

static void naive_conv(const struct conv_case *cc, const float *x, const float *w,
                       const float *b, const int64_t *in, const int64_t *k,
                       const int64_t *s, const int64_t *d, const int64_t *pb,
                       const int64_t *out, float *y, double *mag)
{
    int64_t cg = cc->c / cc->group, mg = cc->m / cc->group;
    for (int64_t n = 0; n < cc->n; n++)
    for (int64_t m = 0; m < cc->m; m++)
    for (int64_t o0 = 0; o0 < out[0]; o0++)
    for (int64_t o1 = 0; o1 < out[1]; o1++)
    for (int64_t o2 = 0; o2 < out[2]; o2++) {
        double acc = b ? b[m] : 0.0, sum_abs = fabs(acc);
        int64_t g = m / mg;
        for (int64_t ci = 0; ci < cg; ci++)
        for (int64_t k0 = 0; k0 < k[0]; k0++)
        for (int64_t k1 = 0; k1 < k[1]; k1++)
        for (int64_t k2 = 0; k2 < k[2]; k2++) {
            int64_t i0 = o0 * s[0] - pb[0] + k0 * d[0];
            int64_t i1 = o1 * s[1] - pb[1] + k1 * d[1];
            int64_t i2 = o2 * s[2] - pb[2] + k2 * d[2];
            if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] || i2 < 0 || i2 >= in[2])
                continue;
            int64_t c = g * cg + ci;
            double xv = x[(((n * cc->c + c) * in[0] + i0) * in[1] + i1) * in[2] + i2];
            double wv = w[(((m * cg + ci) * k[0] + k0) * k[1] + k1) * k[2] + k2];
            acc += xv * wv;
            sum_abs += fabs(xv * wv);
        }
        int64_t at = (((n * cc->m + m) * out[0] + o0) * out[1] + o1) * out[2] + o2;
        y[at] = (float)acc;
        mag[at] = sum_abs;
    }
}

/* Builds and runs the case with `threads`; returns the output or NULL. */
static float *run_case(const struct conv_case *cc, bool transpose, const float *x,
                       const float *w, const float *b, const int64_t *wdims,
                       int threads, struct imp_shape *shape)
{
    struct nn_graph t;
    nn_begin(&t);
    int64_t xd[2 + AX] = {cc->n, cc->c};
    for (int i = 0; i < cc->nsp; i++)
        xd[2 + i] = cc->in[i];
    int in[3];
    in[0] = nn_input(&t, "x", 2 + cc->nsp, xd, x);
    in[1] = nn_const(&t, "w", 2 + cc->nsp, wdims, w);
    int64_t bd[1] = {cc->m};
    if (b)
        in[2] = nn_const(&t, "b", 1, bd, b);
    nn_node(&t, transpose ? IMP_OP_CONV_TRANSPOSE : IMP_OP_CONV, b ? 3 : 2, in);
    set_attrs(&t, cc);
    if (transpose) {
        bool any_op = false;
        for (int i = 0; i < cc->nsp; i++)
            any_op = any_op || cc->out_pad[i] != 0;
        if (any_op)
            nn_ints(&t, "output_padding", cc->nsp, cc->out_pad);
        if (cc->out_shape[0]) {
            int64_t os[2 + AX] = {cc->n, cc->m};
            memcpy(os + 2, cc->out_shape, sizeof os[0] * (size_t)cc->nsp);
            if (cc->full_out_shape)
                nn_ints(&t, "output_shape", 2 + cc->nsp, os);
            else
                nn_ints(&t, "output_shape", cc->nsp, cc->out_shape);
        }
    }
    float *y = NULL;
    struct imp_error err = {0};
    enum imp_status st = nn_run(&t, threads, &y, shape, &err);
    if (st != IMP_OK)
        printf("  %s: %s: %s\n", cc->name, imp_status_name(st), err.message);
    return y;
}

static void run_conv_case(const struct conv_case *cc)
{
    unsigned seed = 1234u + (unsigned)cc->c * 7u + (unsigned)cc->m;
    int64_t in[AX], k[AX], s[AX], d[AX], pb[AX], pe[AX], out[AX];
    expand(cc, in, k, s, d, pb, pe);
    conv_expected_geometry(cc, in, k, s, d, pb, pe, out);
    int64_t wd[2 + AX] = {cc->m, cc->c / cc->group};
    int64_t xn = cc->n * cc->c, wn = wd[0] * wd[1], yn = cc->n * cc->m;
    for (int i = 0; i < cc->nsp; i++)
        wd[2 + i] = cc->k[i];
    for (int i = 0; i < AX; i++) {
        xn *= in[i];
        wn *= k[i];
        yn *= out[i];
    }
    float *x = nn_random(xn, &seed), *w = nn_random(wn, &seed);
    float *b = cc->bias ? nn_random(cc->m, &seed) : NULL;
    float *ref = malloc(sizeof *ref * (size_t)yn);
    double *mag = malloc(sizeof *mag * (size_t)yn);
    naive_conv(cc, x, w, b, in, k, s, d, pb, out, ref, mag);

    struct imp_shape s1, s2;
    float *y1 = run_case(cc, false, x, w, b, wd, 1, &s1);
    float *y2 = run_case(cc, false, x, w, b, wd, 2, &s2);
    if (CHECK(y1 != NULL && y2 != NULL)) {
        bool shape_ok = s1.rank == 2 + cc->nsp && s1.d[0] == cc->n && s1.d[1] == cc->m;
        for (int i = 0; i < cc->nsp; i++)
            shape_ok = shape_ok && s1.d[2 + i] == out[AX - cc->nsp + i];
        if (!CHECK(shape_ok))
            printf("  %s: shape mismatch\n", cc->name);
        else {
            double e = sum_error(y1, ref, mag, yn);
            if (!CHECK(e < 1e-6))
                printf("  %s: max rel error %g\n", cc->name, e);
            /* Rows are independent, so threads cannot change a bit. */
            CHECK(memcmp(y1, y2, sizeof *y1 * (size_t)yn) == 0);
        }
    }
    free(y1);
    free(y2);
    free(x);
    free(w);
    free(b);
    free(ref);
    free(mag);
}

#define ALL_ON .set_strides = true, .set_dilations = true, .set_pads = true

static const struct conv_case conv_cases[] = {
    {"3x3 s1 p1 bias", 2, 1, 3, 4, 1, {7, 9}, {3, 3}, {1, 1}, {1, 1},
     {1, 1, 1, 1}, NULL, true, ALL_ON},
    {"group2 even kernel asym pads", 2, 2, 4, 6, 2, {8, 7}, {3, 2}, {2, 1}, {1, 1},
     {0, 1, 2, 1}, NULL, true, ALL_ON, .set_kernel_shape = true},
    {"depthwise s2", 2, 1, 5, 5, 5, {9, 9}, {3, 3}, {2, 2}, {1, 1},
     {1, 1, 1, 1}, NULL, true, ALL_ON},
    {"depthwise x2 dil2 5x5", 2, 1, 3, 6, 3, {10, 11}, {5, 5}, {1, 1}, {2, 2},
     {4, 4, 4, 4}, NULL, false, ALL_ON},
    {"dil2 s2 asym", 2, 1, 2, 3, 1, {11, 10}, {3, 3}, {2, 2}, {2, 2},
     {2, 1, 1, 2}, NULL, true, ALL_ON},
    {"1x1 s2 defaults", 2, 2, 3, 4, 1, {5, 5}, {1, 1}, {2, 2}, {1, 1},
     {0}, NULL, false, .set_strides = true},
    {"SAME_UPPER s2", 2, 1, 3, 2, 1, {7, 8}, {3, 3}, {2, 2}, {1, 1},
     {0}, "SAME_UPPER", true, .set_strides = true},
    {"SAME_LOWER s2 even k", 2, 1, 2, 3, 1, {9, 6}, {4, 4}, {2, 2}, {1, 1},
     {0}, "SAME_LOWER", true, .set_strides = true},
    {"SAME_UPPER dil2", 2, 1, 2, 2, 1, {6, 7}, {3, 2}, {1, 1}, {2, 2},
     {0}, "SAME_UPPER", true, .set_strides = true, .set_dilations = true},
    {"VALID s2", 2, 1, 3, 2, 1, {8, 9}, {3, 3}, {2, 2}, {1, 1},
     {0}, "VALID", true, .set_strides = true},
    {"NOTSET explicit string", 2, 1, 2, 2, 1, {5, 6}, {2, 3}, {1, 2}, {1, 1},
     {1, 0, 0, 1}, "NOTSET", false, ALL_ON},
    {"1-D s2 d2", 1, 2, 2, 3, 1, {13}, {3}, {2}, {2}, {1, 2}, NULL, true, ALL_ON},
    {"3-D", 3, 1, 2, 2, 1, {4, 5, 6}, {2, 3, 3}, {1, 2, 1}, {1, 1, 2},
     {1, 0, 2, 0, 1, 1}, NULL, true, ALL_ON},
    {"kernel covers input", 2, 1, 2, 3, 1, {5, 5}, {5, 5}, {1, 1}, {1, 1},
     {0}, NULL, true, .set_strides = false},
    {"one row wide", 2, 1, 2, 2, 1, {1, 33}, {1, 3}, {1, 1}, {1, 1},
     {0, 1, 0, 1}, NULL, true, ALL_ON},
    {"johnson 9x9 p4", 2, 1, 3, 4, 1, {20, 23}, {9, 9}, {1, 1}, {1, 1},
     {4, 4, 4, 4}, NULL, true, ALL_ON},
    {"wide odd d2 p2", 2, 1, 3, 2, 1, {6, 37}, {3, 3}, {1, 1}, {2, 2},
     {2, 2, 2, 2}, NULL, true, ALL_ON},
    {"stride 3 > kernel", 2, 1, 2, 2, 1, {10, 11}, {2, 2}, {3, 3}, {1, 1},
     {1, 1, 0, 0}, NULL, true, ALL_ON},
    {"groups 4 of 2->3", 2, 2, 8, 12, 4, {6, 5}, {3, 3}, {1, 2}, {1, 1},
     {1, 1, 1, 1}, NULL, true, ALL_ON},
};

static void conv_matches_direct_formula(void)
{
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++)
        run_conv_case(&conv_cases[i]);
}

static void conv_hand_values(void)
{
    /* 4x4 ramp, kernel [[1,0],[0,-1]]: x[i][j] - x[i+1][j+1] = -5, plus 0.5. */
    float x[16], w[4] = {1, 0, 0, -1}, b[1] = {0.5f};
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    struct nn_graph t;
    nn_begin(&t);
    int in[3] = {nn_input(&t, "x", 4, (int64_t[]){1, 1, 4, 4}, x),
                 nn_const(&t, "w", 4, (int64_t[]){1, 1, 2, 2}, w),
                 nn_const(&t, "b", 1, (int64_t[]){1}, b)};
    nn_node(&t, IMP_OP_CONV, 3, in);
    float *y;
    struct imp_shape s;
    struct imp_error err;
    if (!CHECK_STATUS(nn_run(&t, 1, &y, &s, &err), IMP_OK))
        return;
    CHECK(s.rank == 4 && s.d[2] == 3 && s.d[3] == 3);
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(y[i], -4.5, 1e-7);
    free(y);

    /* 3x3 ones, 3x3 ones kernel, pad 1: corners 4, edges 6, centre 9. */
    float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    nn_begin(&t);
    in[0] = nn_input(&t, "x", 4, (int64_t[]){1, 1, 3, 3}, ones);
    in[1] = nn_const(&t, "w", 4, (int64_t[]){1, 1, 3, 3}, ones);
    nn_node(&t, IMP_OP_CONV, 2, in);
    nn_ints(&t, "pads", 4, (int64_t[]){1, 1, 1, 1});
    if (!CHECK_STATUS(nn_run(&t, 1, &y, &s, &err), IMP_OK))
        return;
    const float want[9] = {4, 6, 4, 6, 9, 6, 4, 6, 4};
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(y[i], want[i], 1e-7);
    free(y);
}

/* Every input constant: the node is evaluated at load by the same engine. */
static void conv_folds_at_load(void)
{
    float x[16], w[4] = {1, 0, 0, -1};
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    struct nn_graph t;
    nn_begin(&t);
    int in[2] = {nn_const(&t, "x", 4, (int64_t[]){1, 1, 4, 4}, x),
                 nn_const(&t, "w", 4, (int64_t[]){1, 1, 2, 2}, w)};
    nn_node(&t, IMP_OP_CONV, 2, in);
    float *y;
    struct imp_shape s;
    struct imp_error err;
    if (!CHECK_STATUS(nn_run(&t, 1, &y, &s, &err), IMP_OK))
        return;
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(y[i], -5.0, 1e-7);
    free(y);
}

/* ---- ConvTranspose ------------------------------------------------------------ */

/* Begin pads and output sizes as the ONNX text has them: total padding
 * from output_shape (or SAME_*: in * stride) puts its odd unit at the end
 * for SAME_UPPER and at the start otherwise; a negative total (output
 * larger than the full result) starts at 0, as ONNX Runtime does. */
static void convt_expected_geometry(const struct conv_case *cc, const int64_t *in,
                                    const int64_t *k, const int64_t *s,
                                    const int64_t *d, int64_t *pb, const int64_t *pe,
                                    int64_t *out)
{
    int off = AX - cc->nsp;
    const char *ap = cc->auto_pad ? cc->auto_pad : "NOTSET";
    for (int i = 0; i < AX; i++) {
        int64_t op = i >= off ? cc->out_pad[i - off] : 0;
        int64_t full = s[i] * (in[i] - 1) + op + (k[i] - 1) * d[i] + 1;
        bool have_os = cc->out_shape[0] != 0;
        if (have_os || strncmp(ap, "SAME", 4) == 0) {
            out[i] = have_os ? (i >= off ? cc->out_shape[i - off] : 1) : in[i] * s[i];
            int64_t total = full - out[i];
            if (total < 0)
                total = 0;
            pb[i] = strcmp(ap, "SAME_UPPER") == 0 ? total / 2 : (total + 1) / 2;
        } else if (strcmp(ap, "VALID") == 0) {
            pb[i] = 0;
            out[i] = full;
        } else {
            out[i] = full - pb[i] - pe[i];
        }
    }
}

/* Scatter: every input element adds x * W[c, m] to o = i*s - pad + k*d. */
static void naive_convt(const struct conv_case *cc, const float *x, const float *w,
                        const float *b, const int64_t *in, const int64_t *k,
                        const int64_t *s, const int64_t *d, const int64_t *pb,
                        const int64_t *out, float *y, double *mag)
{
    int64_t cg = cc->c / cc->group, mg = cc->m / cc->group;
    int64_t plane = out[0] * out[1] * out[2];
    int64_t yn = cc->n * cc->m * plane;
    double *acc = calloc((size_t)yn, sizeof *acc);
    for (int64_t i = 0; i < yn; i++)
        mag[i] = 0.0;
    for (int64_t n = 0; n < cc->n; n++)
    for (int64_t c = 0; c < cc->c; c++)
    for (int64_t i0 = 0; i0 < in[0]; i0++)
    for (int64_t i1 = 0; i1 < in[1]; i1++)
    for (int64_t i2 = 0; i2 < in[2]; i2++) {
        double xv = x[(((n * cc->c + c) * in[0] + i0) * in[1] + i1) * in[2] + i2];
        int64_t g = c / cg;
        for (int64_t mm = 0; mm < mg; mm++)
        for (int64_t k0 = 0; k0 < k[0]; k0++)
        for (int64_t k1 = 0; k1 < k[1]; k1++)
        for (int64_t k2 = 0; k2 < k[2]; k2++) {
            int64_t o0 = i0 * s[0] - pb[0] + k0 * d[0];
            int64_t o1 = i1 * s[1] - pb[1] + k1 * d[1];
            int64_t o2 = i2 * s[2] - pb[2] + k2 * d[2];
            if (o0 < 0 || o0 >= out[0] || o1 < 0 || o1 >= out[1] || o2 < 0 ||
                o2 >= out[2])
                continue;
            int64_t m = g * mg + mm;
            double wv = w[(((c * mg + mm) * k[0] + k0) * k[1] + k1) * k[2] + k2];
            int64_t at = (((n * cc->m + m) * out[0] + o0) * out[1] + o1) * out[2] + o2;
            acc[at] += xv * wv;
            mag[at] += fabs(xv * wv);
        }
    }
    for (int64_t i = 0; i < yn; i++) {
        double bv = b ? b[(i / plane) % cc->m] : 0.0;
        y[i] = (float)(acc[i] + bv);
        mag[i] += fabs(bv);
    }
    free(acc);
}

static void run_convt_case(const struct conv_case *cc)
{
    unsigned seed = 777u + (unsigned)cc->c * 5u + (unsigned)cc->m;
    int64_t in[AX], k[AX], s[AX], d[AX], pb[AX], pe[AX], out[AX];
    expand(cc, in, k, s, d, pb, pe);
    convt_expected_geometry(cc, in, k, s, d, pb, pe, out);
    int64_t wd[2 + AX] = {cc->c, cc->m / cc->group};
    int64_t xn = cc->n * cc->c, wn = wd[0] * wd[1], yn = cc->n * cc->m;
    for (int i = 0; i < cc->nsp; i++)
        wd[2 + i] = cc->k[i];
    for (int i = 0; i < AX; i++) {
        xn *= in[i];
        wn *= k[i];
        yn *= out[i];
    }
    float *x = nn_random(xn, &seed), *w = nn_random(wn, &seed);
    float *b = cc->bias ? nn_random(cc->m, &seed) : NULL;
    float *ref = malloc(sizeof *ref * (size_t)yn);
    double *mag = malloc(sizeof *mag * (size_t)yn);
    naive_convt(cc, x, w, b, in, k, s, d, pb, out, ref, mag);

    struct imp_shape s1, s2;
    float *y1 = run_case(cc, true, x, w, b, wd, 1, &s1);
    float *y2 = run_case(cc, true, x, w, b, wd, 2, &s2);
    if (CHECK(y1 != NULL && y2 != NULL)) {
        bool shape_ok = s1.rank == 2 + cc->nsp && s1.d[0] == cc->n && s1.d[1] == cc->m;
        for (int i = 0; i < cc->nsp; i++)
            shape_ok = shape_ok && s1.d[2 + i] == out[AX - cc->nsp + i];
        if (!CHECK(shape_ok)) {
            char buf[64];
            printf("  %s: shape %s\n", cc->name, imp_shape_str(&s1, buf, sizeof buf));
        } else {
            double e = sum_error(y1, ref, mag, yn);
            if (!CHECK(e < 1e-6))
                printf("  %s: max rel error %g\n", cc->name, e);
            CHECK(memcmp(y1, y2, sizeof *y1 * (size_t)yn) == 0);
        }
    }
    free(y1);
    free(y2);
    free(x);
    free(w);
    free(b);
    free(ref);
    free(mag);
}

static const struct conv_case convt_cases[] = {
    /* Johnson: VALID, output_shape one past the full size (bias-only end). */
    {"johnson s2 VALID output_shape full+1", 2, 1, 4, 3, 1, {5, 6}, {3, 3}, {2, 2},
     {1, 1}, {0}, "VALID", true, .set_strides = true, .out_shape = {12, 14}},
    {"output_shape full-1 NOTSET", 2, 1, 2, 3, 1, {5, 4}, {3, 3}, {2, 2}, {1, 1},
     {0}, NULL, true, .set_strides = true, .out_shape = {10, 8}},
    {"output_shape full-1 SAME_UPPER", 2, 1, 2, 3, 1, {5, 4}, {3, 3}, {2, 2},
     {1, 1}, {0}, "SAME_UPPER", true, .set_strides = true, .out_shape = {10, 8}},
    {"output_shape full-1 SAME_LOWER", 2, 1, 2, 3, 1, {5, 4}, {3, 3}, {2, 2},
     {1, 1}, {0}, "SAME_LOWER", true, .set_strides = true, .out_shape = {10, 8}},
    {"output_shape full-3, as [N,C,H,W]", 2, 2, 2, 2, 1, {4, 5}, {3, 4}, {2, 2},
     {1, 1}, {0}, NULL, false, .set_strides = true, .out_shape = {6, 8},
     .full_out_shape = true},
    {"pads + output_padding", 2, 1, 3, 2, 1, {4, 5}, {3, 3}, {2, 2}, {1, 1},
     {1, 0, 0, 1}, NULL, true, ALL_ON, .out_pad = {1, 1}},
    {"groups dil2", 2, 1, 4, 6, 2, {5, 6}, {2, 3}, {1, 1}, {2, 2}, {1, 1, 1, 1},
     NULL, true, ALL_ON},
    {"depthwise k2 s2 (mediapipe)", 2, 1, 3, 3, 3, {4, 5}, {2, 2}, {2, 2}, {1, 1},
     {0, 0, 0, 0}, NULL, true, ALL_ON},
    {"SAME_UPPER no output_shape", 2, 1, 2, 2, 1, {5, 5}, {3, 3}, {2, 2}, {1, 1},
     {0}, "SAME_UPPER", true, .set_strides = true},
    {"SAME_LOWER odd total", 2, 1, 2, 2, 1, {4, 3}, {3, 4}, {2, 2}, {1, 1},
     {0}, "SAME_LOWER", true, .set_strides = true},
    {"VALID s1", 2, 2, 3, 2, 1, {4, 6}, {3, 2}, {1, 1}, {1, 1},
     {0}, "VALID", false, .set_strides = true},
    {"1-D s3 > k, output_padding 2", 1, 1, 2, 3, 1, {7}, {2}, {3}, {1}, {0, 0},
     NULL, true, ALL_ON, .out_pad = {2}},
    {"3-D", 3, 1, 2, 2, 1, {3, 4, 3}, {2, 2, 3}, {2, 1, 2}, {1, 2, 1},
     {0, 1, 1, 1, 0, 0}, NULL, true, ALL_ON},
    {"stride 2x1 asym pads", 2, 1, 3, 4, 1, {6, 7}, {3, 3}, {2, 1}, {1, 1},
     {2, 0, 1, 2}, NULL, true, ALL_ON},
};

static void conv_transpose_matches_scatter_formula(void)
{
    for (size_t i = 0; i < sizeof convt_cases / sizeof convt_cases[0]; i++)
        run_convt_case(&convt_cases[i]);
}

static void conv_transpose_hand_values(void)
{
    /* [[1,2],[3,4]], ones 2x2, stride 2: each pixel becomes a 2x2 block. */
    float x[4] = {1, 2, 3, 4}, ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    struct nn_graph t;
    nn_begin(&t);
    int in[3] = {nn_input(&t, "x", 4, (int64_t[]){1, 1, 2, 2}, x),
                 nn_const(&t, "w", 4, (int64_t[]){1, 1, 2, 2}, ones)};
    nn_node(&t, IMP_OP_CONV_TRANSPOSE, 2, in);
    nn_ints(&t, "strides", 2, (int64_t[]){2, 2});
    float *y;
    struct imp_shape s;
    struct imp_error err;
    if (!CHECK_STATUS(nn_run(&t, 1, &y, &s, &err), IMP_OK))
        return;
    const float blocks[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    CHECK(s.d[2] == 4 && s.d[3] == 4);
    for (int i = 0; i < 16; i++)
        CHECK_NEAR(y[i], blocks[i], 1e-7);
    free(y);

    /* One pixel of 1, 3x3 ones, s2, output_shape 4x4 (one past the full
     * 3x3): the kernel in the top-left, the bias in the last row/column. */
    float one[1] = {1}, bias[1] = {0.25f};
    nn_begin(&t);
    in[0] = nn_input(&t, "x", 4, (int64_t[]){1, 1, 1, 1}, one);
    in[1] = nn_const(&t, "w", 4, (int64_t[]){1, 1, 3, 3}, ones);
    in[2] = nn_const(&t, "b", 1, (int64_t[]){1}, bias);
    nn_node(&t, IMP_OP_CONV_TRANSPOSE, 3, in);
    nn_ints(&t, "strides", 2, (int64_t[]){2, 2});
    nn_string(&t, "auto_pad", "VALID");
    nn_ints(&t, "output_shape", 2, (int64_t[]){4, 4});
    if (!CHECK_STATUS(nn_run(&t, 1, &y, &s, &err), IMP_OK))
        return;
    CHECK(s.d[2] == 4 && s.d[3] == 4);
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            CHECK_NEAR(y[r * 4 + c], r < 3 && c < 3 ? 1.25 : 0.25, 1e-7);
    free(y);
}

/* ---- errors -------------------------------------------------------------------- */

/* A 1x4x5x5 Conv with W [wm, wc, 3, 3]; `attrs` adds attributes. */
static void conv_graph(struct nn_graph *t, enum imp_op op, int64_t wm, int64_t wc,
                       int64_t bias_len)
{
    static float data[4096];
    nn_begin(t);
    int in[3] = {nn_input(t, "x", 4, (int64_t[]){1, 4, 5, 5}, data),
                 nn_const(t, "w", 4, (int64_t[]){wm, wc, 3, 3}, data)};
    if (bias_len)
        in[2] = nn_const(t, "b", 1, (int64_t[]){bias_len}, data);
    nn_node(t, op, bias_len ? 3 : 2, in);
}

static void conv_rejects_bad_models(void)
{
    struct nn_graph t;
    conv_graph(&t, IMP_OP_CONV, 6, 2, 0);
    nn_int(&t, "group", 3);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "group 3");

    conv_graph(&t, IMP_OP_CONV, 6, 3, 0);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "input channels per group");

    conv_graph(&t, IMP_OP_CONV, 5, 2, 0);
    nn_int(&t, "group", 2);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "output channels");

    conv_graph(&t, IMP_OP_CONV, 6, 4, 0);
    nn_int(&t, "group", 0);
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "group");

    conv_graph(&t, IMP_OP_CONV, 6, 4, 5);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "bias");

    conv_graph(&t, IMP_OP_CONV, 6, 4, 0);
    nn_ints(&t, "strides", 1, (int64_t[]){1});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "strides");

    conv_graph(&t, IMP_OP_CONV, 6, 4, 0);
    nn_ints(&t, "strides", 2, (int64_t[]){1, 0});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "strides[1]");

    conv_graph(&t, IMP_OP_CONV, 6, 4, 0);
    nn_ints(&t, "dilations", 2, (int64_t[]){0, 1});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "dilations[0]");

    conv_graph(&t, IMP_OP_CONV, 6, 4, 0);
    nn_ints(&t, "pads", 4, (int64_t[]){0, -1, 0, 0});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "pads[1]");

    conv_graph(&t, IMP_OP_CONV, 6, 4, 0);
    nn_ints(&t, "pads", 4, (int64_t[]){0, (int64_t)1 << 40, 0, 0});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "pads[1]");

    conv_graph(&t, IMP_OP_CONV, 6, 4, 0);
    nn_ints(&t, "kernel_shape", 2, (int64_t[]){3, 5});
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "kernel_shape[1]");

    conv_graph(&t, IMP_OP_CONV, 6, 4, 0);
    nn_ints(&t, "dilations", 2, (int64_t[]){3, 1});
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "output spatial axis 0");

    conv_graph(&t, IMP_OP_CONV, 6, 4, 0);
    nn_string(&t, "auto_pad", "SAME");
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "auto_pad");

    /* W of the wrong rank. */
    static float data[512];
    nn_begin(&t);
    int in[2] = {nn_input(&t, "x", 4, (int64_t[]){1, 4, 5, 5}, data),
                 nn_const(&t, "w", 3, (int64_t[]){6, 4, 3}, data)};
    nn_node(&t, IMP_OP_CONV, 2, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "rank");

    /* Not float32: the message names the type. */
    static int64_t idata[100];
    nn_begin(&t);
    in[0] = nn_input_typed(&t, "x", IMP_DTYPE_I64, 4, (int64_t[]){1, 4, 5, 5}, idata);
    in[1] = nn_const(&t, "w", 4, (int64_t[]){6, 4, 3, 3}, data);
    nn_node(&t, IMP_OP_CONV, 2, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_UNSUPPORTED, "int64");

    /* Missing W. */
    nn_begin(&t);
    in[0] = nn_input(&t, "x", 4, (int64_t[]){1, 4, 5, 5}, data);
    nn_node(&t, IMP_OP_CONV, 1, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "W");
}

static void conv_transpose_rejects_bad_models(void)
{
    struct nn_graph t;
    conv_graph(&t, IMP_OP_CONV_TRANSPOSE, 3, 2, 0);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "input channels");

    conv_graph(&t, IMP_OP_CONV_TRANSPOSE, 4, 2, 0);
    nn_int(&t, "group", 3);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "group 3");

    conv_graph(&t, IMP_OP_CONV_TRANSPOSE, 4, 2, 6);
    nn_int(&t, "group", 2);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "bias");

    conv_graph(&t, IMP_OP_CONV_TRANSPOSE, 4, 2, 0);
    nn_ints(&t, "output_shape", 3, (int64_t[]){1, 9, 9});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "output_shape");

    conv_graph(&t, IMP_OP_CONV_TRANSPOSE, 4, 2, 0);
    nn_ints(&t, "output_shape", 2, (int64_t[]){0, 9});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "output_shape[0]");

    conv_graph(&t, IMP_OP_CONV_TRANSPOSE, 4, 2, 0);
    nn_ints(&t, "output_padding", 1, (int64_t[]){1});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "output_padding");

    conv_graph(&t, IMP_OP_CONV_TRANSPOSE, 4, 2, 0);
    nn_ints(&t, "pads", 4, (int64_t[]){4, 0, 4, 0});
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "output spatial axis 0");
}

int main(void)
{
    RUN(conv_matches_direct_formula);
    RUN(conv_hand_values);
    RUN(conv_folds_at_load);
    RUN(conv_transpose_matches_scatter_formula);
    RUN(conv_transpose_hand_values);
    RUN(conv_rejects_bad_models);
    RUN(conv_transpose_rejects_bad_models);
    return imp_test_finish();
}
