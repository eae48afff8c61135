/* impasto style-score without ../shared, on a stand-in VGG19 (random
 * weights of the real shapes): the distances (imp_ploss_measure) are zero
 * for identical pictures, grow with a known perturbation like its square,
 * and equal the training loss's own terms; the command scores a tiny
 * student against itself (ratios exactly 1) and against another network,
 * and bad input gives one line and a non-zero exit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_run.h"
#include "harness.h"
#include "image.h"
#include "impasto_train.h"
#include "vgg_standin.h"

#define SIDE 32

static struct imp_test_cli io;
static char vgg_dir[256];

/* Smooth made-up "photos": gradients and a ripple, RGB 0..1, planar. */
static void photo(float *x, int seed)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < SIDE; y++)
            for (int xx = 0; xx < SIDE; xx++)
                x[(c * SIDE + y) * SIDE + xx] =
                    0.5f + 0.35f * sinf(0.21f * (float)(xx * (c + 1) + y * (seed + 2)) +
                                        (float)seed);
}

static void write_png(const char *path, const float *planar)
{
    struct imp_image img = {.width = SIDE, .height = SIDE, .channels = 3};
    img.pixels = malloc(SIDE * SIDE * 3);
    for (int i = 0; i < SIDE * SIDE; i++)
        for (int c = 0; c < 3; c++)
            img.pixels[i * 3 + c] = (uint8_t)(planar[c * SIDE * SIDE + i] * 255.0f + 0.5f);
    char err[256];
    CHECK(imp_image_save_png(path, &img, err, sizeof err) == 0);
    free(img.pixels);
}

static void distances_behave(void)
{
    struct imp_tnet *vgg = NULL;
    int relu[8];
    struct imp_error err;
    if (!CHECK(imp_vgg19_load(vgg_dir, &vgg, relu, &err) == IMP_OK))
        return;
    struct imp_ploss_options po = {.content_value = relu[3], .style_values = relu,
                                   .n_style_values = 8, .content_weight = 1,
                                   .style_weight = 1, .tv_weight = 0};
    struct imp_ploss *pl = NULL;
    if (!CHECK(imp_ploss_create(vgg, &po, 1, 1, SIDE, SIDE, 2, IMP_ISA_BEST, &pl, &err) ==
               IMP_OK)) {
        imp_tnet_free(vgg);
        return;
    }
    const size_t n = 3 * SIDE * SIDE;
    float *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
    float *g = malloc(sizeof(float) * n), *grad = malloc(sizeof(float) * n);
    photo(a, 1);
    photo(b, 4);
    const int style0 = 0;
    /* The painting is the photo itself: both distances vanish. */
    CHECK(imp_ploss_set_style(pl, 0, a, &err) == IMP_OK);
    struct imp_ploss_value same = imp_ploss_measure(pl, a, a, &style0);
    CHECK(same.style == 0.0 && same.content == 0.0 && same.tv == 0.0);

    /* A painting in tiles: the mean of their Grams. Two tiles of a alone
     * are a; tiles a and b put the target half way, a quarter of the
     * squared distance from either. */
    float *ab = malloc(sizeof(float) * 2 * n);
    memcpy(ab, a, sizeof(float) * n);
    memcpy(ab + n, a, sizeof(float) * n);
    CHECK(imp_ploss_set_style_tiles(pl, 0, ab, 2, &err) == IMP_OK);
    CHECK(imp_ploss_measure(pl, a, a, &style0).style == 0.0);
    memcpy(ab + n, b, sizeof(float) * n);
    CHECK(imp_ploss_set_style_tiles(pl, 0, ab, 2, &err) == IMP_OK);
    const double half_a = imp_ploss_measure(pl, a, a, &style0).style;
    const double half_b = imp_ploss_measure(pl, b, b, &style0).style;
    CHECK(imp_ploss_set_style(pl, 0, b, &err) == IMP_OK);
    const double whole = imp_ploss_measure(pl, a, a, &style0).style;
    if (!CHECK(whole > 0 && fabs(half_a / whole - 0.25) < 1e-3 &&
               fabs(half_b / whole - 0.25) < 1e-3))
        printf("  two tiles: %g and %g against %g apart\n", half_a, half_b, whole);
    CHECK(imp_ploss_set_style_tiles(pl, 0, ab, 0, &err) == IMP_ERR_ARGUMENT);
    free(ab);

    /* A perturbation of amplitude k: distances grow, about as k^2 while
     * it is small (the features are piecewise linear in the picture). */
    CHECK(imp_ploss_set_style(pl, 0, b, &err) == IMP_OK);
    double last_style = 0, last_content = 0, content_at[3], style_at[3];
    const float amp[3] = {0.01f, 0.02f, 0.04f};
    unsigned seed = 9;
    float *noise = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        noise[i] = imp_test_frand(&seed);
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++)
            g[i] = a[i] + amp[k] * noise[i];
        struct imp_ploss_value v = imp_ploss_measure(pl, g, a, &style0);
        CHECK(v.content > last_content && v.style > 0);
        content_at[k] = v.content;
        style_at[k] = v.style;
        last_content = v.content;
        last_style = v.style;
        /* the training loss's own terms, to the bit */
        struct imp_ploss_value e = imp_ploss_eval(pl, g, a, &style0, grad);
        CHECK(e.content == v.content && e.style == v.style);
    }
    (void)last_style;
    double r1 = content_at[1] / content_at[0], r2 = content_at[2] / content_at[1];
    if (!CHECK(r1 > 3.0 && r1 < 5.0 && r2 > 3.0 && r2 < 5.0))
        printf("  content distance ratios for 2x amplitude: %g %g\n", r1, r2);
    /* The style distance to another picture: the painting b is far from a,
     * and a small perturbation moves it only a little. */
    struct imp_ploss_value to_b = imp_ploss_measure(pl, b, a, &style0);
    CHECK(to_b.style == 0.0); /* b judged against its own painting */
    CHECK(fabs(style_at[0] - style_at[1]) < 0.1 * style_at[0]);
    free(noise);
    free(a);
    free(b);
    free(g);
    free(grad);
    imp_ploss_free(pl);
    imp_tnet_free(vgg);
}

