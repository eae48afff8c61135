/*
 * A small JSON reader for the TF.js weight manifests: the whole text into
 * a tree, input treated as hostile (depth and size limits, every error a
 * message with its byte offset).
 */
#ifndef IMP_TRAIN_JSON_H
#define IMP_TRAIN_JSON_H

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    double number;      /* numbers and booleans */
    char *string;       /* strings (NUL-terminated, no NUL inside) */
    int n;              /* array items or object members */
    struct json *items; /* n values */
    char **keys;        /* objects: n keys */
};

/* NULL on error, with a message in err (size errsz). */
struct json *json_parse(const char *text, size_t len, char *err, size_t errsz);
void json_free(struct json *j);
/* Member `key` of an object, or NULL. */
const struct json *json_get(const struct json *obj, const char *key);

#endif
