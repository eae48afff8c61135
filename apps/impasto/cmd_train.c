/* impasto train: learn style networks from paintings (the training library,
 * include/impasto_train.h), with checkpoints, previews and a time limit. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "image.h"
#include "impasto_train.h"
#include "style_set.h"
#include "train_data.h"

#define TRAIN_MAX_STYLES 32
#define TRAIN_MAX_PHOTOS 4000

static const char help[] =
    "usage: impasto train --style PAINTING[,PAINTING...] --content DIR -o OUT.imp [options]\n"
    "\n"
    "Train a fast style network on this CPU: one network for all the paintings\n"
    "given (conditional instance norm), judged by VGG19's features (Johnson et\n"
    "al. 2016). Photos come from DIR (every .jpg/.jpeg/.png), as random crops\n"
    "and flips. OUT.imp is one multi-style network holding every style (named\n"
    "after its painting's file: wave.jpg is the style wave), which stylize,\n"
    "video and live pick by name; it runs the first painting's style unless\n"
    "told otherwise. A checkpoint is written every --checkpoint-every steps, at\n"
    "the end, and when Ctrl-C stops the run (exit 130); --resume continues one\n"
    "to the same bytes as a run that never stopped, and --resume with\n"
    "--iterations at the step already reached just writes OUT.imp.\n"
    "\n"
    "options:\n"
    "      --style P[,P...]  paintings (PNG or JPEG), one style each; the word\n"
    "                        identity instead of a painting trains the network's\n"
    "                        photo (content and TV loss only), the style that\n"
    "                        stylize --strength fades towards\n"
    "      --extend MODEL.imp  add the --style paintings to a multi-style network\n"
    "                        impasto train made: only the new styles' norm scales\n"
    "                        and shifts learn (default 500 steps); OUT.imp holds\n"
    "                        the old styles, unchanged, and the new ones\n"
    "      --style-info NAME=\"TITLE|PAINTER\"  the painting's title and painter,\n"
    "                        kept in OUT.imp for impasto styles (repeatable)\n"
    "      --content DIR     folder of photographs (see scripts/photos.sh)\n"
    "  -o, --output OUT.imp the trained network\n"
    "      --vgg DIR         VGG19 TF.js files (default:\n"
    "                        ../shared/models/backbones/vgg19-imagenet-keras-tfjs-partial\n"
    "                        beside the source tree)\n"
    "      --iterations N    Adam steps (default 2000)\n"
    "      --size S          training crops are S x S (default 256)\n"
    "      --style-size N    the paintings' size for their Gram matrices: 1 to 4\n"
    "                        times --size (default --size); larger keeps the\n"
    "                        painting's strokes finer (Johnson et al. used 512)\n"
    "      --batch B         crops per step (default 4)\n"
    "      --content-weight W   (default 1)\n"
    "      --style-weight W     (default 5)\n"
    "      --tv-weight W        (default 1e-6)\n"
    "      --identity-weight W  the identity style's pixel loss: W times the mean\n"
    "                        squared difference (0..255) from the photo (default\n"
    "                        100; VGG's features alone leave colours loose)\n"
    "      --style-layers L[,L...]  VGG19 layers of the style loss, from relu1_1,\n"
    "                        relu1_2, relu2_1, relu2_2, relu3_1 .. relu3_4\n"
    "                        (default relu1_2,relu2_2,relu3_4)\n"
    "      --content-layer L VGG19 layer of the content loss (default relu2_2);\n"
    "                        only the layers up to the deepest one chosen run\n"
    "      --lr R            Adam's learning rate (default 1e-3)\n"
    "      --arch A          network shape: 'johnson' (9x9 stem at full size, body\n"
    "                        at a quarter; default), 'fast' (3x3 stride-2 stem,\n"
    "                        body at an eighth: about 6x less compute a frame) or\n"
    "                        'smooth' (fast, its decoder convolving before it\n"
    "                        upsamples, bilinearly: no blocks, 1/3 less compute)\n"
    "      --width W         first layer's channels; then 2W and 4W (johnson) or\n"
    "                        2W and 3W (fast, smooth) (default 16)\n"
    "      --blocks N        residual blocks (default 3)\n"
    "      --seed N          initial weights and crops (default 1)\n"
    "      --checkpoint F    checkpoint file (default OUT.imp.ckpt)\n"
    "      --checkpoint-every N  (default 200)\n"
    "      --resume F        continue from checkpoint F (same recipe)\n"
    "      --time-limit T    stop after T (e.g. 1800, 30m, 1h) and save\n"
    "      --preview PHOTO   write PHOTO stylised (one tile per style) ...\n"
    "      --preview-every N ... to OUT.imp.preview.png every N steps (default 100)\n"
    "  -t, --threads N       worker threads (default 2)\n"
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  bash scripts/photos.sh --link photos/\n"
    "  impasto train --style wave.jpg --content photos/ -o wave.imp --time-limit 30m\n"
    "  impasto train --style identity,wave.jpg,scream.jpg --content photos/ -o two.imp \\\n"
    "      --preview me.jpg --preview-every 50\n"
    "  impasto train --style wave.jpg --content photos/ -o wave.imp --resume wave.imp.ckpt\n"
    "  impasto train --style identity,wave.jpg --content photos/ -o styles.imp \\\n"
    "      --style-info wave=\"The Great Wave off Kanagawa|Katsushika Hokusai\"\n"
    "  impasto train --extend styles.imp --style scream.jpg --content photos/ -o more.imp\n";

enum {
    O_STYLE = 1, O_CONTENT, O_OUTPUT, O_VGG, O_ITER, O_SIZE, O_BATCH, O_CW, O_SW, O_TW, O_IW, O_LR,
    O_WIDTH, O_BLOCKS, O_SEED, O_CKPT, O_CKPT_EVERY, O_RESUME, O_TIME, O_PREVIEW,
    O_PREVIEW_EVERY, O_THREADS, O_STYLE_LAYERS, O_CONTENT_LAYER, O_STYLE_INFO, O_EXTEND,
    O_ARCH, O_STYLE_SIZE,
};

/* The VGG19 layers a loss may read, in network order (imp_vgg19_load's
 * relu_values). */
