/*
 * Pooling, normalisation and matrix-product reference engines against
 * direct formulas written here from the ONNX definitions, hand-computed
 * values, and the errors malformed nodes must produce.
 */
#include "nn_graph.h"

#define AX 3

static bool close_all(const float *y, const float *ref, int64_t n, double tol,
                      const char *what)
{
    double e = imp_test_max_rel_error(y, ref, (size_t)n, 1.0);
    if (!(e <= tol)) {
        printf("  %s: max rel error %g\n", what, e);
        return CHECK(false);
    }
    return CHECK(true);
}

static bool shape_is(const struct imp_shape *s, int rank, const int64_t *d)
{
    if (s->rank != rank)
        return false;
    for (int i = 0; i < rank; i++)
        if (s->d[i] != d[i])
            return false;
    return true;
}

/* ---- pooling ------------------------------------------------------------------- */

struct pool_case {
    const char *name;
    bool is_max;
    int nsp;
    int64_t n, c;
    int64_t in[AX], k[AX], s[AX], d[AX];
    int64_t pads[2 * AX];
    const char *auto_pad;
    bool ceil_mode, count_include_pad;
    bool set_s, set_d, set_p;
};

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/* Output sizes and pads from the ONNX text plus the ceil_mode rule that
 * a window may not start in the end padding. */
