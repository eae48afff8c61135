/*
 * The impasto program as a user meets it: help texts, exit codes, the
 * one-line error promise, and end-to-end runs on tiny ONNX models that this
 * test writes itself (so it needs nothing from ../shared).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_run.h"
#include "harness.h"
#include "image.h"
#include "npy.h"
#include "resample.h"

static struct imp_test_cli io;

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

/* ---- a minimal protobuf writer for ONNX test models ---------------------- */

struct pb {
    uint8_t buf[4096];
    size_t n;
};

static void pb_varint(struct pb *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (b->n < sizeof b->buf)
            b->buf[b->n++] = byte | (v ? 0x80 : 0);
    } while (v);
}

static void pb_int(struct pb *b, int field, int64_t v)
{
    pb_varint(b, (uint64_t)field << 3);
    pb_varint(b, (uint64_t)v);
}

static void pb_bytes(struct pb *b, int field, const void *data, size_t n)
{
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, n);
    if (b->n + n <= sizeof b->buf) {
        memcpy(b->buf + b->n, data, n);
        b->n += n;
    }
}

static void pb_str(struct pb *b, int field, const char *s)
{
    pb_bytes(b, field, s, strlen(s));
}

static void pb_msg(struct pb *b, int field, const struct pb *sub)
{
    pb_bytes(b, field, sub->buf, sub->n);
}

/* ValueInfoProto for a float tensor; dims < 0 are left open. */
static void value_info(struct pb *graph, int field, const char *name, int rank,
                       const int64_t *dims)
{
    struct pb shape = {0}, tensor = {0}, type = {0}, vi = {0};
    for (int d = 0; d < rank; d++) {
        struct pb dim = {0};
        if (dims[d] >= 0)
            pb_int(&dim, 1, dims[d]);
        else
            pb_str(&dim, 2, d == 2 ? "height" : "width");
        pb_msg(&shape, 1, &dim);
    }
    pb_int(&tensor, 1, 1); /* FLOAT */
    pb_msg(&tensor, 2, &shape);
    pb_msg(&type, 1, &tensor);
    pb_str(&vi, 1, name);
    pb_msg(&vi, 2, &type);
    pb_msg(graph, field, &vi);
}

static void node(struct pb *graph, const char *op, const char *in0, const char *in1,
                 const char *out)
{
    struct pb n = {0};
    pb_str(&n, 1, in0);
    if (in1)
        pb_str(&n, 1, in1);
    pb_str(&n, 2, out);
    pb_str(&n, 3, op);
    pb_str(&n, 4, op);
    pb_msg(graph, 1, &n);
}

static void save_model(const char *path, const struct pb *graph)
{
    struct pb model = {0}, opset = {0};
    pb_int(&model, 1, 8); /* ir_version */
    pb_str(&model, 2, "impasto test_cli");
    pb_msg(&model, 7, graph);
    pb_int(&opset, 2, 17);
    pb_msg(&model, 8, &opset);
    write_bytes(path, model.buf, model.n);
}

/* x [1,3,H,W] -> Sigmoid -> "prob/out:0" (a name no file may carry). */
static void write_sigmoid_model(const char *path, int64_t h, int64_t w)
{
    struct pb g = {0};
    node(&g, "Sigmoid", "x", NULL, "prob/out:0");
    pb_str(&g, 2, "sigmoid");
    int64_t dims[4] = {1, 3, h, w};
    value_info(&g, 11, "x", 4, dims);
    value_info(&g, 12, "prob/out:0", 4, dims);
    save_model(path, &g);
}

/* x [1,3,H,W] -> 1x1 Conv averaging the channels -> mask [1,1,H,W]. */
static void write_gray_model(const char *path, int64_t h, int64_t w)
{
    struct pb g = {0}, wt = {0};
    node(&g, "Conv", "x", "w", "mask");
    pb_str(&g, 2, "gray");
    int64_t wdims[4] = {1, 3, 1, 1};
    for (int d = 0; d < 4; d++)
        pb_int(&wt, 1, wdims[d]);
    pb_int(&wt, 2, 1);
    pb_str(&wt, 8, "w");
    float third[3] = {1.0f / 3, 1.0f / 3, 1.0f / 3};
    pb_bytes(&wt, 9, third, sizeof third);
    pb_msg(&g, 5, &wt);
    int64_t dims[4] = {1, 3, h, w}, mdims[4] = {1, 1, h, w};
    value_info(&g, 11, "x", 4, dims);
    value_info(&g, 12, "mask", 4, mdims);
    save_model(path, &g);
}

