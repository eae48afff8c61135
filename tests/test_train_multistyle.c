/*
 * Multi-style networks: a tiny student with three styles (identity, a, b)
 * written as one .imp (imp_tnet_export), read back (apps/effects
 * style_set), each style picked by its norm weights (style_mix) against
 * the same style written as a file of its own, blends, strength through
 * the CLI, the kept constants through .imp and ONNX round trips, corrupt
 * style metadata, and --extend's building blocks (imp_student_load and
 * frozen convolutions) keeping every old parameter bit-identical. No
 * ../shared needed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "harness.h"
#include "image.h"
#include "impasto_train.h"
#include "style_mix.h"
#include "style_set.h"
#include "stylize.h"

#define W 24
#define H 20
#define N_STYLES 3

static struct imp_test_cli io;
static const struct imp_tnet_style styles[N_STYLES] = {
    {.name = "identity"},
    {.name = "a", .title = "Alpha", .painter = "Ann"},
    {.name = "b", .title = "Beta"},
};

/* A student whose styles differ: each style's norm scales and shifts
 * moved by its own random amounts. */
static struct imp_tnet *tiny_student(int *out)
{
    struct imp_tnet *net = imp_student_create(N_STYLES, 4, 1, out);
    if (!net)
        return NULL;
    imp_tnet_init_params(net, 7);
    unsigned seed = 21;
    for (int v = 1; v < imp_tnet_value_count(net); v++) {
        size_t wo, wn, bo, bn;
        if (!imp_tnet_layer_params(net, v, &wo, &wn, &bo, &bn) || wn != bn)
            continue; /* convs have weight and bias of other sizes */
        float *p = imp_tnet_params(net);
        for (size_t i = 0; i < wn; i++) {
            p[wo + i] += 0.5f * imp_test_frand(&seed);
            p[bo + i] += 0.5f * imp_test_frand(&seed);
        }
    }
    return net;
}

static struct imp_model *load(const char *path)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_load_file(path, &m, &err) != IMP_OK)
        printf("  %s: %s\n", path, err.message);
    return m;
}

static uint8_t *picture(unsigned seed)
{
    uint8_t *p = malloc(W * H * 3);
    for (int i = 0; i < W * H * 3; i++)
        p[i] = (uint8_t)(128 + 100 * sin(0.3 * (i % (W * 3)) + 0.2 * (i / (W * 3))) +
                         20 * imp_test_frand(&seed));
    return p;
}

/* Runs m on the picture with the norm weights mixed from parts (n 0:
 * as the file is). */
static bool paint(const struct imp_model *m, const struct imp_style_set *live,
                  const struct imp_style_part *parts, int n, const uint8_t *rgb, uint8_t *out)
{
    struct imp_stylizer_options o = imp_stylizer_options_default();
    char why[512];
    o.predictor.threads = 1;
    struct imp_stylizer *s = NULL;
    bool ok = imp_style_detect(m, &o.convention, why, sizeof why) == 0 &&
              imp_stylizer_create(m, &o, &s, why, sizeof why) == 0 &&
              (n == 0 || imp_style_mix_parts(s, live, parts, n, why, sizeof why) == 0) &&
              imp_stylizer_run(s, rgb, W, H, out, why, sizeof why) == 0;
    if (!ok)
        printf("  %s\n", why);
    imp_stylizer_free(s);
    return ok;
}

static int max_diff(const uint8_t *a, const uint8_t *b)
{
    int d = 0;
    for (int i = 0; i < W * H * 3; i++)
        d = abs(a[i] - b[i]) > d ? abs(a[i] - b[i]) : d;
    return d;
}

static bool export_multi(struct imp_tnet *net, const char *path)
{
    struct imp_error err = {0};
    const float live[N_STYLES] = {0, 1, 0}; /* style a runs unless told otherwise */
    struct imp_tnet_export o = {.style_mix = live, .styles = styles, .recipe = "a test"};
    if (imp_tnet_export(net, &o, path, &err) != IMP_OK) {
        printf("  %s\n", err.message);
        return false;
    }
    return true;
}

