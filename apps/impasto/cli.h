/*
 * The impasto command-line program: pieces shared by its subcommands.
 * Every subcommand is one file defining one struct imp_cli_command.
 *
 * Exit codes: 0 success, 1 failure (bad file, model the library cannot
 * run, ...), 2 usage error. A failure prints exactly one line to stderr:
 * "impasto: <what>: <why>".
 */
#ifndef IMP_CLI_H
#define IMP_CLI_H

#include <stdint.h>

#include "image.h"
#include "impasto.h"

#if defined(__GNUC__)
#define IMP_CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define IMP_CLI_PRINTF(a, b)
/* ---- person segmentation models (segmentation.c) ---------------------------- */

/* A mask's height and width from a one-channel output's shape ([1,H,W,1],
 * [1,1,H,W], [1,H,W] or [H,W]); -1 when it is none of those. */
int imp_cli_mask_size(const struct imp_tensor_info *t, int *h, int *w);
/* Output 0 of the last run as floats: *mask is malloc'd (the caller frees
 * it), its size in *h, *w. Returns 0 or an exit code after printing. */
int imp_cli_mask_output(struct imp_cli_session *s, float **mask, int *h, int *w);
/* The fixed size of the model's one float32 RGB input, [1,H,W,3] (*nchw 0)
 * or [1,3,H,W] (*nchw 1). Returns 0 or an exit code after printing. */
int imp_cli_rgb_input_size(struct imp_cli_session *s, int *h, int *w, int *nchw);
/* Feed h x w x 3 floats (RGB, interleaved) to input 0, reordered into
 * `planar` (h * w * 3 floats) first when the model is NCHW. */
int imp_cli_set_rgb_input(struct imp_cli_session *s, const float *rgb, int h, int w,
                          int nchw, float *planar);
/* The path of MediaPipe's "general" or "landscape" selfie model: in
 * $IMP_SELFIE_DIR, else where scripts/build.sh fetches it (under the
 * current folder, then the source tree). NULL after printing the failure
 * when it is in none of them. */
const char *imp_cli_selfie_model(const char *name, char *buf, size_t size);

#endif

#define IMP_CLI_EXIT_FAIL 1
#define IMP_CLI_EXIT_USAGE 2

struct imp_cli_command {
    const char *name;
    const char *summary; /* one line for the command list */
    const char *help;    /* the whole --help text */
    int (*main)(int argc, char **argv); /* argv[0] is the command name */
};

extern const struct imp_cli_command imp_cli_info_command;
extern const struct imp_cli_command imp_cli_run_command;
extern const struct imp_cli_command imp_cli_segment_command;
extern const struct imp_cli_command imp_cli_bench_command;
extern const struct imp_cli_command imp_cli_convert_command;
extern const struct imp_cli_command imp_cli_stylize_command;
extern const struct imp_cli_command imp_cli_styles_command;
extern const struct imp_cli_command imp_cli_focus_command;
extern const struct imp_cli_command imp_cli_video_command;
extern const struct imp_cli_command imp_cli_live_command;
extern const struct imp_cli_command imp_cli_train_command;
extern const struct imp_cli_command imp_cli_style_score_command;

/* "impasto: <what>: <why>" on stderr; returns IMP_CLI_EXIT_FAIL. */
int imp_cli_fail(const char *what, const char *fmt, ...) IMP_CLI_PRINTF(2, 3);
/* The same for a message that may already begin with "<what>: " (as the
 * library's and apps/media's do), without saying <what> twice. */
int imp_cli_fail_message(const char *what, const char *message);
/* "impasto: <cmd>: <why> (see 'impasto <cmd> --help')"; returns
 * IMP_CLI_EXIT_USAGE. */
int imp_cli_usage(const char *cmd, const char *fmt, ...) IMP_CLI_PRINTF(2, 3);

/* ---- argument parsing ------------------------------------------------------ */

/* Options may come before, between or after positional arguments; "--"
 * ends them. Values are given as "--name V", "--name=V" or "-x V". */
struct imp_cli_option {
    const char *name; /* long name without "--" */
    char short_name;  /* 0 for none */
    int takes_value;
    int id; /* > 0 */
};

enum {
    IMP_CLI_ARG_POSITIONAL = 0, /* value holds it */
    IMP_CLI_ARG_END = -1,
    IMP_CLI_ARG_ERROR = -2, /* a usage error was printed: exit 2 */
    IMP_CLI_ARG_HELP = -3,  /* the help text was printed: exit 0 */
};

struct imp_cli_args {
    const struct imp_cli_command *cmd;
    int argc;
    char **argv;
    int next;
    int options_done;
    const char *value; /* the option's value or the positional argument */
};

void imp_cli_args_init(struct imp_cli_args *a, const struct imp_cli_command *cmd,
                       int argc, char **argv);
/* The next option id, or one of the IMP_CLI_ARG_* codes. */
int imp_cli_args_next(struct imp_cli_args *a, const struct imp_cli_option *opts);