static void pool_geometry(const struct pool_case *pc, int64_t *in, int64_t *k,
                          int64_t *s, int64_t *d, int64_t *pb, int64_t *pe,
                          int64_t *out)
{
    int off = AX - pc->nsp;
    const char *ap = pc->auto_pad ? pc->auto_pad : "NOTSET";
    for (int i = 0; i < AX; i++) {
        int a = i - off;
        in[i] = a >= 0 ? pc->in[a] : 1;
        k[i] = a >= 0 ? pc->k[a] : 1;
        s[i] = a >= 0 && pc->set_s ? pc->s[a] : 1;
        d[i] = a >= 0 && pc->set_d ? pc->d[a] : 1;
        pb[i] = a >= 0 && pc->set_p ? pc->pads[a] : 0;
        pe[i] = a >= 0 && pc->set_p ? pc->pads[pc->nsp + a] : 0;
        int64_t ext = (k[i] - 1) * d[i] + 1;
        if (strcmp(ap, "VALID") == 0) {
            pb[i] = pe[i] = 0;
            out[i] = ceil_div(in[i] - ext + 1, s[i]);
        } else if (strncmp(ap, "SAME", 4) == 0) {
            out[i] = ceil_div(in[i], s[i]);
            int64_t total = (out[i] - 1) * s[i] + ext - in[i];
            total = total < 0 ? 0 : total;
            pb[i] = strcmp(ap, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
            pe[i] = total - pb[i];
        } else if (pc->ceil_mode) {
            out[i] = ceil_div(in[i] + pb[i] + pe[i] - ext, s[i]) + 1;
            if ((out[i] - 1) * s[i] >= in[i] + pb[i])
                out[i]--;
        } else {
            out[i] = (in[i] + pb[i] + pe[i] - ext) / s[i] + 1;
        }
    }
}

static void naive_pool(const struct pool_case *pc, const float *x, const int64_t *in,
                       const int64_t *k, const int64_t *s, const int64_t *d,
                       const int64_t *pb, const int64_t *pe, const int64_t *out,
                       float *y)
{
    float *yp = y;
    for (int64_t plane = 0; plane < pc->n * pc->c; plane++)
    for (int64_t o0 = 0; o0 < out[0]; o0++)
    for (int64_t o1 = 0; o1 < out[1]; o1++)
    for (int64_t o2 = 0; o2 < out[2]; o2++) {
        double mx = -INFINITY, sum = 0;
        int64_t inside = 0, padded = 0;
        for (int64_t k0 = 0; k0 < k[0]; k0++)
        for (int64_t k1 = 0; k1 < k[1]; k1++)
        for (int64_t k2 = 0; k2 < k[2]; k2++) {
            int64_t p[AX] = {o0 * s[0] - pb[0] + k0 * d[0], o1 * s[1] - pb[1] + k1 * d[1],
                             o2 * s[2] - pb[2] + k2 * d[2]};
            bool in_pad = true, in_x = true;
            for (int i = 0; i < AX; i++) {
                in_pad = in_pad && p[i] >= -pb[i] && p[i] < in[i] + pe[i];
                in_x = in_x && p[i] >= 0 && p[i] < in[i];
            }
            padded += in_pad;
            if (!in_x)
                continue;
            inside++;
            double v = x[((plane * in[0] + p[0]) * in[1] + p[1]) * in[2] + p[2]];
            mx = v > mx ? v : mx;
            sum += v;
        }
        if (pc->is_max)
            *yp++ = (float)mx;
        else
            *yp++ = (float)(sum / (double)(pc->count_include_pad ? padded : inside));
    }
}

static void run_pool_case(const struct pool_case *pc)
{
    unsigned seed = 99u + (unsigned)pc->in[0];
    int64_t in[AX], k[AX], s[AX], d[AX], pb[AX], pe[AX], out[AX];
    pool_geometry(pc, in, k, s, d, pb, pe, out);
    int64_t xd[2 + AX] = {pc->n, pc->c}, yd[2 + AX] = {pc->n, pc->c};
    int64_t xn = pc->n * pc->c, yn = xn;
    for (int i = 0; i < pc->nsp; i++) {
        xd[2 + i] = pc->in[i];
        yd[2 + i] = out[AX - pc->nsp + i];
    }
    for (int i = 0; i < AX; i++) {
        xn *= in[i];
        yn *= out[i];
    }
    float *x = nn_random(xn, &seed), *ref = malloc(sizeof *ref * (size_t)yn);
    naive_pool(pc, x, in, k, s, d, pb, pe, out, ref);
    for (int threads = 1; threads <= 2; threads++) {
        struct nn_graph t;
        nn_begin(&t);
        int xi = nn_input(&t, "x", 2 + pc->nsp, xd, x);
        nn_node(&t, pc->is_max ? IMP_OP_MAX_POOL : IMP_OP_AVERAGE_POOL, 1, &xi);
        nn_ints(&t, "kernel_shape", pc->nsp, pc->k);
        if (pc->set_s)
            nn_ints(&t, "strides", pc->nsp, pc->s);
        if (pc->set_d)
            nn_ints(&t, "dilations", pc->nsp, pc->d);
        if (pc->set_p)
            nn_ints(&t, "pads", 2 * pc->nsp, pc->pads);
        if (pc->auto_pad)
            nn_string(&t, "auto_pad", pc->auto_pad);
        if (pc->ceil_mode)
            nn_int(&t, "ceil_mode", 1);
        if (pc->count_include_pad)
            nn_int(&t, "count_include_pad", 1);
        float *y;
        struct imp_shape ys;
        struct imp_error err;
        enum imp_status st = nn_run(&t, threads, &y, &ys, &err);
        if (!CHECK(st == IMP_OK)) {
            printf("  %s: %s\n", pc->name, err.message);
            continue;
        }
        if (CHECK(shape_is(&ys, 2 + pc->nsp, yd)))
            close_all(y, ref, yn, 1e-6, pc->name);
        else
            printf("  %s: wrong shape\n", pc->name);
        free(y);
    }
    free(x);
    free(ref);
}

#define SDP .set_s = true, .set_d = true, .set_p = true

static const struct pool_case pool_cases[] = {
    {"max 2x2 s2 floor", true, 2, 2, 3, {6, 7}, {2, 2}, {2, 2}, {1, 1}, {0},
     NULL, false, false, .set_s = true},
    {"max 3x3 s2 ceil", true, 2, 1, 2, {7, 8}, {3, 3}, {2, 2}, {1, 1}, {0},
     NULL, true, false, .set_s = true},
    {"max 3x3 s2 pad1 ceil", true, 2, 1, 2, {6, 9}, {3, 3}, {2, 2}, {1, 1},
     {1, 1, 1, 1}, NULL, true, false, SDP},
    {"max ceil drops a window of pure padding", true, 2, 1, 2, {4, 6}, {2, 2},
     {2, 3}, {1, 1}, {0, 0, 1, 1}, NULL, true, false, SDP},
    {"max dil2", true, 2, 1, 2, {7, 8}, {2, 3}, {1, 2}, {2, 2}, {1, 0, 0, 1},
     NULL, false, false, SDP},
    {"max SAME_UPPER", true, 2, 1, 3, {7, 8}, {3, 2}, {2, 2}, {1, 1}, {0},
     "SAME_UPPER", false, false, .set_s = true},
    {"max SAME_LOWER", true, 2, 1, 3, {7, 8}, {3, 4}, {2, 3}, {1, 1}, {0},
     "SAME_LOWER", false, false, .set_s = true},
    {"max VALID", true, 2, 1, 1, {9, 8}, {3, 3}, {2, 3}, {1, 1}, {0},
     "VALID", false, false, .set_s = true},
    {"max 1-D", true, 1, 2, 2, {11}, {3}, {2}, {1}, {1, 1}, NULL, true, false, SDP},
    {"max 3-D", true, 3, 1, 2, {4, 5, 6}, {2, 2, 3}, {2, 1, 2}, {1, 1, 1},
     {0, 1, 1, 1, 0, 1}, NULL, false, false, SDP},
    {"avg pad1 exclude", false, 2, 1, 2, {7, 6}, {3, 3}, {2, 2}, {1, 1},
     {1, 1, 1, 1}, NULL, false, false, SDP},
    {"avg pad1 include", false, 2, 1, 2, {7, 6}, {3, 3}, {2, 2}, {1, 1},
     {1, 1, 1, 1}, NULL, false, true, SDP},
    {"avg ceil include (clipped at padding)", false, 2, 1, 2, {8, 7}, {3, 3},
     {2, 2}, {1, 1}, {1, 0, 1, 0}, NULL, true, true, SDP},
    {"avg ceil drops a window of pure padding", false, 1, 1, 2, {6}, {2}, {3},
     {1}, {0, 1}, NULL, true, true, SDP},
    {"avg ceil exclude", false, 2, 2, 2, {8, 7}, {3, 2}, {2, 2}, {1, 1},
     {0, 1, 1, 0}, NULL, true, false, SDP},
    {"avg dil2 include", false, 2, 1, 2, {9, 8}, {3, 2}, {1, 2}, {2, 2},
     {2, 1, 2, 1}, NULL, false, true, SDP},
    {"avg SAME_UPPER exclude", false, 2, 1, 2, {7, 8}, {3, 3}, {2, 2}, {1, 1},
     {0}, "SAME_UPPER", false, false, .set_s = true},
    {"avg SAME_LOWER include", false, 2, 1, 2, {7, 8}, {4, 3}, {2, 2}, {1, 1},
     {0}, "SAME_LOWER", false, true, .set_s = true},
    {"avg 1-D ceil", false, 1, 1, 3, {10}, {4}, {3}, {1}, {2, 1}, NULL, true,
     false, SDP},
    {"avg 3-D include", false, 3, 1, 1, {5, 4, 6}, {2, 3, 2}, {2, 1, 2},
     {1, 1, 1}, {1, 1, 0, 0, 1, 1}, NULL, false, true, SDP},
    {"avg global-size window", false, 2, 2, 3, {5, 4}, {5, 4}, {1, 1}, {1, 1},
     {0}, NULL, false, false, .set_s = false},
};

static void pools_match_direct_formula(void)
{
    for (size_t i = 0; i < sizeof pool_cases / sizeof pool_cases[0]; i++)
        run_pool_case(&pool_cases[i]);
}

static float *run_single(struct nn_graph *t, struct imp_shape *ys)
{
    float *y = NULL;
    struct imp_error err;
    enum imp_status st = nn_run(t, 1, &y, ys, &err);
    if (st != IMP_OK)
        printf("  run failed: %s\n", err.message);
    return y;
}

static void pools_hand_values(void)
{
    float ramp[16], ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (int i = 0; i < 16; i++)
        ramp[i] = (float)(i + 1);
    struct nn_graph t;
    struct imp_shape ys;
    nn_begin(&t);
    int x = nn_input(&t, "x", 4, (int64_t[]){1, 1, 4, 4}, ramp);
    nn_node(&t, IMP_OP_MAX_POOL, 1, &x);
    nn_ints(&t, "kernel_shape", 2, (int64_t[]){2, 2});
    nn_ints(&t, "strides", 2, (int64_t[]){2, 2});
    float *y = run_single(&t, &ys);
    if (CHECK(y != NULL)) {
        CHECK(y[0] == 6 && y[1] == 8 && y[2] == 14 && y[3] == 16);
        free(y);
    }

    /* 3x3 ones, 3x3 window, pad 1: 1 everywhere without the padding in the
     * count; 4/9, 6/9 and 1 with it. */
    for (int include = 0; include <= 1; include++) {
        nn_begin(&t);
        x = nn_input(&t, "x", 4, (int64_t[]){1, 1, 3, 3}, ones);
        nn_node(&t, IMP_OP_AVERAGE_POOL, 1, &x);
        nn_ints(&t, "kernel_shape", 2, (int64_t[]){3, 3});
        nn_ints(&t, "pads", 4, (int64_t[]){1, 1, 1, 1});
        nn_int(&t, "count_include_pad", include);
        y = run_single(&t, &ys);
        if (!CHECK(y != NULL))
            continue;
        const double want[9] = {4, 6, 4, 6, 9, 6, 4, 6, 4};
        for (int i = 0; i < 9; i++)
            CHECK_NEAR(y[i], include ? want[i] / 9.0 : 1.0, 1e-7);
        free(y);
    }

    /* [1..5], window 2, stride 2, ceil_mode: the last window holds just 5. */
    nn_begin(&t);
    x = nn_input(&t, "x", 3, (int64_t[]){1, 1, 5}, ramp);
    nn_node(&t, IMP_OP_AVERAGE_POOL, 1, &x);
    nn_ints(&t, "kernel_shape", 1, (int64_t[]){2});
    nn_ints(&t, "strides", 1, (int64_t[]){2});
    nn_int(&t, "ceil_mode", 1);
    y = run_single(&t, &ys);
    if (CHECK(y != NULL)) {
        CHECK(ys.rank == 3 && ys.d[2] == 3);
        CHECK_NEAR(y[0], 1.5, 1e-7);
        CHECK_NEAR(y[1], 3.5, 1e-7);
        CHECK_NEAR(y[2], 5.0, 1e-7);
        free(y);
    }
}

static void global_average_pool_works(void)
{
    unsigned seed = 5;
    const int64_t shapes[][5] = {{2, 3, 5, 7, 0}, {1, 2, 9, 0, 0}, {1, 2, 3, 2, 4}};
    const int ranks[] = {4, 3, 5};
    for (int c = 0; c < 3; c++) {
        int rank = ranks[c];
        int64_t xn = nn_count(rank, shapes[c]), planes = shapes[c][0] * shapes[c][1];
        int64_t plane = xn / planes;
        float *x = nn_random(xn, &seed), *ref = malloc(sizeof *ref * (size_t)planes);
        for (int64_t p = 0; p < planes; p++) {
            double s = 0;
            for (int64_t i = 0; i < plane; i++)
                s += x[p * plane + i];
            ref[p] = (float)(s / (double)plane);
        }
        struct nn_graph t;
        nn_begin(&t);
        int xi = nn_input(&t, "x", rank, shapes[c], x);
        nn_node(&t, IMP_OP_GLOBAL_AVERAGE_POOL, 1, &xi);
        struct imp_shape ys;
        float *y = run_single(&t, &ys);
        if (CHECK(y != NULL)) {
            int64_t want[5] = {shapes[c][0], shapes[c][1], 1, 1, 1};
            CHECK(shape_is(&ys, rank, want));
            close_all(y, ref, planes, 1e-6, "GlobalAveragePool");
            free(y);
        }
        free(x);
        free(ref);
    }
}

static void pools_reject_bad_models(void)
{
    static float data[256];
    struct nn_graph t;
    int64_t xd[4] = {1, 2, 5, 5};

    nn_begin(&t);
    int x = nn_input(&t, "x", 4, xd, data);
    nn_node_outs(&t, IMP_OP_MAX_POOL, 1, &x, 2);
    nn_ints(&t, "kernel_shape", 2, (int64_t[]){2, 2});
    NN_EXPECT_ERROR(&t, IMP_ERR_UNSUPPORTED, "Indices");

    nn_begin(&t);
    x = nn_input(&t, "x", 4, xd, data);
    nn_node(&t, IMP_OP_AVERAGE_POOL, 1, &x);
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "kernel_shape is required");

    nn_begin(&t);
    x = nn_input(&t, "x", 4, xd, data);
    nn_node(&t, IMP_OP_MAX_POOL, 1, &x);
    nn_ints(&t, "kernel_shape", 2, (int64_t[]){2, 2});
    nn_ints(&t, "pads", 4, (int64_t[]){0, 2, 0, 0});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "smaller than the kernel");

    nn_begin(&t);
    x = nn_input(&t, "x", 4, xd, data);
    nn_node(&t, IMP_OP_MAX_POOL, 1, &x);
    nn_ints(&t, "kernel_shape", 2, (int64_t[]){6, 2});
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "output spatial axis 0");

    nn_begin(&t);
    x = nn_input(&t, "x", 4, xd, data);
    nn_node(&t, IMP_OP_AVERAGE_POOL, 1, &x);
    nn_ints(&t, "kernel_shape", 2, (int64_t[]){2, 2});
    nn_int(&t, "ceil_mode", 2);
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "ceil_mode");

    nn_begin(&t);
    x = nn_input(&t, "x", 4, xd, data);
    nn_node(&t, IMP_OP_AVERAGE_POOL, 1, &x);
    nn_ints(&t, "kernel_shape", 3, (int64_t[]){2, 2, 2});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "kernel_shape");

    nn_begin(&t);
    x = nn_input(&t, "x", 2, xd, data);
    nn_node(&t, IMP_OP_GLOBAL_AVERAGE_POOL, 1, &x);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "rank 2");

    static int32_t idata[64];
    nn_begin(&t);
    x = nn_input_typed(&t, "x", IMP_DTYPE_I32, 4, xd, idata);
    nn_node(&t, IMP_OP_MAX_POOL, 1, &x);
    nn_ints(&t, "kernel_shape", 2, (int64_t[]){2, 2});
    NN_EXPECT_ERROR(&t, IMP_ERR_UNSUPPORTED, "int32");
}