static void each_style_equals_its_own_file(void)
{
    int out;
    struct imp_tnet *net = tiny_student(&out);
    const char *multi = imp_test_cli_path(&io, "multi.imp");
    if (!CHECK(net && export_multi(net, multi))) {
        imp_tnet_free(net);
        return;
    }
    struct imp_model *m = load(multi);
    struct imp_style_set set;
    char why[512];
    if (!CHECK(m && imp_style_set_read(m, &set, why, sizeof why) == 0)) {
        imp_model_free(m);
        imp_tnet_free(net);
        return;
    }
    CHECK(set.n == N_STYLES && set.identity == 0 && imp_style_set_default(&set) == 1);
    CHECK(strcmp(set.names[2], "b") == 0 && imp_style_set_find(&set, "b") == 2 &&
          imp_style_set_find(&set, "c") == -1);
    CHECK(set.titles[1] && strcmp(set.titles[1], "Alpha") == 0 && set.painters[1] &&
          strcmp(set.painters[1], "Ann") == 0 && set.painters[2] == NULL);
    CHECK(set.n_params == 2 * 7); /* 7 norms (3 down, 2 in the block, 2 up) */
    CHECK(imp_model_metadata_find(m, "impasto.recipe") != NULL);

    uint8_t *rgb = picture(3), *got = malloc(W * H * 3), *want = malloc(W * H * 3),
            *first = malloc(W * H * 3);
    for (int s = 0; s < N_STYLES; s++) {
        float mix[N_STYLES] = {0};
        mix[s] = 1;
        const char *single = imp_test_cli_path(&io, "single.imp");
        struct imp_error err;
        struct imp_model *ms = NULL;
        struct imp_style_part part = {.model = m, .set = &set, .style = s, .weight = 1};
        bool ok = CHECK(imp_tnet_export_imp(net, mix, single, &err) == IMP_OK) &&
                  (ms = load(single)) && paint(ms, NULL, NULL, 0, rgb, want) &&
                  paint(m, &set, &part, 1, rgb, got);
        if (ok) {
            printf("  style %s: max difference to its own file %d\n", set.names[s],
                   max_diff(got, want));
            CHECK(memcmp(got, want, W * H * 3) == 0);
        }
        if (s == 1) { /* the file as it is runs its default style, a */
            CHECK(paint(m, NULL, NULL, 0, rgb, got) && memcmp(got, want, W * H * 3) == 0);
            memcpy(first, want, W * H * 3);
        }
        if (s == 2) { /* and the styles do differ */
            printf("  a vs b: max difference %d\n", max_diff(first, want));
            CHECK(max_diff(first, want) > 10);
        }
        imp_model_free(ms);
    }
    /* A blend of a style with itself is the style. */
    struct imp_style_part halves[2] = {{.model = m, .set = &set, .style = 2, .weight = 0.6f},
                                       {.model = m, .set = &set, .style = 2, .weight = 0.4f}};
    struct imp_style_part whole = {.model = m, .set = &set, .style = 2, .weight = 1};
    if (paint(m, &set, halves, 2, rgb, got) && paint(m, &set, &whole, 1, rgb, want)) {
        printf("  b:0.6,b:0.4 vs b: max difference %d\n", max_diff(got, want));
        CHECK(max_diff(got, want) <= 1);
    }
    free(rgb);
    free(got);
    free(want);
    free(first);
    imp_style_set_free(&set);
    imp_model_free(m);
    imp_tnet_free(net);
}

/* The styles the runtime keeps (no node reads them) survive a .imp and
 * an ONNX round trip, numbers and names. */
static void kept_styles_survive_conversions(void)
{
    struct imp_model *m = load(imp_test_cli_path(&io, "multi.imp"));
    if (!CHECK(m != NULL))
        return;
    const float *orig;
    size_t n_orig;
    if (!CHECK(imp_model_param(m, "style.b.norm3.shift", &orig, &n_orig) == IMP_OK)) {
        imp_model_free(m);
        return;
    }
    const char *outs[2] = {imp_test_cli_path(&io, "again.imp"),
                           imp_test_cli_path(&io, "again.onnx")};
    for (int k = 0; k < 2; k++) {
        struct imp_error err;
        struct imp_save_options so = imp_save_options_default();
        so.format = k ? IMP_FORMAT_ONNX : IMP_FORMAT_IMP;
        if (!CHECK(imp_model_save(m, outs[k], &so, &err) == IMP_OK)) {
            printf("  %s\n", err.message);
            continue;
        }
        struct imp_model *r = load(outs[k]);
        struct imp_style_set set;
        char why[512];
        const float *d;
        size_t n;
        if (CHECK(r && imp_style_set_read(r, &set, why, sizeof why) == 0)) {
            CHECK(set.n == N_STYLES);
            CHECK(imp_model_param(r, "style.b.norm3.shift", &d, &n) == IMP_OK && n == n_orig &&
                  memcmp(d, orig, n * sizeof *d) == 0);
        }
        imp_style_set_free(&set);
        imp_model_free(r);
    }
    imp_model_free(m);
}

