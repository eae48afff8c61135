/* Small allocation helpers used across the library. */
#ifndef IMP_UTIL_H
#define IMP_UTIL_H

#include <stdbool.h>
#include <stddef.h>

char *imp_strdup(const char *s);
/* Copy of n bytes; for n == 0 a valid 1-byte allocation (never NULL on
 * success, so callers can test for failure). */
void *imp_memdup(const void *p, size_t n);
/* Ensure room for one more element in a growable array; false on OOM. */
bool imp_grow(void **items, size_t item_size, int count, int *cap);
#define IMP_GROW(items, count, cap) \
    imp_grow((void **)&(items), sizeof *(items), (count), &(cap))

/* Whole file into a malloc'd buffer. */
int imp_read_file(const char *path, unsigned char **data, size_t *size);

#endif