static struct imp_image test_photo(int w, int h)
{
    struct imp_image img = {w, h, 3, malloc((size_t)w * h * 3)};
    for (int i = 0; i < w * h * 3; i++)
        img.pixels[i] = (uint8_t)((i * 53 + (i / 3) * 7) % 256);
    return img;
}

/* ---- always: no model needed ---------------------------------------------- */

static void help_teaches_every_command(void)
{
    CHECK(imp_test_cli_run(&io, "--help") == 0);
    const char *cmds[] = {"info", "run", "segment", "bench", "convert", "train"};
    for (int i = 0; i < 6; i++) {
        CHECK(imp_test_has(io.out, cmds[i]));
    }
    for (int i = 0; i < 6; i++) {
        CHECK(imp_test_cli_run(&io, "%s --help", cmds[i]) == 0);
        CHECK(imp_test_has(io.out, "usage: impasto ") && imp_test_has(io.out, "examples:"));
        char help_text[sizeof io.out];
        strcpy(help_text, io.out);
        CHECK(imp_test_cli_run(&io, "help %s", cmds[i]) == 0);
        CHECK(strcmp(help_text, io.out) == 0);
    }
    CHECK(imp_test_cli_run(&io, "--version") == 0 && imp_test_has(io.out, "impasto "));
    CHECK(imp_test_cli_run(&io, "%s", "") == 2 && imp_test_has(io.out, "commands:"));
}

static void usage_errors_exit_2_with_one_line(void)
{
    const char *bad[] = {
        "frobnicate",
        "--frob",
        "help frobnicate",
        "info",
        "info a.onnx b.onnx",
        "info m.onnx --isa sse9",
        "info m.onnx --threads many",
        "info m.onnx --threads -3",
        "info m.onnx --shape 1xx3",
        "info m.onnx --shape x=",
        "info m.onnx --shape x=1x0x3",
        "info m.onnx --engine Conv",
        "info m.onnx --nope",
        "info m.onnx --threads",
        "bench m.onnx --runs 0",
        "bench m.onnx --json=yes",
        "run -o out",
        "run m.onnx -i x.npy",
        "run m.onnx -i x.npy -o out --scale abc",
        "run m.onnx -i x.npy -o out --mean 1,2",
        "run m.onnx -i x.npy -o out --std 0",
        "run m.onnx -i x.npy -o out --image-layout hwc",
        "segment m.onnx",
        "segment m.onnx photo.png",
        "convert m.onnx",
        "convert a b c",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int rc = imp_test_cli_run(&io, "%s", bad[k]);
        if (!CHECK(rc == 2) || !CHECK(imp_test_cli_one_error_line(&io, NULL)) ||
            !CHECK(imp_test_has(io.err, "--help")))
            printf("  for: impasto %s (exit %d)\n", bad[k], rc);
        CHECK(io.out[0] == '\0');
    }
}

static void bad_files_fail_with_one_line(void)
{
    write_bytes(imp_test_cli_path(&io, "empty.onnx"), "", 0);
    uint8_t junk[300];
    for (int i = 0; i < 300; i++)
        junk[i] = (uint8_t)(i * 97 + 13);
    write_bytes(imp_test_cli_path(&io, "junk.onnx"), junk, sizeof junk);
    uint8_t fake_tflite[64] = {16, 0, 0, 0, 'T', 'F', 'L', '3', 0xff, 0xff, 0xff, 0x7f};
    write_bytes(imp_test_cli_path(&io, "fake.tflite"), fake_tflite, sizeof fake_tflite);
    write_bytes(imp_test_cli_path(&io, "fake.imp"), "IMPASTO\0\1\0\0\0garbage", 20);
    const char *models[] = {
        "/nonexistent/model.onnx",           imp_test_cli_path(&io, "empty.onnx"),
        imp_test_cli_path(&io, "junk.onnx"), imp_test_cli_path(&io, "fake.tflite"),
        imp_test_cli_path(&io, "fake.imp"),  io.dir};
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        const char *cmds[] = {"info '%s'", "bench '%s' --runs 1",
                              "run '%s' -i x.npy -o out", "segment '%s' photo.png -o m.png",
                              "convert '%s' out.imp"};
        for (int c = 0; c < 5; c++) {
            char fmt[128];
            snprintf(fmt, sizeof fmt, "%s", cmds[c]);
            int rc = imp_test_cli_run(&io, fmt, models[k]);
            if (!CHECK(rc == 1) || !CHECK(imp_test_cli_one_error_line(&io, NULL)))
                printf("  for: %s on %s (exit %d)\n", cmds[c], models[k], rc);
        }
    }
    /* The one line names the file that was wrong. */
    CHECK(imp_test_cli_run(&io, "info /nonexistent/model.onnx") == 1);
    CHECK(imp_test_has(io.err, "impasto: /nonexistent/model.onnx: "));
}