#define VGG_LAYERS 8
static const char *const vgg_layer_names[VGG_LAYERS] = {
    "relu1_1", "relu1_2", "relu2_1", "relu2_2", "relu3_1", "relu3_2", "relu3_3", "relu3_4"};
/* Johnson et al.'s choice, narrowed to the layers our VGG reaches. */
#define DEFAULT_STYLE_LAYERS ((1u << 1) | (1u << 3) | (1u << 7))
#define DEFAULT_CONTENT_LAYER 3
/* The word that stands for the identity style in --style. */
#define IDENTITY_STYLE "identity"

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct recipe {
    char *styles[TRAIN_MAX_STYLES];
    int n_styles;
    char names[TRAIN_MAX_STYLES][64]; /* from the paintings' file names */
    char *infos[TRAIN_MAX_STYLES];    /* --style-info as given: NAME=TITLE|PAINTER */
    int n_infos;
    char titles[TRAIN_MAX_STYLES][256], painters[TRAIN_MAX_STYLES][256];
    const char *extend; /* --extend MODEL.imp: styles[0..n_old) come from it */
    int n_old;
    int iterations_given;
    int argc;
    char **argv;
    const char *content, *output, *vgg, *checkpoint, *resume, *preview;
    int identity; /* index of the identity style, -1: none */
    unsigned style_layers; /* bit i: vgg_layer_names[i] */
    int content_layer;
    int iterations, size, batch, width, blocks, seed, ckpt_every, preview_every, threads;
    int style_size; /* --style-size: a multiple of size (tiles of it) */
    int fast;     /* --arch fast or smooth: imp_student_fast's shape, else Johnson's */
    int bilinear; /* --arch smooth: its bilinear decoder */
    float cw, sw, tw, iw, lr;
    double time_limit; /* seconds, 0: none */
};

/* "1800", "30m", "1.5h", "90s" */
static int parse_duration(const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    double k = *end == 'h' ? 3600 : *end == 'm' ? 60 : 1;
    if (end == text || v <= 0 || (*end && (strchr("hms", *end) == NULL || end[1])))
        return -1;
    *out = v * k;
    return 0;
}

