/* The network in models/ that the project ships: it lists the five styles
 * the README promises with their titles and painters, --strength 0 gives
 * the photo back, every style changes the photo and no
 * two styles look alike, and (with VGG19 from ../shared) each style is
 * closer to its own painting, in the Gram style distance style-score
 * reports at the training size, than any other shipped style is and than
 * half the photo's own distance. A retrained or damaged network that loses
 * its styles fails here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_run.h"
#include "harness.h"
#include "image.h"
#include "impasto_train.h"

#define SIDE 256 /* the training size: pictures are compared at SIDE x SIDE */
#define N_STYLES 5

static const char *const names[N_STYLES] = {"wave", "udnie", "scream", "wreck",
                                            "starry_night"};
static struct imp_test_cli io;

/* The centre square of an RGB picture, box-averaged to SIDE x SIDE, as
 * planar floats 0..1. */
static float *centre_square(const struct imp_image *img)
{
    const int side = img->width < img->height ? img->width : img->height;
    const int x0 = (img->width - side) / 2, y0 = (img->height - side) / 2;
    float *out = calloc(3 * SIDE * SIDE, sizeof(float));
    float *count = calloc(SIDE * SIDE, sizeof(float));
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            const int o = (int)((int64_t)y * SIDE / side) * SIDE + (int)((int64_t)x * SIDE / side);
            const uint8_t *p = img->pixels + ((size_t)(y0 + y) * img->width + x0 + x) * 3;
            for (int c = 0; c < 3; c++)
                out[c * SIDE * SIDE + o] += p[c] / 255.0f;
            count[o] += 1;
        }
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < SIDE * SIDE; i++)
            out[c * SIDE * SIDE + i] /= count[i];
    free(count);
    return out;
}

static float *load_square(const char *path)
{
    struct imp_image img;
    char err[256];
    if (imp_image_load(path, &img, err, sizeof err) != 0) {
        printf("  %s\n", err);
        return NULL;
    }
    float *x = centre_square(&img);
    imp_image_free(&img);
    return x;
}

static double mean_abs_diff(const float *a, const float *b)
{
    double s = 0;
    for (int i = 0; i < 3 * SIDE * SIDE; i++)
        s += fabs(a[i] - b[i]);
    return s / (3 * SIDE * SIDE);
}

static double psnr(const float *a, const float *b)
{
    double s = 0;
    for (int i = 0; i < 3 * SIDE * SIDE; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return 10 * log10(1.0 / (s / (3 * SIDE * SIDE) + 1e-12));
}

/* photo, then strength 0, then each style, at SIDE x SIDE */
static float *pictures[2 + N_STYLES];

static void the_styles_are_listed(void)
{
    CHECK(imp_test_cli_run(&io, "styles --json") == 0);
    for (int k = 0; k < N_STYLES; k++) {
        char want[96];
        /* a title and a painter, not null */
        snprintf(want, sizeof want, "{\"name\": \"%s\", \"title\": \"", names[k]);
        CHECK(imp_test_has(io.out, want));
        const char *at = strstr(io.out, want);
        const char *end = at ? strchr(at, '}') : NULL;
        const char *painter = at ? strstr(at, "\"painter\": \"") : NULL;
        CHECK(painter && painter < end);
    }
    CHECK(!strstr(io.out, "\"name\": \"identity\""));
}

static void every_style_runs(void)
{
    const char *photo = IMP_SOURCE_DIR "/assets/astronaut.png";
    pictures[0] = load_square(photo);
    for (int k = -1; k < N_STYLES; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s.png", k < 0 ? "identity" : names[k]);
        const char *out = imp_test_cli_path(&io, name);
        if (!CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --size %d --style %s%s", photo,
                                    out, SIDE, names[k < 0 ? 0 : k],
                                    k < 0 ? " --strength 0" : "") == 0))
            continue;
        pictures[2 + k] = load_square(out);
    }
    for (int i = 0; i < 2 + N_STYLES; i++)
        if (!CHECK(pictures[i] != NULL))
            return;
    /* Strength 0 is the photo (the identity style alone is the photo paler,
     * about 16 dB from it; the strength's blend with the photo makes up
     * the rest), and far nearer to it than any style; each style changes
     * the photo, and differently from every other style. */
    const double identity_db = psnr(pictures[1], pictures[0]);
    if (!CHECK(identity_db > 40))
        printf("  strength 0: %.1f dB from the photo\n", identity_db);
    for (int k = 0; k < N_STYLES; k++) {
        const double changed = mean_abs_diff(pictures[2 + k], pictures[0]);
        const double style_db = psnr(pictures[2 + k], pictures[0]);
        if (!CHECK(changed > 0.06 && style_db < identity_db - 1))
            printf("  %s: mean change %.3f, %.1f dB from the photo (identity %.1f dB)\n",
                   names[k], changed, style_db, identity_db);
        for (int j = 0; j < k; j++) {
            const double apart = mean_abs_diff(pictures[2 + k], pictures[2 + j]);
            if (!CHECK(apart > 0.03))
                printf("  %s and %s: mean difference %.3f\n", names[k], names[j], apart);
        }
    }
}

