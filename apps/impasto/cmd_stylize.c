/* impasto stylize: photos into paintings with a style network. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "resample.h"
#include "style_mix.h"
#include "styles.h"
#include "stylize.h"
#include "stylize_cli.h"

static const char help[] =
    "usage: impasto stylize PHOTO... -o OUT [--style NAME|MODEL] [options]\n"
    "       impasto stylize PHOTO -o OUT --style-image PAINTING --magenta DIR\n"
    "\n"
    "Paint photos (PNG or JPEG; a folder means every picture in it) in a style.\n"
    "The output keeps the photo's size, aspect and alpha channel; its type\n"
    "follows OUT's extension (.png, .jpg). With several photos or a folder,\n"
    "OUT is a folder (made if missing) and the photos are done in parallel;\n"
    "a photo that fails is reported and the others are still done.\n"
    "\n"
    "Any image-to-image network works (one float picture input, NCHW or NHWC):\n"
    "open sizes are padded to the network's stride and cropped back; fixed\n"
    "sizes (e.g. 720x720) run in overlapping tiles, never a squashed photo.\n"
    "How pixels become numbers comes from the model's metadata (impasto.input.*)\n"
    "or is detected (an ImageScaler means BGR 0..255, else RGB 0..1), unless\n"
    "--bgr, --scale, --mean or --image-layout say.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT      the picture to write, or a folder for several\n"
    "      --style S         a shipped style's name (see 'impasto styles': each\n"
    "                        style of a multi-style network, or a model file's\n"
    "                        name; the default is the first) or a model file\n"
    "                        (a multi-style one runs its first style)\n"
    "      --strength S      0..1 (default 1): how much of the style, a blend\n"
    "                        of the painting with the photo; a network with an\n"
    "                        'identity' style (in the file, or a file beside\n"
    "                        it) also mixes its norm weights towards it, so\n"
    "                        the strokes fade too, not only the colours (its\n"
    "                        blend is then 1-(1-S)^2, for an even ramp)\n"
    "      --blend S:W,...   mix styles of one conditional network, e.g.\n"
    "                        --blend candy:0.7,mosaic:0.3 (weights normalised)\n"
    "      --preserve-colors the painting's texture and light in the photo's\n"
    "                        colours (OKLab)\n"
    "      --size N          scale the photo so its long side is N pixels first\n"
    "      --tile N          run in tiles of about N pixels (0: never tile;\n"
    "                        default: only when the whole photo would need\n"
    "                        more than --max-memory)\n"
    "      --max-memory M    activation memory for one run (default 1G; K, M, G)\n"
    "      --quality Q       JPEG quality 1..100 (default 92)\n"
    "      --jobs N          photos in parallel (default: enough for the threads)\n"
    "\n"
    "arbitrary style (Magenta's two TFLite networks in DIR):\n"
    "      --magenta DIR     the folder holding style_predict*.tflite and\n"
    "                        style_transfer*.tflite\n"
    "      --style-image P   the painting whose style to take (repeat to blend;\n"
    "                        P:W gives a weight)\n"
    "      --save-style V.npy  keep the 100-float style vector for later\n"
    "      --style-vector V.npy  use a kept style vector instead of a painting\n"
    "\n"
    "pixels into the network (default: detected):\n"
    "      --image-layout L  nchw or nhwc\n"
    "      --scale S         multiply pixel values 0..255 by S\n"
    "      --mean R,G,B      subtract after scaling\n"
    "      --bgr             feed the channels in B, G, R order\n" IMP_CLI_MODEL_HELP
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto stylize photo.jpg -o painting.jpg --style candy\n"
    "  impasto stylize photo.jpg -o out.png --style candy.onnx --strength 0.6\n"
    "  impasto stylize holiday/ -o painted/ --style mosaic.onnx --size 1600\n"
    "  impasto stylize big.jpg -o big-candy.jpg --style candy.onnx --tile 720 \\\n"
    "      --preserve-colors --quality 90\n"
    "  impasto stylize photo.jpg -o out.png --magenta magenta/ \\\n"
    "      --style-image starry.jpg --save-style starry.npy\n"
    "  impasto stylize photo.jpg -o out.png --magenta magenta/ \\\n"
    "      --style-vector starry.npy --strength 0.5\n";

enum {
    OPT_OUTPUT = 1,
    OPT_STYLE,
    OPT_STRENGTH,
    OPT_BLEND,
    OPT_PRESERVE,
    OPT_SIZE,
    OPT_TILE,
    OPT_MAX_MEMORY,
    OPT_QUALITY,
    OPT_JOBS,
    OPT_MAGENTA,
    OPT_STYLE_IMAGE,
    OPT_SAVE_STYLE,
    OPT_STYLE_VECTOR,
};

static int parse_memory(const char *text, size_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || v <= 0)
        return -1;
    double unit = 1;
    if (*end == 'k' || *end == 'K')
        unit = 1024.0, end++;
    else if (*end == 'm' || *end == 'M')
        unit = 1024.0 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        unit = 1024.0 * 1024 * 1024, end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v * unit > 1e15)
        return -1;
    *out = (size_t)(v * unit);
    return 0;
}

/* "a:0.7,b:0.3" -> names and weights (normalised to 1 in total). */
int imp_stylize_parse_blend(const char *cmd, const char *text, struct imp_stylize_job *job)
{
    char *copy = strdup(text);
    if (!copy)
        return imp_cli_fail(cmd, "out of memory"), -1;
    job->n_blend = 0;
    double total = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        if (job->n_blend == IMP_STYLIZE_MAX_BLEND) {
            free(copy);
            return imp_cli_usage(cmd, "--blend takes at most %d styles",
                                 IMP_STYLIZE_MAX_BLEND),
                   -1;
        }
        char *colon = strrchr(tok, ':');
        float w = 1.0f;
        if (colon) {
            *colon = '\0';
            if (imp_cli_parse_float(cmd, "--blend", colon + 1, &w) || w < 0) {
                free(copy);
                if (w < 0)
                    imp_cli_usage(cmd, "--blend weights must be >= 0");
                return -1;
            }
        }
        if (!*tok) {
            free(copy);
            return imp_cli_usage(cmd, "--blend wants NAME:W,NAME:W, not '%s'", text), -1;
        }
        snprintf(job->blend[job->n_blend].style, sizeof job->blend[0].style, "%s", tok);
        job->blend[job->n_blend].weight = w;
        total += w;
        job->n_blend++;
    }
    free(copy);
    if (job->n_blend == 0 || total <= 0)
        return imp_cli_usage(cmd, "--blend needs at least one style with a weight above 0"),
               -1;
    for (int i = 0; i < job->n_blend; i++)
        job->blend[i].weight = (float)(job->blend[i].weight / total);
    return 0;
}