/* Strict number parsing for flag values; print a usage error and return
 * -1 when the text is not a number in [lo, hi]. */
int imp_cli_parse_int(const char *cmd, const char *flag, const char *text, long lo,
                      long hi, int *out);
int imp_cli_parse_float(const char *cmd, const char *flag, const char *text,
                        float *out);
/* The same for the kinds of value several commands share: a fraction 0..1
 * (--strength, --stabilize) and a network's pixel range, 1 or 255
 * (--range). */
int imp_cli_parse_unit(const char *cmd, const char *flag, const char *text, float *out);
/* The focus blur's disc radius (--blur of focus and live): 0 to 512 pixels. */
int imp_cli_parse_blur(const char *cmd, const char *text, float *out);
int imp_cli_parse_pixel_range(const char *cmd, const char *text, float *out);
/* A frame size "WxH" (both set) or "H" (*w = 0: the width follows the
 * source's aspect), each side in [8, max_side]; -1 when malformed. Prints
 * nothing: the caller words the usage error. */
int imp_cli_parse_frame_size(const char *text, int max_side, int *w, int *h);
/* The VGG19 TF.js folder train and style-score read when --vgg is not
 * given: ../shared/models/backbones/vgg19-imagenet-keras-tfjs-partial
 * beside the source tree that built this program (the project's layout),
 * else that path relative to the working directory. */
#define IMP_CLI_VGG_SUBDIR "shared/models/backbones/vgg19-imagenet-keras-tfjs-partial"
#ifdef IMP_SOURCE_DIR
#define IMP_CLI_DEFAULT_VGG IMP_SOURCE_DIR "/../" IMP_CLI_VGG_SUBDIR
#else
#define IMP_CLI_DEFAULT_VGG "../" IMP_CLI_VGG_SUBDIR
#endif

/* Writes s to standard output as a JSON string, quoted and escaped. */
void imp_cli_json_string(const char *s);

/* ---- flags shared by every command that plans or runs a model ------------- */

enum {
    IMP_CLI_OPT_THREADS = 1000,
    IMP_CLI_OPT_ISA,
    IMP_CLI_OPT_ENGINE,
    IMP_CLI_OPT_SHAPE,
    IMP_CLI_OPT_AUTOTUNE,
};

#define IMP_CLI_MODEL_OPTIONS                                  \
    {"threads", 't', 1, IMP_CLI_OPT_THREADS},                  \
        {"isa", 0, 1, IMP_CLI_OPT_ISA},                        \
        {"engine", 0, 1, IMP_CLI_OPT_ENGINE},                  \
        {"autotune", 0, 0, IMP_CLI_OPT_AUTOTUNE}

#define IMP_CLI_MODEL_HELP                                                       \
    "  -t, --threads N       worker threads (default: the cores available)\n"    \
    "      --isa LEVEL       use kernels up to scalar, avx2 or avx512\n"         \
    "                        (default: the best this CPU has)\n"                 \
    "      --engine OP=ENG[,OP=ENG...]\n"                                        \
    "                        force an engine for an operator, e.g. Conv=ref\n"  \
    "      --autotune        choose each layer's engine by timing the candidates\n" \
    "                        at load (slower start; --engine still wins)\n"

#define IMP_CLI_MAX_SHAPES 16

/* A --shape NAME=1x3x256x256 request; name NULL means input 0. */
struct imp_cli_shape {
    const char *name;
    int rank;
    int64_t dims[IMP_MAX_RANK];
};

struct imp_cli_model_flags {
    struct imp_predictor_options opt;
    struct imp_cli_shape shapes[IMP_CLI_MAX_SHAPES];
    int n_shapes;
};

void imp_cli_model_flags_init(struct imp_cli_model_flags *f);
/* Handle a shared flag. Returns 1 when `id` was one (and it was good), 0
 * when it is not a shared flag, -1 after printing a usage error. */
int imp_cli_model_flag(struct imp_cli_model_flags *f, const char *cmd, int id,
                       const char *value);

/* Parse "NAME=1x3x256x256" or "1x3x256x256" (for input 0). */
int imp_cli_parse_shape(const char *cmd, const char *text, struct imp_cli_shape *s);

/* A loaded model with one predictor, planned for the requested shapes. */
struct imp_cli_session {
    const char *path;
    struct imp_model *model;
    struct imp_predictor *pred;
    int threads; /* resolved: never 0 */
    enum imp_isa isa; /* the level the kernels run at */
    int n_inputs;
    struct imp_cli_shape *inputs; /* current shape of each input */
};

/* Load, make the predictor, apply --shape. Returns 0, or an exit code
 * after printing the one-line error (the session is then closed). */
int imp_cli_open(const char *path, const struct imp_cli_model_flags *f,
                 struct imp_cli_session *s);
/* The two halves of imp_cli_open, for a command with work in between;
 * on failure the caller closes the session. */
