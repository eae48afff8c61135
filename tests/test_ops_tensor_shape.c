/* Layout operators: Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Shape,
 * Gather, Concat, Slice, Split, Crop, Constant, and plan-time folding of a
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain. */
#include <stdint.h>

#include "ops_harness.h"

static float iota[256];
static int64_t iota64[64];

static void reshape_and_flatten(void)
{
    struct tspec s = {.op = IMP_OP_RESHAPE,
                      .n_in = 2,
                      .in = {FIN(iota, 2, 3, 4), I64C(((int64_t[]){4, -1}), 2)}};
    EXPECT_F32(&s, 2, DIMS(4, 6), iota, 0);
    s.in[1] = I64C(((int64_t[]){0, -1}), 2); /* 0 copies the input's dim */
    EXPECT_F32(&s, 2, DIMS(2, 12), iota, 0);
    s.in[1] = TV(T_CONST, IMP_DTYPE_I32, ((int32_t[]){0, 4, -1}), 3);
    EXPECT_F32(&s, 3, DIMS(2, 4, 3), iota, 0);
    s.in[1] = I64C(((int64_t[]){24}), 1);
    EXPECT_F32(&s, 1, DIMS(24), iota, 0);
    /* Any dtype: int64 data. */
    s.in[0] = TV(T_DATA, IMP_DTYPE_I64, iota64, 2, 3);
    s.in[1] = I64C(((int64_t[]){3, 2}), 2);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 2, DIMS(3, 2), iota64);
    s.in[0] = FIN(iota, 2, 3, 4);
    s.in[1] = I64C(((int64_t[]){-1, -1}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "more than one");
    s.in[1] = I64C(((int64_t[]){5, -1}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "cannot reshape");
    s.in[1] = I64C(((int64_t[]){0, 24}), 2);
    s.n_attrs = 1;
    s.attrs[0] = A_INT("allowzero", 1);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "cannot reshape");
    /* Reshape-1: the shape as an attribute. */
    s = (struct tspec){.op = IMP_OP_RESHAPE,
                       .n_in = 1,
                       .in = {FIN(iota, 2, 3, 4)},
                       .n_attrs = 1,
                       .attrs = {A_INTS("shape", 6, 4)}};
    EXPECT_F32(&s, 2, DIMS(6, 4), iota, 0);
    /* A shape fed by the caller is read when planning. */
    int64_t target[2] = {4, 6};
    s = (struct tspec){.op = IMP_OP_RESHAPE,
                       .n_in = 2,
                       .no_fold = true,
                       .in = {FIN(iota, 2, 3, 4), TV(T_DATA, IMP_DTYPE_I64, target, 2)}};
    EXPECT_F32(&s, 2, DIMS(4, 6), iota, 0);

    s = (struct tspec){.op = IMP_OP_FLATTEN, .n_in = 1, .in = {FIN(iota, 2, 3, 4)}};
    EXPECT_F32(&s, 2, DIMS(2, 12), iota, 0);
    const int64_t axes[5] = {0, 2, -1, 3, -3};
    const int64_t want[5][2] = {{1, 24}, {6, 4}, {6, 4}, {24, 1}, {1, 24}};
    for (int i = 0; i < 5; i++) {
        s.n_attrs = 1;
        s.attrs[0] = A_INT("axis", axes[i]);
        EXPECT_F32(&s, 2, want[i], iota, 0);
    }
    s.attrs[0] = A_INT("axis", 4);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "out of range");
}

/* Naive transpose: output index -> input index through the permutation. */
static void transpose_expect(int rank, const int64_t *dims, const int *perm, float *want,
                             int64_t *odims)
{
    int64_t stride[8], st = 1;
    for (int d = rank - 1; d >= 0; d--) {
        stride[d] = st;
        st *= dims[d];
    }
    for (int d = 0; d < rank; d++)
        odims[d] = dims[perm[d]];
    for (int64_t i = 0; i < st; i++) {
        int64_t rem = i, src = 0;
        for (int d = rank - 1; d >= 0; d--) {
            int64_t o = rem % odims[d];
            rem /= odims[d];
            src += o * stride[perm[d]];
        }
        want[i] = iota[src];
    }
}

