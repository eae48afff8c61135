/* impasto train as a user meets it, without ../shared: bad paintings,
 * photo folders and VGG folders give one line and exit 1; a short run on
 * a stand-in VGG19 (random weights of the real shapes, written here)
 * writes a model the runtime loads, a checkpoint and a preview, and
 * --resume continues it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "image.h"

static const char *cli = IMP_BINARY_DIR "/apps/impasto/impasto";
static char dir[64];
static char out_text[65536], err_text[65536];

static void slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

static int run_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_cli(const char *fmt, ...)
{
    char args[4096], cmd[8192], out_path[128], err_path[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    snprintf(cmd, sizeof cmd, "'%s' train %s >'%s' 2>'%s' </dev/null", cli, args, out_path,
             err_path);
    int st = system(cmd);
    slurp(out_path, out_text, sizeof out_text);
    slurp(err_path, err_text, sizeof err_text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool one_error_line(const char *want)
{
    const char *nl = strchr(err_text, '\n');
    bool ok = strncmp(err_text, "impasto: ", 9) == 0 && nl && nl[1] == '\0' &&
              strstr(err_text, want) != NULL;
    if (!ok)
        printf("  stderr was: [%s], wanted '%s'\n", err_text, want);
    return ok;
}

static const char *tmp(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

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

/* VGG19's manifest and shards with small made-up weights. */
static void write_vgg(const char *vdir)
{
    static const int ch[8][2] = {{3, 64},    {64, 64},   {64, 128},  {128, 128},
                                 {128, 256}, {256, 256}, {256, 256}, {256, 256}};
    static const char *names[8] = {"block1_conv1", "block1_conv2", "block2_conv1",
                                   "block2_conv2", "block3_conv1", "block3_conv2",
                                   "block3_conv3", "block3_conv4"};
    mkdir(vdir, 0755);
    char path[512];
    snprintf(path, sizeof path, "%s/weights_manifest_groups1-8.json", vdir);
    FILE *m = fopen(path, "wb");
    fputs("[", m);
    unsigned seed = 5;
    for (int i = 0; i < 8; i++) {
        fprintf(m, "%s{\"paths\":[\"group%d-shard1of1\"],\"weights\":["
                   "{\"name\":\"%s/kernel\",\"shape\":[3,3,%d,%d],\"dtype\":\"float32\"},"
                   "{\"name\":\"%s/bias\",\"shape\":[%d],\"dtype\":\"float32\"}]}",
                i ? "," : "", i + 1, names[i], ch[i][0], ch[i][1], names[i], ch[i][1]);
        size_t n = (size_t)9 * (size_t)ch[i][0] * (size_t)ch[i][1] + (size_t)ch[i][1];
        float *v = malloc(sizeof(float) * n);
        float scale = i == 0 ? 0.01f : 0.1f; /* inputs are 0..255 after preprocessing */
        for (size_t k = 0; k < n; k++)
            v[k] = scale * imp_test_frand(&seed);
        snprintf(path, sizeof path, "%s/group%d-shard1of1", vdir, i + 1);
        FILE *f = fopen(path, "wb");
        fwrite(v, sizeof(float), n, f);
        fclose(f);
        free(v);
    }
    fputs("]", m);
    fclose(m);
}

