/* impasto train as a user meets it, without ../shared: bad paintings,
 * photo folders and VGG folders give one line and exit 1; a short run on
 * a stand-in VGG19 (random weights of the real shapes, written here)
 * writes a model the runtime loads, a checkpoint and a preview, and
 * --resume continues it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_run.h"
#include "harness.h"
#include "image.h"
#include "vgg_standin.h"

static struct imp_test_cli io;

static void write_png(const char *path, int w, int h, int seed)
{
    struct imp_image img = {.width = w, .height = h, .channels = 3};
    img.pixels = malloc((size_t)w * (size_t)h * 3);
    for (int i = 0; i < w * h * 3; i++)
        img.pixels[i] = (uint8_t)((i * (7 + seed) + (i / (3 * w)) * 13) & 255);
    char err[256];
    imp_image_save_png(path, &img, err, sizeof err);
    free(img.pixels);
}

static void bad_inputs_fail_with_one_line(void)
{
    char vgg[256]; /* imp_test_cli_path() reuses its buffers */
    snprintf(vgg, sizeof vgg, "%s", imp_test_cli_path(&io, "vgg"));
    imp_test_write_vgg_standin(vgg);
    mkdir(imp_test_cli_path(&io, "photos"), 0755);
    mkdir(imp_test_cli_path(&io, "empty"), 0755);
    write_png(imp_test_cli_path(&io, "photos/a.png"), 48, 40, 1);
    write_png(imp_test_cli_path(&io, "paint.png"), 40, 40, 2);
    write_png(imp_test_cli_path(&io, "tiny.png"), 8, 8, 3);

    CHECK(imp_test_cli_run(&io, "train --content %s -o %s", imp_test_cli_path(&io, "photos"),
                           imp_test_cli_path(&io, "x.imp")) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "--style"));
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --vgg %s",
                           imp_test_cli_path(&io, "missing.png"), imp_test_cli_path(&io, "photos"),
                           imp_test_cli_path(&io, "x.imp"), vgg) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "missing.png"));
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --vgg %s",
                           imp_test_cli_path(&io, "tiny.png"), imp_test_cli_path(&io, "photos"),
                           imp_test_cli_path(&io, "x.imp"), vgg) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "too small"));
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --vgg %s",
                           imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "empty"),
                           imp_test_cli_path(&io, "x.imp"), vgg) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "no .jpg"));
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --vgg %s",
                           imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "nowhere"),
                           imp_test_cli_path(&io, "x.imp"), vgg) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "nowhere"));
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --vgg %s",
                           imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
                           imp_test_cli_path(&io, "x.imp"), imp_test_cli_path(&io, "novgg")) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "vgg19-tensorflowjs-model"));
    /* an output folder that does not exist: the one line, and no files */
    CHECK(imp_test_cli_run(
              &io,
              "train --style %s --content %s -o %s/no/x.imp --vgg %s --size 32 --batch 1 "
              "--iterations 1",
              imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"), io.dir,
              vgg) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "No such file"));
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --time-limit soon",
                           imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
                           imp_test_cli_path(&io, "x.imp")) == 2);
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --arch wide",
                           imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
                           imp_test_cli_path(&io, "x.imp")) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "--arch"));
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --style-size 300",
                           imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
                           imp_test_cli_path(&io, "x.imp")) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "--style-size"));
    /* the fast shape halves the size three times: 36 is no multiple of 8 */
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --arch fast --size 36",
                           imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
                           imp_test_cli_path(&io, "x.imp")) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "multiple of 8"));
}

