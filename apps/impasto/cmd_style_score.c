/* impasto style-score: how close a style network's pictures come to its
 * painting (Gram style distance) and to the photos (content distance), in
 * VGG19's features, on photos never used in training; and the same for a
 * published reference network, as ratios. The distances are the training
 * loss's own terms (imp_ploss_measure) with weights 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "image.h"
#include "impasto_train.h"
#include "styles.h"
#include "stylize.h"
#include "stylize_cli.h"
#include "train_data.h"

#define SCORE_MAX_PHOTOS 256
#define OPENCV_DATA "/usr/share/doc/opencv-doc/examples/data/"

/* Held-out photos: Debian's opencv-doc, never one of scripts/photos.sh's
 * training packages. */
static const char *const default_photos[] = {
    OPENCV_DATA "baboon.jpg", OPENCV_DATA "fruits.jpg",  OPENCV_DATA "home.jpg",
    OPENCV_DATA "building.jpg", OPENCV_DATA "messi5.jpg", OPENCV_DATA "butterfly.jpg",
};

static const char *const relu_names[8] = {"relu1_1", "relu1_2", "relu2_1", "relu2_2",
                                          "relu3_1", "relu3_2", "relu3_3", "relu3_4"};
#define CONTENT_RELU 3 /* relu2_2, as the training's content loss */

static const char help[] =
    "usage: impasto style-score --style STYLE --painting PAINTING [PHOTO...] [options]\n"
    "\n"
    "Judge a style network the way its training loss does, on photos it never\n"
    "saw: each photo's centre square is resized to SIZE x SIZE and stylized, and\n"
    "VGG19 compares the result\n"
    "  - with the painting (its centre square at SIZE x SIZE): the style\n"
    "    distance, the sum over relu1_1 .. relu3_4 (all eight) of the mean\n"
    "    squared difference of the Gram matrices, each Gram F F^T / (C H W);\n"
    "  - with the photo: the content distance, the mean squared difference\n"
    "    of the relu2_2 features.\n"
    "Lower is closer. With a reference (a published GPU-trained network for\n"
    "the same painting) each distance also gets the ratio ours / reference.\n"
    "The default photos are opencv-doc's baboon, fruits, home, building, messi5\n"
    "and butterfly (apt install opencv-doc).\n"
    "\n"
    "options:\n"
    "      --style STYLE     the network to judge: a model file or a shipped style\n"
    "      --painting P      the painting it was trained on (PNG or JPEG)\n"
    "      --reference MODEL a reference network for the same painting\n"
    "      --reference-magenta DIR  or Magenta's arbitrary style network (the\n"
    "                        folder of style_predict*.tflite and\n"
    "                        style_transfer*.tflite) conditioned on the painting\n"
    "      --size S          working size (default 256, the training size)\n"
    "      --vgg DIR         VGG19 TF.js files (default:\n"
    "                        ../shared/models/backbones/vgg19-imagenet-keras-tfjs-partial\n"
    "                        beside the source tree)\n"
    "      --json            one JSON object instead of the table\n"
    "  -t, --threads N       worker threads (default 2)\n"
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto style-score --style udnie.imp --painting ../shared/styles/udnie.jpg \\\n"
    "      --reference ../shared/models/style/johnson-instancenorm-onnx/udnie.onnx\n"
    "  impasto style-score --style wave --painting ../shared/styles/wave.jpg \\\n"
    "      --reference-magenta ../shared/models/style/magenta-arbitrary-tflite --json\n"
    "  impasto style-score --style scream.imp --painting scream.jpg me.jpg cat.png\n";

enum { O_STYLE = 1, O_PAINTING, O_REF, O_REF_MAGENTA, O_SIZE, O_VGG, O_JSON, O_THREADS };

struct score_args {
    const char *style, *painting, *reference, *reference_magenta, *vgg;
    const char *photos[SCORE_MAX_PHOTOS];
    int n_photos, size, json, threads;
};

