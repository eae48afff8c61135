/*
 * impasto stylize and impasto styles as a user meets them, on the tiny
 * style networks in tests/data/styles and photos from Debian's
 * python3-skimage (skipped parts say so when that package is absent):
 * sizes and alpha kept, the output type by extension, folders in parallel
 * with one failing photo, shipped-style lookup, and every bad input giving
 * one line, a non-zero exit and no half-written file.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_run.h"
#include "harness.h"
#include "image.h"

#define STYLES IMP_SOURCE_DIR "/tests/data/styles"
#define SKIMAGE "/usr/lib/python3/dist-packages/skimage/data/"
static struct imp_test_cli io;

static bool lines_of_errors(int n)
{
    int lines = 0;
    for (const char *p = io.err; (p = strstr(p, "impasto: ")); p++)
        lines++;
    int newlines = 0;
    for (const char *p = io.err; *p; p++)
        newlines += *p == '\n';
    bool ok = lines == n && newlines == n;
    if (!ok)
        printf("  stderr was: [%s]\n", io.err);
    return ok;
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
        CHECK(imp_image_save(imp_test_cli_path(&io, "in.png"), &img, 0, err, sizeof err) == 0);
        CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --style '%s/cin/waves.onnx' -t 2",
                               imp_test_cli_path(&io, "in.png"), imp_test_cli_path(&io, "out.png"),
                               STYLES) == 0);
        CHECK(imp_test_has(io.out, "alpha kept"));
        struct imp_image back;
        if (CHECK(imp_image_load_rgba(imp_test_cli_path(&io, "out.png"), &back, err, sizeof err) ==
                  0)) {
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
    CHECK(imp_image_save(imp_test_cli_path(&io, "wide.png"), &img, 0, err, sizeof err) == 0);
    CHECK(imp_test_cli_run(
              &io, "stylize '%s' -o '%s' --style '%s/cin/embers.onnx' --size 100 --quality 80",
              imp_test_cli_path(&io, "wide.png"), imp_test_cli_path(&io, "small.jpg"),
              STYLES) == 0);
    struct imp_image back;
    if (CHECK(imp_image_load(imp_test_cli_path(&io, "small.jpg"), &back, err, sizeof err) == 0)) {
        CHECK(back.width == 100 && back.height == 40);
        imp_image_free(&back);
    }
    imp_image_free(&img);
}

static void strength_and_blend_through_the_command(void)
{
    char err[256];
    struct imp_image img = picture(64, 48, 3);
    CHECK(imp_image_save(imp_test_cli_path(&io, "p.png"), &img, 0, err, sizeof err) == 0);
    /* Strength 0 mixes towards the identity style beside waves.onnx: the photo. */
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --style '%s/cin/waves.onnx' --strength 0",
                           imp_test_cli_path(&io, "p.png"), imp_test_cli_path(&io, "s0.png"),
                           STYLES) == 0);
    struct imp_image s0;
    if (CHECK(imp_image_load(imp_test_cli_path(&io, "s0.png"), &s0, err, sizeof err) == 0)) {
        CHECK(memcmp(s0.pixels, img.pixels, 64 * 48 * 3) == 0);
        imp_image_free(&s0);
    }
    /* The shipped-style lookup, and a blend of a style with itself. */
    setenv("IMPASTO_MODELS", STYLES "/cin", 1);
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --style waves",
                           imp_test_cli_path(&io, "p.png"), imp_test_cli_path(&io, "w.png")) == 0);
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --blend waves:0.3,waves:0.7",
                           imp_test_cli_path(&io, "p.png"), imp_test_cli_path(&io, "ww.png")) == 0);
    struct imp_image a, b;
    if (CHECK(imp_image_load(imp_test_cli_path(&io, "w.png"), &a, err, sizeof err) == 0 &&
              imp_image_load(imp_test_cli_path(&io, "ww.png"), &b, err, sizeof err) == 0)) {
        int worst = 0;
        for (size_t i = 0; i < 64 * 48 * 3; i++)
            worst = abs(a.pixels[i] - b.pixels[i]) > worst ? abs(a.pixels[i] - b.pixels[i])
                                                           : worst;
        CHECK(worst <= 1);
        imp_image_free(&a);
        imp_image_free(&b);
    }
    /* Styles: listed without the identity; JSON for scripts. */
    CHECK(imp_test_cli_run(&io, "styles") == 0 && imp_test_has(io.out, "embers") &&
          imp_test_has(io.out, "waves") && !strstr(io.out, "  identity "));
    CHECK(imp_test_cli_run(&io, "styles --json") == 0 &&
          imp_test_has(io.out, "{\"name\": \"embers\", \"title\": null, \"painter\": null, "
                               "\"path\": \"") &&
          imp_test_has(io.out, "\"format\": \"onnx\""));
    /* The default style is the first shipped one. */
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s'", imp_test_cli_path(&io, "p.png"),
                           imp_test_cli_path(&io, "d.png")) == 0);
    /* An unknown name lists the known ones. */
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --style nosuch",
                           imp_test_cli_path(&io, "p.png"), imp_test_cli_path(&io, "x.png")) == 1 &&
          lines_of_errors(1) && imp_test_has(io.err, "known: embers, waves"));
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --blend waves:1,nosuch:1",
                           imp_test_cli_path(&io, "p.png"), imp_test_cli_path(&io, "x.png")) == 1 &&
          lines_of_errors(1));
    /* Styles of different networks do not blend. */
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --blend waves:1,'%s/fixed32.onnx':1",
                           imp_test_cli_path(&io, "p.png"), imp_test_cli_path(&io, "x.png"),
                           STYLES) == 1 &&
          lines_of_errors(1) && imp_test_has(io.err, "cannot blend"));
    setenv("IMPASTO_MODELS", "/nonexistent-models-folder", 1);
    CHECK(imp_test_cli_run(&io, "styles") == 0 && imp_test_has(io.out, "no styles"));
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --style candy",
                           imp_test_cli_path(&io, "p.png"), imp_test_cli_path(&io, "x.png")) == 1 &&
          lines_of_errors(1) && imp_test_has(io.err, "no styles are installed"));
    unsetenv("IMPASTO_MODELS");
    CHECK(access(imp_test_cli_path(&io, "x.png"), F_OK) != 0);
    imp_image_free(&img);
}

