#include "styles.h"

#include <dirent.h>
#include <libgen.h>
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
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_entry(struct imp_style_list *list, const struct imp_style_entry *entry)
{
    if (strcmp(entry->name, IMP_STYLE_IDENTITY) == 0) {
        if (!list->has_identity) {
            list->identity = *entry;
            list->has_identity = 1;
        }
        return;
    }
    /* candy.imp beside candy.onnx: one style, the first file by name (.imp) */
    for (int i = 0; i < list->n; i++)
        if (strcmp(list->styles[i].name, entry->name) == 0)
            return;
    if (list->n < IMP_STYLES_MAX)
        list->styles[list->n++] = *entry;
}

/* One model file: its styles when it is a multi-style network, else the
 * file itself as the style of its name. A file that does not load, or
 * whose styles are corrupt, is listed by its name too: choosing it then
 * says what is wrong. */
static void scan_file(struct imp_style_list *list, const char *folder, const char *file)
{
    const char *format = model_format(file);
    size_t stem = strlen(file) - strlen(format) - 1;
    struct imp_style_entry entry = {.format = format, .style = -1};
    memcpy(entry.name, file, stem);
    entry.name[stem] = '\0';
    snprintf(entry.path, sizeof entry.path, "%s/%s", folder, file);
    struct imp_model *m = NULL;
    struct imp_error err;
    struct imp_style_set set = {0};
    char why[256];
    if (strcmp(format, "tflite") != 0 && imp_model_load_file(entry.path, &m, &err) == IMP_OK &&
        imp_style_set_read(m, &set, why, sizeof why) == 0 && set.n > 0) {
        for (int s = 0; s < set.n; s++) {
            struct imp_style_entry e = entry;
            snprintf(e.name, sizeof e.name, "%s", set.names[s]);
            e.style = s;
            snprintf(e.title, sizeof e.title, "%s", set.titles[s] ? set.titles[s] : "");
            snprintf(e.painter, sizeof e.painter, "%s", set.painters[s] ? set.painters[s] : "");
            add_entry(list, &e);
        }
    } else {
        add_entry(list, &entry);
    }
    imp_style_set_free(&set);
    imp_model_free(m);
}

void imp_styles_scan(const char *folder, struct imp_style_list *list)
{
    memset(list, 0, sizeof *list);
    snprintf(list->folder, sizeof list->folder, "%s", folder);
    DIR *d = opendir(folder);
    if (!d)
        return;
    char *files[4 * IMP_STYLES_MAX];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 4 * IMP_STYLES_MAX;) {
        const char *format = model_format(e->d_name);
        size_t stem = strlen(e->d_name) - (format ? strlen(format) + 1 : 0);
        if (!format || e->d_name[0] == '.' || stem == 0 || stem >= 64 ||
            !(files[n] = strdup(e->d_name)))
            continue;
        n++;
    }
    closedir(d);
    qsort(files, (size_t)n, sizeof files[0], by_name);
    for (int i = 0; i < n; i++) {
        scan_file(list, folder, files[i]);
        free(files[i]);
    }
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

/* ---- choosing ------------------------------------------------------------ */

void imp_styles_choice_free(struct imp_style_choice *c)
{
    for (int i = 0; i < c->n_models; i++) {
        imp_style_set_free(&c->sets[i]);
        imp_model_free(c->models[i]);
    }
    c->n_models = 0;
    c->n_parts = 0;
}

/* The model loaded from path (once per choice), its index, or -1 after
 * the message. */
static int choice_model(struct imp_style_choice *c, const char *path)
{
    for (int i = 0; i < c->n_models; i++)
        if (strcmp(c->paths[i], path) == 0)
            return i;
    if (c->n_models == IMP_STYLES_MAX_PARTS) {
        imp_cli_fail(path, "too many model files in one mix");
        return -1;
    }
    int i = c->n_models;
    struct imp_error err;
    char why[512];
    if (imp_model_load_file(path, &c->models[i], &err) != IMP_OK) {
        imp_cli_fail_message(path, err.message);
        return -1;
    }
    snprintf(c->paths[i], sizeof c->paths[i], "%s", path);
    c->n_models++;
    if (imp_style_set_read(c->models[i], &c->sets[i], why, sizeof why) != 0) {
        imp_cli_fail(path, "%s", why);
        return -1;
    }
    return i;
}