/* ---- normalisation ----------------------------------------------------------------- */

static float *run_instance_norm(const float *x, int rank, const int64_t *xd,
                                const float *scale, const float *bias, float eps,
                                int threads)
{
    struct nn_graph t;
    nn_begin(&t);
    int in[3] = {nn_input(&t, "x", rank, xd, x),
                 nn_const(&t, "scale", 1, &xd[1], scale),
                 nn_const(&t, "b", 1, &xd[1], bias)};
    nn_node(&t, IMP_OP_INSTANCE_NORM, 3, in);
    if (eps != 1e-5f)
        nn_float(&t, "epsilon", eps);
    float *y = NULL;
    struct imp_shape ys;
    struct imp_error err;
    if (nn_run(&t, threads, &y, &ys, &err) != IMP_OK)
        printf("  instance norm failed: %s\n", err.message);
    else
        CHECK(shape_is(&ys, rank, xd));
    return y;
}

/* Mean and variance in long double, one plane at a time. */
static void naive_instance_norm(const float *x, int64_t planes, int64_t plane,
                                int64_t channels, const float *scale,
                                const float *bias, double eps, float *y)
{
    for (int64_t p = 0; p < planes; p++) {
        long double s = 0, q = 0;
        for (int64_t i = 0; i < plane; i++)
            s += x[p * plane + i];
        long double mean = s / plane;
        for (int64_t i = 0; i < plane; i++) {
            long double dv = x[p * plane + i] - mean;
            q += dv * dv;
        }
        long double var = q / plane;
        int64_t c = p % channels;
        for (int64_t i = 0; i < plane; i++)
            y[p * plane + i] = (float)((x[p * plane + i] - mean) / sqrtl(var + eps) *
                                           scale[c] + bias[c]);
    }
}