static void a_short_run_writes_a_model_and_resumes(void)
{
    char vgg[256]; /* imp_test_cli_path() reuses its buffers */
    snprintf(vgg, sizeof vgg, "%s", imp_test_cli_path(&io, "vgg"));
    const char *common = "--size 32 --batch 2 --width 4 --blocks 1 --threads 2";
    int rc = imp_test_cli_run(&io,
                              "train --style %s,%s --content %s -o %s --vgg %s %s --iterations 3 "
                              "--preview %s --preview-every 2",
                              imp_test_cli_path(&io, "paint.png"),
                              imp_test_cli_path(&io, "photos/a.png"),
                              imp_test_cli_path(&io, "photos"), imp_test_cli_path(&io, "out.imp"),
                              vgg, common, imp_test_cli_path(&io, "photos/a.png"));
    if (!CHECK(rc == 0))
        printf("  stderr: %s\n", io.err);
    CHECK(strstr(io.out, "step 3/3") != NULL);
    struct stat st;
    CHECK(stat(imp_test_cli_path(&io, "out.imp"), &st) == 0 &&
          stat(imp_test_cli_path(&io, "out-1.imp"), &st) != 0); /* one file, both styles */
    CHECK(stat(imp_test_cli_path(&io, "out.imp.ckpt"), &st) == 0 &&
          stat(imp_test_cli_path(&io, "out.imp.preview.png"), &st) == 0);
    struct imp_model *m = NULL;
    struct imp_error err;
    CHECK(imp_model_load_file(imp_test_cli_path(&io, "out.imp"), &m, &err) == IMP_OK);
    imp_model_free(m);
    struct imp_image prev = {0};
    char why[256];
    CHECK(imp_image_load(imp_test_cli_path(&io, "out.imp.preview.png"), &prev, why, sizeof why) ==
              0 &&
          prev.width == 64 && prev.height == 32); /* one tile per style */
    imp_image_free(&prev);

    rc = imp_test_cli_run(
        &io, "train --style %s,%s --content %s -o %s --vgg %s %s --iterations 5 --resume %s",
        imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos/a.png"),
        imp_test_cli_path(&io, "photos"), imp_test_cli_path(&io, "out.imp"), vgg, common,
        imp_test_cli_path(&io, "out.imp.ckpt"));
    CHECK(rc == 0 && strstr(io.out, "resumed") && strstr(io.out, "step 5/5"));
    /* another recipe does not take this checkpoint */
    rc = imp_test_cli_run(
        &io, "train --style %s --content %s -o %s --vgg %s %s --iterations 5 --resume %s",
        imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
        imp_test_cli_path(&io, "other.imp"), vgg, common, imp_test_cli_path(&io, "out.imp.ckpt"));
    CHECK(rc == 1 && imp_test_cli_one_error_line(&io, "out.imp.ckpt"));
    /* the default loss layers named out loud are the same recipe ... */
    rc = imp_test_cli_run(
        &io, "train --style %s,%s --content %s -o %s --vgg %s %s --iterations 6 --resume %s "
        "--style-layers relu1_2,relu2_2,relu3_4 --content-layer relu2_2",
        imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos/a.png"),
        imp_test_cli_path(&io, "photos"), imp_test_cli_path(&io, "out.imp"), vgg, common,
        imp_test_cli_path(&io, "out.imp.ckpt"));
    CHECK(rc == 0 && strstr(io.out, "step 6/6"));
    /* ... other layers, or an identity style, are not */
    rc = imp_test_cli_run(
        &io, "train --style %s,%s --content %s -o %s --vgg %s %s --iterations 7 --resume %s "
        "--content-layer relu1_2",
        imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos/a.png"),
        imp_test_cli_path(&io, "photos"), imp_test_cli_path(&io, "out.imp"), vgg, common,
        imp_test_cli_path(&io, "out.imp.ckpt"));
    CHECK(rc == 1 && imp_test_cli_one_error_line(&io, "out.imp.ckpt"));
    rc = imp_test_cli_run(
        &io, "train --style %s,identity --content %s -o %s --vgg %s %s --iterations 7 --resume %s",
        imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
        imp_test_cli_path(&io, "out.imp"), vgg, common, imp_test_cli_path(&io, "out.imp.ckpt"));
    CHECK(rc == 1 && imp_test_cli_one_error_line(&io, "out.imp.ckpt"));
}

/* The word identity trains the network's photo; the loss layers are named
 * by the user and only as much VGG as they need is read. */
static void identity_style_and_loss_layers(void)
{
    char vgg[256];
    snprintf(vgg, sizeof vgg, "%s", imp_test_cli_path(&io, "vgg"));
    int rc = imp_test_cli_run(
        &io, "train --style identity,%s --content %s -o %s --vgg %s --size 32 --batch 2 "
        "--width 4 --blocks 1 --iterations 2 --style-layers relu1_1,relu2_1 "
        "--content-layer relu1_2",
        imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
        imp_test_cli_path(&io, "id.imp"), vgg);
    if (!CHECK(rc == 0))
        printf("  stderr: %s\n", io.err);
    CHECK(strstr(io.out, "step 2/2") != NULL);
    CHECK(imp_test_cli_run(&io, "info %s", imp_test_cli_path(&io, "id.imp")) >= 0 &&
          imp_test_has(io.out, "impasto.styles               identity,paint"));
    CHECK(imp_test_cli_run(&io, "train --style identity --content %s -o %s --vgg %s",
                           imp_test_cli_path(&io, "photos"), imp_test_cli_path(&io, "id.imp"),
                           vgg) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "identity"));
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --style-layers relu9_9",
                           imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
                           imp_test_cli_path(&io, "id.imp")) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "relu9_9"));
    CHECK(imp_test_cli_run(&io, "train --style %s --content %s -o %s --content-layer conv1",
                           imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
                           imp_test_cli_path(&io, "id.imp")) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "conv1"));
}

