/*
 * The TFLite reader on small models written here (tflite_build.h), run
 * end to end and compared with TF's semantics computed directly in NHWC
 * by the loops below; plus the flatbuffer accessor on hostile bytes, and
 * models the reader must refuse with a clear message. Needs nothing from
 * ../shared.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fb.h"
#include "harness.h"
#include "tflite_build.h"

/* The model tables below list only the fields each case needs. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* Builtin codes and options used below (schema.fbs). */
enum {
    ADD = 0, AVERAGE_POOL_2D = 1, CONCATENATION = 2, CONV_2D = 3,
    DEPTHWISE_CONV_2D = 4, DEQUANTIZE = 6, FULLY_CONNECTED = 9, LOGISTIC = 14,
    MAX_POOL_2D = 17, MUL = 18, RESHAPE = 22, RESIZE_BILINEAR = 23,
    SOFTMAX = 25, CUSTOM = 32, PAD = 34, MEAN = 40, EXP = 47,
    STRIDED_SLICE = 45, TRANSPOSE_CONV = 67, RSQRT = 76, SHAPE = 77,
    PACK = 83, RESIZE_NEAREST = 97, SQUARED_DIFFERENCE = 99, MIRROR_PAD = 100,
    QUANTIZE = 114, HARD_SWISH = 117, DEPTH_TO_SPACE = 5,
};
enum {
    O_CONV = 1, O_DEPTHWISE = 2, O_POOL = 5, O_FC = 8, O_SOFTMAX = 9,
    O_CONCAT = 10, O_ADD = 11, O_BILINEAR = 15, O_RESHAPE = 17, O_MUL = 21,
    O_PAD = 22, O_REDUCER = 27, O_STRIDED_SLICE = 32, O_TRANSPOSE_CONV = 49,
    O_SHAPE = 55, O_PACK = 59, O_NEAREST = 74, O_MIRROR_PAD = 77,
    O_DEPTH_TO_SPACE = 94,
};

#define T4(n, a, b, c, d) .rank = 4, .dims = {a, b, c, d}
#define CONSTF(arr) .data = (arr), .nbytes = sizeof(arr)

static float pattern(int i, float scale)
{
    return scale * (float)sin(0.7 * i + 0.3);
}

static void fill(float *v, int n, float scale)
{
    for (int i = 0; i < n; i++)
        v[i] = pattern(i, scale);
}

static enum imp_status load(const struct tb_model *tm, struct imp_model **m,
                            struct imp_error *err)
{
    size_t size = 0;
    uint8_t *bytes = tb_build(tm, &size);
    *m = NULL;
    if (!bytes)
        return IMP_ERR_NOMEM;
    enum imp_status st = imp_model_load_buffer(bytes, size, m, err);
    free(bytes);
    return st;
}

/* Load, run on the given float inputs, and copy output 0 into `out`
 * (at most `max`); returns the element count, or -1. */
static int run(const struct tb_model *tm, const float *const *inputs,
               struct imp_tensor_info *info, float *out, int max)
{
    struct imp_model *m;
    struct imp_error err;
    if (load(tm, &m, &err) != IMP_OK) {
        printf("  load: %s\n", err.message);
        return -1;
    }
    struct imp_predictor *p = NULL;
    int count = -1;
    if (imp_predictor_init(m, NULL, &p, &err) != IMP_OK) {
        printf("  predictor: %s\n", err.message);
        goto done;
    }
    for (int i = 0; i < imp_model_input_count(m); i++) {
        struct imp_tensor_info t;
        imp_model_input_info(m, i, &t);
        size_t n = 1;
        for (int d = 0; d < t.rank; d++)
            n *= (size_t)t.dims[d];
        if (imp_predictor_set_input(p, i, inputs[i], n * 4) != IMP_OK)
            printf("  set_input: %s\n", imp_predictor_last_error(p));
    }
    const void *data;
    if (imp_predictor_run(p) != IMP_OK ||
        imp_predictor_output(p, 0, info, &data) != IMP_OK) {
        printf("  run: %s\n", imp_predictor_last_error(p));
        goto done;
    }
    count = 1;
    for (int d = 0; d < info->rank; d++)
        count *= (int)info->dims[d];
    if (count > max)
        count = -1;
    else
        memcpy(out, data, (size_t)count * sizeof *out);
done:
    imp_predictor_free(p);
    imp_model_free(m);
    return count;
}

static bool close_all(const float *got, const float *want, int n, double tol)
{
    for (int i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= tol)) {
            printf("  element %d: %.6f, want %.6f\n", i, got[i], want[i]);
            return false;
        }
    return true;
}

/* ---- TF semantics, directly in NHWC ------------------------------------- */

/* SAME: output ceil(in / s), padding split with the extra at the end. */
static int tf_same(int in, int k, int s, int d, int *before)
{
    int out = (in + s - 1) / s;
    int total = (out - 1) * s + (k - 1) * d + 1 - in;
    *before = total > 0 ? total / 2 : 0;
    return out;
}

static float act(float v, int a)
{
    if (a == 1 || a == 3)
        v = v > 0 ? v : 0;
    if (a == 3)
        v = v < 6 ? v : 6;
    return v;
}

/* Convolution (depthwise when mult > 0: weights [1,kh,kw,C*mult]). */
static void tf_conv(const float *x, int H, int W, int C, const float *w, int O,
                    int KH, int KW, const float *b, int s, int d, int pt, int pl,
                    int OH, int OW, int mult, int a, float *y)
{
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int o = 0; o < O; o++) {
                double acc = b ? b[o] : 0;
                for (int ky = 0; ky < KH; ky++)
                    for (int kx = 0; kx < KW; kx++) {
                        int iy = oy * s - pt + ky * d, ix = ox * s - pl + kx * d;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                            continue;
                        if (mult) {
                            acc += x[(iy * W + ix) * C + o / mult] *
                                   w[(ky * KW + kx) * O + o];
                        } else {
                            for (int i = 0; i < C; i++)
                                acc += x[(iy * W + ix) * C + i] *
                                       w[((o * KH + ky) * KW + kx) * C + i];
                        }
                    }
                y[(oy * OW + ox) * O + o] = act((float)acc, a);
            }
}

/* Transposed convolution by scattering, as TF's reference kernel does. */
static void tf_conv_transpose(const float *x, int H, int W, int C, const float *w,
                              int O, int K, const float *b, int s, int pt, int pl,
                              int OH, int OW, float *y)
{
    for (int i = 0; i < OH * OW * O; i++)
        y[i] = b ? b[i % O] : 0;
    for (int iy = 0; iy < H; iy++)
        for (int ix = 0; ix < W; ix++)
            for (int i = 0; i < C; i++)
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++)
                        for (int o = 0; o < O; o++) {
                            int oy = iy * s - pt + ky, ox = ix * s - pl + kx;
                            if (oy >= 0 && oy < OH && ox >= 0 && ox < OW)
                                y[(oy * OW + ox) * O + o] +=
                                    x[(iy * W + ix) * C + i] *
                                    w[((o * K + ky) * K + kx) * C + i];
                        }
}

/* ---- convolution and pooling -------------------------------------------- */

