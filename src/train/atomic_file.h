/* Writing a file so that readers see the old bytes or the new ones, never
 * a mix: a temporary name in the same folder, flushed to disk, renamed. */
#ifndef IMP_ATOMIC_FILE_H
#define IMP_ATOMIC_FILE_H

#include <stddef.h>

#include "impasto.h"

struct atomic_chunk {
    const void *data;
    size_t size;
};

/* On any failure (a full disk, no permission) the temporary file is
 * removed, `path` is untouched, and err names the problem. */
enum imp_status atomic_write(const char *path, const struct atomic_chunk *chunks, int n,
                             struct imp_error *err);

#endif
