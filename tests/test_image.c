/*
 * apps/media image files: every PNG flavour the fixtures hold (made by
 * tools/make_image_fixtures.py with the pattern it documents), alpha kept
 * or dropped, JPEG EXIF orientation, hostile EXIF, truncated files, output
 * type by extension, and atomic writes (nothing half-written, no temporary
 * left behind).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "exif.h"
#include "harness.h"
#include "image.h"

#define FIXTURES IMP_SOURCE_DIR "/tests/data/images/"

static char dir[64];

static const char *tmp(const char *name)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static int v(int x, int y, int c)
{
    return (40 * x + 70 * y + 90 * c) % 256;
}

static int alpha_of(int x, int y)
{
    return (30 * x + 50 * y) % 256;
}

static bool pattern_matches(const struct imp_image *img, int gray, int with_alpha)
{
    if (img->width != 5 || img->height != 3)
        return false;
    int bad = 0;
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++) {
            const uint8_t *p = img->pixels + ((size_t)y * 5 + x) * img->channels;
            for (int c = 0; c < 3; c++)
                bad += p[c] != v(x, y, gray ? 0 : c);
            if (with_alpha)
                bad += p[3] != alpha_of(x, y);
        }
    if (bad)
        printf("  %d samples differ from the pattern\n", bad);
    return bad == 0;
}

static void png_flavours_decode_to_the_pattern(void)
{
    static const struct {
        const char *name;
        int gray, alpha;
    } cases[] = {{"gray8.png", 1, 0},  {"gray16.png", 1, 0}, {"rgb16.png", 0, 0},
                 {"rgba8.png", 0, 1},  {"rgba16.png", 0, 1}};
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, FIXTURES "%s", cases[i].name);
        struct imp_image img;
        if (!CHECK(imp_image_load_rgba(path, &img, err, sizeof err) == 0)) {
            printf("  %s: %s\n", cases[i].name, err);
            continue;
        }
        CHECK(img.channels == (cases[i].alpha ? 4 : 3));
        CHECK(pattern_matches(&img, cases[i].gray, cases[i].alpha));
        imp_image_free(&img);
        /* imp_image_load always gives RGB: the alpha dropped, colours kept. */
        if (CHECK(imp_image_load(path, &img, err, sizeof err) == 0)) {
            CHECK(img.channels == 3 && pattern_matches(&img, cases[i].gray, 0));
            imp_image_free(&img);
        }
    }
}

static void palette_transparency_becomes_alpha(void)
{
    static const uint8_t pal[4][3] = {{10, 20, 30}, {200, 100, 50}, {0, 255, 0}, {90, 90, 250}};
    static const uint8_t alpha[4] = {255, 255, 0, 255};
    struct imp_image img;
    char err[256];
    if (!CHECK(imp_image_load_rgba(FIXTURES "palette.png", &img, err, sizeof err) == 0))
        return;
    CHECK(img.channels == 4 && img.width == 5 && img.height == 3);
    int bad = 0;
    for (int y = 0; y < 3 && img.channels == 4; y++)
        for (int x = 0; x < 5; x++) {
            const uint8_t *p = img.pixels + ((size_t)y * 5 + x) * 4;
            int k = (x + y) % 4;
            bad += memcmp(p, pal[k], 3) != 0 || p[3] != alpha[k];
        }
    CHECK(bad == 0);
    imp_image_free(&img);
}

