/*
 * Normalisation and matrix-product reference engines against direct
 * formulas written here from the ONNX definitions, hand-computed values,
 * and the errors malformed nodes must produce.
 */
#include "nn_graph.h"

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
        CHECK(nn_shape_is(&ys, rank, xd));
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
        int64_t ch = shapes[c][1];
        float *scale = nn_random(ch, &seed), *bias = nn_random(ch, &seed);
        naive_instance_norm(x, planes, xn / planes, ch, scale, bias, eps[c], ref);
        float *y = run_instance_norm(x, ranks[c], shapes[c], scale, bias, eps[c], 2);
        if (CHECK(y != NULL)) {
            NN_CLOSE_ALL(y, ref, xn, 1e-6, "InstanceNormalization");
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
        float *y = nn_run_single(&t, &ys);
        if (CHECK(y != NULL)) {
            CHECK(nn_shape_is(&ys, rank, shapes[c]));
            NN_CLOSE_ALL(y, ref, xn, 1e-6, "BatchNormalization");
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
    float *y = nn_run_single(&t, &ys);
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
        nn_node_outs(&t, IMP_OP_BATCH_NORM, 5, in, variant == 0 ? 3 : variant == 1 ? 4 : 1);
        if (variant == 1)
            nn_int(&t, "training_mode", 1);
        if (variant == 0)
            NN_EXPECT_ERROR(&t, IMP_ERR_UNSUPPORTED, "training");
        else if (variant == 1)
            NN_EXPECT_ERROR(&t, IMP_ERR_UNSUPPORTED, "4 outputs");
        else
            NN_EXPECT_ERROR(&t, IMP_ERR_SHAPE, "input_var");
    }
}

/* training_mode=1: the batch's own statistics, and the running ones moved
 * towards them by (1 - momentum); worked out by hand for x [2, 2, 1, 2]. */
static void batch_norm_training_mode(void)
{
    const float x[8] = {1, 3, 0, 0, 5, 7, 2, 2}; /* ch0: 1 3 5 7, ch1: 0 0 2 2 */
    const float scale[2] = {1, 2}, bias[2] = {0, 1}, mean[2] = {0, 10}, var[2] = {1, 1};
    const double s5 = sqrt(5.0); /* ch0: mean 4, var 5; ch1: mean 1, var 1 */
    const double want_y[8] = {-3 / s5, -1 / s5, -1, -1, 1 / s5, 3 / s5, 3, 3};
    const double want_mean[2] = {2, 5.5}, want_var[2] = {3, 1};
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {2, 2, 1, 2}, cd[1] = {2};
    struct imp_shape xs = imp_shape_make(4, xd), cs = imp_shape_make(1, cd);
    int in[5] = {imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs),
                 imp_graph_add_const(&g, "s", IMP_DTYPE_F32, &cs, scale),
                 imp_graph_add_const(&g, "b", IMP_DTYPE_F32, &cs, bias),
                 imp_graph_add_const(&g, "m", IMP_DTYPE_F32, &cs, mean),
                 imp_graph_add_const(&g, "v", IMP_DTYPE_F32, &cs, var)};
    imp_graph_add_input(&g, in[0]);
    int out[3];
    for (int k = 0; k < 3; k++) {
        char name[4] = {'y', (char)('0' + k), 0};
        out[k] = imp_graph_add_value(&g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED,
                                     NULL);
        imp_graph_add_output(&g, out[k]);
    }
    int node = imp_graph_add_node(&g, IMP_OP_BATCH_NORM, "bn", 5, in, 3, out);
    imp_node_set_int(&g, node, "training_mode", 1);
    imp_node_set_float(&g, node, "momentum", 0.5f);
    imp_node_set_float(&g, node, "epsilon", 0.0f);
    struct imp_model *m = NULL;
    struct imp_predictor *p = NULL;
    struct imp_error err;
    if (!CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK) ||
        !CHECK(imp_predictor_init(m, NULL, &p, &err) == IMP_OK)) {
        printf("  %s\n", err.message);
        imp_model_free(m);
        return;
    }
    const void *y[3] = {NULL};
    struct imp_tensor_info info;
    CHECK(imp_predictor_set_input(p, 0, x, sizeof x) == IMP_OK);
    if (CHECK(imp_predictor_run(p) == IMP_OK)) {
        for (int k = 0; k < 3; k++)
            CHECK(imp_predictor_output(p, k, &info, &y[k]) == IMP_OK);
        for (int i = 0; y[0] && i < 8; i++)
            CHECK_NEAR(((const float *)y[0])[i], want_y[i], 1e-6);
        for (int c = 0; y[1] && y[2] && c < 2; c++) {
            CHECK_NEAR(((const float *)y[1])[c], want_mean[c], 1e-6);
            CHECK_NEAR(((const float *)y[2])[c], want_var[c], 1e-6);
        }
    }
    imp_predictor_free(p);
    imp_model_free(m);
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
        CHECK(nn_shape_is(&ys, 2, want));
        /* The default engine ("packed", constant B) sums in float. */
        NN_CLOSE_ALL(y, ref, gc->m * gc->n, 1e-5, "Gemm");
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
                    s += (double)a[(aoff * m + i) * k + kk] *
                         b[(boff * k + kk) * n + j];
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
        naive_matmul(a, cases[c].ra, cases[c].ad, b, cases[c].rb, cases[c].bd, ref,
                     &ry, yd);
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
            if (CHECK(nn_shape_is(&ys, ry, yd)))
                NN_CLOSE_ALL(y, ref, nn_count(ry, yd), 1e-6, "MatMul");
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
    float *y = nn_run_single(&t, &ys);
    if (CHECK(y != NULL)) {
        CHECK(ys.rank == 1 && ys.d[0] == 2 && y[0] == 17 && y[1] == 39);
        free(y);
    }
    nn_begin(&t);
    in[0] = nn_input(&t, "u", 1, (int64_t[]){3}, u);
    in[1] = nn_const(&t, "v", 1, (int64_t[]){3}, v);
    nn_node(&t, IMP_OP_MATMUL, 2, in);
    y = nn_run_single(&t, &ys);
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
    y = nn_run_single(&t, &ys);
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
    RUN(instance_norm_matches_formula);
    RUN(instance_norm_accurate_on_large_planes);
    RUN(batch_norm_matches_formula);
    RUN(batch_norm_training_mode);
    RUN(norms_reject_bad_models);
    RUN(gemm_matches_formula);
    RUN(matmul_matches_numpy_semantics);
    RUN(matmul_hand_values);
    RUN(matrix_ops_reject_bad_models);
    return imp_test_finish();
}
