/*
 * Writing a file so that readers see either the old file or the whole new
 * one: the bytes go to a temporary name in the same folder (a rename never
 * crosses file systems then), are flushed, and the temporary file is renamed
 * over the target. A failure part way (a full disk) removes the temporary
 * file and leaves the target as it was.
 */
#include "core/file_atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int imp_write_file_atomic(const char *path, const void *data, size_t size)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return ENOMEM;
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return e;
    }
    int e = 0;
    const unsigned char *p = data;
    size_t left = size;
    while (left > 0 && e == 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno != EINTR)
                e = errno;
            continue;
        }
        p += w;
        left -= (size_t)w;
    }
    /* mkstemp makes the file private; a model is not a secret. */
    if (e == 0 && fchmod(fd, 0644) != 0)
        e = errno;
    if (e == 0 && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tmp, path) != 0)
        e = errno;
    if (e != 0)
        unlink(tmp);
    free(tmp);
    return e;
}
