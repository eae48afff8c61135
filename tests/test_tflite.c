/*
 * The TFLite reader against real models from ../shared/models: their
 * declared I/O, the operators they translate to, the reference statistics
 * from ../shared/models/README.md (computed there by an independent
 * implementation), and hostile edits of a real file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "core/util.h"
#include "formats/fb.h"
#include "formats/formats.h"
#include "harness.h"
#include "runtime/model.h"

#define SELFIE "models/segmentation/mediapipe-selfie/selfie_segmentation.tflite"
#define LANDSCAPE \
    "models/segmentation/mediapipe-selfie/selfie_segmentation_landscape.tflite"
#define MAGENTA "models/style/magenta-arbitrary-tflite/"
#define PREDICT MAGENTA "style_predict_quantized_256.tflite"
#define TRANSFER_F16 MAGENTA "style_transfer_f16_384.tflite"
#define TRANSFER_INT8 MAGENTA "style_transfer_quantized_384.tflite"
#define TRANSFER_DYN MAGENTA "style_transfer_quantized_dynamic.tflite"

static char path_buf[1024];

static const char *shared(const char *rel)
{
    return imp_test_shared(rel, path_buf, sizeof path_buf);
}

static struct imp_model *load(const char *rel)
{
    const char *path = shared(rel);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (!path)
        return NULL;
    if (imp_model_load_file(path, &m, &err) != IMP_OK)
        printf("  load %s: %s\n", rel, err.message);
    return m;
}

static bool dims_are(const struct imp_tensor_info *t, int rank, int64_t a,
                     int64_t b, int64_t c, int64_t d)
{
    int64_t want[4] = {a, b, c, d};
    if (t->rank != rank)
        return false;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != want[i])
            return false;
    return true;
}

static int count_op(const struct imp_model *m, const char *op)
{
    int n = 0;
    for (int i = 0; i < imp_model_node_count(m); i++)
        n += strcmp(imp_model_node_op(m, i), op) == 0;
    return n;
}

/* Conv nodes carrying the fused activation `act` (passes/fuse_activation.c). */
static int count_fused(const struct imp_model *m, const char *act)
{
    int n = 0;
    for (int i = 0; i < m->graph.n_nodes; i++) {
        const struct imp_node *node = &m->graph.nodes[i];
        n += node->op == IMP_OP_CONV &&
             strcmp(imp_node_string(node, "activation", ""), act) == 0;
    }
    return n;
}

/* ---- I/O and translation ------------------------------------------------ */

static void selfie_io_and_ops(void)
{
    struct imp_model *m = load(SELFIE);
    if (!CHECK(m))
        return;
    struct imp_tensor_info t;
    CHECK(strcmp(imp_model_source_format(m), "tflite") == 0);
    CHECK(imp_model_input_count(m) == 1 && imp_model_output_count(m) == 1);
    CHECK_STATUS(imp_model_input_info(m, 0, &t), IMP_OK);
    CHECK(strcmp(t.name, "input_1") == 0 && t.dtype == IMP_DTYPE_F32);
    CHECK(dims_are(&t, 4, 1, 256, 256, 3));
    CHECK_STATUS(imp_model_output_info(m, 0, &t), IMP_OK);
    CHECK(strcmp(t.name, "activation_10") == 0 && t.dtype == IMP_DTYPE_F32);
    CHECK(dims_are(&t, 4, 1, 256, 256, 1));
    /* The file: 43 CONV_2D + 11 DEPTHWISE_CONV_2D, 1 custom transposed
     * conv, 10 AVERAGE_POOL_2D, 22 RELU, 11 LOGISTIC, 11 HARD_SWISH,
     * 14 ADD, 10 MUL, 3 RESIZE_BILINEAR; its 110 DEQUANTIZEs of fp16
     * weights are constants now, and every activation after a conv is
     * fused into it (the last Sigmoid follows the transposed conv). */
    CHECK(count_op(m, "Conv") == 54);
    CHECK(count_op(m, "ConvTranspose") == 1);
    CHECK(count_op(m, "AveragePool") == 10);
    CHECK(count_op(m, "Relu") == 0);
    CHECK(count_op(m, "Sigmoid") == 1);
    CHECK(count_op(m, "HardSwish") == 0);
    CHECK(count_fused(m, "Relu") == 22);
    CHECK(count_fused(m, "Sigmoid") == 10);
    CHECK(count_fused(m, "HardSwish") == 11);
    CHECK(count_op(m, "Add") == 14);
    CHECK(count_op(m, "Mul") == 10);
    CHECK(count_op(m, "Resize") == 3);
    CHECK(count_op(m, "Identity") == 0);
    CHECK(count_op(m, "Cast") == 0);
    /* Values stay NCHW from the first convolution to the last: only the
     * model's NHWC input and output need a Transpose. */
    CHECK(count_op(m, "Transpose") == 2);
    /* 106k parameters in the file; re-laid-out copies replace originals. */
    int64_t params = imp_model_param_count(m);
    CHECK(params > 100000 && params < 112000);
    imp_model_free(m);

    m = load(LANDSCAPE);
    if (!CHECK(m))
        return;
    CHECK_STATUS(imp_model_input_info(m, 0, &t), IMP_OK);
    CHECK(dims_are(&t, 4, 1, 144, 256, 3));
    CHECK_STATUS(imp_model_output_info(m, 0, &t), IMP_OK);
    CHECK(strcmp(t.name, "segment_back") == 0);
    CHECK(dims_are(&t, 4, 1, 144, 256, 1));
    CHECK(count_op(m, "ReduceMean") == 10);
    CHECK(count_op(m, "AveragePool") == 0);
    CHECK(count_op(m, "Transpose") == 2);
    imp_model_free(m);
}