/* A tiny student, exported as the runtime's model. */
static void write_student(const char *path, uint64_t seed)
{
    int out;
    struct imp_tnet *s = imp_student_create(1, 4, 1, &out);
    imp_tnet_init_params(s, seed);
    struct imp_error err;
    CHECK(imp_tnet_export_imp(s, NULL, path, &err) == IMP_OK);
    imp_tnet_free(s);
}

/* "key": number after `from` in text, or NAN. */
static double json_number(const char *text, const char *key, const char *from)
{
    const char *at = strstr(from ? from : text, key);
    return at ? strtod(at + strlen(key), NULL) : NAN;
}

static void the_command_scores_and_compares(void)
{
    float *x = malloc(sizeof(float) * 3 * SIDE * SIDE);
    photo(x, 2);
    write_png(imp_test_cli_path(&io, "paint.png"), x);
    photo(x, 5);
    write_png(imp_test_cli_path(&io, "p1.png"), x);
    photo(x, 7);
    write_png(imp_test_cli_path(&io, "p2.png"), x);
    free(x);
    write_student(imp_test_cli_path(&io, "a.imp"), 1);
    write_student(imp_test_cli_path(&io, "b.imp"), 2);

    char common[1024];
    snprintf(common, sizeof common, "--painting %s --vgg %s --size %d %s %s",
             imp_test_cli_path(&io, "paint.png"), vgg_dir, SIDE,
             imp_test_cli_path(&io, "p1.png"), imp_test_cli_path(&io, "p2.png"));
    int rc = imp_test_cli_run(&io, "style-score --style %s --reference %s --json %s",
                              imp_test_cli_path(&io, "a.imp"), imp_test_cli_path(&io, "a.imp"),
                              common);
    if (!CHECK(rc == 0))
        printf("  stderr: %s\n", io.err);
    const char *mean = strstr(io.out, "\"mean\"");
    CHECK(mean != NULL);
    if (mean) {
        CHECK(json_number(io.out, "\"style_ratio\": ", mean) == 1.0);
        CHECK(json_number(io.out, "\"content_ratio\": ", mean) == 1.0);
        double s = json_number(io.out, "\"style_distance\": ", mean);
        double c = json_number(io.out, "\"content_distance\": ", mean);
        CHECK(s > 0 && isfinite(s) && c > 0 && isfinite(c));
        /* the mean is the mean of the two photos */
        double s1 = json_number(io.out, "\"style_distance\": ", NULL);
        double s2 = json_number(io.out, "\"style_distance\": ",
                                strstr(io.out, "p2.png"));
        CHECK_NEAR(s, 0.5 * (s1 + s2), 1e-4);
    }

    rc = imp_test_cli_run(&io, "style-score --style %s --reference %s --json %s",
                          imp_test_cli_path(&io, "a.imp"), imp_test_cli_path(&io, "b.imp"),
                          common);
    CHECK(rc == 0);
    mean = strstr(io.out, "\"mean\"");
    if (CHECK(mean != NULL)) {
        double ours = json_number(io.out, "\"style_distance\": ", mean);
        double ref = json_number(io.out, "\"reference_style_distance\": ", mean);
        double ratio = json_number(io.out, "\"style_ratio\": ", mean);
        CHECK(ratio > 0 && ratio != 1.0);
        CHECK_NEAR(ratio, ours / ref, 1e-3);
    }
    /* the table */
    rc = imp_test_cli_run(&io, "style-score --style %s %s", imp_test_cli_path(&io, "a.imp"),
                          common);
    CHECK(rc == 0 && imp_test_has(io.out, "mean") && imp_test_has(io.out, "p2.png"));
}