static void truncated_and_junk_files_fail_with_a_message(void)
{
    struct imp_image img;
    char err[256] = "";
    CHECK(imp_image_load(FIXTURES "truncated.png", &img, err, sizeof err) != 0);
    CHECK(img.pixels == NULL && strstr(err, "truncated.png") != NULL);
    /* A JPEG cut short: libjpeg would only warn and fill in gray. */
    struct imp_image pic = {16, 16, 3, malloc(16 * 16 * 3)};
    for (int i = 0; i < 16 * 16 * 3; i++)
        pic.pixels[i] = (uint8_t)(i * 7);
    CHECK(imp_image_save(tmp("whole.jpg"), &pic, 90, err, sizeof err) == 0);
    FILE *f = fopen(tmp("whole.jpg"), "rb");
    uint8_t bytes[4096];
    size_t n = f ? fread(bytes, 1, sizeof bytes, f) : 0;
    if (f)
        fclose(f);
    f = fopen(tmp("cut.jpg"), "wb");
    if (CHECK(f && n > 400)) {
        fwrite(bytes, 1, n - 200, f);
        fclose(f);
        err[0] = '\0';
        CHECK(imp_image_load(tmp("cut.jpg"), &img, err, sizeof err) != 0);
        CHECK(strstr(err, "truncated") != NULL && img.pixels == NULL);
    }
    f = fopen(tmp("empty.png"), "wb");
    if (f)
        fclose(f);
    CHECK(imp_image_load(tmp("empty.png"), &img, err, sizeof err) != 0 &&
          strstr(err, "empty") != NULL);
    imp_image_free(&pic);
}

/* A progressive JPEG whose frame header declares 60000x60000: libjpeg
 * would allocate coefficients for all 3.6 G pixels in
 * jpeg_start_decompress (551 bytes once took 5 GB and 10 minutes before
 * the size was refused); the size must be refused from the header. */
static void a_huge_declared_jpeg_is_refused_before_decoding(void)
{
    unsigned char *d = NULL;
    size_t n = 0;
    if (!CHECK(imp_read_file(IMP_SOURCE_DIR "/fuzz/corpus/image/progressive.jpg", &d, &n) ==
               0))
        return;
    bool patched = false;
    for (size_t i = 2; i + 9 <= n && d[i] == 0xff;) {
        if (d[i + 1] == 0xc2) { /* SOF2: height, then width, 16 bits each */
            d[i + 5] = d[i + 7] = 60000 >> 8;
            d[i + 6] = d[i + 8] = 60000 & 0xff;
            patched = true;
            break;
        }
        i += 2 + (size_t)(d[i + 2] << 8 | d[i + 3]);
    }
    FILE *f = patched ? fopen(tmp("huge.jpg"), "wb") : NULL;
    if (CHECK(f != NULL)) {
        fwrite(d, 1, n, f);
        fclose(f);
        struct imp_image img;
        char err[256] = "";
        CHECK(imp_image_load(tmp("huge.jpg"), &img, err, sizeof err) != 0);
        CHECK(img.pixels == NULL && strstr(err, "60000x60000 is too large") != NULL);
        printf("  %s\n", err);
    }
    free(d);
}

/* An APP1 segment with one IFD entry: orientation o. */
static size_t exif_segment(uint8_t *seg, int o, int big_endian)
{
    uint8_t payload[64];
    size_t n = 0;
    memcpy(payload, "Exif\0\0", 6);
    n = 6;
    const uint8_t mm[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0,
                          (uint8_t)o, 0, 0, 0, 0, 0, 0};
    const uint8_t ii[] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0,
                          (uint8_t)o, 0, 0, 0, 0, 0, 0, 0};
    memcpy(payload + n, big_endian ? mm : ii, sizeof mm);
    n += sizeof mm;
    seg[0] = 0xff;
    seg[1] = 0xe1;
    seg[2] = (uint8_t)((n + 2) >> 8);
    seg[3] = (uint8_t)(n + 2);
    memcpy(seg + 4, payload, n);
    return n + 4;
}