/* ---- end to end on models this test writes -------------------------------- */

static bool model_loads(const char *path)
{
    struct imp_model *m;
    struct imp_error err;
    if (imp_model_load_file(path, &m, &err) != IMP_OK) {
        printf("  cannot load the test model: %s\n", err.message);
        return false;
    }
    imp_model_free(m);
    return true;
}

static float sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

static void info_describes_the_model(void)
{
    char model[256];
    snprintf(model, sizeof model, "%s", imp_test_cli_path(&io, "sigmoid.onnx"));
    write_sigmoid_model(model, -1, -1);
    if (!CHECK(model_loads(model)))
        return;
    CHECK(imp_test_cli_run(&io, "info '%s'", model) == 0);
    CHECK(imp_test_has(io.out, "onnx") && imp_test_has(io.out, "[1, 3, ?, ?]") &&
          imp_test_has(io.out, "Sigmoid") && imp_test_has(io.out, "activations: "));
    CHECK(imp_test_cli_run(&io, "info '%s' --shape x=1x3x20x30", model) == 0);
    CHECK(imp_test_has(io.out, "x=1x3x20x30") && imp_test_has(io.out, "[1, 3, 20, 30]"));
    /* 1*3*20*30 floats: 7200 bytes = 7.0 KiB, planned in place. */
    CHECK(imp_test_has(io.out, "7.0 KiB naive"));
    CHECK(imp_test_cli_run(&io, "info '%s' --shape 1x3x5x5", model) == 0 &&
          imp_test_has(io.out, "x=1x3x5x5"));
    CHECK(imp_test_cli_run(&io, "info '%s' --shape y=1x3x4x4", model) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) &&
          imp_test_has(io.err, "no input named 'y' (inputs: 'x')"));
    CHECK(imp_test_cli_run(&io, "info '%s' --shape x=1x4x4x4", model) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && imp_test_has(io.err, "fixed"));
    CHECK(imp_test_cli_run(&io, "info '%s' --shape x=1x3x4", model) == 1 &&
          imp_test_cli_one_error_line(&io, NULL));
    CHECK(imp_test_cli_run(&io, "info '%s' --engine Sigmoid=nope", model) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && imp_test_has(io.err, "nope"));
}