int imp_cli_load(const char *path, struct imp_cli_session *s);
int imp_cli_start(struct imp_cli_session *s, const struct imp_cli_model_flags *f);
void imp_cli_close(struct imp_cli_session *s);
/* imp_predictor_resize_input, remembering the shape for reports. */
enum imp_status imp_cli_resize_input(struct imp_cli_session *s, int index, int rank,
                                     const int64_t *dims);

/* The input a NAME refers to: NULL means input 0. Prints a failure naming
 * the model's inputs and returns -1 when there is none such. */
int imp_cli_input_index(const struct imp_cli_session *s, const char *name);

/* Fail with the predictor's last message (or the status name). */
int imp_cli_pred_fail(const struct imp_cli_session *s, enum imp_status st);

/* "[1, 3, ?, ?]" (open dims as ?) or "1x3x256x256" (sep "x"). */
void imp_cli_format_dims(char *buf, size_t size, int rank, const int64_t *dims,
                         const char *sep);
/* The current shape of every input, "name=1x3x256x256 other=..." */
void imp_cli_format_input_shapes(const struct imp_cli_session *s, char *buf,
                                 size_t size);
double imp_cli_now_ms(void);

/* ---- images into tensors (image_input.c) ----------------------------------- */

enum imp_cli_layout { IMP_CLI_LAYOUT_GUESS, IMP_CLI_LAYOUT_NCHW, IMP_CLI_LAYOUT_NHWC };

struct imp_cli_image_flags {
    enum imp_cli_layout layout;
    int scale_set;
    float scale;   /* pixel 0..255 times this; default 1/255 (1 for int inputs) */
    float mean[3]; /* R, G, B: subtracted after scaling */
    float std[3];  /* R, G, B: divides after the mean */
    int bgr;       /* feed channels as B, G, R */
};

enum {
    IMP_CLI_OPT_LAYOUT = 1100,
    IMP_CLI_OPT_SCALE,
    IMP_CLI_OPT_MEAN,
    IMP_CLI_OPT_STD,
    IMP_CLI_OPT_BGR,
};

#define IMP_CLI_IMAGE_OPTIONS                                            \
    {"image-layout", 0, 1, IMP_CLI_OPT_LAYOUT},                          \
        {"scale", 0, 1, IMP_CLI_OPT_SCALE}, {"mean", 0, 1, IMP_CLI_OPT_MEAN}, \
        {"std", 0, 1, IMP_CLI_OPT_STD}, {"bgr", 0, 0, IMP_CLI_OPT_BGR}

#define IMP_CLI_IMAGE_HELP                                                         \
    "      --image-layout L  nchw or nhwc (default: the side whose channel dim\n"  \
    "                        is 3)\n"                                              \
    "      --scale S         multiply pixel values 0..255 by S (default 1/255;\n"  \
    "                        1 for integer inputs)\n"                              \
    "      --mean R,G,B      subtract after scaling (one value: all channels)\n"   \
    "      --std R,G,B       then divide by these (default 1)\n"                   \
    "      --bgr             feed the channels in B, G, R order (--mean and\n"     \
    "                        --std stay in R, G, B order)\n"

void imp_cli_image_flags_init(struct imp_cli_image_flags *f);
int imp_cli_image_flag(struct imp_cli_image_flags *f, const char *cmd, int id,
                       const char *value);

/* Feed an 8-bit RGB image to input `index`: resized to the input's fixed
 * height and width, or at its own size where those are open. Returns 0 or
 * an exit code after printing the failure. */
int imp_cli_set_image_input(struct imp_cli_session *s, int index,
                            const struct imp_image *img,
                            const struct imp_cli_image_flags *f, const char *what);

/* ---- person segmentation models (segmentation.c) ---------------------------- */

/* A mask's height and width from a one-channel output's shape ([1,H,W,1],
 * [1,1,H,W], [1,H,W] or [H,W]); -1 when it is none of those. */
int imp_cli_mask_size(const struct imp_tensor_info *t, int *h, int *w);
/* Output 0 of the last run as floats: *mask is malloc'd (the caller frees
 * it), its size in *h, *w. Returns 0 or an exit code after printing. */
int imp_cli_mask_output(struct imp_cli_session *s, float **mask, int *h, int *w);
/* The fixed size of the model's one float32 RGB input, [1,H,W,3] (*nchw 0)
 * or [1,3,H,W] (*nchw 1). Returns 0 or an exit code after printing. */
int imp_cli_rgb_input_size(struct imp_cli_session *s, int *h, int *w, int *nchw);
/* Feed h x w x 3 floats (RGB, interleaved) to input 0, reordered into
 * `planar` (h * w * 3 floats) first when the model is NCHW. */
int imp_cli_set_rgb_input(struct imp_cli_session *s, const float *rgb, int h, int w,
                          int nchw, float *planar);
/* The path of MediaPipe's "general" or "landscape" selfie model: in
 * $IMP_SELFIE_DIR, else where scripts/build.sh fetches it (under the
 * current folder, then the source tree). NULL after printing the failure
 * when it is in none of them. */
const char *imp_cli_selfie_model(const char *name, char *buf, size_t size);

#endif