/* FNV-1a over the numbers that make checkpoints of two runs compatible. */
static uint64_t recipe_tag(const struct recipe *r, size_t n_params)
{
    int64_t v[] = {(int64_t)n_params, r->n_styles, r->size, r->batch, r->width, r->blocks,
                   r->seed};
    uint64_t h = 1469598103934665603ull;
    const unsigned char *p = (const unsigned char *)v;
    for (size_t i = 0; i < sizeof v; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    /* Johnson's shape hashes as it did before --arch existed. */
    if (r->fast)
        h = (h ^ 0x66u) * 1099511628211ull;
    if (r->bilinear)
        h = (h ^ 0x62u) * 1099511628211ull;
    /* Newer choices join the hash only when they differ from what came
     * before them, so older checkpoints still resume. */
    if (r->identity < 0 && r->style_layers == DEFAULT_STYLE_LAYERS &&
        r->content_layer == DEFAULT_CONTENT_LAYER && !r->extend)
        return h;
    int64_t more[] = {r->identity, (int64_t)r->style_layers, r->content_layer, r->n_old};
    p = (const unsigned char *)more;
    for (size_t i = 0; i < sizeof more; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* wave.jpg -> "wave": the base name without its extension, lower case,
 * anything outside [a-z0-9_-] as '-'. */
static void style_name(const char *path, char name[64])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot > base ? (size_t)(dot - base) : strlen(base);
    n = n > 63 ? 63 : n;
    for (size_t i = 0; i < n; i++) {
        char c = base[i];
        c = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        name[i] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c : '-';
    }
    name[n] = '\0';
    if (!n)
        snprintf(name, 64, "style");
}

static int vgg_layer_index(const char *name)
{
    for (int i = 0; i < VGG_LAYERS; i++)
        if (strcmp(name, vgg_layer_names[i]) == 0)
            return i;
    return -1;
}

static int parse_style_layers(const char *cmd, const char *text, unsigned *mask)
{
    char *copy = strdup(text), *save = NULL;
    if (!copy)
        return imp_cli_fail("train", "out of memory");
    *mask = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int i = vgg_layer_index(t);
        if (i < 0) {
            int rc = imp_cli_usage(cmd, "--style-layers: '%s' is not one of relu1_1, relu1_2, "
                                   "relu2_1, relu2_2, relu3_1, relu3_2, relu3_3, relu3_4", t);
            free(copy);
            return rc;
        }
        *mask |= 1u << i;
    }
    free(copy);
    if (!*mask)
        return imp_cli_usage(cmd, "--style-layers: name at least one layer");
    return 0;
}

/* --arch's shape; --width W makes its channels {W, 2W, 4W} (Johnson) or
 * {W, 2W, 3W} (fast), --blocks its residual blocks. */
static struct imp_student_shape student_shape(const struct recipe *r)
{
    struct imp_student_shape s = imp_student_johnson(r->width, r->blocks);
    if (r->fast) {
        s = imp_student_fast();
        s.channels[0] = r->width;
        s.channels[1] = 2 * r->width;
        s.channels[2] = 3 * r->width;
        s.res_blocks = r->blocks;
        s.bilinear = r->bilinear;
    }
    return s;
}

static int parse(int argc, char **argv, struct recipe *r)
{
    static const struct imp_cli_option opts[] = {
        {"style", 0, 1, O_STYLE},       {"content", 0, 1, O_CONTENT},
        {"output", 'o', 1, O_OUTPUT},   {"vgg", 0, 1, O_VGG},
        {"iterations", 0, 1, O_ITER},   {"size", 0, 1, O_SIZE},
        {"batch", 0, 1, O_BATCH},       {"content-weight", 0, 1, O_CW},
        {"style-weight", 0, 1, O_SW},   {"tv-weight", 0, 1, O_TW},
        {"identity-weight", 0, 1, O_IW},
        {"lr", 0, 1, O_LR},             {"width", 0, 1, O_WIDTH},
        {"blocks", 0, 1, O_BLOCKS},     {"seed", 0, 1, O_SEED},
        {"checkpoint", 0, 1, O_CKPT},   {"checkpoint-every", 0, 1, O_CKPT_EVERY},
        {"resume", 0, 1, O_RESUME},     {"time-limit", 0, 1, O_TIME},
        {"preview", 0, 1, O_PREVIEW},   {"preview-every", 0, 1, O_PREVIEW_EVERY},
        {"threads", 't', 1, O_THREADS}, {"style-layers", 0, 1, O_STYLE_LAYERS},
        {"content-layer", 0, 1, O_CONTENT_LAYER}, {"style-info", 0, 1, O_STYLE_INFO},
        {"extend", 0, 1, O_EXTEND}, {"arch", 0, 1, O_ARCH},
        {"style-size", 0, 1, O_STYLE_SIZE}, {0},
    };
    const char *cmd = "train";
    *r = (struct recipe){.vgg = IMP_CLI_DEFAULT_VGG,
                         .iterations = 2000, .size = 256, .batch = 4, .width = 16,
                         .blocks = 3, .seed = 1, .ckpt_every = 200, .preview_every = 100,
                         .threads = 2, .cw = 1.0f, .sw = 5.0f, .tw = 1e-6f, .iw = 100.0f, .lr = 1e-3f,
                         .identity = -1, .style_layers = DEFAULT_STYLE_LAYERS,
                         .content_layer = DEFAULT_CONTENT_LAYER};
    r->argc = argc;
    r->argv = argv;
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_train_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            return 0;
        if (id == IMP_CLI_ARG_ERROR)
            return IMP_CLI_EXIT_USAGE;
        const char *v = a.value;
        int bad = 0;
        switch (id) {
        case IMP_CLI_ARG_POSITIONAL:
            return imp_cli_usage(cmd, "unexpected argument '%s'", v);
        case O_STYLE: {
            char *copy = strdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (r->n_styles == TRAIN_MAX_STYLES) {
                    free(copy);
                    return imp_cli_usage(cmd, "at most %d styles", TRAIN_MAX_STYLES);
                }
                if (strcmp(t, IDENTITY_STYLE) == 0) {
                    if (r->identity >= 0) {
                        free(copy);
                        return imp_cli_usage(cmd, "--style: identity given twice");
                    }
                    r->identity = r->n_styles;
                }
                r->styles[r->n_styles++] = strdup(t);
            }
            free(copy);
            break;
        }
        case O_CONTENT: r->content = v; break;
        case O_OUTPUT: r->output = v; break;
        case O_VGG: r->vgg = v; break;
        case O_ITER:
            bad = imp_cli_parse_int(cmd, "--iterations", v, 1, 100000000, &r->iterations);
            r->iterations_given = 1;
            break;
        case O_SIZE: bad = imp_cli_parse_int(cmd, "--size", v, 32, 2048, &r->size); break;
        case O_STYLE_SIZE: bad = imp_cli_parse_int(cmd, "--style-size", v, 32, 4096, &r->style_size); break;
        case O_BATCH: bad = imp_cli_parse_int(cmd, "--batch", v, 1, 64, &r->batch); break;
        case O_CW: bad = imp_cli_parse_float(cmd, "--content-weight", v, &r->cw); break;
        case O_SW: bad = imp_cli_parse_float(cmd, "--style-weight", v, &r->sw); break;
        case O_TW: bad = imp_cli_parse_float(cmd, "--tv-weight", v, &r->tw); break;
        case O_IW: bad = imp_cli_parse_float(cmd, "--identity-weight", v, &r->iw); break;
        case O_LR: bad = imp_cli_parse_float(cmd, "--lr", v, &r->lr); break;
        case O_WIDTH: bad = imp_cli_parse_int(cmd, "--width", v, 1, 256, &r->width); break;
        case O_BLOCKS: bad = imp_cli_parse_int(cmd, "--blocks", v, 0, 16, &r->blocks); break;
        case O_SEED: bad = imp_cli_parse_int(cmd, "--seed", v, 0, 2147483647, &r->seed); break;
        case O_CKPT: r->checkpoint = v; break;
        case O_CKPT_EVERY: bad = imp_cli_parse_int(cmd, "--checkpoint-every", v, 1, 100000000, &r->ckpt_every); break;
        case O_RESUME: r->resume = v; break;
        case O_TIME:
            if (parse_duration(v, &r->time_limit) != 0)
                return imp_cli_usage(cmd, "--time-limit '%s' is not a duration like 1800, "
                                     "30m or 1h", v);
            break;
        case O_PREVIEW: r->preview = v; break;
        case O_PREVIEW_EVERY: bad = imp_cli_parse_int(cmd, "--preview-every", v, 1, 100000000, &r->preview_every); break;
        case O_THREADS: bad = imp_cli_parse_int(cmd, "--threads", v, 1, 256, &r->threads); break;
        case O_ARCH:
            if (strcmp(v, "fast") != 0 && strcmp(v, "smooth") != 0 &&
                strcmp(v, "johnson") != 0)
                return imp_cli_usage(cmd, "--arch is 'fast', 'smooth' or 'johnson', not '%s'",
                                     v);
            r->fast = strcmp(v, "johnson") != 0;
            r->bilinear = strcmp(v, "smooth") == 0;
            break;
        case O_STYLE_LAYERS: bad = parse_style_layers(cmd, v, &r->style_layers); break;
        case O_EXTEND: r->extend = v; break;
        case O_STYLE_INFO:
            if (!strchr(v, '=') || !strchr(strchr(v, '='), '|'))
                return imp_cli_usage(cmd, "--style-info '%s': write NAME=\"TITLE|PAINTER\"", v);
            if (r->n_infos == TRAIN_MAX_STYLES)
                return imp_cli_usage(cmd, "--style-info: at most %d", TRAIN_MAX_STYLES);
            r->infos[r->n_infos++] = (char *)v;
            break;
        case O_CONTENT_LAYER:
            r->content_layer = vgg_layer_index(v);
            if (r->content_layer < 0)
                return imp_cli_usage(cmd, "--content-layer: '%s' is not one of relu1_1, "
                                     "relu1_2, relu2_1, relu2_2, relu3_1 .. relu3_4", v);
            break;
        }
        if (bad)
            return IMP_CLI_EXIT_USAGE;
    }
    if (!r->n_styles)
        return imp_cli_usage(cmd, "give the paintings with --style");
    if (r->n_styles == 1 && r->identity == 0 && !r->extend)
        return imp_cli_usage(cmd, "--style: identity needs at least one painting beside it");
    if (r->extend && r->identity >= 0)
        return imp_cli_usage(cmd, "--extend adds painted styles; the identity is trained "
                             "with the network");
    if (r->extend && !r->iterations_given)
        r->iterations = 500; /* the norms alone learn a style in far fewer steps */
    if (!r->content && !r->resume)
        return imp_cli_usage(cmd, "give a folder of photographs with --content");
    if (!r->output)
        return imp_cli_usage(cmd, "give the output network with -o OUT.imp");
    if (r->cw < 0 || r->sw < 0 || r->tw < 0 || r->iw < 0 || !(r->lr > 0))
        return imp_cli_usage(cmd, "weights must be >= 0 and --lr > 0");
    struct imp_student_shape shape = student_shape(r);
    if (r->size % imp_student_stride(&shape) != 0)
        return imp_cli_usage(cmd, "--size must be a multiple of %d for this network",
                             imp_student_stride(&shape));
    if (!r->style_size)
        r->style_size = r->size;
    if (r->style_size % r->size != 0 || r->style_size / r->size > 4)
        return imp_cli_usage(cmd, "--style-size must be 1 to 4 times --size (%d), not %d",
                             r->size, r->style_size);
    return -1; /* go on */
}

