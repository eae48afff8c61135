/*
 * apps/media/png_write.c, the CLI's PNG writer: gray, RGB and RGBA
 * pictures of awkward sizes, written in any number of strips, decode back
 * to the same pixels through libpng (which checks every chunk's CRC and
 * the stream's Adler-32), and ImageMagick, an independent decoder, reads
 * them too when it is installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "image.h"
#include "png_write.h"

static char dir[64];

/* Noise in some rows, smooth ramps and flat runs in others: every kind of
 * residue the filter and the run-length matches meet. */
static struct imp_image make_picture(int w, int h, int channels, unsigned seed)
{
    struct imp_image img = {w, h, channels, malloc((size_t)w * h * channels)};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < channels; c++) {
                uint8_t *p = img.pixels + ((size_t)y * w + x) * channels + c;
                if ((y / 7) % 3 == 0) /* frand is in [-1, 1) */
                    *p = (uint8_t)((imp_test_frand(&seed) + 1.0f) * 127.99f);
                else if ((y / 7) % 3 == 1)
                    *p = (uint8_t)(x * 3 + y + 50 * c);
                else
                    *p = (uint8_t)(c == 3 ? 255 : 90);
            }
    return img;
}

/* True when the file at path decodes to img's pixels (gray comes back as
 * RGB, alpha as alpha). */
static bool decodes_to(const char *path, const struct imp_image *img)
{
    struct imp_image back;
    char err[256];
    if (imp_image_load_rgba(path, &back, err, sizeof err) != 0) {
        printf("  %s\n", err);
        return false;
    }
    int want_channels = img->channels == 4 ? 4 : 3;
    bool ok = back.width == img->width && back.height == img->height &&
              back.channels == want_channels;
    size_t n = (size_t)img->width * img->height;
    for (size_t i = 0; ok && i < n; i++)
        for (int c = 0; c < want_channels; c++) {
            int src = img->channels == 1 ? img->pixels[i] : img->pixels[i * img->channels + c];
            if (back.pixels[i * want_channels + c] != src) {
                printf("  pixel %zu channel %d: %d, wrote %d\n", i, c,
                       back.pixels[i * want_channels + c], src);
                ok = false;
                break;
            }
        }
    imp_image_free(&back);
    return ok;
}

static bool write_with_strips(const char *path, const struct imp_image *img, int strips)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    char why[256];
    int rc = imp_png_write_strips(f, img, strips, why, sizeof why);
    if (rc != 0)
        printf("  %s\n", why);
    return fclose(f) == 0 && rc == 0;
}

static void every_format_size_and_strip_count_round_trips(void)
{
    static const int sizes[][2] = {{1, 1}, {5, 3}, {333, 71}, {1, 300}, {1000, 700}};
    static const int strips[] = {0, 1, 2, 3, 7, 1000};
    static const int channels[] = {1, 3, 4};
    char path[128];
    snprintf(path, sizeof path, "%s/p.png", dir);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t c = 0; c < 3; c++) {
            struct imp_image img = make_picture(sizes[s][0], sizes[s][1], channels[c],
                                                (unsigned)(s * 3 + c + 1));
            for (size_t k = 0; k < sizeof strips / sizeof strips[0]; k++) {
                bool ok = write_with_strips(path, &img, strips[k]) && decodes_to(path, &img);
                if (!CHECK(ok))
                    printf("  %dx%d, %d channels, %d strips\n", img.width, img.height,
                           img.channels, strips[k]);
            }
            imp_image_free(&img);
        }
}

/* imp_image_save writes through it; ImageMagick reads the result. */
static void another_decoder_reads_it(void)
{
    struct imp_image img = make_picture(640, 480, 3, 7);
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/saved.png", dir);
    CHECK(imp_image_save(path, &img, 0, err, sizeof err) == 0);
    CHECK(decodes_to(path, &img));
    if (system("command -v identify >/dev/null 2>&1") != 0) {
        printf("  (ImageMagick's identify is absent: only libpng checked)\n");
    } else {
        char cmd[256];
        snprintf(cmd, sizeof cmd,
                 "identify -regard-warnings -format '%%w %%h %%[channels]\\n' '%s' | "
                 "grep -q '^640 480 srgb'",
                 path);
        CHECK(system(cmd) == 0);
    }
    imp_image_free(&img);
}

static void what_png_cannot_hold_is_refused(void)
{
    uint8_t px[8] = {0};
    struct imp_image two = {2, 2, 2, px};
    char path[128], why[256];
    snprintf(path, sizeof path, "%s/bad.png", dir);
    FILE *f = fopen(path, "wb");
    if (!CHECK(f))
        return;
    CHECK(imp_png_write(f, &two, why, sizeof why) != 0 && strstr(why, "2 channels"));
    struct imp_image empty = {0, 5, 3, px};
    CHECK(imp_png_write(f, &empty, why, sizeof why) != 0);
    fclose(f);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/imp_test_png_write_XXXXXX");
    if (!mkdtemp(dir)) {
        printf("cannot make a temporary folder\n");
        return 1;
    }
    RUN(every_format_size_and_strip_count_round_trips);
    RUN(another_decoder_reads_it);
    RUN(what_png_cannot_hold_is_refused);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    return imp_test_finish();
}