static int stylize_main(int argc, char **argv)
{
    static const struct imp_cli_option opts[] = {
        IMP_CLI_MODEL_OPTIONS,
        {"image-layout", 0, 1, IMP_CLI_OPT_LAYOUT},
        {"scale", 0, 1, IMP_CLI_OPT_SCALE},
        {"mean", 0, 1, IMP_CLI_OPT_MEAN},
        {"bgr", 0, 0, IMP_CLI_OPT_BGR},
        {"output", 'o', 1, OPT_OUTPUT},
        {"style", 0, 1, OPT_STYLE},
        {"strength", 0, 1, OPT_STRENGTH},
        {"blend", 0, 1, OPT_BLEND},
        {"preserve-colors", 0, 0, OPT_PRESERVE},
        {"preserve-colours", 0, 0, OPT_PRESERVE},
        {"size", 0, 1, OPT_SIZE},
        {"tile", 0, 1, OPT_TILE},
        {"max-memory", 0, 1, OPT_MAX_MEMORY},
        {"quality", 'q', 1, OPT_QUALITY},
        {"jobs", 'j', 1, OPT_JOBS},
        {"magenta", 0, 1, OPT_MAGENTA},
        {"style-image", 0, 1, OPT_STYLE_IMAGE},
        {"save-style", 0, 1, OPT_SAVE_STYLE},
        {"style-vector", 0, 1, OPT_STYLE_VECTOR},
        {0},
    };
    const char *cmd = "stylize";
    struct imp_stylize_job *job = calloc(1, sizeof *job);
    if (!job)
        return imp_cli_fail(cmd, "out of memory");
    imp_cli_model_flags_init(&job->model_flags);
    imp_cli_image_flags_init(&job->image_flags);
    job->strength = 1.0f;
    job->tile = -1;
    job->max_memory = (size_t)1 << 30;
    int rc = 0;
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_stylize_command, argc, argv);
    for (int id; rc == 0 && (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        switch (id) {
        case IMP_CLI_ARG_HELP:
            free(job);
            return 0;
        case IMP_CLI_ARG_ERROR:
            rc = IMP_CLI_EXIT_USAGE;
            break;
        case IMP_CLI_ARG_POSITIONAL:
            if (job->n_inputs == IMP_STYLIZE_MAX_ARGS)
                rc = imp_cli_usage(cmd, "too many photos (give a folder)");
            else
                job->inputs[job->n_inputs++] = a.value;
            break;
        case OPT_OUTPUT:
            job->output = a.value;
            break;
        case OPT_STYLE:
            job->style = a.value;
            break;
        case OPT_STRENGTH:
            if (imp_cli_parse_unit(cmd, "--strength", a.value, &job->strength))
                rc = IMP_CLI_EXIT_USAGE;
            job->strength_set = 1;
            break;
        case OPT_BLEND:
            if (imp_stylize_parse_blend(cmd, a.value, job))
                rc = IMP_CLI_EXIT_USAGE;
            break;
        case OPT_PRESERVE:
            job->preserve_colors = 1;
            break;
        case OPT_SIZE:
            if (imp_cli_parse_int(cmd, "--size", a.value, 1, 1 << 15, &job->size))
                rc = IMP_CLI_EXIT_USAGE;
            break;
        case OPT_TILE:
            if (imp_cli_parse_int(cmd, "--tile", a.value, 0, 1 << 15, &job->tile))
                rc = IMP_CLI_EXIT_USAGE;
            else if (job->tile > 0 && job->tile < 16)
                rc = imp_cli_usage(cmd, "--tile must be 0 (no tiles) or at least 16");
            break;
        case OPT_MAX_MEMORY:
            if (parse_memory(a.value, &job->max_memory))
                rc = imp_cli_usage(cmd, "--max-memory wants a size like 800M or 2G, not '%s'",
                                   a.value);
            break;
        case OPT_QUALITY:
            if (imp_cli_parse_int(cmd, "--quality", a.value, 1, 100, &job->quality))
                rc = IMP_CLI_EXIT_USAGE;
            break;
        case OPT_JOBS:
            if (imp_cli_parse_int(cmd, "--jobs", a.value, 1, 64, &job->jobs))
                rc = IMP_CLI_EXIT_USAGE;
            break;
        case OPT_MAGENTA:
            job->magenta_dir = a.value;
            break;
        case OPT_STYLE_IMAGE:
            if (job->n_style_images == IMP_STYLIZE_MAX_BLEND)
                rc = imp_cli_usage(cmd, "at most %d --style-image", IMP_STYLIZE_MAX_BLEND);
            else
                job->style_images[job->n_style_images++] = a.value;
            break;
        case OPT_SAVE_STYLE:
            job->save_style = a.value;
            break;
        case OPT_STYLE_VECTOR:
            job->style_vector = a.value;
            break;
        default: {
            int r = imp_cli_model_flag(&job->model_flags, cmd, id, a.value);
            if (r == 0) {
                r = imp_cli_image_flag(&job->image_flags, cmd, id, a.value);
                job->convention_given |= r == 1;
            }
            if (r < 0)
                rc = IMP_CLI_EXIT_USAGE;
        }
        }
    }
    if (rc == 0 && job->n_inputs == 0)
        rc = imp_cli_usage(cmd, "give at least one PHOTO (or a folder of photos)");
    if (rc == 0 && !job->output)
        rc = imp_cli_usage(cmd, "give where to write with -o OUT");
    int magenta = imp_stylize_is_magenta(job);
    if (rc == 0)
        rc = imp_stylize_check_style(job, cmd);
    if (rc == 0)
        rc = imp_stylize_execute(job, magenta);
    free(job);
    return rc;
}

const struct imp_cli_command imp_cli_stylize_command = {
    "stylize", "paint photos in a style (any size, strength, blends, colours kept)", help,
    stylize_main};
