/*
 * Pooling reference engines (MaxPool, AveragePool, GlobalAveragePool)
 * against direct formulas written here from the ONNX definitions, with
 * hand-computed values and the errors malformed nodes must produce.
 */
#include "nn_graph.h"

#define AX 3

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
        if (CHECK(nn_shape_is(&ys, 2 + pc->nsp, yd)))
            NN_CLOSE_ALL(y, ref, yn, 1e-6, pc->name);
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
    float *y = nn_run_single(&t, &ys);
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
        y = nn_run_single(&t, &ys);
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
    y = nn_run_single(&t, &ys);
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
        float *y = nn_run_single(&t, &ys);
        if (CHECK(y != NULL)) {
            int64_t want[5] = {shapes[c][0], shapes[c][1], 1, 1, 1};
            CHECK(nn_shape_is(&ys, rank, want));
            NN_CLOSE_ALL(y, ref, planes, 1e-6, "GlobalAveragePool");
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
    nn_node_outs(&t, IMP_OP_AVERAGE_POOL, 1, &x, 2);
    nn_ints(&t, "kernel_shape", 2, (int64_t[]){2, 2});
    NN_EXPECT_ERROR(&t, IMP_ERR_FORMAT, "1 expected");

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

/* MaxPool's Indices (row-major, and column-major with storage_order=1)
 * and integer inputs, on a 3x4 picture whose windows are worked out by
 * hand: the first largest value of each 2x2 window. */
static void max_pool_indices_and_integers(void)
{
    static const float x[12] = {1, 5, 2, 2, 7, 0, 9, 3, 4, 8, 6, 6};
    static const uint8_t xu[12] = {1, 5, 2, 2, 7, 0, 9, 3, 4, 8, 6, 6};
    const float want[6] = {7, 9, 9, 8, 9, 9};
    const int64_t rows[6] = {4, 6, 6, 9, 6, 6}, cols[6] = {1, 7, 7, 5, 7, 7};
    for (int variant = 0; variant < 3; variant++) {
        bool u8 = variant == 2, column = variant == 1;
        struct imp_graph g;
        imp_graph_init(&g);
        int64_t xd[4] = {1, 1, 3, 4};
        struct imp_shape xs = imp_shape_make(4, xd);
        int in = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT,
                                     u8 ? IMP_DTYPE_U8 : IMP_DTYPE_F32, &xs);
        imp_graph_add_input(&g, in);
        int out[2] = {imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED,
                                          NULL),
                      imp_graph_add_value(&g, "i", IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED,
                                          NULL)};
        int node = imp_graph_add_node(&g, IMP_OP_MAX_POOL, "pool", 1, &in, 2, out);
        imp_node_set_ints(&g, node, "kernel_shape", (int64_t[]){2, 2}, 2);
        imp_node_set_int(&g, node, "storage_order", column);
        imp_graph_add_output(&g, out[0]);
        imp_graph_add_output(&g, out[1]);
        struct imp_model *m = NULL;
        struct imp_predictor *p = NULL;
        struct imp_error err;
        if (!CHECK(imp_model_from_graph(&g, &m, &err) == IMP_OK) ||
            !CHECK(imp_predictor_init(m, NULL, &p, &err) == IMP_OK)) {
            printf("  %s\n", err.message);
            imp_model_free(m);
            continue;
        }
        const void *y = NULL, *idx = NULL;
        struct imp_tensor_info yi, ii;
        CHECK(imp_predictor_set_input(p, 0, u8 ? (const void *)xu : (const void *)x,
                                      u8 ? sizeof xu : sizeof x) == IMP_OK);
        if (CHECK(imp_predictor_run(p) == IMP_OK) &&
            CHECK(imp_predictor_output(p, 0, &yi, &y) == IMP_OK) &&
            CHECK(imp_predictor_output(p, 1, &ii, &idx) == IMP_OK) &&
            CHECK(yi.dtype == (u8 ? IMP_DTYPE_U8 : IMP_DTYPE_F32)) &&
            CHECK(ii.dtype == IMP_DTYPE_I64 && ii.dims[2] == 2 && ii.dims[3] == 3)) {
            for (int k = 0; k < 6; k++) {
                double v = u8 ? ((const uint8_t *)y)[k] : ((const float *)y)[k];
                CHECK(v == want[k]);
                CHECK(((const int64_t *)idx)[k] == (column ? cols[k] : rows[k]));
            }
        }
        imp_predictor_free(p);
        imp_model_free(m);
    }
}

int main(void)
{
    RUN(pools_match_direct_formula);
    RUN(pools_hand_values);
    RUN(global_average_pool_works);
    RUN(pools_reject_bad_models);
    RUN(max_pool_indices_and_integers);
    return imp_test_finish();
}