/* One multi-style file: styles named after the paintings with their
 * titles, written again from a checkpoint without photos, extended by a
 * new style that leaves the old ones' pictures unchanged. */
static void multi_style_file_export_and_extend(void)
{
    char vgg[256], models[256], ms[300];
    snprintf(vgg, sizeof vgg, "%s", imp_test_cli_path(&io, "vgg"));
    snprintf(models, sizeof models, "%s", imp_test_cli_path(&io, "models"));
    snprintf(ms, sizeof ms, "%s/ms.imp", models);
    mkdir(models, 0755);
    const char *common = "--size 32 --batch 2 --width 4 --blocks 1";
    int rc = imp_test_cli_run(
        &io, "train --style identity,%s,%s --content %s -o %s --vgg %s %s --iterations 2 "
        "--style-info 'paint=A Painting|Some Painter'",
        imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos/a.png"),
        imp_test_cli_path(&io, "photos"), ms, vgg, common);
    if (!CHECK(rc == 0))
        printf("  %s\n", io.err);
    setenv("IMPASTO_MODELS", models, 1);
    CHECK(imp_test_cli_run(&io, "styles --json") == 0 &&
          imp_test_has(io.out, "\"name\": \"paint\", \"title\": \"A Painting\", \"painter\": "
                               "\"Some Painter\"") &&
          imp_test_has(io.out, "\"name\": \"a\", \"title\": null") &&
          !strstr(io.out, "identity"));
    /* the checkpoint at its step: the model again, no photos read */
    struct stat st;
    unlink(ms);
    rc = imp_test_cli_run(&io, "train --style identity,%s,%s -o %s %s --iterations 2 "
                          "--resume %s.ckpt --vgg /nonexistent",
                          imp_test_cli_path(&io, "paint.png"),
                          imp_test_cli_path(&io, "photos/a.png"), ms, common, ms);
    CHECK(rc == 0 && imp_test_has(io.out, "already reached") && stat(ms, &st) == 0);
    const char *photo = imp_test_cli_path(&io, "photos/a.png");
    CHECK(imp_test_cli_run(&io, "stylize %s -o %s/before.png --style a -t 1", photo, io.dir) ==
          0);
    /* --extend: one more style; the old ones paint the same bytes */
    char ext[300];
    snprintf(ext, sizeof ext, "%s/ext.imp", io.dir);
    rc = imp_test_cli_run(&io, "train --extend %s --style %s --content %s -o %s --vgg %s %s "
                          "--iterations 2",
                          ms, imp_test_cli_path(&io, "tiny.png"), imp_test_cli_path(&io, "photos"),
                          ext, vgg, "--size 32 --batch 2");
    CHECK(rc == 1 && imp_test_cli_one_error_line(&io, "too small"));
    write_png(imp_test_cli_path(&io, "third.png"), 40, 36, 4);
    rc = imp_test_cli_run(&io, "train --extend %s --style %s --content %s -o %s --vgg %s %s "
                          "--iterations 2",
                          ms, imp_test_cli_path(&io, "third.png"),
                          imp_test_cli_path(&io, "photos"), ext, vgg, "--size 32 --batch 2");
    if (!CHECK(rc == 0))
        printf("  %s\n", io.err);
    CHECK(rename(ext, ms) == 0);
    CHECK(imp_test_cli_run(&io, "styles") == 0 && imp_test_has(io.out, "third"));
    CHECK(imp_test_cli_run(&io, "stylize %s -o %s/after.png --style a -t 1", photo, io.dir) ==
          0);
    CHECK(imp_test_sh(&io, "cmp %s/before.png %s/after.png", io.dir, io.dir) == 0);
    CHECK(imp_test_cli_run(&io, "stylize %s -o %s/third.png --style third -t 1", photo,
                           io.dir) == 0);
    /* extending a network without styles, or with an identity, is refused */
    rc = imp_test_cli_run(&io, "train --extend %s --style %s --content %s -o %s --vgg %s",
                          IMP_SOURCE_DIR "/tests/data/styles/cin/waves.onnx",
                          imp_test_cli_path(&io, "third.png"), imp_test_cli_path(&io, "photos"),
                          ext, vgg);
    CHECK(rc == 1 && imp_test_cli_one_error_line(&io, "not a multi-style network"));
    CHECK(imp_test_cli_run(&io, "train --extend %s --style identity --content %s -o %s", ms,
                           imp_test_cli_path(&io, "photos"), ext) == 2);
    CHECK(imp_test_cli_run(&io, "train --style %s,%s/paint.jpg --content %s -o %s",
                           imp_test_cli_path(&io, "paint.png"), io.dir,
                           imp_test_cli_path(&io, "photos"), ext) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "'paint'"));
    unsetenv("IMPASTO_MODELS");
}

