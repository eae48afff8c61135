/* impasto styles: the shipped styles, for people and for scripts (--json). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "styles.h"

static const char help[] =
    "usage: impasto styles [--json]\n"
    "\n"
    "List the shipped styles that 'impasto stylize --style NAME' takes: every\n"
    "style of each multi-style network (a .imp made by 'impasto train', with\n"
    "its title and painter), and each other model file (NAME.imp, .onnx or\n"
    ".tflite) as the style NAME, in the models folder, which is\n"
    "$IMPASTO_MODELS when it is set, else the first of these that exists:\n"
    "  <prefix>/share/impasto/models (beside an installed bin/impasto)\n"
    "  models/ in the source tree this program was built from\n"
    "\n"
    "options:\n"
    "      --json            one JSON object: {\"folder\": ..., \"styles\":\n"
    "                        [{\"name\", \"title\", \"painter\", \"path\",\n"
    "                        \"format\"}, ...]} (title and painter null when\n"
    "                        unknown)\n"
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto styles\n"
    "  IMPASTO_MODELS=~/my-styles impasto styles --json\n";

static void json_string_or_null(const char *s)
{
    if (s[0])
        imp_cli_json_string(s);
    else
        printf("null");
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
            imp_cli_json_string(list.folder);
        else
            printf("null");
        printf(", \"styles\": [");
        for (int i = 0; i < list.n; i++) {
            const struct imp_style_entry *e = &list.styles[i];
            printf("%s{\"name\": ", i ? ", " : "");
            imp_cli_json_string(e->name);
            printf(", \"title\": ");
            json_string_or_null(e->title);
            printf(", \"painter\": ");
            json_string_or_null(e->painter);
            printf(", \"path\": ");
            imp_cli_json_string(list.styles[i].path);
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
    for (int i = 0; i < list.n; i++) {
        const struct imp_style_entry *e = &list.styles[i];
        const char *file = strrchr(e->path, '/');
        char about[600] = "";
        if (e->title[0] || e->painter[0])
            snprintf(about, sizeof about, "%s%s%s  ", e->title, e->title[0] && e->painter[0]
                     ? ", " : "", e->painter);
        printf("  %-16s %s(%s)\n", e->name, about, file ? file + 1 : e->path);
    }
    if (list.has_identity)
        printf("(a conditional network: --strength mixes towards its identity style, "
               "--blend mixes styles)\n");
    return 0;
}

const struct imp_cli_command imp_cli_styles_command = {
    "styles", "list the shipped styles that stylize --style NAME takes", help,
    styles_main};