static void instance_norm_matches_formula(void)
{
    unsigned seed = 17;
    const int64_t shapes[][4] = {{2, 3, 5, 7}, {1, 2, 11, 0}, {1, 1, 1, 1}};
    const int ranks[] = {4, 3, 4};
    const float eps[] = {1e-5f, 1e-3f, 1e-5f};
    for (int c = 0; c < 3; c++) {
        int64_t xn = nn_count(ranks[c], shapes[c]), planes = shapes[c][0] * shapes[c][1];
        float *x = nn_random(xn, &seed), *ref = malloc(sizeof *ref * (size_t)xn);
        float *scale = nn_random(shapes[c][1], &seed), *bias = nn_random(shapes[c][1], &seed);
        naive_instance_norm(x, planes, xn / planes, shapes[c][1], scale, bias, eps[c], ref);
        float *y = run_instance_norm(x, ranks[c], shapes[c], scale, bias, eps[c], 2);
        if (CHECK(y != NULL)) {
            close_all(y, ref, xn, 1e-6, "InstanceNormalization");
            free(y);
        }
        free(x);
        free(ref);
        free(scale);
        free(bias);
    }
}

/* A 720x720 plane of 0..255 values far from zero mean: a float one-pass
 * variance would lose most digits here. */
static void instance_norm_accurate_on_large_planes(void)
{
    const int64_t xd[4] = {1, 2, 720, 720};
    int64_t xn = nn_count(4, xd);
    float *x = malloc(sizeof *x * (size_t)xn), *ref = malloc(sizeof *ref * (size_t)xn);
    for (int64_t c = 0; c < 2; c++)
        for (int64_t i = 0; i < 720; i++)
            for (int64_t j = 0; j < 720; j++)
                x[(c * 720 + i) * 720 + j] =
                    (float)(127.5 * (1.0 + sin(0.05 * (double)j + 0.09 * (double)i +
                                               (double)c)) +
                            (c ? 1000.0 : 0.0));
    float scale[2] = {1.5f, 0.75f}, bias[2] = {0.25f, -2.0f};
    naive_instance_norm(x, 2, 720 * 720, 2, scale, bias, 1e-5, ref);
    float *y = run_instance_norm(x, 4, xd, scale, bias, 1e-5f, 2);
    if (CHECK(y != NULL)) {
        double worst = 0;
        for (int64_t i = 0; i < xn; i++) {
            double e = fabs((double)y[i] - ref[i]) / (fabs(ref[i]) + 1e-2);
            worst = e > worst ? e : worst;
        }
        if (!CHECK(worst < 1e-6))
            printf("  worst relative error %g\n", worst);
        free(y);
    }
    free(x);
    free(ref);
}

