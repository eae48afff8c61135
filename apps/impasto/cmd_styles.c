/* impasto styles: the shipped styles, for people and for scripts (--json). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "styles.h"

static const char help[] =
    "usage: impasto styles [--json]\n"
    "\n"
    "List the shipped styles that 'impasto stylize --style NAME' takes: the\n"
    "model files (NAME.imp, .onnx or .tflite) in the models folder, which is\n"
    "$IMPASTO_MODELS when it is set, else the first of these that exists:\n"
    "  <prefix>/share/impasto/models (beside an installed bin/impasto)\n"
    "  models/ in the source tree this program was built from\n"
    "\n"
    "options:\n"
    "      --json            one JSON object: {\"folder\": ..., \"styles\":\n"
    "                        [{\"name\", \"path\", \"format\"}, ...]}\n"
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto styles\n"
    "  IMPASTO_MODELS=~/my-styles impasto styles --json\n";

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

static int styles_main(int argc, char **argv)
{
    enum { OPT_JSON = 1 };
    static const struct imp_cli_option opts[] = {{"json", 0, 0, OPT_JSON}, {0}};
    int json = 0;
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_styles_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            return 0;
        if (id == IMP_CLI_ARG_ERROR)
            return IMP_CLI_EXIT_USAGE;
        if (id == IMP_CLI_ARG_POSITIONAL)
            return imp_cli_usage("styles", "unexpected argument '%s'", a.value);
        json = 1;
    }
    struct imp_style_list list;
    imp_styles_find(&list);
    if (json) {
        printf("{\"folder\": ");
        if (list.folder[0])
            json_string(list.folder);
        else
            printf("null");
        printf(", \"styles\": [");
        for (int i = 0; i < list.n; i++) {
            printf("%s{\"name\": ", i ? ", " : "");
            json_string(list.styles[i].name);
            printf(", \"path\": ");
            json_string(list.styles[i].path);
            printf(", \"format\": \"%s\"}", list.styles[i].format);
        }
        printf("]}\n");
        return 0;
    }
    if (!list.folder[0]) {
        char searched[4096];
        imp_styles_searched(searched, sizeof searched);
        printf("no models folder (looked in %s); no styles are shipped yet: give a model "
               "file with 'impasto stylize --style MODEL.onnx'\n",
               searched);
        return 0;
    }
    if (list.n == 0) {
        printf("no styles in %s yet: give a model file with 'impasto stylize --style "
               "MODEL.onnx'\n",
               list.folder);
        return 0;
    }
    printf("styles in %s:\n", list.folder);
    for (int i = 0; i < list.n; i++)
        printf("  %-20s %s\n", list.styles[i].name, list.styles[i].format);
    if (list.has_identity)
        printf("(a conditional network: --strength mixes towards its identity style, "
               "--blend mixes styles)\n");
    return 0;
}

const struct imp_cli_command imp_cli_styles_command = {
    "styles", "list the shipped styles that stylize --style NAME takes", help,
    styles_main};
