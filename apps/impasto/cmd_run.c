/* impasto run: one run on .npy or image inputs, every output to .npy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "npy.h"

static const char help[] =
    "usage: impasto run MODEL [-i [NAME=]FILE...] -o OUT_DIR [options]\n"
    "\n"
    "Run a model once and write each output as OUT_DIR/<output name>.npy\n"
    "(float32; characters other than letters, digits, '.', '-' and '_' in\n"
    "the name become '_'). Every input needs a value. A .npy file sets the\n"
    "input's shape (open dims follow the file) and is converted to the\n"
    "input's dtype. A PNG or JPEG photo is resized (bilinear; area average\n"
    "when shrinking) to the input's height and width where the model fixes\n"
    "them, and used at its own size where it leaves them open. An input\n"
    "that gives a shape or sizes (a Reshape's shape, a Resize's scales) is\n"
    "read like any other. A model without inputs needs no -i.\n"
    "\n"
    "options:\n"
    "  -i, --input [NAME=]FILE\n"
    "                        a .npy, PNG or JPEG value for input NAME (without\n"
    "                        NAME=, the first input); repeat for more inputs\n"
    "  -o, --output DIR      where the .npy outputs go (made if missing)\n" IMP_CLI_IMAGE_HELP
        IMP_CLI_MODEL_HELP
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto run squeezenet.onnx -i data_0=cat.npy -o out/\n"
    "  impasto run selfie_segmentation.tflite -i photo.jpg -o out/\n"
    "  impasto run reshape.onnx -i data=x.npy -i shape=shape.npy -o out/\n"
    "  impasto run constant.onnx -o out/         # a model without inputs\n"
    "  impasto run candy.onnx -i inputImage=photo.png --bgr --scale 1 -o out/\n"
    "  impasto run SqueezeNet_fp16.onnx -i cat.jpg --bgr --scale 1 \\\n"
    "      --mean 123,117,104 -o out/\n";

#define MAX_INPUTS 64

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        buf[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* A file name that cannot escape OUT_DIR or hide: no '/', no leading '.'. */
static void safe_name(const char *name, int index, char *out, size_t size)
{
    size_t o = 0;
    for (const char *c = name; *c && o + 1 < size && o < 200; c++) {
        char ch = *c;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        out[o] = ok && !(o == 0 && ch == '.') ? ch : '_';
        o++;
    }
    out[o] = '\0';
    if (o == 0)
        snprintf(out, size, "output%d", index);
}

static int file_is_npy(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    uint8_t head[8];
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    return imp_npy_probe(head, got);
}

static int set_npy_input(struct imp_cli_session *s, int index, const char *file)
{
    struct imp_npy a;
    char why[512];
    if (imp_npy_load(file, &a, why, sizeof why))
        return imp_cli_fail_message(file, why);
    struct imp_tensor_info info;
    imp_model_input_info(s->model, index, &info);
    size_t es = imp_npy_dtype_size(info.dtype);
    int rc = 0;
    void *converted = NULL;
    if (!es) {
        rc = imp_cli_fail(file, "input '%s' has dtype %s, which .npy input cannot fill",
                          info.name, imp_dtype_name(info.dtype));
        goto done;
    }
    if (imp_cli_resize_input(s, index, a.rank, a.dims) != IMP_OK) {
        rc = imp_cli_fail(file, "%s", imp_predictor_last_error(s->pred));
        goto done;
    }
    converted = malloc(a.count * es + 1);
    if (!converted) {
        rc = imp_cli_fail(file, "out of memory");
        goto done;
    }
    imp_convert_elements(a.dtype, a.data, info.dtype, converted, a.count);
    if (imp_predictor_set_input(s->pred, index, converted, a.count * es) != IMP_OK)
        rc = imp_cli_fail(file, "%s", imp_predictor_last_error(s->pred));
done:
    free(converted);
    imp_npy_free(&a);
    return rc;
}

