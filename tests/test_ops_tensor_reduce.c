/* Softmax (opset 13 and legacy coerce-to-2D semantics) and ReduceMean,
 * against direct formulas. */
#include "ops_harness.h"

/* Softmax over groups: element i belongs to group (i / (n*inner), i % inner)
 * and the group runs over n elements `inner` apart. */
static void ref_softmax(const float *x, float *y, size_t outer, size_t n, size_t inner)
{
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            double m = -INFINITY, sum = 0;
            for (size_t k = 0; k < n; k++)
                m = fmax(m, x[(o * n + k) * inner + i]);
            for (size_t k = 0; k < n; k++)
                sum += exp(x[(o * n + k) * inner + i] - m);
            for (size_t k = 0; k < n; k++)
                y[(o * n + k) * inner + i] =
                    (float)(exp(x[(o * n + k) * inner + i] - m) / sum);
        }
}

static void softmax_axes_and_legacy(void)
{
    static float x[2 * 3 * 4 * 5], want[2 * 3 * 4 * 5];
    t_fill(x, 120, 21);
    for (int i = 0; i < 120; i++)
        x[i] *= 4;
    struct tspec s = {.op = IMP_OP_SOFTMAX, .n_in = 1, .in = {FIN(x, 2, 3, 4, 5)}};
    ref_softmax(x, want, 24, 5, 1); /* opset 13 default: last axis */
    EXPECT_F32(&s, 4, DIMS(2, 3, 4, 5), want, 1e-6);
    s.n_attrs = 1;
    s.attrs[0] = A_INT("axis", 1);
    ref_softmax(x, want, 2, 3, 20);
    EXPECT_F32(&s, 4, DIMS(2, 3, 4, 5), want, 1e-6);
    s.attrs[0] = A_INT("axis", -2);
    ref_softmax(x, want, 6, 4, 5);
    EXPECT_F32(&s, 4, DIMS(2, 3, 4, 5), want, 1e-6);
    /* Opset < 13: flattened to 2-D at axis (default 1). */
    s.n_attrs = 1;
    s.attrs[0] = A_INT("coerce_2d", 1);
    ref_softmax(x, want, 2, 60, 1);
    EXPECT_F32(&s, 4, DIMS(2, 3, 4, 5), want, 1e-6);
    s.n_attrs = 2;
    s.attrs[1] = A_INT("axis", 2);
    ref_softmax(x, want, 6, 20, 1);
    EXPECT_F32(&s, 4, DIMS(2, 3, 4, 5), want, 1e-6);
    s.attrs[1] = A_INT("axis", 0);
    ref_softmax(x, want, 1, 120, 1);
    EXPECT_F32(&s, 4, DIMS(2, 3, 4, 5), want, 1e-6);
    s.attrs[1] = A_INT("axis", 4);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "out of range");
    /* Large logits stay finite. */
    float big[3] = {1000, 1001, 999};
    s = (struct tspec){.op = IMP_OP_SOFTMAX, .n_in = 1, .in = {FIN(big, 1, 3)}};
    double e0 = exp(-1.0), e2 = exp(-2.0), z = e0 + 1 + e2;
    EXPECT_F32(&s, 2, DIMS(1, 3),
               ((float[]){(float)(e0 / z), (float)(1 / z), (float)(e2 / z)}), 1e-6);
    int64_t ints[3] = {0};
    s.in[0] = TV(T_DATA, IMP_DTYPE_I64, ints, 3);
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "float32");
}

/* Mean over the axes flagged in `red`, for a rank-3 input. */
static void ref_mean3(const float *x, const int64_t *d, const bool *red, float *y)
{
    int64_t od[3], cnt = 1;
    for (int i = 0; i < 3; i++) {
        od[i] = red[i] ? 1 : d[i];
        cnt *= red[i] ? d[i] : 1;
    }
    for (int64_t a = 0; a < od[0]; a++)
        for (int64_t b = 0; b < od[1]; b++)
            for (int64_t c = 0; c < od[2]; c++) {
                double sum = 0;
                for (int64_t i = 0; i < d[0]; i++)
                    for (int64_t j = 0; j < d[1]; j++)
                        for (int64_t k = 0; k < d[2]; k++) {
                            if ((!red[0] && i != a) || (!red[1] && j != b) ||
                                (!red[2] && k != c))
                                continue;
                            sum += x[(i * d[1] + j) * d[2] + k];
                        }
                y[(a * od[1] + b) * od[2] + c] = (float)(sum / (double)cnt);
            }
}