static void batch_norm_matches_formula(void)
{
    unsigned seed = 23;
    const int64_t shapes[][4] = {{2, 3, 4, 5}, {4, 3, 0, 0}, {1, 2, 3, 0}};
    const int ranks[] = {4, 2, 3};
    for (int c = 0; c < 3; c++) {
        int rank = ranks[c];
        int64_t xn = nn_count(rank, shapes[c]), ch = shapes[c][1];
        int64_t plane = xn / (shapes[c][0] * ch);
        float *x = nn_random(xn, &seed), *ref = malloc(sizeof *ref * (size_t)xn);
        float *p[4];
        for (int i = 0; i < 4; i++)
            p[i] = nn_random(ch, &seed);
        for (int64_t i = 0; i < ch; i++)
            p[3][i] = p[3][i] * p[3][i] + 0.1f; /* variance > 0 */
        float eps = c == 1 ? 1e-2f : 1e-5f;
        for (int64_t i = 0; i < xn; i++) {
            int64_t k = (i / plane) % ch;
            ref[i] = (float)((x[i] - (double)p[2][k]) / sqrt((double)p[3][k] + eps) *
                                 p[0][k] + p[1][k]);
        }
        struct nn_graph t;
        nn_begin(&t);
        int in[5] = {nn_input(&t, "x", rank, shapes[c], x)};
        const char *names[4] = {"scale", "b", "mean", "var"};
        for (int i = 0; i < 4; i++)
            in[1 + i] = nn_const(&t, names[i], 1, &shapes[c][1], p[i]);
        nn_node(&t, IMP_OP_BATCH_NORM, 5, in);
        if (c == 1)
            nn_float(&t, "epsilon", eps);
        nn_float(&t, "momentum", 0.9f); /* training-only: ignored */
        struct imp_shape ys;
        float *y = run_single(&t, &ys);
        if (CHECK(y != NULL)) {
            CHECK(shape_is(&ys, rank, shapes[c]));
            close_all(y, ref, xn, 1e-6, "BatchNormalization");
            free(y);
        }
        free(x);
        free(ref);
        for (int i = 0; i < 4; i++)
            free(p[i]);
    }

    /* Hand value: scale 2, bias 1, mean 0.5, var 4, eps 0: y = x + 0.5. */
    float x[3] = {1, -2, 0.5f}, two = 2, one = 1, half = 0.5f, four = 4;
    struct nn_graph t;
    nn_begin(&t);
    int64_t xd[2] = {3, 1}, cd[1] = {1};
    int in[5] = {nn_input(&t, "x", 2, xd, x), nn_const(&t, "s", 1, cd, &two),
                 nn_const(&t, "b", 1, cd, &one), nn_const(&t, "m", 1, cd, &half),
                 nn_const(&t, "v", 1, cd, &four)};
    nn_node(&t, IMP_OP_BATCH_NORM, 5, in);
    nn_float(&t, "epsilon", 0.0f);
    struct imp_shape ys;
    float *y = run_single(&t, &ys);
    if (CHECK(y != NULL)) {
        for (int i = 0; i < 3; i++)
            CHECK_NEAR(y[i], x[i] + 0.5, 1e-7);
        free(y);
    }
}

