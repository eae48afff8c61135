/*
 * Shipped styles: model files (NAME.imp, NAME.onnx or NAME.tflite) in a
 * models folder, found in this order:
 *   1. $IMPASTO_MODELS (a folder),
 *   2. <prefix>/share/impasto/models beside an installed bin/impasto,
 *   3. models/ in the source tree that built this program (for build/).
 * $IMPASTO_MODELS, when set, is the only folder looked at (a missing one
 * means no styles); otherwise the first of 2 and 3 that exists is used.
 *
 * A file is one style named after it, unless it is a multi-style network
 * (impasto.styles in its metadata, docs/format.md): then each of its
 * styles is a style of that name, with a title and a painter. A style
 * named "identity" is not a look of its own: it is the conditional
 * network's photo (what strength 0 mixes towards), so it is not listed.
 *
 * imp_styles_choose turns what a user typed (--style, --blend, --strength)
 * into loaded networks and a mix of norm weights; every command that runs
 * style networks (stylize, video, live, focus) calls it, then
 * imp_styles_apply on each stylizer it makes.
 */
#ifndef IMP_CLI_STYLES_H
#define IMP_CLI_STYLES_H

#include <stddef.h>

#include "style_mix.h"
#include "style_set.h"

#define IMP_STYLES_MAX 64

struct imp_style_entry {
    char name[64];
    char path[1024];
    const char *format; /* "imp", "onnx" or "tflite": from the extension */
    int style;          /* index in a multi-style file, or -1: the file is the style */
    char title[256], painter[256]; /* from a multi-style file, else empty */
};

struct imp_style_list {
    char folder[1024]; /* empty when no models folder exists */
    int n;
    struct imp_style_entry styles[IMP_STYLES_MAX];
    int has_identity;
    struct imp_style_entry identity; /* an identity.imp, or the first file's identity style */
};

/* Lists the styles of the models folder: files by name, a multi-style
 * file's styles in its own order. */
void imp_styles_find(struct imp_style_list *list);
/* Lists the styles in one given folder. */
void imp_styles_scan(const char *folder, struct imp_style_list *list);
/* The folders searched, for messages ("A, B or C"). */
void imp_styles_searched(char *buf, size_t size);
/* "a, b, c" or "none". */
void imp_styles_names(const struct imp_style_list *list, char *buf, size_t size);
/* 1 when `arg` looks like a model file rather than a style name. */
int imp_styles_is_path(const char *arg);

/* ---- choosing ------------------------------------------------------------ */

#define IMP_STYLES_MAX_PARTS 17 /* a blend of 16 and the identity */

struct imp_style_choice {
    /* models[0] is the network to run; every part's model is one of these */
    struct imp_model *models[IMP_STYLES_MAX_PARTS];
    struct imp_style_set sets[IMP_STYLES_MAX_PARTS]; /* each model's styles */
    char paths[IMP_STYLES_MAX_PARTS][1024];
    int n_models;
    /* the style at full strength, then the network's identity style
     * (weight 0) when it has one */
    struct imp_style_part parts[IMP_STYLES_MAX_PARTS];
    int n_parts;
    int identity;     /* index of the identity's part, -1: none */
    int mix;          /* imp_styles_apply must set the norm weights */
    float strength;   /* --strength */
    char label[128];  /* "wave", "a+b", a file name: for messages */
};

struct imp_style_request {
    const char *style;         /* a style name or a model file; NULL: the default */
    const char *const *blend;  /* n_blend names or files (--blend), or NULL */
    const float *blend_weights;
    int n_blend;
    float strength;            /* 0..1 */
};

/* Resolves the request: names against the models folder (an unknown one
 * fails with one line listing the known ones), files loaded, styles of a
 * multi-style file picked by name, a blend checked to be one network,
 * strength towards the network's identity style when it has one, and as a
 * blend with the photo either way. Returns 0, or the exit code after the
 * message. imp_styles_choice_free it either way. */
int imp_styles_choose(const struct imp_style_request *req, struct imp_style_choice *c);
void imp_styles_choice_free(struct imp_style_choice *c);
/* Sets a stylizer made from c->models[0] to the chosen style at the
 * chosen strength. Costs the size of the norm weights. */
int imp_styles_apply(const struct imp_style_choice *c, struct imp_stylizer *s, char *why,
                     size_t why_size);
/* The same at another strength (0..1), as a slider moves: the norm weights
 * mixed towards the identity style when there is one, and the picture
 * blended with the photo. */
int imp_styles_apply_strength(const struct imp_style_choice *c, struct imp_stylizer *s,
                              float strength, char *why, size_t why_size);

#endif
