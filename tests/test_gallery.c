/* scripts/gallery.sh end to end without ../shared: a two-style network
 * trained for two steps on a stand-in VGG19, then the gallery of it: the
 * page names every style and links pictures that exist and load (three
 * photos per style, the paintings' thumbnails of at most 256 px, one blend,
 * a five-step strength ramp) and carries style-score numbers. Skips without
 * ImageMagick's convert (scripts/test.sh installs it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_run.h"
#include "harness.h"
#include "image.h"
#include "vgg_standin.h"

static struct imp_test_cli io;

static void write_png(const char *path, int w, int h, int seed)
{
    struct imp_image img = {.width = w, .height = h, .channels = 3};
    img.pixels = malloc((size_t)w * (size_t)h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                img.pixels[((size_t)y * (size_t)w + (size_t)x) * 3 + (size_t)c] =
                    (uint8_t)(127.5f + 120.0f * sinf(0.13f * (float)(x * (c + 1) + y * (seed + 2)) +
                                                     (float)seed));
    char err[256];
    CHECK(imp_image_save_png(path, &img, err, sizeof err) == 0);
    free(img.pixels);
}

/* Every "](gallery/NAME)" link of the page is a picture that loads; returns
 * how many, and the largest side of the painting thumbnails. */
static int check_links(const char *page, const char *out_dir, int *thumb_side)
{
    int n = 0;
    *thumb_side = 0;
    for (const char *at = strstr(page, "](gallery/"); at; at = strstr(at + 1, "](gallery/")) {
        const char *name = at + 2, *end = strchr(name, ')');
        if (!CHECK(end != NULL))
            break;
        char path[1024];
        snprintf(path, sizeof path, "%s/%.*s", out_dir, (int)(end - name), name);
        struct imp_image img = {0};
        char why[256];
        if (!CHECK(imp_image_load(path, &img, why, sizeof why) == 0)) {
            printf("  %s: %s\n", path, why);
            continue;
        }
        if (strstr(path, "-painting.jpg")) {
            int side = img.width > img.height ? img.width : img.height;
            *thumb_side = side > *thumb_side ? side : *thumb_side;
        }
        imp_image_free(&img);
        n++;
    }
    return n;
}

static void the_gallery_of_a_tiny_network(void)
{
    char vgg[256], models[256], out[256];
    snprintf(vgg, sizeof vgg, "%s", imp_test_cli_path(&io, "vgg"));
    snprintf(models, sizeof models, "%s", imp_test_cli_path(&io, "models"));
    snprintf(out, sizeof out, "%s", imp_test_cli_path(&io, "docs"));
    imp_test_write_vgg_standin(vgg);
    mkdir(imp_test_cli_path(&io, "photos"), 0755);
    mkdir(models, 0755);
    write_png(imp_test_cli_path(&io, "photos/a.png"), 48, 40, 1);
    write_png(imp_test_cli_path(&io, "photos/b.png"), 40, 48, 2);
    write_png(imp_test_cli_path(&io, "wave.png"), 300, 280, 3); /* thumbnail: 256 */
    write_png(imp_test_cli_path(&io, "scream.png"), 40, 40, 4);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "held%d.png", i);
        write_png(imp_test_cli_path(&io, name), 64, 48, 5 + i);
    }
    int rc = imp_test_cli_run(&io,
                              "train --style %s,%s --content %s -o %s/styles.imp --vgg %s "
                              "--size 32 --batch 2 --width 4 --blocks 1 --iterations 2",
                              imp_test_cli_path(&io, "wave.png"),
                              imp_test_cli_path(&io, "scream.png"),
                              imp_test_cli_path(&io, "photos"), models, vgg);
    if (!CHECK(rc == 0)) {
        printf("  train: %s\n", io.err);
        return;
    }

    rc = imp_test_sh(&io,
                     "bash '%s/scripts/gallery.sh' --impasto '%s' --models %s --out %s "
                     "--vgg %s --painting wave=%s --painting scream=%s --size 64 "
                     "--photos '%s %s %s' --reference-magenta none --score-size 32 "
                     "--score-photos '%s'",
                     IMP_SOURCE_DIR, imp_test_cli_binary, models, out, vgg,
                     imp_test_cli_path(&io, "wave.png"), imp_test_cli_path(&io, "scream.png"),
                     imp_test_cli_path(&io, "held0.png"), imp_test_cli_path(&io, "held1.png"),
                     imp_test_cli_path(&io, "held2.png"), imp_test_cli_path(&io, "held0.png"));
    if (!CHECK(rc == 0)) {
        printf("  gallery.sh: %s\n", io.err);
        return;
    }
    char page_path[512];
    snprintf(page_path, sizeof page_path, "%s/gallery.md", out);
    FILE *f = fopen(page_path, "rb");
    if (!CHECK(f != NULL))
        return;
    static char page[65536];
    size_t n = fread(page, 1, sizeof page - 1, f);
    fclose(f);
    page[n] = '\0';
    CHECK(imp_test_has(page, "**scream**") && imp_test_has(page, "**wave**"));
    CHECK(imp_test_has(page, "## A blend") && imp_test_has(page, "## Strength"));
    CHECK(imp_test_has(page, "ramp-wave-0.25.jpg") && imp_test_has(page, "## Scores"));
    /* 3 photos + 2 styles x (thumbnail + 3 photos) + 1 blend + 5 ramp */
    int thumb = 0;
    CHECK(check_links(page, out, &thumb) == 3 + 2 * 4 + 1 + 5);
    CHECK(thumb == 256);
    /* a score row per style: two finite positive distances */
    for (int k = 0; k < 2; k++) {
        const char *row = strstr(page, k ? "| wave | " : "| scream | ");
        if (!CHECK(row != NULL))
            continue;
        row = strchr(row + 2, '|') + 1;
        char *end;
        double style = strtod(row, &end);
        double content = strtod(strchr(end, '|') + 1, NULL);
        CHECK(style > 0 && isfinite(style) && content > 0 && isfinite(content));
    }
    /* nothing half-written is left */
    CHECK(imp_test_sh(&io, "ls -a %s %s/gallery | grep -c '^\\.tmp-\\|^\\.gallery'", out, out) ==
          1);
}

int main(void)
{
    if (!imp_test_cli_open(&io, "impasto-gallery-"))
        return 1;
    if (imp_test_sh(&io, "command -v convert") != 0) {
        imp_test_cli_close(&io);
        imp_test_skip("ImageMagick's convert is missing (apt install imagemagick)");
        return IMP_TEST_SKIP;
    }
    RUN(the_gallery_of_a_tiny_network);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