static void bad_inputs_fail_with_one_line(void)
{
    char vgg[256]; /* tmp() reuses its buffers */
    snprintf(vgg, sizeof vgg, "%s", tmp("vgg"));
    write_vgg(vgg);
    mkdir(tmp("photos"), 0755);
    mkdir(tmp("empty"), 0755);
    write_png(tmp("photos/a.png"), 48, 40, 1);
    write_png(tmp("paint.png"), 40, 40, 2);
    write_png(tmp("tiny.png"), 8, 8, 3);

    CHECK(run_cli("--content %s -o %s", tmp("photos"), tmp("x.imp")) == 2);
    CHECK(one_error_line("--style"));
    CHECK(run_cli("--style %s --content %s -o %s --vgg %s", tmp("missing.png"), tmp("photos"),
                  tmp("x.imp"), vgg) == 1);
    CHECK(one_error_line("missing.png"));
    CHECK(run_cli("--style %s --content %s -o %s --vgg %s", tmp("tiny.png"), tmp("photos"),
                  tmp("x.imp"), vgg) == 1);
    CHECK(one_error_line("too small"));
    CHECK(run_cli("--style %s --content %s -o %s --vgg %s", tmp("paint.png"), tmp("empty"),
                  tmp("x.imp"), vgg) == 1);
    CHECK(one_error_line("no .jpg"));
    CHECK(run_cli("--style %s --content %s -o %s --vgg %s", tmp("paint.png"), tmp("nowhere"),
                  tmp("x.imp"), vgg) == 1);
    CHECK(one_error_line("nowhere"));
    CHECK(run_cli("--style %s --content %s -o %s --vgg %s", tmp("paint.png"), tmp("photos"),
                  tmp("x.imp"), tmp("novgg")) == 1);
    CHECK(one_error_line("vgg19-tensorflowjs-model"));
    /* an output folder that does not exist: the one line, and no files */
    CHECK(run_cli("--style %s --content %s -o %s/no/x.imp --vgg %s --size 32 --batch 1 "
                  "--iterations 1", tmp("paint.png"), tmp("photos"), dir, vgg) == 1);
    CHECK(one_error_line("No such file"));
    CHECK(run_cli("--style %s --content %s -o %s --time-limit soon", tmp("paint.png"),
                  tmp("photos"), tmp("x.imp")) == 2);
}

static void a_short_run_writes_a_model_and_resumes(void)
{
    char vgg[256]; /* tmp() reuses its buffers */
    snprintf(vgg, sizeof vgg, "%s", tmp("vgg"));
    const char *common = "--size 32 --batch 2 --width 4 --blocks 1 --threads 2";
    int rc = run_cli("--style %s,%s --content %s -o %s --vgg %s %s --iterations 3 "
                     "--preview %s --preview-every 2", tmp("paint.png"), tmp("photos/a.png"),
                     tmp("photos"), tmp("out.imp"), vgg, common, tmp("photos/a.png"));
    if (!CHECK(rc == 0))
        printf("  stderr: %s\n", err_text);
    CHECK(strstr(out_text, "step 3/3") != NULL);
    struct stat st;
    CHECK(stat(tmp("out.imp"), &st) == 0 && stat(tmp("out-1.imp"), &st) == 0);
    CHECK(stat(tmp("out.imp.ckpt"), &st) == 0 && stat(tmp("out.imp.preview.png"), &st) == 0);
    struct imp_model *m = NULL;
    struct imp_error err;
    CHECK(imp_model_load_file(tmp("out.imp"), &m, &err) == IMP_OK);
    imp_model_free(m);
    struct imp_image prev = {0};
    char why[256];
    CHECK(imp_image_load(tmp("out.imp.preview.png"), &prev, why, sizeof why) == 0 &&
          prev.width == 64 && prev.height == 32); /* one tile per style */
    imp_image_free(&prev);

    rc = run_cli("--style %s,%s --content %s -o %s --vgg %s %s --iterations 5 --resume %s",
                 tmp("paint.png"), tmp("photos/a.png"), tmp("photos"), tmp("out.imp"), vgg,
                 common, tmp("out.imp.ckpt"));
    CHECK(rc == 0 && strstr(out_text, "resumed") && strstr(out_text, "step 5/5"));
    /* another recipe does not take this checkpoint */
    rc = run_cli("--style %s --content %s -o %s --vgg %s %s --iterations 5 --resume %s",
                 tmp("paint.png"), tmp("photos"), tmp("other.imp"), vgg, common,
                 tmp("out.imp.ckpt"));
    CHECK(rc == 1 && one_error_line("out.imp.ckpt"));
}

/* Ctrl-C: a checkpoint and the models are written, exit 130. */
static void ctrl_c_writes_a_checkpoint(void)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' train --style %s --content %s -o %s --vgg %s --size 32 --batch 1 "
             "--width 4 --blocks 0 --iterations 100000000 >/dev/null 2>&1 & pid=$!; "
             "sleep 2; kill -INT $pid; wait $pid; exit $?",
             cli, tmp("paint.png"), tmp("photos"), tmp("int.imp"), tmp("vgg"));
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 130);
    struct stat sb;
    CHECK(stat(tmp("int.imp.ckpt"), &sb) == 0 && stat(tmp("int.imp"), &sb) == 0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/impasto-cli-train-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(bad_inputs_fail_with_one_line);
    RUN(a_short_run_writes_a_model_and_resumes);
    RUN(ctrl_c_writes_a_checkpoint);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", dir);
    return imp_test_finish();
}