static void run_writes_every_output_as_npy(void)
{
    char model[256];
    snprintf(model, sizeof model, "%s", imp_test_cli_path(&io, "sigmoid.onnx"));
    write_sigmoid_model(model, -1, -1);
    if (!CHECK(model_loads(model)))
        return;
    float x[1 * 3 * 2 * 5];
    for (int i = 0; i < 30; i++)
        x[i] = (float)i * 0.37f - 5.0f;
    int64_t dims[4] = {1, 3, 2, 5};
    char err[256];
    CHECK(imp_npy_save_f32(imp_test_cli_path(&io, "x.npy"), 4, dims, x, err, sizeof err) == 0);
    const char *outs[] = {"x=", ""}; /* named, and unnamed: input 0 */
    for (int k = 0; k < 2; k++) {
        CHECK(imp_test_cli_run(&io, "run '%s' -i %s'%s' -o '%s/out%d' --threads 2", model, outs[k],
                               imp_test_cli_path(&io, "x.npy"), io.dir, k) == 0);
        char path[256];
        snprintf(path, sizeof path, "%s/out%d/prob_out_0.npy", io.dir, k);
        CHECK(imp_test_has(io.out, path));
        struct imp_npy y;
        if (!CHECK(imp_npy_load(path, &y, err, sizeof err) == 0)) {
            printf("  %s\n", err);
            continue;
        }
        CHECK(y.dtype == IMP_DTYPE_F32 && y.rank == 4 && y.count == 30 && y.dims[3] == 5);
        for (size_t i = 0; i < y.count && i < 30; i++)
            CHECK_NEAR(((float *)y.data)[i], sigmoid(x[i]), 1e-5);
        imp_npy_free(&y);
    }
    /* Bad values for the input: one line each, naming the file. */
    static const char bad_npy[] = "\x93NUMPY\1\0\xff\0{'descr'";
    write_bytes(imp_test_cli_path(&io, "bad.npy"), bad_npy, sizeof bad_npy - 1);
    CHECK(imp_test_cli_run(&io, "run '%s' -i x='%s' -o '%s/o'", model,
                           imp_test_cli_path(&io, "bad.npy"), io.dir) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && imp_test_has(io.err, "bad.npy"));
    int64_t rank3[3] = {3, 2, 5};
    CHECK(imp_npy_save_f32(imp_test_cli_path(&io, "rank3.npy"), 3, rank3, x, err, sizeof err) == 0);
    CHECK(imp_test_cli_run(&io, "run '%s' -i x='%s' -o '%s/o'", model,
                           imp_test_cli_path(&io, "rank3.npy"), io.dir) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && imp_test_has(io.err, "rank"));
    int64_t four[4] = {1, 4, 1, 5};
    CHECK(imp_npy_save_f32(imp_test_cli_path(&io, "c4.npy"), 4, four, x, err, sizeof err) == 0);
    CHECK(imp_test_cli_run(&io, "run '%s' -i '%s' -o '%s/o'", model,
                           imp_test_cli_path(&io, "c4.npy"), io.dir) == 1 &&
          imp_test_cli_one_error_line(&io, NULL));
    CHECK(imp_test_cli_run(&io, "run '%s' -i y='%s' -o '%s/o'", model,
                           imp_test_cli_path(&io, "x.npy"), io.dir) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && imp_test_has(io.err, "no input named 'y'"));
    CHECK(imp_test_cli_run(&io, "run '%s' -i '%s' -i '%s' -o '%s/o'", model,
                           imp_test_cli_path(&io, "x.npy"), imp_test_cli_path(&io, "x.npy"),
                           io.dir) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && imp_test_has(io.err, "twice"));
    CHECK(imp_test_cli_run(&io, "run '%s' -i '%s' -o '%s'", model, imp_test_cli_path(&io, "x.npy"),
                           imp_test_cli_path(&io, "x.npy")) == 1 &&
          imp_test_cli_one_error_line(&io, NULL));
    CHECK(imp_test_cli_run(&io, "run '%s' -i '%s' -o '%s/o'", model, model, io.dir) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) &&
          imp_test_has(io.err, "not a .npy, PNG or JPEG"));
}

/* A Reshape's target shape given as a .npy, twice with different shapes,
 * and a model without inputs, which needs no -i at all. */
static void run_takes_shape_inputs_and_models_without_inputs(void)
{
    const char *reshape = IMP_SOURCE_DIR "/tests/data/onnx/reshape_input.onnx";
    float x[24];
    for (int i = 0; i < 24; i++)
        x[i] = (float)i;
    int64_t xd[3] = {2, 3, 4}, sd[1] = {2};
    char err[256];
    CHECK(imp_npy_save_f32(imp_test_cli_path(&io, "data.npy"), 3, xd, x, err, sizeof err) == 0);
    const float shapes[2][2] = {{4, 6}, {-1, 8}};
    const int64_t rows[2] = {4, 3}, cols[2] = {6, 8};
    for (int k = 0; k < 2; k++) {
        CHECK(imp_npy_save_f32(imp_test_cli_path(&io, "shape.npy"), 1, sd, shapes[k], err,
                               sizeof err) == 0);
        CHECK(imp_test_cli_run(&io, "run '%s' -i data='%s' -i shape='%s' -o '%s/rs'", reshape,
                               imp_test_cli_path(&io, "data.npy"),
                               imp_test_cli_path(&io, "shape.npy"), io.dir) == 0);
        char path[256];
        snprintf(path, sizeof path, "%s/rs/y.npy", io.dir);
        struct imp_npy y;
        if (!CHECK(imp_npy_load(path, &y, err, sizeof err) == 0)) {
            printf("  %s\n", err);
            continue;
        }
        CHECK(y.rank == 2 && y.dims[0] == rows[k] && y.dims[1] == cols[k]);
        for (size_t i = 0; i < y.count && i < 24; i++)
            CHECK(((float *)y.data)[i] == x[i]);
        imp_npy_free(&y);
    }
    const char *none = IMP_SOURCE_DIR "/tests/data/onnx/no_inputs.onnx";
    CHECK(imp_test_cli_run(&io, "run '%s' -o '%s/none'", none, io.dir) == 0 &&
          imp_test_has(io.out, "no inputs"));
    char path[256];
    snprintf(path, sizeof path, "%s/none/y.npy", io.dir);
    struct imp_npy y;
    if (CHECK(imp_npy_load(path, &y, err, sizeof err) == 0)) {
        CHECK(y.count == 4);
        for (size_t i = 0; i < y.count && i < 4; i++)
            CHECK(((float *)y.data)[i] == 2.0f * (float)(i + 1));
        imp_npy_free(&y);
    }
    /* A model with inputs still wants them. */
    CHECK(imp_test_cli_run(&io, "run '%s' -o '%s/o'", reshape, io.dir) == 2 &&
          imp_test_cli_one_error_line(&io, NULL) && imp_test_has(io.err, "-i"));
}