static void magenta_io_and_ops(void)
{
    struct imp_model *m = load(PREDICT);
    if (!CHECK(m))
        return;
    struct imp_tensor_info t;
    CHECK_STATUS(imp_model_input_info(m, 0, &t), IMP_OK);
    CHECK(strcmp(t.name, "style_image") == 0 && t.dtype == IMP_DTYPE_F32);
    CHECK(dims_are(&t, 4, 1, 256, 256, 3));
    CHECK_STATUS(imp_model_output_info(m, 0, &t), IMP_OK);
    CHECK(strcmp(t.name, "mobilenet_conv/Conv/BiasAdd") == 0);
    CHECK(dims_are(&t, 4, 1, 1, 1, 100));
    /* 53 CONV_2D/DEPTHWISE_CONV_2D, 1 MEAN, 10 ADD; 35 fused RELU6, each
     * a Clip that fusion puts back into its conv. */
    CHECK(count_op(m, "Conv") == 53);
    CHECK(count_op(m, "ReduceMean") == 1);
    CHECK(count_op(m, "Add") == 10);
    CHECK(count_op(m, "Clip") == 0);
    CHECK(count_fused(m, "Clip") == 35);
    CHECK(count_op(m, "Transpose") == 2);
    int64_t params = imp_model_param_count(m);
    CHECK(params > 2300000 && params < 2400000);
    imp_model_free(m);

    const char *transfers[] = {TRANSFER_F16, TRANSFER_INT8, TRANSFER_DYN};
    for (int i = 0; i < 3; i++) {
        m = load(transfers[i]);
        if (!CHECK(m))
            continue;
        CHECK(imp_model_input_count(m) == 2);
        CHECK_STATUS(imp_model_input_info(m, 0, &t), IMP_OK);
        CHECK(strcmp(t.name, "content_image") == 0);
        CHECK(dims_are(&t, 4, 1, 384, 384, 3));
        CHECK_STATUS(imp_model_input_info(m, 1, &t), IMP_OK);
        CHECK(strcmp(t.name, "mobilenet_conv/Conv/BiasAdd") == 0);
        CHECK(dims_are(&t, 4, 1, 1, 1, 100));
        CHECK_STATUS(imp_model_output_info(m, 0, &t), IMP_OK);
        CHECK(strcmp(t.name, "transformer/expand/conv3/conv/Sigmoid") == 0);
        CHECK(dims_are(&t, 4, 1, 384, 384, 3));
        /* 42 CONV_2D, 16 MIRROR_PAD, 3 RESIZE_NEAREST_NEIGHBOR; 13 instance
         * norms written as MEAN, SQUARED_DIFFERENCE (Sub + Mul), RSQRT
         * (Sqrt + Div), Mul, Sub, Add: each is one InstanceNormalization
         * after load, and the MIRROR_PADs that follow a norm's Relu are in
         * it too; the two before the stride-2 convolutions are in those
         * (passes/fuse_pad_conv.c). With constant resize sizes (not the dynamic model) the
         * two x2 resizes become scales, and then sub-pixel convolutions
         * (Pad + Conv + DepthToSpace, the Pad in the norm before), and the
         * 384 -> 384 one is gone. */
        CHECK(count_op(m, "Conv") == 42);
        CHECK(count_op(m, "Pad") == (i == 2 ? 9 : 7));
        CHECK(count_op(m, "Resize") == (i == 2 ? 3 : 0));
        CHECK(count_op(m, "DepthToSpace") == (i == 2 ? 0 : 2));
        CHECK(count_op(m, "InstanceNormalization") == 13);
        CHECK(count_op(m, "Sqrt") == 0);
        CHECK(count_op(m, "ReduceMean") == 0);
        CHECK(count_op(m, "Div") == 0);
        CHECK(count_op(m, "Sigmoid") == 1);
        /* Content in, bottleneck in, image out; the dynamic model also
         * reads three NHWC shapes. */
        CHECK(count_op(m, "Transpose") <= (i == 2 ? 6 : 3));
        imp_model_free(m);
    }
}

