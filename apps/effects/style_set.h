/*
 * The styles of a multi-style network (one file, one network, one set of
 * instance-norm scales and shifts per style), read from the model's
 * metadata as docs/format.md specifies:
 *   impasto.styles               NAME,NAME,...  (in style-index order)
 *   impasto.styles.params        the live norm constants, which nodes read
 *   impasto.style.NAME.params    this style's constants, one per live one
 *   impasto.style.NAME.title / .painter
 * Every name is checked against the model: a list that names a missing
 * constant, or one of another size, is corrupt metadata, not a crash.
 */
#ifndef IMP_EFFECTS_STYLE_SET_H
#define IMP_EFFECTS_STYLE_SET_H

#include <stddef.h>

#include "impasto.h"

#define IMP_STYLE_SET_MAX 64
/* The style a multi-style network gives the photo back with: what
 * --strength 0 means. Not a look of its own, so lists leave it out. */
#define IMP_STYLE_IDENTITY "identity"

struct imp_style_set {
    int n;        /* styles; 0 when the model is not a multi-style network */
    int identity; /* index of the identity style, or -1 */
    char names[IMP_STYLE_SET_MAX][64];
    const char *titles[IMP_STYLE_SET_MAX];   /* borrowed from the model, or NULL */
    const char *painters[IMP_STYLE_SET_MAX]; /* borrowed from the model, or NULL */
    int n_params;     /* live norm constants */
    char **live;      /* n_params names */
    char **params;    /* n x n_params names, style after style */
};

/* Reads m's styles. 0 with set->n = 0 when m carries no impasto.styles;
 * 0 with the styles; -1 with why (naming the key) when the metadata is
 * corrupt. Release with imp_style_set_free either way. */
int imp_style_set_read(const struct imp_model *m, struct imp_style_set *set, char *why,
                       size_t why_size);
void imp_style_set_free(struct imp_style_set *set);
/* Index of the style called name, or -1. */
int imp_style_set_find(const struct imp_style_set *set, const char *name);
/* The model's first style that is not the identity (the one a file runs
 * when no style is named), or -1. */
int imp_style_set_default(const struct imp_style_set *set);

#endif
