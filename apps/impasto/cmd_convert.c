/* impasto convert: save any model the library loads as .imp or ONNX. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char help[] =
    "usage: impasto convert IN.onnx|IN.tflite|IN.imp OUT.imp|OUT.onnx [options]\n"
    "\n"
    "Load a model, optimise it as every load does (fp16 weights widened,\n"
    "constants folded, dead nodes removed, norms fused) and write the result.\n"
    "The format follows OUT's extension:\n"
    "  .imp   impasto's own format, which loads without conversion work and\n"
    "         whose weights are 64-byte aligned so they can be used in place\n"
    "  .onnx  standard ONNX (opset 17) that ONNX Runtime and other ONNX tools\n"
    "         run; impasto's fused nodes are written as the standard nodes\n"
    "         they stand for\n"
    "The model's metadata (key/value pairs: 'impasto info' lists them) goes\n"
    "along, as the .imp metadata section or ONNX metadata_props.\n"
    "\n"
    "options:\n"
    "      --meta KEY=VALUE  set a metadata pair (repeatable; replaces the\n"
    "                        model's value of KEY)\n"
    "      --clear-meta      drop the model's own metadata first\n"
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto convert candy.onnx candy.imp\n"
    "  impasto convert selfie_segmentation.tflite selfie.imp\n"
    "  impasto convert styles.imp styles.onnx\n"
    "  impasto convert candy.onnx candy.imp --meta impasto.input.range=0,255 \\\n"
    "      --meta impasto.input.channels=BGR\n"
    "  impasto info selfie.imp\n";

enum { OPT_META = 1, OPT_CLEAR_META };

static bool has_extension(const char *path, const char *ext)
{
    size_t n = strlen(path), k = strlen(ext);
    return n > k && strcmp(path + n - k, ext) == 0;
}

static int convert_main(int argc, char **argv)
{
    static const struct imp_cli_option opts[] = {
        {"meta", 0, 1, OPT_META},
        {"clear-meta", 0, 0, OPT_CLEAR_META},
        {0},
    };
    const char *cmd = "convert";
    const char *paths[2];
    int n = 0;
    struct imp_save_options save = imp_save_options_default();
    /* At most one pair per argument: argc bounds the list. */
    struct imp_metadata_entry *meta = calloc((size_t)argc + 1, sizeof *meta);
    char **owned = calloc((size_t)argc + 1, sizeof *owned);
    int rc = 0;
    if (!meta || !owned) {
        rc = imp_cli_fail(cmd, "out of memory");
        goto done;
    }
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_convert_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            goto done;
        if (id == IMP_CLI_ARG_ERROR) {
            rc = IMP_CLI_EXIT_USAGE;
            goto done;
        }
        if (id == OPT_CLEAR_META) {
            save.clear_metadata = 1;
            continue;
        }
        if (id == OPT_META) {
            const char *eq = strchr(a.value, '=');
            if (!eq || eq == a.value) {
                rc = imp_cli_usage(cmd, "--meta wants KEY=VALUE, got '%s'", a.value);
                goto done;
            }
            char *copy = owned[save.metadata_count] = malloc(strlen(a.value) + 1);
            if (!copy) {
                rc = imp_cli_fail(cmd, "out of memory");
                goto done;
            }
            strcpy(copy, a.value);
            copy[eq - a.value] = '\0';
            meta[save.metadata_count++] =
                (struct imp_metadata_entry){copy, copy + (eq - a.value) + 1};
            continue;
        }
        if (n == 2) {
            rc = imp_cli_usage(cmd, "unexpected argument '%s'", a.value);
            goto done;
        }
        paths[n++] = a.value;
    }
    if (n < 2) {
        rc = imp_cli_usage(cmd, "give an input model and an OUT.imp or OUT.onnx file");
        goto done;
    }
    if (has_extension(paths[1], ".onnx")) {
        save.format = IMP_FORMAT_ONNX;
    } else if (has_extension(paths[1], ".imp")) {
        save.format = IMP_FORMAT_IMP;
    } else {
        rc = imp_cli_usage(cmd, "'%s': the output must end in .imp or .onnx", paths[1]);
        goto done;
    }
    save.metadata = meta;

    struct imp_model *m;
    struct imp_error err;
    if (imp_model_load_file(paths[0], &m, &err) != IMP_OK) {
        rc = imp_cli_fail_message(paths[0], err.message);
        goto done;
    }
    if (imp_model_save(m, paths[1], &save, &err) != IMP_OK) {
        rc = imp_cli_fail_message(paths[1], err.message);
    } else {
        struct stat st;
        long long bytes = stat(paths[1], &st) == 0 ? (long long)st.st_size : -1;
        printf("wrote %s (%lld bytes, %d nodes, %lld parameters) from %s (%s)\n",
               paths[1], bytes, imp_model_node_count(m),
               (long long)imp_model_param_count(m), paths[0],
               imp_model_source_format(m));
    }
    imp_model_free(m);
done:
    for (int i = 0; owned && i < argc; i++)
        free(owned[i]);
    free(owned);
    free(meta);
    return rc;
}

const struct imp_cli_command imp_cli_convert_command = {
    "convert", "save a model as .imp (impasto's quick-loading format) or ONNX", help,
    convert_main};