/* ---- reference statistics ----------------------------------------------- */

/* Run a model on float inputs; returns a malloc'd copy of output 0. */
static float *run(struct imp_model *m, int n_inputs, const float *const *inputs,
                  size_t *count)
{
    struct imp_predictor *p;
    struct imp_error err;
    if (imp_predictor_init(m, NULL, &p, &err) != IMP_OK) {
        printf("  predictor: %s\n", err.message);
        return NULL;
    }
    for (int i = 0; i < n_inputs; i++) {
        struct imp_tensor_info t;
        imp_model_input_info(m, i, &t);
        size_t n = 1;
        for (int d = 0; d < t.rank; d++)
            n *= (size_t)t.dims[d];
        if (imp_predictor_set_input(p, i, inputs[i], n * sizeof(float)) != IMP_OK)
            printf("  set_input %d: %s\n", i, imp_predictor_last_error(p));
    }
    float *copy = NULL;
    if (imp_predictor_run(p) != IMP_OK) {
        printf("  run: %s\n", imp_predictor_last_error(p));
    } else {
        struct imp_tensor_info t;
        const void *data;
        if (imp_predictor_output(p, 0, &t, &data) == IMP_OK) {
            *count = 1;
            for (int d = 0; d < t.rank; d++)
                *count *= (size_t)t.dims[d];
            copy = malloc(*count * sizeof *copy);
            if (copy)
                memcpy(copy, data, *count * sizeof *copy);
        }
    }
    imp_predictor_free(p);
    return copy;
}

/* Rows [0, rows) of the 512x512 astronaut, 2x2-mean-pooled, in 0..1. */
static float *astronaut_pooled(int rows, int *h, int *w)
{
    struct imp_image img;
    char err[256];
    if (imp_image_load(IMP_SOURCE_DIR "/assets/astronaut.png", &img, err,
                       sizeof err) != 0) {
        printf("  image: %s\n", err);
        return NULL;
    }
    float *out = NULL;
    if (img.channels == 3 && img.width == 512 && img.height >= rows) {
        *h = rows / 2;
        *w = img.width / 2;
        out = malloc((size_t)*h * *w * 3 * sizeof *out);
        for (int y = 0; out && y < *h; y++)
            for (int x = 0; x < *w; x++)
                for (int c = 0; c < 3; c++) {
                    int s = 0;
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++)
                            s += img.pixels[((size_t)(2 * y + dy) * img.width +
                                             2 * x + dx) * 3 + c];
                    out[((size_t)y * *w + x) * 3 + c] = (float)s / 4.0f / 255.0f;
                }
    }
    imp_image_free(&img);
    return out;
}

static void selfie_reference_mask(void)
{
    struct imp_model *m = load(SELFIE);
    int h, w;
    float *img = astronaut_pooled(512, &h, &w);
    if (!CHECK(m && img))
        goto done;
    size_t n = 0;
    const float *ins[1] = {img};
    float *mask = run(m, 1, ins, &n);
    if (!CHECK(mask && n == 256 * 256))
        goto done;
    double sum = 0;
    int above = 0;
    for (size_t i = 0; i < n; i++) {
        sum += mask[i];
        above += mask[i] > 0.5f;
    }
    printf("  mask mean %.4f, > 0.5: %.4f, m[10,10] %.4f, m[128,128] %.4f\n",
           sum / n, (double)above / n, mask[10 * 256 + 10], mask[128 * 256 + 128]);
    CHECK(fabs(sum / n - 0.5443) < 1e-3);
    CHECK(fabs((double)above / n - 0.5450) < 1e-3);
    CHECK(mask[10 * 256 + 10] < 0.005f);
    CHECK(mask[128 * 256 + 128] > 0.995f);
    free(mask);
done:
    free(img);
    imp_model_free(m);
}