/* The first style at strengths between 0 and 1: each step further from
 * the photo than the one before, the last the full style. */
static void strength_ramps_from_the_photo_to_the_style(void)
{
    if (!pictures[0] || !pictures[1] || !pictures[2])
        return;
    const char *photo = IMP_SOURCE_DIR "/assets/astronaut.png";
    double last = mean_abs_diff(pictures[1], pictures[0]);
    for (int k = 1; k <= 4; k++) {
        float *at = pictures[2];
        if (k < 4) {
            char flag[32];
            snprintf(flag, sizeof flag, "%.2f", k / 4.0);
            const char *out = imp_test_cli_path(&io, "ramp.png");
            if (!CHECK(imp_test_cli_run(&io, "stylize '%s' -o '%s' --size %d --style %s "
                                        "--strength %s", photo, out, SIDE, names[0], flag) == 0) ||
                !CHECK((at = load_square(out)) != NULL))
                return;
        }
        const double d = mean_abs_diff(at, pictures[0]);
        if (!CHECK(d > last + 0.005))
            printf("  strength %.2f: mean change %.4f, not above %.4f\n", k / 4.0, d, last);
        last = d;
        if (at != pictures[2])
            free(at);
    }
}

static void each_style_is_nearest_its_painting(void)
{
    if (IMP_TEST_SANITIZED) { /* twelve VGG19 runs at 256x256: the Release build checks it */
        printf("  skipped under the sanitizers\n");
        return;
    }
    char vgg_dir[1024];
    if (!pictures[0] || !imp_test_shared("models/backbones/vgg19-imagenet-keras-tfjs-partial",
                                         vgg_dir, sizeof vgg_dir))
        return;
    char path[1024];
    float *paintings[N_STYLES] = {0};
    int have = 0;
    for (int k = 0; k < N_STYLES; k++) {
        snprintf(path, sizeof path, IMP_SHARED_DIR "/styles/%s.jpg", names[k]);
        FILE *f = fopen(path, "rb");
        if (!f)
            snprintf(path, sizeof path, "/usr/share/doc/opencv-doc/examples/data/%s.jpg",
                     names[k]);
        else
            fclose(f);
        f = fopen(path, "rb");
        if (!f) {
            printf("  %s: no painting (../shared/styles or opencv-doc): not compared\n", names[k]);
            continue;
        }
        fclose(f);
        have += (paintings[k] = load_square(path)) != NULL;
    }
    struct imp_tnet *vgg = NULL;
    int relu[8];
    struct imp_error err;
    struct imp_ploss *pl = NULL;
    struct imp_ploss_options po = {.content_value = 0, .style_values = relu,
                                   .n_style_values = 8, .content_weight = 1,
                                   .style_weight = 1};
    if (CHECK(have >= 2) && CHECK(imp_vgg19_load(vgg_dir, &vgg, relu, &err) == IMP_OK)) {
        po.content_value = relu[3];
        if (CHECK(imp_ploss_create(vgg, &po, N_STYLES, 1, SIDE, SIDE, 2, IMP_ISA_BEST, &pl,
                                   &err) == IMP_OK))
            for (int k = 0; k < N_STYLES; k++)
                if (paintings[k])
                    CHECK(imp_ploss_set_style(pl, k, paintings[k], &err) == IMP_OK);
    }
    /* d[i][j]: picture i (the photo, identity, the styles) to painting j */
    for (int j = 0; pl && j < N_STYLES; j++) {
        if (!paintings[j])
            continue;
        double d[2 + N_STYLES];
        for (int i = 0; i < 2 + N_STYLES; i++)
            d[i] = imp_ploss_measure(pl, pictures[i], pictures[0], &j).style;
        int nearest = 2;
        for (int i = 3; i < 2 + N_STYLES; i++)
            nearest = d[i] < d[nearest] ? i : nearest;
        const int own = 2 + j;
        if (!CHECK(nearest == own && d[own] < 0.5 * d[0])) {
            printf("  painting %s: style distance of the photo %.4g, of", names[j], d[0]);
            for (int i = 2; i < 2 + N_STYLES; i++)
                printf(" %s %.4g", names[i - 2], d[i]);
            printf("\n");
        }
    }
    imp_ploss_free(pl);
    imp_tnet_free(vgg);
    for (int k = 0; k < N_STYLES; k++)
        free(paintings[k]);
}

int main(void)
{
    /* the source tree's models/, whatever the environment says */
    unsetenv("IMPASTO_MODELS");
    if (!imp_test_cli_open(&io, "impasto-shipped-"))
        return 1;
    RUN(the_styles_are_listed);
    RUN(every_style_runs);
    RUN(strength_ramps_from_the_photo_to_the_style);
    RUN(each_style_is_nearest_its_painting);
    for (int i = 0; i < 2 + N_STYLES; i++)
        free(pictures[i]);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