static int parse(int argc, char **argv, struct score_args *s)
{
    static const struct imp_cli_option opts[] = {
        {"style", 0, 1, O_STYLE},     {"painting", 0, 1, O_PAINTING},
        {"reference", 0, 1, O_REF},   {"reference-magenta", 0, 1, O_REF_MAGENTA},
        {"size", 0, 1, O_SIZE},       {"vgg", 0, 1, O_VGG},
        {"json", 0, 0, O_JSON},       {"threads", 't', 1, O_THREADS},
        {0},
    };
    const char *cmd = "style-score";
    *s = (struct score_args){
        .vgg = IMP_CLI_DEFAULT_VGG,
        .size = 256, .threads = 2};
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_style_score_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            return 0;
        if (id == IMP_CLI_ARG_ERROR)
            return IMP_CLI_EXIT_USAGE;
        const char *v = a.value;
        int bad = 0;
        switch (id) {
        case IMP_CLI_ARG_POSITIONAL:
            if (s->n_photos == SCORE_MAX_PHOTOS)
                return imp_cli_usage(cmd, "at most %d photos", SCORE_MAX_PHOTOS);
            s->photos[s->n_photos++] = v;
            break;
        case O_STYLE: s->style = v; break;
        case O_PAINTING: s->painting = v; break;
        case O_REF: s->reference = v; break;
        case O_REF_MAGENTA: s->reference_magenta = v; break;
        case O_SIZE: bad = imp_cli_parse_int(cmd, "--size", v, 32, 1024, &s->size); break;
        case O_VGG: s->vgg = v; break;
        case O_JSON: s->json = 1; break;
        case O_THREADS: bad = imp_cli_parse_int(cmd, "--threads", v, 1, 256, &s->threads); break;
        }
        if (bad)
            return IMP_CLI_EXIT_USAGE;
    }
    if (!s->style)
        return imp_cli_usage(cmd, "give the network to judge with --style");
    if (!s->painting)
        return imp_cli_usage(cmd, "give its painting with --painting");
    if (s->reference && s->reference_magenta)
        return imp_cli_usage(cmd, "give one of --reference and --reference-magenta");
    if (!s->n_photos) {
        s->n_photos = (int)(sizeof default_photos / sizeof default_photos[0]);
        for (int i = 0; i < s->n_photos; i++)
            s->photos[i] = default_photos[i];
    }
    return -1; /* go on */
}

/* A network that paints a photo: a style model on the stylizer, or Magenta
 * conditioned on the painting. */
struct painter {
    const char *label;
    struct imp_style_choice choice; /* the style and the network it runs on */
    struct imp_stylizer *stylizer;
    struct imp_magenta_painter *magenta;
};

/* A style as impasto stylize takes --style: a shipped name, a style of a
 * multi-style file, or a model file. */
static int painter_open_style(struct painter *p, const char *style, int threads)
{
    char why[1024];
    p->label = style;
    struct imp_style_request req = {.style = style, .strength = 1.0f};
    int rc = imp_styles_choose(&req, &p->choice);
    if (rc)
        return rc;
    struct imp_model *m = p->choice.models[0];
    struct imp_stylizer_options o = imp_stylizer_options_default();
    o.predictor.threads = threads;
    if (imp_style_detect(m, &o.convention, why, sizeof why) != 0 ||
        imp_stylizer_create(m, &o, &p->stylizer, why, sizeof why) != 0 ||
        imp_styles_apply(&p->choice, p->stylizer, why, sizeof why) != 0)
        return imp_cli_fail(style, "%s", why);
    return 0;
}

static int painter_run(struct painter *p, const uint8_t *rgb, int size, uint8_t *out)
{
    char why[1024];
    int rc = p->magenta ? imp_magenta_painter_run(p->magenta, rgb, size, size, out, why,
                                                  sizeof why)
                        : imp_stylizer_run(p->stylizer, rgb, size, size, out, why, sizeof why);
    return rc == 0 ? 0 : imp_cli_fail(p->label, "%s", why);
}

static void painter_close(struct painter *p)
{
    imp_stylizer_free(p->stylizer);
    imp_styles_choice_free(&p->choice);
    imp_magenta_painter_free(p->magenta);
}