/* Names for the painted styles (the file names), checked to be unique,
 * and the titles and painters --style-info gives. */
static int name_styles(struct recipe *r)
{
    const char *cmd = "train";
    for (int k = r->n_old; k < r->n_styles; k++) {
        style_name(r->styles[k], r->names[k]);
        for (int j = 0; j < k; j++)
            if (strcmp(r->names[j], r->names[k]) == 0)
                return imp_cli_usage(cmd, "--style: two paintings would both be the style "
                                     "'%s' (styles are named after their files)",
                                     r->names[k]);
    }
    for (int i = 0; i < r->n_infos; i++) {
        size_t n = (size_t)(strchr(r->infos[i], '=') - r->infos[i]);
        int found = 0;
        for (int k = 0; k < r->n_styles; k++)
            found |= strlen(r->names[k]) == n && strncmp(r->names[k], r->infos[i], n) == 0;
        if (!found)
            return imp_cli_usage(cmd, "--style-info '%.*s': no such style (the styles are "
                                 "named after their paintings' files)", (int)n, r->infos[i]);
        const char *eq = r->infos[i] + n, *bar = strchr(eq, '|');
        for (int k = 0; k < r->n_styles; k++)
            if (strlen(r->names[k]) == n && strncmp(r->names[k], r->infos[i], n) == 0) {
                snprintf(r->titles[k], sizeof r->titles[k], "%.*s", (int)(bar - eq - 1),
                         eq + 1);
                snprintf(r->painters[k], sizeof r->painters[k], "%s", bar + 1);
            }
    }
    return -1;
}

