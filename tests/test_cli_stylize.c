/*
 * impasto stylize and impasto styles as a user meets them, on the tiny
 * style networks in tests/data/styles and photos from Debian's
 * python3-skimage (skipped parts say so when that package is absent):
 * sizes and alpha kept, the output type by extension, folders in parallel
 * with one failing photo, shipped-style lookup, and every bad input giving
 * one line, a non-zero exit and no half-written file.
 */
#include <dirent.h>
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
#define STYLES IMP_SOURCE_DIR "/tests/data/styles"
#define SKIMAGE "/usr/lib/python3/dist-packages/skimage/data/"
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
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s' </dev/null", cli, args, out_path,
             err_path);
    int st = system(cmd);
    slurp(out_path, out_text, sizeof out_text);
    slurp(err_path, err_text, sizeof err_text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool lines_of_errors(int n)
{
    int lines = 0;
    for (const char *p = err_text; (p = strstr(p, "impasto: ")); p++)
        lines++;
    int newlines = 0;
    for (const char *p = err_text; *p; p++)
        newlines += *p == '\n';
    bool ok = lines == n && newlines == n;
    if (!ok)
        printf("  stderr was: [%s]\n", err_text);
    return ok;
}

static bool has(const char *text, const char *what)
{
    bool ok = strstr(text, what) != NULL;
    if (!ok)
        printf("  missing '%s' in:\n%s\n", what, text);
    return ok;
}

static const char *tmp(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static struct imp_image picture(int w, int h, int channels)
{
    struct imp_image img = {w, h, channels, malloc((size_t)w * h * channels)};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < channels; c++)
                img.pixels[((size_t)y * w + x) * channels + c] =
                    (uint8_t)(c == 3 ? (x * 7 + y) % 256 : (x * (c + 1) + y * 3) % 256);
    return img;
}

static int files_in(const char *folder)
{
    DIR *d = opendir(folder);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    if (d)
        closedir(d);
    return n;
}

static void odd_sizes_and_alpha_are_kept(void)
{
    char err[256];
    const int sizes[][2] = {{1001, 667}, {17, 2000}};
    for (int k = 0; k < 2; k++) {
        struct imp_image img = picture(sizes[k][0], sizes[k][1], 4);
        CHECK(imp_image_save(tmp("in.png"), &img, 0, err, sizeof err) == 0);
        CHECK(run_cli("stylize '%s' -o '%s' --style '%s/cin/waves.onnx' -t 2", tmp("in.png"),
                      tmp("out.png"), STYLES) == 0);
        CHECK(has(out_text, "alpha kept"));
        struct imp_image back;
        if (CHECK(imp_image_load_rgba(tmp("out.png"), &back, err, sizeof err) == 0)) {
            CHECK(back.width == img.width && back.height == img.height && back.channels == 4);
            int alpha_same = 1;
            for (size_t p = 0; p < (size_t)img.width * img.height && back.channels == 4; p++)
                alpha_same &= back.pixels[p * 4 + 3] == img.pixels[p * 4 + 3];
            CHECK(alpha_same);
            imp_image_free(&back);
        }
        imp_image_free(&img);
    }
    /* --size: the long side, aspect kept; JPEG out by extension. */
    struct imp_image img = picture(300, 120, 3);
    CHECK(imp_image_save(tmp("wide.png"), &img, 0, err, sizeof err) == 0);
    CHECK(run_cli("stylize '%s' -o '%s' --style '%s/cin/embers.onnx' --size 100 --quality 80",
                  tmp("wide.png"), tmp("small.jpg"), STYLES) == 0);
    struct imp_image back;
    if (CHECK(imp_image_load(tmp("small.jpg"), &back, err, sizeof err) == 0)) {
        CHECK(back.width == 100 && back.height == 40);
        imp_image_free(&back);
    }
    imp_image_free(&img);
}

static void strength_and_blend_through_the_command(void)
{
    char err[256];
    struct imp_image img = picture(64, 48, 3);
    CHECK(imp_image_save(tmp("p.png"), &img, 0, err, sizeof err) == 0);
    /* Strength 0 mixes towards the identity style beside waves.onnx: the photo. */
    CHECK(run_cli("stylize '%s' -o '%s' --style '%s/cin/waves.onnx' --strength 0",
                  tmp("p.png"), tmp("s0.png"), STYLES) == 0);
    struct imp_image s0;
    if (CHECK(imp_image_load(tmp("s0.png"), &s0, err, sizeof err) == 0)) {
        CHECK(memcmp(s0.pixels, img.pixels, 64 * 48 * 3) == 0);
        imp_image_free(&s0);
    }
    /* The shipped-style lookup, and a blend of a style with itself. */
    setenv("IMPASTO_MODELS", STYLES "/cin", 1);
    CHECK(run_cli("stylize '%s' -o '%s' --style waves", tmp("p.png"), tmp("w.png")) == 0);
    CHECK(run_cli("stylize '%s' -o '%s' --blend waves:0.3,waves:0.7", tmp("p.png"),
                  tmp("ww.png")) == 0);
    struct imp_image a, b;
    if (CHECK(imp_image_load(tmp("w.png"), &a, err, sizeof err) == 0 &&
              imp_image_load(tmp("ww.png"), &b, err, sizeof err) == 0)) {
        int worst = 0;
        for (size_t i = 0; i < 64 * 48 * 3; i++)
            worst = abs(a.pixels[i] - b.pixels[i]) > worst ? abs(a.pixels[i] - b.pixels[i])
                                                           : worst;
        CHECK(worst <= 1);
        imp_image_free(&a);
        imp_image_free(&b);
    }
    /* Styles: listed without the identity; JSON for scripts. */
    CHECK(run_cli("styles") == 0 && has(out_text, "embers") && has(out_text, "waves") &&
          !strstr(out_text, "  identity "));
    CHECK(run_cli("styles --json") == 0 &&
          has(out_text, "{\"name\": \"embers\", \"path\": \"") &&
          has(out_text, "\"format\": \"onnx\""));
    /* The default style is the first shipped one. */
    CHECK(run_cli("stylize '%s' -o '%s'", tmp("p.png"), tmp("d.png")) == 0);
    /* An unknown name lists the known ones. */
    CHECK(run_cli("stylize '%s' -o '%s' --style nosuch", tmp("p.png"), tmp("x.png")) == 1 &&
          lines_of_errors(1) && has(err_text, "known: embers, waves"));
    CHECK(run_cli("stylize '%s' -o '%s' --blend waves:1,nosuch:1", tmp("p.png"),
                  tmp("x.png")) == 1 &&
          lines_of_errors(1));
    /* Styles of different networks do not blend. */
    CHECK(run_cli("stylize '%s' -o '%s' --blend waves:1,'%s/fixed32.onnx':1", tmp("p.png"),
                  tmp("x.png"), STYLES) == 1 &&
          lines_of_errors(1) && has(err_text, "cannot blend"));
    setenv("IMPASTO_MODELS", "/nonexistent-models-folder", 1);
    CHECK(run_cli("styles") == 0 && has(out_text, "no styles"));
    CHECK(run_cli("stylize '%s' -o '%s' --style candy", tmp("p.png"), tmp("x.png")) == 1 &&
          lines_of_errors(1) && has(err_text, "no styles are installed"));
    unsetenv("IMPASTO_MODELS");
    CHECK(access(tmp("x.png"), F_OK) != 0);
    imp_image_free(&img);
}

static void a_folder_in_parallel_reports_the_bad_photo(void)
{
    char err[256], in_dir[256], out_dir[256];
    snprintf(in_dir, sizeof in_dir, "%s", tmp("photos"));
    snprintf(out_dir, sizeof out_dir, "%s", tmp("painted"));
    mkdir(in_dir, 0755);
    for (int k = 0; k < 4; k++) {
        struct imp_image img = picture(40 + 9 * k, 30 + 5 * k, 3);
        char path[512];
        snprintf(path, sizeof path, "%s/p%d.%s", in_dir, k, k % 2 ? "jpg" : "png");
        CHECK(imp_image_save(path, &img, 0, err, sizeof err) == 0);
        imp_image_free(&img);
    }
    /* A truncated one among them. */
    char bad[512];
    snprintf(bad, sizeof bad, "%s/zz-broken.png", in_dir);
    FILE *f = fopen(bad, "wb");
    if (f) {
        fwrite("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 1, 16, f);
        fclose(f);
    }
    CHECK(run_cli("stylize '%s' -o '%s' --style '%s/cin/waves.onnx' -t 2 --jobs 2", in_dir,
                  out_dir, STYLES) == 1);
    CHECK(lines_of_errors(2) && has(err_text, "zz-broken.png") &&
          has(err_text, "1 of 5 photos failed"));
    CHECK(files_in(out_dir) == 4); /* the good ones, and nothing else */
    struct imp_image back;
    char path[512];
    snprintf(path, sizeof path, "%s/p3.jpg", out_dir);
    if (CHECK(imp_image_load(path, &back, err, sizeof err) == 0)) {
        CHECK(back.width == 67 && back.height == 45);
        imp_image_free(&back);
    }
}

static void bad_input_gives_one_line_and_no_file(void)
{
    char err[256];
    struct imp_image img = picture(32, 24, 3);
    CHECK(imp_image_save(tmp("ok.png"), &img, 0, err, sizeof err) == 0);
    imp_image_free(&img);
    const char *w = STYLES "/cin/waves.onnx";
    CHECK(run_cli("stylize /nonexistent.png -o '%s' --style '%s'", tmp("o.png"), w) == 1 &&
          lines_of_errors(1) && has(err_text, "/nonexistent.png"));
    CHECK(run_cli("stylize '%s' -o '%s' --style '%s'", IMP_SOURCE_DIR "/tests/data/images/truncated.png",
                  tmp("o.png"), w) == 1 &&
          lines_of_errors(1) && has(err_text, "truncated.png"));
    CHECK(run_cli("stylize '%s' -o '%s' --style '%s/no_image.onnx'", tmp("ok.png"),
                  tmp("o.png"), STYLES) == 1 &&
          lines_of_errors(1) && has(err_text, "not a picture"));
    CHECK(run_cli("stylize '%s' -o '%s' --magenta /nonexistent-magenta --style-image '%s'",
                  tmp("ok.png"), tmp("o.png"), tmp("ok.png")) == 1 &&
          lines_of_errors(1) && has(err_text, "nonexistent-magenta"));
    CHECK(run_cli("stylize '%s' -o '%s' --style '%s'", tmp("ok.png"), tmp("o.bmp"), w) == 1 &&
          lines_of_errors(1) && has(err_text, "extension"));
    CHECK(access(tmp("o.png"), F_OK) != 0 && access(tmp("o.bmp"), F_OK) != 0);
    /* A read-only output folder (root writes anyway: then only the
     * message part is skipped). */
    char ro[512];
    snprintf(ro, sizeof ro, "%s", tmp("ro"));
    mkdir(ro, 0755);
    chmod(ro, 0555);
    if (access(ro, W_OK) != 0) {
        CHECK(run_cli("stylize '%s' -o '%s/o.png' --style '%s'", tmp("ok.png"), ro, w) == 1 &&
              lines_of_errors(1) && has(err_text, "o.png"));
        CHECK(files_in(ro) == 0);
    }
    chmod(ro, 0755);
    /* A folder nobody may create files in, root included. */
    CHECK(run_cli("stylize '%s' -o /proc/impasto-test-out.png --style '%s'", tmp("ok.png"),
                  w) == 1 &&
          lines_of_errors(1) && has(err_text, "/proc/impasto-test-out.png"));
    /* Usage mistakes: exit 2. */
    CHECK(run_cli("stylize '%s'", tmp("ok.png")) == 2 && lines_of_errors(1));
    CHECK(run_cli("stylize '%s' -o '%s' --strength 2", tmp("ok.png"), tmp("o.png")) == 2);
    CHECK(run_cli("stylize '%s' -o '%s' --blend a:x", tmp("ok.png"), tmp("o.png")) == 2);
    CHECK(run_cli("stylize '%s' -o '%s' --max-memory lots", tmp("ok.png"), tmp("o.png")) == 2);
    CHECK(run_cli("stylize '%s' -o '%s' --style-image '%s'", tmp("ok.png"), tmp("o.png"),
                  tmp("ok.png")) == 2);
    CHECK(run_cli("stylize --help") == 0 && has(out_text, "examples:") &&
          has(out_text, "--preserve-colors"));
}

/* A real photo from Debian's python3-skimage, with the Johnson candy net
 * when ../shared is there: 451x300 through one 720x720 tile, colours kept. */
static void a_debian_photo_end_to_end(void)
{
    if (access(SKIMAGE "chelsea.png", R_OK) != 0) {
        printf("  (skipped: python3-skimage's data is not installed)\n");
        return;
    }
    CHECK(run_cli("stylize '%s' -o '%s' --style '%s/cin/embers.onnx' --preserve-colors",
                  SKIMAGE "chelsea.png", tmp("chelsea.jpg"), STYLES) == 0);
    struct imp_image back;
    char err[256];
    if (CHECK(imp_image_load(tmp("chelsea.jpg"), &back, err, sizeof err) == 0)) {
        CHECK(back.width == 451 && back.height == 300);
        imp_image_free(&back);
    }
}

int main(void)
{
    if (access(cli, X_OK) != 0)
        imp_test_skip("the impasto program is not built (IMP_BUILD_APPS=OFF)");
    snprintf(dir, sizeof dir, "/tmp/imp_test_stylize_XXXXXX");
    if (!mkdtemp(dir)) {
        printf("cannot make a temporary folder\n");
        return 1;
    }
    RUN(odd_sizes_and_alpha_are_kept);
    RUN(strength_and_blend_through_the_command);
    RUN(a_folder_in_parallel_reports_the_bad_photo);
    RUN(bad_input_gives_one_line_and_no_file);
    RUN(a_debian_photo_end_to_end);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    return imp_test_finish();
}