static void a_folder_in_parallel_reports_the_bad_photo(void)
{
    char err[256], in_dir[256], out_dir[256];
    snprintf(in_dir, sizeof in_dir, "%s", imp_test_cli_path(&io, "photos"));
    snprintf(out_dir, sizeof out_dir, "%s", imp_test_cli_path(&io, "painted"));
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
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --style '%s/cin/waves.onnx' -t 2 --jobs 2",
                           in_dir, out_dir, STYLES) == 1);
    CHECK(lines_of_errors(2) && imp_test_has(io.err, "zz-broken.png") &&
          imp_test_has(io.err, "1 of 5 photos failed"));
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
    CHECK(imp_image_save(imp_test_cli_path(&io, "ok.png"), &img, 0, err, sizeof err) == 0);
    imp_image_free(&img);
    const char *w = STYLES "/cin/waves.onnx";
    CHECK(imp_test_cli_run(&io, "stylize /nonexistent.png -o '%s' --style '%s'",
                           imp_test_cli_path(&io, "o.png"), w) == 1 &&
          lines_of_errors(1) && imp_test_has(io.err, "/nonexistent.png"));
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --style '%s'",
                           IMP_SOURCE_DIR "/tests/data/images/truncated.png",
                           imp_test_cli_path(&io, "o.png"), w) == 1 &&
          lines_of_errors(1) && imp_test_has(io.err, "truncated.png"));
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --style '%s/no_image.onnx'",
                           imp_test_cli_path(&io, "ok.png"), imp_test_cli_path(&io, "o.png"),
                           STYLES) == 1 &&
          lines_of_errors(1) && imp_test_has(io.err, "not a picture"));
    CHECK(imp_test_cli_run(&io,
                           "stylize '%s' -o '%s' --magenta /nonexistent-magenta --style-image '%s'",
                           imp_test_cli_path(&io, "ok.png"), imp_test_cli_path(&io, "o.png"),
                           imp_test_cli_path(&io, "ok.png")) == 1 &&
          lines_of_errors(1) && imp_test_has(io.err, "nonexistent-magenta"));
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --style '%s'",
                           imp_test_cli_path(&io, "ok.png"), imp_test_cli_path(&io, "o.bmp"),
                           w) == 1 &&
          lines_of_errors(1) && imp_test_has(io.err, "extension"));
    CHECK(access(imp_test_cli_path(&io, "o.png"), F_OK) != 0 &&
          access(imp_test_cli_path(&io, "o.bmp"), F_OK) != 0);
    /* A read-only output folder (root writes anyway: then only the
     * message part is skipped). */
    char ro[512];
    snprintf(ro, sizeof ro, "%s", imp_test_cli_path(&io, "ro"));
    mkdir(ro, 0755);
    chmod(ro, 0555);
    if (access(ro, W_OK) != 0) {
        CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s/o.png' --style '%s'",
                               imp_test_cli_path(&io, "ok.png"), ro, w) == 1 &&
              lines_of_errors(1) && imp_test_has(io.err, "o.png"));
        CHECK(files_in(ro) == 0);
    }
    chmod(ro, 0755);
    /* A folder nobody may create files in, root included. */
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o /proc/impasto-test-out.png --style '%s'",
                           imp_test_cli_path(&io, "ok.png"), w) == 1 &&
          lines_of_errors(1) && imp_test_has(io.err, "/proc/impasto-test-out.png"));
    /* Usage mistakes: exit 2. */
    CHECK(imp_test_cli_run(&io, "stylize '%s'", imp_test_cli_path(&io, "ok.png")) == 2 &&
          lines_of_errors(1));
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --strength 2",
                           imp_test_cli_path(&io, "ok.png"), imp_test_cli_path(&io, "o.png")) == 2);
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --blend a:x",
                           imp_test_cli_path(&io, "ok.png"), imp_test_cli_path(&io, "o.png")) == 2);
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --max-memory lots",
                           imp_test_cli_path(&io, "ok.png"), imp_test_cli_path(&io, "o.png")) == 2);
    CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --style-image '%s'",
                           imp_test_cli_path(&io, "ok.png"), imp_test_cli_path(&io, "o.png"),
                           imp_test_cli_path(&io, "ok.png")) == 2);
    CHECK(imp_test_cli_run(&io, "stylize --help") == 0 && imp_test_has(io.out, "examples:") &&
          imp_test_has(io.out, "--preserve-colors"));
}