static void norms_reject_bad_models(void)
{
    static float data[256];
    struct nn_graph t;
    int64_t xd[4] = {1, 2, 3, 3}, c2[1] = {2}, c3[1] = {3};

    nn_begin(&t);
    int in[5] = {nn_input(&t, "x", 4, xd, data), nn_const(&t, "s", 1, c3, data),
                 nn_const(&t, "b", 1, c2, data)};
    nn_node(&t, IMP_OP_INSTANCE_NORM, 3, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "scale");

    nn_begin(&t);
    in[0] = nn_input(&t, "x", 2, xd, data);
    in[1] = nn_const(&t, "s", 1, c2, data);
    in[2] = nn_const(&t, "b", 1, c2, data);
    nn_node(&t, IMP_OP_INSTANCE_NORM, 3, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "rank 2");

    nn_begin(&t);
    in[0] = nn_input(&t, "x", 4, xd, data);
    in[1] = nn_const(&t, "s", 1, c2, data);
    in[2] = nn_const(&t, "b", 1, c2, data);
    nn_node(&t, IMP_OP_INSTANCE_NORM, 3, in);
    nn_float(&t, "epsilon", -1.0f);
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "epsilon");

    nn_begin(&t);
    in[0] = nn_input(&t, "x", 4, xd, data);
    in[1] = nn_const(&t, "s", 1, c2, data);
    nn_node(&t, IMP_OP_INSTANCE_NORM, 2, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "inputs");

    /* BatchNormalization: training outputs, training_mode, wrong var. */
    for (int variant = 0; variant < 3; variant++) {
        nn_begin(&t);
        in[0] = nn_input(&t, "x", 4, xd, data);
        for (int i = 1; i < 5; i++) {
            char name[4] = {'p', (char)('0' + i), 0};
            in[i] = nn_const(&t, name, 1, variant == 2 && i == 4 ? c3 : c2, data);
        }
        nn_node_outs(&t, IMP_OP_BATCH_NORM, 5, in, variant == 0 ? 3 : 1);
        if (variant == 1)
            nn_int(&t, "training_mode", 1);
        if (variant == 0)
            NN_EXPECT_ERROR(&t, IMP_ERR_UNSUPPORTED, "training");
        else if (variant == 1)
            NN_EXPECT_ERROR(&t, IMP_ERR_UNSUPPORTED, "training_mode");
        else
            NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "input_var");
    }
}

/* ---- Gemm and MatMul --------------------------------------------------------------- */

struct gemm_case {
    int64_t m, k, n;
    bool ta, tb;
    float alpha, beta;
    int c_rank;
    int64_t c_dims[2];
};

static void run_gemm_case(const struct gemm_case *gc)
{
    unsigned seed = 31u + (unsigned)(gc->m * 7 + gc->n);
    int64_t ad[2] = {gc->ta ? gc->k : gc->m, gc->ta ? gc->m : gc->k};
    int64_t bd[2] = {gc->tb ? gc->n : gc->k, gc->tb ? gc->k : gc->n};
    float *a = nn_random(gc->m * gc->k, &seed), *b = nn_random(gc->k * gc->n, &seed);
    int64_t cn = gc->c_rank >= 0 ? nn_count(gc->c_rank, gc->c_dims) : 0;
    float *c = gc->c_rank >= 0 ? nn_random(cn, &seed) : NULL;
    float *ref = malloc(sizeof *ref * (size_t)(gc->m * gc->n));
    for (int64_t i = 0; i < gc->m; i++)
        for (int64_t j = 0; j < gc->n; j++) {
            double s = 0;
            for (int64_t k = 0; k < gc->k; k++) {
                double av = gc->ta ? a[k * gc->m + i] : a[i * gc->k + k];
                double bv = gc->tb ? b[j * gc->k + k] : b[k * gc->n + j];
                s += av * bv;
            }
            double cv = 0;
            if (c) {
                /* Unidirectional broadcast: size-1 axes repeat. */
                int64_t ci = 0;
                if (gc->c_rank == 2)
                    ci = (gc->c_dims[0] == 1 ? 0 : i) * gc->c_dims[1] +
                         (gc->c_dims[1] == 1 ? 0 : j);
                else if (gc->c_rank == 1)
                    ci = gc->c_dims[0] == 1 ? 0 : j;
                cv = c[ci];
            }
            ref[i * gc->n + j] = (float)(gc->alpha * s + gc->beta * cv);
        }
    struct nn_graph t;
    nn_begin(&t);
    int in[3] = {nn_input(&t, "a", 2, ad, a), nn_const(&t, "b", 2, bd, b)};
    if (c)
        in[2] = nn_const(&t, "c", gc->c_rank, gc->c_dims, c);
    nn_node(&t, IMP_OP_GEMM, c ? 3 : 2, in);
    if (gc->ta)
        nn_int(&t, "transA", 1);
    if (gc->tb)
        nn_int(&t, "transB", 1);
    if (gc->alpha != 1.0f)
        nn_float(&t, "alpha", gc->alpha);
    if (gc->beta != 1.0f)
        nn_float(&t, "beta", gc->beta);
    struct imp_shape ys;
    float *y = NULL;
    struct imp_error err;
    if (CHECK_STATUS(nn_run(&t, 2, &y, &ys, &err), IMP_OK)) {
        int64_t want[2] = {gc->m, gc->n};
        CHECK(shape_is(&ys, 2, want));
        close_all(y, ref, gc->m * gc->n, 1e-6, "Gemm");
    } else {
        printf("  gemm %lldx%lldx%lld: %s\n", (long long)gc->m, (long long)gc->k,
               (long long)gc->n, err.message);
    }
    free(y);
    free(a);
    free(b);
    free(c);
    free(ref);
}