/* Planar RGB 0..1 <-> interleaved 8-bit. */
static void planar_to_rgb8(const float *planar, size_t hw, uint8_t *rgb)
{
    for (size_t i = 0; i < hw; i++)
        for (size_t c = 0; c < 3; c++) {
            float v = planar[c * hw + i] * 255.0f + 0.5f;
            rgb[i * 3 + c] = (uint8_t)(v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
        }
}

static void rgb8_to_planar(const uint8_t *rgb, size_t hw, float *planar)
{
    for (size_t i = 0; i < hw; i++)
        for (size_t c = 0; c < 3; c++)
            planar[c * hw + i] = rgb[i * 3 + c] * (1.0f / 255.0f);
}

struct score {
    double style, content;
};

/* ours / reference; a reference at distance 0 has no meaningful ratio. */
static double ratio(double ours, double ref) { return ref > 0 ? ours / ref : -1; }

static void print_json(const struct score_args *a, const char *ref_label,
                       const struct score *ours, const struct score *ref,
                       const struct score *mean_ours, const struct score *mean_ref)
{
    printf("{\"style\": ");
    imp_cli_json_string(a->style);
    printf(", \"painting\": ");
    imp_cli_json_string(a->painting);
    printf(", \"reference\": ");
    if (ref_label)
        imp_cli_json_string(ref_label);
    else
        printf("null");
    printf(", \"size\": %d, \"style_layers\": [", a->size);
    for (int i = 0; i < 8; i++)
        printf("%s\"%s\"", i ? ", " : "", relu_names[i]);
    printf("], \"content_layer\": \"%s\", \"photos\": [", relu_names[CONTENT_RELU]);
    for (int i = 0; i <= a->n_photos; i++) {
        const struct score *o = i < a->n_photos ? &ours[i] : mean_ours;
        const struct score *r = i < a->n_photos ? &ref[i] : mean_ref;
        if (i < a->n_photos) {
            printf("%s{\"photo\": ", i ? ", " : "");
            imp_cli_json_string(a->photos[i]);
        } else {
            printf("], \"mean\": {");
        }
        printf("%s\"style_distance\": %.6g, \"content_distance\": %.6g",
               i < a->n_photos ? ", " : "", o->style, o->content);
        if (ref_label)
            printf(", \"reference_style_distance\": %.6g, \"reference_content_distance\": "
                   "%.6g, \"style_ratio\": %.4f, \"content_ratio\": %.4f",
                   r->style, r->content, ratio(o->style, r->style),
                   ratio(o->content, r->content));
        printf("}");
    }
    printf("}\n");
}

static void print_table(const struct score_args *a, const char *ref_label,
                        const struct score *ours, const struct score *ref,
                        const struct score *mean_ours, const struct score *mean_ref)
{
    printf("style distance: Gram matrices, relu1_1 .. relu3_4; content distance: relu2_2; "
           "at %dx%d\n",
           a->size, a->size);
    if (ref_label)
        printf("reference: %s\n", ref_label);
    printf("%-24s %12s %12s", "photo", "style", "content");
    if (ref_label)
        printf(" %12s %12s %8s %8s", "ref style", "ref content", "style/", "content/");
    printf("\n");
    for (int i = 0; i <= a->n_photos; i++) {
        const struct score *o = i < a->n_photos ? &ours[i] : mean_ours;
        const struct score *r = i < a->n_photos ? &ref[i] : mean_ref;
        const char *name = "mean";
        if (i < a->n_photos) {
            const char *slash = strrchr(a->photos[i], '/');
            name = slash ? slash + 1 : a->photos[i];
        }
        printf("%-24.24s %12.5g %12.5g", name, o->style, o->content);
        if (ref_label)
            printf(" %12.5g %12.5g %8.3f %8.3f", r->style, r->content,
                   ratio(o->style, r->style), ratio(o->content, r->content));
        printf("\n");
    }
}

static int score_main(int argc, char **argv)
{
    struct score_args a;
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = 0;
    char why[1024];
    struct imp_error err = {0};
    const size_t hw = (size_t)a.size * (size_t)a.size;
    float *painting = malloc(sizeof(float) * 3 * hw), *photo = malloc(sizeof(float) * 3 * hw);
    float *gen = malloc(sizeof(float) * 3 * hw);
    uint8_t *photo8 = malloc(3 * hw), *gen8 = malloc(3 * hw);
    struct score *ours = calloc((size_t)a.n_photos, sizeof *ours);
    struct score *ref = calloc((size_t)a.n_photos, sizeof *ref);
    struct imp_tnet *vgg = NULL;
    struct imp_ploss *pl = NULL;
    struct painter mine = {0}, theirs = {0};
    const char *ref_label = a.reference ? a.reference : a.reference_magenta;
    if (!painting || !photo || !gen || !photo8 || !gen8 || !ours || !ref) {
        rc = imp_cli_fail("style-score", "out of memory");
        goto done;
    }
    /* Before the networks load: a photo that is not there fails at once. */
    for (int i = 0; i < a.n_photos; i++)
        if (access(a.photos[i], R_OK) != 0) {
            rc = imp_cli_fail(a.photos[i], "%s%s", strerror(errno),
                              strncmp(a.photos[i], OPENCV_DATA, strlen(OPENCV_DATA)) == 0
                                  ? " (the default photos come with: apt install opencv-doc)"
                                  : "");
            goto done;
        }
    if (train_load_square(a.painting, a.size, painting, why, sizeof why) != 0) {
        rc = imp_cli_fail_message(a.painting, why);
        goto done;
    }
    if ((rc = painter_open_style(&mine, a.style, a.threads)))
        goto done;
    if (a.reference && (rc = painter_open_style(&theirs, a.reference, a.threads)))
        goto done;
    if (a.reference_magenta) {
        struct imp_image img;
        if (imp_image_load(a.painting, &img, why, sizeof why) != 0) {
            rc = imp_cli_fail_message(a.painting, why);
            goto done;
        }
        theirs.label = a.reference_magenta;
        int bad = imp_magenta_painter_create(a.reference_magenta, &img, a.threads,
                                             &theirs.magenta, why, sizeof why);
        imp_image_free(&img);
        if (bad) {
            rc = imp_cli_fail_message(a.reference_magenta, why);
            goto done;
        }
    }

    int relu[8], style_values[8];
    if (imp_vgg19_load(a.vgg, &vgg, relu, &err) != IMP_OK) {
        rc = imp_cli_fail_message("--vgg", err.message);
        goto done;
    }
    memcpy(style_values, relu, sizeof relu);
    struct imp_ploss_options po = {.content_value = relu[CONTENT_RELU],
                                   .style_values = style_values, .n_style_values = 8,
                                   .content_weight = 1, .style_weight = 1, .tv_weight = 0};
    if (imp_ploss_create(vgg, &po, 1, 1, a.size, a.size, a.threads, IMP_ISA_BEST, &pl,
                         &err) != IMP_OK ||
        imp_ploss_set_style(pl, 0, painting, &err) != IMP_OK) {
        rc = imp_cli_fail_message("style-score", err.message);
        goto done;
    }

    const int style0 = 0;
    struct score mean_ours = {0}, mean_ref = {0};
    for (int i = 0; i < a.n_photos; i++) {
        if (train_load_square(a.photos[i], a.size, photo, why, sizeof why) != 0) {
            rc = imp_cli_fail_message(a.photos[i], why);
            goto done;
        }
        /* The photo as the networks see it: 8 bits. */
        planar_to_rgb8(photo, hw, photo8);
        rgb8_to_planar(photo8, hw, photo);
        for (int k = 0; k < (ref_label ? 2 : 1); k++) {
            struct painter *p = k ? &theirs : &mine;
            if ((rc = painter_run(p, photo8, a.size, gen8)))
                goto done;
            rgb8_to_planar(gen8, hw, gen);
            struct imp_ploss_value v = imp_ploss_measure(pl, gen, photo, &style0);
            struct score *s = k ? &ref[i] : &ours[i];
            s->style = v.style;
            s->content = v.content;
        }
        mean_ours.style += ours[i].style / a.n_photos;
        mean_ours.content += ours[i].content / a.n_photos;
        mean_ref.style += ref[i].style / a.n_photos;
        mean_ref.content += ref[i].content / a.n_photos;
    }
    if (a.json)
        print_json(&a, ref_label, ours, ref, &mean_ours, &mean_ref);
    else
        print_table(&a, ref_label, ours, ref, &mean_ours, &mean_ref);
done:
    painter_close(&mine);
    painter_close(&theirs);
    imp_ploss_free(pl);
    imp_tnet_free(vgg);
    free(painting);
    free(photo);
    free(gen);
    free(photo8);
    free(gen8);
    free(ours);
    free(ref);
    return rc;
}

const struct imp_cli_command imp_cli_style_score_command = {
    .name = "style-score",
    .summary = "judge a style network: Gram and content distances, against a reference",
    .help = help,
    .main = score_main,
};