static void landscape_reference_mask(void)
{
    struct imp_model *m = load(LANDSCAPE);
    int h, w;
    float *img = astronaut_pooled(288, &h, &w);
    if (!CHECK(m && img && h == 144 && w == 256))
        goto done;
    size_t n = 0;
    const float *ins[1] = {img};
    float *mask = run(m, 1, ins, &n);
    if (!CHECK(mask && n == 144 * 256))
        goto done;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += mask[i];
    printf("  landscape mask mean %.4f\n", sum / n);
    CHECK(fabs(sum / n - 0.2984) < 1e-3);
    free(mask);
done:
    free(img);
    imp_model_free(m);
}

/* The README's synthetic image, NHWC, in 0..1. */
static float *synthetic(int size)
{
    float *v = malloc((size_t)size * size * 3 * sizeof *v);
    for (int y = 0; v && y < size; y++)
        for (int x = 0; x < size; x++)
            for (int c = 0; c < 3; c++)
                v[((size_t)y * size + x) * 3 + c] =
                    (float)(127.5 * (1.0 + sin(0.05 * x + 0.09 * y + c)) / 255.0);
    return v;
}

static void magenta_reference_stylisation(void)
{
    struct imp_model *pm = load(PREDICT);
    float *style = synthetic(256), *content = synthetic(384);
    float *bottleneck = NULL;
    if (!CHECK(pm && style && content))
        goto done;
    size_t n = 0;
    const float *ins[2] = {style, NULL};
    bottleneck = run(pm, 1, ins, &n);
    if (!CHECK(bottleneck && n == 100))
        goto done;
    double norm = 0;
    for (int i = 0; i < 100; i++)
        norm += (double)bottleneck[i] * bottleneck[i];
    printf("  bottleneck norm %.4f, first %.4f %.4f %.4f %.4f %.4f\n", sqrt(norm),
           bottleneck[0], bottleneck[1], bottleneck[2], bottleneck[3], bottleneck[4]);
    CHECK(fabs(sqrt(norm) - 14.85) < 6e-3);
    const double first[5] = {0.5136, 0.7961, 2.3096, 1.7132, 0.3204};
    for (int i = 0; i < 5; i++)
        CHECK(fabs(bottleneck[i] - first[i]) < 1e-3);

    const char *models[2] = {TRANSFER_F16, TRANSFER_INT8};
    const double want[2][3] = {{0.6309, 0.5650, 0.5804}, {0.6315, 0.5625, 0.5843}};
    for (int k = 0; k < 2; k++) {
        struct imp_model *tm = load(models[k]);
        if (!CHECK(tm))
            continue;
        ins[0] = content;
        ins[1] = bottleneck;
        float *out = run(tm, 2, ins, &n);
        if (CHECK(out && n == 384 * 384 * 3)) {
            double mean[3] = {0, 0, 0};
            for (size_t i = 0; i < n; i++)
                mean[i % 3] += out[i];
            for (int c = 0; c < 3; c++)
                CHECK(fabs(mean[c] / (n / 3) - want[k][c]) < 1e-3);
            printf("  %s: mean RGB %.4f %.4f %.4f\n", models[k], mean[0] / (n / 3),
                   mean[1] / (n / 3), mean[2] / (n / 3));
        }
        free(out);
        imp_model_free(tm);
    }
done:
    free(bottleneck);
    free(style);
    free(content);
    imp_model_free(pm);
}

/* The dynamic-range model has no published statistics; it is the int8
 * model's graph with hybrid ops, so it must land near the int8 result. */