static void jpeg_exif_orientation_is_applied(void)
{
    /* A 6x4 picture, every pixel distinct in its own coarse block so the
     * lossy codec keeps the arrangement; compared decoder against itself. */
    struct imp_image pic = {48, 32, 3, malloc(48 * 32 * 3)};
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 48; x++)
            for (int c = 0; c < 3; c++)
                pic.pixels[((size_t)y * 48 + x) * 3 + c] = (uint8_t)(x * 5 + y * 2 + c * 60);
    char err[256];
    if (!CHECK(imp_image_save(tmp("plain.jpg"), &pic, 95, err, sizeof err) == 0))
        return;
    FILE *f = fopen(tmp("plain.jpg"), "rb");
    static uint8_t bytes[65536], with[65536 + 128];
    size_t n = f ? fread(bytes, 1, sizeof bytes, f) : 0;
    if (f)
        fclose(f);
    struct imp_image plain;
    if (!CHECK(n > 100 && imp_image_load(tmp("plain.jpg"), &plain, err, sizeof err) == 0))
        return;
    for (int o = 1; o <= 8; o++) {
        uint8_t seg[80];
        size_t sn = exif_segment(seg, o, o % 2);
        memcpy(with, bytes, 2); /* SOI, then the EXIF segment, then the rest */
        memcpy(with + 2, seg, sn);
        memcpy(with + 2 + sn, bytes + 2, n - 2);
        f = fopen(tmp("turned.jpg"), "wb");
        fwrite(with, 1, n + sn, f);
        fclose(f);
        struct imp_image t;
        if (!CHECK(imp_image_load(tmp("turned.jpg"), &t, err, sizeof err) == 0))
            continue;
        int swap = o >= 5;
        CHECK(t.width == (swap ? 32 : 48) && t.height == (swap ? 48 : 32));
        /* Where the stored top-left and top-right corners end up. */
        const uint8_t *tl = plain.pixels, *tr = plain.pixels + 47 * 3;
        int W = t.width, H = t.height;
        const int corner_tl[9][2] = {{0}, {0, 0}, {W - 1, 0}, {W - 1, H - 1}, {0, H - 1},
                                     {0, 0}, {W - 1, 0}, {W - 1, H - 1}, {0, H - 1}};
        const int corner_tr[9][2] = {{0}, {W - 1, 0}, {0, 0}, {0, H - 1}, {W - 1, H - 1},
                                     {0, H - 1}, {W - 1, H - 1}, {W - 1, 0}, {0, 0}};
        const uint8_t *a = t.pixels + ((size_t)corner_tl[o][1] * W + corner_tl[o][0]) * 3;
        const uint8_t *b = t.pixels + ((size_t)corner_tr[o][1] * W + corner_tr[o][0]) * 3;
        if (!CHECK(memcmp(a, tl, 3) == 0 && memcmp(b, tr, 3) == 0))
            printf("  orientation %d\n", o);
        imp_image_free(&t);
    }
    imp_image_free(&plain);
    imp_image_free(&pic);
}

static void hostile_exif_reads_as_upright(void)
{
    uint8_t seg[80];
    size_t n = exif_segment(seg, 6, 1);
    CHECK(imp_exif_orientation(seg + 4, n - 4) == 6);
    for (size_t cut = 0; cut < n - 4; cut++) /* every truncation: in bounds */
        CHECK(imp_exif_orientation(seg + 4, cut) == (cut >= 6 + 22 ? 6 : 1));
    seg[4 + 6 + 9] = 200; /* 200 IFD entries, only one there */
    CHECK(imp_exif_orientation(seg + 4, n - 4) == 6);
    seg[4 + 6 + 19] = 9; /* orientation 9 does not exist */
    CHECK(imp_exif_orientation(seg + 4, n - 4) == 1);
    seg[4 + 6 + 7] = 250; /* IFD offset past the end */
    CHECK(imp_exif_orientation(seg + 4, n - 4) == 1);
    uint8_t junk[64];
    unsigned seed = 5;
    for (int k = 0; k < 2000; k++) {
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (uint8_t)(imp_test_frand(&seed) * 128 + 128);
        memcpy(junk, "Exif\0\0MM\0*", 10);
        int o = imp_exif_orientation(junk, sizeof junk);
        CHECK(o >= 1 && o <= 8);
    }
}