static void transpose_permutations(void)
{
    float want[120];
    int64_t od[4];
    const int perms[4][4] = {{0, 2, 3, 1}, {3, 2, 1, 0}, {1, 0, 2, 3}, {0, 3, 1, 2}};
    for (int k = 0; k < 4; k++) {
        transpose_expect(4, DIMS(2, 3, 4, 5), perms[k], want, od);
        struct tspec s = {.op = IMP_OP_TRANSPOSE,
                          .n_in = 1,
                          .in = {FIN(iota, 2, 3, 4, 5)},
                          .n_attrs = 1,
                          .attrs = {A_INTS("perm", perms[k][0], perms[k][1], perms[k][2],
                                           perms[k][3])}};
        if (k == 1)
            s.n_attrs = 0; /* default: reversed */
        EXPECT_F32(&s, 4, od, want, 0);
    }
    int64_t m[6] = {1, 2, 3, 4, 5, 6};
    struct tspec s = {
        .op = IMP_OP_TRANSPOSE, .n_in = 1, .in = {TV(T_DATA, IMP_DTYPE_I64, m, 2, 3)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 2, DIMS(3, 2), ((int64_t[]){1, 4, 2, 5, 3, 6}));
    s.n_attrs = 1;
    s.attrs[0] = A_INTS("perm", 0, 0);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "permutation");
    s.attrs[0] = A_INTS("perm", 1, 0, 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "permutation");
}

static void squeeze_unsqueeze(void)
{
    struct tspec s = {.op = IMP_OP_SQUEEZE, .n_in = 1, .in = {FIN(iota, 1, 3, 1, 2)}};
    EXPECT_F32(&s, 2, DIMS(3, 2), iota, 0);
    s.n_attrs = 1;
    s.attrs[0] = A_INTS("axes", 0);
    EXPECT_F32(&s, 3, DIMS(3, 1, 2), iota, 0);
    s.attrs[0] = A_INTS("axes", 1);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "cannot squeeze");
    s.attrs[0] = A_INTS("axes", 0, -4);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "repeated");
    s.n_attrs = 0;
    s.n_in = 2;
    s.in[1] = I64C(((int64_t[]){-2}), 1); /* opset 13: axes as input */
    EXPECT_F32(&s, 3, DIMS(1, 3, 2), iota, 0);
    s.in[1] = I64C(((int64_t[]){4}), 1);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "out of range");

    s = (struct tspec){.op = IMP_OP_UNSQUEEZE,
                       .n_in = 1,
                       .in = {FIN(iota, 3, 2)},
                       .n_attrs = 1,
                       .attrs = {A_INTS("axes", 0, 3)}};
    EXPECT_F32(&s, 4, DIMS(1, 3, 2, 1), iota, 0);
    s.attrs[0] = A_INTS("axes", -1);
    EXPECT_F32(&s, 3, DIMS(3, 2, 1), iota, 0);
    s.attrs[0] = A_INTS("axes", 1, 1);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "repeated");
    s.n_attrs = 0;
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "axes are required");
    s.n_in = 2;
    s.in[1] = I64C(((int64_t[]){1, -4}), 2);
    EXPECT_F32(&s, 4, DIMS(1, 1, 3, 2), iota, 0);
    int64_t scalar = 42;
    s.in[0] = TV0(T_DATA, IMP_DTYPE_I64, &scalar);
    s.in[1] = I64C(((int64_t[]){0}), 1);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(1), &scalar);
}

