#include "core/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *imp_strdup(const char *s)
{
    return imp_memdup(s, strlen(s) + 1);
}

void *imp_memdup(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

bool imp_grow(void **items, size_t item_size, int count, int *cap)
{
    if (count < *cap)
        return true;
    if (*cap > INT32_MAX / 2)
        return false;
    int new_cap = *cap ? *cap * 2 : 16;
    void *grown = realloc(*items, item_size * (size_t)new_cap);
    if (!grown)
        return false;
    *items = grown;
    *cap = new_cap;
    return true;
}

int imp_read_file(const char *path, unsigned char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        unsigned char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    fclose(f);
    if (!buf)
        return -1;
    *data = buf;
    *size = len;
    return 0;
}
