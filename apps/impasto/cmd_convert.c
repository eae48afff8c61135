/* impasto convert: save any model the library loads as .imp. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char help[] =
    "usage: impasto convert IN.onnx|IN.tflite|IN.imp OUT.imp\n"
    "\n"
    "Load a model, optimise it as every load does (fp16 weights widened,\n"
    "constants folded, dead nodes removed) and write the result as an .imp\n"
    "file: impasto's own format, which loads without conversion work and\n"
    "whose weights are 64-byte aligned so they can be used in place.\n"
    "\n"
    "options:\n"
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto convert candy.onnx candy.imp\n"
    "  impasto convert selfie_segmentation.tflite selfie.imp\n"
    "  impasto info selfie.imp\n";

static int convert_main(int argc, char **argv)
{
    static const struct imp_cli_option opts[] = {{0}};
    const char *cmd = "convert";
    const char *paths[2];
    int n = 0;
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_convert_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            return 0;
        if (id == IMP_CLI_ARG_ERROR)
            return IMP_CLI_EXIT_USAGE;
        if (n == 2)
            return imp_cli_usage(cmd, "unexpected argument '%s'", a.value);
        paths[n++] = a.value;
    }
    if (n < 2)
        return imp_cli_usage(cmd, "give an input model and an OUT.imp file");

    struct imp_model *m;
    struct imp_error err;
    if (imp_model_load_file(paths[0], &m, &err) != IMP_OK)
        return imp_cli_fail_message(paths[0], err.message);
    int rc = 0;
    if (imp_model_save_imp(m, paths[1], &err) != IMP_OK) {
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
    return rc;
}

const struct imp_cli_command imp_cli_convert_command = {
    "convert", "save a model as .imp, impasto's own quick-loading format", help,
    convert_main};