static void shape_op(void)
{
    struct tspec s = {.op = IMP_OP_SHAPE, .n_in = 1, .in = {FIN(iota, 2, 3, 4, 5)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(4), ((int64_t[]){2, 3, 4, 5}));
    s.n_attrs = 2;
    s.attrs[0] = A_INT("start", 1);
    s.attrs[1] = A_INT("end", -1);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(2), ((int64_t[]){3, 4}));
    s.attrs[0] = A_INT("start", -10);
    s.attrs[1] = A_INT("end", 100);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(4), ((int64_t[]){2, 3, 4, 5}));
    s.attrs[0] = A_INT("start", 3);
    s.attrs[1] = A_INT("end", 1);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(0), iota64);
}

static void gather_indices(void)
{
    /* data [3,4]: row r holds 4r .. 4r+3 */
    struct tspec s = {.op = IMP_OP_GATHER,
                      .n_in = 2,
                      .in = {FIN(iota, 3, 4), I64C(((int64_t[]){2, -3}), 2)}};
    EXPECT_F32(&s, 2, DIMS(2, 4), ((float[]){8, 9, 10, 11, 0, 1, 2, 3}), 0);
    s.n_attrs = 1;
    s.attrs[0] = A_INT("axis", 1);
    s.in[1] = TV(T_CONST, IMP_DTYPE_I32, ((int32_t[]){0, -1, 3, 1}), 2, 2);
    EXPECT_F32(&s, 3, DIMS(3, 2, 2), ((float[]){0, 3, 3, 1, 4, 7, 7, 5, 8, 11, 11, 9}),
               0);
    s.attrs[0] = A_INT("axis", -1);
    int64_t one = 1;
    s.in[1] = TV0(T_CONST, IMP_DTYPE_I64, &one);
    EXPECT_F32(&s, 1, DIMS(3), ((float[]){1, 5, 9}), 0);
    /* Shape arithmetic: a scalar from an int64 shape vector. */
    int64_t shp[4] = {1, 3, 224, 224}, neg = -2;
    s = (struct tspec){
        .op = IMP_OP_GATHER,
        .n_in = 2,
        .in = {TV(T_DATA, IMP_DTYPE_I64, shp, 4), TV0(T_CONST, IMP_DTYPE_I64, &neg)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 0, DIMS(0), ((int64_t[]){224}));
    int64_t far = 4;
    s.in[1] = TV0(T_CONST, IMP_DTYPE_I64, &far);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "out of range");
    s.in[1] = TV0(T_CONST, IMP_DTYPE_F32, iota);
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "int64 or int32");
    s.in[1] = TV0(T_CONST, IMP_DTYPE_I64, &far);
    s.n_attrs = 1;
    s.attrs[0] = A_INT("axis", 1);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "out of range for rank");
    /* Indices only known at run time: out of range gives zeros, no crash. */
    int64_t idx[3] = {1, 7, -4};
    s = (struct tspec){.op = IMP_OP_GATHER,
                       .n_in = 2,
                       .no_fold = true,
                       .in = {FIN(iota, 3, 2), TV(T_DATA, IMP_DTYPE_I64, idx, 3)}};
    EXPECT_F32(&s, 2, DIMS(3, 2), ((float[]){2, 3, 0, 0, 0, 0}), 0);
    /* Nothing to gather from: every index is out of range. */
    s.in[0] = FIN(iota, 0, 2);
    EXPECT_F32(&s, 2, DIMS(3, 2), ((float[]){0, 0, 0, 0, 0, 0}), 0);
}

