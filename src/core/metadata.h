/*
 * A model's metadata: string key/value pairs (style names, the input
 * convention, the recipe that trained it). Every format carries the same
 * pairs (.imp's metadata section, ONNX's metadata_props), so the rules for
 * what a pair may hold live here, once, and every reader and writer applies
 * them: a key is 1..IMP_META_MAX_KEY bytes of UTF-8 without control
 * characters, a value 0..IMP_META_MAX_VALUE bytes of UTF-8 without NUL, keys
 * are unique, and there are at most IMP_META_MAX_ENTRIES pairs.
 */
#ifndef IMP_METADATA_H
#define IMP_METADATA_H

#include <stdbool.h>
#include <stddef.h>

#define IMP_META_MAX_ENTRIES 1024
#define IMP_META_MAX_KEY 256
#define IMP_META_MAX_VALUE (1u << 20)

struct imp_meta_entry {
    char *key;
    char *value;
};

/* Pairs in the order they were added; a zeroed struct is empty. */
struct imp_metadata {
    struct imp_meta_entry *entries;
    int n, cap;
};

void imp_metadata_release(struct imp_metadata *m);
/* The value for `key`, or NULL. */
const char *imp_metadata_find(const struct imp_metadata *m, const char *key);
/* Replace the value of `key`, or append the pair (copies both). false on
 * allocation failure, or when the result would break the rules (checked:
 * callers with untrusted pairs use imp_metadata_check first for a reason). */
bool imp_metadata_set(struct imp_metadata *m, const char *key, const char *value);
/* Remove `key` if present, keeping the others in order. */
void imp_metadata_remove(struct imp_metadata *m, const char *key);
bool imp_metadata_copy(const struct imp_metadata *src, struct imp_metadata *dst);

/* Why a key (is_key) or value of n bytes breaks the rules, or NULL when it
 * does not. The bytes need not be NUL-terminated. */
const char *imp_metadata_check(const char *s, size_t n, bool is_key);
/* True when `n` bytes are well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool imp_utf8_valid(const char *s, size_t n);

#endif