/* --extend: the file's styles go first (no paintings: they are not
 * trained again), with their names, titles and painters. */
static int prepare_extend(struct recipe *r)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_load_file(r->extend, &m, &err) != IMP_OK)
        return imp_cli_fail_message(r->extend, err.message);
    struct imp_style_set set;
    char why[512];
    int rc = -1;
    if (imp_style_set_read(m, &set, why, sizeof why) != 0)
        rc = imp_cli_fail(r->extend, "%s", why);
    else if (set.n == 0)
        rc = imp_cli_fail(r->extend, "not a multi-style network (no impasto.styles in its "
                          "metadata): --extend takes a .imp that impasto train made");
    else if (set.n + r->n_styles > TRAIN_MAX_STYLES)
        rc = imp_cli_fail(r->extend, "%d styles and %d more: at most %d", set.n, r->n_styles,
                          TRAIN_MAX_STYLES);
    if (rc < 0) {
        memmove(r->styles + set.n, r->styles, sizeof r->styles[0] * (size_t)r->n_styles);
        for (int k = 0; k < set.n; k++) {
            r->styles[k] = NULL;
            snprintf(r->names[k], sizeof r->names[k], "%s", set.names[k]);
            snprintf(r->titles[k], sizeof r->titles[k], "%s", set.titles[k] ? set.titles[k] : "");
            snprintf(r->painters[k], sizeof r->painters[k], "%s",
                     set.painters[k] ? set.painters[k] : "");
        }
        r->n_old = set.n;
        r->n_styles += set.n;
        r->identity = set.identity;
    }
    imp_style_set_free(&set);
    imp_model_free(m);
    return rc;
}