static int set_input(struct imp_cli_session *s, const char *spec, int *given,
                     const struct imp_cli_image_flags *image_flags)
{
    /* NAME=FILE when NAME is one of the model's inputs; FILE alone (even
     * one with '=' in its name) is for input 0. */
    const char *file = spec;
    int index = -1;
    const char *eq = strchr(spec, '=');
    if (eq) {
        char name[512];
        size_t len = (size_t)(eq - spec);
        if (len < sizeof name) {
            memcpy(name, spec, len);
            name[len] = '\0';
            index = imp_model_find_input(s->model, name);
            if (index >= 0) {
                file = eq + 1;
            } else {
                struct stat st;
                if (stat(spec, &st) != 0) {
                    imp_cli_input_index(s, name); /* says which names exist */
                    return IMP_CLI_EXIT_FAIL;
                }
            }
        }
    }
    if (index < 0) {
        index = imp_cli_input_index(s, NULL);
        if (index < 0)
            return IMP_CLI_EXIT_FAIL;
    }
    struct imp_tensor_info info;
    imp_model_input_info(s->model, index, &info);
    if (given[index])
        return imp_cli_fail(file, "input '%s' is given twice", info.name);
    given[index] = 1;
    if (file_is_npy(file))
        return set_npy_input(s, index, file);
    struct imp_image img;
    char why[512];
    if (imp_image_load(file, &img, why, sizeof why)) {
        if (strstr(why, "not a PNG or JPEG"))
            return imp_cli_fail(file, "not a .npy, PNG or JPEG file");
        return imp_cli_fail_message(file, why);
    }
    int rc = imp_cli_set_image_input(s, index, &img, image_flags, file);
    imp_image_free(&img);
    return rc;
}

static int write_outputs(struct imp_cli_session *s, const char *dir)
{
    if (make_dirs(dir) != 0)
        return imp_cli_fail(dir, "cannot make the output folder: %s", strerror(errno));
    int n = imp_model_output_count(s->model);
    char (*names)[224] = calloc((size_t)n + 1, sizeof *names);
    if (!names)
        return imp_cli_fail(dir, "out of memory");
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        struct imp_tensor_info t;
        const void *data;
        if (imp_predictor_output(s->pred, i, &t, &data) != IMP_OK) {
            rc = imp_cli_pred_fail(s, IMP_ERR_ARGUMENT);
            break;
        }
        safe_name(t.name, i, names[i], 200);
        for (int k = 0; k < i; k++) { /* two names may sanitise alike */
            if (strcmp(names[k], names[i]) == 0) {
                size_t len = strlen(names[i]);
                snprintf(names[i] + len, sizeof names[i] - len, "_%d", i);
                k = -1;
            }
        }
        size_t count = 1;
        for (int d = 0; d < t.rank; d++)
            count *= (size_t)t.dims[d];
        float *f = malloc(count * sizeof *f + 1);
        if (!f) {
            rc = imp_cli_fail(t.name, "out of memory");
            break;
        }
        if (imp_convert_elements(t.dtype, data, IMP_DTYPE_F32, f, count) != 0) {
            free(f);
            rc = imp_cli_fail(t.name, "output dtype %s cannot be written as float32",
                              imp_dtype_name(t.dtype));
            break;
        }
        char path[4096], why[512];
        snprintf(path, sizeof path, "%s/%s.npy", dir, names[i]);
        if (imp_npy_save_f32(path, t.rank, t.dims, f, why, sizeof why) != 0) {
            free(f);
            rc = imp_cli_fail_message(path, why);
            break;
        }
        double lo = 0, hi = 0, sum = 0;
        for (size_t k = 0; k < count; k++) {
            double v = f[k];
            if (k == 0 || v < lo)
                lo = v;
            if (k == 0 || v > hi)
                hi = v;
            sum += v;
        }
        char dims[160];
        imp_cli_format_dims(dims, sizeof dims, t.rank, t.dims, ", ");
        printf("wrote %s  %s %s  min %.6g max %.6g mean %.6g\n", path,
               imp_dtype_name(t.dtype), dims, lo, hi, count ? sum / (double)count : 0.0);
        free(f);
    }
    free(names);
    return rc;
}