static void gemm_matches_formula(void)
{
    static const struct gemm_case cases[] = {
        {3, 5, 4, false, false, 1.0f, 1.0f, -1, {0}},
        {3, 5, 4, true, false, 0.5f, 2.0f, 2, {3, 4}},
        {3, 5, 4, false, true, 1.0f, 1.0f, 1, {4}},
        {3, 5, 4, true, true, -1.5f, 0.25f, 2, {1, 4}},
        {6, 1, 5, false, false, 1.0f, 1.0f, 2, {6, 1}},
        {1, 7, 1, false, true, 1.0f, 3.0f, 0, {0}},
        {4, 9, 3, true, false, 1.0f, 1.0f, 1, {1}},
        {33, 17, 70, false, true, 1.0f, 1.0f, 2, {1, 1}},
        {40, 65, 9, true, true, 2.0f, 0.0f, 1, {9}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_gemm_case(&cases[i]);
}

/* numpy matmul from its definition: promote 1-D operands, broadcast the
 * batch axes, drop the promoted axes again. */
static void naive_matmul(const float *a, int ra, const int64_t *ad, const float *b,
                         int rb, const int64_t *bd, float *y, int *ry, int64_t *yd)
{
    int64_t A[IMP_MAX_RANK], B[IMP_MAX_RANK];
    int na = ra, nb = rb;
    memcpy(A, ad, sizeof *A * (size_t)ra);
    memcpy(B, bd, sizeof *B * (size_t)rb);
    if (ra == 1) {
        A[0] = 1;
        A[1] = ad[0];
        na = 2;
    }
    if (rb == 1) {
        B[0] = bd[0];
        B[1] = 1;
        nb = 2;
    }
    int64_t m = A[na - 2], k = A[na - 1], n = B[nb - 1];
    int batch = (na > nb ? na : nb) - 2;
    int64_t bt[IMP_MAX_RANK], nbatch = 1;
    for (int i = 0; i < batch; i++) {
        int ia = i - (batch - (na - 2)), ib = i - (batch - (nb - 2));
        int64_t da = ia >= 0 ? A[ia] : 1, db = ib >= 0 ? B[ib] : 1;
        bt[i] = da > db ? da : db;
        nbatch *= bt[i];
    }
    for (int64_t bi = 0; bi < nbatch; bi++) {
        /* Multi-index of this batch entry, and the operands' flat offsets. */
        int64_t idx[IMP_MAX_RANK], rest = bi, aoff = 0, boff = 0, as = 1, bs = 1;
        for (int i = batch - 1; i >= 0; i--) {
            idx[i] = rest % bt[i];
            rest /= bt[i];
        }
        for (int i = na - 3, j = batch - 1; i >= 0; i--, j--) {
            aoff += (A[i] == 1 ? 0 : idx[j]) * as;
            as *= A[i];
        }
        for (int i = nb - 3, j = batch - 1; i >= 0; i--, j--) {
            boff += (B[i] == 1 ? 0 : idx[j]) * bs;
            bs *= B[i];
        }
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double s = 0;
                for (int64_t kk = 0; kk < k; kk++)
                    s += (double)a[aoff * m * k + i * k + kk] * b[boff * k * n + kk * n + j];
                y[(bi * m + i) * n + j] = (float)s;
            }
    }
    *ry = 0;
    for (int i = 0; i < batch; i++)
        yd[(*ry)++] = bt[i];
    if (ra > 1)
        yd[(*ry)++] = m;
    if (rb > 1)
        yd[(*ry)++] = n;
}

static void matmul_matches_numpy_semantics(void)
{
    static const struct {
        int ra, rb;
        int64_t ad[4], bd[4];
    } cases[] = {
        {2, 2, {3, 4}, {4, 5}},
        {1, 2, {4}, {4, 5}},
        {2, 1, {3, 4}, {4}},
        {1, 1, {6}, {6}},
        {3, 2, {2, 3, 4}, {4, 5}},
        {4, 3, {2, 1, 3, 4}, {5, 4, 2}},
        {3, 3, {1, 3, 4}, {2, 4, 5}},
        {1, 3, {4}, {2, 4, 5}},
        {3, 1, {2, 3, 4}, {4}},
        {2, 4, {7, 9}, {2, 3, 9, 11}},
    };
    unsigned seed = 41;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t an = nn_count(cases[c].ra, cases[c].ad);
        int64_t bn = nn_count(cases[c].rb, cases[c].bd);
        float *a = nn_random(an, &seed), *b = nn_random(bn, &seed);
        float *ref = malloc(sizeof *ref * 1024);
        int ry;
        int64_t yd[IMP_MAX_RANK];
        naive_matmul(a, cases[c].ra, cases[c].ad, b, cases[c].rb, cases[c].bd, ref, &ry, yd);
        for (int threads = 1; threads <= 2; threads++) {
            struct nn_graph t;
            nn_begin(&t);
            int in[2] = {nn_input(&t, "a", cases[c].ra, cases[c].ad, a),
                         nn_input(&t, "b", cases[c].rb, cases[c].bd, b)};
            nn_node(&t, IMP_OP_MATMUL, 2, in);
            struct imp_shape ys;
            float *y = NULL;
            struct imp_error err;
            if (!CHECK_STATUS(nn_run(&t, threads, &y, &ys, &err), IMP_OK)) {
                printf("  matmul case %zu: %s\n", c, err.message);
                continue;
            }
            if (CHECK(shape_is(&ys, ry, yd)))
                close_all(y, ref, nn_count(ry, yd), 1e-6, "MatMul");
            else
                printf("  matmul case %zu: wrong shape (rank %d)\n", c, ys.rank);
            free(y);
        }
        free(a);
        free(b);
        free(ref);
    }
}