/* The command line and the step reached, for impasto.recipe. */
static char *recipe_text(const struct recipe *r, long long step)
{
    size_t len = 64;
    for (int i = 0; i < r->argc; i++)
        len += strlen(r->argv[i]) + 3;
    char *text = malloc(len);
    if (!text)
        return NULL;
    size_t at = (size_t)snprintf(text, len, "impasto");
    for (int i = 0; i < r->argc; i++)
        at += (size_t)snprintf(text + at, len - at, " %s", r->argv[i]);
    snprintf(text + at, len - at, " (step %lld)", step);
    return text;
}

/* The checkpoint, then OUT.imp: every style in one network, the first
 * painting's style live. */
static int save_all(struct imp_tnet *student, const struct recipe *r, struct imp_checkpoint *ck,
                    const char *ckpt_path, bool write_checkpoint)
{
    struct imp_error err = {0};
    if (write_checkpoint && imp_checkpoint_save(ckpt_path, ck, &err) != IMP_OK)
        return imp_cli_fail_message(ckpt_path, err.message);
    float mix[TRAIN_MAX_STYLES];
    struct imp_tnet_style styles[TRAIN_MAX_STYLES];
    int live = r->identity == 0 ? 1 : 0;
    for (int k = 0; k < r->n_styles; k++) {
        mix[k] = k == live;
        styles[k] = (struct imp_tnet_style){.name = r->names[k],
                                            .title = r->titles[k][0] ? r->titles[k] : NULL,
                                            .painter = r->painters[k][0] ? r->painters[k] : NULL};
    }
    char *recipe = recipe_text(r, (long long)ck->adam->step);
    struct imp_tnet_export o = {.style_mix = mix, .styles = styles, .recipe = recipe};
    int rc = 0;
    if (!recipe)
        rc = imp_cli_fail("train", "out of memory");
    else if (imp_tnet_export(student, &o, r->output, &err) != IMP_OK)
        rc = imp_cli_fail_message(r->output, err.message);
    free(recipe);
    return rc;
}