static int run_main(int argc, char **argv)
{
    enum { OPT_INPUT = 1, OPT_OUTPUT };
    static const struct imp_cli_option opts[] = {
        IMP_CLI_MODEL_OPTIONS,
        IMP_CLI_IMAGE_OPTIONS,
        {"input", 'i', 1, OPT_INPUT},
        {"output", 'o', 1, OPT_OUTPUT},
        {0},
    };
    const char *cmd = "run";
    struct imp_cli_model_flags flags;
    struct imp_cli_image_flags image_flags;
    imp_cli_model_flags_init(&flags);
    imp_cli_image_flags_init(&image_flags);
    const char *path = NULL, *out_dir = NULL;
    const char *inputs[MAX_INPUTS];
    int n_inputs = 0;
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_run_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            return 0;
        if (id == IMP_CLI_ARG_ERROR)
            return IMP_CLI_EXIT_USAGE;
        if (id == IMP_CLI_ARG_POSITIONAL) {
            if (path)
                return imp_cli_usage(cmd, "unexpected argument '%s' (inputs go after -i)",
                                     a.value);
            path = a.value;
        } else if (id == OPT_INPUT) {
            if (n_inputs == MAX_INPUTS)
                return imp_cli_usage(cmd, "too many inputs");
            inputs[n_inputs++] = a.value;
        } else if (id == OPT_OUTPUT) {
            out_dir = a.value;
        } else {
            int r = imp_cli_model_flag(&flags, cmd, id, a.value);
            if (r == 0)
                r = imp_cli_image_flag(&image_flags, cmd, id, a.value);
            if (r < 0)
                return IMP_CLI_EXIT_USAGE;
        }
    }
    if (!path)
        return imp_cli_usage(cmd, "give a MODEL file");
    if (!out_dir)
        return imp_cli_usage(cmd, "give an output folder with -o DIR");

    struct imp_cli_session s;
    int rc = imp_cli_open(path, &flags, &s);
    if (rc)
        return rc;
    int n_model_inputs = imp_model_input_count(s.model);
    if (!n_inputs && n_model_inputs > 0) {
        imp_cli_close(&s);
        return imp_cli_usage(cmd, "give the inputs with -i NAME=FILE");
    }
    int *given = calloc((size_t)n_model_inputs + 1, sizeof *given);
    if (!given) {
        imp_cli_close(&s);
        return imp_cli_fail(path, "out of memory");
    }
    for (int k = 0; k < n_inputs && rc == 0; k++)
        rc = set_input(&s, inputs[k], given, &image_flags);
    for (int i = 0; i < n_model_inputs && rc == 0; i++) {
        if (!given[i]) {
            struct imp_tensor_info info;
            imp_model_input_info(s.model, i, &info);
            rc = imp_cli_fail(path, "input '%s' has no value (give -i %s=FILE)",
                              info.name, info.name);
        }
    }
    if (rc == 0) {
        double t0 = imp_cli_now_ms();
        enum imp_status st = imp_predictor_run(s.pred);
        double ms = imp_cli_now_ms() - t0;
        if (st != IMP_OK) {
            rc = imp_cli_pred_fail(&s, st);
        } else {
            char shapes[512];
            imp_cli_format_input_shapes(&s, shapes, sizeof shapes);
            if (!shapes[0])
                snprintf(shapes, sizeof shapes, "no inputs");
            printf("ran %s for %s in %.2f ms (%d threads, %s)\n", path, shapes, ms,
                   s.threads, imp_isa_name(s.isa));
            rc = write_outputs(&s, out_dir);
        }
    }
    free(given);
    imp_cli_close(&s);
    return rc;
}

const struct imp_cli_command imp_cli_run_command = {
    "run", "run a model once on .npy or image inputs, write .npy outputs", help,
    run_main};