static void bad_input_gives_one_line(void)
{
    const char *a = imp_test_cli_path(&io, "a.imp");
    char common[1024];
    snprintf(common, sizeof common, "--vgg %s --size %d %s", vgg_dir, SIDE,
             imp_test_cli_path(&io, "p1.png"));
    CHECK(imp_test_cli_run(&io, "style-score --style %s --painting %s %s", a,
                           imp_test_cli_path(&io, "nothing.png"), common) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "nothing.png"));
    CHECK(imp_test_cli_run(&io, "style-score --style %s --painting %s --vgg %s %s", a,
                           imp_test_cli_path(&io, "paint.png"), vgg_dir,
                           imp_test_cli_path(&io, "missing.jpg")) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "missing.jpg"));
    CHECK(imp_test_cli_run(&io, "style-score --style %s --painting %s %s",
                           imp_test_cli_path(&io, "p1.png"),
                           imp_test_cli_path(&io, "paint.png"), common) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "p1.png"));
    CHECK(imp_test_cli_run(&io, "style-score --style %s --painting %s --vgg %s %s", a,
                           imp_test_cli_path(&io, "paint.png"), imp_test_cli_path(&io, "novgg"),
                           imp_test_cli_path(&io, "p1.png")) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "vgg19"));
    CHECK(imp_test_cli_run(&io, "style-score --style %s --painting %s --reference-magenta %s %s",
                           a, imp_test_cli_path(&io, "paint.png"), io.dir, common) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "style_predict"));
    CHECK(imp_test_cli_run(&io, "style-score --painting %s", imp_test_cli_path(&io, "paint.png")) ==
          2);
    CHECK(imp_test_cli_run(&io, "style-score --style %s --painting %s --size 8", a,
                           imp_test_cli_path(&io, "paint.png")) == 2);
}

int main(void)
{
    if (!imp_test_cli_open(&io, "impasto-style-score-"))
        return 1;
    snprintf(vgg_dir, sizeof vgg_dir, "%s", imp_test_cli_path(&io, "vgg"));
    imp_test_write_vgg_standin(vgg_dir);
    RUN(distances_behave);
    RUN(the_command_scores_and_compares);
    RUN(bad_input_gives_one_line);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