static void run_feeds_photos_with_scale_mean_and_channel_order(void)
{
    char model[256];
    snprintf(model, sizeof model, "%s", imp_test_cli_path(&io, "sigmoid.onnx"));
    write_sigmoid_model(model, -1, -1);
    if (!CHECK(model_loads(model)))
        return;
    struct imp_image img = test_photo(5, 4);
    char err[256];
    CHECK(imp_image_save_png(imp_test_cli_path(&io, "photo.png"), &img, err, sizeof err) == 0);
    /* Open H, W: the photo is used at its own size, NCHW from the 3. */
    CHECK(imp_test_cli_run(&io, "run '%s' -i '%s' -o '%s/img' --bgr --mean 0.1,0.2,0.3 --std 2",
                           model, imp_test_cli_path(&io, "photo.png"), io.dir) == 0);
    struct imp_npy y;
    char path[256];
    snprintf(path, sizeof path, "%s/img/prob_out_0.npy", io.dir);
    if (CHECK(imp_npy_load(path, &y, err, sizeof err) == 0)) {
        CHECK(y.rank == 4 && y.dims[1] == 3 && y.dims[2] == 4 && y.dims[3] == 5);
        const float *v = y.data;
        const float mean[3] = {0.1f, 0.2f, 0.3f};
        for (int k = 0; k < 3 && y.count == 60; k++) { /* k: model channel (BGR) */
            int c = 2 - k;
            for (int p = 0; p < 20; p++) {
                float px = img.pixels[p * 3 + c] / 255.0f;
                CHECK_NEAR(v[k * 20 + p], sigmoid((px - mean[c]) / 2.0f), 1e-5);
            }
        }
        imp_npy_free(&y);
    }
    /* Fixed H, W: the photo is resized to them. */
    char fixed[256];
    snprintf(fixed, sizeof fixed, "%s", imp_test_cli_path(&io, "sigmoid_3x2.onnx"));
    write_sigmoid_model(fixed, 3, 2);
    CHECK(imp_test_cli_run(&io, "run '%s' -i x='%s' -o '%s/fixed' --scale 1", fixed,
                           imp_test_cli_path(&io, "photo.png"), io.dir) == 0);
    snprintf(path, sizeof path, "%s/fixed/prob_out_0.npy", io.dir);
    if (CHECK(imp_npy_load(path, &y, err, sizeof err) == 0)) {
        CHECK(y.count == 18 && y.dims[2] == 3 && y.dims[3] == 2);
        float rgb[60], small[18];
        for (int i = 0; i < 60; i++)
            rgb[i] = img.pixels[i];
        imp_resample_f32(rgb, 5, 4, 3, small, 2, 3);
        for (int c = 0; c < 3 && y.count == 18; c++)
            for (int p = 0; p < 6; p++)
                CHECK_NEAR(((float *)y.data)[c * 6 + p], sigmoid(small[p * 3 + c]), 1e-5);
        imp_npy_free(&y);
    }
    /* Read as NHWC, [1,3,3,2] has 2 channels. */
    CHECK(imp_test_cli_run(&io, "run '%s' -i '%s' -o '%s/o' --image-layout nhwc", fixed,
                           imp_test_cli_path(&io, "photo.png"), io.dir) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && imp_test_has(io.err, "channels"));
    imp_image_free(&img);
}