static void concat_inputs(void)
{
    float a[2] = {1, 2}, b[6] = {3, 4, 5, 6, 7, 8};
    struct tspec s = {.op = IMP_OP_CONCAT,
                      .n_in = 2,
                      .in = {FIN(a, 2, 1), FIN(b, 2, 3)},
                      .n_attrs = 1,
                      .attrs = {A_INT("axis", 1)}};
    EXPECT_F32(&s, 2, DIMS(2, 4), ((float[]){1, 3, 4, 5, 2, 6, 7, 8}), 0);
    s.attrs[0] = A_INT("axis", -1);
    EXPECT_F32(&s, 2, DIMS(2, 4), ((float[]){1, 3, 4, 5, 2, 6, 7, 8}), 0);
    s.in[0] = FIN(b, 1, 6);
    s.in[1] = FIN(a, 1, 2);
    s.attrs[0] = A_INT("axis", 1);
    EXPECT_F32(&s, 2, DIMS(1, 8), ((float[]){3, 4, 5, 6, 7, 8, 1, 2}), 0);
    s.attrs[0] = A_INT("axis", 0);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "does not fit");
    s.attrs[0] = A_INT("axis", 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "out of range");
    /* int64 shape pieces, three inputs */
    int64_t n[1] = {5}, hw[2] = {-1, 7};
    s = (struct tspec){.op = IMP_OP_CONCAT,
                       .n_in = 3,
                       .n_attrs = 1,
                       .attrs = {A_INT("axis", 0)},
                       .in = {TV(T_DATA, IMP_DTYPE_I64, n, 1), I64C(hw, 2),
                              TV(T_DATA, IMP_DTYPE_I64, n, 1)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(4), ((int64_t[]){5, -1, 7, 5}));
    s.in[2] = FIN(a, 1);
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "input 2 is float32");
    /* An empty piece contributes nothing. */
    s = (struct tspec){.op = IMP_OP_CONCAT,
                       .n_in = 3,
                       .in = {FIN(a, 2, 0), FIN(b, 2, 3), FIN(a, 2, 0)},
                       .n_attrs = 1,
                       .attrs = {A_INT("axis", 1)}};
    EXPECT_F32(&s, 2, DIMS(2, 3), b, 0);
}