static void matmul_hand_values(void)
{
    /* [1 2; 3 4] x [5; 6] = [17; 39]; [1 2 3] . [4 5 6] = 32. */
    float a[4] = {1, 2, 3, 4}, b[2] = {5, 6}, u[3] = {1, 2, 3}, v[3] = {4, 5, 6};
    struct nn_graph t;
    nn_begin(&t);
    int in[2] = {nn_input(&t, "a", 2, (int64_t[]){2, 2}, a),
                 nn_const(&t, "b", 1, (int64_t[]){2}, b)};
    nn_node(&t, IMP_OP_MATMUL, 2, in);
    struct imp_shape ys;
    float *y = run_single(&t, &ys);
    if (CHECK(y != NULL)) {
        CHECK(ys.rank == 1 && ys.d[0] == 2 && y[0] == 17 && y[1] == 39);
        free(y);
    }
    nn_begin(&t);
    in[0] = nn_input(&t, "u", 1, (int64_t[]){3}, u);
    in[1] = nn_const(&t, "v", 1, (int64_t[]){3}, v);
    nn_node(&t, IMP_OP_MATMUL, 2, in);
    y = run_single(&t, &ys);
    if (CHECK(y != NULL)) {
        CHECK(ys.rank == 0 && y[0] == 32);
        free(y);
    }
    /* Gemm: [1 2; 3 4]^T x I * 2 + [10 20] = [12 26; 14 28]. */
    float eye[4] = {1, 0, 0, 1}, c[2] = {10, 20};
    nn_begin(&t);
    int gin[3] = {nn_input(&t, "a", 2, (int64_t[]){2, 2}, a),
                  nn_const(&t, "b", 2, (int64_t[]){2, 2}, eye),
                  nn_const(&t, "c", 1, (int64_t[]){2}, c)};
    nn_node(&t, IMP_OP_GEMM, 3, gin);
    nn_int(&t, "transA", 1);
    nn_float(&t, "alpha", 2.0f);
    y = run_single(&t, &ys);
    if (CHECK(y != NULL)) {
        CHECK(y[0] == 12 && y[1] == 26 && y[2] == 14 && y[3] == 28);
        free(y);
    }
}

static void matrix_ops_reject_bad_models(void)
{
    static float data[256];
    struct nn_graph t;
    nn_begin(&t);
    int in[3] = {nn_input(&t, "a", 2, (int64_t[]){3, 4}, data),
                 nn_const(&t, "b", 2, (int64_t[]){5, 6}, data)};
    nn_node(&t, IMP_OP_GEMM, 2, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "inner dimensions");

    nn_begin(&t);
    in[0] = nn_input(&t, "a", 2, (int64_t[]){3, 4}, data);
    in[1] = nn_const(&t, "b", 2, (int64_t[]){4, 6}, data);
    in[2] = nn_const(&t, "c", 2, (int64_t[]){2, 6}, data);
    nn_node(&t, IMP_OP_GEMM, 3, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "broadcast");

    nn_begin(&t);
    in[0] = nn_input(&t, "a", 3, (int64_t[]){1, 3, 4}, data);
    in[1] = nn_const(&t, "b", 2, (int64_t[]){4, 6}, data);
    nn_node(&t, IMP_OP_GEMM, 2, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "matrices");

    nn_begin(&t);
    in[0] = nn_input(&t, "a", 2, (int64_t[]){3, 4}, data);
    in[1] = nn_const(&t, "b", 2, (int64_t[]){4, 6}, data);
    nn_node(&t, IMP_OP_GEMM, 2, in);
    nn_int(&t, "transB", 2);
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "transB");

    nn_begin(&t);
    in[0] = nn_input(&t, "a", 3, (int64_t[]){2, 3, 4}, data);
    in[1] = nn_const(&t, "b", 3, (int64_t[]){3, 4, 5}, data);
    nn_node(&t, IMP_OP_MATMUL, 2, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "batch");

    nn_begin(&t);
    in[0] = nn_input(&t, "a", 2, (int64_t[]){3, 4}, data);
    in[1] = nn_const(&t, "b", 1, (int64_t[]){5}, data);
    nn_node(&t, IMP_OP_MATMUL, 2, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "inner dimensions");

    static int64_t idata[16];
    nn_begin(&t);
    in[0] = nn_input_typed(&t, "a", IMP_DTYPE_I64, 2, (int64_t[]){2, 2}, idata);
    in[1] = nn_input_typed(&t, "b", IMP_DTYPE_I64, 2, (int64_t[]){2, 2}, idata);
    nn_node(&t, IMP_OP_MATMUL, 2, in);
    NN_EXPECT_ERROR(&t, IMP_ERR_UNSUPPORTED, "int64");
}

int main(void)
{
    RUN(pools_match_direct_formula);
    RUN(pools_hand_values);
    RUN(global_average_pool_works);
    RUN(pools_reject_bad_models);
    RUN(instance_norm_matches_formula);
    RUN(instance_norm_accurate_on_large_planes);
    RUN(batch_norm_matches_formula);
    RUN(norms_reject_bad_models);
    RUN(gemm_matches_formula);
    RUN(matmul_matches_numpy_semantics);
    RUN(matmul_hand_values);
    RUN(matrix_ops_reject_bad_models);
    return imp_test_finish();
}
