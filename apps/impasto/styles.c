#include "styles.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* A build-tree program finds the source tree's models/ (CMake passes the
 * source folder); an installed one has none. */
#ifdef IMP_SOURCE_DIR
#define IMP_SOURCE_MODELS_DIR IMP_SOURCE_DIR "/models"
#else
#define IMP_SOURCE_MODELS_DIR ""
#endif

static int is_dir(const char *path)
{
    struct stat st;
    return path[0] && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *model_format(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return NULL;
    if (strcasecmp(dot, ".imp") == 0)
        return "imp";
    if (strcasecmp(dot, ".onnx") == 0)
        return "onnx";
    if (strcasecmp(dot, ".tflite") == 0)
        return "tflite";
    return NULL;
}

int imp_styles_is_path(const char *arg)
{
    return strchr(arg, '/') != NULL || model_format(arg) != NULL;
}

/* Folder 2: <prefix>/share/impasto/models for <prefix>/bin/impasto. */
static void install_folder(char *buf, size_t size)
{
    buf[0] = '\0';
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0'; /* the bin folder */
    slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0'; /* the prefix */
    snprintf(buf, size, "%s/share/impasto/models", exe);
}

void imp_styles_searched(char *buf, size_t size)
{
    char inst[PATH_MAX + 32];
    install_folder(inst, sizeof inst);
    const char *env = getenv("IMPASTO_MODELS");
    if (env && env[0])
        snprintf(buf, size, "$IMPASTO_MODELS = %s", env);
    else
        snprintf(buf, size, "%s%s%s", inst[0] ? inst : "", inst[0] ? " or " : "",
                 IMP_SOURCE_MODELS_DIR[0] ? IMP_SOURCE_MODELS_DIR : "nowhere");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct imp_style_entry *)a)->name,
                  ((const struct imp_style_entry *)b)->name);
}

void imp_styles_scan(const char *folder, struct imp_style_list *list)
{
    memset(list, 0, sizeof *list);
    snprintf(list->folder, sizeof list->folder, "%s", folder);
    DIR *d = opendir(folder);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        const char *format = model_format(e->d_name);
        size_t stem = strlen(e->d_name) - (format ? strlen(format) + 1 : 0);
        if (!format || e->d_name[0] == '.' || stem == 0 || stem >= 64)
            continue;
        struct imp_style_entry entry;
        memcpy(entry.name, e->d_name, stem);
        entry.name[stem] = '\0';
        snprintf(entry.path, sizeof entry.path, "%s/%s", folder, e->d_name);
        entry.format = format;
        if (strcmp(entry.name, "identity") == 0) {
            list->identity = entry;
            list->has_identity = 1;
            continue;
        }
        int dup = 0; /* candy.imp beside candy.onnx: one style, the .imp wins */
        for (int i = 0; i < list->n; i++)
            if (strcmp(list->styles[i].name, entry.name) == 0) {
                dup = 1;
                if (strcmp(format, "imp") == 0)
                    list->styles[i] = entry;
            }
        if (!dup && list->n < IMP_STYLES_MAX)
            list->styles[list->n++] = entry;
    }
    closedir(d);
    qsort(list->styles, (size_t)list->n, sizeof list->styles[0], by_name);
}

void imp_styles_find(struct imp_style_list *list)
{
    char inst[PATH_MAX + 32];
    install_folder(inst, sizeof inst);
    const char *env = getenv("IMPASTO_MODELS");
    memset(list, 0, sizeof *list);
    if (env && env[0]) { /* the user's choice stands alone, even when missing */
        if (is_dir(env))
            imp_styles_scan(env, list);
        return;
    }
    const char *candidates[] = {inst, IMP_SOURCE_MODELS_DIR};
    for (int i = 0; i < 2; i++)
        if (is_dir(candidates[i])) {
            imp_styles_scan(candidates[i], list);
            return;
        }
}

void imp_styles_names(const struct imp_style_list *list, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < list->n && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? ", " : "",
                               list->styles[i].name);
    if (list->n == 0)
        snprintf(buf, size, "none");
}

int imp_styles_resolve(const char *arg, const struct imp_style_list *shipped, char *path,
                       size_t size)
{
    if (imp_styles_is_path(arg)) {
        snprintf(path, size, "%s", arg);
        return 0;
    }
    for (int i = 0; i < shipped->n; i++)
        if (strcmp(shipped->styles[i].name, arg) == 0) {
            snprintf(path, size, "%s", shipped->styles[i].path);
            return 0;
        }
    char names[2048];
    imp_styles_names(shipped, names, sizeof names);
    if (shipped->n == 0) {
        char searched[4096];
        imp_styles_searched(searched, sizeof searched);
        return imp_cli_fail(arg, "no such style: no styles are installed (looked in %s); "
                                 "give a model file, e.g. --style candy.onnx",
                            searched);
    }
    return imp_cli_fail(arg, "no such style (known: %s; or give a model file)", names);
}