static int write_preview(struct imp_tnet *student, int out_value, const struct recipe *r,
                         const float *photo, float *batch_in)
{
    size_t one = 3 * (size_t)r->size * (size_t)r->size;
    int styles[64];
    int tiles = r->n_styles < r->batch ? r->n_styles : r->batch;
    for (int n = 0; n < r->batch; n++) {
        memcpy(batch_in + (size_t)n * one, photo, sizeof(float) * one);
        styles[n] = n % r->n_styles;
    }
    imp_tnet_set_styles(student, styles, NULL);
    imp_tnet_forward(student, batch_in, -1);
    const float *y = imp_tnet_value(student, out_value);
    struct imp_image img = {.width = r->size * tiles, .height = r->size, .channels = 3};
    img.pixels = malloc((size_t)img.width * (size_t)img.height * 3);
    if (!img.pixels)
        return imp_cli_fail("preview", "out of memory");
    for (int t = 0; t < tiles; t++)
        for (int yy = 0; yy < r->size; yy++)
            for (int x = 0; x < r->size; x++)
                for (int c = 0; c < 3; c++) {
                    float v = y[(size_t)t * one +
                                ((size_t)c * (size_t)r->size + (size_t)yy) * (size_t)r->size +
                                (size_t)x] * 255.0f + 0.5f;
                    img.pixels[((size_t)yy * (size_t)img.width + (size_t)(t * r->size + x)) * 3 +
                               (size_t)c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
    char path[4096], tmp[4200], why[256];
    snprintf(path, sizeof path, "%s.preview.png", r->output);
    snprintf(tmp, sizeof tmp, "%s.tmp.png", path);
    int rc = 0;
    if (imp_image_save_png(tmp, &img, why, sizeof why) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        rc = imp_cli_fail(path, "cannot write the preview");
    }
    free(img.pixels);
    return rc;
}

/* The data readers' messages already begin with the file they name. */
static int fail_line(const char *message)
{
    fprintf(stderr, "impasto: %s\n", message);
    return IMP_CLI_EXIT_FAIL;
}

static int train_main(int argc, char **argv)
{
    struct recipe r;
    int rc = parse(argc, argv, &r);
    if (rc < 0 && r.extend)
        rc = prepare_extend(&r);
    if (rc < 0)
        rc = name_styles(&r);
    if (rc >= 0)
        goto free_styles;
    rc = 0;
    /* From here on Ctrl-C stops the run between steps, with a checkpoint. */
    signal(SIGINT, on_sigint);
    char why[512];
    struct imp_error err = {0};
    const size_t one = 3 * (size_t)r.size * (size_t)r.size, in_n = one * (size_t)r.batch;
    /* each painting as (style_size / size)^2 tiles of the training size */
    const int tiles_side = r.style_size / r.size, tiles = tiles_side * tiles_side;
    float *paintings = malloc(sizeof(float) * one * (size_t)tiles * (size_t)r.n_styles);
    float *x = malloc(sizeof(float) * in_n), *g = malloc(sizeof(float) * in_n);
    float *preview = r.preview ? malloc(sizeof(float) * one) : NULL;
    struct train_photos photos = {0};
    struct imp_tnet *vgg = NULL, *student = NULL;
    struct imp_ploss *pl = NULL;
    struct imp_adam adam = {0};
    if (!paintings || !x || !g || (r.preview && !preview)) {
        rc = imp_cli_fail("train", "out of memory");
        goto done;
    }
    /* The network and the checkpoint first: a run that has reached its
     * step count only writes the model, reading no photos, paintings or
     * VGG. */
    int out_value;
    if (r.extend) {
        const char *old[TRAIN_MAX_STYLES];
        for (int k = 0; k < r.n_old; k++)
            old[k] = r.names[k];
        if (imp_student_load(r.extend, old, r.n_old, r.n_styles - r.n_old, &student,
                             &out_value, &err) != IMP_OK) {
            rc = imp_cli_fail_message(r.extend, err.message);
            goto done;
        }
    } else {
        struct imp_student_shape shape = student_shape(&r);
        student = imp_student_create_shaped(r.n_styles, &shape, &out_value);
        if (!student) {
            rc = imp_cli_fail("train", "out of memory building the network");
            goto done;
        }
        imp_tnet_init_params(student, (uint64_t)r.seed);
    }
    if (imp_adam_init(&adam, imp_tnet_param_count(student), r.lr, &err) != IMP_OK) {
        rc = imp_cli_fail_message("train", err.message);
        goto done;
    }
    struct imp_rng rng = {(uint64_t)r.seed * 0x9E3779B97F4A7C15ull + 1};
    char ckpt_path[4096];
    snprintf(ckpt_path, sizeof ckpt_path, "%s", r.checkpoint ? r.checkpoint : r.output);
    if (!r.checkpoint)
        strncat(ckpt_path, ".ckpt", sizeof ckpt_path - strlen(ckpt_path) - 1);
    struct imp_checkpoint ck = {.n_params = imp_tnet_param_count(student),
                                .params = imp_tnet_params(student), .adam = &adam, .rng = &rng,
                                .tag = recipe_tag(&r, imp_tnet_param_count(student))};
    if (r.resume && imp_checkpoint_load(r.resume, &ck, &err) != IMP_OK) {
        rc = imp_cli_fail_message(r.resume, err.message);
        goto done;
    }
    adam.lr = r.lr;
    if (adam.step >= r.iterations) {
        rc = save_all(student, &r, &ck, ckpt_path, false);
        if (!rc)
            printf("step %lld already reached: wrote %s (%d style%s)\n", (long long)adam.step,
                   r.output, r.n_styles, r.n_styles > 1 ? "s" : "");
        goto done;
    }
    if (!r.content) {
        rc = imp_cli_usage("train", "give a folder of photographs with --content");
        goto done;
    }

    for (int k = 0; k < r.n_styles && !rc; k++)
        if (k != r.identity && r.styles[k] &&
            train_load_tiles(r.styles[k], r.size, tiles_side,
                             paintings + (size_t)k * (size_t)tiles * one, why, sizeof why) != 0)
            rc = fail_line(why);
    if (!rc && r.preview && train_load_square(r.preview, r.size, preview, why, sizeof why) != 0)
        rc = fail_line(why);
    /* VGG only as deep as the deepest layer a loss reads. */
    int relu[VGG_LAYERS], deepest = r.content_layer;
    for (int i = 0; i < VGG_LAYERS; i++)
        if (r.style_layers & (1u << i) && i > deepest)
            deepest = i;
    if (!rc && imp_vgg19_load_convs(r.vgg, deepest + 1, &vgg, relu, &err) != IMP_OK)
        rc = imp_cli_fail_message("--vgg", err.message);
    /* Photos last: decoding a large folder takes a while, so the quick
     * checks fail first. */
    if (!rc && train_photos_load(r.content, r.size, TRAIN_MAX_PHOTOS, &photos, why,
                                 sizeof why) != 0)
        rc = fail_line(why);
    if (rc)
        goto done;

    int style_values[VGG_LAYERS], n_style_values = 0;
    for (int i = 0; i < VGG_LAYERS; i++)
        if (r.style_layers & (1u << i))
            style_values[n_style_values++] = relu[i];
    struct imp_ploss_options po = {.content_value = relu[r.content_layer],
                                   .style_values = style_values,
                                   .n_style_values = n_style_values, .content_weight = r.cw,
                                   .style_weight = r.sw, .tv_weight = r.tw,
                                   .identity_pixel_weight = r.iw};
    struct imp_tnet_plan_options o = {.batch = r.batch, .height = r.size, .width = r.size,
                                      .threads = r.threads, .max_isa = IMP_ISA_BEST,
                                      .seeds = &out_value, .n_seeds = 1,
                                      /* --extend: only the new styles' norms learn */
                                      .frozen_convs = r.extend != NULL};
    if (imp_ploss_create(vgg, &po, r.n_styles, r.batch, r.size, r.size, r.threads,
                         IMP_ISA_BEST, &pl, &err) != IMP_OK ||
        imp_tnet_plan(student, &o, &err) != IMP_OK) {
        rc = imp_cli_fail_message("train", err.message);
        goto done;
    }
    for (int k = 0; k < r.n_styles; k++)
        imp_ploss_set_style_tiles(pl, k, k == r.identity || !r.styles[k]
                                             ? NULL
                                             : paintings + (size_t)k * (size_t)tiles * one,
                                  tiles, &err);

    const int tty = isatty(fileno(stdout));
    const double t0 = imp_cli_now_ms();
    double last_print = 0;
    printf("training %d style%s on %d photos: %zu parameters, batch %d of %dx%d, %d thread%s%s\n",
           r.n_styles, r.n_styles > 1 ? "s" : "", photos.n, imp_tnet_param_count(student),
           r.batch, r.size, r.size, r.threads, r.threads > 1 ? "s" : "", r.resume ? " (resumed)" : "");
    int styles[64];
    const int64_t first_step = adam.step;
    while (adam.step < r.iterations && !interrupted) {
        double elapsed = (imp_cli_now_ms() - t0) / 1000.0;
        if (r.time_limit > 0 && elapsed >= r.time_limit)
            break;
        for (int n = 0; n < r.batch; n++) {
            if (train_photos_sample(&photos, &rng, r.size, x + (size_t)n * one) != 0) {
                rc = imp_cli_fail("train", "out of memory cropping photos");
                goto done;
            }
            /* (--extend: the new styles only; the others stay as they are) */
            styles[n] = r.n_old + (int)(imp_rng_next(&rng) % (uint64_t)(r.n_styles - r.n_old));
        }
        imp_tnet_set_styles(student, styles, NULL);
        imp_tnet_forward(student, x, -1);
        struct imp_ploss_value v =
            imp_ploss_eval(pl, imp_tnet_value(student, out_value), x, styles, g);
        memcpy(imp_tnet_grad(student, out_value), g, sizeof(float) * in_n);
        imp_tnet_backward(student);
        imp_adam_step(&adam, imp_tnet_params(student), imp_tnet_param_grads(student));

        double now = (imp_cli_now_ms() - t0) / 1000.0;
        double per_step = now / (double)(adam.step - first_step);
        double eta = per_step * (double)(r.iterations - adam.step);
        if (r.time_limit > 0 && r.time_limit - now < eta)
            eta = r.time_limit - now;
        if (tty || now - last_print >= 10.0 || adam.step == r.iterations) {
            printf("%sstep %lld/%d  loss %.4g (content %.3g, style %.3g, tv %.3g)  "
                   "%.2f img/s  ETA %.0f s%s", tty ? "\r" : "", (long long)adam.step,
                   r.iterations, v.total, v.content, v.style, v.tv,
                   (double)r.batch / per_step, eta < 0 ? 0 : eta, tty ? "   " : "\n");
            fflush(stdout);
            last_print = now;
        }
        if (adam.step % r.ckpt_every == 0 && (rc = save_all(student, &r, &ck, ckpt_path, true)))
            goto done;
        if (preview && adam.step % r.preview_every == 0 &&
            (rc = write_preview(student, out_value, &r, preview, x)))
            goto done;
    }
    if (tty)
        printf("\n");
    rc = save_all(student, &r, &ck, ckpt_path, true);
    if (!rc && preview)
        rc = write_preview(student, out_value, &r, preview, x);
    if (!rc) {
        printf("%s at step %lld after %.0f s: wrote %s (%d style%s), checkpoint %s\n",
               interrupted ? "interrupted" : "stopped", (long long)adam.step,
               (imp_cli_now_ms() - t0) / 1000.0, r.output, r.n_styles,
               r.n_styles > 1 ? "s" : "", ckpt_path);
        if (interrupted)
            rc = 130;
    }
done:
    imp_adam_release(&adam);
    imp_ploss_free(pl);
    imp_tnet_free(student);
    imp_tnet_free(vgg);
    train_photos_free(&photos);
    free(paintings);
    free(x);
    free(g);
    free(preview);
free_styles:
    for (int k = 0; k < r.n_styles; k++)
        free(r.styles[k]);
    return rc;
}

const struct imp_cli_command imp_cli_train_command = {
    .name = "train",
    .summary = "learn style networks from paintings (VGG19 perceptual loss)",
    .help = help,
    .main = train_main,
};