/* --arch smooth (with --style-size): its bilinear decoder reaches the file (Resize), --extend
 * reads it back as that shape (the old style paints the same bytes), and
 * its checkpoint does not resume as the nearest shape. */
static void smooth_shape_exports_and_extends(void)
{
    char vgg[256], sm[300], ext[300];
    snprintf(vgg, sizeof vgg, "%s", imp_test_cli_path(&io, "vgg"));
    snprintf(sm, sizeof sm, "%s/smooth.imp", io.dir);
    snprintf(ext, sizeof ext, "%s/smooth-ext.imp", io.dir);
    const char *common = "--size 32 --batch 2 --width 4 --blocks 1 --arch smooth";
    /* the painting's Grams from 2 x 2 tiles of the training size */
    int rc = imp_test_cli_run(&io, "train --style %s --content %s -o %s --vgg %s %s "
                              "--iterations 2 --style-size 64",
                              imp_test_cli_path(&io, "paint.png"),
                              imp_test_cli_path(&io, "photos"), sm, vgg, common);
    if (!CHECK(rc == 0))
        printf("  %s\n", io.err);
    CHECK(imp_test_cli_run(&io, "info %s", sm) == 0 && imp_test_has(io.out, "Resize") &&
          !imp_test_has(io.out, "DepthToSpace"));
    rc = imp_test_cli_run(&io, "train --style %s --content %s -o %s --vgg %s %s "
                          "--iterations 3 --resume %s.ckpt",
                          imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "photos"),
                          sm, vgg, "--size 32 --batch 2 --width 4 --blocks 1 --arch fast", sm);
    CHECK(rc != 0);
    const char *photo = imp_test_cli_path(&io, "photos/a.png");
    CHECK(imp_test_cli_run(&io, "stylize %s -o %s/sm-before.png --style %s -t 1", photo, io.dir,
                           sm) == 0);
    write_png(imp_test_cli_path(&io, "fourth.png"), 40, 36, 5);
    rc = imp_test_cli_run(&io, "train --extend %s --style %s --content %s -o %s --vgg %s %s "
                          "--iterations 2",
                          sm, imp_test_cli_path(&io, "fourth.png"),
                          imp_test_cli_path(&io, "photos"), ext, vgg, "--size 32 --batch 2");
    if (!CHECK(rc == 0))
        printf("  %s\n", io.err);
    CHECK(imp_test_cli_run(&io, "stylize %s -o %s/sm-after.png --style %s -t 1", photo,
                           io.dir, ext) == 0);
    CHECK(imp_test_sh(&io, "cmp %s/sm-before.png %s/sm-after.png", io.dir, io.dir) == 0);
}

/* Ctrl-C: a checkpoint and the models are written, exit 130. */
static void ctrl_c_writes_a_checkpoint(void)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' train --style %s --content %s -o %s --vgg %s --size 32 --batch 1 "
             "--width 4 --blocks 0 --iterations 100000000 >/dev/null 2>&1 & pid=$!; "
             "sleep 2; kill -INT $pid; wait $pid; exit $?",
             imp_test_cli_binary, imp_test_cli_path(&io, "paint.png"),
             imp_test_cli_path(&io, "photos"), imp_test_cli_path(&io, "int.imp"),
             imp_test_cli_path(&io, "vgg"));
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 130);
    struct stat sb;
    CHECK(stat(imp_test_cli_path(&io, "int.imp.ckpt"), &sb) == 0 &&
          stat(imp_test_cli_path(&io, "int.imp"), &sb) == 0);
}

int main(void)
{
    if (!imp_test_cli_open(&io, "impasto-cli-train-"))
        return 1;
    RUN(bad_inputs_fail_with_one_line);
    RUN(a_short_run_writes_a_model_and_resumes);
    RUN(identity_style_and_loss_layers);
    RUN(multi_style_file_export_and_extend);
    RUN(smooth_shape_exports_and_extends);
    RUN(ctrl_c_writes_a_checkpoint);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