/* Broken style metadata: one message naming what is wrong, no crash. */
static void corrupt_style_metadata_is_refused(void)
{
    struct imp_model *m = load(imp_test_cli_path(&io, "multi.imp"));
    if (!CHECK(m != NULL))
        return;
    static const struct {
        const char *key, *value, *want;
    } cases[] = {
        {"impasto.styles", "a,a", "impasto.styles"},
        {"impasto.styles", "a,,b", "impasto.styles"},
        {"impasto.styles", "A", "impasto.styles"},
        {"impasto.styles", "a,b,c", "impasto.style.c.params"},
        {"impasto.style.b.params", "style.b.norm0.scale", "impasto.style.b.params"},
        {"impasto.style.b.params", NULL, "impasto.style.b.params"},
        {"impasto.styles.params", "norm0.scale,nothing", "nothing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct imp_metadata_entry e = {cases[i].key, cases[i].value};
        struct imp_save_options so = imp_save_options_default();
        so.metadata = &e;
        so.metadata_count = 1;
        struct imp_error err;
        const char *path = imp_test_cli_path(&io, "bad.imp");
        struct imp_model *bad = NULL;
        struct imp_style_set set;
        char why[512] = "";
        if (CHECK(imp_model_save(m, path, &so, &err) == IMP_OK) && (bad = load(path))) {
            int rc = imp_style_set_read(bad, &set, why, sizeof why);
            if (!CHECK(rc == -1 && strstr(why, cases[i].want)))
                printf("  %s=%s: %d '%s'\n", cases[i].key, cases[i].value ? cases[i].value : "-",
                       rc, why);
            imp_style_set_free(&set);
        }
        imp_model_free(bad);
    }
    imp_model_free(m);
}

/* The loss network of test_train_e2e: conv, relu, pool, conv, relu. */
static struct imp_tnet *tiny_loss_net(int *content, int style_values[2])
{
    struct imp_tnet *net = imp_tnet_create(3);
    int a = imp_tnet_relu(net, imp_tnet_conv(net, 0, 4, 3, 1, 1, true));
    int b = imp_tnet_relu(net, imp_tnet_conv(net, imp_tnet_maxpool2(net, a), 6, 3, 1, 1, true));
    imp_tnet_init_params(net, 99);
    *content = a;
    style_values[0] = a;
    style_values[1] = b;
    return net;
}

/* --extend's parts: the student read back equals the one written, and
 * training with frozen convolutions on the new style's samples changes
 * the new style's norm parameters and nothing else. */
static void extend_changes_only_the_new_norms(void)
{
    enum { B = 2, S = 16 };
    int out, out2;
    struct imp_tnet *net = tiny_student(&out), *ext = NULL;
    struct imp_error err = {0};
    const char *names[N_STYLES] = {"identity", "a", "b"};
    if (!CHECK(net) ||
        !CHECK(imp_student_load(imp_test_cli_path(&io, "multi.imp"), names, N_STYLES, 1, &ext,
                                &out2, &err) == IMP_OK)) {
        printf("  %s\n", err.message);
        imp_tnet_free(net);
        return;
    }
    CHECK(out2 == out && imp_tnet_param_count(ext) > imp_tnet_param_count(net));
    /* Every layer's parameters: the old ones equal, the new style the mean. */
    size_t n_new = 0;
    for (int v = 1; v < imp_tnet_value_count(net); v++) {
        size_t wo, wn, bo, bn, wo2, wn2, bo2, bn2;
        if (!imp_tnet_layer_params(net, v, &wo, &wn, &bo, &bn))
            continue;
        imp_tnet_layer_params(ext, v, &wo2, &wn2, &bo2, &bn2);
        const float *p = imp_tnet_params(net), *q = imp_tnet_params(ext);
        CHECK(memcmp(p + wo, q + wo2, sizeof(float) * wn) == 0 &&
              memcmp(p + bo, q + bo2, sizeof(float) * bn) == 0);
        if (wn2 != wn) { /* a norm: [styles, C], one style more */
            size_t c = wn / N_STYLES;
            CHECK(wn2 == wn + c);
            CHECK_NEAR(q[wo2 + wn + 0], (p[wo] + p[wo + c] + p[wo + 2 * c]) / 3.0, 1e-6);
            n_new += 2 * c;
        }
    }
    CHECK(n_new > 0);

    int content, style_values[2];
    struct imp_tnet *loss_net = tiny_loss_net(&content, style_values);
    struct imp_ploss *pl = NULL;
    struct imp_adam adam = {0};
    struct imp_ploss_options po = {.content_value = content, .style_values = style_values,
                                   .n_style_values = 2, .content_weight = 1.0,
                                   .style_weight = 1000.0, .tv_weight = 1e-8};
    struct imp_tnet_plan_options o = {.batch = B, .height = S, .width = S, .threads = 2,
                                      .max_isa = IMP_ISA_BEST, .seeds = &out2, .n_seeds = 1,
                                      .frozen_convs = true};
    size_t np = imp_tnet_param_count(ext);
    float *before = malloc(sizeof(float) * np);
    memcpy(before, imp_tnet_params(ext), sizeof(float) * np);
    bool ok = CHECK(imp_ploss_create(loss_net, &po, N_STYLES + 1, B, S, S, 2, IMP_ISA_BEST,
                                     &pl, &err) == IMP_OK) &&
              CHECK(imp_tnet_plan(ext, &o, &err) == IMP_OK) &&
              CHECK(imp_adam_init(&adam, np, 0.02, &err) == IMP_OK);
    if (ok) {
        float painting[3 * S * S], x[B * 3 * S * S], g[B * 3 * S * S];
        unsigned seed = 9;
        for (int i = 0; i < 3 * S * S; i++)
            painting[i] = 0.5f + 0.4f * (float)sin(0.7 * i);
        imp_ploss_set_style(pl, N_STYLES, painting, &err);
        int style_of[B] = {N_STYLES, N_STYLES};
        imp_tnet_set_styles(ext, style_of, &err);
        for (int step = 0; step < 4; step++) {
            for (int i = 0; i < B * 3 * S * S; i++)
                x[i] = 0.5f + 0.3f * imp_test_frand(&seed);
            imp_tnet_forward(ext, x, -1);
            imp_ploss_eval(pl, imp_tnet_value(ext, out2), x, style_of, g);
            memcpy(imp_tnet_grad(ext, out2), g, sizeof g);
            imp_tnet_backward(ext);
            imp_adam_step(&adam, imp_tnet_params(ext), imp_tnet_param_grads(ext));
        }
        /* What changed: only the new style's scales and shifts. */
        size_t changed = 0, changed_new = 0;
        const float *q = imp_tnet_params(ext);
        for (int v = 1; v < imp_tnet_value_count(ext); v++) {
            size_t wo, wn, bo, bn;
            if (!imp_tnet_layer_params(ext, v, &wo, &wn, &bo, &bn))
                continue;
            bool norm = wn == bn && wn % (N_STYLES + 1) == 0 && bo == wo + wn;
            for (size_t i = 0; i < wn + bn; i++) {
                size_t at = wo + i; /* weight then bias, adjacent */
                if (q[at] == before[at])
                    continue;
                changed++;
                size_t c = wn / (N_STYLES + 1), in_part = i < wn ? i : i - wn;
                changed_new += norm && in_part >= (size_t)N_STYLES * c;
            }
        }
        printf("  %zu parameters changed, %zu of them the new style's (of %zu)\n", changed,
               changed_new, n_new);
        CHECK(changed > 0 && changed == changed_new);
    } else {
        printf("  %s\n", err.message);
    }
    free(before);
    imp_adam_release(&adam);
    imp_ploss_free(pl);
    imp_tnet_free(loss_net);
    imp_tnet_free(ext);

    /* Not a student: a loss network's export. */
    struct imp_tnet *ln = tiny_loss_net(&content, style_values);
    const char *other = imp_test_cli_path(&io, "other.imp");
    CHECK(imp_tnet_export_imp(ln, NULL, other, &err) == IMP_OK);
    CHECK(imp_student_load(other, names, N_STYLES, 1, &ext, &out2, &err) == IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "not a network impasto train made") != NULL);
    imp_tnet_free(ln);
    imp_tnet_free(net);
}