static void magenta_dynamic_runs(void)
{
    struct imp_model *m = load(TRANSFER_DYN);
    float *content = synthetic(384);
    float bottleneck[100];
    for (int i = 0; i < 100; i++)
        bottleneck[i] = (float)(0.5 + 0.5 * sin(i));
    if (!CHECK(m && content))
        goto done;
    size_t n = 0;
    const float *ins[2] = {content, bottleneck};
    float *out = run(m, 2, ins, &n);
    if (CHECK(out && n == 384 * 384 * 3)) {
        bool in_range = true;
        for (size_t i = 0; i < n; i++)
            in_range = in_range && out[i] >= 0.0f && out[i] <= 1.0f;
        CHECK(in_range);
    }
    free(out);
done:
    free(content);
    imp_model_free(m);
}

/* ---- hostile input ----------------------------------------------------------- */

static unsigned char *read_shared(const char *rel, size_t *size)
{
    const char *path = shared(rel);
    unsigned char *data = NULL;
    if (path && imp_read_file(path, &data, size) != 0)
        data = NULL;
    return data;
}

/* Any outcome but a crash is fine; a failure must explain itself. */
static bool loads_or_fails_cleanly(const unsigned char *data, size_t size)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    enum imp_status st = imp_model_load_buffer(data, size, &m, &err);
    imp_model_free(m);
    return st == IMP_OK || (err.status == st && err.message[0] != '\0');
}

static void truncations_fail_cleanly(void)
{
    size_t size;
    unsigned char *data = read_shared(SELFIE, &size);
    if (!CHECK(data))
        return;
    bool ok = true;
    int failures = 0;
    for (size_t cut = 0; cut < size; cut += cut < 256 ? 1 : 613) {
        struct imp_model *m = NULL;
        struct imp_error err;
        enum imp_status st = imp_model_load_buffer(data, cut, &m, &err);
        ok = ok && (st != IMP_OK ? err.message[0] != '\0' : true);
        failures += st != IMP_OK;
        imp_model_free(m);
    }
    CHECK(ok);
    /* Weights sit at the front of these files, so nearly every cut loses
     * structure the reader needs. */
    CHECK(failures > 600);
    free(data);
}

static void byte_flips_never_crash(void)
{
    size_t size;
    unsigned char *data = read_shared(SELFIE, &size);
    if (!CHECK(data))
        return;
    bool ok = true;
    uint32_t seed = 12345;
    /* Structure lives in the last part of the file (after the weights);
     * flip there mostly, with some flips anywhere. */
    for (int i = 0; i < 400 && ok; i++) {
        seed = seed * 1664525u + 1013904223u;
        size_t pos = (i % 4 == 0) ? seed % size : size - 1 - seed % 40000;
        unsigned char keep = data[pos];
        seed = seed * 1664525u + 1013904223u;
        data[pos] ^= (unsigned char)(1u << (seed >> 29));
        ok = loads_or_fails_cleanly(data, size);
        if (!ok)
            printf("  flip at %zu failed without a message\n", pos);
        data[pos] = keep;
    }
    CHECK(ok);
    free(data);
}

