/* Element-wise binary operators: Add, Sub, Mul, Div, Pow, PRelu, checked
 * against a naive broadcasting formula written here. */
#include <stdint.h>

#include "ops_harness.h"

/* Linear index into an operand of shape (ra, da) for output element i of
 * shape (ro, dout), by numpy's rule: align right, size-1 dims repeat. */
static size_t bcast_index(size_t i, int ro, const int64_t *dout, int ra,
                          const int64_t *da)
{
    size_t idx = 0, stride = 1;
    for (int d = ro - 1; d >= 0; d--) {
        size_t o = i % (size_t)dout[d];
        i /= (size_t)dout[d];
        int k = d - (ro - ra);
        if (k < 0)
            continue;
        if (da[k] != 1)
            idx += o * stride;
        stride *= (size_t)da[k];
    }
    return idx;
}

static float apply(enum imp_op op, float x, float z)
{
    switch (op) {
    case IMP_OP_ADD: return x + z;
    case IMP_OP_SUB: return x - z;
    case IMP_OP_MUL: return x * z;
    case IMP_OP_DIV: return x / z;
    case IMP_OP_POW: return powf(x, z);
    case IMP_OP_PRELU: return x < 0 ? z * x : x;
    default: return 0;
    }
}

struct bcase {
    int ra, rb, ro;
    int64_t da[4], db[4], dout[4];
};

static const struct bcase cases[] = {
    {3, 3, 3, {2, 3, 4}, {2, 3, 4}, {2, 3, 4}},          /* same shape        */
    {3, 0, 3, {2, 3, 4}, {0}, {2, 3, 4}},                /* scalar right      */
    {0, 3, 3, {0}, {2, 3, 4}, {2, 3, 4}},                /* scalar left       */
    {4, 4, 4, {2, 3, 4, 5}, {1, 3, 1, 1}, {2, 3, 4, 5}}, /* per channel   */
    {4, 3, 4, {2, 3, 4, 5}, {3, 1, 1}, {2, 3, 4, 5}},    /* per channel, rank */
    {3, 3, 3, {2, 1, 3}, {1, 4, 1}, {2, 4, 3}},          /* both broadcast    */
    {2, 1, 2, {4, 1}, {3}, {4, 3}},                      /* outer product     */
    {1, 2, 2, {1}, {2, 3}, {2, 3}},                      /* [1] left          */
    {4, 4, 4, {2, 3, 1, 5}, {2, 1, 4, 1}, {2, 3, 4, 5}},
    {4, 2, 4, {2, 3, 4, 5}, {4, 5}, {2, 3, 4, 5}}, /* trailing plane    */
    {2, 2, 2, {3, 1}, {3, 1}, {3, 1}},             /* size-1 inner dim  */
};

static void check_case(enum imp_op op, const struct bcase *c)
{
    size_t na = t_count(c->ra, c->da), nb = t_count(c->rb, c->db),
           no = t_count(c->ro, c->dout);
    float a[128], b[128], want[128];
    t_fill(a, na, 1 + (unsigned)op);
    t_fill(b, nb, 7 + (unsigned)op);
    if (op == IMP_OP_DIV || op == IMP_OP_POW) { /* keep away from 0 */
        for (size_t i = 0; i < nb; i++)
            b[i] = b[i] * 0.5f + (b[i] < 0 ? -0.75f : 0.75f);
        if (op == IMP_OP_POW)
            for (size_t i = 0; i < na; i++)
                a[i] = fabsf(a[i]) + 0.25f;
    }
    for (size_t i = 0; i < no; i++)
        want[i] = apply(op, a[bcast_index(i, c->ro, c->dout, c->ra, c->da)],
                        b[bcast_index(i, c->ro, c->dout, c->rb, c->db)]);
    struct tspec s = {.op = op, .n_in = 2};
    s.in[0] = (struct tval){T_DATA, IMP_DTYPE_F32, c->ra, {0}, a};
    s.in[1] = (struct tval){T_DATA, IMP_DTYPE_F32, c->rb, {0}, b};
    memcpy(s.in[0].dims, c->da, sizeof c->da);
    memcpy(s.in[1].dims, c->db, sizeof c->db);
    EXPECT_F32(&s, c->ro, c->dout, want, 1e-6);
    /* The second operand as a constant (the usual bias/scale case). */
    s.in[1].kind = T_CONST;
    EXPECT_F32(&s, c->ro, c->dout, want, 1e-6);
}