static void slice_clamping_and_steps(void)
{
    struct {
        int64_t start, end, step;
        int n;
        float want[10];
    } c[] = {
        {2, 7, 1, 5, {2, 3, 4, 5, 6}},
        {-3, INT64_MAX, 1, 3, {7, 8, 9}},
        {8, 2, -2, 3, {8, 6, 4}},
        {-1, INT64_MIN, -1, 10, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
        {20, -20, -3, 4, {9, 6, 3, 0}},
        {5, 5, 1, 0, {0}},
        {-100, 3, 1, 3, {0, 1, 2}},
        {1, 100, 4, 3, {1, 5, 9}},
        {0, 10, INT64_MAX, 1, {0}},
        {9, -100, INT64_MIN, 1, {9}},
        {3, 1, 1, 0, {0}},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct tspec s = {.op = IMP_OP_SLICE,
                          .n_in = 5,
                          .in = {FIN(iota, 10), I64C(&c[i].start, 1), I64C(&c[i].end, 1),
                                 I64C(((int64_t[]){0}), 1), I64C(&c[i].step, 1)}};
        EXPECT_F32(&s, 1, DIMS(c[i].n), c[i].want, 0);
    }
    /* [3,4] holding 0..11: both axes reversed, axes out of order. */
    struct tspec s = {.op = IMP_OP_SLICE,
                      .n_in = 5,
                      .in = {FIN(iota, 3, 4), I64C(((int64_t[]){3, 2}), 2),
                             I64C(((int64_t[]){0, -4}), 2), I64C(((int64_t[]){-1, 0}), 2),
                             I64C(((int64_t[]){-1, -1}), 2)}};
    EXPECT_F32(&s, 2, DIMS(3, 3), ((float[]){11, 10, 9, 7, 6, 5, 3, 2, 1}), 0);
    /* No axes/steps: the leading axes, step 1. */
    s.n_in = 3;
    s.in[1] = I64C(((int64_t[]){1, 1}), 2);
    s.in[2] = I64C(((int64_t[]){3, 3}), 2);
    EXPECT_F32(&s, 2, DIMS(2, 2), ((float[]){5, 6, 9, 10}), 0);
    /* Omitted axes (empty name) but steps given. */
    s.n_in = 5;
    s.in[3] = TOMIT;
    s.in[4] = I64C(((int64_t[]){2, 2}), 2);
    s.in[1] = I64C(((int64_t[]){0, 0}), 2);
    s.in[2] = I64C(((int64_t[]){3, 4}), 2);
    EXPECT_F32(&s, 2, DIMS(2, 2), ((float[]){0, 2, 8, 10}), 0);
    /* Opset 1: attributes. */
    s = (struct tspec){
        .op = IMP_OP_SLICE,
        .n_in = 1,
        .in = {FIN(iota, 3, 4)},
        .n_attrs = 3,
        .attrs = {A_INTS("starts", 1), A_INTS("ends", 1000), A_INTS("axes", 1)}};
    EXPECT_F32(&s, 2, DIMS(3, 3), ((float[]){1, 2, 3, 5, 6, 7, 9, 10, 11}), 0);
    /* int64 data: the tail of a shape vector. */
    int64_t shp[4] = {1, 3, 64, 48};
    s = (struct tspec){.op = IMP_OP_SLICE,
                       .n_in = 3,
                       .in = {TV(T_DATA, IMP_DTYPE_I64, shp, 4),
                              I64C(((int64_t[]){-2}), 1),
                              I64C(((int64_t[]){INT64_MAX}), 1)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(2), ((int64_t[]){64, 48}));
    /* Errors. */
    s = (struct tspec){.op = IMP_OP_SLICE,
                       .n_in = 5,
                       .in = {FIN(iota, 3, 4), I64C(((int64_t[]){0}), 1),
                              I64C(((int64_t[]){2}), 1), I64C(((int64_t[]){0}), 1),
                              I64C(((int64_t[]){0}), 1)}};
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "step");
    s.in[4] = I64C(((int64_t[]){1, 1}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "same length");
    s.in[1] = I64C(((int64_t[]){0, 0}), 2);
    s.in[2] = I64C(((int64_t[]){1, 1}), 2);
    s.in[3] = I64C(((int64_t[]){1, -1}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "twice");
    s.in[3] = I64C(((int64_t[]){0, 2}), 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "out of range");
    int64_t start = 0;
    s = (struct tspec){.op = IMP_OP_SLICE,
                       .n_in = 3,
                       .no_fold = true,
                       .in = {FIN(iota, 4), TV(T_DATA, IMP_DTYPE_I64, &start, 1),
                              I64C(((int64_t[]){2}), 1)}};
    EXPECT_F32(&s, 1, DIMS(2), iota, 0); /* starts fed by the caller */
}

static void split_variants(void)
{
    /* [2,6] holding 0..11 */
    struct tspec s = {.op = IMP_OP_SPLIT,
                      .n_in = 1,
                      .n_out = 3,
                      .in = {FIN(iota, 2, 6)},
                      .n_attrs = 1,
                      .attrs = {A_INT("axis", 1)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_F32, 2, DIMS(2, 2), ((float[]){0, 1, 6, 7}));
    EXPECT_OUT(&s, 2, IMP_DTYPE_F32, 2, DIMS(2, 2), ((float[]){4, 5, 10, 11}));
    s.n_attrs = 2;
    s.attrs[1] = A_INTS("split", 1, 2, 3);
    EXPECT_OUT(&s, 0, IMP_DTYPE_F32, 2, DIMS(2, 1), ((float[]){0, 6}));
    EXPECT_OUT(&s, 1, IMP_DTYPE_F32, 2, DIMS(2, 2), ((float[]){1, 2, 7, 8}));
    EXPECT_OUT(&s, 2, IMP_DTYPE_F32, 2, DIMS(2, 3), ((float[]){3, 4, 5, 9, 10, 11}));
    s.attrs[1] = A_INTS("split", 1, 2, 2);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "add up");
    s.attrs[1] = A_INTS("split", 3, 3);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "sizes for 3 outputs");
    /* Opset 13: split as input; default axis 0. */
    s = (struct tspec){.op = IMP_OP_SPLIT,
                       .n_in = 2,
                       .n_out = 2,
                       .in = {FIN(iota, 3, 2), I64C(((int64_t[]){2, 1}), 2)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_F32, 2, DIMS(2, 2), ((float[]){0, 1, 2, 3}));
    EXPECT_OUT(&s, 1, IMP_DTYPE_F32, 2, DIMS(1, 2), ((float[]){4, 5}));
    s.n_in = 1;
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "evenly");
    /* Opset 18: num_outputs, last chunk smaller. */
    s = (struct tspec){.op = IMP_OP_SPLIT,
                       .n_in = 1,
                       .n_out = 3,
                       .in = {FIN(iota, 7)},
                       .n_attrs = 1,
                       .attrs = {A_INT("num_outputs", 3)}};
    EXPECT_OUT(&s, 0, IMP_DTYPE_F32, 1, DIMS(3), ((float[]){0, 1, 2}));
    EXPECT_OUT(&s, 1, IMP_DTYPE_F32, 1, DIMS(3), ((float[]){3, 4, 5}));
    EXPECT_OUT(&s, 2, IMP_DTYPE_F32, 1, DIMS(1), ((float[]){6}));
    s.attrs[0] = A_INT("num_outputs", 2);
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "num_outputs");
}

static void crop_borders_and_scale(void)
{
    /* [1,2,5,6] holding 0..59; border = left 1, top 2, right 1, bottom 0 */
    float want[24];
    for (int c = 0, k = 0; c < 2; c++)
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
                want[k++] = (float)(c * 30 + (2 + y) * 6 + 1 + x);
    struct tspec s = {.op = IMP_OP_CROP,
                      .n_in = 1,
                      .in = {FIN(iota, 1, 2, 5, 6)},
                      .n_attrs = 1,
                      .attrs = {A_INTS("border", 1, 2, 1, 0)}};
    EXPECT_F32(&s, 4, DIMS(1, 2, 3, 4), want, 0);
    s.n_attrs = 2;
    s.attrs[1] = A_INTS("scale", 2, 3);
    float want2[12];
    for (int c = 0, k = 0; c < 2; c++)
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 3; x++)
                want2[k++] = (float)(c * 30 + (2 + y) * 6 + 1 + x);
    EXPECT_F32(&s, 4, DIMS(1, 2, 2, 3), want2, 0);
    s.attrs[1] = A_INTS("scale", 4, 3);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "does not fit");
    s.n_attrs = 1;
    s.attrs[0] = A_INTS("border", 3, 0, 3, 0);
    EXPECT_F32(&s, 4, DIMS(1, 2, 5, 0), want, 0);
    s.attrs[0] = A_INTS("border", 4, 0, 3, 0);
    EXPECT_FAIL(&s, IMP_ERR_SHAPE, "does not fit");
    s.attrs[0] = A_INTS("border", 1, 1);
    EXPECT_FAIL(&s, IMP_ERR_FORMAT, "border");
}