static void segment_writes_mask_and_overlay_at_photo_size(void)
{
    char open_model[256], fixed_model[256];
    snprintf(open_model, sizeof open_model, "%s", imp_test_cli_path(&io, "gray.onnx"));
    snprintf(fixed_model, sizeof fixed_model, "%s", imp_test_cli_path(&io, "gray_4x4.onnx"));
    write_gray_model(open_model, -1, -1);
    write_gray_model(fixed_model, 4, 4);
    if (!CHECK(model_loads(open_model)))
        return;
    struct imp_image img = test_photo(9, 7);
    char err[256];
    CHECK(imp_image_save_png(imp_test_cli_path(&io, "photo.png"), &img, err, sizeof err) == 0);
    for (int fixed = 0; fixed < 2; fixed++) {
        CHECK(imp_test_cli_run(
                  &io, "segment '%s' '%s' -o '%s' --overlay '%s'", fixed ? fixed_model : open_model,
                  imp_test_cli_path(&io, "photo.png"), imp_test_cli_path(&io, "mask.png"),
                  imp_test_cli_path(&io, "overlay.png")) == 0);
        CHECK(imp_test_has(io.out, "mask.png") && imp_test_has(io.out, "overlay.png"));
        struct imp_image mask, over;
        if (!CHECK(imp_image_load(imp_test_cli_path(&io, "mask.png"), &mask, err, sizeof err) == 0))
            continue;
        CHECK(mask.width == 9 && mask.height == 7);
        /* The model's mask is the channel mean (0..1); at 4x4 it is the
         * photo shrunk and enlarged again. */
        float gray[63], small[16], back[63];
        for (int p = 0; p < 63; p++)
            gray[p] = (img.pixels[p * 3] + img.pixels[p * 3 + 1] + img.pixels[p * 3 + 2]) /
                      (3.0f * 255.0f);
        if (fixed) {
            imp_resample_f32(gray, 9, 7, 1, small, 4, 4);
            imp_resample_f32(small, 4, 4, 1, back, 9, 7);
        } else {
            memcpy(back, gray, sizeof back);
        }
        int worst = 0;
        for (int p = 0; p < 63; p++) {
            int want = (int)lroundf(back[p] * 255.0f);
            int got = mask.pixels[p * 3]; /* loaded as RGB */
            worst = abs(got - want) > worst ? abs(got - want) : worst;
        }
        CHECK(worst <= 1);
        if (CHECK(imp_image_load(imp_test_cli_path(&io, "overlay.png"), &over, err, sizeof err) ==
                  0)) {
            CHECK(over.width == 9 && over.height == 7);
            imp_image_free(&over);
        }
        imp_image_free(&mask);
    }
    /* A model whose output is not one channel cannot make a mask. */
    write_sigmoid_model(imp_test_cli_path(&io, "sigmoid.onnx"), -1, -1);
    CHECK(imp_test_cli_run(&io, "segment '%s' '%s' -o '%s'", imp_test_cli_path(&io, "sigmoid.onnx"),
                           imp_test_cli_path(&io, "photo.png"),
                           imp_test_cli_path(&io, "mask.png")) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && imp_test_has(io.err, "one-channel mask"));
    CHECK(imp_test_cli_run(&io, "segment '%s' /nonexistent.png -o '%s'", open_model,
                           imp_test_cli_path(&io, "mask.png")) == 1 &&
          imp_test_cli_one_error_line(&io, NULL) && imp_test_has(io.err, "/nonexistent.png"));
    CHECK(imp_test_cli_run(&io, "segment '%s' '%s' -o /nonexistent/io.dir/mask.png", open_model,
                           imp_test_cli_path(&io, "photo.png")) == 1 &&
          imp_test_cli_one_error_line(&io, NULL));
    imp_image_free(&img);
}