static void float_broadcasting_matches_naive_formula(void)
{
    const enum imp_op ops[] = {IMP_OP_ADD, IMP_OP_SUB, IMP_OP_MUL, IMP_OP_DIV,
                               IMP_OP_POW};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            check_case(ops[k], &cases[i]);
}

static void int64_shape_arithmetic(void)
{
    int64_t a[4] = {7, -7, 224, INT64_MIN};
    int64_t b[4] = {2, 2, -3, -1};
    struct tspec s = {
        .op = IMP_OP_DIV,
        .n_in = 2,
        .in = {TV(T_DATA, IMP_DTYPE_I64, a, 4), TV(T_DATA, IMP_DTYPE_I64, b, 4)}};
    /* Truncating division; INT64_MIN / -1 wraps instead of trapping. */
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(4), ((int64_t[]){3, -3, -74, INT64_MIN}));
    int64_t two = 2;
    s.in[1] = TV0(T_CONST, IMP_DTYPE_I64, &two);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(4),
               ((int64_t[]){3, -3, 112, INT64_MIN / 2}));
    s.op = IMP_OP_MUL;
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(4), ((int64_t[]){14, -14, 448, 0}));
    s.op = IMP_OP_SUB;
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(4),
               ((int64_t[]){5, -9, 222, INT64_MAX - 1}));
    s.op = IMP_OP_ADD;
    int64_t row[3] = {1, 2, 3}, col[2] = {10, 20};
    s.in[0] = TV(T_DATA, IMP_DTYPE_I64, row, 1, 3);
    s.in[1] = TV(T_CONST, IMP_DTYPE_I64, col, 2, 1);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 2, DIMS(2, 3),
               ((int64_t[]){11, 12, 13, 21, 22, 23}));
    /* Division by zero is defined as 0 rather than a crash. */
    int64_t zero = 0;
    s.op = IMP_OP_DIV;
    s.in[1] = TV0(T_CONST, IMP_DTYPE_I64, &zero);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 2, DIMS(1, 3), ((int64_t[]){0, 0, 0}));
}