static void constant_attributes(void)
{
    struct tspec s = {.op = IMP_OP_CONSTANT,
                      .n_attrs = 1,
                      .attrs = {A_FLOATS("value_floats", 1.5f, -2.0f)}};
    EXPECT_F32(&s, 1, DIMS(2), ((float[]){1.5f, -2.0f}), 0);
    s.attrs[0] = A_FLOAT("value_float", 0.25f);
    EXPECT_F32(&s, 0, DIMS(0), ((float[]){0.25f}), 0);
    s.attrs[0] = A_INT("value_int", -7);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 0, DIMS(0), ((int64_t[]){-7}));
    s.attrs[0] = A_INTS("value_ints", 1, 2, 3);
    EXPECT_OUT(&s, 0, IMP_DTYPE_I64, 1, DIMS(3), ((int64_t[]){1, 2, 3}));
    s.attrs[0] = A_STR("value_string", "x");
    EXPECT_FAIL(&s, IMP_ERR_UNSUPPORTED, "no supported value");
}

/* Shape -> Gather(0) -> Unsqueeze -> Concat(., [-1]) -> Reshape on an input
 * whose batch dim is open: the whole chain folds when planning, for each
 * batch size the predictor is resized to. */
static void shape_chain_folds_at_plan_time(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[3] = {-1, 3, 4}, zero = 0, minus1 = -1;
    struct imp_shape xs = imp_shape_make(3, xd), scalar = {0},
                     one = {.rank = 1, .d = {1}};
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    int idx = imp_graph_add_const(&g, "idx", IMP_DTYPE_I64, &scalar, &zero);
    int axes = imp_graph_add_const(&g, "axes", IMP_DTYPE_I64, &one, &zero);
    int rest = imp_graph_add_const(&g, "rest", IMP_DTYPE_I64, &one, &minus1);
    const char *names[5] = {"shape", "batch", "batch1", "target", "y"};
    int v[5];
    for (int i = 0; i < 5; i++)
        v[i] = imp_graph_add_value(&g, names[i], IMP_VALUE_ACTIVATION,
                                   IMP_DTYPE_UNDEFINED, NULL);
    imp_graph_add_node(&g, IMP_OP_RESHAPE, "reshape", 2, (int[]){x, v[3]}, 1, &v[4]);
    imp_graph_add_node(&g, IMP_OP_CONCAT, "concat", 2, (int[]){v[2], rest}, 1, &v[3]);
    int cn = g.n_nodes - 1;
    imp_node_set_int(&g, cn, "axis", 0);
    imp_graph_add_node(&g, IMP_OP_UNSQUEEZE, "unsq", 2, (int[]){v[1], axes}, 1, &v[2]);
    imp_graph_add_node(&g, IMP_OP_GATHER, "gather", 2, (int[]){v[0], idx}, 1, &v[1]);
    imp_graph_add_node(&g, IMP_OP_SHAPE, "shape", 1, &x, 1, &v[0]);
    imp_graph_add_input(&g, x);
    imp_graph_add_output(&g, v[4]);
    struct imp_model *m;
    struct imp_error err;
    if (!CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK)) {
        printf("  %s\n", err.message);
        return;
    }
    struct imp_tensor_info info;
    CHECK_STATUS(imp_model_output_info(m, 0, &info), IMP_OK);
    CHECK(info.rank == 2 && info.dims[1] == 12);
    struct imp_predictor *p;
    if (!CHECK_STATUS(imp_predictor_init(m, NULL, &p, &err), IMP_OK)) {
        printf("  %s\n", err.message);
        imp_model_free(m);
        return;
    }
    for (int64_t batch = 1; batch <= 3; batch++) {
        int64_t dims[3] = {batch, 3, 4};
        CHECK_STATUS(imp_predictor_resize_input(p, 0, 3, dims), IMP_OK);
        CHECK_STATUS(imp_predictor_set_input(p, 0, iota, (size_t)(batch * 12) * 4),
                     IMP_OK);
        if (!CHECK_STATUS(imp_predictor_run(p), IMP_OK)) {
            printf("  %s\n", imp_predictor_last_error(p));
            continue;
        }
        const float *y;
        CHECK_STATUS(imp_predictor_output(p, 0, &info, (const void **)&y), IMP_OK);
        CHECK(info.rank == 2 && info.dims[0] == batch && info.dims[1] == 12);
        CHECK(memcmp(y, iota, (size_t)(batch * 12) * 4) == 0);
        struct imp_plan_stats st;
        CHECK_STATUS(imp_predictor_plan_stats(p, &st), IMP_OK);
        CHECK(st.nodes_run == 1); /* only the Reshape; the rest folded */
    }
    imp_predictor_free(p);
    imp_model_free(m);
}