static int unknown_style(const char *arg, const struct imp_style_list *shipped)
{
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

/* One name or file of the request as a part of the mix. */
static int choose_part(struct imp_style_choice *c, const struct imp_style_list *shipped,
                       const char *arg, float weight)
{
    const char *path = arg;
    int style = -1;
    if (!imp_styles_is_path(arg)) {
        int found = -1;
        for (int i = 0; i < shipped->n && found < 0; i++)
            if (strcmp(shipped->styles[i].name, arg) == 0)
                found = i;
        if (found < 0)
            return unknown_style(arg, shipped);
        path = shipped->styles[found].path;
        style = shipped->styles[found].style;
    }
    int m = choice_model(c, path);
    if (m < 0)
        return IMP_CLI_EXIT_FAIL;
    const struct imp_style_set *set = &c->sets[m];
    if (set->n > 0 && style < 0)
        style = imp_style_set_default(set);
    if (set->n > 0 && style < 0)
        return imp_cli_fail(path, "the network has no style but its identity");
    if (set->n > 0 && style >= set->n) /* the file changed since it was listed */
        return imp_cli_fail(path, "no style %d in the network", style);
    c->parts[c->n_parts++] = (struct imp_style_part){
        .model = c->models[m], .set = set->n > 0 ? set : NULL, .style = style,
        .weight = weight};
    return 0;
}

/* The identity of a conditional network of single-style files: beside the
 * style's file, or the shipped one. */
static void find_identity(const char *style_path, const struct imp_style_list *shipped,
                          char *path, size_t size)
{
    path[0] = '\0';
    char *copy = strdup(style_path);
    if (!copy)
        return;
    /* Only the identity files beside it: loading every model of the
     * user's folder to find them would be slow. */
    static const char *const ext[] = {"imp", "onnx", "tflite"};
    const char *dir = dirname(copy);
    for (int i = 0; i < 3 && !path[0]; i++) {
        snprintf(path, size, "%s/" IMP_STYLE_IDENTITY ".%s", dir, ext[i]);
        if (access(path, R_OK) != 0)
            path[0] = '\0';
    }
    free(copy);
    if (!path[0] && shipped->has_identity && shipped->identity.style < 0)
        snprintf(path, size, "%s", shipped->identity.path);
}

/* The network's identity style, when it has one, as a last part of
 * weight 0: what strength mixes towards (imp_styles_apply_strength). */
static int choose_identity(struct imp_style_choice *c, const struct imp_style_list *shipped)
{
    c->identity = -1;
    if (imp_style_norm_weight_count(c->models[0]) == 0)
        return 0;
    struct imp_style_part id = {.model = c->models[0], .style = -1};
    if (c->sets[0].n > 0 && c->sets[0].identity >= 0) {
        id.set = &c->sets[0];
        id.style = c->sets[0].identity;
    } else if (c->sets[0].n == 0) {
        char path[1024], why[512];
        find_identity(c->paths[0], shipped, path, sizeof path);
        if (!path[0])
            return 0;
        int m = choice_model(c, path);
        if (m < 0)
            return IMP_CLI_EXIT_FAIL;
        if (!imp_style_same_network(c->models[0], c->models[m], why, sizeof why))
            return 0; /* an identity of another family: the photo blend instead */
        id.model = c->models[m];
    } else {
        return 0; /* a multi-style network without an identity style */
    }
    id.weight = 0.0f;
    c->identity = c->n_parts;
    c->parts[c->n_parts++] = id;
    c->mix = 1;
    return 0;
}

int imp_styles_choose(const struct imp_style_request *req, struct imp_style_choice *c)
{
    memset(c, 0, sizeof *c);
    struct imp_style_list shipped;
    imp_styles_find(&shipped);
    int rc = 0;
    if (req->n_blend > IMP_STYLES_MAX_PARTS - 1)
        return imp_cli_fail("--blend", "at most %d styles", IMP_STYLES_MAX_PARTS - 1);
    if (req->n_blend > 0) {
        for (int i = 0; i < req->n_blend && rc == 0; i++)
            rc = choose_part(c, &shipped, req->blend[i], req->blend_weights[i]);
        snprintf(c->label, sizeof c->label, "blend");
    } else if (req->style) {
        rc = choose_part(c, &shipped, req->style, 1.0f);
        snprintf(c->label, sizeof c->label, "%s", req->style);
    } else if (shipped.n) {
        rc = choose_part(c, &shipped, shipped.styles[0].name, 1.0f);
        snprintf(c->label, sizeof c->label, "%s", shipped.styles[0].name);
    } else {
        char searched[4096];
        imp_styles_searched(searched, sizeof searched);
        return imp_cli_fail("stylize", "no style given and none shipped (looked in %s): "
                                       "give --style MODEL.onnx",
                            searched);
    }
    for (int i = 1; rc == 0 && i < c->n_parts; i++) {
        char why[512];
        if (c->parts[i].model != c->models[0] &&
            !imp_style_same_network(c->models[0], c->parts[i].model, why, sizeof why))
            rc = imp_cli_fail(req->blend ? req->blend[i] : "--blend", "cannot blend with %s: %s",
                              req->blend ? req->blend[0] : "", why);
    }
    /* A style of a multi-style file, or a blend: set the norm weights. */
    c->mix = c->n_parts > 1 || (c->n_parts == 1 && c->parts[0].set != NULL);
    c->strength = req->strength;
    if (rc == 0)
        rc = choose_identity(c, &shipped);
    return rc;
}

/* The instance norms drop the photo's mean colour and contrast, so the
 * identity style is the photo paler (12-19 dB from it on opencv's photos):
 * the picture is also blended with the photo, so 0 is the photo itself.
 * Norms mixed by s and a blend by s would multiply (a quarter of the style
 * at 0.5, next to nothing below); the blend's weight 1 - (1 - s)^2 keeps
 * the ramp even (3/4 of the half-way style at 0.5). Other networks have
 * only the blend, by s. */
int imp_styles_apply_strength(const struct imp_style_choice *c, struct imp_stylizer *s,
                              float strength, char *why, size_t why_size)
{
    strength = strength < 0 ? 0 : strength > 1 ? 1 : strength;
    const float rest = 1.0f - strength;
    imp_stylizer_set_strength(s, c->identity >= 0 ? 1.0f - rest * rest : strength);
    if (!c->mix)
        return 0;
    struct imp_style_part parts[IMP_STYLES_MAX_PARTS];
    for (int i = 0; i < c->n_parts; i++) {
        parts[i] = c->parts[i];
        parts[i].weight = i == c->identity ? 1.0f - strength : c->parts[i].weight * strength;
    }
    return imp_style_mix_parts(s, c->sets[0].n > 0 ? &c->sets[0] : NULL, parts, c->n_parts,
                               why, why_size);
}

int imp_styles_apply(const struct imp_style_choice *c, struct imp_stylizer *s, char *why,
                     size_t why_size)
{
    return imp_styles_apply_strength(c, s, c->strength, why, why_size);
}