static void conv_same_stride2_relu6(void)
{
    enum { H = 6, W = 7, C = 3, O = 4, K = 3 };
    float x[H * W * C], w[O * K * K * C], b[O], want[3 * 4 * O], got[64];
    fill(x, H * W * C, 1.0f);
    fill(w, O * K * K * C, 2.0f);
    for (int i = 0; i < O; i++)
        b[i] = 3.0f * (float)i - 2.0f;
    struct tb_tensor t[] = {
        {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        {"w", T_FLOAT32, T4(4, O, K, K, C), CONSTF(w)},
        {"b", T_FLOAT32, .rank = 1, .dims = {O}, CONSTF(b)},
        {"y", T_FLOAT32, T4(4, 1, 3, 4, O)},
    };
    struct tb_op op = {CONV_2D, NULL, 3, {0, 1, 2}, 1, {3}, O_CONV, 4,
                       {{0, 'b', 0}, {1, 'i', 2}, {2, 'i', 2}, {3, 'b', 3}}};
    struct tb_model m = {4, t, 1, &op, 1, {0}, 1, {3}};
    int pt, pl;
    int oh = tf_same(H, K, 2, 1, &pt), ow = tf_same(W, K, 2, 1, &pl);
    CHECK(oh == 3 && ow == 4 && pt == 0 && pl == 1);
    tf_conv(x, H, W, C, w, O, K, K, b, 2, 1, pt, pl, oh, ow, 0, 3, want);
    struct imp_tensor_info info;
    const float *ins[] = {x};
    int n = run(&m, ins, &info, got, 64);
    CHECK(n == oh * ow * O);
    CHECK(info.rank == 4 && info.dims[1] == 3 && info.dims[2] == 4 && info.dims[3] == O);
    if (n == oh * ow * O)
        CHECK(close_all(got, want, n, 1e-4));
    /* RELU6 must actually clip something here, and zero something. */
    int six = 0, zero = 0;
    for (int i = 0; i < oh * ow * O; i++) {
        six += want[i] == 6.0f;
        zero += want[i] == 0.0f;
    }
    CHECK(six > 0 && zero > 0);


    /* Even height: TF puts the odd padding row at the bottom. */
    struct tb_tensor t2[] = {
        {"x", T_FLOAT32, T4(4, 1, 6, 6, C)},
        {"w", T_FLOAT32, T4(4, O, 2, 2, C), .data = w, .nbytes = O * 2 * 2 * C * 4},
        {"y", T_FLOAT32, T4(4, 1, 3, 3, O)},
    };
    struct tb_op op2 = {CONV_2D, NULL, 3, {0, 1, -1}, 1, {2}, O_CONV, 3,
                        {{0, 'b', 0}, {1, 'i', 2}, {2, 'i', 2}}};
    struct tb_model m2 = {3, t2, 1, &op2, 1, {0}, 1, {2}};
    oh = tf_same(6, 2, 2, 1, &pt);
    tf_conv(x, 6, 6, C, w, O, 2, 2, NULL, 2, 1, pt, pt, oh, oh, 0, 0, want);
    n = run(&m2, ins, &info, got, 64);
    CHECK(n == 9 * O);
    if (n == 9 * O)
        CHECK(close_all(got, want, n, 1e-4));
}

/* shape_signature -1 leaves dims open; SAME with stride 2 then cannot be
 * resolved at load and must still match TF at every size. */
static void open_dims_same_padding(void)
{
    enum { C = 2, O = 3, K = 3 };
    float x[9 * 8 * C], w[O * K * K * C], want[5 * 4 * O], got[64];
    fill(x, 9 * 8 * C, 1.0f);
    fill(w, O * K * K * C, 1.0f);
    int32_t sig[4] = {1, -1, -1, C};
    struct tb_tensor t[] = {
        {"x", T_FLOAT32, T4(4, 1, 4, 4, C), .signature = sig},
        {"w", T_FLOAT32, T4(4, O, K, K, C), CONSTF(w)},
        {"y", T_FLOAT32, T4(4, 1, 2, 2, O)},
    };
    struct tb_op op = {CONV_2D, NULL, 2, {0, 1}, 1, {2}, O_CONV, 3,
                       {{0, 'b', 0}, {1, 'i', 2}, {2, 'i', 2}}};
    struct tb_model m = {3, t, 1, &op, 1, {0}, 1, {2}};
    struct imp_model *mm;
    struct imp_error err;
    if (!CHECK_STATUS(load(&m, &mm, &err), IMP_OK)) {
        printf("  %s\n", err.message);
        return;
    }
    struct imp_tensor_info info;
    CHECK_STATUS(imp_model_input_info(mm, 0, &info), IMP_OK);
    CHECK(info.rank == 4 && info.dims[0] == 1 && info.dims[1] == -1 &&
          info.dims[2] == -1 && info.dims[3] == C);
    struct imp_predictor *p;
    if (CHECK_STATUS(imp_predictor_init(mm, NULL, &p, &err), IMP_OK)) {
        const int sizes[3][2] = {{4, 4}, {9, 8}, {5, 6}};
        for (int k = 0; k < 3; k++) {
            int H = sizes[k][0], W = sizes[k][1], pt, pl;
            int64_t dims[4] = {1, H, W, C};
            int oh = tf_same(H, K, 2, 1, &pt), ow = tf_same(W, K, 2, 1, &pl);
            tf_conv(x, H, W, C, w, O, K, K, NULL, 2, 1, pt, pl, oh, ow, 0, 0, want);
            const void *y = NULL;
            bool ran = imp_predictor_resize_input(p, 0, 4, dims) == IMP_OK &&
                       imp_predictor_set_input(p, 0, x, (size_t)H * W * C * 4) == IMP_OK &&
                       imp_predictor_run(p) == IMP_OK &&
                       imp_predictor_output(p, 0, &info, &y) == IMP_OK;
            if (!CHECK(ran)) {
                printf("  %dx%d: %s\n", H, W, imp_predictor_last_error(p));
                continue;
            }
            CHECK(info.dims[1] == oh && info.dims[2] == ow);
            memcpy(got, y, (size_t)oh * ow * O * sizeof *got);
            CHECK(close_all(got, want, oh * ow * O, 1e-4));
        }
        imp_predictor_free(p);
    }
    imp_model_free(mm);
}

static void conv_valid_dilated_relu(void)
{
    enum { H = 7, W = 6, C = 2, O = 3, K = 2, D = 2 };
    float x[H * W * C], w[O * K * K * C], want[5 * 4 * O], got[64];
    fill(x, H * W * C, 1.0f);
    fill(w, O * K * K * C, 1.0f);
    struct tb_tensor t[] = {
        {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        {"w", T_FLOAT32, T4(4, O, K, K, C), CONSTF(w)},
        {"y", T_FLOAT32, T4(4, 1, 5, 4, O)},
    };
    struct tb_op op = {CONV_2D, NULL, 2, {0, 1}, 1, {2}, O_CONV, 6,
                       {{0, 'b', 1}, {1, 'i', 1}, {2, 'i', 1}, {3, 'b', 1},
                        {4, 'i', D}, {5, 'i', D}}};
    struct tb_model m = {3, t, 1, &op, 1, {0}, 1, {2}};
    tf_conv(x, H, W, C, w, O, K, K, NULL, 1, D, 0, 0, 5, 4, 0, 1, want);
    struct imp_tensor_info info;
    const float *ins[] = {x};
    int n = run(&m, ins, &info, got, 64);
    CHECK(n == 5 * 4 * O);
    if (n == 5 * 4 * O)
        CHECK(close_all(got, want, n, 1e-4));
}

/* Depthwise, channel multiplier 2, with int8 weights quantized per output
 * channel (a hybrid op: float activations). */
static void depthwise_int8_per_channel(void)
{
    enum { H = 5, W = 5, C = 2, M = 2, K = 3 };
    int8_t q[K * K * C * M];
    float scales[C * M] = {0.02f, 0.05f, 0.01f, 0.03f};
    int64_t zps[C * M] = {0, 3, -2, 0};
    float w[K * K * C * M], x[H * W * C], b[C * M] = {0.1f, -0.2f, 0.3f, 0};
    float want[H * W * C * M], got[128];
    for (int i = 0; i < K * K * C * M; i++) {
        q[i] = (int8_t)((i * 37) % 200 - 100);
        w[i] = scales[i % (C * M)] * (float)(q[i] - zps[i % (C * M)]);
    }
    fill(x, H * W * C, 2.0f);
    struct tb_tensor t[] = {
        {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        {"w", T_INT8, T4(4, 1, K, K, C * M), CONSTF(q), .n_scales = C * M,
         .scales = scales, .zero_points = zps, .qdim = 3},
        {"b", T_FLOAT32, .rank = 1, .dims = {C * M}, CONSTF(b)},
        {"y", T_FLOAT32, T4(4, 1, H, W, C * M)},
    };
    struct tb_op op = {DEPTHWISE_CONV_2D, NULL, 3, {0, 1, 2}, 1, {3}, O_DEPTHWISE, 4,
                       {{0, 'b', 0}, {1, 'i', 1}, {2, 'i', 1}, {3, 'i', M}}};
    struct tb_model m = {4, t, 1, &op, 1, {0}, 1, {3}};
    tf_conv(x, H, W, C, w, C * M, K, K, b, 1, 1, 1, 1, H, W, M, 0, want);
    struct imp_tensor_info info;
    const float *ins[] = {x};
    int n = run(&m, ins, &info, got, 128);
    CHECK(n == H * W * C * M);
    if (n == H * W * C * M)
        CHECK(close_all(got, want, n, 1e-4));
}

static void pooling_excludes_padding(void)
{
    enum { H = 6, W = 7, C = 2 };
    float x[H * W * C], want[3 * 4 * C], got[64];
    fill(x, H * W * C, 3.0f);
    int pt, pl;
    int oh = tf_same(H, 3, 2, 1, &pt), ow = tf_same(W, 3, 2, 1, &pl);
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int c = 0; c < C; c++) {
                double s = 0;
                int n = 0;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int iy = oy * 2 - pt + ky, ix = ox * 2 - pl + kx;
                        if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                            s += x[(iy * W + ix) * C + c];
                            n++;
                        }
                    }
                want[(oy * ow + ox) * C + c] = (float)(s / n);
            }
    struct tb_tensor t[] = {
        {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        {"y", T_FLOAT32, T4(4, 1, 3, 4, C)},
    };
    struct tb_op op = {AVERAGE_POOL_2D, NULL, 1, {0}, 1, {1}, O_POOL, 5,
                       {{0, 'b', 0}, {1, 'i', 2}, {2, 'i', 2}, {3, 'i', 3}, {4, 'i', 3}}};
    struct tb_model m = {2, t, 1, &op, 1, {0}, 1, {1}};
    struct imp_tensor_info info;
    const float *ins[] = {x};
    int n = run(&m, ins, &info, got, 64);
    CHECK(n == oh * ow * C);
    if (n == oh * ow * C)
        CHECK(close_all(got, want, n, 1e-5));

    /* Max pooling, VALID 2x2 stride 2 (the last column falls off). */
    for (int oy = 0; oy < 3; oy++)
        for (int ox = 0; ox < 3; ox++)
            for (int c = 0; c < C; c++) {
                float mx = -INFINITY;
                for (int k = 0; k < 4; k++) {
                    float v = x[((oy * 2 + k / 2) * W + ox * 2 + k % 2) * C + c];
                    mx = v > mx ? v : mx;
                }
                want[(oy * 3 + ox) * C + c] = mx;
            }
    t[1].dims[2] = 3;
    op.code = MAX_POOL_2D;
    op.fields[0].v = 1;
    op.fields[3].v = op.fields[4].v = 2;
    n = run(&m, ins, &info, got, 64);
    CHECK(n == 9 * C);
    if (n == 9 * C)
        CHECK(close_all(got, want, n, 1e-6));
}

static void transposed_convolutions(void)
{
    enum { H = 3, W = 3, C = 3, O = 2, K = 3 };
    float x[H * W * C], w[O * K * K * C], b[O] = {0.25f, -0.5f};
    float want[6 * 6 * O], got[128];
    fill(x, H * W * C, 1.0f);
    fill(w, O * K * K * C, 0.7f);
    int32_t oshape[4] = {1, 6, 6, O};
    struct tb_tensor t[] = {
        {"oshape", T_INT32, .rank = 1, .dims = {4}, CONSTF(oshape)},
        {"w", T_FLOAT32, T4(4, O, K, K, C), CONSTF(w)},
        {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        {"b", T_FLOAT32, .rank = 1, .dims = {O}, CONSTF(b)},
        {"y", T_FLOAT32, T4(4, 1, 6, 6, O)},
    };
    struct tb_op op = {TRANSPOSE_CONV, NULL, 4, {0, 1, 2, 3}, 1, {4},
                       O_TRANSPOSE_CONV, 3, {{0, 'b', 0}, {1, 'i', 2}, {2, 'i', 2}}};
    struct tb_model m = {5, t, 1, &op, 1, {2}, 1, {4}};
    /* TF pads as a forward SAME conv from the 6x6 output would. */
    int pt;
    tf_same(6, K, 2, 1, &pt);
    tf_conv_transpose(x, H, W, C, w, O, K, b, 2, pt, pt, 6, 6, want);
    struct imp_tensor_info info;
    const float *ins[] = {x};
    int n = run(&m, ins, &info, got, 128);
    CHECK(n == 6 * 6 * O);
    if (n == 6 * 6 * O)
        CHECK(close_all(got, want, n, 1e-4));

    /* MediaPipe's custom op, 2x2 kernel, SAME on an odd input: the output
     * is 2 * (3 - 1) + 2 - 1 = 5 and padding is trimmed at the end. */
    int32_t copts[3] = {1, 2, 2};
    struct tb_tensor t2[] = {
        {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        {"w", T_FLOAT32, T4(4, O, 2, 2, C), .data = w, .nbytes = O * 2 * 2 * C * 4},
        {"b", T_FLOAT32, .rank = 1, .dims = {O}, CONSTF(b)},
        {"y", T_FLOAT32, T4(4, 1, 5, 5, O)},
    };
    struct tb_op op2 = {CUSTOM, "Convolution2DTransposeBias", 3, {0, 1, 2}, 1, {3},
                        .custom_options = (const uint8_t *)copts, .n_custom = 12};
    struct tb_model m2 = {4, t2, 1, &op2, 1, {0}, 1, {3}};
    tf_conv_transpose(x, H, W, C, w, O, 2, b, 2, 0, 0, 5, 5, want);
    n = run(&m2, ins, &info, got, 128);
    CHECK(n == 5 * 5 * O);
    CHECK(info.rank == 4 && info.dims[1] == 5 && info.dims[2] == 5);
    if (n == 5 * 5 * O)
        CHECK(close_all(got, want, n, 1e-4));
}

/* ---- resizing -------------------------------------------------------------------- */

/* TF's source coordinate for output index o. */
static float tf_src(int o, int in, int out, bool align, bool half)
{
    float scale = align && out > 1 ? (float)(in - 1) / (float)(out - 1)
                                   : (float)in / (float)out;
    return half ? ((float)o + 0.5f) * scale - 0.5f : (float)o * scale;
}

static void tf_bilinear(const float *x, int H, int W, int C, int OH, int OW,
                        bool align, bool half, float *y)
{
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++) {
            float sy = tf_src(oy, H, OH, align, half);
            float sx = tf_src(ox, W, OW, align, half);
            int y0 = (int)floorf(sy), x0 = (int)floorf(sx);
            float fy = sy - (float)y0, fx = sx - (float)x0;
            int ylo = y0 < 0 ? 0 : y0, xlo = x0 < 0 ? 0 : x0;
            int yhi = (int)ceilf(sy) < H - 1 ? (int)ceilf(sy) : H - 1;
            int xhi = (int)ceilf(sx) < W - 1 ? (int)ceilf(sx) : W - 1;
            for (int c = 0; c < C; c++) {
                float tl = x[(ylo * W + xlo) * C + c], tr = x[(ylo * W + xhi) * C + c];
                float bl = x[(yhi * W + xlo) * C + c], br = x[(yhi * W + xhi) * C + c];
                float top = tl + (tr - tl) * fx, bot = bl + (br - bl) * fx;
                y[(oy * OW + ox) * C + c] = top + (bot - top) * fy;
            }
        }
}

static int tf_nearest_index(int o, int in, int out, bool align, bool half)
{
    float scale = align && out > 1 ? (float)(in - 1) / (float)(out - 1)
                                   : (float)in / (float)out;
    float s = ((float)o + (half ? 0.5f : 0.0f)) * scale;
    int i = align ? (int)roundf(s) : (int)floorf(s);
    i = i < in - 1 ? i : in - 1;
    return half && i < 0 ? 0 : i;
}

static void resize_modes(void)
{
    enum { H = 3, W = 4, C = 2 };
    float x[H * W * C], want[7 * 9 * C], got[200];
    fill(x, H * W * C, 1.0f);
    const int sizes[][2] = {{7, 9}, {6, 8}, {2, 3}, {1, 1}};
    for (int s = 0; s < 4; s++)
        for (int mode = 0; mode < 3; mode++)
            for (int nearest = 0; nearest < 2; nearest++) {
                bool align = mode == 1, half = mode == 2;
                int OH = sizes[s][0], OW = sizes[s][1];
                int32_t size[2] = {OH, OW};
                struct tb_tensor t[] = {
                    {"x", T_FLOAT32, T4(4, 1, H, W, C)},
                    {"size", T_INT32, .rank = 1, .dims = {2}, CONSTF(size)},
                    {"y", T_FLOAT32, T4(4, 1, OH, OW, C)},
                };
                struct tb_op op = {nearest ? RESIZE_NEAREST : RESIZE_BILINEAR, NULL,
                                   2, {0, 1}, 1, {2}, nearest ? O_NEAREST : O_BILINEAR, 2,
                                   {{nearest ? 0 : 2, 'b', align}, {nearest ? 1 : 3, 'b', half}}};
                struct tb_model m = {3, t, 1, &op, 1, {0}, 1, {2}};
                if (nearest) {
                    for (int oy = 0; oy < OH; oy++)
                        for (int ox = 0; ox < OW; ox++)
                            for (int c = 0; c < C; c++)
                                want[(oy * OW + ox) * C + c] =
                                    x[(tf_nearest_index(oy, H, OH, align, half) * W +
                                       tf_nearest_index(ox, W, OW, align, half)) * C + c];
                } else {
                    tf_bilinear(x, H, W, C, OH, OW, align, half, want);
                }
                struct imp_tensor_info info;
                const float *ins[] = {x};
                int n = run(&m, ins, &info, got, 200);
                bool ok = n == OH * OW * C && close_all(got, want, n, 1e-5);
                if (!ok)
                    printf("  %s %dx%d align=%d half=%d\n",
                           nearest ? "nearest" : "bilinear", OH, OW, align, half);
                CHECK(ok);
            }
}

/* TF's DEPTH_TO_SPACE in NHWC: output (y, x, c) reads input
 * (y/b, x/b, ((y%b)*b + x%b)*C' + c). A zero block size is refused. */
static void depth_to_space(void)
{
    enum { H = 3, W = 2, C = 12 };
    float x[H * W * C], want[H * W * C], got[H * W * C];
    fill(x, H * W * C, 1.0f);
    for (int b = 1; b <= 2; b++) {
        int cc = C / (b * b), OH = H * b, OW = W * b;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int c = 0; c < cc; c++)
                    want[(oy * OW + ox) * cc + c] =
                        x[((oy / b) * W + ox / b) * C + ((oy % b) * b + ox % b) * cc + c];
        struct tb_tensor t[] = {
            {"x", T_FLOAT32, T4(4, 1, H, W, C)},
            {"y", T_FLOAT32, T4(4, 1, OH, OW, cc)},
        };
        struct tb_op op = {DEPTH_TO_SPACE, NULL, 1, {0}, 1, {1}, O_DEPTH_TO_SPACE, 1,
                           {{0, 'i', b}}};
        struct tb_model m = {2, t, 1, &op, 1, {0}, 1, {1}};
        struct imp_tensor_info info;
        const float *ins[] = {x};
        int n = run(&m, ins, &info, got, H * W * C);
        CHECK(n == H * W * C && close_all(got, want, n, 0.0));
        CHECK(info.rank == 4 && info.dims[1] == OH && info.dims[2] == OW &&
              info.dims[3] == cc);
    }
    struct tb_tensor t[] = {
        {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        {"y", T_FLOAT32, T4(4, 1, H, W, C)},
    };
    struct tb_op op = {DEPTH_TO_SPACE, NULL, 1, {0}, 1, {1}, O_DEPTH_TO_SPACE, 1,
                       {{0, 'i', 0}}};
    struct tb_model m = {2, t, 1, &op, 1, {0}, 1, {1}};
    struct imp_model *mm = NULL;
    struct imp_error err;
    CHECK(load(&m, &mm, &err) != IMP_OK);
    imp_model_free(mm);
}

/* SHAPE -> STRIDED_SLICE -> MUL -> PACK -> RESIZE_NEAREST, as the dynamic
 * Magenta model builds its upsampling sizes. */
static void dynamic_resize_size(void)
{
    enum { H = 3, W = 4, C = 2 };
    float x[H * W * C], want[6 * 8 * C], got[200];
    fill(x, H * W * C, 1.0f);
    int32_t b1[1] = {1}, e1[1] = {2}, b2[1] = {2}, e2[1] = {3}, st[1] = {1};
    int32_t two = 2;
    struct tb_tensor t[] = {
        /* 0 */ {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        /* 1 */ {"shape", T_INT32, .rank = 1, .dims = {4}},
        /* 2 */ {"b1", T_INT32, .rank = 1, .dims = {1}, CONSTF(b1)},
        /* 3 */ {"e1", T_INT32, .rank = 1, .dims = {1}, CONSTF(e1)},
        /* 4 */ {"b2", T_INT32, .rank = 1, .dims = {1}, CONSTF(b2)},
        /* 5 */ {"e2", T_INT32, .rank = 1, .dims = {1}, CONSTF(e2)},
        /* 6 */ {"st", T_INT32, .rank = 1, .dims = {1}, CONSTF(st)},
        /* 7 */ {"h", T_INT32, .rank = 0},
        /* 8 */ {"w", T_INT32, .rank = 0},
        /* 9 */ {"two", T_INT32, .rank = 0, .data = &two, .nbytes = 4},
        /* 10 */ {"h2", T_INT32, .rank = 0},
        /* 11 */ {"w2", T_INT32, .rank = 0},
        /* 12 */ {"size", T_INT32, .rank = 1, .dims = {2}},
        /* 13 */ {"y", T_FLOAT32, .rank = -1},
    };
    struct tb_op ops[] = {
        {SHAPE, NULL, 1, {0}, 1, {1}, O_SHAPE, 1, {{0, 'b', T_INT32}}},
        {STRIDED_SLICE, NULL, 4, {1, 2, 3, 6}, 1, {7}, O_STRIDED_SLICE, 1, {{4, 'i', 1}}},
        {STRIDED_SLICE, NULL, 4, {1, 4, 5, 6}, 1, {8}, O_STRIDED_SLICE, 1, {{4, 'i', 1}}},
        {MUL, NULL, 2, {7, 9}, 1, {10}, O_MUL, 0, {{0}}},
        {MUL, NULL, 2, {8, 9}, 1, {11}, O_MUL, 0, {{0}}},
        {PACK, NULL, 2, {10, 11}, 1, {12}, O_PACK, 2, {{0, 'i', 2}, {1, 'i', 0}}},
        {RESIZE_NEAREST, NULL, 2, {0, 12}, 1, {13}, O_NEAREST, 0, {{0}}},
    };
    struct tb_model m = {14, t, 7, ops, 1, {0}, 1, {13}};
    for (int oy = 0; oy < 6; oy++)
        for (int ox = 0; ox < 8; ox++)
            for (int c = 0; c < C; c++)
                want[(oy * 8 + ox) * C + c] = x[((oy / 2) * W + ox / 2) * C + c];
    struct imp_tensor_info info;
    const float *ins[] = {x};
    int n = run(&m, ins, &info, got, 200);
    CHECK(n == 6 * 8 * C);
    CHECK(info.rank == 4 && info.dims[1] == 6 && info.dims[2] == 8);
    if (n == 6 * 8 * C)
        CHECK(close_all(got, want, n, 0));
}

/* ---- shapes and data movement -------------------------------------------------------- */

static void strided_slice_masks(void)
{
    enum { H = 4, W = 5, C = 3 };
    float x[H * W * C], want[64], got[64];
    fill(x, H * W * C, 1.0f);
    /* x[0, 1:3, ::-2 from the end, :2] with the batch axis shrunk. */
    int32_t b[4] = {0, 1, -1, 0}, e[4] = {1, 3, 0, 2}, s[4] = {1, 1, -2, 1};
    struct tb_tensor t[] = {
        {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        {"b", T_INT32, .rank = 1, .dims = {4}, CONSTF(b)},
        {"e", T_INT32, .rank = 1, .dims = {4}, CONSTF(e)},
        {"s", T_INT32, .rank = 1, .dims = {4}, CONSTF(s)},
        {"y", T_FLOAT32, .rank = 3, .dims = {2, 2, 2}},
    };
    /* begin_mask on axis 2 (start from the end since the stride is
     * negative), end_mask on axis 2 (run to the start), shrink axis 0. */
    struct tb_op op = {STRIDED_SLICE, NULL, 4, {0, 1, 2, 3}, 1, {4}, O_STRIDED_SLICE, 3,
                       {{0, 'i', 4}, {1, 'i', 4}, {4, 'i', 1}}};
    struct tb_model m = {5, t, 1, &op, 1, {0}, 1, {4}};
    int k = 0;
    for (int y = 1; y < 3; y++)
        for (int xx = W - 1; xx >= 0; xx -= 2)
            for (int c = 0; c < 2; c++)
                want[k++] = x[(y * W + xx) * C + c];
    struct imp_tensor_info info;
    const float *ins[] = {x};
    int n = run(&m, ins, &info, got, 64);
    CHECK(n == k);
    CHECK(info.rank == 3 && info.dims[0] == 2 && info.dims[1] == 3 && info.dims[2] == 2);
    if (n == k)
        CHECK(close_all(got, want, n, 0));
}

static void mean_pad_concat_reshape(void)
{
    enum { H = 3, W = 4, C = 2 };
    float x[H * W * C], want[256], got[256];
    fill(x, H * W * C, 1.0f);
    int32_t axes[2] = {1, 2};
    int32_t pads[8] = {0, 0, 1, 2, 2, 1, 0, 0};
    int32_t new_shape[2] = {-1, 4};
    struct tb_tensor t[] = {
        /* 0 */ {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        /* 1 */ {"axes", T_INT32, .rank = 1, .dims = {2}, CONSTF(axes)},
        /* 2 */ {"mean", T_FLOAT32, .rank = 2, .dims = {1, C}},
        /* 3 */ {"pads", T_INT32, .rank = 2, .dims = {4, 2}, CONSTF(pads)},
        /* 4 */ {"reflect", T_FLOAT32, T4(4, 1, 6, 7, C)},
        /* 5 */ {"zero_pad", T_FLOAT32, T4(4, 1, 6, 7, C)},
        /* 6 */ {"cat", T_FLOAT32, T4(4, 1, 6, 7, 2 * C)},
        /* 7 */ {"flat", T_FLOAT32, .rank = 2, .dims = {42, 4}},
    };
    struct tb_op ops[] = {
        {MEAN, NULL, 2, {0, 1}, 1, {2}, O_REDUCER, 1, {{0, 'b', 0}}},
        {MIRROR_PAD, NULL, 2, {0, 3}, 1, {4}, O_MIRROR_PAD, 1, {{0, 'b', 0}}},
        {PAD, NULL, 2, {0, 3}, 1, {5}, O_PAD, 0, {{0}}},
        {CONCATENATION, NULL, 2, {4, 5}, 1, {6}, O_CONCAT, 2, {{0, 'i', 3}, {1, 'b', 1}}},
        {RESHAPE, NULL, 1, {6}, 1, {7}, O_RESHAPE, 1, {{0, 'v', 0, 2, new_shape}}},
    };
    struct tb_model m = {8, t, 5, ops, 1, {0}, 2, {7, 2}};
    /* Output 0: reflect-pad (no border repeat) and zero-pad, concatenated
     * on channels, RELU'd, flattened to [42, 4]. */
    for (int y = 0; y < 6; y++)
        for (int xx = 0; xx < 7; xx++)
            for (int c = 0; c < 2 * C; c++) {
                int sy = y - 1, sx = xx - 2;
                float v;
                if (c < C) {
                    sy = sy < 0 ? -sy : sy >= H ? 2 * (H - 1) - sy : sy;
                    sx = sx < 0 ? -sx : sx >= W ? 2 * (W - 1) - sx : sx;
                    v = x[(sy * W + sx) * C + c];
                } else {
                    bool in = sy >= 0 && sy < H && sx >= 0 && sx < W;
                    v = in ? x[(sy * W + sx) * C + c - C] : 0.0f;
                }
                want[(y * 7 + xx) * 2 * C + c] = v > 0 ? v : 0;
            }
    struct imp_tensor_info info;
    const float *ins[] = {x};
    int n = run(&m, ins, &info, got, 256);
    CHECK(n == 42 * 4 && info.rank == 2 && info.dims[0] == 42);
    if (n == 42 * 4)
        CHECK(close_all(got, want, n, 0));
    /* Output 1, the mean over H and W without kept dims. */
    struct imp_model *mm;
    struct imp_error err;
    if (CHECK_STATUS(load(&m, &mm, &err), IMP_OK)) {
        CHECK_STATUS(imp_model_output_info(mm, 1, &info), IMP_OK);
        CHECK(info.rank == 2 && info.dims[0] == 1 && info.dims[1] == C);
        imp_model_free(mm);
    }
}

/* After a convolution, values exist as NCHW and element-wise ops, MEAN and
 * MIRROR_PAD run there; a non-scalar constant sends the chain back to
 * NHWC. Both routes must agree with TF. */
static void layouts_after_convolution(void)
{
    enum { H = 3, W = 4, C = 3, PH = 5, PW = 7 };
    float x[H * W * C], w[C * C], chan[C] = {0.5f, -1.0f, 2.0f}, half = 0.5f;
    fill(x, H * W * C, 1.0f);
    fill(w, C * C, 1.0f);
    int32_t pads[8] = {0, 0, 1, 1, 2, 1, 0, 0}, axes[2] = {1, 2};
    struct tb_tensor t[] = {
        /* 0 */ {"x", T_FLOAT32, T4(4, 1, H, W, C)},
        /* 1 */ {"w", T_FLOAT32, T4(4, C, 1, 1, C), CONSTF(w)},
        /* 2 */ {"conv", T_FLOAT32, T4(4, 1, H, W, C)},
        /* 3 */ {"pads", T_INT32, .rank = 2, .dims = {4, 2}, CONSTF(pads)},
        /* 4 */ {"padded", T_FLOAT32, T4(4, 1, PH, PW, C)},
        /* 5 */ {"axes", T_INT32, .rank = 1, .dims = {2}, CONSTF(axes)},
        /* 6 */ {"mean", T_FLOAT32, T4(4, 1, 1, 1, C)},
        /* 7 */ {"centred", T_FLOAT32, T4(4, 1, PH, PW, C)},
        /* 8 */ {"chan", T_FLOAT32, .rank = 1, .dims = {C}, CONSTF(chan)},
        /* 9 */ {"scaled", T_FLOAT32, T4(4, 1, PH, PW, C)},
        /* 10 */ {"half", T_FLOAT32, .rank = 0, .data = &half, .nbytes = 4},
        /* 11 */ {"out", T_FLOAT32, T4(4, 1, PH, PW, C)},
        /* 12 */ {"sig", T_FLOAT32, T4(4, 1, PH, PW, C)},
    };
    struct tb_op ops[] = {
        {CONV_2D, NULL, 2, {0, 1}, 1, {2}, O_CONV, 3, {{0, 'b', 1}, {1, 'i', 1}, {2, 'i', 1}}},
        {MIRROR_PAD, NULL, 2, {2, 3}, 1, {4}, O_MIRROR_PAD, 1, {{0, 'b', 0}}},
        {MEAN, NULL, 2, {4, 5}, 1, {6}, O_REDUCER, 1, {{0, 'b', 1}}},
        {41 /* SUB */, NULL, 2, {4, 6}, 1, {7}},
        {MUL, NULL, 2, {7, 8}, 1, {9}},
        {ADD, NULL, 2, {9, 10}, 1, {11}, O_ADD, 1, {{0, 'b', 1}}},
        {LOGISTIC, NULL, 1, {7}, 1, {12}},
    };
    struct tb_model m = {13, t, 7, ops, 1, {0}, 2, {11, 12}};
    float conv[H * W * C], padded[PH * PW * C], mean[C] = {0}, want[PH * PW * C];
    float sig[PH * PW * C], got[PH * PW * C];
    tf_conv(x, H, W, C, w, C, 1, 1, NULL, 1, 1, 0, 0, H, W, 0, 0, conv);
    for (int y = 0; y < PH; y++)
        for (int xx = 0; xx < PW; xx++)
            for (int c = 0; c < C; c++) {
                int sy = y - 1, sx = xx - 2;
                sy = sy < 0 ? -sy : sy >= H ? 2 * (H - 1) - sy : sy;
                sx = sx < 0 ? -sx : sx >= W ? 2 * (W - 1) - sx : sx;
                padded[(y * PW + xx) * C + c] = conv[(sy * W + sx) * C + c];
                mean[c] += conv[(sy * W + sx) * C + c] / (PH * PW);
            }
    for (int i = 0; i < PH * PW * C; i++) {
        float centred = padded[i] - mean[i % C];
        float v = centred * chan[i % C] + half;
        want[i] = v > 0 ? v : 0;
        sig[i] = 1.0f / (1.0f + expf(-centred));
    }
    struct imp_tensor_info info;
    const float *ins[] = {x};
    int n = run(&m, ins, &info, got, PH * PW * C);
    CHECK(n == PH * PW * C && info.dims[1] == PH && info.dims[2] == PW);
    if (n == PH * PW * C)
        CHECK(close_all(got, want, n, 1e-5));
    struct imp_model *mm;
    struct imp_error err;
    struct imp_predictor *p;
    const void *data;
    if (!CHECK_STATUS(load(&m, &mm, &err), IMP_OK))
        return;
    if (CHECK_STATUS(imp_predictor_init(mm, NULL, &p, &err), IMP_OK)) {
        CHECK_STATUS(imp_predictor_set_input(p, 0, x, sizeof x), IMP_OK);
        CHECK_STATUS(imp_predictor_run(p), IMP_OK);
        if (CHECK_STATUS(imp_predictor_output(p, 1, &info, &data), IMP_OK)) {
            CHECK(info.rank == 4 && info.dims[1] == PH && info.dims[3] == C);
            CHECK(close_all(data, sig, PH * PW * C, 1e-6));
        }
        imp_predictor_free(p);
    }
    imp_model_free(mm);
}

/* Element-wise ops, a float16 constant behind DEQUANTIZE, QUANTIZE and
 * DEQUANTIZE of activations (Identity in float), SOFTMAX with beta, and
 * FULLY_CONNECTED. */
static void elementwise_and_dense(void)
{
    enum { N = 6 };
    float x[N], y[N], want[4], got[16];
    fill(x, N, 2.0f);
    fill(y, N, 1.0f);
    for (int i = 0; i < N; i++)
        y[i] += 2.0f;
    /* 0.5, -1.25, 3, 0.125, 2, -0.75 in IEEE half precision. */
    uint16_t half[N] = {0x3800, 0xbd00, 0x4200, 0x3000, 0x4000, 0xba00};
    const float halff[N] = {0.5f, -1.25f, 3.0f, 0.125f, 2.0f, -0.75f};
    float fc_w[4 * N], fc_b[4] = {0.1f, 0.2f, -0.3f, 0};
    fill(fc_w, 4 * N, 0.5f);
    struct tb_tensor t[] = {
        /* 0 */ {"x", T_FLOAT32, .rank = 2, .dims = {1, N}},
        /* 1 */ {"y", T_FLOAT32, .rank = 2, .dims = {1, N}},
        /* 2 */ {"half", T_FLOAT16, .rank = 1, .dims = {N}, CONSTF(half)},
        /* 3 */ {"c", T_FLOAT32, .rank = 1, .dims = {N}},
        /* 4 */ {"sqdiff", T_FLOAT32, .rank = 2, .dims = {1, N}},
        /* 5 */ {"rsqrt", T_FLOAT32, .rank = 2, .dims = {1, N}},
        /* 6 */ {"hswish", T_FLOAT32, .rank = 2, .dims = {1, N}},
        /* 7 */ {"q", T_INT8, .rank = 2, .dims = {1, N}, .n_scales = 1,
                 .scales = (const float[]){0.1f}, .zero_points = (const int64_t[]){0}},
        /* 8 */ {"dq", T_FLOAT32, .rank = 2, .dims = {1, N}},
        /* 9 */ {"sum", T_FLOAT32, .rank = 2, .dims = {1, N}},
        /* 10 */ {"fc_w", T_FLOAT32, .rank = 2, .dims = {4, N}, CONSTF(fc_w)},
        /* 11 */ {"fc_b", T_FLOAT32, .rank = 1, .dims = {4}, CONSTF(fc_b)},
        /* 12 */ {"fc", T_FLOAT32, .rank = 2, .dims = {1, 4}},
        /* 13 */ {"sm", T_FLOAT32, .rank = 2, .dims = {1, 4}},
    };
    struct tb_op ops[] = {
        {DEQUANTIZE, NULL, 1, {2}, 1, {3}},
        {SQUARED_DIFFERENCE, NULL, 2, {0, 3}, 1, {4}},
        {RSQRT, NULL, 1, {1}, 1, {5}},
        {HARD_SWISH, NULL, 1, {4}, 1, {6}},
        {QUANTIZE, NULL, 1, {6}, 1, {7}},
        {DEQUANTIZE, NULL, 1, {7}, 1, {8}},
        {ADD, NULL, 2, {8, 5}, 1, {9}, O_ADD, 1, {{0, 'b', 1}}},
        {FULLY_CONNECTED, NULL, 3, {9, 10, 11}, 1, {12}, O_FC, 1, {{0, 'b', 0}}},
        {SOFTMAX, NULL, 1, {12}, 1, {13}, O_SOFTMAX, 1, {{0, 'f', 2.0}}},
    };
    struct tb_model m = {14, t, 9, ops, 2, {0, 1}, 1, {13}};
    double sum[N], fc[4], z = 0;
    for (int i = 0; i < N; i++) {
        double d = x[i] - halff[i], sq = d * d;
        double hs = sq * fmin(fmax(sq / 6 + 0.5, 0), 1);
        sum[i] = fmax(hs + 1 / sqrt(y[i]), 0);
    }
    for (int o = 0; o < 4; o++) {
        fc[o] = fc_b[o];
        for (int i = 0; i < N; i++)
            fc[o] += sum[i] * fc_w[o * N + i];
        z += exp(2 * fc[o]);
    }
    for (int o = 0; o < 4; o++)
        want[o] = (float)(exp(2 * fc[o]) / z);
    struct imp_tensor_info info;
    const float *ins[] = {x, y};
    int n = run(&m, ins, &info, got, 16);
    CHECK(n == 4 && info.rank == 2 && info.dims[1] == 4);
    if (n == 4)
        CHECK(close_all(got, want, n, 1e-5));
}

/* ---- refusals ---------------------------------------------------------------------- */

static enum imp_status refused(const struct tb_model *m, const char *needle)
{
    struct imp_model *mm;
    struct imp_error err;
    enum imp_status st = load(m, &mm, &err);
    imp_model_free(mm);
    if (st != IMP_OK && (!strstr(err.message, "tflite: ") || !strstr(err.message, needle))) {
        printf("  message '%s' lacks '%s'\n", err.message, needle);
        return IMP_OK;
    }
    return st;
}

static void refusals_name_the_problem(void)
{
    float w[2 * 3 * 3 * 2], x4[4];
    fill(w, 36, 1.0f);
    fill(x4, 4, 1.0f);
    struct tb_tensor t[] = {
        /* 0 */ {"x", T_FLOAT32, T4(4, 1, 4, 4, 2)},
        /* 1 */ {"w", T_FLOAT32, T4(4, 2, 3, 3, 2), CONSTF(w)},
        /* 2 */ {"y", T_FLOAT32, T4(4, 1, 4, 4, 2)},
        /* 3 */ {"w_live", T_FLOAT32, T4(4, 2, 3, 3, 2)},
    };
    struct tb_op op = {CONV_2D, NULL, 2, {0, 1}, 1, {2}, O_CONV, 3,
                       {{1, 'i', 1}, {2, 'i', 1}, {3, 'b', 0}}};
    struct tb_model m = {3, t, 1, &op, 1, {0}, 1, {2}};
    CHECK_STATUS(refused(&m, "x"), IMP_OK);

    op.fields[2].v = 5; /* SIGN_BIT */
    CHECK_STATUS(refused(&m, "fused activation 5"), IMP_ERR_UNSUPPORTED);
    op.fields[2].v = 0;
    op.fields[0].v = 0;
    CHECK_STATUS(refused(&m, "stride 0"), IMP_ERR_FORMAT);
    op.fields[0].v = 1;
    op.opt_type = O_POOL;
    CHECK_STATUS(refused(&m, "options of type 5"), IMP_ERR_FORMAT);
    op.opt_type = O_CONV;

    /* Weights computed at run time. */
    struct tb_model live = {4, t, 1, &op, 2, {0, 3}, 1, {2}};
    op.in[1] = 3;
    CHECK_STATUS(refused(&live, "must be constant"), IMP_ERR_UNSUPPORTED);
    op.in[1] = 1;

    /* Buffer shorter than the shape says. */
    t[1].nbytes -= 4;
    CHECK_STATUS(refused(&m, "'w': buffer"), IMP_ERR_FORMAT);
    t[1].nbytes += 4;

    /* An operator writing the model input, one writing a constant. */
    op.out[0] = 0;
    CHECK_STATUS(refused(&m, "model input"), IMP_ERR_FORMAT);
    op.out[0] = 1;
    CHECK_STATUS(refused(&m, "constant"), IMP_ERR_FORMAT);
    op.out[0] = 2;

    /* Builtins we know but do not run, unknown builtins, unknown customs. */
    op.code = EXP;
    op.opt_type = 0;
    CHECK_STATUS(refused(&m, "operator 0 (EXP)"), IMP_ERR_UNSUPPORTED);
    op.code = 250;
    CHECK_STATUS(refused(&m, "unknown builtin operator code 250"), IMP_ERR_UNSUPPORTED);
    op.code = CUSTOM;
    op.custom = "FancyOp";
    CHECK_STATUS(refused(&m, "'FancyOp'"), IMP_ERR_UNSUPPORTED);
    op.custom = NULL;
    op.code = CONV_2D;
    op.opt_type = O_CONV;

    /* SYMMETRIC mirror padding has no ONNX counterpart. */
    int32_t pads[8] = {0};
    struct tb_tensor pt[] = {
        {"x", T_FLOAT32, T4(4, 1, 4, 4, 2)},
        {"pads", T_INT32, .rank = 2, .dims = {4, 2}, CONSTF(pads)},
        {"y", T_FLOAT32, T4(4, 1, 4, 4, 2)},
    };
    struct tb_op pop = {MIRROR_PAD, NULL, 2, {0, 1}, 1, {2}, O_MIRROR_PAD, 1,
                        {{0, 'b', 1}}};
    struct tb_model pm = {3, pt, 1, &pop, 1, {0}, 1, {2}};
    CHECK_STATUS(refused(&pm, "SYMMETRIC"), IMP_ERR_UNSUPPORTED);

    /* Per-channel scales that do not match the quantized dimension. */
    int8_t q[36] = {0};
    float scales[3] = {1, 1, 1};
    int64_t zps[3] = {0, 0, 0};
    struct tb_tensor qt[] = {
        {"x", T_FLOAT32, T4(4, 1, 4, 4, 2)},
        {"wq", T_INT8, T4(4, 2, 3, 3, 2), CONSTF(q), .n_scales = 3,
         .scales = scales, .zero_points = zps, .qdim = 0},
        {"y", T_FLOAT32, T4(4, 1, 4, 4, 2)},
    };
    struct tb_op qop = {CONV_2D, NULL, 2, {0, 1}, 1, {2}, O_CONV, 2,
                        {{1, 'i', 1}, {2, 'i', 1}}};
    struct tb_model qm = {3, qt, 1, &qop, 1, {0}, 1, {2}};
    CHECK_STATUS(refused(&qm, "3 scales"), IMP_ERR_FORMAT);

    /* An output nothing computes. */
    struct tb_model orphan = {4, t, 1, &op, 1, {0}, 1, {3}};
    CHECK_STATUS(refused(&orphan, "'w_live' is not computed"), IMP_ERR_FORMAT);
}

/* ---- the flatbuffer accessor on hostile bytes ---------------------------------------- */

static void put(uint8_t *b, size_t at, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        b[at + i] = (uint8_t)(v >> (8 * i));
}

static void fb_accessor_refuses_bad_offsets(void)
{
    uint8_t b[64];
    struct imp_fb fb;
    struct imp_fb_table t, sub;
    struct imp_fb_vec v;

    /* root -> table at 12, vtable at 4: 2 fields, object 12 bytes. */
    memset(b, 0, sizeof b);
    put(b, 0, 12, 4);
    put(b, 4, 8, 2);   /* vtable bytes */
    put(b, 6, 12, 2);  /* object bytes */
    put(b, 8, 4, 2);   /* field 0 at +4 */
    put(b, 10, 8, 2);  /* field 1 at +8 */
    put(b, 12, 8, 4);  /* soffset: vtable at 12 - 8 */
    put(b, 16, 7, 4);  /* field 0: int 7 */
    put(b, 20, 8, 4);  /* field 1: offset to a vector at 28 */
    put(b, 28, 3, 4);  /* 3 ints */
    imp_fb_init(&fb, b, 44);
    CHECK(imp_fb_root(&fb, NULL, &t));
    CHECK(imp_fb_i32(&t, 0, -1) == 7);
    CHECK(imp_fb_i32(&t, 5, -1) == -1); /* past the vtable: absent */
    CHECK(imp_fb_vector(&t, 1, 4, &v) && v.n == 3);
    CHECK(!imp_fb_bad(&fb));
    imp_fb_vec_i32(&v, 3);
    CHECK(imp_fb_bad(&fb)); /* index out of range */

    /* The same vector, but longer than the buffer. */
    put(b, 28, 0x40000000, 4);
    imp_fb_init(&fb, b, 44);
    CHECK(imp_fb_root(&fb, NULL, &t));
    CHECK(!imp_fb_vector(&t, 1, 4, &v) && imp_fb_bad(&fb));
    put(b, 28, 3, 4);

    /* An int64 read from a 4-byte slot at the end of the object. */
    imp_fb_init(&fb, b, 44);
    CHECK(imp_fb_root(&fb, NULL, &t));
    imp_fb_i64(&t, 1, 0);
    CHECK(imp_fb_bad(&fb) && strstr(fb.bad_what, "outside"));

    /* Strings: terminated inside the buffer, then not. */
    const char *s;
    size_t len;
    put(b, 28, 11, 4); /* 11 chars at 32..42, NUL at 43 */
    memcpy(b + 32, "hello world", 11);
    imp_fb_init(&fb, b, 44);
    CHECK(imp_fb_root(&fb, NULL, &t));
    CHECK(imp_fb_string(&t, 1, &s, &len) && len == 11 && strcmp(s, "hello world") == 0);
    imp_fb_init(&fb, b, 43);
    CHECK(imp_fb_root(&fb, NULL, &t));
    CHECK(!imp_fb_string(&t, 1, &s, &len) && imp_fb_bad(&fb) && !s);
    b[43] = 'x';
    imp_fb_init(&fb, b, 44);
    CHECK(imp_fb_root(&fb, NULL, &t));
    CHECK(!imp_fb_string(&t, 1, &s, &len) && imp_fb_bad(&fb));
    b[43] = 0;
    put(b, 28, 3, 4);

    /* soffset pointing before the buffer; odd vtable size; a zero uoffset. */
    put(b, 12, 100, 4);
    imp_fb_init(&fb, b, 44);
    CHECK(!imp_fb_root(&fb, NULL, &t) && strstr(fb.bad_what, "vtable"));
    put(b, 12, 8, 4);
    put(b, 4, 7, 2);
    imp_fb_init(&fb, b, 44);
    CHECK(!imp_fb_root(&fb, NULL, &t));
    put(b, 4, 8, 2);
    put(b, 20, 0, 4);
    imp_fb_init(&fb, b, 44);
    CHECK(imp_fb_root(&fb, NULL, &t) && !imp_fb_table(&t, 1, &sub) && imp_fb_bad(&fb));
    put(b, 20, 8, 4);

    /* A sticky error: after one failure every access gives defaults. */
    CHECK(imp_fb_i32(&t, 0, -5) == -5);

    /* The resolution budget. */
    imp_fb_init(&fb, b, 44);
    fb.budget = 1;
    CHECK(imp_fb_root(&fb, NULL, &t));
    CHECK(!imp_fb_table(&t, 1, &sub) && strstr(fb.bad_what, "too many"));
}

/* Tables nested past the depth limit are refused. */
static void fb_accessor_limits_depth(void)
{
    enum { LEVELS = IMP_FB_MAX_DEPTH + 8 };
    /* Each level: vtable (6 bytes, padded to 8) + table (8 bytes) whose
     * field 0 points to the next level's table. */
    uint8_t b[8 + LEVELS * 16];
    memset(b, 0, sizeof b);
    for (int i = 0; i < LEVELS; i++) {
        size_t vt = 8 + (size_t)i * 16, t = vt + 8;
        put(b, vt, 6, 2);
        put(b, vt + 2, 8, 2);
        put(b, vt + 4, i + 1 < LEVELS ? 4 : 0, 2);
        put(b, t, 8, 4);
        if (i + 1 < LEVELS)
            put(b, t + 4, 12, 4); /* next table: 16 bytes after this one */
    }
    put(b, 0, 16, 4);
    struct imp_fb fb;
    struct imp_fb_table t;
    imp_fb_init(&fb, b, sizeof b);
    CHECK(imp_fb_root(&fb, NULL, &t));
    int depth = 0;
    while (imp_fb_table(&t, 0, &t))
        depth++;

    CHECK(depth == IMP_FB_MAX_DEPTH);
    CHECK(imp_fb_bad(&fb) && strstr(fb.bad_what, "deeply"));
}

int main(void)
{
    RUN(fb_accessor_refuses_bad_offsets);
    RUN(fb_accessor_limits_depth);
    RUN(conv_same_stride2_relu6);
    RUN(conv_valid_dilated_relu);
    RUN(open_dims_same_padding);
    RUN(depthwise_int8_per_channel);
    RUN(pooling_excludes_padding);
    RUN(transposed_convolutions);
    RUN(resize_modes);
    RUN(dynamic_resize_size);
    RUN(depth_to_space);
    RUN(strided_slice_masks);
    RUN(mean_pad_concat_reshape);
    RUN(layouts_after_convolution);
    RUN(elementwise_and_dense);
    RUN(refusals_name_the_problem);
    return imp_test_finish();
}