/* A real photo from Debian's python3-skimage, with the Johnson candy net
 * when ../shared is there: 451x300 through one 720x720 tile, colours kept. */
static void a_debian_photo_end_to_end(void)
{
    if (access(SKIMAGE "chelsea.png", R_OK) != 0) {
        printf("  (skipped: python3-skimage's data is not installed)\n");
        return;
    }
    CHECK(imp_test_cli_run(
              &io, "stylize '%s' -o '%s' --style '%s/cin/embers.onnx' --preserve-colors",
              SKIMAGE "chelsea.png", imp_test_cli_path(&io, "chelsea.jpg"), STYLES) == 0);
    struct imp_image back;
    char err[256];
    if (CHECK(imp_image_load(imp_test_cli_path(&io, "chelsea.jpg"), &back, err, sizeof err) == 0)) {
        CHECK(back.width == 451 && back.height == 300);
        imp_image_free(&back);
    }
}

int main(void)
{
    if (access(imp_test_cli_binary, X_OK) != 0)
        imp_test_skip("the impasto program is not built (IMP_BUILD_APPS=OFF)");
    if (!imp_test_cli_open(&io, "imp_test_stylize_"))
        return 1;
    RUN(odd_sizes_and_alpha_are_kept);
    RUN(strength_and_blend_through_the_command);
    RUN(a_folder_in_parallel_reports_the_bad_photo);
    RUN(bad_input_gives_one_line_and_no_file);
    RUN(a_debian_photo_end_to_end);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
