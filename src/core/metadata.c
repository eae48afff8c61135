#include "core/metadata.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void imp_metadata_release(struct imp_metadata *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->entries[i].key);
        free(m->entries[i].value);
    }
    free(m->entries);
    memset(m, 0, sizeof *m);
}

static int find_index(const struct imp_metadata *m, const char *key)
{
    for (int i = 0; m && key && i < m->n; i++)
        if (strcmp(m->entries[i].key, key) == 0)
            return i;
    return -1;
}

const char *imp_metadata_find(const struct imp_metadata *m, const char *key)
{
    int i = find_index(m, key);
    return i < 0 ? NULL : m->entries[i].value;
}

bool imp_metadata_set(struct imp_metadata *m, const char *key, const char *value)
{
    if (!key || !value || imp_metadata_check(key, strlen(key), true) ||
        imp_metadata_check(value, strlen(value), false))
        return false;
    char *v = imp_strdup(value);
    if (!v)
        return false;
    int i = find_index(m, key);
    if (i >= 0) {
        free(m->entries[i].value);
        m->entries[i].value = v;
        return true;
    }
    char *k = imp_strdup(key);
    if (!k || m->n >= IMP_META_MAX_ENTRIES || !IMP_GROW(m->entries, m->n, m->cap)) {
        free(k);
        free(v);
        return false;
    }
    m->entries[m->n++] = (struct imp_meta_entry){k, v};
    return true;
}

void imp_metadata_remove(struct imp_metadata *m, const char *key)
{
    int i = find_index(m, key);
    if (i < 0)
        return;
    free(m->entries[i].key);
    free(m->entries[i].value);
    memmove(&m->entries[i], &m->entries[i + 1],
            sizeof *m->entries * (size_t)(m->n - i - 1));
    m->n--;
}

bool imp_metadata_copy(const struct imp_metadata *src, struct imp_metadata *dst)
{
    memset(dst, 0, sizeof *dst);
    for (int i = 0; i < src->n; i++)
        if (!imp_metadata_set(dst, src->entries[i].key, src->entries[i].value)) {
            imp_metadata_release(dst);
            return false;
        }
    return true;
}

bool imp_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

const char *imp_metadata_check(const char *s, size_t n, bool is_key)
{
    if (is_key && n == 0)
        return "the key is empty";
    if (n > (is_key ? IMP_META_MAX_KEY : IMP_META_MAX_VALUE))
        return is_key ? "the key is longer than 256 bytes"
                      : "the value is longer than 1 MiB";
    if (n && memchr(s, 0, n))
        return is_key ? "the key contains a zero byte" : "the value contains a zero byte";
    if (!imp_utf8_valid(s, n))
        return is_key ? "the key is not UTF-8" : "the value is not UTF-8";
    for (size_t i = 0; is_key && i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return "the key contains a control character";
    return NULL;
}