/* Byte offset of field `id` in table t (0: absent). */
static size_t field_at(const struct imp_fb_table *t, int id)
{
    const uint8_t *vt = t->fb->data + t->vt;
    if (4 + 2 * id + 2 > t->vt_size)
        return 0;
    unsigned fo = vt[4 + 2 * id] | vt[5 + 2 * id] << 8;
    return fo ? t->pos + fo : 0;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static enum imp_status load_edited(const unsigned char *data, size_t size,
                                   struct imp_error *err)
{
    struct imp_model *m = NULL;
    enum imp_status st = imp_model_load_buffer(data, size, &m, err);
    imp_model_free(m);
    if (st != IMP_OK)
        printf("  (%s)\n", err->message);
    return st;
}

static void specific_corruptions_are_named(void)
{
    size_t size;
    unsigned char *data = read_shared(SELFIE, &size);
    unsigned char *copy = data ? malloc(size) : NULL;
    if (!CHECK(data && copy))
        goto done;
    /* Locate the parts to damage with the accessor itself. */
    struct imp_fb fb;
    imp_fb_init(&fb, data, size);
    struct imp_fb_table model, sg, code0, op0, tensor_w;
    struct imp_fb_vec sgs, tensors, ops, codes, op_in;
    CHECK(imp_fb_root(&fb, "TFL3", &model));
    CHECK(imp_fb_vector(&model, 1, 4, &codes));
    CHECK(imp_fb_vector(&model, 2, 4, &sgs));
    CHECK(imp_fb_vec_table(&sgs, 0, &sg));
    CHECK(imp_fb_vector(&sg, 0, 4, &tensors));
    CHECK(imp_fb_vector(&sg, 3, 4, &ops));
    CHECK(imp_fb_vec_table(&ops, 0, &op0));
    CHECK(imp_fb_vector(&op0, 1, 4, &op_in));
    /* Operator 0 dequantizes a constant (fp16 weights). */
    int wt = imp_fb_vec_i32(&op_in, 0);
    CHECK(imp_fb_vec_table(&tensors, (uint32_t)wt, &tensor_w));
    uint32_t op0_code = imp_fb_u32(&op0, 0, 0);
    CHECK(imp_fb_vec_table(&codes, op0_code, &code0));
    if (!CHECK(!imp_fb_bad(&fb)))
        goto done;
    struct imp_error err;

    /* Buffer index out of range. */
    memcpy(copy, data, size);
    size_t at = field_at(&tensor_w, 2);
    if (CHECK(at)) {
        put32(copy + at, 0x7fffff);
        CHECK_STATUS(load_edited(copy, size, &err), IMP_ERR_FORMAT);
        CHECK(strstr(err.message, "tflite: ") && strstr(err.message, "buffer index"));
    }

    /* A vtable offset past the end of the file. */
    memcpy(copy, data, size);
    put32(copy + tensor_w.pos, (uint32_t)(int32_t)(tensor_w.pos - size - 64));
    CHECK_STATUS(load_edited(copy, size, &err), IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "tflite: ") && strstr(err.message, "vtable"));

    /* Data size mismatch: one more row in the weights' shape. */
    memcpy(copy, data, size);
    struct imp_fb_vec shape;
    at = field_at(&tensor_w, 0);
    if (CHECK(at && imp_fb_vector(&tensor_w, 0, 4, &shape) && shape.n)) {
        uint32_t d0 = (uint32_t)imp_fb_vec_i32(&shape, 0);
        put32(copy + shape.pos, d0 + 1);
        CHECK_STATUS(load_edited(copy, size, &err), IMP_ERR_FORMAT);
        CHECK(strstr(err.message, "holds") && strstr(err.message, "bytes"));
    }

    /* An opcode nobody knows, in both code fields. */
    memcpy(copy, data, size);
    size_t dep = field_at(&code0, 0), code = field_at(&code0, 3);
    if (CHECK(dep && code)) {
        copy[dep] = 127;
        put32(copy + code, 4000);
        CHECK_STATUS(load_edited(copy, size, &err), IMP_ERR_UNSUPPORTED);
        CHECK(strstr(err.message, "operator 0") && strstr(err.message, "4000"));
    }

    /* An operator pointing past the opcode list. */
    memcpy(copy, data, size);
    at = field_at(&op0, 0);
    if (CHECK(at)) {
        put32(copy + at, 999);
        CHECK_STATUS(load_edited(copy, size, &err), IMP_ERR_FORMAT);
        CHECK(strstr(err.message, "operator 0") && strstr(err.message, "opcode index"));
    }

    /* An input tensor index past the tensor list. */
    memcpy(copy, data, size);
    put32(copy + op_in.pos, 1u << 30);
    CHECK_STATUS(load_edited(copy, size, &err), IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "operator 0") && strstr(err.message, "out of range"));

    /* The reader on its own: a short header, a wrong identifier. */
    struct imp_graph g;
    CHECK_STATUS(imp_tflite_read(data, 7, &g, &err), IMP_ERR_FORMAT);
    CHECK(g.n_nodes == 0 && g.n_values == 0);
    memcpy(copy, data, size);
    copy[7] = 'X';
    CHECK_STATUS(imp_tflite_read(copy, size, &g, &err), IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "identifier") != NULL);
done:
    free(copy);
    free(data);
}

int main(void)
{
    if (!shared("models"))
        imp_test_skip("../shared/models is absent");
    RUN(selfie_io_and_ops);
    RUN(magenta_io_and_ops);
    RUN(selfie_reference_mask);
    RUN(landscape_reference_mask);
    RUN(magenta_reference_stylisation);
    RUN(magenta_dynamic_runs);
    RUN(truncations_fail_cleanly);
    RUN(byte_flips_never_crash);
    RUN(specific_corruptions_are_named);
    return imp_test_finish();
}