static void int32_arithmetic(void)
{
    int32_t a[3] = {-9, 9, INT32_MAX}, b[3] = {4, -4, 1};
    struct tspec s = {
        .op = IMP_OP_DIV,
        .n_in = 2,
        .in = {TV(T_DATA, IMP_DTYPE_I32, a, 3), TV(T_DATA, IMP_DTYPE_I32, b, 3)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_I32, 1, DIMS(3), ((int32_t[]){-2, -2, INT32_MAX}));
    s.op = IMP_OP_ADD;
    EXPECT_OUT(&s, 0, IMP_DTYPE_I32, 1, DIMS(3), ((int32_t[]){-5, 5, INT32_MIN}));
    s.op = IMP_OP_MUL;
    EXPECT_OUT(&s, 0, IMP_DTYPE_I32, 1, DIMS(3), ((int32_t[]){-36, -36, INT32_MAX}));
    s.op = IMP_OP_SUB;
    EXPECT_OUT(&s, 0, IMP_DTYPE_I32, 1, DIMS(3), ((int32_t[]){-13, 13, INT32_MAX - 1}));
}

static void pow_with_integer_exponent(void)
{
    float x[4] = {-2.0f, -0.5f, 3.0f, 1.5f};
    int64_t e64 = 3;
    int32_t e32[4] = {0, 2, 1, 2};
    struct tspec s = {.op = IMP_OP_POW,
                      .n_in = 2,
                      .in = {FIN(x, 4), TV0(T_CONST, IMP_DTYPE_I64, &e64)}};
    EXPECT_F32(&s, 1, DIMS(4), ((float[]){-8.0f, -0.125f, 27.0f, 3.375f}), 1e-6);
    s.in[1] = TV(T_DATA, IMP_DTYPE_I32, e32, 4);
    EXPECT_F32(&s, 1, DIMS(4), ((float[]){1.0f, 0.25f, 3.0f, 2.25f}), 1e-6);
    float half = 0.5f;
    float pos[3] = {4.0f, 9.0f, 0.25f};
    s.in[0] = FIN(pos, 3);
    s.in[1] = TV0(T_CONST, IMP_DTYPE_F32, &half);
    EXPECT_F32(&s, 1, DIMS(3), ((float[]){2.0f, 3.0f, 0.5f}), 1e-6);
}

/* uint8 and int8 wrap like the C types they are; division truncates, by
 * zero gives 0 and -128 / -1 wraps to -128. */
static void small_integer_arithmetic(void)
{
    uint8_t ua[4] = {250, 3, 7, 0}, ub[4] = {10, 5, 2, 0};
    struct tspec s = {
        .op = IMP_OP_ADD,
        .n_in = 2,
        .in = {TV(T_DATA, IMP_DTYPE_U8, ua, 4), TV(T_DATA, IMP_DTYPE_U8, ub, 4)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_U8, 1, DIMS(4), ((uint8_t[]){4, 8, 9, 0}));
    s.op = IMP_OP_SUB;
    EXPECT_OUT(&s, 0, IMP_DTYPE_U8, 1, DIMS(4), ((uint8_t[]){240, 254, 5, 0}));
    s.op = IMP_OP_MUL;
    EXPECT_OUT(&s, 0, IMP_DTYPE_U8, 1, DIMS(4), ((uint8_t[]){196, 15, 14, 0}));
    s.op = IMP_OP_DIV;
    EXPECT_OUT(&s, 0, IMP_DTYPE_U8, 1, DIMS(4), ((uint8_t[]){25, 0, 3, 0}));
    int8_t ia[3] = {-128, -7, 100}, ib[3] = {-1, 2, 0};
    s.in[0] = TV(T_DATA, IMP_DTYPE_I8, ia, 3);
    s.in[1] = TV(T_DATA, IMP_DTYPE_I8, ib, 3);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I8, 1, DIMS(3), ((int8_t[]){-128, -3, 0}));
    s.op = IMP_OP_ADD;
    EXPECT_OUT(&s, 0, IMP_DTYPE_I8, 1, DIMS(3), ((int8_t[]){127, -5, 100}));
}

/* Integer bases: exact powers that wrap; a float exponent truncates the
 * float power; a negative integer exponent truncates 1 / x^n. */
static void pow_with_integer_base(void)
{
    int64_t b64[5] = {3, -2, 2, 1, 5}, e64[5] = {4, 3, 64, -3, -1};
    struct tspec s = {
        .op = IMP_OP_POW,
        .n_in = 2,
        .in = {TV(T_DATA, IMP_DTYPE_I64, b64, 5), TV(T_DATA, IMP_DTYPE_I64, e64, 5)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(5), ((int64_t[]){81, -8, 0, 1, 0}));
    float ef[5] = {0.5f, 2.0f, 1.5f, 3.0f, 2.1f};
    s.in[1] = TV(T_DATA, IMP_DTYPE_F32, ef, 5);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(5), ((int64_t[]){1, 4, 2, 1, 29}));
    int32_t b32[3] = {2, -3, 65536}, e32[3] = {10, 3, 2};
    s.in[0] = TV(T_DATA, IMP_DTYPE_I32, b32, 3);
    s.in[1] = TV(T_DATA, IMP_DTYPE_I32, e32, 3);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I32, 1, DIMS(3), ((int32_t[]){1024, -27, 0}));
}

/* Clip on integers: bounds of the input's type, either one optional. */
static void clip_integers(void)
{
    int8_t x[5] = {-128, -5, 0, 6, 127}, lo = -4, hi = 5;
    struct tspec s = {.op = IMP_OP_CLIP,
                      .n_in = 3,
                      .in = {TV(T_DATA, IMP_DTYPE_I8, x, 5), TV0(T_CONST, IMP_DTYPE_I8, &lo),
                             TV0(T_CONST, IMP_DTYPE_I8, &hi)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_I8, 1, DIMS(5), ((int8_t[]){-4, -4, 0, 5, 5}));
    s.in[1] = TOMIT;
    EXPECT_OUT(&s, 0, IMP_DTYPE_I8, 1, DIMS(5), ((int8_t[]){-128, -5, 0, 5, 5}));
    uint8_t u[3] = {0, 100, 255}, ulo = 10;
    s.in[0] = TV(T_DATA, IMP_DTYPE_U8, u, 3);
    s.in[1] = TV0(T_CONST, IMP_DTYPE_U8, &ulo);
    s.n_in = 2;
    EXPECT_OUT(&s, 0, IMP_DTYPE_U8, 1, DIMS(3), ((uint8_t[]){10, 100, 255}));
    s.in[1] = TV0(T_CONST, IMP_DTYPE_I8, &lo);
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "bound 1 is int8");
}

