/* Whole-file writes that never leave a half-written file behind. */
#ifndef IMP_FILE_ATOMIC_H
#define IMP_FILE_ATOMIC_H

#include <stddef.h>

/* Write `size` bytes to `path` through a temporary file in the same folder
 * and a rename. Returns 0 or an errno value. */
int imp_write_file_atomic(const char *path, const void *data, size_t size);

#endif