/* x -> Relu -> Reshape -> Unsqueeze -> Flatten -> Squeeze -> Sigmoid: the
 * views share Relu's buffer, so the arena holds two tensors, not six. */
static void views_share_buffers(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[3] = {2, 3, 4}, one = 1, shape[2] = {6, 4};
    struct imp_shape xs = imp_shape_make(3, xd), s1 = {.rank = 1, .d = {1}},
                     s2 = {.rank = 1, .d = {2}};
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    int tgt = imp_graph_add_const(&g, "tgt", IMP_DTYPE_I64, &s2, shape);
    int ax = imp_graph_add_const(&g, "ax", IMP_DTYPE_I64, &s1, &one);
    int v[6];
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof name, "v%d", i);
        v[i] = imp_graph_add_value(&g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED,
                                   NULL);
    }
    imp_graph_add_node(&g, IMP_OP_RELU, "relu", 1, &x, 1, &v[0]);
    imp_graph_add_node(&g, IMP_OP_RESHAPE, "reshape", 2, (int[]){v[0], tgt}, 1, &v[1]);
    imp_graph_add_node(&g, IMP_OP_UNSQUEEZE, "unsq", 2, (int[]){v[1], ax}, 1, &v[2]);
    imp_graph_add_node(&g, IMP_OP_FLATTEN, "flat", 1, &v[2], 1, &v[3]);
    imp_graph_add_node(&g, IMP_OP_SQUEEZE, "sq", 1, &v[3], 1, &v[4]);
    imp_graph_add_node(&g, IMP_OP_SIGMOID, "sig", 1, &v[4], 1, &v[5]);
    imp_graph_add_input(&g, x);
    imp_graph_add_output(&g, v[5]);
    struct imp_model *m;
    struct imp_predictor *p;
    struct imp_error err;
    if (!CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK))
        return;
    CHECK_STATUS(imp_predictor_init(m, NULL, &p, &err), IMP_OK);
    float xv[24];
    t_fill(xv, 24, 17);
    CHECK_STATUS(imp_predictor_set_input(p, 0, xv, sizeof xv), IMP_OK);
    CHECK_STATUS(imp_predictor_run(p), IMP_OK);
    struct imp_tensor_info info;
    const float *y;
    CHECK_STATUS(imp_predictor_output(p, 0, &info, (const void **)&y), IMP_OK);
    /* [6,4] -> [6,1,4] -> Flatten(axis 1) [6,4] -> Squeeze (no 1s) [6,4] */
    CHECK(info.rank == 2 && info.dims[0] == 6 && info.dims[1] == 4);
    for (int i = 0; i < 24; i++)
        CHECK_NEAR(y[i], 1.0 / (1.0 + exp(-(xv[i] > 0 ? xv[i] : 0))), 1e-6);
    struct imp_plan_stats st;
    CHECK_STATUS(imp_predictor_plan_stats(p, &st), IMP_OK);
    CHECK(st.arena_bytes <= 2 * 128);
    imp_predictor_free(p);
    imp_model_free(m);
}

int main(void)
{
    for (int i = 0; i < 256; i++)
        iota[i] = (float)i;
    for (int i = 0; i < 64; i++)
        iota64[i] = i;
    RUN(reshape_and_flatten);
    RUN(transpose_permutations);
    RUN(squeeze_unsqueeze);
    RUN(shape_op);
    RUN(gather_indices);
    RUN(concat_inputs);
    RUN(slice_clamping_and_steps);
    RUN(split_variants);
    RUN(crop_borders_and_scale);
    RUN(constant_attributes);
    RUN(shape_chain_folds_at_plan_time);
    RUN(views_share_buffers);
    return imp_test_finish();
}