static void prelu_slopes(void)
{
    float x[12], want[12];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i - 6.0f; /* [1,3,2,2]: channel c holds 4c-6 .. 4c-3 */
    float slope3[3] = {0.1f, 0.2f, 0.3f};
    for (int i = 0; i < 12; i++)
        want[i] = x[i] < 0 ? slope3[i / 4] * x[i] : x[i];
    struct tspec s = {
        .op = IMP_OP_PRELU, .n_in = 2, .in = {FIN(x, 1, 3, 2, 2), F32C(slope3, 3, 1, 1)}};
    EXPECT_F32(&s, 4, DIMS(1, 3, 2, 2), want, 1e-6);
    /* Old exporters: a 1-D [C] slope means per channel. */
    s.in[1] = F32C(slope3, 3);
    EXPECT_F32(&s, 4, DIMS(1, 3, 2, 2), want, 1e-6);
    float one = 0.25f;
    for (int i = 0; i < 12; i++)
        want[i] = x[i] < 0 ? 0.25f * x[i] : x[i];
    s.in[1] = F32C(&one, 1);
    EXPECT_F32(&s, 4, DIMS(1, 3, 2, 2), want, 1e-6);
    float bad[5] = {0};
    s.in[1] = F32C(bad, 5);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "does not broadcast");
}

static void binary_errors(void)
{
    float a[6] = {0}, b[4] = {0};
    int64_t i[4] = {0};
    uint8_t u[6] = {0};
    struct tspec s = {.op = IMP_OP_ADD, .n_in = 2, .in = {FIN(a, 2, 3), FIN(b, 4)}};
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "do not broadcast");
    s.in[1] = TV(T_DATA, IMP_DTYPE_I64, i, 4);
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "must match");
    s.in[0] = TV(T_DATA, IMP_DTYPE_BOOL, u, 2, 3);
    s.in[1] = TV(T_DATA, IMP_DTYPE_BOOL, u, 2, 3);
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "not supported");
    s.op = IMP_OP_POW;
    s.in[0] = TV(T_DATA, IMP_DTYPE_U8, u, 2, 3);
    s.in[1] = TV(T_DATA, IMP_DTYPE_I64, i, 4);
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "base");
    s.op = IMP_OP_MUL;
    s.n_in = 1;
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "inputs");
}

/* x -> Relu -> h; y = h + bias[1,C,1,1]: the Add reuses h's buffer. */
static void add_runs_in_place_after_relu(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {2, 3, 4, 5}, bd[4] = {1, 3, 1, 1};
    struct imp_shape xs = imp_shape_make(4, xd), bs = imp_shape_make(4, bd);
    float bias[3] = {1.0f, -2.0f, 0.5f};
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    int b = imp_graph_add_const(&g, "b", IMP_DTYPE_F32, &bs, bias);
    int h = imp_graph_add_value(&g, "h", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int y = imp_graph_add_value(&g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    imp_graph_add_node(&g, IMP_OP_RELU, "relu", 1, &x, 1, &h);
    imp_graph_add_node(&g, IMP_OP_ADD, "add", 2, (int[]){h, b}, 1, &y);
    imp_graph_add_input(&g, x);
    imp_graph_add_output(&g, y);
    struct imp_model *m;
    struct imp_predictor *p;
    struct imp_error err;
    if (!CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK))
        return;
    CHECK_STATUS(imp_predictor_init(m, NULL, &p, &err), IMP_OK);
    float xv[120];
    t_fill(xv, 120, 99);
    CHECK_STATUS(imp_predictor_set_input(p, 0, xv, sizeof xv), IMP_OK);
    CHECK_STATUS(imp_predictor_run(p), IMP_OK);
    const float *yv;
    CHECK_STATUS(imp_predictor_output(p, 0, NULL, (const void **)&yv), IMP_OK);
    for (int i = 0; i < 120; i++)
        CHECK_NEAR(yv[i], (xv[i] > 0 ? xv[i] : 0) + bias[(i / 20) % 3], 1e-6);
    struct imp_plan_stats st;
    CHECK_STATUS(imp_predictor_plan_stats(p, &st), IMP_OK);
    CHECK(st.naive_bytes == 2 * sizeof xv && st.arena_bytes < st.naive_bytes);
    imp_predictor_free(p);
    imp_model_free(m);
}

int main(void)
{
    RUN(float_broadcasting_matches_naive_formula);
    RUN(int64_shape_arithmetic);
    RUN(int32_arithmetic);
    RUN(pow_with_integer_exponent);
    RUN(small_integer_arithmetic);
    RUN(pow_with_integer_base);
    RUN(clip_integers);
    RUN(prelu_slopes);
    RUN(binary_errors);
    RUN(add_runs_in_place_after_relu);
    return imp_test_finish();
}
