/*
 * Shipped styles: model files (NAME.imp, NAME.onnx or NAME.tflite) in a
 * models folder, found in this order:
 *   1. $IMPASTO_MODELS (a folder),
 *   2. <prefix>/share/impasto/models beside an installed bin/impasto,
 *   3. models/ in the source tree that built this program (for build/).
 * $IMPASTO_MODELS, when set, is the only folder looked at (a missing one
 * means no styles); otherwise the first of 2 and 3 that exists is used. A style named "identity"
 * is not a look of its own: it is the conditional network's photo (what
 * strength 0 mixes towards), so it is not listed as a style.
 */
#ifndef IMP_CLI_STYLES_H
#define IMP_CLI_STYLES_H

#include <stddef.h>

#define IMP_STYLES_MAX 64

struct imp_style_entry {
    char name[64];
    char path[1024];
    const char *format; /* "imp", "onnx" or "tflite": from the extension */
};

struct imp_style_list {
    char folder[1024]; /* empty when no models folder exists */
    int n;
    struct imp_style_entry styles[IMP_STYLES_MAX];
    int has_identity;
    struct imp_style_entry identity;
};

/* Lists the styles of the models folder (sorted by name). */
void imp_styles_find(struct imp_style_list *list);
/* Lists the styles in one given folder. */
void imp_styles_scan(const char *folder, struct imp_style_list *list);
/* The folders searched, for messages ("A, B or C"). */
void imp_styles_searched(char *buf, size_t size);
/* "a, b, c" or "none". */
void imp_styles_names(const struct imp_style_list *list, char *buf, size_t size);
/* 1 when `arg` looks like a model file rather than a style name. */
int imp_styles_is_path(const char *arg);
/* A style argument (a model file, or a name in `shipped`) to a model path.
 * Returns 0, or prints the failure (naming the known styles) and returns
 * IMP_CLI_EXIT_FAIL. */
int imp_styles_resolve(const char *arg, const struct imp_style_list *shipped, char *path,
                       size_t size);

#endif