static void reduce_mean_axes_keepdims(void)
{
    static float x[60], want[60];
    t_fill(x, 60, 8);
    const int64_t d[3] = {3, 4, 5};
    struct {
        int n_axes;
        int64_t axes[3];
        bool red[3];
    } cases[] = {
        {1, {1}, {false, true, false}},     {2, {0, 2}, {true, false, true}},
        {2, {-1, -2}, {false, true, true}}, {3, {2, 0, 1}, {true, true, true}},
        {1, {-3}, {true, false, false}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ref_mean3(x, d, cases[i].red, want);
        int64_t kd[3], nd[3];
        int nr = 0;
        for (int k = 0; k < 3; k++) {
            kd[k] = cases[i].red[k] ? 1 : d[k];
            if (!cases[i].red[k])
                nd[nr++] = d[k];
        }
        for (int keep = 0; keep < 2; keep++) {
            struct tspec s = {.op = IMP_OP_REDUCE_MEAN,
                              .n_in = 1,
                              .in = {FIN(x, 3, 4, 5)},
                              .n_attrs = 2};
            s.attrs[0] = (struct tattr){.name = "axes",
                                        .type = IMP_ATTR_INTS,
                                        .ints = cases[i].axes,
                                        .n = cases[i].n_axes};
            s.attrs[1] = A_INT("keepdims", keep);
            if (keep)
                EXPECT_F32(&s, 3, kd, want, 1e-6);
            else
                EXPECT_F32(&s, nr, nd, want, 1e-6);
            /* Opset 18: the same axes as input 1. */
            s.n_in = 2;
            s.in[1] = (struct tval){
                T_CONST, IMP_DTYPE_I64, 1, {cases[i].n_axes}, cases[i].axes};
            s.n_attrs = 1;
            s.attrs[0] = A_INT("keepdims", keep);
            if (keep)
                EXPECT_F32(&s, 3, kd, want, 1e-6);
            else
                EXPECT_F32(&s, nr, nd, want, 1e-6);
        }
    }
    /* No axes: everything, unless noop_with_empty_axes. */
    bool all[3] = {true, true, true};
    ref_mean3(x, d, all, want);
    struct tspec s = {.op = IMP_OP_REDUCE_MEAN, .n_in = 1, .in = {FIN(x, 3, 4, 5)}};
    EXPECT_F32(&s, 3, DIMS(1, 1, 1), want, 1e-6);
    s.n_attrs = 1;
    s.attrs[0] = A_INT("keepdims", 0);
    EXPECT_F32(&s, 0, DIMS(0), want, 1e-6);
    s.attrs[0] = A_INT("noop_with_empty_axes", 1);
    EXPECT_F32(&s, 3, DIMS(3, 4, 5), x, 0);
    s.n_in = 2;
    s.in[1] = TV(T_CONST, IMP_DTYPE_I64, NULL, 0);
    EXPECT_F32(&s, 3, DIMS(3, 4, 5), x, 0);
    s.n_attrs = 0;
    EXPECT_F32(&s, 3, DIMS(1, 1, 1), want, 1e-6);
    /* Errors. */
    s.in[1] = I64C(((int64_t[]){1, -2}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "repeated");
    s.in[1] = I64C(((int64_t[]){3}), 1);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "out of range");
    /* Axes fed by the caller are read when planning. */
    int64_t axes[1] = {1};
    s.no_fold = true;
    s.in[1] = TV(T_DATA, IMP_DTYPE_I64, axes, 1);
    ref_mean3(x, d, (bool[3]){false, true, false}, want);
    EXPECT_F32(&s, 3, DIMS(3, 1, 5), want, 1e-6);
}

/* The global-average-pool shape: mean over H and W of NCHW. */
static void reduce_mean_spatial(void)
{
    static float x[2 * 3 * 7 * 9], want[6];
    t_fill(x, sizeof x / sizeof x[0], 4);
    for (int p = 0; p < 6; p++) {
        double sum = 0;
        for (int i = 0; i < 63; i++)
            sum += x[p * 63 + i];
        want[p] = (float)(sum / 63);
    }
    struct tspec s = {.op = IMP_OP_REDUCE_MEAN,
                      .n_in = 1,
                      .in = {FIN(x, 2, 3, 7, 9)},
                      .n_attrs = 1,
                      .attrs = {A_INTS("axes", 2, 3)}};
    EXPECT_F32(&s, 4, DIMS(2, 3, 1, 1), want, 1e-6);
}

int main(void)
{
    RUN(softmax_axes_and_legacy);
    RUN(reduce_mean_axes_keepdims);
    RUN(reduce_mean_spatial);
    return imp_test_finish();
}