static int temporaries_left(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static void writes_by_extension_and_atomically(void)
{
    struct imp_image rgba = {5, 3, 4, malloc(60)};
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++) {
            for (int c = 0; c < 3; c++)
                rgba.pixels[(y * 5 + x) * 4 + c] = (uint8_t)v(x, y, c);
            rgba.pixels[(y * 5 + x) * 4 + 3] = (uint8_t)alpha_of(x, y);
        }
    char err[256];
    struct imp_image back;
    CHECK(imp_image_save(tmp("a.PNG"), &rgba, 0, err, sizeof err) == 0);
    if (CHECK(imp_image_load_rgba(tmp("a.PNG"), &back, err, sizeof err) == 0)) {
        CHECK(back.channels == 4 && pattern_matches(&back, 0, 1));
        imp_image_free(&back);
    }
    /* JPEG: by extension, alpha dropped, smaller at a lower quality. */
    struct imp_image big = {64, 64, 3, malloc(64 * 64 * 3)};
    unsigned seed = 1;
    for (int i = 0; i < 64 * 64 * 3; i++)
        big.pixels[i] = (uint8_t)(128 + 120 * imp_test_frand(&seed));
    CHECK(imp_image_save(tmp("q95.jpeg"), &big, 95, err, sizeof err) == 0);
    CHECK(imp_image_save(tmp("q20.jpg"), &big, 20, err, sizeof err) == 0);
    struct stat s95, s20;
    CHECK(stat(tmp("q95.jpeg"), &s95) == 0 && stat(tmp("q20.jpg"), &s20) == 0 &&
          s20.st_size < s95.st_size / 2);
    CHECK(imp_image_save(tmp("a.jpg"), &rgba, 0, err, sizeof err) == 0);
    if (CHECK(imp_image_load_rgba(tmp("a.jpg"), &back, err, sizeof err) == 0)) {
        CHECK(back.channels == 3 && back.width == 5 && back.height == 3);
        imp_image_free(&back);
    }
    CHECK(imp_image_save(tmp("a.bmp"), &rgba, 0, err, sizeof err) != 0 &&
          strstr(err, "extension") != NULL);
    CHECK(access(tmp("a.bmp"), F_OK) != 0);
    CHECK(imp_image_save(tmp("a.jpg"), &rgba, 101, err, sizeof err) != 0);
    /* Replacing a file: the old bytes stay until the new ones are whole. */
    CHECK(imp_image_save(tmp("a.PNG"), &big, 0, err, sizeof err) == 0);
    if (CHECK(imp_image_load(tmp("a.PNG"), &back, err, sizeof err) == 0)) {
        CHECK(back.width == 64 && memcmp(back.pixels, big.pixels, 64 * 64 * 3) == 0);
        imp_image_free(&back);
    }
    struct imp_image bad = {5, 3, 2, rgba.pixels};
    CHECK(imp_image_save(tmp("two.png"), &bad, 0, err, sizeof err) != 0);
    CHECK(access(tmp("two.png"), F_OK) != 0);
    /* A read-only folder: a clear failure and no file at all (root may
     * write anyway, so this part only counts where the folder refuses). */
    char ro[128];
    snprintf(ro, sizeof ro, "%s/ro", dir);
    mkdir(ro, 0755);
    chmod(ro, 0555);
    char in_ro[160];
    snprintf(in_ro, sizeof in_ro, "%s/x.png", ro);
    if (access(ro, W_OK) != 0) {
        CHECK(imp_image_save(in_ro, &rgba, 0, err, sizeof err) != 0 &&
              strstr(err, "x.png") != NULL);
        CHECK(access(in_ro, F_OK) != 0);
    }
    chmod(ro, 0755);
    CHECK(imp_image_save("/proc/impasto-test.png", &rgba, 0, err, sizeof err) != 0 &&
          strstr(err, "/proc/impasto-test.png") != NULL);
    unlink(in_ro);
    rmdir(ro);
    CHECK(temporaries_left() == 0);
    imp_image_free(&rgba);
    imp_image_free(&big);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/imp_test_image_XXXXXX");
    if (!mkdtemp(dir)) {
        printf("cannot make a temporary folder\n");
        return 1;
    }
    RUN(png_flavours_decode_to_the_pattern);
    RUN(palette_transparency_becomes_alpha);
    RUN(truncated_and_junk_files_fail_with_a_message);
    RUN(a_huge_declared_jpeg_is_refused_before_decoding);
    RUN(jpeg_exif_orientation_is_applied);
    RUN(hostile_exif_reads_as_upright);
    RUN(writes_by_extension_and_atomically);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    return imp_test_finish();
}