static void bench_reports_latency_and_json(void)
{
    char model[256];
    snprintf(model, sizeof model, "%s", imp_test_cli_path(&io, "sigmoid.onnx"));
    write_sigmoid_model(model, -1, -1);
    if (!CHECK(model_loads(model)))
        return;
    CHECK(imp_test_cli_run(&io, "bench '%s' --runs 3 --warmup 1 --shape x=1x3x16x16", model) == 0);
    CHECK(imp_test_has(io.out, "median") && imp_test_has(io.out, "x=1x3x16x16"));
    CHECK(imp_test_cli_run(&io,
                           "bench '%s' --runs 4 --shape x=1x3x8x8 --json --threads 1 --isa scalar",
                           model) == 0);
    CHECK(io.out[0] == '{' && strchr(io.out, '\n') == io.out + strlen(io.out) - 1);
    CHECK(imp_test_has(io.out, "\"median_ms\":") && imp_test_has(io.out, "\"min_ms\":") &&
          imp_test_has(io.out, "\"max_ms\":") && imp_test_has(io.out, "\"gflops\":") &&
          imp_test_has(io.out, "\"threads\":1") && imp_test_has(io.out, "\"isa\":\"scalar\"") &&
          imp_test_has(io.out, "\"shape\":\"x=1x3x8x8\"") && imp_test_has(io.out, "\"model\":\""));
    /* The profile averages the timed runs only, not the warm-up. */
    CHECK(imp_test_cli_run(&io, "bench '%s' --warmup 3 --runs 2 --profile --json", model) == 0);
    CHECK(imp_test_has(io.out, "\"profile\":[{") &&
          imp_test_has(io.out, "\"runs\":2,\"macs\"") &&
          !strstr(io.out, "\"runs\":5,\"macs\""));
    CHECK(imp_test_cli_run(&io, "bench '%s' --runs 2 --profile", model) == 0);
    CHECK(imp_test_has(io.out, "per node") && imp_test_has(io.out, "per operator type") &&
          imp_test_has(io.out, "Sigmoid"));
    CHECK(imp_test_cli_run(&io, "bench '%s' --runs 1 --autotune --profile --threads 1", model) ==
          0);
    CHECK(imp_test_has(io.out, "Sigmoid") && imp_test_has(io.out, "median"));
    CHECK(imp_test_cli_run(&io, "bench '%s' --runs 1 --engine Sigmoid=nope", model) == 1 &&
          imp_test_cli_one_error_line(&io, NULL));
    /* A misspelt operator is not an error, but it is said. */
    CHECK(imp_test_cli_run(&io, "bench '%s' --runs 1 --engine sigmoid=ref", model) == 0 &&
          imp_test_has(io.err, "warning"));
}

static void convert_writes_a_loadable_imp(void)
{
    char model[256];
    snprintf(model, sizeof model, "%s", imp_test_cli_path(&io, "sigmoid.onnx"));
    write_sigmoid_model(model, -1, -1);
    if (!CHECK(model_loads(model)))
        return;
    int rc =
        imp_test_cli_run(&io, "convert '%s' '%s'", model, imp_test_cli_path(&io, "sigmoid.imp"));
    if (rc == 1 && strstr(io.err, "not written yet")) {
        printf("  note: the .imp writer is not in this build\n");
        return;
    }
    CHECK(rc == 0 && imp_test_has(io.out, "sigmoid.imp"));
    CHECK(imp_test_cli_run(&io, "info '%s'", imp_test_cli_path(&io, "sigmoid.imp")) == 0 &&
          imp_test_has(io.out, "imp") && imp_test_has(io.out, "Sigmoid"));
    CHECK(imp_test_cli_run(&io, "convert '%s' /nonexistent/io.dir/x.imp", model) == 1 &&
          imp_test_cli_one_error_line(&io, NULL));
}

int main(void)
{
    if (access(imp_test_cli_binary, X_OK) != 0)
        imp_test_skip("the impasto program is not built (IMP_BUILD_APPS=OFF)");
    if (!imp_test_cli_open(&io, "imp_test_cli_"))
        return 1;
    RUN(help_teaches_every_command);
    RUN(usage_errors_exit_2_with_one_line);
    RUN(bad_files_fail_with_one_line);
    RUN(info_describes_the_model);
    RUN(run_writes_every_output_as_npy);
    RUN(run_takes_shape_inputs_and_models_without_inputs);
    RUN(run_feeds_photos_with_scale_mean_and_channel_order);
    RUN(segment_writes_mask_and_overlay_at_photo_size);
    RUN(bench_reports_latency_and_json);
    RUN(convert_writes_a_loadable_imp);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