/* stylize --strength S with a multi-style file mixes the style's norms
 * with its identity style's by S and blends the picture with the photo by
 * 1 - (1 - S)^2 (0: the photo itself), --style picks each style, an
 * unknown name lists the known ones. */
static void stylize_picks_styles_by_name(void)
{
    if (access(imp_test_cli_binary, X_OK) != 0) {
        printf("  skipped: no impasto program\n");
        return;
    }
    char models[256];
    snprintf(models, sizeof models, "%s", imp_test_cli_path(&io, "models"));
    CHECK(imp_test_sh(&io, "mkdir -p %s && cp %s %s/", models,
                      imp_test_cli_path(&io, "multi.imp"), models) == 0);
    setenv("IMPASTO_MODELS", models, 1);
    struct imp_model *m = load(imp_test_cli_path(&io, "multi.imp"));
    struct imp_style_set set;
    char why[512];
    uint8_t *rgb = picture(5), *want = malloc(W * H * 3);
    struct imp_image photo = {.width = W, .height = H, .channels = 3, .pixels = rgb};
    if (!CHECK(m && imp_style_set_read(m, &set, why, sizeof why) == 0) ||
        !CHECK(imp_image_save_png(imp_test_cli_path(&io, "photo.png"), &photo, why,
                                  sizeof why) == 0)) {
        imp_model_free(m);
        free(rgb);
        free(want);
        return;
    }
    CHECK(imp_test_cli_run(&io, "styles --json") == 0);
    CHECK(imp_test_has(io.out, "{\"name\": \"a\", \"title\": \"Alpha\", \"painter\": \"Ann\"") &&
          imp_test_has(io.out, "{\"name\": \"b\", \"title\": \"Beta\", \"painter\": null") &&
          !strstr(io.out, "identity"));
    const struct {
        const char *flags;
        int style;
        float strength;
    } runs[] = {{"--style a --strength 0", 1, 0.0f},
                {"--style a --strength 0.25", 1, 0.25f},
                {"--style b", 2, 1.0f},
                {"", 1, 1.0f}};
    for (int i = 0; i < 4; i++) {
        const float s = runs[i].strength;
        const struct imp_style_part parts[2] = {
            {.model = m, .set = &set, .style = runs[i].style, .weight = s},
            {.model = m, .set = &set, .style = set.identity, .weight = 1 - s}};
        struct imp_image got = {0};
        int rc = imp_test_cli_run(&io, "stylize %s -o %s %s -t 1",
                                  imp_test_cli_path(&io, "photo.png"),
                                  imp_test_cli_path(&io, "out.png"), runs[i].flags);
        bool painted = rc == 0 && paint(m, &set, parts, s < 1 ? 2 : 1, rgb, want);
        const float blend = 1 - (1 - s) * (1 - s);
        for (int k = 0; painted && k < W * H * 3; k++)
            want[k] = (uint8_t)lrintf(blend * want[k] + (1 - blend) * rgb[k]);
        if (CHECK(rc == 0) && painted &&
            CHECK(imp_image_load(imp_test_cli_path(&io, "out.png"), &got, why, sizeof why) ==
                  0) &&
            CHECK(got.width == W && got.height == H && got.channels == 3)) {
            printf("  stylize %s: max difference to style %s at strength %.2f %d\n",
                   runs[i].flags, set.names[runs[i].style], s, max_diff(got.pixels, want));
            CHECK(max_diff(got.pixels, want) <= 1);
        } else if (rc != 0) {
            printf("  %s\n", io.err);
        }
        imp_image_free(&got);
    }
    CHECK(imp_test_cli_run(&io, "stylize %s -o %s --style c", imp_test_cli_path(&io, "photo.png"),
                           imp_test_cli_path(&io, "out.png")) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "known: a, b"));
    /* a file whose style metadata is corrupt: listed by its name, refused
     * in one line when chosen */
    struct imp_metadata_entry e = {"impasto.styles", "a,a"};
    struct imp_save_options so = imp_save_options_default();
    so.metadata = &e;
    so.metadata_count = 1;
    struct imp_error err;
    char bad[300];
    snprintf(bad, sizeof bad, "%s/broken.imp", models);
    CHECK(imp_model_save(m, bad, &so, &err) == IMP_OK);
    CHECK(imp_test_cli_run(&io, "stylize %s -o %s --style broken",
                           imp_test_cli_path(&io, "photo.png"),
                           imp_test_cli_path(&io, "out.png")) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "impasto.styles"));
    unsetenv("IMPASTO_MODELS");
    imp_style_set_free(&set);
    imp_model_free(m);
    free(rgb);
    free(want);
}

int main(void)
{
    if (!imp_test_cli_open(&io, "impasto-multistyle-"))
        return 1;
    RUN(each_style_equals_its_own_file);
    RUN(kept_styles_survive_conversions);
    RUN(corrupt_style_metadata_is_refused);
    RUN(extend_changes_only_the_new_norms);
    RUN(stylize_picks_styles_by_name);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
